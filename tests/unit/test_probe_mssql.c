/*
 * Unit tests for the SQL Server parsers: TDS PRELOGIN replies and SQL
 * Browser answers, built from MS-TDS / MC-SQLR (the fuzz seed corpus) and
 * broken in every field that carries a length or an offset.
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
#include "probes/browser.h"
#include "probes/tds.h"

static size_t load_seed(const char *dir, const char *name, uint8_t *buf,
			size_t max)
{
	char *rel = xasprintf("../fuzz/corpus/%s/%s", dir, name);
	size_t n = harness_read_data(rel, buf, max);

	free(rel);
	return n;
}

static void test_prelogin_request(void **state)
{
	struct tds_prelogin r;
	uint8_t copy[47];

	(void)state;
	/* Our request parses as a reply once its type says so. */
	memcpy(copy, tds_prelogin_request, sizeof(copy));
	assert_int_equal(copy[0], 0x12);
	assert_int_equal(copy[3], 47);
	copy[0] = 0x04;
	assert_int_equal(tds_prelogin_parse(copy, sizeof(copy), &r), 0);
	assert_int_equal(r.major, 9);
	assert_int_equal(r.encryption, TDS_ENCRYPT_OFF);
	assert_true(r.have_mars);
}

static void test_prelogin_replies(void **state)
{
	static const struct {
		const char *file;
		uint8_t major, enc;
		uint16_t build;
	} cases[] = {
		{ "enc-required", 15, TDS_ENCRYPT_REQ, 2000 },
		{ "enc-off", 16, TDS_ENCRYPT_OFF, 2000 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tds_prelogin r;
		uint8_t buf[512];
		size_t n = load_seed("fuzz_tds_prelogin", cases[i].file, buf,
				     sizeof(buf));

		assert_int_equal(tds_prelogin_parse(buf, n, &r), 0);
		assert_true(r.have_version);
		assert_int_equal(r.major, cases[i].major);
		assert_int_equal(r.build, cases[i].build);
		assert_int_equal(r.encryption, cases[i].enc);
		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(tds_prelogin_parse(buf, cut, &r),
					 -EAGAIN);
		/* An option pointing past the payload. */
		buf[8 + 1] = 0x7f;
		assert_int_equal(tds_prelogin_parse(buf, n, &r), -EBADMSG);
	}
	assert_string_equal(tds_version_name(15), "SQL Server 2019");
	assert_null(tds_version_name(99));
}

static void test_prelogin_malformed(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
	} cases[] = {
		{ "\x12", 1, -EBADMSG },        /* a request, not a reply */
		{ "\x04\x01\x00", 3, -EAGAIN }, /* short header */
		{ "\x04\x01\x00\x04\0\0\x01\0", 8, -EBADMSG }, /* length < 8 */
		{ "\x04\x01\xff\xff\0\0\x01\0", 8, -EBADMSG }, /* hostile */
		/* no terminator */
		{ "\x04\x01\x00\x0d\0\0\x01\0\x01\x00\x05\x00\x01", 13,
		  -EBADMSG },
		/* option entry cut short */
		{ "\x04\x01\x00\x0b\0\0\x01\0\x01\x00\x05", 11, -EBADMSG },
		/* version shorter than 6 bytes */
		{ "\x04\x01\x00\x10\0\0\x01\0\x00\x00\x06\x00\x01\xff\x0f\x00",
		  16, -EBADMSG },
		/* empty option table: no encryption, still parses */
		{ "\x04\x01\x00\x09\0\0\x01\0\xff", 9, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tds_prelogin r;

		assert_int_equal(
			tds_prelogin_parse((const uint8_t *)cases[i].in,
					   cases[i].n, &r),
			cases[i].r);
	}
}

static void test_browser(void **state)
{
	struct browser_reply *r = xcalloc(1, sizeof(*r));
	const struct browser_instance *in;
	uint8_t buf[1024], req[40];
	size_t n = load_seed("fuzz_browser_reply", "two-instances", buf,
			     sizeof(buf));

	(void)state;
	assert_int_equal(browser_reply_parse(buf, n, r), 0);
	assert_int_equal(r->n, 2);
	in = browser_reply_find(r, "sqlexpress");
	assert_non_null(in);
	assert_int_equal(in->tcp_port, 49712);
	assert_string_equal(in->version, "15.0.2000.5");
	in = browser_reply_find(r, "MSSQLSERVER");
	assert_non_null(in);
	assert_string_equal(in->np, "\\\\DBHOST\\pipe\\sql\\query");
	assert_null(browser_reply_find(r, "OTHER"));
	/* Every truncation is malformed: a datagram comes whole or not. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(browser_reply_parse(buf, cut, r), -EBADMSG);

	static const struct {
		const char *in;
		size_t n;
		int r;
	} bad[] = {
		{ "\x05\x00\x00", 3, -EBADMSG },      /* empty */
		{ "\x06\x05\x00tcp;1", 8, -EBADMSG }, /* wrong type */
		{ "\x05\xff\xff;;", 5, -EBADMSG },    /* size > datagram */
		{ "\x05\x0f\x00InstanceName;X;", 18, -EBADMSG }, /* no ;; */
		{ "\x05\x1a\x00InstanceName;X;tcp;99999;;", 29, -EBADMSG },
		{ "\x05\x0a\x00tcp;1433;;", 13, -EBADMSG }, /* no name */
		{ "\x05\x10\x00InstanceName;X;;", 19, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(browser_reply_parse((const uint8_t *)bad[i].in,
						     bad[i].n, r),
				 bad[i].r);

	assert_int_equal(browser_request_build(NULL, req, sizeof(req)), 1);
	assert_int_equal(req[0], 0x03);
	assert_int_equal(browser_request_build("SQLEXPRESS", req, sizeof(req)),
			 12);
	assert_int_equal(req[0], 0x04);
	assert_int_equal(req[11], 0);
	assert_int_equal(
		browser_request_build("A23456789012345678901234567890123", req,
				      sizeof(req)),
		-EINVAL);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prelogin_request),
		cmocka_unit_test(test_prelogin_replies),
		cmocka_unit_test(test_prelogin_malformed),
		cmocka_unit_test(test_browser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
