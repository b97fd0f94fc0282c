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

#include <mysql.h>

#include "database_private.h"
#include "probes/mysql.h"

#define RTT_SAMPLES 5

static void report_server_error(struct database_target *t, unsigned code,
				const char *msg, const char *client)
{
	char *hint = NULL;

	switch (code) {
	case 1040:
		database_finding(
			t, "db.mysql.too_many_connections", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"The MySQL/MariaDB server refuses connections: too "
			"many connections",
			"Ask the database admin to raise max_connections or "
			"find the clients holding connections (SHOW "
			"PROCESSLIST)",
			"error %u: %s", code, msg);
		break;
	case 1129:
		database_finding(
			t, "db.mysql.host_blocked", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"The MySQL/MariaDB server has blocked this host after "
			"too many failed connections",
			"Ask the database admin to run 'FLUSH HOSTS' (or "
			"mariadb-admin flush-hosts) and raise "
			"max_connect_errors; then find what keeps failing",
			"error %u: %s", code, msg);
		break;
	case 1130:
		hint = xasprintf("Ask the database admin to create the "
				 "application's user for this host, e.g. "
				 "CREATE USER 'USER'@'%s' ... and GRANT it "
				 "the application's database",
				 client);
		database_finding(t, "db.mysql.host_not_allowed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 "The MySQL/MariaDB server does not allow "
				 "connections from this host",
				 hint, "error %u: %s", code, msg);
		break;
	case 1045:
		database_finding(
			t, "db.mysql.login.denied", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			"MySQL/MariaDB rejects the user name or password",
			"Check the user and password the application uses and "
			"that the user exists for this host",
			"error %u: %s", code, msg);
		break;
	case 1044:
		database_finding(
			t, "db.mysql.no_database_access", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"The user may log in but not use the database",
			"Ask the database admin to GRANT the user access to "
			"the application's database",
			"error %u: %s", code, msg);
		break;
	case 1049:
		database_finding(
			t, "db.mysql.database_missing", SEVERITY_FAIL,
			LEVEL_SUPPORT,
			"The database named in the setting does not exist on "
			"the server",
			"Check the database name in the application's setting; "
			"if it is right, the database must be created or "
			"restored",
			"error %u: %s", code, msg);
		break;
	default:
		database_finding(t, "db.mysql.server_error", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 "The MySQL/MariaDB server refused the "
				 "connection",
				 "Ask the database admin to look up this error",
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
				"The database port accepts connections but the "
				"server sends no greeting",
				"The server is overloaded or hung (or slow "
				"reverse DNS of this host: skip-name-resolve), "
				"or another service listens on this port",
				"nothing within %u ms", t->step_ms);
		else
			database_finding(
				t, "db.mysql.bad_greeting", SEVERITY_FAIL,
				LEVEL_SUPPORT,
				"The service on the database port does not "
				"speak MySQL",
				"Check the port in the application's setting",
				"%s",
				p->rc == -EBADMSG ? "not a MySQL greeting"
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
			 "The MySQL/MariaDB server answers", NULL,
			 "%s %s, auth plugin %s",
			 g->mariadb ? "MariaDB" : "MySQL", g->version,
			 g->auth_plugin[0] ? g->auth_plugin : "(none)");
	if (g->caps & MYSQL_WIRE_CLIENT_SSL) {
		database_finding(t, "db.mysql.tls.offered", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 "The MySQL/MariaDB server offers TLS", NULL,
				 NULL);
		if (p->tls_done)
			database_report_tls(t, p->tls_rc, &p->tls);
	} else {
		database_finding(
			t, "db.mysql.tls.not_offered", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"The MySQL/MariaDB server does not offer TLS: data "
			"crosses the network unencrypted",
			"Ask the database admin to configure ssl_cert and "
			"ssl_key on the server",
			NULL);
	}
}

static void report_session(struct database_target *t, MYSQL *m)
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

		if (mysql_query(m, "SELECT 1") != 0)
			break;
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
			database_finding(
				t, "db.mysql.slow_round_trip", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"A trivial query to MySQL/MariaDB takes long",
				"Check the network path (VPN, WAN) and the "
				"server's load",
				"median of %d: %lld ms", n, (long long)med);
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
			"MySQL/MariaDB is close to its connection limit",
			"Ask the database admin to raise max_connections or "
			"find the clients holding connections",
			"%lld of %lld connections in use", used, maxc);
	else if (maxc > 0 && used >= 0)
		database_finding(t, "db.mysql.connections_ok", SEVERITY_OK,
				 LEVEL_THIRD_PARTY,
				 "MySQL/MariaDB has free connection slots",
				 NULL, "%lld of %lld in use", used, maxc);
	if (strcmp(v[2], "1") == 0)
		database_finding(
			t, "db.mysql.read_only", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"The MySQL/MariaDB server is read-only",
			"The application cannot write here: connect to the "
			"primary, or ask the admin why read_only is set",
			NULL);
	if (v[3][0] &&
	    ((t->expected_encoding &&
	      strcasecmp(v[3], t->expected_encoding) != 0) ||
	     (!t->expected_encoding && strncmp(v[3], "utf8", 4) != 0)))
		database_finding(
			t, "db.mysql.charset_mismatch", SEVERITY_WARN,
			LEVEL_SUPPORT,
			"The database's character set is not what the "
			"application expects",
			"Text outside the character set is mangled: convert "
			"the database (ALTER DATABASE ... CHARACTER SET "
			"utf8mb4) after a backup",
			"character set %s, collation %s, expected %s", v[3],
			v[4],
			t->expected_encoding ? t->expected_encoding
					     : "utf8mb4");
	database_finding(t, "db.mysql.login.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 "Logging in to MySQL/MariaDB works", NULL,
			 "user '%s', database '%s', version %s", t->url.user,
			 t->url.database, v[0]);
}

