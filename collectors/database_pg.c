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

#ifndef RDIAG_NO_LIBPQ
#include <libpq-fe.h>
#endif

#include "database_engine.h"
#include "database_pg.h"
#include "database_pg_log.h"
#include "database_private.h"
#include "probes/net.h"
#include "probes/pg.h"
#include "rdiag/i18n.h"

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

/* What the hints need to know besides the server's error. */
struct pg_env {
	const char *client; /* this host's address as the server sees it */
	int server_ssl;     /* 1 offers TLS, 0 refuses it, -1 not asked */
	bool tls;           /* the answer came over TLS */
};

/*
 * The pg_hba.conf line that wins for this connection, when the server runs
 * on this host and rdiag may read its files: "line N of PATH: ..." (and an
 * earlier line that may match first), or NULL.
 */
static char *winning_hba_line(struct database_target *t,
			      const struct pg_env *env)
{
	struct database_pg_hba_arg a = {
		t->addr_text,
		t->url.port,
		{ db_or_user(t), user_or_default(t), env->client, env->tls,
		  true },
	};
	struct database_pg_hba_out *o = xcalloc(1, sizeof(*o));
	struct bounded_result br;
	char *s = NULL;
	int r;

	r = ctx_bounded(t->ctx, 2000, database_pg_hba_fn, &a, o, sizeof(*o),
			&br);
	if (r == 0 && br.status == BOUNDED_DONE && br.out_len >= sizeof(*o) &&
	    br.result >= 0 && o->match.lineno) {
		database_fact(t, "pg.hba_file", "%s", o->path);
		database_fact(t, "pg.hba_line", "%u", o->match.lineno);
		if (o->match.unsure && o->match.unsure < o->match.lineno)
			s = xasprintf(
				"line %u of %s: '%s' (unless line %u, "
				"'%s', matches first: it depends on group "
				"membership or names)",
				o->match.lineno, o->path, o->match.line,
				o->match.unsure, o->match.unsure_line);
		else
			s = xasprintf("line %u of %s: '%s'", o->match.lineno,
				      o->path, o->match.line);
	}
	free(o);
	return s;
}

enum database_pg_cause database_pg_classify(const char *sqlstate,
					    const char *message)
{
	/* SQLSTATE first; the message only splits a class the server shares
	 * between causes (its wording is the server's, in English unless
	 * lc_messages says otherwise; an unknown wording stays generic). */
	if (strcmp(sqlstate, "28000") == 0) {
		if (strstr(message, "no pg_hba.conf entry"))
			return DATABASE_PG_NO_HBA;
		if (strstr(message, "pg_hba.conf rejects"))
			return DATABASE_PG_HBA_REJECT;
		if (strstr(message, "not permitted to log in"))
			return DATABASE_PG_NO_LOGIN;
		if (strstr(message, "requires a valid client certificate"))
			return DATABASE_PG_CERT_REQUIRED;
		if (strstr(message, "certificate authentication failed") ||
		    strstr(message, "certificate validation"))
			return DATABASE_PG_CERT_REJECTED;
		if (strstr(message, "role") &&
		    strstr(message, "does not exist"))
			return DATABASE_PG_ROLE_MISSING;
		/* "Ident authentication failed for user", LDAP, PAM, ... */
		if (strstr(message, "authentication failed for user"))
			return DATABASE_PG_METHOD_FAILED;
		return DATABASE_PG_OTHER;
	}
	if (strcmp(sqlstate, "28P01") == 0)
		return DATABASE_PG_BAD_PASSWORD;
	if (strcmp(sqlstate, "42501") == 0)
		return DATABASE_PG_NO_CONNECT;
	if (strcmp(sqlstate, "55000") == 0)
		return DATABASE_PG_NOT_ACCEPTING;
	if (strcmp(sqlstate, "3D000") == 0)
		return DATABASE_PG_DB_MISSING;
	if (strcmp(sqlstate, "53300") == 0)
		return DATABASE_PG_TOO_MANY;
	if (strcmp(sqlstate, "57P03") == 0)
		return DATABASE_PG_STARTING;
	return DATABASE_PG_OTHER;
}

