/*
 * RDP security negotiation probe (MS-RDPBCGR 2.2.1.1 and 2.2.1.2): which
 * security an RDP server selects for a client, whether it insists on NLA,
 * whether it still accepts standard RDP security, and with TLS the
 * certificate it shows. No credentials are sent: the probe stops after the
 * X.224 Connection Confirm (and the TLS handshake when TLS was selected).
 * The builder and parser are pure and take any bytes; rdp_probe() is the
 * thin I/O with one absolute deadline for all its connections.
 */
#ifndef RDIAG_PROBES_RDP_H
#define RDIAG_PROBES_RDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probes/tls.h"
#include "rdiag/buf.h"

#define RDP_DEFAULT_PORT 3389
/* Largest Connection Confirm the parser accepts (TPKT length). */
#define RDP_REPLY_MAX 512

/* requestedProtocols / selectedProtocol bits. */
enum {
	RDP_PROTOCOL_RDP = 0x0,       /* standard RDP security */
	RDP_PROTOCOL_SSL = 0x1,       /* TLS */
	RDP_PROTOCOL_HYBRID = 0x2,    /* CredSSP (NLA) */
	RDP_PROTOCOL_RDSTLS = 0x4,    /* RDSTLS */
	RDP_PROTOCOL_HYBRID_EX = 0x8, /* CredSSP with early user auth */
};

/* RDP_NEG_FAILURE codes. */
enum {
	RDP_FAILURE_SSL_REQUIRED = 1,
	RDP_FAILURE_SSL_NOT_ALLOWED = 2,
	RDP_FAILURE_SSL_CERT_NOT_ON_SERVER = 3,
	RDP_FAILURE_INCONSISTENT_FLAGS = 4,
	RDP_FAILURE_HYBRID_REQUIRED = 5,
	RDP_FAILURE_SSL_WITH_USER_AUTH_REQUIRED = 6,
};

enum rdp_reply_kind {
	/* A Connection Confirm without negotiation data: a server that only
	 * knows standard RDP security (before RDP 5.2). */
	RDP_REPLY_LEGACY = 1,
	RDP_REPLY_SELECTED, /* RDP_NEG_RSP; value is the selected protocol */
	RDP_REPLY_FAILURE,  /* RDP_NEG_FAILURE; value is the failure code */
};

struct rdp_reply {
	enum rdp_reply_kind kind;
	uint8_t flags;  /* RDP_NEG_RSP flags */
	uint32_t value; /* selected protocol or failure code */
};

/*
 * Append a TPKT + X.224 Connection Request with the cookie
 * "mstshash=rdiag" and an RDP_NEG_REQ for requested to b; 0 or -ENOBUFS.
 */
int rdp_request_build(struct buf *b, uint32_t requested);

/*
 * Parse a Connection Confirm from the start of p. Returns 0 when complete,
 * -EAGAIN when more bytes are needed, -EBADMSG for anything that is not an
 * X.224 Connection Confirm (a TPKT over RDP_REPLY_MAX included). *ret is
 * written only on success.
 */
int rdp_reply_parse(const uint8_t *p, size_t n, struct rdp_reply *ret);

/* "standard RDP security", "TLS", "NLA (CredSSP)", ...; never NULL. */
const char *rdp_protocol_name(uint32_t selected);
/* The failure code in plain words; never NULL. */
const char *rdp_failure_text(uint32_t code);

/* One Connection Request on its own connection. */
struct rdp_attempt {
	uint32_t requested;
	bool done; /* tried at all (earlier steps may have used the time) */
	int rc;    /* 0 when reply is valid; -ECONNREFUSED, -ETIMEDOUT... */
	struct rdp_reply reply;
};

struct rdp_probe_result {
	struct rdp_attempt best;     /* requested TLS | NLA | HYBRID_EX */
	struct rdp_attempt tls_only; /* requested TLS: failure 5 = NLA only */
	struct rdp_attempt plain;    /* requested standard RDP security */
	bool tls_done;               /* a TLS handshake was tried */
	int tls_rc;                  /* tls_conn_start()'s result */
	struct tls_info tls;
};

/*
 * Three Connection Requests (0x0B, 0x01, 0x00) on fresh TCP connections
 * to sa, and a TLS handshake (servername as SNI) on the first that selected
 * a TLS-based protocol, all before deadline_ms. Stops after a connection
 * that could not be made. Returns 0; what happened is in *ret.
 */
int rdp_probe(const struct sockaddr *sa, socklen_t salen,
	      const char *servername, int64_t deadline_ms,
	      struct rdp_probe_result *ret);

/* What the three answers mean together; -1 where they do not say. */
struct rdp_security {
	long selected;      /* protocol selected for the best request */
	int nla_required;   /* 1: failure 5 to a TLS-only request */
	int plain_accepted; /* 1: standard RDP security was selected */
};

void rdp_probe_summarize(const struct rdp_probe_result *r,
			 struct rdp_security *ret);

#endif
