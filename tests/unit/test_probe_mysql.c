/*
 * Unit tests for the MySQL/MariaDB greeting parser: a real MariaDB 10.11
 * greeting (fuzz seed corpus), greetings built from the protocol
 * description, error packets, truncations and hostile lengths.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "probes/mysql.h"

static size_t load_capture(const char *name, uint8_t *buf, size_t max)
{
	char *rel = xasprintf("../fuzz/corpus/fuzz_mysql_greeting/%s", name);
	size_t n = harness_read_data(rel, buf, max);

	free(rel);
	return n;
}

/* A MySQL 8 greeting as the protocol description lays it out. */
static const uint8_t mysql8[] =
	"\x4a\x00\x00\x00"                   /* length 74, seq 0 */
	"\x0a"                               /* protocol 10 */
	"8.0.36\0"                           /* version */
	"\x0b\x00\x00\x00"                   /* connection id 11 */
	"\x01\x02\x03\x04\x05\x06\x07\x08\0" /* auth-data-1, filler */
	"\xff\xff"                           /* caps low: SSL, 4.1, secure */
	"\xff"                               /* charset */
	"\x02\x00"                           /* status */
	"\xff\xdf"                           /* caps high */
	"\x15"                               /* auth-data length 21 */
	"\0\0\0\0\0\0\0\0\0\0"               /* reserved */
	"abcdefghijkl\0"                     /* auth-data-2, 13 bytes */
	"caching_sha2_password\0";

static void test_greetings(void **state)
{
	struct mysql_wire_reply r;
	uint8_t buf[512];
	size_t n = load_capture("mariadb-10.11", buf, sizeof(buf));

	(void)state;
	assert_int_equal(mysql_wire_parse(buf, n, &r), 0);
	assert_int_equal(r.kind, MYSQL_WIRE_GREETING);
	assert_string_equal(r.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
	assert_true(r.mariadb);
	assert_string_equal(r.auth_plugin, "mysql_native_password");
	/* This server was started without a certificate. */
	assert_false(r.caps & MYSQL_WIRE_CLIENT_SSL);
	assert_true(r.caps & MYSQL_WIRE_CLIENT_PROTOCOL_41);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(mysql_wire_parse(buf, cut, &r), -EAGAIN);

	assert_int_equal(mysql_wire_parse(mysql8, sizeof(mysql8) - 1, &r), 0);
	assert_string_equal(r.version, "8.0.36");
	assert_false(r.mariadb);
	assert_int_equal(r.conn_id, 11);
	assert_true(r.caps & MYSQL_WIRE_CLIENT_SSL);
	assert_true(r.caps & MYSQL_WIRE_CLIENT_PLUGIN_AUTH);
	assert_string_equal(r.auth_plugin, "caching_sha2_password");
}

static void test_errors(void **state)
{
	static const struct {
		const char *file;
		unsigned code;
		const char *msg;
	} cases[] = {
		{ "err-1040", 1040, "Too many connections" },
		{ "err-1130", 1130,
		  "Host '127.0.0.1' is not allowed to connect to this MariaDB "
		  "server" },
	};
	static const uint8_t with_state[] = "\x0f\x00\x00\x00\xff\x15\x04"
					    "#28000denied";

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mysql_wire_reply r;
		uint8_t buf[512];
		size_t n = load_capture(cases[i].file, buf, sizeof(buf));

		assert_int_equal(mysql_wire_parse(buf, n, &r), 0);
		assert_int_equal(r.kind, MYSQL_WIRE_ERROR);
		assert_int_equal(r.code, cases[i].code);
		assert_string_equal(r.message, cases[i].msg);
	}
	{
		struct mysql_wire_reply r;

		assert_int_equal(mysql_wire_parse(with_state,
						  sizeof(with_state) - 1, &r),
				 0);
		assert_int_equal(r.code, 1045);
		assert_string_equal(r.sqlstate, "28000");
		assert_string_equal(r.message, "denied");
	}
}