bool database_pg_parse_libpq(const char *msg, struct pg_reply *ret)
{
	const char *best = NULL, *p, *end, *d;

	memset(ret, 0, sizeof(*ret));
	/*
	 * With PQERRORS_VERBOSE a server error reads "SEVERITY:  SQLSTATE:
	 * message" with DETAIL/HINT lines below it. libpq keeps the errors
	 * of every attempt (sslmode=prefer retries without TLS): the last
	 * one is the answer the application ends with.
	 */
	for (p = msg; (p = strstr(p, ":  ")); p++) {
		const char *c = p + 3;
		size_t i = 0;

		while (i < 5 && ((c[i] >= '0' && c[i] <= '9') ||
				 (c[i] >= 'A' && c[i] <= 'Z')))
			i++;
		if (i == 5 && c[5] == ':' && c[6] == ' ')
			best = c;
	}
	if (!best)
		return false;
	memcpy(ret->sqlstate, best, 5);
	best += 7;
	end = best + strcspn(best, "\n");
	snprintf(ret->message, sizeof(ret->message), "%.*s", (int)(end - best),
		 best);
	if ((d = strstr(end, "\nDETAIL:  "))) {
		d += 10;
		snprintf(ret->detail, sizeof(ret->detail), "%.*s",
			 (int)strcspn(d, "\n"), d);
	}
	return true;
}

/* The pg_hba.conf line that lets this client in with this server's TLS. */
static char *hba_line(const struct database_target *t, const struct pg_env *env)
{
	/* The line must match how the application connects, on this server. */
	bool app_clear = t->url.tls_mode == DATABASE_TLS_DISABLE;
	bool ssl = env->server_ssl != 0 && !app_clear;
	const char *why =
		app_clear ? " (the application's sslmode=disable never uses "
			    "TLS, so a 'hostssl' line would not match it)"
		: env->server_ssl < 0 ? " ('host' if the server has ssl = off)"
		: env->server_ssl > 0
			? " (the server has ssl = on; 'host' would also allow "
			  "unencrypted connections)"
			: " (the server has ssl = off, so 'hostssl' lines "
			  "never "
			  "match)";

	return xasprintf("'%s %s %s %s/%s scram-sha-256'%s",
			 ssl ? "hostssl" : "host", db_or_user(t),
			 user_or_default(t), env->client,
			 strchr(env->client, ':') ? "128" : "32", why);
}

