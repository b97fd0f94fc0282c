/*
 * PostgreSQL for the database collector: the wire probe's answer turned
 * into findings (auth method, pg_hba.conf, database, connection slots,
 * TLS), then, with a credential or under trust, a real login through libpq
 * (never our own SCRAM) for version, latency, limits, encoding and state.
 * libpq is driven non-blocking against the step deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "database_private.h"
#include "probes/pg.h"

#define RTT_SAMPLES 5

static const char *auth_name(uint32_t code)
{
	switch (code) {
	case PG_AUTH_OK:
		return "trust";
	case PG_AUTH_KERBEROS_V5:
		return "kerberos5";
	case PG_AUTH_CLEARTEXT:
		return "password";
	case PG_AUTH_MD5:
		return "md5";
	case PG_AUTH_GSS:
		return "gss";
	case PG_AUTH_SSPI:
		return "sspi";
	case PG_AUTH_SASL:
		return "scram";
	default:
		return "unknown";
	}
}

static const char *user_or_default(const struct database_target *t)
{
	return t->url.user[0] ? t->url.user : "rdiag";
}

static const char *db_or_user(const struct database_target *t)
{
	return t->url.database[0] ? t->url.database : user_or_default(t);
}

static void report_server_error(struct database_target *t,
				const struct pg_reply *e, const char *client)
{
	char *hint = NULL;

	if (strcmp(e->sqlstate, "28000") == 0 &&
	    strstr(e->message, "pg_hba.conf")) {
		hint = xasprintf(
			"Ask the database admin to add a line like 'hostssl "
			"%s %s %s/32 scram-sha-256' (or 'host' without TLS) to "
			"pg_hba.conf and reload the server",
			db_or_user(t), user_or_default(t), client);
		database_finding(t, "db.pg.no_hba_entry", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL has no pg_hba.conf entry for this "
				 "host, user and database",
				 hint, "server said: %s", e->message);
	} else if (strcmp(e->sqlstate, "3D000") == 0) {
		database_finding(
			t, "db.pg.database_missing", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			"The database named in the setting does not exist on "
			"the server",
			"Check the database name in the application's setting; "
			"if it is right, the database must be created or "
			"restored",
			"server said: %s", e->message);
	} else if (strcmp(e->sqlstate, "53300") == 0) {
		database_finding(
			t, "db.pg.too_many_connections", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"PostgreSQL refuses connections: its connection slots "
			"are full",
			"Ask the database admin to raise max_connections (or "
			"the database's/role's CONNECTION LIMIT) or to find "
			"which clients hold the connections (pg_stat_activity)",
			"server said: %s", e->message);
	} else if (strcmp(e->sqlstate, "57P03") == 0) {
		database_finding(
			t, "db.pg.starting_up", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"PostgreSQL is starting up, shutting down or in "
			"recovery and does not accept connections yet",
			"Wait a minute and retry; if it persists, ask the "
			"database admin to check the server log",
			"server said: %s", e->message);
	} else if (strcmp(e->sqlstate, "28P01") == 0) {
		database_finding(
			t, "db.pg.login.bad_password", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			"PostgreSQL rejects the user name or password",
			"Check the user and password the application uses; "
			"the server log names the exact reason",
			"server said: %s", e->message);
	} else if (strcmp(e->sqlstate, "55000") == 0) {
		database_finding(t, "db.pg.database_not_accepting",
				 SEVERITY_FAIL, LEVEL_THIRD_PARTY,
				 "The database does not accept connections",
				 "Ask the database admin: ALTER DATABASE ... "
				 "ALLOW_CONNECTIONS true",
				 "server said: %s", e->message);
	} else {
		database_finding(t, "db.pg.server_error", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL refused the connection",
				 "Ask the database admin to look up this "
				 "error in the server log",
				 "SQLSTATE %s, %s: %s", e->sqlstate,
				 e->severity, e->message);
	}
	free(hint);
}

static void report_probe(struct database_target *t,
			 const struct pg_probe_result *p)
{
	const struct pg_reply *rep = &p->reply;

	if (p->ssl_answered) {
		database_fact(t, "pg.tls_offered", "%s",
			      p->ssl == PG_SSL_ACCEPTED ? "yes" : "no");
		if (p->ssl == PG_SSL_ACCEPTED)
			database_finding(t, "db.pg.tls.offered", SEVERITY_OK,
					 LEVEL_THIRD_PARTY,
					 "PostgreSQL offers TLS", NULL, NULL);
		else
			database_finding(
				t, "db.pg.tls.not_offered", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"PostgreSQL does not offer TLS: passwords and "
				"data cross the network unencrypted",
				"Ask the database admin to enable ssl = on "
				"with "
				"a certificate in postgresql.conf",
				NULL);
	}
	if (p->tls_done)
		database_report_tls(t, p->tls_rc, &p->tls);
	if (p->rc < 0) {
		if (p->tls_done && p->tls_rc < 0)
			return;
		if (p->rc == -ETIMEDOUT)
			database_finding(
				t, "db.pg.no_reply", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"The database port accepts connections but "
				"nothing answers like PostgreSQL",
				"Check the port in the application's setting "
				"and whether the server is overloaded or hung",
				"no answer to the %s within %u ms", p->stage,
				t->step_ms);
		else
			database_finding(
				t, "db.pg.bad_reply", SEVERITY_FAIL,
				LEVEL_SUPPORT,
				"The service on the database port does not "
				"speak PostgreSQL",
				"Check the port in the application's setting: "
				"another service answers there",
				"at the %s: %s", p->stage,
				p->rc == -EBADMSG ? "not a PostgreSQL reply"
						  : strerror(-p->rc));
		return;
	}
	if (rep->kind == PG_REPLY_ERROR) {
		if (rep->auth_ok)
			database_fact(t, "pg.auth", "trust");
		report_server_error(t, rep, p->local_host);
		return;
	}
	database_fact(t, "pg.auth", "%s", auth_name(rep->auth));
	if (rep->mechanisms[0])
		database_fact(t, "pg.sasl_mechanisms", "%s", rep->mechanisms);
	if (rep->server_version[0])
		database_fact(t, "pg.server_version", "%s",
			      rep->server_version);
	switch (rep->auth) {
	case PG_AUTH_SASL:
		database_finding(t, "db.pg.auth.scram", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL asks for SCRAM password "
				 "authentication",
				 NULL, "mechanisms: %s", rep->mechanisms);
		break;
	case PG_AUTH_MD5:
		database_finding(
			t, "db.pg.auth.md5", SEVERITY_INFO, LEVEL_THIRD_PARTY,
			"PostgreSQL asks for MD5 password authentication "
			"(deprecated)",
			"MD5 is weaker than SCRAM and will be removed: ask the "
			"database admin to switch pg_hba.conf to scram-sha-256 "
			"and reset the passwords",
			NULL);
		break;
	case PG_AUTH_CLEARTEXT:
		database_finding(
			t, "db.pg.auth.password", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"PostgreSQL asks for the password in clear text",
			"Ask the database admin to use scram-sha-256 in "
			"pg_hba.conf",
			"TLS %s", p->tls_done ? "protects it" : "is not used");
		break;
	case PG_AUTH_OK:
		database_finding(
			t, "db.pg.auth.trust", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"PostgreSQL lets this host in without a password "
			"(trust)",
			"Anyone on this host can log in as this user: ask the "
			"database admin to replace 'trust' in pg_hba.conf with "
			"scram-sha-256",
			"user '%s'", user_or_default(t));
		break;
	case PG_AUTH_GSS:
	case PG_AUTH_SSPI:
	case PG_AUTH_KERBEROS_V5:
		database_finding(t, "db.pg.auth.kerberos", SEVERITY_INFO,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL asks for Kerberos/GSSAPI "
				 "authentication",
				 "This host needs a valid Kerberos ticket "
				 "for the application's user",
				 "method %s", auth_name(rep->auth));
		break;
	default:
		database_finding(t, "db.pg.auth.other", SEVERITY_INFO,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL asks for an unusual "
				 "authentication method",
				 NULL, "authentication request code %u",
				 (unsigned)rep->auth);
		break;
	}
}

/* Wait for libpq's socket; false at the deadline. */
static bool pq_wait(PGconn *c, bool for_write, int64_t deadline_ms)
{
	int fd = PQsocket(c);

	if (fd < 0)
		return false;
	return net_wait(fd, for_write ? POLLOUT : POLLIN, deadline_ms) == 0;
}

