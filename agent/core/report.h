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

#include "core/exitcode.h"
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

/*
 * 0 nothing worse than info, 1 warnings (or records a collector sent were
 * dropped, so the verdict may be incomplete), 2 failures, 3 nothing was
 * checked (every collector skipped; UNKNOWN, as monitoring plugins say).
 */
int verdict_exit_code(const struct verdict *v);

/* True when there were collectors and every one of them was skipped. */
bool verdict_nothing_checked(const struct verdict *v);
/* Collectors whose records were rejected or cut off by the agent. */
size_t verdict_dropped(const struct verdict *v);

/*
 * The line that stands for the whole verdict when no problem was found
 * ("No problems found." or why that cannot be said), or NULL when there
 * are problems to list.
 */
const char *report_headline(const struct verdict *v);

/*
 * What the agent dropped of r's records ("3 records rejected as invalid"),
 * into buf; returns buf, or NULL when nothing was dropped.
 */
const char *report_dropped_text(const struct collector_result *r, char *buf,
				size_t len);

/*
 * How a collector's line in the progress list reads: its problems
 * ("2 problems", "1 warning") or dropped records when it ran, else its
 * status ("ok", "skipped", "timeout"...). Terminal text: in the customer's
 * language, but for the status names.
 */
const char *report_collector_label(const struct collector_result *r, char *buf,
				   size_t len);

/*
 * The human verdict. colour: ANSI colours (only on a TTY without NO_COLOR).
 * full: also list info findings and every passed check (for report.txt).
 */
void report_text(FILE *f, const struct verdict *v, bool colour, bool full);
/*
 * The same in the customer's language (the locale's catalog): for the
 * terminal only. Finding titles and hints are translated as they are shown;
 * report_text() stays English for bundles, tickets and exports.
 */
void report_text_local(FILE *f, const struct verdict *v, bool colour,
		       bool full);

/* The --json object, a stable interface documented in rdiag(1). */
json_t *report_json(const struct verdict *v);

/* The audience label for a support level: "you", "the vendor's support"... */
const char *report_audience(int level);

#endif