static void report_server_error(struct database_target *t,
				const struct pg_reply *e,
				const struct pg_env *env)
{
	char *hint = NULL, *title = NULL;
	const char *user = user_or_default(t), *db = db_or_user(t);

	switch (database_pg_classify(e->sqlstate, e->message)) {
	case DATABASE_PG_NO_HBA: {
		char *line = hba_line(t, env);

		hint = xasprintf(N_("Ask the database admin to add a line like "
				    "%s to pg_hba.conf and reload the server"),
				 line);
		free(line);
		database_finding(t, "db.pg.no_hba_entry", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("PostgreSQL has no pg_hba.conf entry for "
				    "this host, user and database"),
				 hint, "server said: %s", e->message);
		break;
	}
	case DATABASE_PG_HBA_REJECT: {
		char *line = winning_hba_line(t, env);

		hint = xasprintf(
			N_("pg_hba.conf is read from the top and the first "
			   "line that matches wins: %s%s%s matches host %s, "
			   "user '%s', database '%s'. Adding a line below it "
			   "cannot help: the database admin must change or "
			   "remove that reject line, or put an allowing line "
			   "above it, and reload"),
			line ? "the reject rule on " : "a 'reject' line",
			line ? line : "", line ? "," : "", env->client, user,
			db);
		database_finding(
			t, "db.pg.hba_reject", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("A 'reject' rule in PostgreSQL's pg_hba.conf "
			   "refuses this host, user and database"),
			hint, "server said: %s%s%s", e->message,
			line ? "; the rule: " : "", line ? line : "");
		free(line);
		break;
	}
	case DATABASE_PG_NO_LOGIN:
		hint = xasprintf(
			N_("The role exists but may not log in (NOLOGIN): ask "
			   "the database admin to run ALTER ROLE \"%s\" LOGIN, "
			   "or check that the application uses its login role, "
			   "not a group role"),
			user);
		database_finding(
			t, "db.pg.role_no_login", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The PostgreSQL role is not permitted to log in"),
			hint, "server said: %s", e->message);
		break;
	case DATABASE_PG_ROLE_MISSING:
		database_finding(
			t, "db.pg.role_missing", SEVERITY_FAIL, LEVEL_SUPPORT,
			N_("The PostgreSQL role (user) does not exist"),
			N_("Check the user name in the application's setting; "
			   "if it is right, the database admin must create the "
			   "role"),
			"server said: %s", e->message);
		break;
	case DATABASE_PG_NO_CONNECT:
		hint = xasprintf(
			N_("Ask the database admin to run GRANT CONNECT ON "
			   "DATABASE \"%s\" TO \"%s\" (CONNECT was revoked "
			   "from the role or from PUBLIC)"),
			db, user);
		database_finding(t, "db.pg.no_connect_privilege", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("The PostgreSQL role may not connect to "
				    "this database (no CONNECT privilege)"),
				 hint, "server said: %s%s%s", e->message,
				 e->detail[0] ? " " : "", e->detail);
		break;
	case DATABASE_PG_NOT_ACCEPTING:
		hint = xasprintf(N_("Ask the database admin: ALTER DATABASE "
				    "\"%s\" ALLOW_CONNECTIONS true "
				    "(datallowconn is false for it)"),
				 db);
		database_finding(t, "db.pg.database_not_accepting",
				 SEVERITY_FAIL, LEVEL_THIRD_PARTY,
				 N_("The database does not accept connections"),
				 hint, "server said: %s", e->message);
		break;
	case DATABASE_PG_CERT_REQUIRED:
		database_finding(
			t, "db.pg.client_cert_required", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL requires a client certificate for this "
			   "connection"),
			N_("pg_hba.conf asks for a certificate (method 'cert' "
			   "or clientcert=verify-ca/verify-full): give the "
			   "application's certificate and key (sslcert, sslkey "
			   "in the url); it must be signed by the server's "
			   "ssl_ca_file and, for 'cert', name the user in its "
			   "CN"),
			"server said: %s%s", e->message,
			t->url.ssl_cert[0] ? "" : "; no sslcert in the url");
		break;
	case DATABASE_PG_CERT_REJECTED:
		database_finding(
			t, "db.pg.client_cert_rejected", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL rejects the client certificate"),
			N_("The certificate's CN must be the user name (or map "
			   "to it in pg_ident.conf) and it must be signed by "
			   "the server's ssl_ca_file: ask the database admin"),
			"server said: %s", e->message);
		break;
	case DATABASE_PG_METHOD_FAILED: {
		int ml = (int)strcspn(e->message, " ");

		title = xasprintf(
			N_("PostgreSQL's %.*s authentication refused the user"),
			ml, e->message);
		hint = xasprintf(
			N_("pg_hba.conf hands this connection to %.*s, a "
			   "service outside PostgreSQL (ident asks this host "
			   "on port 113, LDAP/RADIUS a directory server, PAM "
			   "the server's own PAM stack): the database admin "
			   "must check that service for user '%s', or use "
			   "scram-sha-256 for this client"),
			ml, e->message, user);
		database_finding(t, "db.pg.auth_method_failed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY, title, hint,
				 "server said: %s", e->message);
		break;
	}
	case DATABASE_PG_DB_MISSING:
		database_finding(t, "db.pg.database_missing", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The database named in the setting does "
				    "not exist on the server"),
				 N_("Check the database name in the "
				    "application's setting; if it is right, "
				    "the database must be created or restored"),
				 "server said: %s", e->message);
		break;
	case DATABASE_PG_TOO_MANY:
		database_finding(
			t, "db.pg.too_many_connections", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL refuses connections: its connection "
			   "slots are full"),
			N_("Ask the database admin to raise max_connections "
			   "(or the database's/role's CONNECTION LIMIT) or to "
			   "find which clients hold the connections "
			   "(pg_stat_activity)"),
			"server said: %s", e->message);
		break;
	case DATABASE_PG_STARTING:
		database_finding(
			t, "db.pg.starting_up", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL is starting up, shutting down or in "
			   "recovery and does not accept connections yet"),
			N_("Wait a minute and retry; if it persists, ask the "
			   "database admin to check the server log"),
			"server said: %s", e->message);
		break;
	case DATABASE_PG_BAD_PASSWORD:
		hint = xasprintf(
			N_("Check the user and password the application uses. "
			   "PostgreSQL answers the same for a wrong password, "
			   "a role without a password and an expired password "
			   "(VALID UNTIL): the database admin can tell them "
			   "apart with SELECT rolvaliduntil FROM pg_roles "
			   "WHERE rolname = '%s' and in the server log"),
			user);
		database_finding(
			t, "db.pg.login.bad_password", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			N_("PostgreSQL rejects the user name or password"),
			hint, "server said: %s", e->message);
		break;
	case DATABASE_PG_OTHER:
		database_finding(t, "db.pg.server_error", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("PostgreSQL refused the connection"),
				 N_("Ask the database admin to look up this "
				    "error in the server log"),
				 "SQLSTATE %s, %s: %s", e->sqlstate,
				 e->severity[0] ? e->severity : "FATAL",
				 e->message);
		break;
	}
	free(hint);
	free(title);
}

