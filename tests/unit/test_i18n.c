/*
 * Display-time translation (core/i18n.c): English text that printf made
 * from a marked format is matched back to the format and its values are
 * put into the translation, by position when reordered; text that does
 * not come from the format is left alone; the process keeps the "C"
 * locale so what rdiag stores never changes with the customer's language.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/i18n.h"
#include "rdiag/util.h"

static void test_refill(void **state)
{
	static const struct {
		const char *fmt, *english, *tr, *want; /* want NULL: no match */
	} cases[] = {
		{ "cannot open '%s': %s", "cannot open '/x y': No such file",
		  "'%s' kann nicht geöffnet werden: %s",
		  "'/x y' kann nicht geöffnet werden: No such file" },
		/* Reordered by the translator. */
		{ "Check that %s port %u is the file server's SMB port.",
		  "Check that nas1 port 445 is the file server's SMB port.",
		  "Проверьте, что порт %2$u на %1$s — это порт SMB.",
		  "Проверьте, что порт 445 на nas1 — это порт SMB." },
		/* Numbers of every kind, %% and a float. */
		{ "%s is %s (%u%% used)", "/srv is nearly full (93% used)",
		  "%s ist %s (%u%% belegt)",
		  "/srv ist nearly full (93% belegt)" },
		{ "write %.1f MiB/s, %lld ms, pid %d",
		  "write 12.5 MiB/s, 1500 ms, pid -1",
		  "Schreiben %.1f MiB/s, %lld ms, PID %d",
		  "Schreiben 12.5 MiB/s, 1500 ms, PID -1" },
		{ "%zu record rejected", "3 records rejected", "x", NULL },
		{ "%llu error lines in %u log files",
		  "12 error lines in 3 log files",
		  "строк с ошибками: %llu, файлов журналов: %u",
		  "строк с ошибками: 12, файлов журналов: 3" },
		/* Literal text must match exactly. */
		{ "cannot open '%s': %s", "cannot read '/x': y", "z", NULL },
		{ "%u test files", "many test files", "z", NULL },
		/* A %s may be empty; text after the last one decides. */
		{ "a%sb%sc", "abxbc", "[%s|%s]", "[|xb]" },
		/* The translation names an argument the format has not. */
		{ "only %s", "only one", "%2$s", NULL },
		/* Invalid UTF-8 passes through untouched. */
		{ "bad %s here", "bad \xff\xfe here", "schlecht %s hier",
		  "schlecht \xff\xfe hier" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ok = i18n_refill(cases[i].fmt, cases[i].english,
				      cases[i].tr, buf, sizeof(buf));

		if (!cases[i].want) {
			if (ok)
				fail_msg("'%s' matched '%s' as '%s'",
					 cases[i].english, cases[i].fmt, buf);
			continue;
		}
		if (!ok)
			fail_msg("'%s' did not match '%s'", cases[i].english,
				 cases[i].fmt);
		assert_string_equal(buf, cases[i].want);
	}
	/* Too small a buffer is a refusal, not a cut. */
	assert_false(i18n_refill("a %s", "a bcdef", "x %s", buf, 4));
}

/* What printf would write for fmt with plain values: words and numbers. */
static void sample(const char *fmt, char *out, size_t len)
{
	size_t o = 0;

	while (*fmt && o + 8 < len) {
		const char *p = fmt + 1;
		const char *v;

		if (*fmt != '%') {
			out[o++] = *fmt++;
			continue;
		}
		if (*p == '%') {
			out[o++] = '%';
			fmt += 2;
			continue;
		}
		p += strspn(p, "0123456789$-+ #'.*hlLqjzt");
		switch (*p) {
		case 's':
			v = "alpha";
			break;
		case 'c':
			v = "c";
			break;
		case 'f':
		case 'e':
		case 'g':
			v = "1.5";
			break;
		case 'x':
		case 'X':
			v = "ff";
			break;
		default:
			v = "42";
		}
		for (; *v && o + 1 < len; v++)
			out[o++] = *v;
		fmt = *p ? p + 1 : p;
	}
	out[o] = '\0';
}

