/*
 * The self-contained HTML report of a verified bundle (`rdiag inspect
 * --html`): one file with inline CSS only — no script, no remote resource,
 * no image — every string from the bundle escaped. It reads on a phone
 * (viewport meta, one column) and printed (@media print).
 */
#ifndef RDIAG_HTML_H
#define RDIAG_HTML_H

#include "rdiag/buf.h"
#include "review/review.h"

/* Append s to b with & < > " ' escaped and controls dropped. */
void html_escape(struct buf *b, const char *s);

/* Render the report of r into b (appended). */
void html_render(struct review *r, struct buf *b);

/*
 * Write the report to path (created 0644 or truncated; never through a
 * symbolic link). 0 or a negative errno with a message in *ret_err.
 */
int html_write(struct review *r, const char *path, bool force, char **ret_err);

#endif
