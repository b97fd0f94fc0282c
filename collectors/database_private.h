/*
 * Shared between the files of the database collector (database.c and
 * database_*.c); not for use outside them. One struct database_target per
 * configured url carries what the checks learnt so far, and the emit helpers
 * stamp every fact and finding with the target it is about.
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

/*
 * The per-protocol checks, given the socket the TCP step connected (they
 * own it and close it); each emits its own findings.
 */
void database_pg_check(struct database_target *t, int fd);

/* Why PostgreSQL refused a connection (database_pg.c, unit-tested). */
enum database_pg_cause {
	DATABASE_PG_OTHER = 0,
	DATABASE_PG_NO_HBA,        /* 28000, no pg_hba.conf entry */
	DATABASE_PG_HBA_REJECT,    /* 28000, an explicit reject line */
	DATABASE_PG_NO_LOGIN,      /* 28000, role without LOGIN */
	DATABASE_PG_ROLE_MISSING,  /* 28000, no such role (trust, cert) */
	DATABASE_PG_CERT_REQUIRED, /* 28000, no client certificate */
	DATABASE_PG_CERT_REJECTED, /* 28000, certificate not accepted */
	DATABASE_PG_METHOD_FAILED, /* 28000, ident/LDAP/PAM/RADIUS/GSS said no
				    */
	DATABASE_PG_BAD_PASSWORD,  /* 28P01 */
	DATABASE_PG_NO_CONNECT,    /* 42501, no CONNECT on the database */
	DATABASE_PG_NOT_ACCEPTING, /* 55000, datallowconn = false */
	DATABASE_PG_DB_MISSING,    /* 3D000 */
	DATABASE_PG_TOO_MANY,      /* 53300 */
	DATABASE_PG_STARTING,      /* 57P03 */
};
enum database_pg_cause database_pg_classify(const char *sqlstate,
					    const char *message);

struct pg_reply;
/*
 * The server's error in a libpq connection failure message made with
 * PQERRORS_VERBOSE ("FATAL:  28000: ..."): the last attempt's SQLSTATE,
 * message and DETAIL into *ret. False when the message holds no SQLSTATE
 * (a client-side failure).
 */
bool database_pg_parse_libpq(const char *msg, struct pg_reply *ret);
void database_mysql_check(struct database_target *t, int fd);
void database_mssql_check(struct database_target *t, int fd);
/* SQL Server named instance without a port: the Browser's answer, or 0. */
unsigned database_mssql_browse(struct database_target *t);
void database_sqlite_check(struct database_target *t);

#endif
