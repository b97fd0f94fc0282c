/*
 * clamd probe: PING and VERSION over clamd's local (unix) or TCP socket,
 * using the NUL-terminated z-commands. The reply parsers are pure (bytes
 * in, struct out) and take any bytes; clamd_probe() is the thin I/O with
 * one absolute deadline.
 */
#ifndef RDIAG_PROBES_CLAMD_H
#define RDIAG_PROBES_CLAMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest reply the probe reads; clamd's answers are a line. */
#define CLAMD_REPLY_MAX 1024

/* "PONG\0": 0; -EAGAIN before the NUL; -EBADMSG for anything else. */
int clamd_ping_parse(const uint8_t *p, size_t n);

struct clamd_version {
	char engine[32];     /* "1.4.6" */
	bool has_db;         /* official signatures loaded */
	uint32_t db_version; /* e.g. 27431, 0 without has_db */
	char db_date[40];    /* as clamd prints it */
	int64_t db_time;     /* that date as UTC epoch seconds, 0 if unknown */
};

/*
 * Parse "ClamAV ENGINE[/DBVERSION/DATE]" up to its NUL (or end of the
 * bytes at EOF: pass eof = true). Returns 0, -EAGAIN when more is needed,
 * -EBADMSG when it is not a clamd version line.
 */
int clamd_version_parse(const uint8_t *p, size_t n, bool eof,
			struct clamd_version *ret);

/* Where clamd listens: a unix socket path, or a TCP host and port. */
struct clamd_target {
	char unix_path[108];
	char host[64];
	char port[8];
};

struct clamd_probe_result {
	int ping_rc; /* 0 PONG, or -ECONNREFUSED, -ENOENT, -ETIMEDOUT, ... */
	int version_rc;
	struct clamd_version version;
	char reply[128]; /* what came instead of PONG, printable */
};

/*
 * PING then VERSION (one connection each, as clamd closes after a
 * command), all before deadline_ms. Always fills *ret; returns 0, or
 * -EINVAL for a target that names neither a socket nor a port.
 */
int clamd_probe(const struct clamd_target *t, int64_t deadline_ms,
		struct clamd_probe_result *ret);

#endif
