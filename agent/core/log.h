/*
 * rdiag's own log. Every line goes to the run's rdiag.log (which enters the
 * bundle through the redaction pass like any text) and, with --verbose, to
 * stderr after being scrubbed by the redactor. Collectors never log here:
 * they send "log" records, which the agent writes through this module.
 */
#ifndef RDIAG_LOG_H
#define RDIAG_LOG_H

#include <stdbool.h>

#include "rdiag/util.h"

struct redactor;

/* Start writing to path (0600, created); 0 or a negative errno. */
int log_open(const char *path);
void log_close(void);
/*
 * With red (borrowed), every line is redacted before it is written (and
 * counted in red once); with verbose, it is echoed to stderr as well.
 */
void log_set_verbose(bool verbose, struct redactor *red);

void log_msg(const char *fmt, ...) RDIAG_PRINTF(1, 2);

#endif