/* Run sql; the first row's values into vals (NULL when SQL NULL). */
static int pq_query(PGconn *c, const char *sql, int64_t deadline_ms,
		    char vals[][128], int nvals, char *err, size_t errlen)
{
	PGresult *res, *first = NULL;
	int r = 0;

	if (!PQsendQuery(c, sql)) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
		return -EIO;
	}
	while (PQflush(c) == 1)
		if (!pq_wait(c, true, deadline_ms))
			return -ETIMEDOUT;
	for (;;) {
		while (PQisBusy(c)) {
			if (!pq_wait(c, false, deadline_ms))
				return -ETIMEDOUT;
			if (!PQconsumeInput(c)) {
				snprintf(err, errlen, "%s", PQerrorMessage(c));
				PQclear(first);
				return -EIO;
			}
		}
		res = PQgetResult(c);
		if (!res)
			break;
		if (!first)
			first = res;
		else
			PQclear(res);
	}
	if (!first || PQresultStatus(first) != PGRES_TUPLES_OK ||
	    PQntuples(first) < 1) {
		snprintf(err, errlen, "%s",
			 first ? PQresultErrorMessage(first) : "no result");
		r = -EIO;
	} else {
		for (int i = 0; i < nvals && i < PQnfields(first); i++)
			snprintf(vals[i], 128, "%s",
				 PQgetisnull(first, 0, i)
					 ? ""
					 : PQgetvalue(first, 0, i));
	}
	PQclear(first);
	err[errlen - 1] = '\0';
	return r;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void login_failed(struct database_target *t, const char *msg,
			 const char *client)
{
	struct pg_reply e;

	memset(&e, 0, sizeof(e));
	snprintf(e.message, sizeof(e.message), "%s", msg);
	e.message[strcspn(e.message, "\n")] = '\0';
	/* libpq gives no SQLSTATE for a failed connection: match its text. */
	if (strstr(msg, "password authentication failed") ||
	    strstr(msg, "no password supplied"))
		strcpy(e.sqlstate, "28P01");
	else if (strstr(msg, "no pg_hba.conf entry"))
		strcpy(e.sqlstate, "28000");
	else if (strstr(msg, "does not exist") && strstr(msg, "database"))
		strcpy(e.sqlstate, "3D000");
	else if (strstr(msg, "too many connections") ||
		 strstr(msg, "remaining connection slots"))
		strcpy(e.sqlstate, "53300");
	else if (strstr(msg, "starting up") || strstr(msg, "recovery mode") ||
		 strstr(msg, "shutting down"))
		strcpy(e.sqlstate, "57P03");
	if (e.sqlstate[0]) {
		report_server_error(t, &e, client);
		return;
	}
	database_finding(t, "db.pg.login.failed", SEVERITY_FAIL,
			 LEVEL_THIRD_PARTY, "Logging in to PostgreSQL failed",
			 "The message names the reason; the server log has "
			 "the details",
			 "libpq: %s", e.message);
}