static void test_malformed(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
	} cases[] = {
		{ "", 0, -EAGAIN },
		{ "\x05\x00\x00", 3, -EAGAIN },
		/* zero and hostile lengths */
		{ "\x00\x00\x00\x00", 4, -EBADMSG },
		{ "\xff\xff\xff\x00\x0a", 5, -EBADMSG },
		/* wrong sequence number */
		{ "\x05\x00\x00\x01\x0a", 5, -EBADMSG },
		/* neither greeting nor error */
		{ "\x05\x00\x00\x00\x09"
		  "abcd",
		  9, -EBADMSG },
		{ "SSH-2.0-OpenSSH_9.2\r\n", 21, -EBADMSG },
		/* protocol 10 without a version terminator */
		{ "\x05\x00\x00\x00\x0a"
		  "abcd",
		  9, -EBADMSG },
		/* version, then too short for the fixed part */
		{ "\x06\x00\x00\x00\x0a"
		  "5.7\0\x01",
		  10, -EBADMSG },
		/* error packet too short for its code */
		{ "\x02\x00\x00\x00\xff\x10", 6, -EBADMSG },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mysql_wire_reply r;

		assert_int_equal(mysql_wire_parse((const uint8_t *)cases[i].in,
						  cases[i].n, &r),
				 cases[i].r);
	}
}

static void test_ssl_request(void **state)
{
	uint8_t req[36];

	(void)state;
	mysql_wire_ssl_request(req);
	assert_int_equal(req[0], 32);
	assert_int_equal(req[3], 1);
	assert_true(req[5] & 0x08); /* CLIENT_SSL, 0x800 */
	assert_true(req[5] & 0x02); /* PROTOCOL_41, 0x200 */
}

/*
 * The probe's closing handshake response: a whole, well-formed login for
 * the probe's own account with an empty password, so the server counts an
 * authentication failure, not a connection error.
 */
static void test_probe_response(void **state)
{
	static const uint8_t user[] = MYSQL_WIRE_PROBE_USER;
	uint8_t out[96];
	size_t n;

	(void)state;
	n = mysql_wire_probe_response(out, 2, true);
	assert_int_equal(n, 36 + sizeof(user) + 1 + 22);
	assert_int_equal(out[0], n - 4); /* length, little-endian 24 bits */
	assert_int_equal(out[1], 0);
	assert_int_equal(out[3], 2); /* after the SSL request: sequence 2 */
	assert_true(out[5] & 0x08);  /* CLIENT_SSL, as in the SSL request */
	assert_true(out[5] & 0x80);  /* SECURE_CONNECTION 0x8000 */
	assert_memory_equal(out + 36, user, sizeof(user));
	assert_int_equal(out[36 + sizeof(user)], 0); /* empty auth data */
	assert_string_equal((const char *)out + 36 + sizeof(user) + 1,
			    "mysql_native_password");
	n = mysql_wire_probe_response(out, 1, false);
	assert_int_equal(out[3], 1);
	assert_false(out[5] & 0x08);
	assert_true(out[5] & 0x02); /* PROTOCOL_41 stays */
}

static void test_auth_replies(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
		enum mysql_wire_auth_kind kind;
		uint16_t code;
	} cases[] = {
		{ "\x48\x00\x00\x02\xff\x15\x04#28000Access denied for user "
		  "'rdiag-probe'@'appclient.test' (using password: NO)",
		  76, 0, MYSQL_WIRE_AUTH_ERROR, 1045 },
		{ "\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00", 11, 0,
		  MYSQL_WIRE_AUTH_OK, 0 },
		{ "\x16\x00\x00\x02\xfe"
		  "caching_sha2_password\0",
		  26, 0, MYSQL_WIRE_AUTH_SWITCH, 0 },
		{ "\x02\x00\x00\x03\x01\x04", 6, 0, MYSQL_WIRE_AUTH_MORE, 0 },
		{ "\x07\x00\x00\x02\x00", 5, -EAGAIN, 0, 0 },
		{ "\x07\x00", 2, -EAGAIN, 0, 0 },
		{ "\x01\x00\x00\x02\x42", 5, -EBADMSG, 0, 0 },
		{ "\x00\x00\x00\x02", 4, -EBADMSG, 0, 0 },
		{ "\xff\xff\xff\x02", 4, -EBADMSG, 0, 0 },
		{ "\x02\x00\x00\x02\xff\x15", 6, -EBADMSG, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mysql_wire_auth_reply r;
		int got = mysql_wire_auth_parse((const uint8_t *)cases[i].in,
						cases[i].n, &r);

		if (got != cases[i].r)
			print_error("case %zu gave %d\n", i, got);
		assert_int_equal(got, cases[i].r);
		if (got < 0)
			continue;
		assert_int_equal(r.kind, cases[i].kind);
		assert_int_equal(r.code, cases[i].code);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greetings),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_ssl_request),
		cmocka_unit_test(test_probe_response),
		cmocka_unit_test(test_auth_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
