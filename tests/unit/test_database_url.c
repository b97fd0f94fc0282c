/*
 * Unit tests for the database collector's pure parts: url parsing and the
 * file-system classification of the SQLite check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "database_sqlite.h"
#include "database_url.h"
#include "rdiag/url.h"
#include "rdiag/util.h"

static void test_url(void **state)
{
	static const struct {
		const char *in;
		int r;
		enum database_kind kind;
		const char *user, *host;
		unsigned port;
		const char *db, *display;
	} cases[] = {
		{ "postgresql://app@db.example:6432/appdb", 0,
		  DATABASE_POSTGRES, "app", "db.example", 6432, "appdb",
		  "postgresql://app@db.example:6432/appdb" },
		{ "postgres://db", 0, DATABASE_POSTGRES, "", "db", 5432, "",
		  "postgres://db:5432/" },
		{ "mysql://u%40corp@[::1]/d%2Fx?ssl-mode=required", 0,
		  DATABASE_MYSQL, "u@corp", "::1", 3306, "d/x",
		  "mysql://u@corp@[::1]:3306/d/x" },
		{ "mariadb://u@127.0.0.1:3307/shop", 0, DATABASE_MYSQL, "u",
		  "127.0.0.1", 3307, "shop", NULL },
		{ "sqlserver://sql01/SQLEXPRESS", 0, DATABASE_MSSQL, "",
		  "sql01", 1433, "", "sqlserver://sql01:1433/SQLEXPRESS" },
		{ "sqlite:///var/lib/app/app.db", 0, DATABASE_SQLITE, "", "", 0,
		  "", "sqlite:///var/lib/app/app.db" },
		{ "postgresql://u:secret@db/x", 0, DATABASE_POSTGRES, "u", "db",
		  5432, "x", "postgresql://u:***@db:5432/x" },
		/* Schemes are case-insensitive (RFC 3986 3.1, libpq). */
		{ "PostgreSQL://db/x", 0, DATABASE_POSTGRES, "", "db", 5432,
		  "x", "postgresql://db:5432/x" },
		/* The userinfo ends at the last '@', as libpq reads it. */
		{ "postgresql://u:p@ss@db:6432/x", 0, DATABASE_POSTGRES, "u",
		  "db", 6432, "x", "postgresql://u:***@db:6432/x" },
		{ "mysql://a%3Ab@db/x", 0, DATABASE_MYSQL, "a:b", "db", 3306,
		  "x", "mysql://a:b@db:3306/x" },
		/* A zone id reaches getaddrinfo decoded. */
		{ "postgresql://[fe80::1%25eth0]:5433/x", 0, DATABASE_POSTGRES,
		  "", "fe80::1%eth0", 5433, "x",
		  "postgresql://[fe80::1%25eth0]:5433/x" },
		{ "postgresql://[db.example]/x", -EINVAL, 0, NULL, NULL, 0,
		  NULL, NULL },
		{ "postgresql://[::1]5432/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db:/x", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "postgresql://u%0A@db/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "oracle://db/x", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "db:5432", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "postgresql://db:0/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db:65536/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db:54x/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql:///x", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "postgresql://d b/x", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "postgresql://[::1/x", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db/a%00b", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db/a%4", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "postgresql://db/a/b", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "sqlite://relative.db", -EINVAL, 0, NULL, NULL, 0, NULL,
		  NULL },
		{ "sqlite:///tmp/", -EINVAL, 0, NULL, NULL, 0, NULL, NULL },
		{ "sqlserver://h/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", -EINVAL,
		  0, NULL, NULL, 0, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct database_url u;
		char err[256] = "";
		int r = database_url_parse(cases[i].in, &u, err, sizeof(err));

		if (r != cases[i].r)
			print_error("case %zu: '%s' gave %d\n", i, cases[i].in,
				    r);
		assert_int_equal(r, cases[i].r);
		if (r < 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(u.kind, cases[i].kind);
		assert_string_equal(u.user, cases[i].user);
		assert_string_equal(u.host, cases[i].host);
		assert_int_equal(u.port, cases[i].port);
		assert_string_equal(u.database, cases[i].db);
		if (cases[i].display)
			assert_string_equal(u.display, cases[i].display);
		/* The password itself is never kept anywhere. */
		assert_null(strstr(u.display, "secret"));
	}
}

/* Over-long urls are refused as such, whatever they are made of. */
static void test_url_too_long(void **state)
{
	size_t n = URL_MAX_LEN + 10;
	char *s = xmalloc(n + 1), err[256] = "";
	struct database_url u;

	(void)state;
	memset(s, '&', n);
	memcpy(s, "postgresql://db/x?", 18);
	s[n] = '\0';
	assert_int_equal(database_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "url is too long");
	free(s);
}

static void test_url_parts(void **state)
{
	struct database_url u;

	(void)state;
	assert_int_equal(
		database_url_parse("sqlserver://h:1500/INST", &u, NULL, 0), 0);
	assert_true(u.has_port);
	assert_string_equal(u.instance, "INST");
	assert_int_equal(database_url_parse("sqlite:///a%20b.db", &u, NULL, 0),
			 0);
	assert_string_equal(u.path, "/a b.db");
	assert_string_equal(database_kind_name(DATABASE_MYSQL),
			    "MySQL/MariaDB");
}

