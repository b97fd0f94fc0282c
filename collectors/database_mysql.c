/*
 * MySQL and MariaDB for the database collector: the greeting (or the error
 * packet a server sends instead) turned into findings, TLS described, then
 * with a credential a real login through libmariadb for version, latency,
 * limits, character set and state. libmariadb's timeouts are whole
 * seconds, so its calls are capped by the step time rounded up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef RDIAG_NO_MARIADB
#include <mysql.h>
#endif

#include "database_engine.h"
#include "database_private.h"
#include "probes/mysql.h"
#include "probes/net.h"
#include "rdiag/i18n.h"

#define RTT_SAMPLES 5

static void report_server_error(struct database_target *t, unsigned code,
				const char *msg, const char *client)
{
	char *hint = NULL;

	switch (code) {
	case 1040:
		database_finding(t, "db.mysql.too_many_connections",
				 SEVERITY_FAIL, LEVEL_THIRD_PARTY,
				 N_("The MySQL/MariaDB server refuses "
				    "connections: too many connections"),
				 N_("Ask the database admin to raise "
				    "max_connections or find the clients "
				    "holding connections (SHOW PROCESSLIST)"),
				 "error %u: %s", code, msg);
		break;
	case 1129:
		database_finding(
			t, "db.mysql.host_blocked", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB server has blocked this host "
			   "after too many failed connections"),
			N_("Ask the database admin to run 'FLUSH HOSTS' (or "
			   "mariadb-admin flush-hosts) and raise "
			   "max_connect_errors; then find what keeps failing"),
			"error %u: %s", code, msg);
		break;
	case 1130:
		hint = xasprintf(
			N_("Ask the database admin to create the application's "
			   "user for this host, e.g. CREATE USER 'USER'@'%s' "
			   "... and GRANT it the application's database"),
			client);
		database_finding(t, "db.mysql.host_not_allowed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("The MySQL/MariaDB server does not allow "
				    "connections from this host"),
				 hint, "error %u: %s", code, msg);
		break;
	case 1045:
		database_finding(
			t, "db.mysql.login.denied", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			N_("MySQL/MariaDB rejects the user name or password"),
			N_("Check the user and password the application uses "
			   "and that the user exists for this host"),
			"error %u: %s", code, msg);
		break;
	case 4151: /* MariaDB ER_ACCOUNT_LOCKED */
	case 3118: /* MySQL ER_ACCOUNT_HAS_BEEN_LOCKED */
		hint = xasprintf(N_("Ask the database admin to unlock it: "
				    "ALTER USER '%s'@'...' ACCOUNT UNLOCK"),
				 t->url.user);
		database_finding(t, "db.mysql.account_locked", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("The MySQL/MariaDB account is locked"),
				 hint, "error %u: %s", code, msg);
		break;
	case 1862: /* ER_MUST_CHANGE_PASSWORD_LOGIN */
	case 1820: /* ER_MUST_CHANGE_PASSWORD (sandbox mode) */
		hint = xasprintf(
			N_("Ask the database admin to set a new password "
			   "(ALTER USER '%s'@'...' IDENTIFIED BY ...) and give "
			   "it to the application, or to lift the expiry "
			   "(PASSWORD EXPIRE NEVER)"),
			t->url.user);
		database_finding(
			t, "db.mysql.password_expired", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB account's password has expired"),
			hint, "error %u: %s", code, msg);
		break;
	case 4150: /* MariaDB ER_USER_IS_BLOCKED (max_password_errors) */
		database_finding(
			t, "db.mysql.user_blocked", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB account is blocked after too "
			   "many wrong passwords (max_password_errors)"),
			N_("Find the client that keeps sending a wrong "
			   "password (an old application setting, a script), "
			   "fix it, then ask the database admin to unblock the "
			   "account (FLUSH PRIVILEGES or ALTER USER)"),
			"error %u: %s", code, msg);
		break;
	case 1226: /* ER_USER_LIMIT_REACHED */
	case 1203: /* ER_TOO_MANY_USER_CONNECTIONS */
		database_finding(
			t, "db.mysql.user_connection_limit", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB account has used up its own "
			   "connection limit"),
			N_("Ask the database admin to raise the account's "
			   "MAX_USER_CONNECTIONS (or max_user_connections), or "
			   "find the clients that hold its connections (SHOW "
			   "PROCESSLIST)"),
			"error %u: %s", code, msg);
		break;
	case 1044:
		database_finding(
			t, "db.mysql.no_database_access", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The user may log in but not use the database"),
			N_("Ask the database admin to GRANT the user access to "
			   "the application's database"),
			"error %u: %s", code, msg);
		break;
	case 1049:
		database_finding(t, "db.mysql.database_missing", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The database named in the setting does "
				    "not exist on the server"),
				 N_("Check the database name in the "
				    "application's setting; if it is right, "
				    "the database must be created or restored"),
				 "error %u: %s", code, msg);
		break;
	default:
		database_finding(
			t, "db.mysql.server_error", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB server refused the connection"),
			N_("Ask the database admin to look up this error"),
			"error %u: %s", code, msg);
		break;
	}
	free(hint);
}

