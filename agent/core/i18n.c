/*
 * The customer's language at display time (see i18n.h). A finding's title
 * or a stored error reaches the terminal already formatted, in English, as
 * the bundle keeps it. i18n_display() finds the marked format it came from
 * by matching the text against each format (literal bytes must match; each
 * conversion captures the text printf put there), takes the format's
 * translation from the catalog and puts the captured values into it, by
 * position when the translator reordered them (%2$s). No printf runs on a
 * translated format here, so a bad catalog cannot misread arguments.
 */
#include <locale.h>
#ifndef _WIN32
/* rdiag.exe has no catalogs and no customer's locale (docs/windows.md). */
#include <langinfo.h>
#include <regex.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "rdiag/util.h"

#define I18N_MAX_CAPS 16
/* Matching steps per format: titles are short, formats have few %s. */
#define I18N_MAX_STEPS 20000

struct conv {
	size_t len; /* bytes of the specification, '%' included */
	int pos;    /* n of "%n$", or 0 */
	char conv;  /* the conversion character */
	bool width; /* a width was given (numbers may be space-padded) */
};

struct capture {
	const char *p;
	size_t len;
};

struct match {
	struct capture caps[I18N_MAX_CAPS];
	size_t n;
	unsigned steps;
};

/* The customer's locale, used only while a translation is looked up. */
static locale_t i18n_locale = (locale_t)0;

void i18n_init(void)
{
	const char *dir = getenv("RDIAG_LOCALEDIR");

	/*
	 * The process keeps the "C" locale: strerror() would speak German
	 * into records and --json, glob() would sort by the customer's
	 * collation, printf("%.1f") write "1,5", libarchive convert names.
	 * Only the lookups below run in the customer's locale (uselocale()).
	 */
#ifndef _WIN32 /* rdiag.exe never makes one */
	if (i18n_locale != (locale_t)0) {
		freelocale(i18n_locale);
		i18n_locale = (locale_t)0;
	}
#endif
	if (setlocale(LC_ALL, "")) {
		i18n_locale = duplocale(LC_GLOBAL_LOCALE);
		setlocale(LC_ALL, "C");
	}
	bindtextdomain("rdiag", dir && *dir ? dir : RDIAG_LOCALEDIR);
	bind_textdomain_codeset("rdiag", "UTF-8");
	textdomain("rdiag");
}

const char *i18n_gettext(const char *msgid)
{
	locale_t old;
	const char *t;

	if (i18n_locale == (locale_t)0)
		return msgid;
	old = uselocale(i18n_locale);
	t = gettext(msgid);
	uselocale(old);
	return t;
}

const char *i18n_ngettext(const char *msgid, const char *plural,
			  unsigned long n)
{
	locale_t old;
	const char *t;

	if (i18n_locale == (locale_t)0)
		return n == 1 ? msgid : plural;
	old = uselocale(i18n_locale);
	t = ngettext(msgid, plural, n);
	uselocale(old);
	return t;
}

bool i18n_yes_local(const char *answer)
{
#ifdef _WIN32
	(void)answer;
	return false;
#else
	char line[64];
	regex_t re;
	locale_t old;
	bool yes = false;

	if (i18n_locale == (locale_t)0)
		return false;
	snprintf(line, sizeof(line), "%s", answer);
	line[strcspn(line, "\r\n")] = '\0';
	/* In the customer's locale, so "[дД]" is two characters, not four
	 * bytes of which "нет" would begin with one. */
	old = uselocale(i18n_locale);
	if (regcomp(&re, nl_langinfo_l(YESEXPR, i18n_locale),
		    REG_EXTENDED | REG_NOSUB) == 0) {
		yes = line[0] != '\0' && regexec(&re, line, 0, NULL, 0) == 0;
		regfree(&re);
	}
	uselocale(old);
	return yes;
#endif
}

