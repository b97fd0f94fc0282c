/*
 * The generic redaction pass every text file goes through on its way into a
 * bundle (and every line of rdiag's own log). It replaces secret values with
 * "[REDACTED:<rule>]" and counts, per rule, how often each rule fired; the
 * values themselves are never kept anywhere. Binary files pass unaltered.
 */
#ifndef RDIAG_REDACT_H
#define RDIAG_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdiag/buf.h"

struct redactor;

/* A new redactor with all counts at zero. */
struct redactor *redactor_new(void);
void redactor_free(struct redactor *r);

/* Number of rules, and the stable name of rule i (e.g. "url-userinfo"). */
size_t redact_rule_count(void);
const char *redact_rule_name(size_t i);
/* How often rule i fired in everything this redactor has seen. */
uint64_t redactor_count(const struct redactor *r, size_t i);

/*
 * Files whose secrets have no key in front of them, known by their names:
 * .pgpass (host:port:db:user:password), .netrc (machine h login u
 * password p) and Postfix's sasl_passwd ([host]:port user:password).
 */
enum redact_format {
	REDACT_TEXT,
	REDACT_PGPASS,
	REDACT_NETRC,
	REDACT_SASL_PASSWD,
};

/* The format a file's name (a path is fine) says it has. */
enum redact_format redact_format_of(const char *name);
/* For the next redact_fd()/redact_buf() calls; REDACT_TEXT is the default. */
void redactor_set_format(struct redactor *r, enum redact_format f);

/*
 * Call progress(arg) once per 64 KiB chunk while redact_fd() works (NULL:
 * stop), so a caller can show that a large file is still moving.
 */
void redactor_set_progress(struct redactor *r, void (*progress)(void *arg),
			   void *arg);

struct obfuscator;
/*
 * With --obfuscate: every text this redactor outputs also gets the
 * obfuscator's pseudonyms (see core/obfuscate.h). ob is borrowed and must
 * outlive the redactor's use; NULL turns it off.
 */
void redactor_set_obfuscator(struct redactor *r, struct obfuscator *ob);

/*
 * Redact one text stream from in_fd to out_fd, line by line, in bounded
 * memory (very long lines are handled in pieces). State such as "inside a
 * PEM private key block" carries across lines of the same stream. Returns 0
 * or a negative errno from read/write.
 */
int redact_fd(struct redactor *r, int in_fd, int out_fd);

/*
 * Redact a whole in-memory text (one or more lines) into out (appended).
 * Returns 0 or -ENOBUFS when out's maximum was reached.
 */
int redact_buf(struct redactor *r, const char *text, size_t len,
	       struct buf *out);

#endif
