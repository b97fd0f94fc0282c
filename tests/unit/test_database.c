/*
 * Unit tests for the database collector run in-process through the
 * harness: no target, bad urls, an unsafe password file, nothing listening,
 * a listener that never speaks (each must end within its step time), and
 * SQLite files healthy, corrupted, in WAL mode, not a database, missing.
 * Real servers are exercised by tests/integration/database.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/config.h"
#include "database_pg.h"
#include "database_pg_log.h"
#include "database_private.h"
#include "harness.h"
#include "probes/pg.h"

extern const struct collector collector_database;

/* Run the collector with these [database] key=value pairs (NULL-ended). */
static void run_with(struct harness_run *run, const char *const *kv)
{
	struct config c;

	config_init(&c);
	for (; kv && kv[0]; kv += 2)
		config_add(&c, "database", kv[0], kv[1], "test");
	harness_run(&collector_database, "", &c, run);
	config_release(&c);
}

static void assert_finding(const struct harness_run *run, const char *id)
{
	if (!harness_finding(run, id)) {
		char *s = json_dumps(run->records, JSON_INDENT(1));

		print_error("no finding '%s' in:\n%s\n", id, s);
		free(s);
	}
	assert_non_null(harness_finding(run, id));
}

static void test_no_target(void **state)
{
	struct harness_run run;

	(void)state;
	run_with(&run, NULL);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "db.no_target");
	harness_release(&run);
}

static void test_bad_urls(void **state)
{
	static const char *const kv[] = {
		"url", "oracle://db/x",
		"url", "postgresql://u:hunter2@db/x",
		"url", "postgresql://u@db/x?ssl=hunter3",
		NULL,
	};
	struct harness_run run;
	char *all;

	(void)state;
	run_with(&run, kv);
	assert_finding(&run, "db.url.invalid");
	assert_finding(&run, "db.url.password_in_url");
	all = json_dumps(run.records, 0);
	assert_null(strstr(all, "hunter2"));
	/* A parameter in the config file: a finding naming it, unechoed. */
	assert_non_null(strstr(all, "'ssl' is not supported"));
	assert_null(strstr(all, "ssl=hunter3"));
	free(all);
	harness_release(&run);
}

static void test_password_file_mode(void **state)
{
	char path[] = "/tmp/rdiag-dbpw-XXXXXX";
	int fd = mkstemp(path);
	struct harness_run run;
	const char *kv[] = { "url", "sqlite:///nonexistent/x.db",
			     "password_file", path, NULL };
	json_t *f;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "pw\n", 3), 0);
	close(fd);
	chmod(path, 0644);
	run_with(&run, kv);
	f = harness_finding(&run, "db.password_file.unsafe");
	assert_non_null(f);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")),
			       "0644"));
	assert_int_equal(run.rc, -EPERM);
	harness_release(&run);
	chmod(path, 0600);
	run_with(&run, kv);
	assert_null(harness_finding(&run, "db.password_file.unsafe"));
	assert_finding(&run, "db.sqlite.missing");
	harness_release(&run);
	unlink(path);
}

/* A listening socket on 127.0.0.1 that never accepts; its port. */
static int silent_listener(unsigned *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

static void test_refused(void **state)
{
	unsigned port;
	int fd = silent_listener(&port);
	char url[128];
	const char *kv[] = { "url", url, NULL };
	struct harness_run run;

	(void)state;
	close(fd); /* now nothing listens there */
	snprintf(url, sizeof(url), "postgresql://u@127.0.0.1:%u/d", port);
	run_with(&run, kv);
	assert_finding(&run, "db.tcp.refused");
	assert_null(harness_finding(&run, "db.dns.ok")); /* a literal */
	harness_release(&run);
}

static void test_silent(void **state)
{
	static const struct {
		const char *scheme;
		const char *id;
	} cases[] = {
		{ "postgresql", "db.pg.no_reply" },
		{ "mysql", "db.mysql.no_greeting" },
		{ "sqlserver", "db.mssql.no_prelogin_reply" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned port;
		int fd = silent_listener(&port);
		char url[128];
		const char *kv[] = { "url", url, "connect_timeout_ms", "300",
				     NULL };
		struct harness_run run;
		int64_t start = now_ms(), took;

		snprintf(url, sizeof(url), "%s://u@127.0.0.1:%u/d",
			 cases[i].scheme, port);
		run_with(&run, kv);
		took = now_ms() - start;
		assert_finding(&run, "db.tcp.ok");
		assert_finding(&run, cases[i].id);
		/* SQL Server tries PRELOGIN, then strict TLS: two steps. */
		assert_true(took < 900);
		harness_release(&run);
		close(fd);
	}
}

static sqlite3 *make_db(const char *path, bool wal)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (wal)
		assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL",
					      NULL, NULL, &err),
				 SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
			     "CREATE INDEX tb ON t(b);"
			     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
			     "SELECT x + 1 FROM c WHERE x < 2000) "
			     "INSERT INTO t SELECT x, hex(randomblob(40)) "
			     "FROM c;",
			     NULL, NULL, &err),
		SQLITE_OK);
	if (!wal) {
		sqlite3_close(db);
		return NULL;
	}
	/* A WAL database stays open while checked: its -wal file stays. */
	return db;
}

