/*
 * The helper API of the database collector (database_target.c), shared by
 * database.c and the engines (database_*.c); not for use outside them.
 * Engines reach database.c only through this API, and database.c reaches
 * the engines only through the table in database_engine.h. One struct
 * database_target per configured url carries what the checks learnt so far, and
 * the emit helpers stamp every fact and finding with the target it is about.
 */
#ifndef RDIAG_DATABASE_PRIVATE_H
#define RDIAG_DATABASE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "database_url.h"
#include "probes/net.h"
#include "probes/tls.h"
#include "rdiag/collector.h"

#define DATABASE_MAX_ADDRS 8
#define DATABASE_MAX_IDS   48

struct database_target {
	struct collector_ctx *ctx;
	unsigned index; /* 1-based, as in RDIAG_DB_PASSWORD_<N> */
	struct database_url url;
	unsigned step_ms; /* per-step timeout (connect_timeout_ms) */
	unsigned browser_port;
	const char *expected_encoding; /* NULL: only flag known-bad ones */
	char *password; /* NULL when none was given; wiped when freed */
	/* filled by the network steps */
	size_t naddrs;
	struct sockaddr_storage addrs[DATABASE_MAX_ADDRS];
	socklen_t addrlens[DATABASE_MAX_ADDRS];
	int connected; /* index into addrs of the address that answered */
	char addr_text[NET_ADDR_MAX]; /* numeric host of addrs[connected] */
	/* finding ids already emitted for this target */
	const char *ids[DATABASE_MAX_IDS];
	size_t nids;
};

/*
 * The finding id for a failed lookup: "db.dns.timeout" (no result in
 * time), "db.dns.no_answer" (EAI_AGAIN: the DNS server does not answer),
 * "db.dns.not_found" (EAI_NONAME, EAI_NODATA: no such name) or
 * "db.dns.failed" (any other resolver error).
 */
const char *database_dns_failure_id(int eai, bool timeout);

/* The absolute deadline for one step: now + step_ms, capped by the ctx. */
int64_t database_step_deadline(struct database_target *t);

/* Emit a fact "db.<N>.<key>". */
void database_fact(struct database_target *t, const char *key, const char *fmt,
		   ...) RDIAG_PRINTF(3, 4);

/*
 * Emit a finding about t once (a second call with the same id is dropped).
 * The detail starts with the target, so findings of several targets stay
 * apart; detail_fmt may be NULL.
 */
void database_finding(struct database_target *t, const char *id,
		      enum severity sev, enum support_level level,
		      const char *title, const char *hint,
		      const char *detail_fmt, ...) RDIAG_PRINTF(7, 8);
bool database_emitted(const struct database_target *t, const char *id);

/* The url's CA file and client certificate, for the probes' TLS. */
void database_tls_opts(const struct database_target *t,
		       struct tls_client_opts *ret);

/*
 * When the url gives a client certificate and the TLS error is the
 * server's alert about it, emit db.tls.client_cert_rejected: true.
 */
bool database_tls_client_rejected(struct database_target *t, const char *error);

/* Report what a TLS probe saw: protocol, certificate, name, chain, expiry. */
void database_report_tls(struct database_target *t, int rc,
			 const struct tls_info *info);

/*
 * Connect again, silently, to the address that answered the TCP step (for
 * a second probe on a fresh connection). A socket or a negative errno.
 */
int database_reconnect(struct database_target *t, unsigned port,
		       int64_t deadline_ms);

/* Set the port of an IPv4 or IPv6 address. */
void database_set_port(struct sockaddr_storage *ss, unsigned port);

#endif