static void login(struct database_target *t, const char *client)
{
	unsigned secs = (t->step_ms + 999) / 1000, proto = MYSQL_PROTOCOL_TCP;
	int64_t start = now_ms();
	MYSQL *m = mysql_init(NULL);

	if (!m)
		return;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	if (!mysql_real_connect(m, t->addr_text, t->url.user, t->password,
				t->url.database[0] ? t->url.database : NULL,
				t->url.port, NULL, 0)) {
		unsigned code = mysql_errno(m);

		database_fact(t, "mysql.login_ms", "%lld",
			      (long long)(now_ms() - start));
		if (code >= 2000)
			database_finding(t, "db.mysql.login.failed",
					 SEVERITY_FAIL, LEVEL_THIRD_PARTY,
					 "Logging in to MySQL/MariaDB failed",
					 "The message names the reason",
					 "libmariadb error %u: %s", code,
					 mysql_error(m));
		else
			report_server_error(t, code, mysql_error(m), client);
		mysql_close(m);
		return;
	}
	database_fact(t, "mysql.login_ms", "%lld",
		      (long long)(now_ms() - start));
	report_session(t, m);
	mysql_close(m);
}

void database_mysql_check(struct database_target *t, int fd)
{
	struct mysql_probe_result *p = xcalloc(1, sizeof(*p));
	int64_t start = now_ms();

	mysql_probe(fd, t->url.host, true, database_step_deadline(t), p);
	close(fd);
	database_fact(t, "mysql.probe_ms", "%lld",
		      (long long)(now_ms() - start));
	report_probe(t, p);
	if (p->rc == 0 && p->reply.kind == MYSQL_WIRE_GREETING) {
		if (t->password && t->url.user[0])
			login(t, p->local_host);
		else
			database_finding(
				t, "db.mysql.login.skipped", SEVERITY_INFO,
				LEVEL_SELF,
				"No user or password given: the MySQL/MariaDB "
				"login was not tried",
				"To check the login too, put the user in the "
				"url "
				"and the password in RDIAG_DB_PASSWORD or a "
				"0600 "
				"password_file",
				NULL);
	}
	free(p);
}
