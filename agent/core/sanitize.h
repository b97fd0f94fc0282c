/*
 * The one path for untrusted text on its way to a terminal, a log or an
 * HTML page: a string that came from a bundle, a request token, a server
 * or a remote peer (an engineer's command) goes through sanitize_text()
 * before anything shows it. What a terminal would interpret (C0 and C1
 * controls, ESC, DEL) and what would make it display something else than
 * the bytes say (invalid UTF-8, bidirectional overrides and isolates,
 * zero-width characters, line and paragraph separators) is replaced by a
 * visible '?'. Tabs and newlines survive only when asked for.
 */
#ifndef RDIAG_SANITIZE_H
#define RDIAG_SANITIZE_H

#include <jansson.h>
#include <stdbool.h>

/* A new sanitised copy of s (caller frees). */
char *sanitize_text(const char *s, bool keep_lines);

/* Is s free of everything sanitize_text() would replace (lines too)? */
bool sanitize_is_clean(const char *s);

/*
 * Sanitise every string and every object key of j in place (a key that
 * collides with another after sanitising is dropped). For untrusted JSON
 * documents: read once, sanitise once, then every printer downstream sees
 * only tame text. In place because a hostile document may be large.
 */
void sanitize_json(json_t *j);

#endif
