/*
 * ONC RPC probe: CALL records as bytes, replies captured from rpcbind and
 * nfs-ganesha (GETPORT, NULL accepted, PROG_MISMATCH), record marking with
 * fragments, denied replies and hostile input.
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
#include "probes/rpc.h"
#include "rdiag/util.h"

static size_t load(const char *rel, uint8_t *d, size_t max)
{
	return harness_read_data(rel, d, max);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void test_call_build(void **state)
{
	uint8_t out[128];
	static const uint32_t want[] = { 0x80000028, 0x1234, 0, 2, 100003, 3,
					 0,          0,      0, 0, 0 };
	int n;

	(void)state;
	n = rpc_call_build(out, sizeof(out), 0x1234, RPC_PROG_NFS, 3, 0, NULL,
			   0);
	assert_int_equal(n, 44);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(be32(out + 4 * i), want[i]);
	assert_int_equal(rpc_call_build(out, 20, 1, 1, 1, 0, NULL, 0),
			 -ENOBUFS);
	assert_int_equal(rpc_call_build(out, sizeof(out), 1, 1, 1, 0,
					(const uint8_t *)"abc", 3),
			 -EINVAL);
	n = rpc_getport_build(out, sizeof(out), 7, RPC_PROG_NLOCKMGR, 4);
	assert_int_equal(n, 60);
	assert_int_equal(be32(out), 0x80000038);
	assert_int_equal(be32(out + 4 + 12), RPC_PROG_PORTMAP);
	assert_int_equal(be32(out + 4 + 16), 2);
	assert_int_equal(be32(out + 4 + 20), 3);
	assert_int_equal(be32(out + 44), RPC_PROG_NLOCKMGR);
	assert_int_equal(be32(out + 48), 4);
	assert_int_equal(be32(out + 52), 6);
	assert_int_equal(be32(out + 56), 0);
}

static void test_captured(void **state)
{
	static const struct {
		const char *file;
		uint32_t accept_stat, low, high;
		int port; /* -1: not a GETPORT */
	} cases[] = {
		{ "nas/rpc-getport.bin", RPC_SUCCESS, 0, 0, -2 },
		{ "nas/rpc-null-ok.bin", RPC_SUCCESS, 0, 0, -1 },
		{ "nas/rpc-null-mismatch.bin", RPC_PROG_MISMATCH, 4, 4, -1 },
	};
	uint8_t d[512];
	struct rpc_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = load(cases[i].file, d, sizeof(d));
		uint32_t xid = be32(d + 4);
		unsigned port = 99999;

		assert_int_equal(rpc_reply_parse(d, n, xid, &r), 0);
		assert_true(r.accepted);
		assert_int_equal(r.accept_stat, cases[i].accept_stat);
		assert_int_equal(r.low, cases[i].low);
		assert_int_equal(r.high, cases[i].high);
		if (cases[i].port == -2) {
			assert_int_equal(rpc_getport_result(&r, &port), 0);
			assert_true(port > 0 && port < 65536);
		}
		/* The wrong xid is not our reply. */
		assert_int_equal(rpc_reply_parse(d, n, xid + 1, &r), -EBADMSG);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(rpc_reply_parse(d, k, xid, &r),
					 -EAGAIN);
	}
}

static void test_fragments_and_denied(void **state)
{
	/* One accepted SUCCESS reply with port 2049, split in two fragments. */
	static const uint8_t frag[] = {
		0x00, 0x00, 0x00, 0x0c, 0,    0,    0, 9, 0, 0, 0, 1, 0, 0, 0,
		0,    0x80, 0x00, 0x00, 0x10, 0,    0, 0, 0, 0, 0, 0, 0, 0, 0,
		0,    0,    0,    0,    0x08, 0x01,
	};
	static const uint8_t rpc_mismatch[] = {
		0x80, 0, 0, 0x18, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0,
		0,    1, 0, 0,    0, 0, 0, 0, 0, 2, 0, 0, 0, 2,
	};
	static const uint8_t auth_error[] = {
		0x80, 0, 0, 0x14, 0, 0, 0, 9, 0, 0, 0, 1,
		0,    0, 0, 1,    0, 0, 0, 1, 0, 0, 0, 5,
	};
	struct rpc_reply r;
	unsigned port = 0;

	(void)state;
	assert_int_equal(rpc_reply_parse(frag, sizeof(frag), 9, &r), 0);
	assert_int_equal(rpc_getport_result(&r, &port), 0);
	assert_int_equal(port, 2049);
	assert_int_equal(
		rpc_reply_parse(rpc_mismatch, sizeof(rpc_mismatch), 9, &r), 0);
	assert_false(r.accepted);
	assert_int_equal(r.reject_stat, 0);
	assert_int_equal(r.low, 2);
	assert_int_equal(rpc_getport_result(&r, &port), -EBADMSG);
	assert_int_equal(rpc_reply_parse(auth_error, sizeof(auth_error), 9, &r),
			 0);
	assert_int_equal(r.reject_stat, 1);
	assert_int_equal(r.auth_stat, 5);
}

static void test_hostile(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
		{ "", 0, -EAGAIN },
		{ "\x80\x00\x00", 3, -EAGAIN },
		/* A fragment larger than the whole reply may be. */
		{ "\x80\x10\x00\x00\x00\x00\x00\x09\x00\x00\x00\x01", 12,
		  -EBADMSG },
		/* A CALL (type 0), not a REPLY. */
		{ "\x80\x00\x00\x08\x00\x00\x00\x09\x00\x00\x00\x00", 12,
		  -EBADMSG },
		/* reply_stat 7. */
		{ "\x80\x00\x00\x0c\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00"
		  "\x00\x07",
		  16, -EBADMSG },
		/* Accepted, verifier length past the end. */
		{ "\x80\x00\x00\x14\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00",
		  24, -EBADMSG },
		/* HTTP on the port. */
		{ "HTTP/1.1 400 Bad", 16, -EBADMSG },
	};
	struct rpc_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			rpc_reply_parse((const uint8_t *)cases[i].bytes,
					cases[i].len, 9, &r),
			cases[i].want);
	assert_string_equal(rpc_accept_stat_name(2), "version mismatch");
	assert_string_equal(rpc_accept_stat_name(77), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_build),
		cmocka_unit_test(test_captured),
		cmocka_unit_test(test_fragments_and_denied),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
