/*
 * SQL Server Browser (MC-SQLR), UDP 1434: which instances a host runs and
 * on which TCP port each listens. The parser is pure; browser_query() is
 * the thin I/O over a connected UDP socket.
 */
#ifndef RDIAG_PROBES_BROWSER_H
#define RDIAG_PROBES_BROWSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BROWSER_PORT          1434
#define BROWSER_MAX_INSTANCES 32
#define BROWSER_REPLY_MAX     (65535 + 3)

struct browser_instance {
	char server[64];
	char instance[64];
	char version[32];
	bool clustered;
	unsigned tcp_port; /* 0 when TCP is not enabled */
	char np[128];      /* named pipe, or "" */
};

struct browser_reply {
	size_t n;
	struct browser_instance v[BROWSER_MAX_INSTANCES];
	bool truncated; /* more instances than we keep */
};

/*
 * Build a request into out (at least 34 bytes): CLNT_UCAST_INST (0x04) for
 * a named instance, CLNT_UCAST_EX (0x03) when instance is NULL or "".
 * Returns its length, or -EINVAL for an instance name over 32 bytes.
 */
int browser_request_build(const char *instance, uint8_t *out, size_t max);

/* Parse an SVR_RESP (0x05): 0, -EBADMSG. Incomplete input is malformed. */
int browser_reply_parse(const uint8_t *p, size_t n, struct browser_reply *ret);

/* The instance named name (case-insensitive ASCII), or NULL. */
const struct browser_instance *browser_reply_find(const struct browser_reply *r,
						  const char *name);

/* Ask sa (port included) about instance; see net_udp_exchange() for rc. */
int browser_query(const struct sockaddr *sa, socklen_t salen,
		  const char *instance, int64_t deadline_ms,
		  struct browser_reply *ret);

#endif