static void report_probe_tls(struct database_target *t,
			     const struct pg_probe_result *p)
{
	if (p->ssl_answered) {
		database_fact(t, "pg.tls_offered", "%s",
			      p->ssl == PG_SSL_ACCEPTED ? "yes" : "no");
		if (p->ssl == PG_SSL_ACCEPTED)
			database_finding(t, "db.pg.tls.offered", SEVERITY_OK,
					 LEVEL_THIRD_PARTY,
					 N_("PostgreSQL offers TLS"), NULL,
					 NULL);
		else
			database_finding(
				t, "db.pg.tls.not_offered", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				N_("PostgreSQL does not offer TLS: passwords "
				   "and data cross the network unencrypted"),
				N_("Ask the database admin to enable ssl = on "
				   "with a certificate in postgresql.conf"),
				NULL);
	}
	if (p->tls_done)
		database_report_tls(t, p->tls_rc, &p->tls);
}

static void report_probe(struct database_target *t,
			 const struct pg_probe_result *p,
			 const struct pg_env *env)
{
	const struct pg_reply *rep = &p->reply;

	if (p->rc < 0) {
		if (p->tls_done && p->tls_rc < 0)
			return;
		if (database_tls_client_rejected(t, p->tls_error))
			return;
		/* The alert itself can be lost to the reset that follows it. */
		if (t->url.ssl_cert[0] && p->tls_done && p->tls_rc == 0 &&
		    (p->rc == -ECONNRESET || p->rc == -EPIPE ||
		     p->rc == -EPROTO) &&
		    database_tls_client_rejected(
			    t, "certificate unknown: the server closed the "
			       "connection right after the TLS handshake"))
			return;
		if (p->rc == -ETIMEDOUT)
			database_finding(
				t, "db.pg.no_reply", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				N_("The database port accepts connections but "
				   "nothing answers like PostgreSQL"),
				N_("Check the port in the application's "
				   "setting and whether the server is "
				   "overloaded or hung"),
				"no answer to the %s within %u ms", p->stage,
				t->step_ms);
		else
			database_finding(
				t, "db.pg.bad_reply", SEVERITY_FAIL,
				LEVEL_SUPPORT,
				N_("The service on the database port does not "
				   "speak PostgreSQL"),
				N_("Check the port in the application's "
				   "setting: another service answers there"),
				"at the %s: %s", p->stage,
				p->rc == -EBADMSG ? "not a PostgreSQL reply"
						  : strerror(-p->rc));
		return;
	}
	if (rep->kind == PG_REPLY_ERROR) {
		if (rep->auth_ok)
			database_fact(t, "pg.auth", "trust");
		report_server_error(t, rep, env);
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
		database_finding(
			t, "db.pg.auth.scram", SEVERITY_OK, LEVEL_THIRD_PARTY,
			N_("PostgreSQL asks for SCRAM password authentication"),
			NULL, "mechanisms: %s", rep->mechanisms);
		break;
	case PG_AUTH_MD5:
		database_finding(
			t, "db.pg.auth.md5", SEVERITY_INFO, LEVEL_THIRD_PARTY,
			N_("PostgreSQL asks for MD5 password authentication "
			   "(deprecated)"),
			N_("MD5 is weaker than SCRAM and will be removed: ask "
			   "the database admin to switch pg_hba.conf to "
			   "scram-sha-256 and reset the passwords"),
			NULL);
		break;
	case PG_AUTH_CLEARTEXT:
		database_finding(
			t, "db.pg.auth.password", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL asks for the password in clear text"),
			N_("Ask the database admin to use scram-sha-256 in "
			   "pg_hba.conf"),
			"TLS %s", p->tls_done ? "protects it" : "is not used");
		break;
	case PG_AUTH_OK:
		database_finding(
			t, "db.pg.auth.trust", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			N_("PostgreSQL lets this host in without a password "
			   "(trust)"),
			N_("Anyone on this host can log in as this user: ask "
			   "the database admin to replace 'trust' in "
			   "pg_hba.conf with scram-sha-256"),
			"user '%s'", user_or_default(t));
		break;
	case PG_AUTH_GSS:
	case PG_AUTH_SSPI:
	case PG_AUTH_KERBEROS_V5:
		database_finding(t, "db.pg.auth.kerberos", SEVERITY_INFO,
				 LEVEL_THIRD_PARTY,
				 N_("PostgreSQL asks for Kerberos/GSSAPI "
				    "authentication"),
				 N_("This host needs a valid Kerberos ticket "
				    "for the application's user"),
				 "method %s", auth_name(rep->auth));
		break;
	default:
		database_finding(t, "db.pg.auth.other", SEVERITY_INFO,
				 LEVEL_THIRD_PARTY,
				 N_("PostgreSQL asks for an unusual "
				    "authentication method"),
				 NULL, "authentication request code %u",
				 (unsigned)rep->auth);
		break;
	}
}