static void report_probe(struct database_target *t,
			 const struct mysql_probe_result *p)
{
	const struct mysql_wire_reply *g = &p->reply;

	if (p->rc < 0) {
		if (p->rc == -ETIMEDOUT)
			database_finding(
				t, "db.mysql.no_greeting", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				N_("The database port accepts connections but "
				   "the server sends no greeting"),
				N_("The server is overloaded or hung (or slow "
				   "reverse DNS of this host: "
				   "skip-name-resolve), or another service "
				   "listens on this port"),
				"nothing within %u ms", t->step_ms);
		else
			database_finding(t, "db.mysql.bad_greeting",
					 SEVERITY_FAIL, LEVEL_SUPPORT,
					 N_("The service on the database port "
					    "does not speak MySQL"),
					 N_("Check the port in the "
					    "application's setting"),
					 "%s",
					 p->rc == -EBADMSG
						 ? "not a MySQL greeting"
						 : strerror(-p->rc));
		return;
	}
	if (g->kind == MYSQL_WIRE_ERROR) {
		report_server_error(t, g->code, g->message, p->local_host);
		return;
	}
	database_fact(t, "mysql.server_version", "%s", g->version);
	database_fact(t, "mysql.auth_plugin", "%s", g->auth_plugin);
	database_fact(t, "mysql.capabilities", "0x%08x", (unsigned)g->caps);
	database_finding(t, "db.mysql.greeting", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 N_("The MySQL/MariaDB server answers"), NULL,
			 "%s %s, auth plugin %s",
			 g->mariadb ? "MariaDB" : "MySQL", g->version,
			 g->auth_plugin[0] ? g->auth_plugin : "(none)");
	if (g->caps & MYSQL_WIRE_CLIENT_SSL) {
		database_finding(t, "db.mysql.tls.offered", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 N_("The MySQL/MariaDB server offers TLS"),
				 NULL, NULL);
		if (p->tls_done)
			database_report_tls(t, p->tls_rc, &p->tls);
	} else {
		database_finding(
			t, "db.mysql.tls.not_offered", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB server does not offer TLS: data "
			   "crosses the network unencrypted"),
			N_("Ask the database admin to configure ssl_cert and "
			   "ssl_key on the server"),
			NULL);
	}
}

#ifndef RDIAG_NO_MARIADB
/* The first column of the first row of sql, or "" when it fails. */
static void query_value(MYSQL *m, const char *sql, char *out, size_t len)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	out[0] = '\0';
	if (mysql_query(m, sql) != 0 || !(res = mysql_store_result(m)))
		return;
	if ((row = mysql_fetch_row(res)) && row[0])
		snprintf(out, len, "%s", row[0]);
	mysql_free_result(res);
}

/*
 * Whether TLS is demanded, asked on a session that has it: by the server
 * (require_secure_transport, which servers without it answer with an
 * error) or by the account (REQUIRE SSL, X509, ISSUER, SUBJECT, CIPHER in
 * its grants). *ret_account gets the REQUIRE clause.
 */
static bool tls_demanded(MYSQL *m, bool *ret_server, char *ret_account,
			 size_t len)
{
	char v[64];
	MYSQL_RES *res;
	MYSQL_ROW row;

	query_value(m, "SELECT @@require_secure_transport", v, sizeof(v));
	*ret_server = strcmp(v, "1") == 0 || strcasecmp(v, "ON") == 0;
	ret_account[0] = '\0';
	if (mysql_query(m, "SHOW GRANTS FOR CURRENT_USER()") == 0 &&
	    (res = mysql_store_result(m))) {
		while ((row = mysql_fetch_row(res)))
			if (row[0] && strstr(row[0], " REQUIRE ")) {
				const char *r = strstr(row[0], " REQUIRE ") + 9;

				snprintf(ret_account, len, "REQUIRE %.*s",
					 (int)strcspn(r, "'\"") > 60
						 ? 60
						 : (int)strcspn(r, "'\""),
					 r);
				break;
			}
		mysql_free_result(res);
	}
	return *ret_server || ret_account[0];
}

