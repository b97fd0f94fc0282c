/*
 * Unit tests for the terminal_server collector: the sesman.ini, xrdp.ini,
 * limits, cgroup, /proc and locale parsers from fixtures; the neutral
 * judgement with numbers at and around each threshold; grouping processes
 * and logins into sessions; and whole runs against fixture roots
 * (tests/data/terminal_server/busy and quiet) with a utmp file written by
 * pututxline().
 */
#define _GNU_SOURCE /* utmpxname() */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utmpx.h>

#include <cmocka.h>

#include "core/config.h"
#include "harness.h"
#include "terminal_server_judge.h"
#include "terminal_server_parse.h"
#include "terminal_server_sessions.h"

extern const struct collector collector_terminal_server;

static char *load(const char *rel, size_t *ret_len)
{
	char *buf = xcalloc(1, 1 << 20);

	*ret_len = harness_read_data(rel, buf, (1 << 20) - 1);
	return buf;
}

static void test_sesman(void **state)
{
	struct terminal_server_sesman s;
	size_t n;
	char *t = load("terminal_server/files/sesman-debian.ini", &n);

	(void)state;
	assert_int_equal(terminal_server_parse_sesman(t, n, &s), 0);
	assert_int_equal(s.max_sessions, 50);
	assert_int_equal(s.kill_disconnected, 0);
	assert_int_equal(s.disconnected_time_limit, 0);
	assert_int_equal(s.idle_time_limit, 0);
	assert_int_equal(s.x11_display_offset, 10);
	assert_string_equal(s.fuse_mount_name, "thinclient_drives");
	free(t);

	static const char odd[] = "[sessions]\r\n maxsessions = 7 \n"
				  "KillDisconnected=yes\nIdleTimeLimit=x\n"
				  "[Chansrv]\nFuseMountName=/run/user/%u/d\n"
				  "EnableFuseMount=false\n[Other]\n"
				  "MaxSessions=99\n";
	assert_int_equal(terminal_server_parse_sesman(odd, sizeof(odd) - 1, &s),
			 0);
	assert_int_equal(s.max_sessions, 7);
	assert_int_equal(s.kill_disconnected, 1);
	assert_int_equal(s.idle_time_limit, -1);
	assert_int_equal(s.enable_fuse_mount, 0);
	assert_string_equal(s.fuse_mount_name, "/run/user/%u/d");

	/*
	 * An indented key after another key is a key (not a continuation of
	 * the one before), a ';' comment after a value is not the value, and
	 * the tail of an over-long line is never read as a line of its own.
	 */
	char *longl = xasprintf("[Sessions]\nKillDisconnected=1\n"
				"  MaxSessions=12\n"
				"IdleTimeLimit=300 ; five minutes\n"
				"; %0300d MaxSessions=99\n"
				"X11DisplayOffset=%0300dX11DisplayOffset=3\n",
				0, 0);
	assert_int_equal(terminal_server_parse_sesman(longl, strlen(longl), &s),
			 0);
	assert_int_equal(s.kill_disconnected, 1);
	assert_int_equal(s.max_sessions, 12);
	assert_int_equal(s.idle_time_limit, 300);
	/* the cut value is a run of zeros; the tail's 3 is not read */
	assert_int_equal(s.x11_display_offset, 0);
	free(longl);
}

