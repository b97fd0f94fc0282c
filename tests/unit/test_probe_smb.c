/*
 * SMB NEGOTIATE probe: the requests as bytes, replies captured from Samba
 * 4.17 (SMB 3.1.1 with mandatory signing; an SMB1-only instance), and
 * hand-made truncated, hostile and error replies.
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
#include "probes/smb.h"
#include "rdiag/util.h"

static uint8_t *load(const char *rel, size_t *ret_len)
{
	uint8_t *d = xmalloc(SMB_REPLY_MAX);

	*ret_len = harness_read_data(rel, d, SMB_REPLY_MAX);
	return d;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static void test_smb2_request(void **state)
{
	uint8_t out[SMB2_NEGOTIATE_LEN], guid[16], salt[32];
	const uint8_t *h = out + 4, *b = out + 4 + 64;
	uint32_t ctx_off;
	int n;

	(void)state;
	memset(guid, 0xab, sizeof(guid));
	memset(salt, 0xcd, sizeof(salt));
	assert_int_equal(smb2_negotiate_build(out, 10, guid, salt), -ENOBUFS);
	n = smb2_negotiate_build(out, sizeof(out), guid, salt);
	assert_true(n > 64 + 36);
	/* NetBIOS length covers everything after the 4-byte header. */
	assert_int_equal(out[0], 0);
	assert_int_equal((size_t)(out[1] << 16 | out[2] << 8 | out[3]),
			 (size_t)n - 4);
	assert_memory_equal(h, "\xfeSMB", 4);
	assert_int_equal(le16(h + 4), 64);
	assert_int_equal(le16(h + 12), 0);
	assert_int_equal(le16(b), 36);
	assert_int_equal(le16(b + 2), 5);
	assert_memory_equal(b + 12, guid, 16);
	assert_int_equal(le16(b + 36), 0x0202);
	assert_int_equal(le16(b + 36 + 8), 0x0311);
	/* Two contexts, the first 8-byte aligned: PREAUTH with SHA-512. */
	assert_int_equal(le16(b + 32), 2);
	ctx_off = le32(b + 28);
	assert_int_equal(ctx_off % 8, 0);
	assert_int_equal(le16(h + ctx_off), 1);
	assert_int_equal(le16(h + ctx_off + 2), 38);
	assert_int_equal(le16(h + ctx_off + 8), 1);
	assert_int_equal(le16(h + ctx_off + 10), 32);
	assert_int_equal(le16(h + ctx_off + 12), 1);
	assert_memory_equal(h + ctx_off + 14, salt, 32);
	/* Then ENCRYPTION_CAPABILITIES, aligned too. */
	ctx_off = (ctx_off + 8 + 38 + 7) & ~7u;
	assert_int_equal(le16(h + ctx_off), 2);
	assert_true(le16(h + ctx_off + 8) >= 1);
	assert_int_equal(ctx_off + 8 + le16(h + ctx_off + 2), (uint32_t)n - 4);
}

static void test_smb1_request(void **state)
{
	uint8_t out[SMB1_NEGOTIATE_LEN];
	int n;

	(void)state;
	assert_int_equal(smb1_negotiate_build(out, 8), -ENOBUFS);
	n = smb1_negotiate_build(out, sizeof(out));
	assert_true(n > 36);
	assert_memory_equal(out + 4, "\xffSMB", 4);
	assert_int_equal(out[8], 0x72);
	assert_int_equal((size_t)(out[1] << 16 | out[2] << 8 | out[3]),
			 (size_t)n - 4);
	/* Dialect strings, each with buffer format 0x02. */
	assert_int_equal(out[4 + 32 + 3], 0x02);
	assert_string_equal((const char *)out + 4 + 32 + 4, "NT LM 0.12");
	/* The last dialect, NUL included, ends the request. */
	assert_memory_equal(out + n - 10, "SMB 2.???", 10);
}

