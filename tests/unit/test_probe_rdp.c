/*
 * Unit tests for the RDP negotiation probe: the request bytes, the reply
 * parser on captures from a real xrdp 0.9.21 (the fuzz seed corpus), cut
 * short and corrupted, what three answers mean together, and the probe's
 * I/O against a forked loopback responder that insists on NLA.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "probes/rdp.h"
#include "terminal_server_judge.h"

static size_t load_capture(const char *name, uint8_t *buf, size_t max)
{
	char *rel = xasprintf("../fuzz/corpus/fuzz_rdp_reply/%s", name);
	size_t n = harness_read_data(rel, buf, max);

	free(rel);
	return n;
}

static void test_request_bytes(void **state)
{
	static const uint8_t want[] = {
		0x03, 0x00, 0x00, 0x2b, 0x26, 0xe0, 0x00, 0x00, 0x00,
		0x00, 0x00, 'C',  'o',  'o',  'k',  'i',  'e',  ':',
		' ',  'm',  's',  't',  's',  'h',  'a',  's',  'h',
		'=',  'r',  'd',  'i',  'a',  'g',  '\r', '\n', 0x01,
		0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00,
	};
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(rdp_request_build(&b, 0x0b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	buf_release(&b);
	buf_init(&b, 10);
	assert_int_equal(rdp_request_build(&b, 0), -ENOBUFS);
	buf_release(&b);
}

static void test_captures(void **state)
{
	static const struct {
		const char *file;
		enum rdp_reply_kind kind;
		uint32_t value;
	} cases[] = {
		{ "xrdp-negotiate-best", RDP_REPLY_SELECTED, RDP_PROTOCOL_SSL },
		{ "xrdp-negotiate-plain", RDP_REPLY_SELECTED,
		  RDP_PROTOCOL_RDP },
		{ "xrdp-tls-plain-failure1", RDP_REPLY_FAILURE,
		  RDP_FAILURE_SSL_REQUIRED },
		{ "xrdp-rdp-tls-request", RDP_REPLY_SELECTED,
		  RDP_PROTOCOL_RDP },
		{ "nla-required-failure5", RDP_REPLY_FAILURE,
		  RDP_FAILURE_HYBRID_REQUIRED },
		{ "legacy-cc", RDP_REPLY_LEGACY, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t buf[512];
		size_t n = load_capture(cases[i].file, buf, sizeof(buf));
		struct rdp_reply r;

		assert_int_equal(rdp_reply_parse(buf, n, &r), 0);
		assert_int_equal(r.kind, cases[i].kind);
		assert_int_equal(r.value, cases[i].value);
		/* every proper prefix asks for more */
		for (size_t k = 0; k < n; k++)
			assert_int_equal(rdp_reply_parse(buf, k, &r), -EAGAIN);
	}
}

static void test_bad_replies(void **state)
{
	static const char *const hex[] = {
		"04000013", /* not TPKT */
		"03010013", /* reserved byte */
		"03000005", /* shorter than a CC */
		"0300ffff", /* longer than we accept */
		"030000130ee000001234000201080001000000", /* CR, not CC */
		"030000130ed000001234000401080001000000", /* neg type 4 */
		"030000130ed000001234000201070001000000", /* neg length 7 */
		"030000130fd000001234000201080001000000", /* LI past end */
		"030000130ad000001234000201080001000000", /* LI too short */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(hex); i++) {
		uint8_t buf[64];
		size_t n = strlen(hex[i]) / 2;
		struct rdp_reply r = { .kind = 99 };

		for (size_t k = 0; k < n; k++)
			sscanf(hex[i] + 2 * k, "%2hhx", &buf[k]);
		assert_int_equal(rdp_reply_parse(buf, n, &r), -EBADMSG);
		assert_int_equal(r.kind, 99); /* untouched on failure */
	}
}

static void test_words(void **state)
{
	(void)state;
	assert_string_equal(rdp_protocol_name(RDP_PROTOCOL_SSL), "TLS");
	assert_non_null(strstr(rdp_protocol_name(RDP_PROTOCOL_HYBRID), "NLA"));
	assert_non_null(strstr(rdp_failure_text(5), "Network Level"));
	assert_non_null(strstr(rdp_failure_text(1), "requires TLS"));
	assert_non_null(strstr(rdp_failure_text(99), "unknown"));
}

static struct rdp_attempt answer(uint32_t req, enum rdp_reply_kind kind,
				 uint32_t value)
{
	struct rdp_attempt a = { req, true, 0, { kind, 0, value } };

	return a;
}

