/*
 * Unit tests for the PostgreSQL wire parser: bytes from the protocol
 * documentation and from a real PostgreSQL 15 (the fuzz seed corpus), cut
 * short, with wrong lengths and with hostile sizes.
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
#include "probes/pg.h"

/* A seed-corpus file (real captures) into *ret; caller frees. */
static size_t load_capture(const char *name, uint8_t **ret)
{
	char *rel = xasprintf("../fuzz/corpus/fuzz_pg_reply/%s", name);
	uint8_t *buf = xmalloc(65536);
	size_t n = harness_read_data(rel, buf, 65536);

	free(rel);
	*ret = buf;
	return n;
}

static void test_ssl_reply(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
		enum pg_ssl_answer a;
	} cases[] = {
		{ "S", 1, 0, PG_SSL_ACCEPTED }, { "N", 1, 0, PG_SSL_REFUSED },
		{ "E", 1, 0, PG_SSL_ERROR },    { "", 0, -EAGAIN, 0 },
		{ "X", 1, -EBADMSG, 0 },        { "\0", 1, -EBADMSG, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum pg_ssl_answer a = 0;

		assert_int_equal(
			pg_ssl_reply_parse((const uint8_t *)cases[i].in,
					   cases[i].n, &a),
			cases[i].r);
		if (cases[i].r == 0)
			assert_int_equal(a, cases[i].a);
	}
}

static void test_captures(void **state)
{
	static const struct {
		const char *file;
		enum pg_reply_kind kind;
		uint32_t auth;
		const char *sqlstate;
		const char *version;
		const char *mechs;
	} cases[] = {
		{ "scram-pg15", PG_REPLY_AUTH, PG_AUTH_SASL, "", "",
		  "SCRAM-SHA-256" },
		{ "md5", PG_REPLY_AUTH, PG_AUTH_MD5, "", "", "" },
		{ "trust-pg15", PG_REPLY_AUTH, PG_AUTH_OK, "",
		  "15.20 (Debian 15.20-0+deb12u1)", "" },
		{ "nohba-pg15", PG_REPLY_ERROR, 0, "28000", "", "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pg_reply r;
		uint8_t *b;
		size_t n = load_capture(cases[i].file, &b);

		assert_int_equal(pg_reply_parse(b, n, &r), 0);
		assert_int_equal(r.kind, cases[i].kind);
		assert_int_equal(r.auth, cases[i].auth);
		assert_string_equal(r.sqlstate, cases[i].sqlstate);
		assert_string_equal(r.server_version, cases[i].version);
		assert_string_equal(r.mechanisms, cases[i].mechs);
		if (cases[i].auth == PG_AUTH_OK &&
		    cases[i].kind == PG_REPLY_AUTH) {
			assert_true(r.auth_ok);
			assert_true(r.ready);
			assert_string_equal(r.server_encoding, "UTF8");
		}
		if (cases[i].kind == PG_REPLY_ERROR) {
			assert_string_equal(r.severity, "FATAL");
			assert_non_null(strstr(r.message, "no pg_hba.conf"));
		}
		/* Every cut is "need more", never a crash or a verdict. */
		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(pg_reply_parse(b, cut, &r), -EAGAIN);
		free(b);
	}
}

static void test_malformed(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
	} cases[] = {
		/* length below 4 */
		{ "R\x00\x00\x00\x03\x00\x00\x00\x00", 9, -EBADMSG },
		/* hostile length */
		{ "R\x7f\xff\xff\xff\x00\x00\x00\x00", 9, -EBADMSG },
		/* auth request without its code */
		{ "R\x00\x00\x00\x04", 5, -EBADMSG },
		/* not PostgreSQL: an HTTP or SSH banner */
		{ "HTTP/1.1 400 Bad Request\r\n", 26, -EBADMSG },
		{ "SSH-2.0-OpenSSH_9.2\r\n", 21, -EBADMSG },
		/* error fields without terminators: kept, not overrun */
		{ "E\x00\x00\x00\x08SFAT", 9, 0 },
		/* SASL list without its NUL */
		{ "R\x00\x00\x00\x0c\x00\x00\x00\x0aSCRA", 13, 0 },
		/* a second auth request after AuthenticationOk */
		{ "R\x00\x00\x00\x08\x00\x00\x00\x00R\x00\x00\x00\x08\x00\x00"
		  "\x00\x05",
		  18, -EBADMSG },
		/* trust, then the database is missing */
		{ "R\x00\x00\x00\x08\x00\x00\x00\x00"
		  "E\x00\x00\x00\x0f"
		  "C3D000\0Mx\0\0",
		  25, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pg_reply r;

		assert_int_equal(pg_reply_parse((const uint8_t *)cases[i].in,
						cases[i].n, &r),
				 cases[i].r);
	}
	{
		struct pg_reply r;

		assert_int_equal(pg_reply_parse((const uint8_t *)cases[8].in,
						cases[8].n, &r),
				 0);
		assert_true(r.auth_ok);
		assert_int_equal(r.kind, PG_REPLY_ERROR);
		assert_string_equal(r.sqlstate, "3D000");
	}
}

static void test_text_made_safe(void **state)
{
	/* control bytes and invalid UTF-8 become '?', valid UTF-8 stays */
	static const uint8_t msg[] = "E\x00\x00\x00\x1a"
				     "Mdie Datenbank \xc3\xa4\x01\xff!\0\0";
	struct pg_reply r;

	(void)state;
	assert_int_equal(pg_reply_parse(msg, sizeof(msg) - 1, &r), 0);
	assert_string_equal(r.message, "die Datenbank \xc3\xa4?"
				       "?!");
}

static void test_startup_build(void **state)
{
	static const uint8_t want[] = "\x00\x00\x00\x32\x00\x03\x00\x00"
				      "user\0u\0database\0d\0"
				      "application_name\0rdiag\0\0";
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(pg_startup_build(&b, "u", "d"), 0);
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	buf_release(&b);
	buf_init(&b, 16);
	assert_int_equal(pg_startup_build(&b, "u", "d"), -ENOBUFS);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssl_reply),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_text_made_safe),
		cmocka_unit_test(test_startup_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