static void test_captured_smb2(void **state)
{
	struct smb_reply r;
	size_t n;
	uint8_t *d = load("nas/smb2-negotiate-311.bin", &n);

	(void)state;
	assert_int_equal(smb_reply_parse(d, n, &r), 0);
	assert_int_equal(r.kind, SMB_REPLY_SMB2);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.dialect, SMB_DIALECT_311);
	assert_true(r.security_mode & SMB2_SIGNING_REQUIRED);
	assert_true(r.have_cipher_context);
	assert_string_equal(smb_cipher_name(r.cipher), "AES-128-GCM");
	assert_int_equal(r.max_read, 8388608);
	/* Every truncation asks for more, never misparses. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(smb_reply_parse(d, k, &r), -EAGAIN);
	free(d);
}

static void test_captured_smb1(void **state)
{
	struct smb_reply r;
	size_t n;
	uint8_t *d = load("nas/smb1-negotiate.bin", &n);

	(void)state;
	assert_int_equal(smb_reply_parse(d, n, &r), 0);
	assert_int_equal(r.kind, SMB_REPLY_SMB1);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.smb1_dialect_index, 0);
	assert_true(r.smb1_security_mode & 0x01);
	free(d);
}

/* A hand-made SMB2 reply: header + 65-byte body, or an error. */
static size_t make_smb2(uint8_t *p, uint32_t status, uint16_t dialect,
			uint16_t secmode, uint32_t caps)
{
	size_t len = 64 + (status ? 9 : 65);

	memset(p, 0, 4 + len);
	p[3] = (uint8_t)len;
	memcpy(p + 4, "\xfeSMB", 4);
	p[4 + 4] = 64;
	p[4 + 8] = (uint8_t)status;
	p[4 + 11] = (uint8_t)(status >> 24);
	p[4 + 64] = status ? 9 : 65;
	p[4 + 64 + 2] = (uint8_t)secmode;
	p[4 + 64 + 4] = (uint8_t)dialect;
	p[4 + 64 + 5] = (uint8_t)(dialect >> 8);
	p[4 + 64 + 24] = (uint8_t)caps;
	return 4 + len;
}

static void test_hand_made(void **state)
{
	static const struct {
		uint32_t status;
		uint16_t dialect, secmode;
		uint32_t caps;
	} cases[] = {
		{ 0, 0x0302, 1, 0x40 },
		{ 0, 0x0210, 3, 0 },
		{ 0xc000000d, 0, 0, 0 }, /* STATUS_INVALID_PARAMETER */
		{ 0, 0x02ff, 1, 0 },
	};
	uint8_t buf[256];
	struct smb_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = make_smb2(buf, cases[i].status, cases[i].dialect,
				     cases[i].secmode, cases[i].caps);

		assert_int_equal(smb_reply_parse(buf, n, &r), 0);
		assert_int_equal(r.status, cases[i].status);
		if (cases[i].status == 0) {
			assert_int_equal(r.dialect, cases[i].dialect);
			assert_int_equal(r.security_mode, cases[i].secmode);
			assert_int_equal(r.capabilities, cases[i].caps);
			assert_false(r.have_cipher_context);
		}
	}
}

static void test_hostile(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
		{ "", 0, -EAGAIN },
		{ "\x00\x00", 2, -EAGAIN },
		{ "\x85\x00\x00\x00", 4, -EBADMSG },   /* keepalive */
		{ "\x00\xff\xff\xff", 4, -EBADMSG },   /* too long */
		{ "\x00\x00\x00\x02xx", 6, -EBADMSG }, /* too short */
		{ "\x00\x00\x00\x10HTTP/1.1 400 ", 16, -EBADMSG },
		/* SMB2 header without a body: not a NEGOTIATE reply. */
		{ "\x00\x00\x00\x40\xfeSMB\x40\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00",
		  68, -EBADMSG },
		/* SMB1 with a wrong command. */
		{ "\x00\x00\x00\x21\xffSMB\x73\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x00",
		  37, -EBADMSG },
	};
	struct smb_reply r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			smb_reply_parse((const uint8_t *)cases[i].bytes,
					cases[i].len, &r),
			cases[i].want);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(smb_dialect_name(0x0311), "3.1.1");
	assert_string_equal(smb_dialect_name(0x0202), "2.0.2");
	assert_string_equal(smb_dialect_name(0x1234), "unknown");
	assert_string_equal(smb_cipher_name(0), "none");
	assert_string_equal(smb_cipher_name(4), "AES-256-GCM");
	assert_string_equal(smb_cipher_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smb2_request),
		cmocka_unit_test(test_smb1_request),
		cmocka_unit_test(test_captured_smb2),
		cmocka_unit_test(test_captured_smb1),
		cmocka_unit_test(test_hand_made),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
