/*
 * The customer's language (gettext, text domain "rdiag"). Everything rdiag
 * stores or ships stays English: records, bundles, findings.json, --json,
 * ticket notes. Translation happens only where a person reads the terminal:
 * _() on the program's own messages, and i18n_display() on English text
 * that was formatted earlier (a finding's title or hint, a stored error),
 * which finds the format it came from and formats the translation with the
 * same values.
 */
#ifndef RDIAG_I18N_H
#define RDIAG_I18N_H

#include <stdbool.h>
#include <stddef.h>
#ifdef RDIAG_NLS
#include <libintl.h>
#else
/* A build without gettext shows the English it stores. */
#define gettext(s)                    (s)
#define ngettext(s, p, n)             ((n) == 1 ? (s) : (p))
#define bindtextdomain(d, p)          (p)
#define bind_textdomain_codeset(d, c) (c)
#define textdomain(d)                 (d)
#endif

#include "rdiag/i18n.h"

#define _(s) i18n_gettext(s)

#if defined(__GNUC__)
#define RDIAG_FORMAT_ARG(n) __attribute__((format_arg(n)))
#else
#define RDIAG_FORMAT_ARG(n)
#endif

/*
 * Take the customer's locale from the environment (setlocale(LC_ALL, ""))
 * for translations only, and bind the "rdiag" domain to LOCALEDIR, or to
 * $RDIAG_LOCALEDIR when set (tests, an uninstalled build). The process
 * itself goes on in the "C" locale, so what rdiag stores (strerror() text,
 * numbers, sort orders) never depends on who ran it. Call once, first
 * thing in main().
 */
void i18n_init(void);

/* gettext() and ngettext() in the customer's locale; for the terminal. */
const char *i18n_gettext(const char *msgid) RDIAG_FORMAT_ARG(1);
const char *i18n_ngettext(const char *msgid, const char *plural,
			  unsigned long n) RDIAG_FORMAT_ARG(1)
	RDIAG_FORMAT_ARG(2);

/*
 * Whether a line typed at a [y/N] prompt says yes in the customer's
 * language (the locale's YESEXPR: "j" in German, "д" in Russian). The
 * callers accept English y/yes as before; this adds the local word.
 */
bool i18n_yes_local(const char *answer);

/*
 * The translation of english, which was printf-formatted from a marked
 * format string (or is a marked string itself), into buf; returns buf, or
 * english itself when there is no translation (or no room in buf).
 */
const char *i18n_display(const char *english, char *buf, size_t len);

/*
 * The same, for a possibly NULL string; allocates. The caller frees the
 * result, which is never english itself (NULL stays NULL).
 */
char *i18n_display_dup(const char *english);

/*
 * The matching step alone, for tests: if english is what printf made of
 * fmt, write tr with the same values (by position for "%2$s") into buf and
 * return true; false when english does not come from fmt, tr names an
 * argument fmt has not, or buf is too small.
 */
bool i18n_refill(const char *fmt, const char *english, const char *tr,
		 char *buf, size_t len);

/* The marked format i18n_display() takes english for, or NULL. */
const char *i18n_format_of(const char *english);

/* The formats i18n_display() knows (generated from po/rdiag.pot). */
extern const char *const i18n_formats[];

#endif