static void report_session(struct database_target *t, PGconn *c,
			   int64_t deadline_ms)
{
	char v[8][128], err[256] = "";
	int64_t rtt[RTT_SAMPLES];
	const char *enc = PQparameterStatus(c, "server_encoding");
	const char *ver = PQparameterStatus(c, "server_version");
	int n = 0;
	long long maxc, reserved, used, limit;

	if (ver)
		database_fact(t, "pg.server_version", "%s", ver);
	for (; n < RTT_SAMPLES; n++) {
		int64_t s = now_ms();

		if (pq_query(c, "SELECT 1", deadline_ms, v, 1, err,
			     sizeof(err)) < 0)
			break;
		rtt[n] = now_ms() - s;
	}
	if (n > 0) {
		qsort(rtt, (size_t)n, sizeof(rtt[0]), cmp_i64);
		database_fact(t, "pg.query_rtt_ms", "%lld",
			      (long long)rtt[n / 2]);
		if (rtt[n / 2] > 50)
			database_finding(
				t, "db.pg.slow_round_trip", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"A trivial query to PostgreSQL takes long",
				"Every query of the application pays this "
				"delay: check the network path (VPN, WAN) and "
				"the server's load",
				"median of %d: %lld ms", n,
				(long long)rtt[n / 2]);
	}
	memset(v, 0, sizeof(v));
	if (pq_query(c,
		     "SELECT current_setting('max_connections'), "
		     "current_setting('superuser_reserved_connections'), "
		     "(SELECT count(*) FROM pg_stat_activity WHERE datname IS "
		     "NOT NULL), pg_is_in_recovery()::text, "
		     "current_setting('default_transaction_read_only'), "
		     "pg_database_size(current_database()), d.datcollate, "
		     "d.datconnlimit FROM pg_database d WHERE d.datname = "
		     "current_database()",
		     deadline_ms, v, 8, err, sizeof(err)) < 0) {
		database_finding(t, "db.pg.query_failed", SEVERITY_WARN,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL did not answer rdiag's status "
				 "query",
				 NULL, "%s", err);
		return;
	}
	maxc = atoll(v[0]);
	reserved = atoll(v[1]);
	used = atoll(v[2]);
	limit = atoll(v[7]);
	database_fact(t, "pg.max_connections", "%lld", maxc);
	database_fact(t, "pg.connections_in_use", "%lld", used);
	database_fact(t, "pg.database_size", "%s", v[5]);
	database_fact(t, "pg.collation", "%s", v[6]);
	if (enc)
		database_fact(t, "pg.server_encoding", "%s", enc);
	if (maxc > 0 && used * 100 >= (maxc - reserved) * 80)
		database_finding(
			t, "db.pg.connections_near_limit", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"PostgreSQL is close to its connection limit",
			"Ask the database admin to raise max_connections or "
			"find the clients that hold connections",
			"%lld of %lld connections in use (%lld reserved for "
			"superusers)",
			used, maxc, reserved);
	else
		database_finding(t, "db.pg.connections_ok", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 "PostgreSQL has free connection slots", NULL,
				 "%lld of %lld in use%s", used, maxc,
				 limit >= 0 ? " (database has its own limit)"
					    : "");
	if (strcmp(v[3], "true") == 0 || strcmp(v[4], "on") == 0)
		database_finding(
			t, "db.pg.read_only", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"The PostgreSQL server is read-only",
			"The application cannot write here: connect to the "
			"primary, or ask the database admin why it is in "
			"recovery / read-only",
			"in recovery: %s, default_transaction_read_only: %s",
			v[3], v[4]);
	if (enc && ((t->expected_encoding &&
		     strcasecmp(enc, t->expected_encoding) != 0) ||
		    (!t->expected_encoding && strcmp(enc, "SQL_ASCII") == 0)))
		database_finding(
			t, "db.pg.encoding_mismatch", SEVERITY_WARN,
			LEVEL_SUPPORT,
			"The database's encoding is not what the application "
			"expects",
			"Text outside the encoding will be mangled or "
			"refused; the database may need to be recreated with "
			"the right encoding",
			"server_encoding %s, expected %s", enc,
			t->expected_encoding
				? t->expected_encoding
				: "a real encoding (not SQL_ASCII)");
	database_finding(t, "db.pg.login.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 "Logging in to PostgreSQL works", NULL,
			 "user '%s', database '%s', version %s",
			 user_or_default(t), db_or_user(t), ver ? ver : "?");
}