static void test_summarize(void **state)
{
	static const struct {
		struct rdp_attempt best, tls, plain;
		long selected;
		int nla, plain_ok;
	} cases[] = {
		/* xrdp security_layer=negotiate */
		{ { 0x0b, true, 0, { RDP_REPLY_SELECTED, 1, 1 } },
		  { 1, true, 0, { RDP_REPLY_SELECTED, 1, 1 } },
		  { 0, true, 0, { RDP_REPLY_SELECTED, 1, 0 } },
		  1,
		  0,
		  1 },
		/* xrdp security_layer=tls */
		{ { 0x0b, true, 0, { RDP_REPLY_SELECTED, 1, 1 } },
		  { 1, true, 0, { RDP_REPLY_SELECTED, 1, 1 } },
		  { 0, true, 0, { RDP_REPLY_FAILURE, 0, 1 } },
		  1,
		  0,
		  0 },
		/* Windows with NLA required */
		{ { 0x0b, true, 0, { RDP_REPLY_SELECTED, 0, 2 } },
		  { 1, true, 0, { RDP_REPLY_FAILURE, 0, 5 } },
		  { 0, true, 0, { RDP_REPLY_FAILURE, 0, 5 } },
		  2,
		  1,
		  0 },
		/* nothing listens */
		{ { 0x0b, true, -ECONNREFUSED, { 0, 0, 0 } },
		  { 1, false, 0, { 0, 0, 0 } },
		  { 0, false, 0, { 0, 0, 0 } },
		  -1,
		  -1,
		  -1 },
		/* a pre-negotiation server */
		{ { 0x0b, true, 0, { RDP_REPLY_LEGACY, 0, 0 } },
		  { 1, true, 0, { RDP_REPLY_LEGACY, 0, 0 } },
		  { 0, true, 0, { RDP_REPLY_LEGACY, 0, 0 } },
		  0,
		  0,
		  1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rdp_probe_result r;
		struct rdp_security s;

		memset(&r, 0, sizeof(r));
		r.best = cases[i].best;
		r.tls_only = cases[i].tls;
		r.plain = cases[i].plain;
		rdp_probe_summarize(&r, &s);
		assert_int_equal(s.selected, cases[i].selected);
		assert_int_equal(s.nla_required, cases[i].nla);
		assert_int_equal(s.plain_accepted, cases[i].plain_ok);
	}
}

/* Trust, as the database's TLS check says it: one finding per fault. */
static void test_judge_trust(struct rdp_probe_result *r)
{
	static const struct {
		bool chain_ok, self_signed, name_match;
		int days_left;
		const char *verify_error;
		const char *present[3], *absent[3];
	} cases[] = {
		{ false,
		  true,
		  true,
		  100,
		  "self-signed certificate",
		  { "terminal_server.rdp.cert_self_signed" },
		  { "terminal_server.rdp.cert_untrusted",
		    "terminal_server.rdp.cert_ok" } },
		{ false,
		  false,
		  true,
		  100,
		  "unable to get local issuer certificate",
		  { "terminal_server.rdp.cert_untrusted" },
		  { "terminal_server.rdp.cert_self_signed",
		    "terminal_server.rdp.cert_ok" } },
		{ true,
		  false,
		  false,
		  100,
		  "",
		  { "terminal_server.rdp.cert_name_mismatch" },
		  { "terminal_server.rdp.cert_untrusted",
		    "terminal_server.rdp.cert_ok" } },
		/* Expired from a trusted CA: that fault alone. */
		{ false,
		  false,
		  true,
		  -2,
		  "certificate has expired",
		  { "terminal_server.rdp.cert_expired" },
		  { "terminal_server.rdp.cert_untrusted",
		    "terminal_server.rdp.cert_self_signed" } },
		/* Self-signed and expired: both. */
		{ false,
		  true,
		  false,
		  -2,
		  "self-signed certificate",
		  { "terminal_server.rdp.cert_self_signed",
		    "terminal_server.rdp.cert_expired",
		    "terminal_server.rdp.cert_name_mismatch" },
		  { "terminal_server.rdp.cert_ok" } },
	};
	struct verdict_list l;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r->tls.chain_ok = cases[i].chain_ok;
		r->tls.self_signed = cases[i].self_signed;
		r->tls.name_match = cases[i].name_match;
		r->tls.days_left = cases[i].days_left;
		snprintf(r->tls.verify_error, sizeof(r->tls.verify_error), "%s",
			 cases[i].verify_error);
		verdict_list_init(&l);
		terminal_server_judge_rdp("ts1:3389", r, 30, &l);
		for (size_t k = 0; k < 3 && cases[i].present[k]; k++) {
			const struct verdict_item *v =
				verdict_find(&l, cases[i].present[k]);

			if (!v)
				fail_msg("case %zu: no %s", i,
					 cases[i].present[k]);
			assert_int_equal(v->level, LEVEL_THIRD_PARTY);
			assert_non_null(strstr(v->detail, "ts1:3389"));
		}
		for (size_t k = 0; k < 3 && cases[i].absent[k]; k++)
			if (verdict_find(&l, cases[i].absent[k]))
				fail_msg("case %zu: %s", i, cases[i].absent[k]);
		verdict_list_release(&l);
	}
}