/*
 * Connection parameters are honoured (parsed into the url) or refused
 * with a reason that names the parameter, never ignored.
 */
static struct database_url u_params;

static void test_url_params(void **state)
{
	static const struct {
		const char *in;
		const char *refused; /* in the reason, or NULL: accepted */
	} cases[] = {
		{ "postgresql://h/d?sslmode=verify-full&sslrootcert=/ca.pem"
		  "&connect_timeout=7&application_name=app%20x",
		  NULL },
		{ "postgresql://h/d?sslmode=disable#frag", NULL },
		{ "postgresql://h/d?sslmode=DISABLE", "'sslmode' must be" },
		{ "postgresql://h/d?ssl=true", "parameter 'ssl' is not" },
		{ "postgresql://h/d?sslmode", "'sslmode' needs a value" },
		{ "postgresql://h/d?connect_timeout=5s", "connect_timeout" },
		{ "postgresql://h/d?sslmode=require&sslmode=disable",
		  "given twice" },
		{ "postgresql://h/d?ssl-mode=REQUIRED", "'ssl-mode'" },
		{ "postgresql://h/d?target_session_attrs=read-write", NULL },
		{ "postgresql://h/d?target_session_attrs=rw",
		  "target_session_attrs" },
		{ "mysql://h/d?ssl-mode=disabled&charset=utf8mb4", NULL },
		{ "mysql://h/d?ssl_mode=VERIFY_IDENTITY&ssl-ca=/ca.pem"
		  "&ssl-cert=/c.pem&ssl-key=/k.pem",
		  NULL },
		{ "mysql://h/d?ssl-mode=disabled&sslmode=required",
		  "given twice" },
		{ "mysql://h/d?sslmode=verify-full", "'sslmode' must be" },
		{ "mysql://h/d?useSSL=false", "'useSSL'" },
		{ "mysql://h/d?client_encoding=utf8", "'client_encoding'" },
		{ "sqlserver://h/I?encrypt=true", "'encrypt'" },
		{ "sqlite:///a.db?mode=ro", "'mode'" },
		{ "postgresql://h/d?password=hunter2", "RDIAG_DB_PASSWORD" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct database_url u;
		char err[256] = "";
		int r = database_url_parse(cases[i].in, &u, err, sizeof(err));

		if ((r == 0) != (cases[i].refused == NULL) ||
		    (cases[i].refused && !strstr(err, cases[i].refused)))
			print_error("case %zu: '%s' gave %d '%s'\n", i,
				    cases[i].in, r, err);
		if (!cases[i].refused) {
			assert_int_equal(r, 0);
			continue;
		}
		assert_int_equal(r, -EINVAL);
		assert_non_null(strstr(err, cases[i].refused));
	}
	assert_int_equal(
		database_url_parse("postgresql://h/d?sslmode=verify-full"
				   "&sslrootcert=/ca%2B.pem&connect_timeout=1"
				   "&application_name=app%20x",
				   &u_params, NULL, 0),
		0);
	assert_int_equal(u_params.tls_mode, DATABASE_TLS_VERIFY_FULL);
	assert_string_equal(u_params.tls_param, "sslmode=verify-full");
	assert_string_equal(u_params.ssl_rootcert, "/ca+.pem");
	assert_int_equal(u_params.connect_timeout_s, 2); /* as libpq: 1 is 2 */
	assert_string_equal(u_params.application_name, "app x");
	assert_string_equal(u_params.display, "postgresql://h:5432/d");
	assert_int_equal(database_url_parse("mysql://h/d?SSL-MODE=disabled",
					    &u_params, NULL, 0),
			 0);
	assert_int_equal(u_params.tls_mode, DATABASE_TLS_DISABLE);
	assert_string_equal(u_params.tls_param, "SSL-MODE=DISABLED");
}

static void test_fs_classify(void **state)
{
	static const struct {
		long magic;
		enum database_sqlite_fs cls;
		const char *name;
	} cases[] = {
		{ 0x6969, DATABASE_SQLITE_FS_NETWORK, "nfs" },
		{ (long)0xFF534D42, DATABASE_SQLITE_FS_NETWORK, "cifs" },
		{ (long)0xFE534D42, DATABASE_SQLITE_FS_NETWORK, "smb2" },
		{ (long)(int32_t)0xFF534D42, DATABASE_SQLITE_FS_NETWORK,
		  "cifs" }, /* sign-extended f_type */
		{ 0x65735546, DATABASE_SQLITE_FS_FUSE, "fuse" },
		{ 0xEF53, DATABASE_SQLITE_FS_LOCAL, "ext4" },
		{ 0x12345, DATABASE_SQLITE_FS_UNKNOWN, "unknown" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *name = NULL;

		assert_int_equal(
			database_sqlite_fs_classify(cases[i].magic, &name),
			cases[i].cls);
		assert_string_equal(name, cases[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_too_long),
		cmocka_unit_test(test_url_parts),
		cmocka_unit_test(test_url_params),
		cmocka_unit_test(test_fs_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