/*
 * Every marked format, printed, is taken for itself (or for a format with
 * the very same text): no other format with more literal text claims it,
 * so no finding is shown with another one's translation.
 */
static void test_formats_recover_themselves(void **state)
{
	char en[2048], other[2048];
	size_t n = 0, bad = 0;

	(void)state;
	for (const char *const *f = i18n_formats; *f; f++) {
		const char *got;

		/* Plain text is looked up as it is, never matched. */
		if (!strchr(*f, '%'))
			continue;
		sample(*f, en, sizeof(en));
		got = i18n_format_of(en);
		n++;
		if (!got || got == *f)
			continue;
		sample(got, other, sizeof(other));
		if (strcmp(other, en) != 0) {
			print_error("'%s' printed as '%s' is taken for '%s'\n",
				    *f, en, got);
			bad++;
		}
	}
	assert_true(n > 100);
	assert_int_equal(bad, 0);
}

/* Without a catalog (C locale) the English comes back, the same pointer. */
static void test_display_without_catalog(void **state)
{
	const char *s = "cannot open '/x': No such file or directory";
	char buf[128];
	char *d;

	(void)state;
	assert_ptr_equal(i18n_display(s, buf, sizeof(buf)), s);
	assert_null(i18n_display_dup(NULL));
	d = i18n_display_dup(s);
	assert_string_equal(d, s);
	free(d);
}

/*
 * i18n_init() with a German environment leaves the process in "C": numbers
 * and libc's own messages stay as rdiag stores them.
 */
static void test_init_keeps_c_locale(void **state)
{
	char num[32];

	(void)state;
	setenv("LANG", "de_DE.UTF-8", 1);
	setenv("LANGUAGE", "de", 1);
	i18n_init();
	snprintf(num, sizeof(num), "%.1f", 1.5);
	assert_string_equal(num, "1.5");
	assert_string_equal(setlocale(LC_ALL, NULL), "C");
}

/* A [y/N] prompt takes the customer's own yes, and never their no. */
static void test_yes_local(void **state)
{
	static const struct {
		const char *lang, *answer;
		bool yes;
	} cases[] = {
		{ "de_DE.UTF-8", "j\n", true },
		{ "de_DE.UTF-8", "ja", true },
		{ "de_DE.UTF-8", "J", true },
		{ "de_DE.UTF-8", "nein\n", false },
		{ "de_DE.UTF-8", "n", false },
		{ "de_DE.UTF-8", "", false },
		{ "ru_RU.UTF-8", "д\n", true },
		{ "ru_RU.UTF-8", "да", true },
		{ "ru_RU.UTF-8", "Да", true },
		{ "ru_RU.UTF-8", "нет\n", false },
		{ "ru_RU.UTF-8", "Нет", false },
		{ "ru_RU.UTF-8", "н", false },
		{ "ru_RU.UTF-8", "\xd0\n", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		locale_t l = newlocale(LC_ALL_MASK, cases[i].lang, 0);

		if (l == (locale_t)0) {
			print_message("locale %s missing (scripts/install-deps "
				      "makes it), skipped\n",
				      cases[i].lang);
			continue;
		}
		freelocale(l);
		setenv("LANG", cases[i].lang, 1);
		setenv("LC_ALL", cases[i].lang, 1);
		i18n_init();
		if (i18n_yes_local(cases[i].answer) != cases[i].yes)
			fail_msg("%s: '%s' taken as %s", cases[i].lang,
				 cases[i].answer, cases[i].yes ? "no" : "yes");
	}
	unsetenv("LC_ALL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_formats_recover_themselves),
		cmocka_unit_test(test_display_without_catalog),
		cmocka_unit_test(test_init_keeps_c_locale),
		cmocka_unit_test(test_yes_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
