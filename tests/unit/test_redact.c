/*
 * Unit tests for the redaction pass: the secrets corpus must lose every fake
 * secret and keep its context, the look-alike corpus must come out
 * byte-identical, and redact_fd must agree with redact_buf however the
 * stream is cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/redact.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static char *read_data(const char *rel, size_t *ret_len)
{
	const char *dir = getenv("RDIAG_TEST_DATA");
	char *path = xasprintf("%s/%s", dir ? dir : "tests/data", rel);
	struct buf b;
	char chunk[4096];
	ssize_t k;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail_msg("cannot open '%s'", path);
	buf_init(&b, 0);
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(&b, chunk, (size_t)k), 0);
	assert_true(k == 0);
	close(fd);
	free(path);
	return buf_detach(&b, ret_len);
}

/* memmem() is GNU; the test only needs a naive one. */
static const char *memmem_portable(const char *h, size_t hl, const char *n,
				   size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

static size_t rule_index(const char *name)
{
	for (size_t i = 0; i < redact_rule_count(); i++)
		if (strcmp(redact_rule_name(i), name) == 0)
			return i;
	fail_msg("no rule '%s'", name);
	return SIZE_MAX;
}

static uint64_t total_count(const struct redactor *r)
{
	uint64_t t = 0;

	for (size_t i = 0; i < redact_rule_count(); i++)
		t += redactor_count(r, i);
	return t;
}

static char *redact_string(struct redactor *r, const char *s, size_t len,
			   size_t *ret_len)
{
	struct buf out;

	buf_init(&out, 0);
	assert_int_equal(redact_buf(r, s, len, &out), 0);
	return buf_detach(&out, ret_len);
}

/* Feed text into a pipe in odd-sized writes, from a child. */
static pid_t feed_pipe(const char *text, size_t len, int *ret_fd)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t off = 0, step = 1;

		close(fds[0]);
		while (off < len) {
			size_t n = len - off < step ? len - off : step;

			if (write_all(fds[1], text + off, n) < 0)
				_exit(1);
			off += n;
			step = step * 7 % 70001 + 1;
		}
		_exit(0);
	}
	close(fds[1]);
	*ret_fd = fds[0];
	return pid;
}

/*
 * Run text through redact_fd, from a pipe (written in odd pieces) or a
 * temporary file, into a temporary file.
 */
static char *redact_through_fd(struct redactor *r, const char *text, size_t len,
			       bool from_pipe, size_t *ret_len)
{
	char path[] = "/tmp/rdiag-redact-XXXXXX";
	int out = mkstemp(path), in = -1, status = 0;
	struct buf b;
	char chunk[65536];
	ssize_t k;
	pid_t pid = -1;

	assert_true(out >= 0);
	unlink(path);
	if (from_pipe) {
		pid = feed_pipe(text, len, &in);
	} else {
		char ipath[] = "/tmp/rdiag-redact-XXXXXX";

		in = mkstemp(ipath);
		assert_true(in >= 0);
		unlink(ipath);
		assert_int_equal(write_all(in, text, len), 0);
		assert_int_equal(lseek(in, 0, SEEK_SET), 0);
	}
	assert_int_equal(redact_fd(r, in, out), 0);
	close(in);
	if (pid > 0) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(status, 0);
	}
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	buf_init(&b, 0);
	while ((k = read(out, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(&b, chunk, (size_t)k), 0);
	close(out);
	return buf_detach(&b, ret_len);
}

static char *unescape(const char *s, size_t *ret_len)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		char c = *s;

		if (c == '\\' && s[1]) {
			s++;
			c = *s == 'n'   ? '\n'
			    : *s == 'r' ? '\r'
			    : *s == 't' ? '\t'
					: *s;
		}
		assert_int_equal(buf_putc(&b, c), 0);
	}
	return buf_detach(&b, ret_len);
}

struct secret_case {
	char *rule, *secret, *input;
	size_t input_len;
};