#ifndef RDIAG_NO_LIBPQ
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

/*
 * A password login failed (28P01): when the server runs on this host and
 * rdiag may read its log, the log's DETAIL names the reason the client is
 * not told. True when that gave the finding.
 */
static bool report_from_server_log(struct database_target *t,
				   const struct pg_reply *e)
{
	struct database_pg_log_arg a = { t->addr_text, t->url.port,
					 user_or_default(t) };
	struct database_pg_log_out *o = xcalloc(1, sizeof(*o));
	const char *user = user_or_default(t), *id = NULL, *title = NULL;
	char *hint = NULL;
	struct bounded_result br;
	int r;

	r = ctx_bounded(t->ctx, 2000, database_pg_log_fn, &a, o, sizeof(*o),
			&br);
	if (r < 0 || br.status != BOUNDED_DONE || br.out_len < sizeof(*o) ||
	    br.result < 0 || o->hit.reason == DATABASE_PG_LOG_NONE ||
	    o->hit.reason == DATABASE_PG_LOG_OTHER) {
		free(o);
		return false;
	}
	database_fact(t, "pg.server_log", "%s", o->path);
	switch (o->hit.reason) {
	case DATABASE_PG_LOG_EXPIRED:
		id = "db.pg.login.password_expired";
		title = N_("The PostgreSQL role's password has expired (VALID "
			   "UNTIL is in the past)");
		hint = xasprintf(
			N_("Ask the database admin to renew it: ALTER ROLE "
			   "\"%s\" VALID UNTIL 'infinity' (or a new date), or "
			   "set a new password; the server refuses an expired "
			   "role whatever the password"),
			user);
		break;
	case DATABASE_PG_LOG_NO_PASSWORD:
		id = "db.pg.login.no_password_set";
		title = N_("The PostgreSQL role has no password set");
		hint = xasprintf(N_("Ask the database admin to set one (ALTER "
				    "ROLE \"%s\" PASSWORD ...) and give the "
				    "application the same"),
				 user);
		break;
	case DATABASE_PG_LOG_NO_SCRAM_SECRET:
		id = "db.pg.login.md5_password";
		title = N_("The role's password is stored as MD5, but "
			   "pg_hba.conf asks for scram-sha-256");
		hint = xasprintf(
			N_("Ask the database admin to set the password again "
			   "with password_encryption = scram-sha-256 (ALTER "
			   "ROLE \"%s\" PASSWORD ...), or to use md5 for this "
			   "line of pg_hba.conf until then"),
			user);
		break;
	case DATABASE_PG_LOG_ROLE_MISSING:
		id = "db.pg.role_missing";
		title = N_("The PostgreSQL role (user) does not exist");
		hint = xstrdup("Check the user name in the application's "
			       "setting; if it is right, the database admin "
			       "must create the role");
		break;
	case DATABASE_PG_LOG_WRONG_PASSWORD:
	default:
		id = "db.pg.login.bad_password";
		title = N_(
			"PostgreSQL rejects the password: it does not match");
		hint = xstrdup("Check the password the application uses");
		break;
	}
	database_finding(t, id, SEVERITY_FAIL,
			 strcmp(id, "db.pg.login.bad_password") == 0 ||
					 strcmp(id, "db.pg.role_missing") == 0
				 ? LEVEL_SUPPORT
				 : LEVEL_THIRD_PARTY,
			 title, hint, "server said: %s; its log (%s): %s%s%s",
			 e->message, o->path, o->hit.detail,
			 o->hit.hba[0] ? "; " : "", o->hit.hba);
	free(hint);
	free(o);
	return true;
}