static void login(struct database_target *t, const char *client)
{
	char port[8];
	const char *keys[] = { "host",     "hostaddr",   "port",
			       "dbname",   "user",       "password",
			       "sslmode",  "gssencmode", "application_name",
			       "passfile", NULL };
	const char *vals[] = { t->url.host,
			       t->addr_text,
			       port,
			       db_or_user(t),
			       user_or_default(t),
			       t->password ? t->password : "",
			       "prefer",
			       "disable",
			       "rdiag",
			       "/dev/null",
			       NULL };
	int64_t deadline = database_step_deadline(t), start = now_ms();
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *c;

	snprintf(port, sizeof(port), "%u", t->url.port);
	c = PQconnectStartParams(keys, vals, 0);
	if (!c)
		return;
	if (PQstatus(c) == CONNECTION_BAD)
		st = PGRES_POLLING_FAILED;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		if (!pq_wait(c, st == PGRES_POLLING_WRITING, deadline)) {
			database_finding(
				t, "db.pg.login.timeout", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"Logging in to PostgreSQL did not finish in "
				"time",
				"The server is overloaded or an authentication "
				"backend (LDAP, Kerberos) hangs: ask the "
				"database admin",
				"no answer within %u ms", t->step_ms);
			PQfinish(c);
			return;
		}
		st = PQconnectPoll(c);
	}
	database_fact(t, "pg.login_ms", "%lld", (long long)(now_ms() - start));
	if (st == PGRES_POLLING_FAILED)
		login_failed(t, PQerrorMessage(c), client);
	else
		report_session(t, c, database_step_deadline(t));
	PQfinish(c);
}

void database_pg_check(struct database_target *t, int fd)
{
	struct pg_probe_result *p = xcalloc(1, sizeof(*p));
	int64_t start = now_ms();

	pg_probe(fd, t->url.host, user_or_default(t), db_or_user(t),
		 database_step_deadline(t), p);
	close(fd);
	database_fact(t, "pg.probe_ms", "%lld", (long long)(now_ms() - start));
	report_probe(t, p);
	/*
	 * Log in when there is a credential, or when the server let us in
	 * without one; a failed probe already said why it cannot work.
	 */
	if (p->rc == 0 && p->reply.kind == PG_REPLY_AUTH) {
		if (t->password || (p->reply.kind == PG_REPLY_AUTH &&
				    p->reply.auth == PG_AUTH_OK))
			login(t, p->local_host);
		else if (p->reply.kind == PG_REPLY_AUTH)
			database_finding(
				t, "db.pg.login.skipped", SEVERITY_INFO,
				LEVEL_SELF,
				"No password given: the PostgreSQL login was "
				"not tried",
				"To check the login too, give the password in "
				"RDIAG_DB_PASSWORD or a 0600 password_file",
				NULL);
	}
	free(p);
}
