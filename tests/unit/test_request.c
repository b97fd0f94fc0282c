/*
 * Unit tests for signed requests: a good token round trip, and every
 * refusal (tampered payload or signature, unknown key, expired, issued in
 * the future, oversized, malformed shapes and fields, unknown collector),
 * lifetimes, reading from a file, and the replay store's single claim.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sign.h"
#include "harness.h"
#include "platform/fsutil.h"
#include "rdiag/util.h"
#include "request/request.h"

static char *tmpdir;
static struct sign_key vendor_sec, vendor_pub, other_sec, other_pub;
static struct request_keyring ring;

static int setup(void **state)
{
	(void)state;
	tmpdir = xstrdup("/tmp/rdiag-test-request-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	sign_keypair_new(false, &vendor_sec, &vendor_pub);
	sign_keypair_new(false, &other_sec, &other_pub);
	memset(&ring, 0, sizeof(ring));
	ring.keys[0] = vendor_pub;
	sign_fingerprint(vendor_pub.key, 32, ring.fprs[0]);
	ring.n = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

static void fill(struct request *rq, const char *collectors, int64_t now,
		 int64_t life)
{
	char *copy = xstrdup(collectors), *save = NULL, *t;

	request_init(rq);
	rq->ticket = xstrdup("4711");
	rq->upload = xstrdup("s3://bkt/in/4711/");
	rq->note = xstrdup("slow since Monday");
	rq->collectors = xcalloc(8, sizeof(char *));
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		rq->collectors[rq->ncollectors++] = xstrdup(t);
	free(copy);
	rq->issued = now;
	rq->expires = now + life;
}

static char *make(const struct sign_key *k, const char *collectors, int64_t now,
		  int64_t life)
{
	struct request rq;
	char *tok = NULL, *err = NULL;

	fill(&rq, collectors, now, life);
	assert_int_equal(request_sign(&rq, k, &tok, &err), 0);
	request_release(&rq);
	free(err);
	return tok;
}

static enum request_fault verify(const char *tok, int64_t now)
{
	struct request rq;
	enum request_fault f = REQUEST_FAULT_NONE;
	char *err = NULL;
	int r;

	request_init(&rq);
	r = request_verify(tok, strlen(tok), &ring, now, &rq, &f, &err);
	if (r == 0)
		assert_int_equal(f, REQUEST_FAULT_NONE);
	else
		assert_non_null(strstr(err, request_fault_name(f)));
	request_release(&rq);
	free(err);
	return f;
}

static void test_good_roundtrip(void **state)
{
	struct request rq;
	enum request_fault f;
	char *tok = make(&vendor_sec, "system,nas", 1000000, 3600), *err = NULL;

	(void)state;
	request_init(&rq);
	assert_true(strncmp(tok, REQUEST_PREFIX, 7) == 0);
	assert_int_equal(
		request_verify(tok, strlen(tok), &ring, 1000100, &rq, &f, &err),
		0);
	assert_string_equal(rq.ticket, "4711");
	assert_int_equal(rq.ncollectors, 2);
	assert_string_equal(rq.collectors[0], "system");
	assert_string_equal(rq.collectors[1], "nas");
	assert_string_equal(rq.upload, "s3://bkt/in/4711/");
	assert_string_equal(rq.note, "slow since Monday");
	assert_int_equal(rq.expires, 1000000 + 3600);
	assert_int_equal(strlen(rq.id), REQUEST_ID_LEN);
	assert_string_equal(rq.key_fpr, ring.fprs[0]);
	request_release(&rq);
	free(tok);
}

static void test_refusals(void **state)
{
	char *tok = make(&vendor_sec, "system", 1000000, 3600);
	char *foreign = make(&other_sec, "system", 1000000, 3600);
	char *t, *dot = strrchr(tok, '.');
	char big[REQUEST_TOKEN_MAX + 16];
	size_t plen = (size_t)(dot - tok);

	(void)state;
	assert_int_equal(verify(tok, 1000000 + 3600), REQUEST_FAULT_EXPIRED);
	assert_int_equal(verify(tok, 1000000 - 3600), REQUEST_FAULT_MALFORMED);
	assert_int_equal(verify(foreign, 1000001), REQUEST_FAULT_UNKNOWN_KEY);
	/* a changed signature byte */
	t = xstrdup(tok);
	t[plen + 5] = t[plen + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(t, 1000001), REQUEST_FAULT_TAMPERED);
	free(t);
	/* the foreign signature on our payload */
	t = xasprintf("%.*s%s", (int)plen, tok, strrchr(foreign, '.'));
	assert_int_equal(verify(t, 1000001), REQUEST_FAULT_TAMPERED);
	free(t);
	/* cut, empty, wrong prefix, no signature, bad characters */
	t = xstrndup(tok, plen + 10);
	assert_int_equal(verify(t, 1000001), REQUEST_FAULT_MALFORMED);
	free(t);
	assert_int_equal(verify("", 1), REQUEST_FAULT_MALFORMED);
	assert_int_equal(verify("rdreq2.abc.def", 1), REQUEST_FAULT_MALFORMED);
	assert_int_equal(verify("rdreq1.abc", 1), REQUEST_FAULT_MALFORMED);
	assert_int_equal(verify("rdreq1..abc", 1), REQUEST_FAULT_MALFORMED);
	assert_int_equal(verify("rdreq1.a+b.abc", 1), REQUEST_FAULT_MALFORMED);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, REQUEST_PREFIX, 7);
	assert_int_equal(verify(big, 1), REQUEST_FAULT_OVERSIZED);
	free(tok);
	free(foreign);
}