static void report_session(struct database_target *t, MYSQL *m, bool tls)
{
	int64_t rtt[RTT_SAMPLES];
	static const char *const sql =
		"SELECT VERSION(), @@max_connections, @@read_only, "
		"@@character_set_database, @@collation_database, "
		"(SELECT COALESCE(SUM(data_length + index_length), 0) FROM "
		"information_schema.TABLES WHERE table_schema = DATABASE())";
	char v[6][128];
	long long maxc = 0, used = -1;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int n = 0;

	memset(v, 0, sizeof(v));
	for (; n < RTT_SAMPLES; n++) {
		int64_t s = now_ms();

		if (mysql_query(m, "SELECT 1") != 0) {
			/* Logged in, but only to change an expired password. */
			if (mysql_errno(m) == 1820) {
				report_server_error(t, 1820, mysql_error(m),
						    "");
				return;
			}
			break;
		}
		if ((res = mysql_store_result(m)))
			mysql_free_result(res);
		rtt[n] = now_ms() - s;
	}
	if (n > 0) {
		int64_t med;

		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && rtt[j - 1] > rtt[j]; j--) {
				int64_t x = rtt[j];

				rtt[j] = rtt[j - 1];
				rtt[j - 1] = x;
			}
		med = rtt[n / 2];
		database_fact(t, "mysql.query_rtt_ms", "%lld", (long long)med);
		if (med > 50)
			database_finding(t, "db.mysql.slow_round_trip",
					 SEVERITY_WARN, LEVEL_THIRD_PARTY,
					 N_("A trivial query to MySQL/MariaDB "
					    "takes long"),
					 N_("Check the network path (VPN, WAN) "
					    "and the server's load"),
					 "median of %d: %lld ms", n,
					 (long long)med);
	}
	if (mysql_query(m, sql) == 0 && (res = mysql_store_result(m))) {
		if ((row = mysql_fetch_row(res)) && mysql_num_fields(res) >= 6)
			for (int i = 0; i < 6; i++)
				snprintf(v[i], sizeof(v[i]), "%s",
					 row[i] ? row[i] : "");
		mysql_free_result(res);
	}
	if (mysql_query(m, "SHOW GLOBAL STATUS LIKE 'Threads_connected'") ==
		    0 &&
	    (res = mysql_store_result(m))) {
		if ((row = mysql_fetch_row(res)) &&
		    mysql_num_fields(res) >= 2 && row[1])
			used = atoll(row[1]);
		mysql_free_result(res);
	}
	maxc = atoll(v[1]);
	database_fact(t, "mysql.version", "%s", v[0]);
	database_fact(t, "mysql.max_connections", "%lld", maxc);
	database_fact(t, "mysql.connections_in_use", "%lld", used);
	database_fact(t, "mysql.charset", "%s", v[3]);
	database_fact(t, "mysql.collation", "%s", v[4]);
	database_fact(t, "mysql.database_size", "%s", v[5]);
	if (maxc > 0 && used >= 0 && used * 100 >= maxc * 80)
		database_finding(
			t, "db.mysql.connections_near_limit", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("MySQL/MariaDB is close to its connection limit"),
			N_("Ask the database admin to raise max_connections or "
			   "find the clients holding connections"),
			"%lld of %lld connections in use", used, maxc);
	else if (maxc > 0 && used >= 0)
		database_finding(t, "db.mysql.connections_ok", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 N_("MySQL/MariaDB has free connection slots"),
				 NULL, "%lld of %lld in use", used, maxc);
	if (strcmp(v[2], "1") == 0)
		database_finding(
			t, "db.mysql.read_only", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The MySQL/MariaDB server is read-only"),
			N_("The application cannot write here: connect to the "
			   "primary, or ask the admin why read_only is set"),
			NULL);
	if (v[3][0] &&
	    ((t->expected_encoding &&
	      strcasecmp(v[3], t->expected_encoding) != 0) ||
	     (!t->expected_encoding && strncmp(v[3], "utf8", 4) != 0)))
		database_finding(
			t, "db.mysql.charset_mismatch", SEVERITY_WARN,
			LEVEL_SUPPORT,
			N_("The database's character set is not what the "
			   "application expects"),
			N_("Text outside the character set is mangled: convert "
			   "the database (ALTER DATABASE ... CHARACTER SET "
			   "utf8mb4) after a backup"),
			"character set %s, collation %s, expected %s", v[3],
			v[4],
			t->expected_encoding ? t->expected_encoding
					     : "utf8mb4");
	if (tls) {
		char account[80];
		bool server;

		if (tls_demanded(m, &server, account, sizeof(account)))
			database_finding(
				t, "db.mysql.tls.required", SEVERITY_INFO,
				LEVEL_SUPPORT,
				N_("MySQL/MariaDB accepts this login only over "
				   "TLS"),
				N_("The application's connection must use TLS "
				   "(ssl-mode=REQUIRED): a driver that does "
				   "not use TLS by default is refused as "
				   "'access denied'"),
				"%s",
				server ? "require_secure_transport=ON"
				       : account);
	}
	database_finding(t, "db.mysql.login.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 N_("Logging in to MySQL/MariaDB works"), NULL,
			 "user '%s', database '%s', version %s, %s",
			 t->url.user, t->url.database, v[0],
			 tls ? "over TLS" : "without TLS");
}