static size_t load_secrets(struct secret_case **ret)
{
	size_t len, n = 0;
	char *text = read_data("redact/secrets.txt", &len), *line, *save;
	struct secret_case *cases = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t1, *t2;
		struct secret_case *c;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		t1 = strchr(line, '\t');
		assert_non_null(t1);
		t2 = strchr(t1 + 1, '\t');
		assert_non_null(t2);
		*t1 = *t2 = '\0';
		cases = xreallocarray(cases, n + 1, sizeof(*cases));
		c = &cases[n++];
		c->rule = xstrdup(line);
		c->secret = unescape(t1 + 1, &len);
		c->input = unescape(t2 + 1, &c->input_len);
	}
	free(text);
	*ret = cases;
	return n;
}

static void free_secrets(struct secret_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cases[i].rule);
		free(cases[i].secret);
		free(cases[i].input);
	}
	free(cases);
}

static void check_secret(const struct secret_case *c, const char *out,
			 const struct redactor *r)
{
	const char *at = strstr(c->input, c->secret);
	char *marker = xasprintf("[REDACTED:%s]", c->rule);
	size_t keep;

	assert_non_null(at);
	keep = (size_t)(at - c->input);
	if (strstr(out, c->secret) || strncmp(out, c->input, keep) != 0 ||
	    !strstr(out, marker) ||
	    redactor_count(r, rule_index(c->rule)) == 0 ||
	    total_count(r) != redactor_count(r, rule_index(c->rule)))
		fail_msg("case '%s' (%s) gave '%s'", c->input, c->rule, out);
	free(marker);
}

static void test_secrets(void **state)
{
	struct secret_case *cases;
	size_t n = load_secrets(&cases);

	(void)state;
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		const struct secret_case *c = &cases[i];
		struct redactor *r = redactor_new();
		size_t len, len2;
		char *out = redact_string(r, c->input, c->input_len, &len);
		char *again;

		check_secret(c, out, r);
		/* Redacting redacted text changes nothing and counts nothing.
		 */
		redactor_free(r);
		r = redactor_new();
		again = redact_string(r, out, len, &len2);
		if (strcmp(again, out) != 0 || total_count(r) != 0)
			fail_msg("case '%s' redacted again gave '%s'", c->input,
				 again);
		free(again);
		redactor_free(r);
		/* redact_fd must agree, from a file and from a pipe. */
		for (int p = 0; p < 2; p++) {
			r = redactor_new();
			again = redact_through_fd(r, c->input, c->input_len, p,
						  &len2);
			assert_int_equal(len2, len);
			assert_memory_equal(again, out, len);
			check_secret(c, again, r);
			free(again);
			redactor_free(r);
		}
		free(out);
	}
	free_secrets(cases, n);
}

static void test_lookalikes(void **state)
{
	size_t len, olen, lines = 0;
	char *text = read_data("redact/lookalikes.txt", &len), *out;
	struct redactor *r = redactor_new();

	(void)state;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_true(lines >= 15);
	out = redact_string(r, text, len, &olen);
	if (olen != len || memcmp(out, text, len) != 0)
		fail_msg("look-alikes changed:\n%s", out);
	assert_int_equal(total_count(r), 0);
	free(out);
	out = redact_through_fd(r, text, len, true, &olen);
	assert_int_equal(olen, len);
	assert_memory_equal(out, text, len);
	assert_int_equal(total_count(r), 0);
	free(out);
	redactor_free(r);
	free(text);
}

