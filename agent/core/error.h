/*
 * How rdiag reports a problem to the person at the terminal: one line on
 * stderr, git style ("rdiag: cannot open 'x'"), so a support engineer can
 * quote it. In core because library code (a request run, the installed
 * agent, a session, a ticket) reports through it as well as the commands.
 */
#ifndef RDIAG_ERROR_H
#define RDIAG_ERROR_H

#include <stdarg.h>

#include "rdiag/util.h"

/* Print "rdiag: <message>" and a newline to stderr (no trailing period). */
void error_msg(const char *fmt, ...) RDIAG_PRINTF(1, 2);
void error_vmsg(const char *fmt, va_list ap) RDIAG_PRINTF(1, 0);

/*
 * error_msg() followed by " (see 'rdiag help CMD')" (or 'rdiag help' when
 * cmd is NULL) on the same line. Returns EXIT_USAGE.
 */
int error_usage(const char *cmd, const char *fmt, ...) RDIAG_PRINTF(2, 3);

#endif