static void test_sqlite(void **state)
{
	char dir[] = "/tmp/rdiag-dbtest-XXXXXX", url[256], path[200];
	const char *kv[] = { "url", url, NULL };
	struct harness_run run;
	sqlite3 *db;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/ok.db", dir);
	make_db(path, false);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.ok");
	assert_non_null(harness_fact(&run, "db.1.sqlite.filesystem"));
	harness_release(&run);

	/* Scribble over pages in the middle: the header stays valid. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	for (off_t o = 8192; o < 8192 * 4; o += 512)
		assert_int_equal(pwrite(fd, "garbage!garbage!", 16, o), 16);
	close(fd);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.corrupt");
	assert_null(harness_finding(&run, "db.sqlite.ok"));
	harness_release(&run);

	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "not a database!", 15, 0), 15);
	close(fd);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.not_a_database");
	harness_release(&run);

	snprintf(path, sizeof(path), "%s/wal.db", dir);
	db = make_db(path, true);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.wal");
	assert_finding(&run, "db.sqlite.ok");
	assert_non_null(harness_fact(&run, "db.1.sqlite.wal_size"));
	harness_release(&run);
	sqlite3_close(db);

	snprintf(url, sizeof(url), "sqlite://%s/missing.db", dir);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.missing");
	harness_release(&run);

	snprintf(url, sizeof(url), "sqlite://%s", dir);
	run_with(&run, kv);
	assert_finding(&run, "db.sqlite.not_a_file");
	harness_release(&run);

	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

/* A DNS server that does not answer is not a name that does not exist. */
static void test_dns_verdicts(void **state)
{
	(void)state;
	assert_string_equal(database_dns_failure_id(0, true), "db.dns.timeout");
	assert_string_equal(database_dns_failure_id(EAI_AGAIN, false),
			    "db.dns.no_answer");
	assert_string_equal(database_dns_failure_id(EAI_NONAME, false),
			    "db.dns.not_found");
	assert_string_equal(database_dns_failure_id(-5 /* EAI_NODATA */, false),
			    "db.dns.not_found");
	assert_string_equal(database_dns_failure_id(0, false),
			    "db.dns.not_found"); /* an answer without address */
	assert_string_equal(database_dns_failure_id(EAI_FAIL, false),
			    "db.dns.failed");
	assert_string_equal(database_dns_failure_id(EAI_SYSTEM, false),
			    "db.dns.failed");
}

/* PostgreSQL's refusals, as PostgreSQL 15 words them, by their cause. */
static void test_pg_causes(void **state)
{
	static const struct {
		const char *sqlstate, *message;
		enum database_pg_cause cause;
	} cases[] = {
		{ "28000",
		  "no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", "
		  "database \"appdb\", no encryption",
		  DATABASE_PG_NO_HBA },
		{ "28000",
		  "pg_hba.conf rejects connection for host \"127.0.0.1\", "
		  "user \"app\", database \"appdb\", SSL encryption",
		  DATABASE_PG_HBA_REJECT },
		{ "28000", "role \"grp\" is not permitted to log in",
		  DATABASE_PG_NO_LOGIN },
		{ "28000", "role \"ghost\" does not exist",
		  DATABASE_PG_ROLE_MISSING },
		{ "28000", "connection requires a valid client certificate",
		  DATABASE_PG_CERT_REQUIRED },
		{ "28000", "certificate authentication failed for user \"app\"",
		  DATABASE_PG_CERT_REJECTED },
		{ "28000", "Ident authentication failed for user \"app\"",
		  DATABASE_PG_METHOD_FAILED },
		{ "28000", "LDAP authentication failed for user \"app\"",
		  DATABASE_PG_METHOD_FAILED },
		{ "28000", "Die Rolle darf sich nicht anmelden",
		  DATABASE_PG_OTHER }, /* another lc_messages: generic */
		{ "28P01", "password authentication failed for user \"old\"",
		  DATABASE_PG_BAD_PASSWORD },
		{ "42501", "permission denied for database \"private\"",
		  DATABASE_PG_NO_CONNECT },
		{ "55000",
		  "database \"closed\" is not currently accepting "
		  "connections",
		  DATABASE_PG_NOT_ACCEPTING },
		{ "3D000", "database \"x\" does not exist",
		  DATABASE_PG_DB_MISSING },
		{ "53300", "too many connections for database \"limited\"",
		  DATABASE_PG_TOO_MANY },
		{ "57P03", "the database system is starting up",
		  DATABASE_PG_STARTING },
		/* A message alone never decides: the SQLSTATE does. */
		{ "XX000", "no pg_hba.conf entry", DATABASE_PG_OTHER },
		{ "", "password authentication failed", DATABASE_PG_OTHER },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum database_pg_cause c = database_pg_classify(
			cases[i].sqlstate, cases[i].message);

		if (c != cases[i].cause)
			print_error("case %zu: %s '%s' gave %d\n", i,
				    cases[i].sqlstate, cases[i].message, c);
		assert_int_equal(c, cases[i].cause);
	}
}

/* libpq's verbose failure text: the last attempt's SQLSTATE wins. */
static void test_pg_libpq_errors(void **state)
{
	struct pg_reply e;

	(void)state;
	assert_true(database_pg_parse_libpq(
		"connection to server at \"127.0.0.1\", port 5432 failed: "
		"FATAL:  42501: permission denied for database \"private\"\n"
		"DETAIL:  User does not have CONNECT privilege.\n"
		"LOCATION:  CheckMyDatabase, postinit.c:376\n",
		&e));
	assert_string_equal(e.sqlstate, "42501");
	assert_string_equal(e.message,
			    "permission denied for database \"private\"");
	assert_string_equal(e.detail, "User does not have CONNECT privilege.");
	/* sslmode=prefer: the TLS attempt, then the one without TLS. */
	assert_true(database_pg_parse_libpq(
		"connection to server at \"h\" (127.0.0.1), port 5432 failed: "
		"FATAL:  28000: pg_hba.conf rejects connection for host "
		"\"127.0.0.1\", user \"a\", database \"d\", SSL encryption\n"
		"LOCATION:  ClientAuthentication, auth.c:1\n"
		"connection to server at \"h\" (127.0.0.1), port 5432 failed: "
		"FATAL:  28P01: password authentication failed for user "
		"\"a\"\n",
		&e));
	assert_string_equal(e.sqlstate, "28P01");
	assert_string_equal(e.detail, "");
	/* Client-side failures carry no SQLSTATE. */
	assert_false(database_pg_parse_libpq(
		"connection to server at \"h\", port 5432 failed: SSL error: "
		"certificate verify failed\n",
		&e));
	assert_false(database_pg_parse_libpq("", &e));
	assert_false(database_pg_parse_libpq("FATAL:  2800", &e));
}

/* The server log's DETAIL for the last failed login of the user. */
static void test_pg_server_log(void **state)
{
	static const char log[] =
		"2026-12-04 18:23:35.800 UTC [1] FATAL:  password "
		"authentication failed for user \"old\"\n"
		"2026-12-04 18:23:35.800 UTC [1] DETAIL:  User \"old\" has an "
		"expired password.\n"
		"\tConnection matched pg_hba.conf line 2: \"host all all "
		"127.0.0.1/32 scram-sha-256\"\n"
		"2026-12-04 18:23:36.037 UTC [2] FATAL:  password "
		"authentication failed for user \"app\"\n"
		"2026-12-04 18:23:36.037 UTC [2] DETAIL:  Connection matched "
		"pg_hba.conf line 2: \"host all all 127.0.0.1/32 "
		"scram-sha-256\"\n"
		"2026-12-04 18:23:37.000 UTC [3] FATAL:  password "
		"authentication failed for user \"legacy\"\n"
		"2026-12-04 18:23:37.000 UTC [3] DETAIL:  User \"legacy\" does "
		"not have a valid SCRAM secret.\n"
		"\tConnection matched pg_hba.conf line 2: \"host all all "
		"127.0.0.1/32 scram-sha-256\"\n"
		"2026-12-04 18:23:38.000 UTC [4] FATAL:  password "
		"authentication failed for user \"old\"\n"
		"2026-12-04 18:23:38.000 UTC [4] DETAIL:  Role \"old\" does "
		"not "
		"exist.\n"
		"2026-12-04 18:23:39.000 UTC [5] LOG:  received SIGHUP\n"
		"FATAL:  password authentication failed for user \"nopw\"\n"
		"DETAIL:  User \"nopw\" has no password assigned.\n";
	static const struct {
		const char *user;
		int r;
		enum database_pg_log_reason reason;
		const char *hba;
	} cases[] = {
		{ "old", 0, DATABASE_PG_LOG_ROLE_MISSING, "" }, /* the last */
		{ "app", 0, DATABASE_PG_LOG_WRONG_PASSWORD,
		  "Connection matched pg_hba.conf line 2: \"host all all "
		  "127.0.0.1/32 scram-sha-256\"" },
		{ "legacy", 0, DATABASE_PG_LOG_NO_SCRAM_SECRET,
		  "Connection matched pg_hba.conf line 2: \"host all all "
		  "127.0.0.1/32 scram-sha-256\"" },
		{ "nopw", 0, DATABASE_PG_LOG_NO_PASSWORD, "" },
		{ "ap", -ENOENT, 0, NULL },
		{ "nobody", -ENOENT, 0, NULL },
	};
	struct database_pg_log_hit hit;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = database_pg_log_parse(log, sizeof(log) - 1,
					      cases[i].user, &hit);

		if (r != cases[i].r ||
		    (r == 0 && hit.reason != cases[i].reason))
			print_error("case %zu (%s): %d, reason %d\n", i,
				    cases[i].user, r, hit.reason);
		assert_int_equal(r, cases[i].r);
		if (r < 0)
			continue;
		assert_int_equal(hit.reason, cases[i].reason);
		assert_string_equal(hit.hba, cases[i].hba);
	}
	/* Only the first line: its DETAIL has not been written yet. */
	assert_int_equal(
		database_pg_log_parse(log, (size_t)(strchr(log, '\n') - log),
				      "old", &hit),
		0);
	assert_int_equal(hit.reason, DATABASE_PG_LOG_NONE);
	assert_int_equal(database_pg_log_parse(log, 0, "old", &hit), -ENOENT);
}