static void test_xrdp_ini(void **state)
{
	static const struct {
		const char *port, *address, *host;
		unsigned p;
		int r;
	} cases[] = {
		{ "3389", "", "127.0.0.1", 3389, 0 },
		{ "3390", "0.0.0.0", "127.0.0.1", 3390, 0 },
		{ "3389", "10.1.2.3", "10.1.2.3", 3389, 0 },
		{ "tcp://.:3391", "", "127.0.0.1", 3391, 0 },
		{ "tcp://:3392", "", "127.0.0.1", 3392, 0 },
		{ "tcp6://:3393", "", "::1", 3393, 0 },
		{ "tcp6://{fc00::1}:3394", "", "fc00::1", 3394, 0 },
		{ "tcp://.:3395 tcp6://.:3395", "", "127.0.0.1", 3395, 0 },
		{ "vsock://-1:3389", "", "", 0, -ENOTSUP },
		{ "/run/xrdp.sock", "", "", 0, -ENOTSUP },
		{ "tcp://.:99999", "", "", 0, -EINVAL },
		{ "x", "", "", 0, -EINVAL },
	};
	struct terminal_server_xrdp x;
	size_t n;
	char *t = load("terminal_server/files/xrdp-debian.ini", &n);

	(void)state;
	assert_int_equal(terminal_server_parse_xrdp(t, n, &x), 0);
	assert_int_equal(x.port, 3389);
	assert_string_equal(x.listen_host, "127.0.0.1");
	assert_string_equal(x.security_layer, "negotiate");
	free(t);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char host[64] = "";
		unsigned port = 0;

		assert_int_equal(terminal_server_parse_listen(
					 cases[i].port, cases[i].address, host,
					 sizeof(host), &port),
				 cases[i].r);
		if (cases[i].r == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].p);
		}
	}
}

static void test_target(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned port;
		int r;
	} cases[] = {
		{ "ts1", "ts1", 3389, 0 },
		{ "ts1.example.com:3390", "ts1.example.com", 3390, 0 },
		{ "[::1]:3391", "::1", 3391, 0 },
		{ "[::1]", "::1", 3389, 0 },
		{ "fe80::1", "fe80::1", 3389, 0 },
		{ "ts1:0", "", 0, -EINVAL },
		{ "ts1:x", "", 0, -EINVAL },
		{ ":3389", "", 0, -EINVAL },
		{ "a b", "", 0, -EINVAL },
		{ "[::1", "", 0, -EINVAL },
		{ "", "", 0, -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char host[64];
		unsigned port;

		assert_int_equal(terminal_server_parse_target(cases[i].in, host,
							      sizeof(host),
							      &port),
				 cases[i].r);
		if (cases[i].r == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		}
	}
}

