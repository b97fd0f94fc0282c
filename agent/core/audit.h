/*
 * The append-only JSON-lines audit logs (DIR/audit.jsonl) of the request
 * agent and of support sessions. Private to agent/.
 */
#ifndef RDIAG_AUDIT_H
#define RDIAG_AUDIT_H

#include <stddef.h>

#define AUDIT_FILE "audit.jsonl"

/*
 * Open DIR/audit.jsonl for appending, creating it 0600 and never through
 * a symlink. The directory must exist. 0 and the descriptor in *ret_fd,
 * or -errno.
 */
int audit_open(const char *dir, int *ret_fd);

/*
 * Append one record (line ends in '\n') in a single write(), so that
 * processes sharing the log through O_APPEND never split each other's
 * records. 0 or -errno.
 */
int audit_append(int fd, const char *line, size_t len);

#endif