static void test_pem_across_lines(void **state)
{
	static const char in[] = "before password=FAKE-pem-0\n"
				 "-----BEGIN PRIVATE KEY-----\n"
				 "MIIEvFAKEpemBodyLine1AAAAAAAAAAAAAAAAAAAAAAAA"
				 "AAAAAAAAAAAAAAAAAA\n"
				 "MIIEvFAKEpemBodyLine2AAAAAAAAAAAAAAAAAAAAAAAA"
				 "AAAAAAAAAAAAAAAAAA\n"
				 "-----END PRIVATE KEY-----\n"
				 "-----BEGIN CERTIFICATE-----\n"
				 "MIIBcertificateStays\n"
				 "-----END CERTIFICATE-----\n"
				 "-----BEGIN RSA PRIVATE KEY-----\n"
				 "MIIEFAKEtruncatedKey\n";
	static const char want[] = "before password=[REDACTED:key-value]\n"
				   "-----BEGIN PRIVATE KEY-----\n"
				   "[REDACTED:pem-private-key]\n"
				   "-----END PRIVATE KEY-----\n"
				   "-----BEGIN CERTIFICATE-----\n"
				   "MIIBcertificateStays\n"
				   "-----END CERTIFICATE-----\n"
				   "-----BEGIN RSA PRIVATE KEY-----\n"
				   "[REDACTED:pem-private-key]\n";
	static const char pem_tail[] = "-----BEGIN PRIVATE KEY-----\nMIIEFAKE\n"
				       "2024-05-01 INFO: next log line\n";
	struct redactor *r = redactor_new();
	size_t len;
	char *out;

	(void)state;
	for (int p = 0; p < 2; p++) {
		out = redact_through_fd(r, in, strlen(in), p, &len);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(out, want, len);
		free(out);
	}
	assert_int_equal(redactor_count(r, rule_index("pem-private-key")), 4);
	assert_int_equal(redactor_count(r, rule_index("key-value")), 2);
	/* A key block ends at a line that cannot be part of it. */
	out = redact_string(r, pem_tail, strlen(pem_tail), &len);
	assert_string_equal(out, "-----BEGIN PRIVATE KEY-----\n"
				 "[REDACTED:pem-private-key]\n"
				 "2024-05-01 INFO: next log line\n");
	free(out);
	redactor_free(r);
}

static void test_counts(void **state)
{
	static const char in[] = "password=FAKE-c1 token=FAKE-c2\n"
				 "https://u:FAKE-c3@h/ https://u@h/\n"
				 "AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE\n"
				 "password=\n";
	struct redactor *r = redactor_new();
	size_t len;
	char *out = redact_string(r, in, strlen(in), &len);

	(void)state;
	assert_int_equal(redactor_count(r, rule_index("key-value")), 2);
	assert_int_equal(redactor_count(r, rule_index("url-userinfo")), 1);
	assert_int_equal(redactor_count(r, rule_index("aws-access-key-id")), 2);
	assert_int_equal(total_count(r), 5);
	assert_null(redact_rule_name(redact_rule_count()));
	assert_int_equal(redactor_count(r, redact_rule_count()), 0);
	free(out);
	/* Counts add up over everything the redactor has seen. */
	out = redact_string(r, in, strlen(in), &len);
	assert_int_equal(total_count(r), 10);
	free(out);
	redactor_free(r);
}

static void test_long_line(void **state)
{
	struct buf in;
	struct redactor *r = redactor_new();
	size_t len, want_len;
	char *out, *want;
	int i;

	(void)state;
	buf_init(&in, 0);
	/* 300 KiB without a newline, secrets all along it. */
	for (i = 0; in.len < 300 * 1024; i++)
		assert_int_equal(buf_printf(&in,
					    "field%d=value%d password=FAKE"
					    "-long-%d ",
					    i, i, i),
				 0);
	assert_int_equal(buf_puts(&in, "\nshort password=FAKE-tail\n"), 0);
	want = redact_string(r, in.data, in.len, &want_len);
	assert_null(strstr(want, "FAKE"));
	assert_int_equal(redactor_count(r, rule_index("key-value")),
			 (uint64_t)i + 1);
	out = redact_through_fd(r, in.data, in.len, true, &len);
	assert_null(strstr(out, "FAKE"));
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, len);
	free(out);
	free(want);
	buf_release(&in);

	/* One value longer than a piece: its tail must not leak. */
	buf_init(&in, 0);
	assert_int_equal(buf_puts(&in, "x password=\"FAKE"), 0);
	while (in.len < 200 * 1024)
		assert_int_equal(buf_puts(&in, "FAKEFAKEFAKEFAKE"), 0);
	assert_int_equal(buf_puts(&in, "\" after=1"), 0);
	out = redact_through_fd(r, in.data, in.len, false, &len);
	assert_null(memmem_portable(out, len, "FAKE", 4));
	assert_string_equal(out, "x password=\"[REDACTED:key-value]\" after=1");
	free(out);
	buf_release(&in);
	redactor_free(r);
}