static void login_failed(struct database_target *t, const char *msg,
			 const struct pg_env *env)
{
	struct pg_reply e;

	if (database_pg_parse_libpq(msg, &e)) {
		if (database_pg_classify(e.sqlstate, e.message) !=
			    DATABASE_PG_BAD_PASSWORD ||
		    !report_from_server_log(t, &e))
			report_server_error(t, &e, env);
		return;
	}
	snprintf(e.message, sizeof(e.message), "%s", msg);
	for (char *c = e.message; *c; c++)
		if (*c == '\n')
			*c = ' ';
	if (strstr(msg, "hot standby") || strstr(msg, "is read-only") ||
	    strstr(msg, "is not in hot standby"))
		database_finding(
			t, "db.pg.target_session_mismatch", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The PostgreSQL server is not the kind of server "
			   "the application asks for (target_session_attrs)"),
			N_("The application wants a primary (read-write) or a "
			   "standby and this server is the other kind: point "
			   "the application at the right server, or ask the "
			   "database admin about a failover"),
			"target_session_attrs=%s; libpq: %s",
			t->url.target_session_attrs, e.message);
	else
		database_finding(t, "db.pg.login.failed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("Logging in to PostgreSQL failed"),
				 N_("The message names the reason; the server "
				    "log has the details"),
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
				N_("A trivial query to PostgreSQL takes long"),
				N_("Every query of the application pays this "
				   "delay: check the network path (VPN, WAN) "
				   "and the server's load"),
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
		database_finding(
			t, "db.pg.query_failed", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL did not answer rdiag's status query"),
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
			N_("PostgreSQL is close to its connection limit"),
			N_("Ask the database admin to raise max_connections or "
			   "find the clients that hold connections"),
			"%lld of %lld connections in use (%lld reserved for "
			"superusers)",
			used, maxc, reserved);
	else
		database_finding(t, "db.pg.connections_ok", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 N_("PostgreSQL has free connection slots"),
				 NULL, "%lld of %lld in use%s", used, maxc,
				 limit >= 0 ? " (database has its own limit)"
					    : "");
	if (strcmp(v[3], "true") == 0 || strcmp(v[4], "on") == 0)
		database_finding(
			t, "db.pg.read_only", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			N_("The PostgreSQL server is read-only"),
			N_("The application cannot write here: connect to the "
			   "primary, or ask the database admin why it is in "
			   "recovery / read-only"),
			"in recovery: %s, default_transaction_read_only: %s",
			v[3], v[4]);
	if (enc && ((t->expected_encoding &&
		     strcasecmp(enc, t->expected_encoding) != 0) ||
		    (!t->expected_encoding && strcmp(enc, "SQL_ASCII") == 0)))
		database_finding(t, "db.pg.encoding_mismatch", SEVERITY_WARN,
				 LEVEL_SUPPORT,
				 N_("The database's encoding is not what the "
				    "application expects"),
				 N_("Text outside the encoding will be mangled "
				    "or refused; the database may need to be "
				    "recreated with the right encoding"),
				 "server_encoding %s, expected %s", enc,
				 t->expected_encoding
					 ? t->expected_encoding
					 : "a real encoding (not SQL_ASCII)");
	database_finding(t, "db.pg.login.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 N_("Logging in to PostgreSQL works"), NULL,
			 "user '%s', database '%s', version %s",
			 user_or_default(t), db_or_user(t), ver ? ver : "?");
}