/* The first pg_hba.conf line that matches wins, as the server reads it. */
static void test_pg_hba_match(void **state)
{
	static const char hba[] =
		"# TYPE DATABASE USER ADDRESS METHOD\n"
		"local all all trust\n"
		"hostssl all all 0.0.0.0/0 scram-sha-256\n"
		"host sales,\"all\" app 10.0.0.0/8 md5 # a comment\n"
		"host appdb +staff 192.168.1.0/24 scram-sha-256\n"
		"host appdb app 192.168.1.0 255.255.255.0 reject\n"
		"host sameuser all 192.168.0.0/16 trust\n"
		"host all all ::1/128 trust\n"
		"host all all samehost scram-sha-256\n";
	static const struct {
		const char *db, *user, *client;
		bool tls, local;
		unsigned line, unsure;
	} cases[] = {
		{ "appdb", "app", "192.168.1.7", true, false, 3, 0 },
		{ "appdb", "app", "192.168.1.7", false, false, 6, 5 },
		{ "all", "app", "10.1.2.3", false, false, 4, 0 },
		{ "appdb", "app", "10.1.2.3", false, false, 0, 9 },
		{ "bob", "bob", "192.168.7.1", false, false, 7, 0 },
		{ "appdb", "app", "::1", false, false, 8, 0 },
		{ "appdb", "app", "172.16.0.1", false, true, 9, 0 },
		{ "appdb", "app", "172.16.0.1", false, false, 0, 9 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct database_pg_hba_conn c = { cases[i].db, cases[i].user,
						  cases[i].client, cases[i].tls,
						  cases[i].local };
		struct database_pg_hba_match m;

		database_pg_hba_first_match(hba, sizeof(hba) - 1, &c, &m);
		if (m.lineno != cases[i].line || m.unsure != cases[i].unsure)
			print_error("case %zu: line %u, unsure %u\n", i,
				    m.lineno, m.unsure);
		assert_int_equal(m.lineno, cases[i].line);
		assert_int_equal(m.unsure, cases[i].unsure);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_target),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_password_file_mode),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_dns_verdicts),
		cmocka_unit_test(test_pg_causes),
		cmocka_unit_test(test_pg_libpq_errors),
		cmocka_unit_test(test_pg_server_log),
		cmocka_unit_test(test_pg_hba_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
