/*
 * The man page (docs/rdiag.1) against the tables the program runs on: every
 * option of every command's args table (cli/args.h) is documented where
 * that command is (its SYNOPSIS line, its COMMANDS entry, OPTIONS OF RUN),
 * and every option the page names exists; every config key of every section
 * (config_schema()) has its entry under its .SS [section] heading, and every
 * entry there is a key of that section; the defaults `rdiag help` and the
 * page state for options that set a config key are the key table's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/config.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

/* The commands of main.c's table that have options of their own. */
static const struct command *const commands[] = {
	&cmd_agent_entry,  &cmd_approve_entry, &cmd_diff_entry,
	&cmd_export_entry, &cmd_extract_entry, &cmd_inspect_entry,
	&cmd_keygen_entry, &cmd_list_entry,    &cmd_request_entry,
	&cmd_run_entry,    &cmd_session_entry, &cmd_upload_entry,
};
#define NCMD (sizeof(commands) / sizeof(commands[0]))

/* The page, troff escapes for '-' and fonts removed, one string a line. */
static char **man_lines(size_t *ret_n)
{
	const char *data = getenv("RDIAG_TEST_DATA");
	char *path, line[4096], **v = NULL;
	size_t n = 0;
	FILE *f;

	assert_non_null(data);
	path = xasprintf("%s/../../docs/rdiag.1", data);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct buf b;

		buf_init(&b, 0);
		for (const char *p = line; *p && *p != '\n'; p++) {
			if (p[0] == '\\' && p[1] == '-') {
				buf_putc(&b, '-');
				p++;
			} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
				p += 2;
			} else {
				buf_putc(&b, *p);
			}
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = buf_detach(&b, NULL);
	}
	fclose(f);
	free(path);
	*ret_n = n;
	return v;
}

static void lines_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const struct command *command_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NCMD; i++)
		if (strlen(commands[i]->name) == len &&
		    strncmp(commands[i]->name, name, len) == 0)
			return commands[i];
	return NULL;
}

/* The option of c called name (long, or the short letter when len 1). */
static const struct args_opt *
option_find(const struct command *c, const char *name, size_t len, bool shortc)
{
	for (int t = 0; t < 3; t++)
		for (const struct args_opt *o = c->args->opts[t]; o && o->name;
		     o++) {
			if (shortc ? o->shortc == name[0]
				   : strlen(o->name) == len &&
					     strncmp(o->name, name, len) == 0)
				return o;
		}
	return NULL;
}

/*
 * The text of the page that documents each command: its SYNOPSIS lines,
 * its entry under COMMANDS, and for run the OPTIONS OF RUN section.
 * Returns how many SYNOPSIS commands this test does not know: docs.sh
 * holds the SYNOPSIS to main.c's table, this keeps commands[] to it.
 */
static unsigned command_regions(char **lines, size_t n, struct buf *regions)
{
	unsigned unknown = 0;
	const struct command *cur = NULL;
	const char *sh = "";

	for (size_t i = 0; i < n; i++) {
		const char *l = lines[i];

		if (strncmp(l, ".SH ", 4) == 0) {
			sh = l + 4;
			cur = strcmp(sh, "OPTIONS OF RUN") == 0
				      ? command_find("run", 3)
				      : NULL;
			continue;
		}
		if (strcmp(sh, "SYNOPSIS") == 0) {
			if (strncmp(l, ".B rdiag ", 9) == 0) {
				size_t len = strcspn(l + 9, " ");

				cur = command_find(l + 9, len);
				if (!cur && strcmp(l + 9, "help") != 0 &&
				    strcmp(l + 9, "version") != 0) {
					print_error("man page: rdiag %.*s is "
						    "not in this test's "
						    "commands[]\n",
						    (int)len, l + 9);
					unknown++;
				}
			} else if (strcmp(l, ".br") == 0)
				cur = NULL;
		} else if (strcmp(sh, "COMMANDS") == 0 && i > 0 &&
			   strcmp(lines[i - 1], ".TP") == 0 &&
			   strncmp(l, ".B ", 3) == 0) {
			cur = command_find(l + 3, strcspn(l + 3, " "));
		}
		for (size_t k = 0; cur && k < NCMD; k++)
			if (commands[k] == cur) {
				buf_puts(&regions[k], l);
				buf_putc(&regions[k], '\n');
			}
	}
	return unknown;
}