/* The libpq keywords for the application's url: its own where it set them. */
static size_t login_params(const struct database_target *t, const char **keys,
			   const char **vals, const char *port)
{
	const struct database_url *u = &t->url;
	size_t n = 0;

#define KV(k, v)               \
	do {                   \
		keys[n] = (k); \
		vals[n] = (v); \
		n++;           \
	} while (0)
	KV("host", u->host);
	KV("hostaddr", t->addr_text);
	KV("port", port);
	KV("dbname", db_or_user(t));
	KV("user", user_or_default(t));
	KV("password", t->password ? t->password : "");
	KV("sslmode", database_tls_mode_name(u->tls_mode));
	KV("gssencmode", "disable");
	KV("application_name",
	   u->application_name[0] ? u->application_name : "rdiag");
	KV("passfile", "/dev/null");
	if (u->ssl_rootcert[0])
		KV("sslrootcert", u->ssl_rootcert);
	if (u->ssl_cert[0])
		KV("sslcert", u->ssl_cert);
	if (u->ssl_key[0])
		KV("sslkey", u->ssl_key);
	if (u->ssl_crl[0])
		KV("sslcrl", u->ssl_crl);
	if (u->charset[0])
		KV("client_encoding", u->charset);
	if (u->target_session_attrs[0])
		KV("target_session_attrs", u->target_session_attrs);
#undef KV
	keys[n] = vals[n] = NULL;
	return n;
}

static void login(struct database_target *t, const struct pg_env *env)
{
	char port[8];
	const char *keys[20], *vals[20];
	int64_t deadline = database_step_deadline(t), start = now_ms();
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *c;

	snprintf(port, sizeof(port), "%u", t->url.port);
	login_params(t, keys, vals, port);
	c = PQconnectStartParams(keys, vals, 0);
	if (!c)
		return;
	/* "FATAL:  28000: ...": the SQLSTATE names the cause, not the text. */
	PQsetErrorVerbosity(c, PQERRORS_VERBOSE);
	if (PQstatus(c) == CONNECTION_BAD)
		st = PGRES_POLLING_FAILED;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		if (!pq_wait(c, st == PGRES_POLLING_WRITING, deadline)) {
			database_finding(
				t, "db.pg.login.timeout", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				N_("Logging in to PostgreSQL did not finish in "
				   "time"),
				N_("The server is overloaded or an "
				   "authentication backend (LDAP, Kerberos) "
				   "hangs: ask the database admin"),
				"no answer within %u ms", t->step_ms);
			PQfinish(c);
			return;
		}
		st = PQconnectPoll(c);
	}
	database_fact(t, "pg.login_ms", "%lld", (long long)(now_ms() - start));
	if (st == PGRES_POLLING_FAILED) {
		login_failed(t, PQerrorMessage(c), env);
	} else {
		database_fact(t, "pg.login_tls", "%s",
			      PQsslInUse(c) ? "yes" : "no");
		report_session(t, c, database_step_deadline(t));
	}
	PQfinish(c);
}

#else
/*
 * A build without libpq (rdiag.exe): the wire probe above is the whole
 * check, and a fact says so instead of staying silent.
 */
static void login(struct database_target *t, const struct pg_env *env)
{
	(void)env;
	database_fact(t, "pg.login", "%s",
		      "not checked: this build has no PostgreSQL client "
		      "library (wire probe only)");
}
#endif

static bool hba_refused(const struct pg_probe_result *p)
{
	enum database_pg_cause c;

	if (p->rc < 0 || p->reply.kind != PG_REPLY_ERROR)
		return false;
	c = database_pg_classify(p->reply.sqlstate, p->reply.message);
	return c == DATABASE_PG_NO_HBA || c == DATABASE_PG_HBA_REJECT;
}

static bool asks_password(const struct pg_probe_result *p)
{
	return p && p->rc == 0 && p->reply.kind == PG_REPLY_AUTH;
}

/* Probe on a fresh connection (fd, when >= 0, is already connected). */
static struct pg_probe_result *probe(struct database_target *t, int fd,
				     bool with_tls)
{
	struct pg_probe_result *p = xcalloc(1, sizeof(*p));
	struct tls_client_opts o;
	int64_t start = now_ms();

	if (fd < 0)
		fd = database_reconnect(t, t->url.port,
					database_step_deadline(t));
	if (fd < 0) {
		free(p);
		return NULL;
	}
	database_tls_opts(t, &o);
	pg_probe(fd, t->url.host, user_or_default(t), db_or_user(t), with_tls,
		 &o, database_step_deadline(t), p);
	net_close(fd);
	database_fact(t, with_tls ? "pg.probe_ms" : "pg.probe_clear_ms", "%lld",
		      (long long)(now_ms() - start));
	return p;
}

/*
 * pg_hba.conf refused the connection the way the application makes it
 * (with or without TLS) but lets the other way in: when the application's
 * sslmode forbids the other way, that is the whole story.
 */
