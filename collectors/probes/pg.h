/*
 * PostgreSQL wire probe (protocol 3.0): what a server answers, before any
 * password, to an SSLRequest and a StartupMessage. The parsers are pure
 * (bytes in, struct out) and take any bytes; pg_probe() is the thin I/O.
 */
#ifndef RDIAG_PROBES_PG_H
#define RDIAG_PROBES_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/net.h"
#include "probes/tls.h"
#include "rdiag/buf.h"

/* Largest backend message the probe accepts before calling it hostile. */
#define PG_MSG_MAX (64 * 1024)

/* AuthenticationRequest codes. */
enum {
	PG_AUTH_OK = 0,
	PG_AUTH_KERBEROS_V5 = 2,
	PG_AUTH_CLEARTEXT = 3,
	PG_AUTH_MD5 = 5,
	PG_AUTH_GSS = 7,
	PG_AUTH_SSPI = 9,
	PG_AUTH_SASL = 10,
};

enum pg_ssl_answer {
	PG_SSL_ACCEPTED = 'S',
	PG_SSL_REFUSED = 'N',
	PG_SSL_ERROR = 'E', /* pre-7.0 servers answer with an error */
};

enum pg_reply_kind {
	PG_REPLY_AUTH = 1, /* an AuthenticationRequest; see auth */
	PG_REPLY_ERROR,    /* an ErrorResponse; see sqlstate, message */
};

struct pg_reply {
	enum pg_reply_kind kind;
	uint32_t auth;        /* PG_AUTH_* (the first request seen) */
	bool auth_ok;         /* AuthenticationOk seen (trust) */
	bool ready;           /* ReadyForQuery seen */
	char mechanisms[128]; /* SASL mechanisms, comma-separated */
	char severity[16];    /* non-localised when the server sent it */
	char sqlstate[8];
	char message[256];
	char detail[256];
	char hint[256];
	char server_version[64];  /* ParameterStatus, after trust only */
	char server_encoding[32]; /* idem */
};

/* The one-byte answer to an SSLRequest: 0, -EAGAIN (empty), -EBADMSG. */
int pg_ssl_reply_parse(const uint8_t *p, size_t n, enum pg_ssl_answer *ret);

/*
 * Parse the backend's answer to a StartupMessage from the start of p.
 * Returns 0 when it is complete (an auth request, an error, or after trust
 * the messages up to ReadyForQuery or an error); -EAGAIN when more bytes are
 * needed; -EBADMSG for anything that is not PostgreSQL. *ret is filled as
 * far as parsed in every case, so a timeout still keeps what came.
 */
int pg_reply_parse(const uint8_t *p, size_t n, struct pg_reply *ret);

/* The 8-byte SSLRequest. */
extern const uint8_t pg_ssl_request[8];

/* Append a StartupMessage for user and database to b; 0 or -ENOBUFS. */
int pg_startup_build(struct buf *b, const char *user, const char *database);

struct pg_probe_result {
	bool ssl_answered;
	enum pg_ssl_answer ssl;
	int tls_rc; /* tls_conn_start() result when TLS ran */
	bool tls_done;
	struct tls_info tls;
	int rc;              /* 0, -ETIMEDOUT (silent), -EBADMSG, ... */
	char tls_error[256]; /* a TLS error after the handshake, or "" */
	const char *stage;   /* "ssl-request", "tls", "startup" at failure */
	struct pg_reply reply;
	char local_host[NET_ADDR_MAX];
};

/*
 * On a connected socket: SSLRequest, TLS if offered (described, never
 * verified as a precondition; tls may name a CA file and a client
 * certificate), then a StartupMessage, and the answer. Without with_tls
 * the StartupMessage goes out in clear at once, as from a client with
 * sslmode=disable. The connection is left unauthenticated. Returns 0 (the
 * verdict is in *ret, including its rc) — the probe itself cannot fail.
 */
int pg_probe(int fd, const char *servername, const char *user,
	     const char *database, bool with_tls,
	     const struct tls_client_opts *tls, int64_t deadline_ms,
	     struct pg_probe_result *ret);

#endif
