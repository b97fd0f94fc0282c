/*
 * rdiag's own INI reader. Debian builds inih with a 200-byte stack line
 * buffer and no heap (INI_MAX_LINE 200, INI_ALLOW_REALLOC 0), so a long
 * aws_session_token or glob was split into two lines or reported as a
 * syntax error on a line that does not exist. This reader keeps inih's
 * syntax (the one rdiag documents) and reads lines of any length up to
 * INI_READER_MAX_LINE, refusing longer ones with their real line number.
 */
#ifndef RDIAG_INI_READER_H
#define RDIAG_INI_READER_H

#include <stdio.h>

/* The longest line accepted, newline excluded (docs/rdiag.1, FILES). */
#define INI_READER_MAX_LINE 65536

/*
 * Called for each name = value, with the number (from 1) of the line the
 * value stands on; returns nonzero to go on, 0 on an error.
 */
typedef int (*ini_reader_fn)(void *user, const char *section, const char *name,
			     const char *value, int line);

/*
 * Read f to the end or the first problem. 0 when every line was read and
 * accepted; the line number (from 1) of the first problem otherwise, with
 * *ret_why describing it (a static string, or NULL when fn refused the
 * entry or for a plain syntax error); -errno when f cannot be read.
 */
int ini_reader_parse(FILE *f, ini_reader_fn fn, void *user,
		     const char **ret_why);

#endif