/* A payload signed by the vendor key as it is: checks the field rules. */
static enum request_fault signed_payload(const char *json)
{
	size_t cap = sodium_base64_ENCODED_LEN(
		strlen(json), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	unsigned char sig[crypto_sign_BYTES];
	char *p64 = xmalloc(cap), s64[100], *head, *tok;
	enum request_fault f;

	sodium_bin2base64(p64, cap, (const unsigned char *)json, strlen(json),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	head = xasprintf(REQUEST_PREFIX "%s", p64);
	crypto_sign_detached(sig, NULL, (unsigned char *)head, strlen(head),
			     vendor_sec.key);
	sodium_bin2base64(s64, sizeof(s64), sig, sizeof(sig),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	tok = xasprintf("%s.%s", head, s64);
	f = verify(tok, 1000001);
	free(p64);
	free(head);
	free(tok);
	return f;
}

static void test_fields(void **state)
{
	static const struct {
		const char *rest;
		enum request_fault want;
	} cases[] = {
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_NONE },
		{ "\"v\":2,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"../x\","
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"nosuch\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_UNSUPPORTED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\",\"system\"],\"upload\":"
		  "\"s3://b/k/\",\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"gopher://x/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"https://u:pw@h/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":99999999}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600,\"extra\":1}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":\"4711\","
		  "\"ticket\":\"4712\",\"collectors\":[\"system\"],"
		  "\"upload\":\"s3://b/k/\",\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
		{ "\"v\":1,\"ticket\":4711,"
		  "\"collectors\":[\"system\"],\"upload\":\"s3://b/k/\","
		  "\"iat\":1000000,\"exp\":1003600}",
		  REQUEST_FAULT_MALFORMED },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *json = xasprintf("{\"id\":\"%s\",\"kid\":\"%s\",%s",
				       "0123456789abcdef0123456789abcdef",
				       ring.fprs[0], cases[i].rest);

		assert_int_equal(signed_payload(json), cases[i].want);
		free(json);
	}
	assert_int_equal(signed_payload("[1]"), REQUEST_FAULT_MALFORMED);
	assert_int_equal(signed_payload("{\"v\":1}"), REQUEST_FAULT_MALFORMED);
}

static void test_lifetime(void **state)
{
	static const struct {
		const char *s;
		int r;
		int64_t v;
	} cases[] = {
		{ "72h", 0, 72 * 3600 },  { "30m", 0, 1800 },
		{ "7d", 0, 7 * 86400 },   { "1s", 0, 1 },
		{ "30d", 0, 30 * 86400 }, { "31d", -EINVAL, 0 },
		{ "0h", -EINVAL, 0 },     { "h", -EINVAL, 0 },
		{ "12", 0, 12 },          { "-1h", -EINVAL, 0 },
		{ "1x", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t v = -1;

		assert_int_equal(request_parse_lifetime(cases[i].s, &v),
				 cases[i].r);
		if (cases[i].r == 0)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_read_arg(void **state)
{
	char *tok = make(&vendor_sec, "system", 1000000, 3600);
	char *path = xasprintf("%s/tok", tmpdir), *got = NULL, *err = NULL;
	enum request_fault f = REQUEST_FAULT_NONE;
	char *text = xasprintf("\n  %s \r\n", tok);
	size_t len = 0;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write_all(fd, text, strlen(text)), 0);
	close(fd);
	assert_int_equal(request_read_arg(path, &got, &len, &f, &err), 0);
	assert_string_equal(got, tok);
	assert_int_equal(len, strlen(tok));
	free(got);
	assert_int_equal(request_read_arg(tok, &got, &len, &f, &err), 0);
	assert_string_equal(got, tok);
	free(got);
	/* over the cap: oversized, not read further */
	fd = open(path, O_WRONLY | O_TRUNC);
	for (int i = 0; i < REQUEST_TOKEN_MAX / 64 + 2; i++)
		assert_int_equal(write_all(fd, tok, 64), 0);
	close(fd);
	assert_int_equal(request_read_arg(path, &got, &len, &f, &err),
			 -EBADMSG);
	assert_int_equal(f, REQUEST_FAULT_OVERSIZED);
	free(err);
	err = NULL;
	assert_true(request_read_arg("/nonexistent/x", &got, &len, &f, &err) <
		    0);
	free(err);
	free(text);
	free(path);
	free(tok);
}

static void test_replay_store(void **state)
{
	struct request rq;
	char *dir = xasprintf("%s/state/deep", tmpdir), *err = NULL, *p;
	char *text, *head, *tail;
	struct stat sb;

	(void)state;
	fill(&rq, "system", 1000000, 3600);
	memcpy(rq.id, "0123456789abcdef0123456789abcdef", REQUEST_ID_LEN + 1);
	assert_false(request_store_seen(dir, rq.id));
	assert_int_equal(request_store_claim(dir, &rq, "run", &err), 0);
	assert_true(request_store_seen(dir, rq.id));
	assert_int_equal(request_store_claim(dir, &rq, "agent", &err), -EEXIST);
	assert_non_null(strstr(err, "replayed"));
	free(err);
	err = NULL;
	p = xasprintf("%s/seen/%s", dir, rq.id);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* The claim, byte for byte as `rdiag agent` and docs read it. */
	text = xcalloc(1, 512);
	harness_read(p, text, 511);
	head = xasprintf("{\"id\":\"%s\",\"ticket\":\"%s\",\"claimed\":\"",
			 rq.id, rq.ticket);
	tail = xasprintf("Z\",\"by\":\"run\",\"exp\":%lld}\n",
			 (long long)rq.expires);
	assert_memory_equal(text, head, strlen(head));
	assert_int_equal(strlen(text), strlen(head) + 19 + strlen(tail));
	assert_string_equal(text + strlen(head) + 19, tail);
	free(text);
	free(head);
	free(tail);
	free(p);
	/* an id that could climb out of the store is refused */
	memcpy(rq.id, "../../../../etc/passwd0123456789", REQUEST_ID_LEN + 1);
	assert_int_equal(request_store_claim(dir, &rq, "run", &err), -EINVAL);
	free(err);
	request_release(&rq);
	free(dir);
}

static void test_keyring_dir(void **state)
{
	struct request_keyring kr;
	char *dir = xasprintf("%s/keys", tmpdir), *p, *err = NULL;
	int fd;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	p = xasprintf("%s/vendor.pub", dir);
	assert_int_equal(sign_key_save(&vendor_pub, p, &err), 0);
	free(p);
	p = xasprintf("%s/junk.pub", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write_all(fd, "x", 1), 0);
	close(fd);
	free(p);
	assert_int_equal(request_keyring_load(&kr, dir, &err), 0);
	assert_int_equal(kr.n, 1);
	assert_string_equal(kr.fprs[0], ring.fprs[0]);
	request_keyring_wipe(&kr);
	assert_true(request_keyring_load(&kr, "/nonexistent", &err) < 0);
	free(err);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_roundtrip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_read_arg),
		cmocka_unit_test(test_replay_store),
		cmocka_unit_test(test_keyring_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