/* Connect as the application would, over TLS or not; NULL with the error. */
static MYSQL *try_login(struct database_target *t, bool tls, unsigned *ret_code,
			char *err, size_t errlen)
{
	unsigned secs = (t->step_ms + 999) / 1000, proto = MYSQL_PROTOCOL_TCP;
	const struct database_url *u = &t->url;
	bool verify = u->tls_mode >= DATABASE_TLS_VERIFY_CA;
	my_bool check = verify ? 1 : 0;
	MYSQL *m = mysql_init(NULL);

	if (!m) {
		*ret_code = 2008;
		snprintf(err, errlen, "mysql_init: out of memory");
		return NULL;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	if (u->charset[0])
		mysql_options(m, MYSQL_SET_CHARSET_NAME, u->charset);
	mysql_options4(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
		       u->application_name[0] ? u->application_name : "rdiag");
	if (tls) {
		/* mysql_ssl_set() also makes TLS mandatory for this try. */
		mysql_ssl_set(m, u->ssl_key[0] ? u->ssl_key : NULL,
			      u->ssl_cert[0] ? u->ssl_cert : NULL,
			      u->ssl_rootcert[0] ? u->ssl_rootcert : NULL, NULL,
			      NULL);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &check);
	}
	/* A verified name is the one the application uses, not our address. */
	if (!mysql_real_connect(
		    m, verify ? u->host : t->addr_text, u->user, t->password,
		    u->database[0] ? u->database : NULL, u->port, NULL, 0)) {
		*ret_code = mysql_errno(m);
		snprintf(err, errlen, "%s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/*
 * The application's setting disables TLS and the login without it was
 * refused, but the same credential works over TLS: TLS is required, by the
 * server or by the account. Say that, not "wrong password".
 */
static void report_tls_required(struct database_target *t, MYSQL *m,
				unsigned code, const char *err)
{
	char account[80], *title, *hint;
	bool server;

	tls_demanded(m, &server, account, sizeof(account));
	if (server || !account[0]) {
		title = xasprintf(
			N_("MySQL/MariaDB accepts only TLS connections "
			   "(require_secure_transport), but the application's "
			   "setting disables TLS (%s)"),
			t->url.tls_param);
		hint = xasprintf(
			N_("Enable TLS in the application's database setting "
			   "(replace %s with REQUIRED): the same user and "
			   "password log in over TLS. Turning "
			   "require_secure_transport off on the server would "
			   "work too, but sends data unencrypted"),
			t->url.tls_param);
		database_finding(t, "db.mysql.tls.required_by_server",
				 SEVERITY_FAIL, LEVEL_SUPPORT, title, hint,
				 "without TLS: error %u: %s; over TLS the "
				 "login works",
				 code, err);
	} else {
		title = xasprintf(
			N_("The MySQL/MariaDB account '%s' requires TLS (%s), "
			   "but the application's setting disables TLS (%s)"),
			t->url.user, account, t->url.tls_param);
		hint = xasprintf(
			N_("Enable TLS in the application's database setting "
			   "(replace %s with REQUIRED): the same user and "
			   "password log in over TLS. Or the database admin "
			   "drops the requirement (ALTER USER ... REQUIRE "
			   "NONE), which sends data unencrypted"),
			t->url.tls_param);
		database_finding(t, "db.mysql.tls.required_by_account",
				 SEVERITY_FAIL, LEVEL_SUPPORT, title, hint,
				 "without TLS: error %u: %s (the server says "
				 "'access denied' for a missing TLS too); over "
				 "TLS the login works",
				 code, err);
	}
	free(title);
	free(hint);
}

/* 1045 with what rdiag knows about TLS: the causes that look the same. */
static void report_denied(struct database_target *t, unsigned code,
			  const char *err, bool tls, bool offered)
{
	const char *hint =
		tls ? "Check the user and password the application uses and "
		      "that the user exists for this host. An account that "
		      "requires a client certificate (REQUIRE X509, ISSUER, "
		      "SUBJECT) is refused with the same error: then give "
		      "the certificate as ssl-cert and ssl-key in the url"
		: offered
			? "Check the user and password the application uses "
			  "and that the user exists for this host (the login "
			  "fails over TLS too)"
			: "Check the user and password the application uses "
			  "and that the user exists for this host. An account "
			  "that requires TLS (REQUIRE SSL) is refused with the "
			  "same error, and this server offers no TLS: ask the "
			  "database admin";

	database_finding(t, "db.mysql.login.denied", SEVERITY_FAIL,
			 LEVEL_SUPPORT,
			 N_("MySQL/MariaDB rejects the user name or password"),
			 hint, "error %u: %s (%s)", code, err,
			 tls ? "over TLS" : "without TLS");
}

static void login(struct database_target *t, const char *client, bool offered)
{
	bool tls = offered && t->url.tls_mode != DATABASE_TLS_DISABLE;
	int64_t start = now_ms();
	char err[512], err2[512];
	unsigned code = 0, code2 = 0;
	MYSQL *m;

	if (t->url.tls_mode >= DATABASE_TLS_REQUIRE && !offered) {
		database_finding(t, "db.mysql.tls.required_not_offered",
				 SEVERITY_FAIL, LEVEL_THIRD_PARTY,
				 N_("The application requires TLS, but the "
				    "MySQL/MariaDB server does not offer it"),
				 N_("Ask the database admin to configure "
				    "ssl_cert and ssl_key on the server (the "
				    "application's setting demands TLS)"),
				 "%s", t->url.tls_param);
		return;
	}
	m = try_login(t, tls, &code, err, sizeof(err));
	database_fact(t, "mysql.login_ms", "%lld",
		      (long long)(now_ms() - start));
	database_fact(t, "mysql.login_tls", "%s", tls ? "yes" : "no");
	if (m) {
		report_session(t, m, tls);
		mysql_close(m);
		return;
	}
	/* ER_SECURE_TRANSPORT_REQUIRED (MySQL), or MariaDB's plain 1045. */
	if ((code == 3159 || code == 1045) && !tls && offered) {
		m = try_login(t, true, &code2, err2, sizeof(err2));
		if (m) {
			report_tls_required(t, m, code, err);
			mysql_close(m);
			return;
		}
	}
	/* CR_* (2000-2999) are libmariadb's own errors, not the server's. */
	if (code >= 2000 && code < 3000)
		database_finding(t, "db.mysql.login.failed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("Logging in to MySQL/MariaDB failed"),
				 N_("The message names the reason"),
				 "libmariadb error %u: %s (%s)", code, err,
				 tls ? "over TLS" : "without TLS");
	else if (code == 1045)
		report_denied(t, code, err, tls, offered);
	else
		report_server_error(t, code, err, client);
}

#else
/*
 * A build without libmariadb (rdiag.exe): the wire probe above is the
 * whole check, and a fact says so instead of staying silent.
 */
static void login(struct database_target *t, const char *client, bool offered)
{
	(void)client;
	(void)offered;
	database_fact(t, "mysql.login", "%s",
		      "not checked: this build has no MySQL/MariaDB client "
		      "library (wire probe only)");
}
#endif

static void database_mysql_check(struct database_target *t, int fd)
{
	struct mysql_probe_result *p = xcalloc(1, sizeof(*p));
	struct tls_client_opts o;
	int64_t start = now_ms();

	database_tls_opts(t, &o);
	mysql_probe(fd, t->url.host, true, &o, database_step_deadline(t), p);
	net_close(fd);
	database_fact(t, "mysql.probe_ms", "%lld",
		      (long long)(now_ms() - start));
	report_probe(t, p);
	if (p->rc == 0 && p->reply.kind == MYSQL_WIRE_GREETING) {
		if (t->password && t->url.user[0])
			login(t, p->local_host,
			      (p->reply.caps & MYSQL_WIRE_CLIENT_SSL) != 0);
		else
			database_finding(
				t, "db.mysql.login.skipped", SEVERITY_INFO,
				LEVEL_SELF,
				N_("No user or password given: the "
				   "MySQL/MariaDB login was not tried"),
				N_("To check the login too, put the user in "
				   "the url and the password in "
				   "RDIAG_DB_PASSWORD or a 0600 password_file"),
				NULL);
	}
	free(p);
}

const struct database_engine database_engine_mysql = {
	.kind = DATABASE_MYSQL,
	.network = true,
	.check = database_mysql_check,
};
