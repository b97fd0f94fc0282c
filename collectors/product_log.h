/*
 * The pure parts of the product collector's log handling, private to
 * collectors/product*.c and its unit test: recognising a line's leading
 * timestamp for --since, deciding which lines fall into the window, matching
 * error patterns and cutting a safe excerpt of a line for a finding. Nothing
 * here does I/O.
 */
#ifndef RDIAG_PRODUCT_LOG_H
#define RDIAG_PRODUCT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Parse the timestamp a log line starts with (an optional '[' is skipped):
 *   ISO 8601  YYYY-MM-DD[T ]HH:MM:SS[(.|,)fraction][Z|(+|-)HH[:]MM]
 *             local time unless a zone is given
 *   syslog    Mon dd HH:MM:SS (dd space- or zero-padded), local time in the
 *             year of now; a result more than a day after now is taken
 *             from the year before (a December line read in January)
 * Returns 0 and writes *ret; -EINVAL when the line has no such timestamp
 * (*ret untouched). len bounds the read; line need not be NUL-terminated.
 */
int product_log_parse_time(const char *line, size_t len, time_t now,
			   time_t *ret);

/*
 * The --since decision, line by line. A line with a recognisable timestamp
 * is kept when it is at or after since; a line without one (a stack trace,
 * a continuation) follows the decision of the line before it. Lines before
 * the first timestamp are kept: nothing says they are old. since == 0 keeps
 * everything.
 */
struct product_log_filter {
	time_t since;
	time_t now;
	bool keep; /* the previous line's decision */
};

void product_log_filter_init(struct product_log_filter *f, time_t since,
			     time_t now);
/* Decide for the line at line[0..len); returns whether to keep it. */
bool product_log_filter_line(struct product_log_filter *f, const char *line,
			     size_t len);

/*
 * Error patterns: plain text (not regular expressions), each searched as a
 * case-insensitive substring of a line. Case folds by Unicode, not only
 * ASCII ("ошибка" finds "ОШИБКА", "fehler" finds "FEHLER"), with PCRE2 in
 * UTF mode (PCRE2_LITERAL | PCRE2_CASELESS, JIT-compiled); lines need not
 * be valid UTF-8 (an invalid byte matches nothing). Empty patterns never
 * match.
 */
struct product_log_matcher;

/*
 * Compile patterns[0..n). A pattern PCRE2 refuses (not valid UTF-8) is left
 * out and its index written to *ret_bad (when ret_bad is not NULL; -1 when
 * all compiled). Never NULL.
 */
struct product_log_matcher *product_log_matcher_new(const char *const *patterns,
						    size_t n, int *ret_bad);
void product_log_matcher_free(struct product_log_matcher *m);

/* The index of the first pattern found in line[0..len), or -1. */
int product_log_match(const struct product_log_matcher *m, const char *line,
		      size_t len);

/*
 * Copy at most outlen - 1 bytes of line[0..len) into out as a printable,
 * valid UTF-8 string: the line ending is dropped, control characters become
 * spaces, bytes that are not valid UTF-8 become '?', and a multi-byte
 * character is never cut in half. outlen must be at least 1.
 */
void product_log_excerpt(const char *line, size_t len, char *out,
			 size_t outlen);

#endif
