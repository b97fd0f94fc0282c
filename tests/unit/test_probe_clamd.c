/*
 * Unit tests for the clamd probe: the PING and VERSION parsers against
 * replies captured from a real clamd 1.4 (the fuzz seed corpus) and edge
 * cases, and clamd_probe() against tiny unix-socket peers forked by the
 * test (a clamd look-alike, one that answers garbage, one that is silent).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "probes/clamd.h"

static size_t load_capture(const char *name, uint8_t *buf, size_t max)
{
	char *rel = xasprintf("../fuzz/corpus/fuzz_clamd_reply/%s", name);
	size_t n = harness_read_data(rel, buf, max);

	free(rel);
	return n;
}

static void test_ping(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int r;
	} cases[] = {
		{ "PONG", 5, 0 },
		{ "PONG", 4, -EAGAIN },
		{ "PO", 2, -EAGAIN },
		{ "", 0, -EAGAIN },
		{ "PONG\n", 6, -EBADMSG },
		{ "PING", 5, -EBADMSG },
		{ "UNKNOWN COMMAND", 16, -EBADMSG },
	};
	uint8_t buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(clamd_ping_parse((const uint8_t *)cases[i].in,
						  cases[i].n),
				 cases[i].r);
	assert_int_equal(
		clamd_ping_parse(buf, load_capture("pong", buf, sizeof(buf))),
		0);
}

static void test_version_captures(void **state)
{
	struct clamd_version v;
	uint8_t buf[CLAMD_REPLY_MAX];
	size_t n;

	(void)state;
	n = load_capture("version-local-only", buf, sizeof(buf));
	assert_int_equal(clamd_version_parse(buf, n, false, &v), 0);
	assert_string_equal(v.engine, "1.4.6");
	assert_false(v.has_db);
	assert_int_equal(v.db_version, 0);

	n = load_capture("version-official", buf, sizeof(buf));
	assert_int_equal(clamd_version_parse(buf, n, false, &v), 0);
	assert_string_equal(v.engine, "1.4.6");
	assert_true(v.has_db);
	assert_int_equal(v.db_version, 27431);
	assert_string_equal(v.db_date, "Tue Oct  8 08:33:10 2024");
	assert_int_equal(v.db_time, 1728376390); /* date -ud ... +%s */

	n = load_capture("version-bad-date", buf, sizeof(buf));
	assert_int_equal(clamd_version_parse(buf, n, false, &v), 0);
	assert_true(v.has_db);
	assert_int_equal(v.db_time, 0);
}

static void test_version_table(void **state)
{
	static const struct {
		const char *in;
		bool eof;
		int r;
		const char *engine;
		uint32_t db;
	} cases[] = {
		{ "ClamAV 0.103.8/26000/Mon Jan  2 09:00:00 2023", true, 0,
		  "0.103.8", 26000 },
		{ "ClamAV 1.4.6\n", true, 0, "1.4.6", 0 },
		{ "ClamAV 1.4.6", false, -EAGAIN, NULL, 0 },
		{ "ClamAV ", true, -EBADMSG, NULL, 0 },
		{ "ClamAV /1/x", true, -EBADMSG, NULL, 0 },
		{ "ClamAV 1.4/x/y", true, -EBADMSG, NULL, 0 },
		{ "ClamAV 1.4/99999999999/y", true, -EBADMSG, NULL, 0 },
		{ "ClamAV 1.4/12", true, -EBADMSG, NULL, 0 },
		{ "clamav 1.4.6", true, -EBADMSG, NULL, 0 },
		{ "", true, -EBADMSG, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct clamd_version v;
		int r = clamd_version_parse((const uint8_t *)cases[i].in,
					    strlen(cases[i].in), cases[i].eof,
					    &v);

		assert_int_equal(r, cases[i].r);
		if (r == 0) {
			assert_string_equal(v.engine, cases[i].engine);
			assert_int_equal(v.db_version, cases[i].db);
		}
	}
}

enum peer_mode {
	PEER_CLAMD,
	PEER_GARBAGE,
	PEER_SILENT,
};

/* A forked unix-socket peer answering up to two connections. */
static pid_t peer_start(const char *path, enum peer_mode mode)
{
	struct sockaddr_un un;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(fd >= 0);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(listen(fd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 2; i++) {
			int c = accept(fd, NULL, NULL);
			char req[64];
			ssize_t n;

			if (c < 0)
				_exit(1);
			n = read(c, req, sizeof(req));
			if (mode == PEER_SILENT) {
				sleep(10);
				_exit(0);
			}
			if (mode == PEER_GARBAGE)
				write_all(c, "HTTP/1.1 400\r\n", 14);
			else if (n > 0 && strcmp(req, "zPING") == 0)
				write_all(c, "PONG", 5);
			else
				write_all(c, "ClamAV 1.4.6", 13);
			close(c);
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

static void peer_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_probe(void **state)
{
	char dir[] = "/tmp/rdiag-clamd-XXXXXX";
	struct clamd_probe_result res;
	struct clamd_target t;
	int64_t t0;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&t, 0, sizeof(t));
	snprintf(t.unix_path, sizeof(t.unix_path), "%s/c.sock", dir);

	/* nothing there */
	assert_int_equal(clamd_probe(&t, now_ms() + 2000, &res), 0);
	assert_int_equal(res.ping_rc, -ENOENT);

	pid = peer_start(t.unix_path, PEER_CLAMD);
	assert_int_equal(clamd_probe(&t, now_ms() + 5000, &res), 0);
	assert_int_equal(res.ping_rc, 0);
	assert_int_equal(res.version_rc, 0);
	assert_string_equal(res.version.engine, "1.4.6");
	assert_false(res.version.has_db);
	peer_stop(pid);
	unlink(t.unix_path);

	pid = peer_start(t.unix_path, PEER_GARBAGE);
	assert_int_equal(clamd_probe(&t, now_ms() + 5000, &res), 0);
	assert_int_equal(res.ping_rc, -EBADMSG);
	assert_string_equal(res.reply, "HTTP/1.1 400??");
	peer_stop(pid);
	unlink(t.unix_path);

	pid = peer_start(t.unix_path, PEER_SILENT);
	t0 = now_ms();
	assert_int_equal(clamd_probe(&t, now_ms() + 300, &res), 0);
	assert_int_equal(res.ping_rc, -ETIMEDOUT);
	assert_true(now_ms() - t0 < 2000);
	peer_stop(pid);
	unlink(t.unix_path);

	/* neither a socket nor a port */
	memset(&t, 0, sizeof(t));
	assert_int_equal(clamd_probe(&t, now_ms() + 300, &res), -EINVAL);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_version_captures),
		cmocka_unit_test(test_version_table),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