/*
 * Calls fn for each option word in text: "--name" (not inside a word) and
 * "-x" (a single letter after a space, quote or parenthesis, followed by
 * no letter or digit).
 */
static void each_option(const char *text,
			void (*fn)(const char *text, const char *at,
				   const char *name, size_t len, bool shortc,
				   void *arg),
			void *arg)
{
	for (const char *p = text; *p; p++) {
		bool start = p == text || strchr(" \t\n\"(,[|", p[-1]);

		if (!start || p[0] != '-')
			continue;
		if (p[1] == '-' && p[2] >= 'a' && p[2] <= 'z') {
			size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz"
						   "0123456789-");

			while (len && p[2 + len - 1] == '-')
				len--;
			fn(text, p, p + 2, len, false, arg);
			p += 1 + len;
		} else if (((p[1] >= 'a' && p[1] <= 'z') ||
			    (p[1] >= 'A' && p[1] <= 'Z')) &&
			   !strchr("abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=.",
				   p[2] ? p[2] : ' ')) {
			fn(text, p, p + 1, 1, true, arg);
		}
	}
}

struct reverse {
	const struct command *c; /* NULL: the whole page */
	unsigned bad;
};

/* The word before at, when it names a command (run --sign, inspect ...). */
static const struct command *command_before(const char *text, const char *at)
{
	const char *e = at, *s;

	while (e > text && (e[-1] == ' ' || e[-1] == '"'))
		e--;
	s = e;
	while (s > text && s[-1] >= 'a' && s[-1] <= 'z')
		s--;
	return s < e ? command_find(s, (size_t)(e - s)) : NULL;
}

static void check_exists(const char *text, const char *at, const char *name,
			 size_t len, bool shortc, void *arg)
{
	struct reverse *rv = arg;
	const struct command *other;

	/* Every command takes -h and --help (cli/args.c). */
	if (shortc ? name[0] == 'h' : len == 4 && strncmp(name, "help", 4) == 0)
		return;
	if (!shortc && len == 7 && strncmp(name, "version", 7) == 0)
		return;
	if (rv->c) {
		if (option_find(rv->c, name, len, shortc))
			return;
		other = command_before(text, at);
		if (other && option_find(other, name, len, shortc))
			return;
		print_error("man page: %s names %s%.*s, which it does not "
			    "take\n",
			    rv->c->name, shortc ? "-" : "--", (int)len, name);
		rv->bad++;
		return;
	}
	for (size_t i = 0; i < NCMD; i++)
		if (option_find(commands[i], name, len, shortc))
			return;
	print_error("man page names %s%.*s, an option of no command\n",
		    shortc ? "-" : "--", (int)len, name);
	rv->bad++;
}

/* Does text name this option as an option word? */
static bool names_option(const char *text, const char *opt, bool shortc)
{
	size_t len = strlen(opt);

	for (const char *p = text; (p = strstr(p, shortc ? "-" : "--")); p++) {
		const char *w = p + (shortc ? 1 : 2);
		bool start = p == text || strchr(" \t\n\"(,[|", p[-1]);

		if (start && strncmp(w, opt, len) == 0 &&
		    !strchr("abcdefghijklmnopqrstuvwxyz0123456789-",
			    w[len] ? w[len] : ' '))
			return true;
	}
	return false;
}

static void test_options_documented(void **state)
{
	struct buf regions[NCMD], whole;
	struct reverse rv = { 0 };
	size_t n, checked = 0;
	char **lines = man_lines(&n);
	unsigned missing = 0;

	(void)state;
	buf_init(&whole, 0);
	for (size_t i = 0; i < NCMD; i++)
		buf_init(&regions[i], 0);
	missing += command_regions(lines, n, regions);
	for (size_t i = 0; i < n; i++) {
		buf_puts(&whole, lines[i]);
		buf_putc(&whole, '\n');
	}
	for (size_t i = 0; i < NCMD; i++) {
		const struct command *c = commands[i];

		if (!regions[i].len) {
			print_error("man page: no entry for %s\n", c->name);
			missing++;
		}
		for (int t = 0; t < 3; t++)
			for (const struct args_opt *o = c->args->opts[t];
			     o && o->name; o++) {
				char s[2] = { o->shortc, 0 };

				checked++;
				if (!names_option(regions[i].data, o->name,
						  false)) {
					print_error("man page: %s --%s is not "
						    "documented\n",
						    c->name, o->name);
					missing++;
				}
				if (o->shortc &&
				    !(o->flags & ARGS_SHORT_UNLISTED) &&
				    !names_option(regions[i].data, s, true)) {
					print_error("man page: %s -%c is not "
						    "documented\n",
						    c->name, o->shortc);
					missing++;
				}
			}
		rv.c = c;
		each_option(regions[i].data, check_exists, &rv);
	}
	rv.c = NULL;
	each_option(whole.data, check_exists, &rv);
	if (!names_option(whole.data, "help", false) ||
	    !names_option(whole.data, "h", true)) {
		print_error("man page: -h, --help (every command) is not "
			    "documented\n");
		missing++;
	}
	for (size_t i = 0; i < NCMD; i++)
		buf_release(&regions[i]);
	buf_release(&whole);
	lines_free(lines, n);
	assert_true(checked > 60);
	assert_int_equal(missing, 0);
	assert_int_equal(rv.bad, 0);
}