/* Parse the conversion at f (f[0] == '%'); false if it is not one. */
static bool conv_parse(const char *f, struct conv *ret)
{
	const char *p = f + 1, *q;
	struct conv c = { 0 };

	q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q > p && *q == '$') {
		c.pos = atoi(p);
		p = q + 1;
	}
	while (*p && strchr("-+ #0'", *p))
		p++;
	if (*p == '*' || (*p >= '1' && *p <= '9'))
		c.width = true;
	while (*p == '*' || (*p >= '0' && *p <= '9'))
		p++;
	if (*p == '.') {
		p++;
		while (*p == '*' || (*p >= '0' && *p <= '9'))
			p++;
	}
	while (*p && strchr("hlLqjzt", *p))
		p++;
	if (!*p || !strchr("diouxXeEfFgGaAcsp%", *p))
		return false;
	c.conv = *p;
	c.len = (size_t)(p - f) + 1;
	*ret = c;
	return true;
}

static bool in_class(char conv, char ch)
{
	switch (conv) {
	case 'd':
	case 'i':
	case 'u':
		return ch >= '0' && ch <= '9';
	case 'o':
		return ch >= '0' && ch <= '7';
	case 'x':
	case 'X':
	case 'p':
		return (ch >= '0' && ch <= '9') || strchr("abcdefABCDEFx", ch);
	default: /* floating point, as printf writes it */
		return ch && strchr("0123456789.-+eEinfaINFA", ch);
	}
}

static bool match_at(struct match *m, const char *f, const char *s);

/* Try the capture [s, s + len) for conversion c, then the rest. */
static bool match_capture(struct match *m, const char *rest, const char *s,
			  size_t len)
{
	if (m->n >= I18N_MAX_CAPS)
		return false;
	m->caps[m->n].p = s;
	m->caps[m->n].len = len;
	m->n++;
	if (match_at(m, rest, s + len))
		return true;
	m->n--;
	return false;
}

