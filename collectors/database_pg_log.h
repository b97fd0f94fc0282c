/*
 * The server-side reason for a failed PostgreSQL password login, read from
 * the server's own log when the server runs on this host: PostgreSQL tells
 * a client only "password authentication failed" for a wrong password, an
 * expired one (VALID UNTIL), a role without a password, a password stored
 * as MD5 where SCRAM is required and a missing role, on purpose, and logs
 * the real reason as the DETAIL of that line.
 */
#ifndef RDIAG_DATABASE_PG_LOG_H
#define RDIAG_DATABASE_PG_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum database_pg_log_reason {
	DATABASE_PG_LOG_NONE = 0, /* no matching line (or not understood) */
	DATABASE_PG_LOG_WRONG_PASSWORD,
	DATABASE_PG_LOG_EXPIRED,
	DATABASE_PG_LOG_NO_PASSWORD,
	DATABASE_PG_LOG_NO_SCRAM_SECRET, /* stored as MD5, SCRAM asked */
	DATABASE_PG_LOG_ROLE_MISSING,
	DATABASE_PG_LOG_OTHER, /* a DETAIL this table does not know */
};

struct database_pg_log_hit {
	enum database_pg_log_reason reason;
	char detail[256]; /* the server's DETAIL text */
	char hba[256];    /* "Connection matched pg_hba.conf line N: ..." */
};

/*
 * Pure: the last "authentication failed for user \"user\"" in the log text
 * p[0..n) and the DETAIL lines that follow it. Returns 0 and *ret, or
 * -ENOENT when there is no such line.
 */
int database_pg_log_parse(const char *p, size_t n, const char *user,
			  struct database_pg_log_hit *ret);

/*
 * A bounded_fn: arg is a struct database_pg_log_arg; out a struct
 * database_pg_log_out. Finds the process listening on addr:port on this
 * host, its log (current_logfiles in its data directory, else its
 * standard error when that is a file), and parses the log's tail.
 * Returns sizeof(struct database_pg_log_out), or -ENOENT when the server
 * or its log is not on this host or not readable.
 */
struct database_pg_log_arg {
	const char *addr; /* numeric, as connected */
	unsigned port;
	const char *user;
};
struct database_pg_log_out {
	char path[512];
	struct database_pg_log_hit hit;
};
int database_pg_log_fn(void *arg, void *out, size_t out_max);

/* A connection as pg_hba.conf sees it. */
struct database_pg_hba_conn {
	const char *database, *user;
	const char *client; /* numeric address */
	bool tls;
	bool local_client; /* the client is on the server's host (samehost) */
};

struct database_pg_hba_match {
	unsigned lineno; /* 0: no line matches */
	char line[256];  /* the line as written */
	unsigned unsure; /* an earlier line that may match (group, name) */
	char unsure_line[256];
};

/*
 * Pure: the first line of the pg_hba.conf text p[0..n) that matches c, as
 * the server reads the file (top down, the first match wins). Lines whose
 * match depends on what this cannot know (+group, @file, samerole,
 * samenet, host names, regular expressions) are not taken as the match,
 * but the first of them before it is named in unsure.
 */
void database_pg_hba_first_match(const char *p, size_t n,
				 const struct database_pg_hba_conn *c,
				 struct database_pg_hba_match *ret);

/*
 * A bounded_fn: arg is a struct database_pg_hba_arg, out a struct
 * database_pg_hba_out. Finds the server listening on addr:port on this
 * host, its pg_hba.conf (hba_file on its command line or in its
 * postgresql.conf, else the data directory's), and the first matching
 * line. -ENOENT when the server or the file is not here or not readable.
 */
struct database_pg_hba_arg {
	const char *addr;
	unsigned port;
	struct database_pg_hba_conn conn;
};
struct database_pg_hba_out {
	char path[512];
	struct database_pg_hba_match match;
};
int database_pg_hba_fn(void *arg, void *out, size_t out_max);

#endif