/*
 * The keys a .SS [section] documents: the bold words of each tag line (the
 * line after .TP): ".B key", ".BR key \" (repeatable)\"", ".BR a \", \" b".
 */
static bool tag_has_key(const char *tag, const char *key)
{
	bool alt = strncmp(tag, ".BR ", 4) == 0, bold = true;
	const char *p = tag + (alt ? 4 : 3);

	if (!alt && strncmp(tag, ".B ", 3) != 0)
		return false;
	while (*p) {
		size_t len;
		const char *w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			w = ++p;
			len = strcspn(p, "\"");
			p += len + (p[len] == '"');
		} else {
			w = p;
			len = strcspn(p, " ");
			p += len;
		}
		if (bold && strlen(key) == len && strncmp(w, key, len) == 0)
			return true;
		if (alt)
			bold = !bold;
	}
	return false;
}

/* Each bold word of a tag line that is not a key of sec, reported. */
static unsigned tag_unknown_keys(const struct config_section *sec,
				 const char *tag)
{
	bool alt = strncmp(tag, ".BR ", 4) == 0, bold = true;
	const char *p = tag + (alt ? 4 : 3);
	unsigned bad = 0;

	while (*p) {
		char word[128];
		size_t len;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			len = strcspn(++p, "\"");
			snprintf(word, sizeof(word), "%.*s", (int)len, p);
			p += len + (p[len] == '"');
		} else {
			len = strcspn(p, " ");
			snprintf(word, sizeof(word), "%.*s", (int)len, p);
			p += len;
		}
		/* A key is a bare [a-z0-9_] word; the rest is prose. */
		if (bold && word[0] &&
		    strspn(word, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
			    strlen(word) &&
		    !config_key_find(sec->keys, word)) {
			print_error("man page: [%s] %s is not a key of the "
				    "program\n",
				    sec->name, word);
			bad++;
		}
		if (alt)
			bold = !bold;
	}
	return bad;
}

static void test_keys_documented(void **state)
{
	const struct config_section *schema = config_schema();
	size_t n, nsections = 0, checked = 0;
	char **lines = man_lines(&n);
	unsigned bad = 0;

	(void)state;
	/* Every .SS [name] is a section, and only its keys are tags. */
	for (size_t i = 0; i < n; i++) {
		const struct config_section *sec;
		char name[64];

		if (sscanf(lines[i], ".SS [%63[a-z_]]", name) != 1)
			continue;
		nsections++;
		if (!(sec = config_section_find(schema, name))) {
			print_error("man page: section [%s] does not exist\n",
				    name);
			bad++;
			continue;
		}
		for (size_t j = i + 1; j < n && strncmp(lines[j], ".S", 2); j++)
			if (strcmp(lines[j - 1], ".TP") == 0)
				bad += tag_unknown_keys(sec, lines[j]);
	}
	/* Every key of every section has its tag under its heading. */
	for (const struct config_section *sec = schema; sec->name; sec++) {
		char *head = xasprintf(".SS [%s]", sec->name);
		size_t at = n;

		for (size_t i = 0; i < n && at == n; i++)
			if (strncmp(lines[i], head, strlen(head)) == 0)
				at = i;
		free(head);
		if (at == n) {
			if (sec->keys && sec->keys->name) {
				print_error("man page: no .SS [%s]\n",
					    sec->name);
				bad++;
			}
			continue;
		}
		for (const struct config_key *k = sec->keys; k && k->name;
		     k++) {
			bool found = false;

			checked++;
			for (size_t j = at + 1;
			     j < n && strncmp(lines[j], ".S", 2) && !found; j++)
				found = strcmp(lines[j - 1], ".TP") == 0 &&
					tag_has_key(lines[j], k->name);
			if (!found) {
				print_error("man page: [%s] %s is not "
					    "documented\n",
					    sec->name, k->name);
				bad++;
			}
		}
	}
	lines_free(lines, n);
	assert_true(nsections >= 10);
	assert_true(checked > 100);
	assert_int_equal(bad, 0);
}