static void test_judge(void **state)
{
	struct verdict_list l;
	struct rdp_probe_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.best = answer(0x0b, RDP_REPLY_SELECTED, 1);
	r.tls_only = answer(1, RDP_REPLY_SELECTED, 1);
	r.plain = answer(0, RDP_REPLY_FAILURE, 1);
	r.tls_done = true;
	r.tls.have_cert = true;
	r.tls.days_left = -3;
	snprintf(r.tls.subject, sizeof(r.tls.subject), "CN=ts1");
	verdict_list_init(&l);
	terminal_server_judge_rdp("ts1:3389", &r, 30, &l);
	assert_non_null(verdict_find(&l, "terminal_server.rdp.ok"));
	assert_non_null(
		verdict_find(&l, "terminal_server.rdp.nla_not_required"));
	assert_non_null(verdict_find(&l, "terminal_server.rdp.cert_expired"));
	assert_null(verdict_find(&l, "terminal_server.rdp.plain_security"));
	assert_non_null(
		strstr(verdict_find(&l, "terminal_server.rdp.ok")->detail,
		       "failure 1, the server requires TLS"));
	verdict_list_release(&l);

	r.tls.days_left = 10;
	r.tls.chain_ok = true;
	r.tls.name_match = true;
	terminal_server_judge_rdp("ts1:3389", &r, 30, &l);
	assert_non_null(verdict_find(&l, "terminal_server.rdp.cert_expiring"));
	verdict_list_release(&l);
	terminal_server_judge_rdp("ts1:3389", &r, 5, &l);
	assert_non_null(verdict_find(&l, "terminal_server.rdp.cert_ok"));
	assert_null(verdict_find(&l, "terminal_server.rdp.cert_self_signed"));
	assert_null(verdict_find(&l, "terminal_server.rdp.cert_untrusted"));
	assert_null(verdict_find(&l, "terminal_server.rdp.cert_name_mismatch"));
	verdict_list_release(&l);

	test_judge_trust(&r);

	r.plain = answer(0, RDP_REPLY_SELECTED, 0);
	r.tls_done = false;
	terminal_server_judge_rdp("ts1:3389", &r, 30, &l);
	assert_non_null(verdict_find(&l, "terminal_server.rdp.plain_security"));
	assert_int_equal(
		verdict_find(&l, "terminal_server.rdp.plain_security")->level,
		LEVEL_THIRD_PARTY);
	verdict_list_release(&l);

	memset(&r, 0, sizeof(r));
	r.best.done = true;
	r.best.rc = -EBADMSG;
	terminal_server_judge_rdp("web:80", &r, 30, &l);
	assert_non_null(verdict_find(&l, "terminal_server.rdp.not_rdp"));
	verdict_list_release(&l);
}

/* Answers every request like a Windows server that requires NLA. */
static void responder(int ls)
{
	for (int i = 0; i < 3; i++) {
		uint8_t in[128];
		uint8_t out[19] = { 0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0,
				    0,    0,    0x12, 0x34, 0x00 };
		int fd = accept(ls, NULL, NULL);
		ssize_t n;
		uint32_t req;

		if (fd < 0)
			_exit(1);
		n = read(fd, in, sizeof(in));
		if (n < 43)
			_exit(2);
		req = in[39];
		out[11] = req & RDP_PROTOCOL_HYBRID ? 0x02 : 0x03;
		out[13] = 8;
		out[15] = req & RDP_PROTOCOL_HYBRID ? 0x02 : 0x05;
		if (write(fd, out, sizeof(out)) != sizeof(out))
			_exit(3);
		/* the TLS handshake after selection gets a closed socket */
		close(fd);
	}
	_exit(0);
}

static void test_probe_io(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct rdp_probe_result r;
	struct rdp_security s;
	int ls, status;
	pid_t pid;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 4), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		responder(ls);
	close(ls);
	assert_int_equal(rdp_probe((struct sockaddr *)&sa, sizeof(sa),
				   "127.0.0.1", now_ms() + 3000, &r),
			 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rdp_probe_summarize(&r, &s);
	assert_int_equal(s.selected, RDP_PROTOCOL_HYBRID);
	assert_int_equal(s.nla_required, 1);
	assert_int_equal(s.plain_accepted, 0);
	assert_true(r.tls_done);
	assert_true(r.tls_rc < 0);

	/* the same port, now closed: refused, and only one attempt */
	assert_int_equal(rdp_probe((struct sockaddr *)&sa, sizeof(sa),
				   "127.0.0.1", now_ms() + 2000, &r),
			 0);
	assert_int_equal(r.best.rc, -ECONNREFUSED);
	assert_false(r.tls_only.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_summarize),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_probe_io),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