static void report_tls_mismatch(struct database_target *t,
				const struct pg_probe_result *refused,
				const struct pg_probe_result *works)
{
	if (t->url.tls_mode == DATABASE_TLS_DISABLE)
		database_finding(
			t, "db.pg.tls.required_by_server", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			N_("PostgreSQL accepts this connection only over TLS "
			   "(hostssl in pg_hba.conf), but the application's "
			   "setting disables TLS"),
			N_("Remove sslmode=disable from the application's "
			   "database setting (or set sslmode=require): over "
			   "TLS the server asks for the password as usual. Or "
			   "the database admin adds a 'host' line for this "
			   "client, which allows unencrypted connections"),
			"the application's %s; without TLS the server said: "
			"%s; over TLS it asks for %s authentication",
			t->url.tls_param, refused->reply.message,
			auth_name(works->reply.auth));
	else
		database_finding(
			t, "db.pg.tls.refused_by_server", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("PostgreSQL accepts this connection only without "
			   "TLS (hostnossl in pg_hba.conf), but the "
			   "application's setting requires TLS"),
			N_("Ask the database admin to allow this client over "
			   "TLS (a 'hostssl' line in pg_hba.conf, the server "
			   "has ssl = on); only if that is impossible relax "
			   "the application's sslmode"),
			"the application's %s; over TLS the server said: %s; "
			"without TLS it asks for %s authentication",
			t->url.tls_param, refused->reply.message,
			auth_name(works->reply.auth));
}

static void database_pg_check(struct database_target *t, int fd)
{
	enum database_tls_mode mode = t->url.tls_mode;
	bool with_tls =
		mode != DATABASE_TLS_DISABLE && mode != DATABASE_TLS_ALLOW;
	struct pg_probe_result *p = probe(t, fd, with_tls), *q = NULL, *app = p;
	struct pg_env env = { p->local_host, -1, false };

	/*
	 * libpq tries the other way when pg_hba.conf refuses the first:
	 * sslmode=allow adds TLS, prefer drops it. Probe the other way too,
	 * so the verdict is the application's, and a TLS setting that
	 * locks it out is named as such.
	 */
	if (hba_refused(p) && (!with_tls || (p->tls_done && p->tls_rc == 0)))
		q = probe(t, -1, !with_tls);
	if (p->ssl_answered)
		env.server_ssl = p->ssl == PG_SSL_ACCEPTED;
	else if (q && q->ssl_answered)
		env.server_ssl = q->ssl == PG_SSL_ACCEPTED;
	report_probe_tls(t, p);
	if (q)
		report_probe_tls(t, q);
	if (mode >= DATABASE_TLS_REQUIRE && p->ssl_answered &&
	    p->ssl == PG_SSL_REFUSED) {
		database_finding(
			t, "db.pg.tls.required_not_offered", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The application requires TLS, but the PostgreSQL "
			   "server does not offer it"),
			N_("Ask the database admin to enable ssl = on with a "
			   "certificate in postgresql.conf (the application's "
			   "setting demands TLS)"),
			"the application's %s; the server answered 'N' to the "
			"SSL request",
			t->url.tls_param);
		goto out;
	}
	if (asks_password(q)) {
		if (mode == DATABASE_TLS_ALLOW || mode == DATABASE_TLS_PREFER) {
			app = q;
			database_fact(t, "pg.tls_fallback", "%s",
				      with_tls ? "without TLS" : "with TLS");
		} else {
			report_tls_mismatch(t, p, q);
			goto out;
		}
	}
	env.tls = app->tls_done && app->tls_rc == 0;
	report_probe(t, app, &env);
	/*
	 * Log in when there is a credential, or when the server let us in
	 * without one; a failed probe already said why it cannot work.
	 */
	if (asks_password(app)) {
		if (t->password || app->reply.auth == PG_AUTH_OK)
			login(t, &env);
		else
			database_finding(t, "db.pg.login.skipped",
					 SEVERITY_INFO, LEVEL_SELF,
					 N_("No password given: the PostgreSQL "
					    "login was not tried"),
					 N_("To check the login too, give the "
					    "password in RDIAG_DB_PASSWORD or "
					    "a 0600 password_file"),
					 NULL);
	}
out:
	free(p);
	free(q);
}

const struct database_engine database_engine_pg = {
	.kind = DATABASE_POSTGRES,
	.network = true,
	.check = database_pg_check,
};