static bool match_at(struct match *m, const char *f, const char *s)
{
	struct conv c;

	for (;;) {
		if (++m->steps > I18N_MAX_STEPS)
			return false;
		if (*f == '\0')
			return *s == '\0';
		if (*f != '%') {
			if (*f != *s)
				return false;
			f++, s++;
			continue;
		}
		if (!conv_parse(f, &c))
			return false;
		if (c.conv == '%') {
			if (*s != '%')
				return false;
			f += c.len, s++;
			continue;
		}
		break;
	}
	if (c.conv == 's') {
		/* Shortest first: the literal text after it decides. */
		for (size_t n = 0;; n++) {
			if (match_capture(m, f + c.len, s, n))
				return true;
			if (s[n] == '\0' || m->steps > I18N_MAX_STEPS)
				return false;
		}
	}
	if (c.conv == 'c') {
		size_t n = 1;

		if (*s == '\0')
			return false;
		while (((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
		return match_capture(m, f + c.len, s, n);
	}
	{
		size_t start = 0, n;

		if (c.width)
			while (s[start] == ' ')
				start++;
		n = start;
		if (strchr("di", c.conv) && s[n] == '-')
			n++;
		if (c.conv == 'p' && strncmp(s + n, "(nil)", 5) == 0)
			return match_capture(m, f + c.len, s, n + 5);
		while (in_class(c.conv, s[n]))
			n++;
		/* Longest first, as printf wrote all of its digits. */
		for (; n > start; n--)
			if (match_capture(m, f + c.len, s, n))
				return true;
		return false;
	}
}

/* Literal bytes of a format: more of them makes a match more certain. */
static size_t format_literals(const char *f, size_t *ret_convs)
{
	size_t lit = 0, convs = 0;
	struct conv c;

	while (*f) {
		if (*f == '%' && conv_parse(f, &c)) {
			lit += c.conv == '%';
			convs += c.conv != '%';
			f += c.len;
		} else {
			lit++;
			f++;
		}
	}
	*ret_convs = convs;
	return lit;
}

static bool catalog_loaded(void)
{
	/* The header entry is the translation of "" when a catalog is in
	 * use: without one, nothing is to be matched. */
	const char *h = i18n_gettext("");

	return h && *h;
}

/* Append [p, p + n) to buf at *at; false when it does not fit. */
static bool put(char *buf, size_t len, size_t *at, const char *p, size_t n)
{
	if (*at + n >= len)
		return false;
	memcpy(buf + *at, p, n);
	*at += n;
	buf[*at] = '\0';
	return true;
}

static const char *display(const char *english, char *buf, size_t len,
			   int depth);

/*
 * A captured phrase may itself be marked text ("nearly full"), or an error
 * formatted from a marked format ("inspect: %s" around a stored error).
 * Single words are left alone: a path or a name is not to be translated.
 */
static bool put_capture(char *buf, size_t len, size_t *at,
			const struct capture *cap, char conv, int depth)
{
	if (conv == 's' && depth < 2 && cap->len > 0 &&
	    memchr(cap->p, ' ', cap->len)) {
		char *word = xstrndup(cap->p, cap->len);
		char *tbuf = xmalloc(len);
		const char *t = display(word, tbuf, len, depth + 1);
		bool ok = put(buf, len, at, t, strlen(t));

		free(tbuf);
		free(word);
		return ok;
	}
	return put(buf, len, at, cap->p, cap->len);
}

static bool fill(const char *tr, const struct match *m, char *buf, size_t len,
		 int depth)
{
	size_t at = 0, next = 0;
	struct conv c;

	buf[0] = '\0';
	while (*tr) {
		size_t idx;

		if (*tr != '%' || !conv_parse(tr, &c)) {
			if (!put(buf, len, &at, tr, 1))
				return false;
			tr++;
			continue;
		}
		tr += c.len;
		if (c.conv == '%') {
			if (!put(buf, len, &at, "%", 1))
				return false;
			continue;
		}
		idx = c.pos > 0 ? (size_t)c.pos - 1 : next++;
		if (idx >= m->n ||
		    !put_capture(buf, len, &at, &m->caps[idx], c.conv, depth))
			return false;
	}
	return true;
}

/*
 * The marked format english was printed from: of those it matches, the one
 * with the most literal text. "%s" or "%s: %s" would match anything, so a
 * format needs 6 literal bytes to count.
 */
static const char *best_format(const char *english, struct match *ret_m)
{
	const char *best = NULL;
	size_t best_lit = 0;
	struct match m;

	for (const char *const *f = i18n_formats; *f; f++) {
		size_t convs, lit = format_literals(*f, &convs);

		if (convs == 0 || lit < 6 || lit <= best_lit)
			continue;
		memset(&m, 0, sizeof(m));
		if (!match_at(&m, *f, english))
			continue;
		best = *f;
		best_lit = lit;
		*ret_m = m;
	}
	return best;
}

const char *i18n_format_of(const char *english)
{
	struct match m;

	return best_format(english, &m);
}

static const char *display(const char *english, char *buf, size_t len,
			   int depth)
{
	const char *best, *t;
	struct match best_m;

	if (!english || !*english || len == 0 || !catalog_loaded())
		return english;
	t = i18n_gettext(english);
	if (t != english) {
		if (strlen(t) >= len)
			return english;
		memcpy(buf, t, strlen(t) + 1);
		return buf;
	}
	best = best_format(english, &best_m);
	if (!best || i18n_gettext(best) == best ||
	    !fill(i18n_gettext(best), &best_m, buf, len, depth))
		return english;
	return buf;
}

bool i18n_refill(const char *fmt, const char *english, const char *tr,
		 char *buf, size_t len)
{
	struct match m;

	if (len == 0)
		return false;
	memset(&m, 0, sizeof(m));
	/* depth 2: no catalog lookups for the captured values */
	return match_at(&m, fmt, english) && fill(tr, &m, buf, len, 2);
}

const char *i18n_display(const char *english, char *buf, size_t len)
{
	return display(english, buf, len, 0);
}

char *i18n_display_dup(const char *english)
{
	char buf[4096];

	if (!english)
		return NULL;
	return xstrdup(i18n_display(english, buf, sizeof(buf)));
}