static void test_proc_files(void **state)
{
	struct terminal_server_limits lim;
	struct terminal_server_stat st;
	struct terminal_server_status ss;
	struct terminal_server_env env;
	char path[160], lang[64];
	uint64_t v, a, m;
	size_t n;
	char *t;

	(void)state;
	t = load("terminal_server/files/limits-low-nofile", &n);
	assert_int_equal(terminal_server_parse_limits(t, n, &lim), 0);
	assert_int_equal(lim.nofile, 4);
	assert_int_equal(lim.nproc, 63000);
	free(t);
	t = load("terminal_server/files/limits-real", &n);
	assert_int_equal(terminal_server_parse_limits(t, n, &lim), 0);
	assert_true(lim.nofile > 0);
	free(t);
	assert_int_equal(
		terminal_server_parse_limits("Max cpu time 1\n", 15, &lim),
		-EBADMSG);
	static const char unl[] = "Max processes             unlimited "
				  "           unlimited            processes\n";
	assert_int_equal(
		terminal_server_parse_limits(unl, sizeof(unl) - 1, &lim), 0);
	assert_true(lim.nproc == TERMINAL_SERVER_UNLIMITED);

	t = load("terminal_server/busy/proc/201/stat", &n);
	assert_int_equal(terminal_server_parse_stat(t, n, &st), 0);
	assert_int_equal(st.pid, 201);
	assert_int_equal(st.session, 200);
	assert_int_equal(st.utime, 4000);
	assert_int_equal(st.stime, 1000);
	assert_int_equal(st.starttime, 5200);
	free(t);
	static const char evil[] = "7 (a) b) c) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 "
				   "0 20 0 1 0 99 0 0\n";
	assert_int_equal(
		terminal_server_parse_stat(evil, sizeof(evil) - 1, &st), 0);
	assert_int_equal(st.utime, 3);
	assert_int_equal(st.starttime, 99);
	assert_int_equal(terminal_server_parse_stat("1 (x) S 1", 9, &st),
			 -EBADMSG);

	t = load("terminal_server/busy/proc/301/status", &n);
	assert_int_equal(terminal_server_parse_status(t, n, &ss), 0);
	assert_string_equal(ss.name, "dms-client");
	assert_int_equal(ss.uid, 1002);
	assert_int_equal(ss.threads, 2);
	assert_int_equal(ss.rss_kb, 900000);
	free(t);

	t = load("terminal_server/busy/proc/201/environ", &n);
	assert_int_equal(terminal_server_parse_environ(t, n, &env), 0);
	assert_true(env.xrdp_session);
	assert_string_equal(env.display, ":10.0");
	assert_string_equal(env.user, "alice");
	assert_string_equal(env.home, "/home/alice");
	assert_string_equal(env.lang, "de_DE.UTF-8");
	free(t);
	static const char lc[] = "LANG=en_US.UTF-8\0LC_CTYPE=C\0DISPLAYX=1";
	terminal_server_parse_environ(lc, sizeof(lc) - 1, &env);
	assert_string_equal(env.lang, "C");
	assert_string_equal(env.display, "");
	assert_int_equal(terminal_server_display_number(":10.0"), 10);
	assert_int_equal(terminal_server_display_number("localhost:12"), 12);
	assert_int_equal(terminal_server_display_number(":"), -1);
	assert_int_equal(terminal_server_display_number("10"), -1);

	t = load("terminal_server/busy/proc/201/cgroup", &n);
	assert_int_equal(
		terminal_server_parse_cgroup_path(t, n, path, sizeof(path)), 0);
	assert_string_equal(path,
			    "/user.slice/user-1001.slice/session-c1.scope");
	free(t);
	assert_int_equal(terminal_server_parse_cgroup_path("12:pids:/a\n", 11,
							   path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(terminal_server_parse_cgroup_value("max\n", 4, &v), 0);
	assert_true(v == TERMINAL_SERVER_UNLIMITED);
	assert_int_equal(terminal_server_parse_cgroup_value("123\n", 4, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(terminal_server_parse_cgroup_value("-1\n", 3, &v),
			 -EBADMSG);
	t = load("terminal_server/files/memory.events", &n);
	assert_int_equal(terminal_server_parse_keyed(t, n, "oom_kill", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(terminal_server_parse_keyed(t, n, "oom_kil", &v),
			 -ENOENT);
	free(t);
	t = load("terminal_server/busy/proc/201/fdinfo/1", &n);
	assert_int_equal(terminal_server_parse_inotify_watches(t, n), 2);
	free(t);
	assert_int_equal(
		terminal_server_parse_file_nr("8500\t0\t10000\n", 13, &a, &m),
		0);
	assert_int_equal(a, 8500);
	assert_int_equal(m, 10000);
	static const char loc[] = "# x\nexport LC_ALL='fr_FR.UTF-8'\n"
				  "LANG=\"de_DE.UTF-8\"\n";
	terminal_server_parse_locale(loc, sizeof(loc) - 1, lang, sizeof(lang));
	assert_string_equal(lang, "fr_FR.UTF-8");
	t = load("terminal_server/busy/etc/cups/printers.conf", &n);
	assert_int_equal(terminal_server_parse_printers_conf(t, n), 2);
	free(t);
}

static void test_judge_limits(void **state)
{
	struct terminal_server_host h = { 8192, 128, true };
	struct terminal_server_user u;
	struct verdict_list l;

	(void)state;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	u.uid = 1001;
	u.nofile_limit = 1024;
	u.max_fds = 921; /* 89 %: below */
	u.nproc_limit = 100;
	u.threads = 89;
	u.mem_max = 1000;
	u.mem_current = 899;
	u.pids_max = TERMINAL_SERVER_NO_LIMIT;
	u.inotify_watches = 7372;
	u.inotify_instances = 115;
	verdict_list_init(&l);
	terminal_server_judge_users(&u, 1, &h, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "terminal_server.limits.ok");
	verdict_list_release(&l);

	u.max_fds = 922;
	u.threads = 90;
	u.mem_current = 900;
	u.inotify_watches = 7373;
	u.inotify_instances = 116;
	terminal_server_judge_users(&u, 1, &h, &l);
	assert_non_null(verdict_find(&l, "terminal_server.limits.open_files"));
	assert_non_null(verdict_find(&l, "terminal_server.limits.processes"));
	assert_non_null(verdict_find(&l, "terminal_server.inotify.watches"));
	assert_non_null(verdict_find(&l, "terminal_server.inotify.instances"));
	assert_int_equal(
		verdict_find(&l, "terminal_server.limits.cgroup_memory")
			->severity,
		SEVERITY_WARN);
	assert_null(verdict_find(&l, "terminal_server.limits.ok"));
	verdict_list_release(&l);

	u.uid = 0; /* root is not held to nproc */
	u.oom_kills = 1;
	terminal_server_judge_users(&u, 1, &h, &l);
	assert_null(verdict_find(&l, "terminal_server.limits.processes"));
	assert_int_equal(
		verdict_find(&l, "terminal_server.limits.cgroup_memory")
			->severity,
		SEVERITY_FAIL);
	verdict_list_release(&l);
}

static void test_judge_host(void **state)
{
	static const struct {
		unsigned in_use;
		long max;
		const char *id;
	} sessions[] = {
		{ 39, 50, "terminal_server.sessions.ok" },
		{ 40, 50, "terminal_server.sessions.near_limit" },
		{ 50, 50, "terminal_server.sessions.at_limit" },
		{ 3, 2, "terminal_server.sessions.at_limit" },
		{ 500, 0, "terminal_server.sessions.ok" },
		{ 5, -1, NULL },
	};
	struct terminal_server_space sp[2];
	struct verdict_list l;
	struct terminal_server_policy pol = { 0, 0, 0 };
	const uint64_t mib = 1024 * 1024;

	(void)state;
	verdict_list_init(&l);
	for (size_t i = 0; i < ARRAY_SIZE(sessions); i++) {
		terminal_server_judge_max_sessions(sessions[i].in_use,
						   sessions[i].max, &l);
		if (sessions[i].id) {
			assert_int_equal(l.n, 1);
			assert_string_equal(l.v[0].id, sessions[i].id);
		} else {
			assert_int_equal(l.n, 0);
		}
		verdict_list_release(&l);
	}
	terminal_server_judge_files(7999, 10000, &l);
	assert_string_equal(l.v[0].id, "terminal_server.files.ok");
	verdict_list_release(&l);
	terminal_server_judge_files(8000, 10000, &l);
	assert_string_equal(l.v[0].id, "terminal_server.files.near_max");
	assert_int_equal(l.v[0].severity, SEVERITY_WARN);
	verdict_list_release(&l);
	terminal_server_judge_files(9500, 10000, &l);
	assert_int_equal(l.v[0].severity, SEVERITY_FAIL);
	verdict_list_release(&l);

	terminal_server_judge_policy(&pol, &l);
	assert_string_equal(l.v[0].id,
			    "terminal_server.policy.disconnected_kept");
	verdict_list_release(&l);
	pol.disconnected_time_limit = 3600;
	terminal_server_judge_policy(&pol, &l);
	assert_string_equal(l.v[0].id, "terminal_server.policy.ok");
	verdict_list_release(&l);

	memset(sp, 0, sizeof(sp));
	snprintf(sp[0].path, sizeof(sp[0].path), "/home/a");
	sp[0].size = 100000 * mib;
	sp[0].avail = 10000 * mib; /* exactly 10 % free */
	sp[1].state = TERMINAL_SERVER_HUNG;
	terminal_server_judge_space(sp, 1, &l);
	assert_string_equal(l.v[0].id, "terminal_server.space.ok");
	verdict_list_release(&l);
	sp[0].avail = 9999 * mib;
	terminal_server_judge_space(sp, 2, &l);
	assert_int_equal(
		verdict_find(&l, "terminal_server.space.low")->severity,
		SEVERITY_WARN);
	assert_non_null(verdict_find(&l, "terminal_server.space.unresponsive"));
	verdict_list_release(&l);
	sp[0].avail = 31 * mib;
	terminal_server_judge_space(sp, 1, &l);
	assert_int_equal(l.v[0].severity, SEVERITY_FAIL);
	verdict_list_release(&l);
}

static void test_judge_session_env(void **state)
{
	struct terminal_server_locale loc[2] = { { "alice", "de_DE.utf8" },
						 { "bob", "de_DE.UTF-8" } };
	struct terminal_server_drive d = { "alice", "/home/alice/d",
					   TERMINAL_SERVER_HUNG, 0 };
	struct verdict_list l;

	(void)state;
	verdict_list_init(&l);
	terminal_server_judge_locale("de_DE.UTF-8", loc, 2, &l);
	assert_string_equal(l.v[0].id, "terminal_server.locale.ok");
	verdict_list_release(&l);
	snprintf(loc[1].lang, sizeof(loc[1].lang), "en_US.UTF-8");
	terminal_server_judge_locale("de_DE.UTF-8", loc, 2, &l);
	assert_string_equal(l.v[0].id, "terminal_server.locale.mismatch");
	verdict_list_release(&l);
	snprintf(loc[1].lang, sizeof(loc[1].lang), "POSIX");
	terminal_server_judge_locale("de_DE.UTF-8", loc, 2, &l);
	assert_string_equal(l.v[0].id, "terminal_server.locale.missing");
	assert_non_null(strstr(l.v[0].detail, "bob (POSIX)"));
	verdict_list_release(&l);

	terminal_server_judge_drives(&d, 1, &l);
	assert_string_equal(l.v[0].id,
			    "terminal_server.drive_redirection.hung");
	verdict_list_release(&l);
	d.state = TERMINAL_SERVER_FAILED;
	d.error = -ENOTCONN;
	terminal_server_judge_drives(&d, 1, &l);
	assert_string_equal(l.v[0].id,
			    "terminal_server.drive_redirection.broken");
	verdict_list_release(&l);
	terminal_server_judge_drives(&d, 0, &l);
	assert_int_equal(l.n, 0);

	terminal_server_judge_printing(false, -1, &l);
	assert_string_equal(l.v[0].id, "terminal_server.printing.no_cups");
	verdict_list_release(&l);
	terminal_server_judge_printing(true, 0, &l);
	assert_string_equal(l.v[0].id, "terminal_server.printing.no_printers");
	verdict_list_release(&l);
	terminal_server_judge_printing(true, -1, &l);
	assert_int_equal(l.n, 0);
}

static void test_sessions_build(void **state)
{
	struct terminal_server_env envs[3];
	struct terminal_server_proc p[5];
	struct terminal_server_login logins[2] = {
		{ 30, "carol", "pts/0", "10.0.0.9", 0 },
		{ 999, "dave", "pts/1", "", 0 }, /* stale */
	};
	struct terminal_server_sessions s;

	(void)state;
	memset(envs, 0, sizeof(envs));
	memset(p, 0, sizeof(p));
	envs[0].xrdp_session = true;
	snprintf(envs[0].display, sizeof(envs[0].display), ":10.0");
	snprintf(envs[0].user, sizeof(envs[0].user), "alice");
	envs[1] = envs[0];
	/* ssh X forwarding, not an xrdp session */
	snprintf(envs[2].display, sizeof(envs[2].display), "localhost:10.0");
	p[0] = (struct terminal_server_proc){ 10, 1,   10, 1001, "xrdp-sesman",
					      1,  100, 5,  50,   0,
					      0,  0,   -1 };
	p[1] = (struct terminal_server_proc){ 20, 1,   20,  1001, "startwm",
					      1,  100, 100, 60,   5,
					      0,  0,   0 };
	p[2] = (struct terminal_server_proc){ 21,  20, 20, 1001, "app", 3, 900,
					      200, 70, 50, 1,    3,     1 };
	p[3] = (struct terminal_server_proc){ 30, 1,  30, 1003, "bash", 1, 10,
					      1,  80, 3,  0,    0,      2 };
	p[4] = (struct terminal_server_proc){ 31, 30, 30, 1003, "sleep", 1, 10,
					      1,  90, 3,  0,    0,       -1 };
	assert_int_equal(terminal_server_sessions_build(p, 5, envs, 3, logins,
							2, 10, 100, &s),
			 0);
	assert_true(s.presence.session_manager_running);
	assert_false(s.presence.rdp_service_running);
	assert_int_equal(s.presence.remote_sessions, 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.stale_logins, 1);
	assert_int_equal(s.nusers, 2);
	assert_string_equal(s.users[0].name, "alice");
	assert_int_equal(s.users[0].processes, 3);
	assert_int_equal(s.users[0].threads, 5);
	assert_int_equal(s.users[0].rss_kb, 1100);
	assert_int_equal(s.users[0].cpu_ms, 3050);
	assert_int_equal(s.users[0].max_fds, 50);
	assert_int_equal(s.users[0].max_fds_pid, 21);
	assert_int_equal(s.users[0].inotify_watches, 3);
	assert_int_equal(s.users[0].leader_pid, 20);
	assert_string_equal(s.users[1].name, "carol");
	assert_int_equal(s.users[1].processes, 2);
	assert_true(s.v[1].from_utmp);
	terminal_server_sessions_release(&s);
}

static void assert_finding(const struct harness_run *run, const char *id)
{
	if (!harness_finding(run, id)) {
		char *s = json_dumps(run->records, JSON_INDENT(1));

		print_error("no finding '%s' in:\n%s\n", id, s);
		free(s);
	}
	assert_non_null(harness_finding(run, id));
}

static const char *finding_text(const struct harness_run *run, const char *id,
				const char *field)
{
	json_t *f = harness_finding(run, id);

	assert_non_null(f);
	return json_string_value(json_object_get(f, field));
}

/* A utmpx file with one USER_PROCESS entry for carol's shell (pid 400). */
static char *write_utmp(void)
{
	char *path = xstrdup("/tmp/rdiag-ts-utmp-XXXXXX");
	struct utmpx u;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(utmpxname(path), 0);
	setutxent();
	memset(&u, 0, sizeof(u));
	u.ut_type = USER_PROCESS;
	u.ut_pid = 400;
	snprintf(u.ut_line, sizeof(u.ut_line), "pts/3");
	snprintf(u.ut_user, sizeof(u.ut_user), "carol");
	snprintf(u.ut_host, sizeof(u.ut_host), "10.0.0.9");
	assert_non_null(pututxline(&u));
	u.ut_type = DEAD_PROCESS;
	u.ut_pid = 401;
	snprintf(u.ut_line, sizeof(u.ut_line), "pts/4");
	assert_non_null(pututxline(&u));
	endutxent();
	return path;
}

static void test_run_busy(void **state)
{
	char *root = harness_data_path("terminal_server/busy");
	char *utmp = write_utmp();
	struct harness_run run;
	struct config c;

	(void)state;
	config_init(&c);
	config_add(&c, "terminal_server", "utmp", utmp, "test");
	harness_run(&collector_terminal_server, root, &c, &run);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "terminal_server.detected");
	assert_finding(&run, "terminal_server.limits.open_files");
	assert_non_null(
		strstr(finding_text(&run, "terminal_server.limits.open_files",
				    "detail"),
		       "process 201 has 4 open files, its limit is 4"));
	assert_finding(&run, "terminal_server.limits.cgroup_memory");
	assert_string_equal(finding_text(&run,
					 "terminal_server.limits.cgroup_memory",
					 "severity"),
			    "fail");
	assert_finding(&run, "terminal_server.limits.cgroup_pids");
	assert_finding(&run, "terminal_server.inotify.watches");
	assert_finding(&run, "terminal_server.files.near_max");
	assert_finding(&run, "terminal_server.sessions.at_limit");
	assert_finding(&run, "terminal_server.policy.disconnected_kept");
	assert_finding(&run, "terminal_server.drive_redirection.ok");
	assert_finding(&run, "terminal_server.locale.missing");
	assert_non_null(strstr(
		finding_text(&run, "terminal_server.locale.missing", "detail"),
		"bob (none)"));
	assert_finding(&run, "terminal_server.printing.ok");
	assert_null(harness_finding(&run, "terminal_server.not_detected"));
	assert_string_equal(harness_fact(&run, "sessions.count"), "3");
	assert_string_equal(harness_fact(&run, "sessions.remote"), "2");
	assert_string_equal(harness_fact(&run, "users.count"), "3");
	assert_string_equal(harness_fact(&run, "user.2.name"), "carol");
	assert_string_equal(harness_fact(&run, "user.1.rss_kb"), "903000");
	assert_string_equal(harness_fact(&run, "xrdp.running"), "yes");
	assert_int_equal(
		json_integer_value(json_object_get(
			harness_finding(&run, "terminal_server.detected"),
			"level")),
		4);
	harness_release(&run);
	config_release(&c);
	unlink(utmp);
	free(utmp);
	free(root);
}

static void test_run_quiet(void **state)
{
	char *root = harness_data_path("terminal_server/quiet");
	struct harness_run run;
	struct config c;

	(void)state;
	config_init(&c);
	/* nothing listens on port 1 of loopback */
	config_add(&c, "terminal_server", "rdp_host", "127.0.0.1:1", "test");
	config_add(&c, "terminal_server", "rdp_host", "bad host:x", "test");
	config_add(&c, "terminal_server", "sesman_ini", "/nonexistent/s.ini",
		   "test");
	config_add(&c, "terminal_server", "cert_warn_days", "-1", "test");
	harness_run(&collector_terminal_server, root, &c, &run);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "terminal_server.not_detected");
	assert_null(harness_finding(&run, "terminal_server.detected"));
	assert_null(harness_finding(&run, "terminal_server.limits.ok"));
	assert_finding(&run, "terminal_server.rdp.unreachable");
	assert_finding(&run, "terminal_server.config.invalid");
	assert_finding(&run, "terminal_server.config.path_missing");
	json_t *f =
		harness_finding(&run, "terminal_server.config.path_missing");
	assert_int_equal(json_integer_value(json_object_get(f, "level")), 0);
	f = harness_finding(&run, "terminal_server.rdp.unreachable");
	assert_int_equal(json_integer_value(json_object_get(f, "level")), 4);
	harness_release(&run);
	config_release(&c);
	free(root);
}

static void test_judge_service(void **state)
{
	struct terminal_server_service svc = {
		.expected = true,
		.why = "xrdp is installed and enabled at boot (S01xrdp)",
		.target = "127.0.0.1:3389",
		.connect_rc = -ECONNREFUSED,
	};
	struct terminal_server_presence p = { 0 };
	const struct verdict_item *v;
	struct verdict_list l;

	(void)state;
	verdict_list_init(&l);
	assert_true(terminal_server_judge_service(&svc, &l));
	v = verdict_find(&l, "terminal_server.rdp.service_down");
	assert_non_null(v);
	assert_int_equal(v->severity, SEVERITY_FAIL);
	assert_int_equal(v->level, LEVEL_THIRD_PARTY);
	assert_string_equal(v->title, "The RDP service is down");
	assert_non_null(strstr(v->detail, "enabled at boot (S01xrdp)"));
	assert_non_null(strstr(v->detail, "127.0.0.1:3389: nothing listens"));
	assert_non_null(strstr(v->detail, "no xrdp process runs"));
	assert_non_null(strstr(v->hint, "systemctl start xrdp"));
	/* Then presence adds no "not a terminal server"... */
	p.rdp_service_down = true;
	assert_false(terminal_server_judge_presence(&p, &l));
	assert_int_equal(l.n, 1);
	/* ...but still says so when sessions make it one. */
	p.remote_sessions = 1;
	assert_true(terminal_server_judge_presence(&p, &l));
	assert_non_null(verdict_find(&l, "terminal_server.detected"));
	verdict_list_release(&l);

	/* A timeout is down too; an answer that is not RDP is not. */
	svc.connect_rc = -ETIMEDOUT;
	svc.process_running = true;
	assert_true(terminal_server_judge_service(&svc, &l));
	assert_non_null(strstr(l.v[0].detail, "an xrdp process runs"));
	verdict_list_release(&l);
	svc.connect_rc = 0;
	assert_false(terminal_server_judge_service(&svc, &l));
	svc.connect_rc = -EBADMSG;
	assert_false(terminal_server_judge_service(&svc, &l));
	/* Not configured, not enabled: nothing is expected. */
	svc.expected = false;
	svc.connect_rc = -ECONNREFUSED;
	assert_false(terminal_server_judge_service(&svc, &l));
	assert_int_equal(l.n, 0);
}

/* A root with an xrdp.ini listening where nothing does, boot link or not. */
static void run_enabled(const char *link, struct harness_run *run, char *tmpl)
{
	char *quiet = harness_data_path("terminal_server/quiet/proc");
	char *p;
	struct config c;
	FILE *f;

	assert_non_null(mkdtemp(tmpl));
	p = xasprintf("%s/proc", tmpl);
	assert_int_equal(symlink(quiet, p), 0);
	free(p);
	p = xasprintf("mkdir -p %s/etc/xrdp %s/etc/rc2.d "
		      "%s/etc/systemd/system/multi-user.target.wants",
		      tmpl, tmpl, tmpl);
	assert_int_equal(system(p), 0);
	free(p);
	p = xasprintf("%s/etc/xrdp/xrdp.ini", tmpl);
	f = fopen(p, "w");
	assert_non_null(f);
	/* nothing listens on port 1 of loopback */
	fputs("[Globals]\nport=tcp://.:1\nsecurity_layer=tls\n", f);
	fclose(f);
	free(p);
	if (link) {
		p = xasprintf("%s/%s", tmpl, link);
		assert_int_equal(symlink("/lib/systemd/system/xrdp.service", p),
				 0);
		free(p);
	}
	config_init(&c);
	config_add(&c, "terminal_server", "sesman_ini", "/nonexistent/s.ini",
		   "test");
	harness_run(&collector_terminal_server, tmpl, &c, run);
	config_release(&c);
	p = xasprintf("rm -rf %s", tmpl);
	assert_int_equal(system(p), 0);
	free(p);
	free(quiet);
}

static void test_run_enabled_down(void **state)
{
	static const char *const links[] = {
		"etc/systemd/system/multi-user.target.wants/xrdp.service",
		"etc/rc2.d/S01xrdp",
	};
	struct harness_run run;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		char tmpl[] = "/tmp/rdiag-ts-XXXXXX";

		run_enabled(links[i], &run, tmpl);
		assert_finding(&run, "terminal_server.rdp.service_down");
		assert_non_null(strstr(
			finding_text(&run, "terminal_server.rdp.service_down",
				     "detail"),
			"installed and enabled at boot"));
		assert_null(
			harness_finding(&run, "terminal_server.not_detected"));
		harness_release(&run);
	}
	{
		char tmpl[] = "/tmp/rdiag-ts-XXXXXX";

		/* Installed, not enabled, not running: not a terminal server.
		 */
		run_enabled(NULL, &run, tmpl);
		assert_null(harness_finding(
			&run, "terminal_server.rdp.service_down"));
		assert_finding(&run, "terminal_server.not_detected");
		harness_release(&run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sesman),
		cmocka_unit_test(test_xrdp_ini),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_proc_files),
		cmocka_unit_test(test_judge_limits),
		cmocka_unit_test(test_judge_host),
		cmocka_unit_test(test_judge_session_env),
		cmocka_unit_test(test_sessions_build),
		cmocka_unit_test(test_run_busy),
		cmocka_unit_test(test_run_quiet),
		cmocka_unit_test(test_judge_service),
		cmocka_unit_test(test_run_enabled_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