static void test_edges(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "\n", "\n" },
		{ "no newline at end", "no newline at end" },
		{ "password=FAKE-e1", "password=[REDACTED:key-value]" },
		{ "password = FAKE-e2 \r\n",
		  "password = [REDACTED:key-value] \r\n" },
		{ "a\r\nb\r\n", "a\r\nb\r\n" },
		{ "password=\n", "password=\n" },
		{ "password: '' # empty", "password: '' # empty" },
		{ "password_min_length = FAKE-e3",
		  "password_min_length = [REDACTED:key-value]" },
		{ "password = 12345678", "password = [REDACTED:key-value]" },
		{ "https://bob@host/x", "https://bob@host/x" },
		{ "Proxy-Authorization: [REDACTED:http-authorization]",
		  "Proxy-Authorization: [REDACTED:http-authorization]" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct redactor *r = redactor_new();
		size_t len;
		char *out = redact_string(r, cases[i].in, strlen(cases[i].in),
					  &len);

		assert_string_equal(out, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		free(out);
		for (int p = 0; p < 2; p++) {
			out = redact_through_fd(r, cases[i].in,
						strlen(cases[i].in), p, &len);
			assert_int_equal(len, strlen(cases[i].out));
			assert_memory_equal(out, cases[i].out, len);
			free(out);
		}
		redactor_free(r);
	}
}

static void test_bounded_out(void **state)
{
	struct redactor *r = redactor_new();
	struct buf out;

	(void)state;
	buf_init(&out, 16);
	assert_int_equal(redact_buf(r, "password=FAKE-b1\n", 17, &out),
			 -ENOBUFS);
	assert_null(strstr(out.data, "FAKE"));
	buf_release(&out);
	redactor_free(r);
}

static void test_read_error(void **state)
{
	struct redactor *r = redactor_new();

	(void)state;
	assert_int_equal(redact_fd(r, -1, 1), -EBADF);
	redactor_free(r);
}

/* OpenPGP armour headers do not end a private key block. */
static void test_pgp_armour(void **state)
{
	static const char in[] =
		"before\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
		"Version: GnuPG v2\nComment: backup key\nHash: SHA256\n\n"
		"lQOYBFAKEs3cr3t93\nFAKEs3cr3t93line2\n=ab12\n"
		"-----END PGP PRIVATE KEY BLOCK-----\nafter\n";
	struct redactor *r = redactor_new();
	size_t len;
	char *out = redact_string(r, in, strlen(in), &len);

	(void)state;
	if (strstr(out, "FAKEs3cr3t93") || !strstr(out, "before\n") ||
	    !strstr(out, "\nafter\n") ||
	    !strstr(out, "-----END PGP PRIVATE KEY BLOCK-----"))
		fail_msg("gave '%s'", out);
	assert_int_equal(redactor_count(r, rule_index("pem-private-key")), 1);
	free(out);
	redactor_free(r);
}

/* Files known by name: .pgpass, .netrc and sasl_passwd. */
static void test_formats(void **state)
{
	static const struct {
		const char *name, *in, *secret, *keep;
	} cases[] = {
		{ "/home/dms/.pgpass",
		  "# "
		  "local\ndb01:5432:dms:dms:FAKE-pg-1\n*:*:*:backup:FAKE\\:"
		  "pg2\n",
		  "FAKE", "db01:5432:dms:dms:" },
		{ "/root/.netrc",
		  "machine nas01\n  login backup\n  password FAKE-netrc-1\n",
		  "FAKE-netrc-1", "  login backup\n" },
		{ "/etc/postfix/sasl_passwd",
		  "[smtp.example.com]:587 dms@example.com:FAKE-sasl-1\n",
		  "FAKE-sasl-1", "[smtp.example.com]:587 dms@example.com:" },
	};

	(void)state;
	assert_int_equal(redact_format_of("/x/app.log"), REDACT_TEXT);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct redactor *r = redactor_new();
		size_t len;
		char *out;

		redactor_set_format(r, redact_format_of(cases[i].name));
		out = redact_string(r, cases[i].in, strlen(cases[i].in), &len);
		if (strstr(out, cases[i].secret) ||
		    !strstr(out, cases[i].keep) ||
		    redactor_count(r, rule_index("credentials-file")) == 0)
			fail_msg("%s gave '%s'", cases[i].name, out);
		free(out);
		redactor_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_lookalikes),
		cmocka_unit_test(test_pem_across_lines),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_bounded_out),
		cmocka_unit_test(test_read_error),
		cmocka_unit_test(test_pgp_armour),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
