/*
 * The verdict: what the customer reads at the end of `rdiag run` (and
 * report.txt in the bundle), the --json object, and the exit code. Findings
 * that need action are grouped by who can act on them.
 */
#ifndef RDIAG_REPORT_H
#define RDIAG_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/runner.h"

struct verdict {
	const struct collector_result *results;
	size_t n;
	json_t *findings;        /* every finding, each with "collector" */
	const char *bundle_path; /* NULL when no bundle was written */
	uint64_t bundle_size;
	const char *sha256;
	const char *host;
	const char *ticket; /* may be NULL */
};

/* 0 nothing worse than info, 1 warnings, 2 failures. */
int verdict_exit_code(const struct verdict *v);

/*
 * The human verdict. colour: ANSI colours (only on a TTY without NO_COLOR).
 * full: also list info findings and every passed check (for report.txt).
 */
void report_text(FILE *f, const struct verdict *v, bool colour, bool full);

/* The --json object, a stable interface documented in rdiag(1). */
json_t *report_json(const struct verdict *v);

/* The audience label for a support level: "you", "the vendor's support"... */
const char *report_audience(int level);

#endif
