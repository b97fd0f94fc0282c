/*
 * How rdiag reports a problem: to the person at the terminal, one line on
 * stderr, git style ("rdiag: cannot open 'x'"), so a support engineer can
 * quote it; between functions, a message handed up in a char ** beside the
 * negative errno. In core because library code (a request run, the
 * installed agent, a session, a ticket) reports through it as well as the
 * commands.
 */
#ifndef RDIAG_ERROR_H
#define RDIAG_ERROR_H

#include <stdarg.h>

#include "rdiag/util.h"

/* Print "rdiag: <message>" and a newline to stderr (no trailing period). */
void error_msg(const char *fmt, ...) RDIAG_PRINTF(1, 2);
void error_vmsg(const char *fmt, va_list ap) RDIAG_PRINTF(1, 0);

/*
 * While *slot is given, the first message error_msg() prints (in English,
 * as --json keeps it) is also kept there, for a caller that must report
 * it in its own output; NULL stops keeping. The caller frees *slot.
 */
void error_keep_first(char **slot);

/*
 * error_msg() followed by " (see 'rdiag help CMD')" (or 'rdiag help' when
 * cmd is NULL) on the same line. Returns EXIT_USAGE.
 */
int error_usage(const char *cmd, const char *fmt, ...) RDIAG_PRINTF(2, 3);

/*
 * Set *ret_err to a newly allocated message (the caller frees it) unless it
 * already holds one: the first error wins, so the cause a low-level call
 * reported is not hidden by a vaguer one from a caller on the way out.
 * ret_err may be NULL (the caller wants no message). Returns r, so that
 * `return error_set(ret_err, -EINVAL, "bad '%s'", s);` reads as one step.
 */
int error_set(char **ret_err, int r, const char *fmt, ...) RDIAG_PRINTF(3, 4);
int error_vset(char **ret_err, int r, const char *fmt, va_list ap)
	RDIAG_PRINTF(3, 0);

#endif