/*
 * Options that set a config key: the default `rdiag help` prints beside
 * them and the one the page states are the key table's.
 */
static const struct {
	const struct command *cmd;
	const char *opt, *section, *key;
} option_keys[] = {
	{ &cmd_run_entry, "out", "agent", "out_dir" },
	{ &cmd_run_entry, "timeout", "agent", "timeout" },
	{ &cmd_run_entry, "jobs", "agent", "jobs" },
	{ &cmd_run_entry, "compress", "agent", "compress" },
	{ &cmd_session_entry, "ttl", "session", "ttl" },
	{ &cmd_session_entry, "idle", "session", "idle" },
};

/* The default a text states: "default: X", "default X" or "(X)". */
static char *stated_default(const char *text)
{
	const char *p = strstr(text, "default");
	size_t len;

	if (p) {
		p += 7;
		p += strspn(p, ": ");
	} else if ((p = strrchr(text, '('))) {
		p++;
	} else {
		return NULL;
	}
	/* The one default written in words. */
	if (strncmp(p, "the current directory", 21) == 0)
		return xstrdup(".");
	len = strcspn(p, " ),;\n");
	if (len > 1 && p[len - 1] == '.')
		len--;
	return xstrndup(p, len);
}

static void test_option_defaults(void **state)
{
	const struct config_section *schema = config_schema();
	size_t n, checked = 0;
	char **lines = man_lines(&n);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(option_keys); i++) {
		const struct config_key *k = config_key_find(
			config_section_find(schema, option_keys[i].section)
				->keys,
			option_keys[i].key);
		const struct args_opt *o =
			option_find(option_keys[i].cmd, option_keys[i].opt,
				    strlen(option_keys[i].opt), false);
		char *want, *got, *tag = xasprintf("--%s ", option_keys[i].opt);

		assert_non_null(k);
		assert_non_null(o);
		/* No default in the table ("all", "the host name"): the
		 * text describes it instead. */
		want = k->def ? xstrdup(k->def) : NULL;
		if (want && o->help && strstr(o->help, "default")) {
			got = stated_default(o->help);
			if (strcmp(got, want) != 0)
				fail_msg("rdiag help %s: --%s says default "
					 "'%s', [%s] %s's table '%s'",
					 option_keys[i].cmd->name,
					 option_keys[i].opt, got,
					 option_keys[i].section,
					 option_keys[i].key, want);
			free(got);
			checked++;
		}
		/* On the page: the option's paragraph in OPTIONS OF RUN, or
		 * the parenthesis after it in the COMMANDS entry. */
		for (size_t j = 0; want && j < n; j++) {
			struct buf para;
			const char *at = strstr(lines[j], tag);

			if (!at || strncmp(lines[j], ".BI ", 4) != 0)
				continue;
			buf_init(&para, 0);
			for (size_t m = j + 1;
			     m < n && m < j + 4 && lines[m][0] != '.'; m++) {
				buf_puts(&para, lines[m]);
				buf_putc(&para, ' ');
			}
			if (strstr(para.data, "default") ||
			    (para.data[0] == '(' && !strchr(want, '.'))) {
				got = stated_default(para.data);
				if (strcmp(got, want) != 0)
					fail_msg("man page: --%s says default "
						 "'%s', [%s] %s's table '%s'",
						 option_keys[i].opt, got,
						 option_keys[i].section,
						 option_keys[i].key, want);
				free(got);
				checked++;
			}
			buf_release(&para);
		}
		free(want);
		free(tag);
	}
	lines_free(lines, n);
	assert_true(checked >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_documented),
		cmocka_unit_test(test_keys_documented),
		cmocka_unit_test(test_option_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
