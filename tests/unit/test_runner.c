/*
 * Runner tests with hostile test-only collectors: one sleeps forever, one
 * segfaults, one floods its pipe with 10 MB of garbage, one blocks opening a
 * FIFO, one writes an over-long line; they run together and each must end
 * with its own status, keeping the records it sent before it died, within
 * about the longest deadline rather than the sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "core/runner.h"
#include "harness.h"
#include "platform/proc.h"

static char fifo_path[256];

static int run_sleeper(struct collector_ctx *ctx)
{
	ctx_fact(ctx, "before.sleep", "yes");
	for (;;)
		pause();
	return 0;
}

static int run_segv(struct collector_ctx *ctx)
{
	ctx_fact(ctx, "before.crash", "yes");
	raise(SIGSEGV);
	return 0;
}

static int run_flood(struct collector_ctx *ctx)
{
	static char junk[65536];
	int fd = ctx_out_fd(ctx);

	ctx_fact(ctx, "before.flood", "yes");
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 % 251 + 1); /* includes '\n' bytes */
	for (int i = 0; i < 160; i++)              /* 10 MiB */
		if (write_all(fd, junk, sizeof(junk)) < 0)
			break;
	return 0;
}

static int run_fifo(struct collector_ctx *ctx)
{
	int fd;

	ctx_fact(ctx, "before.fifo", "yes");
	fd = open(fifo_path, O_RDONLY); /* no writer: blocks */
	if (fd >= 0)
		close(fd);
	return 0;
}

static int run_longline(struct collector_ctx *ctx)
{
	size_t n = RECORD_MAX_LINE * 2;
	char *p = xmalloc(n + 1);

	memset(p, 'x', n);
	p[n] = '\n';
	write_all(ctx_out_fd(ctx), p, n + 1);
	free(p);
	ctx_fact(ctx, "after.longline", "kept");
	return 0;
}

static int run_good(struct collector_ctx *ctx)
{
	struct finding f = {
		.id = "test.good.ok",
		.severity = SEVERITY_OK,
		.level = LEVEL_SELF,
		.title = "all fine",
	};

	ctx_fact(ctx, "remaining.positive",
		 ctx_remaining_ms(ctx) > 0 ? "yes" : "no");
	ctx_finding(ctx, &f);
	return ctx_artifact_write(ctx, "sub/dir/evidence.txt", "hello\n", 6);
}

static int run_partial(struct collector_ctx *ctx)
{
	ctx_fact(ctx, "partial.fact", "yes");
	return -EIO;
}

static int run_skip(struct collector_ctx *ctx)
{
	return ctx_skip(ctx, "nothing configured");
}

#define TEST_COLLECTOR(n, fn, ms)                                       \
	static const struct collector c_##n = {                         \
		.name = #n, .summary = #n, .deadline_ms = ms, .run = fn \
	}

TEST_COLLECTOR(sleeper, run_sleeper, 1500);
TEST_COLLECTOR(segv, run_segv, 3000);
TEST_COLLECTOR(flood, run_flood, 3000);
TEST_COLLECTOR(fifo, run_fifo, 1500);
TEST_COLLECTOR(longline, run_longline, 3000);
TEST_COLLECTOR(good, run_good, 3000);
TEST_COLLECTOR(partial, run_partial, 3000);
TEST_COLLECTOR(skip, run_skip, 3000);

/* Touch memory until the kernel's OOM killer ends it (up to 2 GiB). */
static int run_hog(struct collector_ctx *ctx)
{
	ctx_fact(ctx, "before.hog", "yes");
	for (int i = 0; i < 128; i++) {
		char *p = malloc(16 << 20);

		if (!p)
			break;
		memset(p, i + 1, 16 << 20);
	}
	return 0;
}
TEST_COLLECTOR(hog, run_hog, 20000);

static bool has_fact(const struct collector_result *r, const char *key)
{
	size_t i;
	json_t *rec;

	json_array_foreach(r->records, i, rec)
	{
		const char *k = json_string_value(json_object_get(rec, "key"));

		if (k && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

static char *make_staging(void)
{
	char *dir = xstrdup("/tmp/rdiag-runner-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_hostile_collectors(void **state)
{
	const struct collector *sel[] = { &c_sleeper, &c_segv,     &c_flood,
					  &c_fifo,    &c_longline, &c_good,
					  &c_partial, &c_skip,     NULL };
	struct collector_result *res;
	char *staging = make_staging();
	struct runner_opts o = {
		.selected = sel,
		.staging_root = staging,
		.run_deadline_ms = now_ms() + 60000,
	};
	int64_t start, wall;
	size_t n;

	(void)state;
	snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", staging);
	assert_int_equal(mkfifo(fifo_path, 0600), 0);
	start = now_ms();
	assert_int_equal(runner_run(&o, &res, &n), 0);
	wall = now_ms() - start;
	assert_int_equal(n, 8);

	assert_string_equal(collector_status_name(res[0].status), "timeout");
	assert_true(has_fact(&res[0], "before.sleep"));
	assert_non_null(strstr(res[0].reason, "deadline"));

	assert_string_equal(collector_status_name(res[1].status), "crashed");
	assert_true(has_fact(&res[1], "before.crash"));
	assert_non_null(strstr(res[1].reason, "signal 11"));

	assert_string_equal(collector_status_name(res[2].status), "ok");
	assert_true(has_fact(&res[2], "before.flood"));
	assert_true(res[2].rejected > 0);
	assert_true(json_array_size(res[2].records) < 10);

	assert_string_equal(collector_status_name(res[3].status), "timeout");
	assert_true(has_fact(&res[3], "before.fifo"));

	assert_string_equal(collector_status_name(res[4].status), "ok");
	assert_true(has_fact(&res[4], "after.longline"));
	assert_int_equal(res[4].rejected, 1);

	assert_string_equal(collector_status_name(res[5].status), "ok");
	assert_true(has_fact(&res[5], "remaining.positive"));
	assert_int_equal(json_array_size(res[5].records), 3);
	{
		char *p = xasprintf("%s/sub/dir/evidence.txt", res[5].staging);
		struct stat sb;

		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		free(p);
	}

	assert_string_equal(collector_status_name(res[6].status), "partial");
	assert_true(has_fact(&res[6], "partial.fact"));

	assert_string_equal(collector_status_name(res[7].status), "skipped");
	assert_string_equal(res[7].reason, "nothing configured");

	/* Parallel: near the longest deadline (3 s), far from the sum. */
	fprintf(stderr, "hostile run took %lld ms\n", (long long)wall);
	assert_true(wall >= 1500);
	assert_true(wall < 4500);

	runner_results_free(res, n);
	rm_rf(staging);
	free(staging);
}

static void test_jobs_and_run_deadline(void **state)
{
	const struct collector *sel[] = { &c_sleeper, &c_sleeper, &c_good,
					  NULL };
	struct collector_result *res;
	char *staging = make_staging();
	struct runner_opts o = {
		.selected = sel,
		.staging_root = staging,
		.jobs = 1,
		.run_deadline_ms = now_ms() + 1000,
	};
	size_t n;

	(void)state;
	assert_int_equal(runner_run(&o, &res, &n), 0);
	/* The first sleeper eats the whole-run deadline; jobs=1 queues. */
	assert_string_equal(collector_status_name(res[0].status), "timeout");
	assert_string_equal(collector_status_name(res[1].status), "skipped");
	assert_string_equal(collector_status_name(res[2].status), "skipped");
	assert_non_null(strstr(res[2].reason, "whole-run deadline"));
	runner_results_free(res, n);
	rm_rf(staging);
	free(staging);
}

/*
 * A child memory cgroup this test process moves into: v2 below the root
 * when memory is delegated there, else v1 below its own memory cgroup.
 * Returns its path (and the cgroup to go back to), or NULL.
 */
static char *oom_cgroup(char **ret_home, bool *ret_v2)
{
	char line[512], *own = NULL, *cg = NULL, *home = NULL;
	FILE *f = fopen("/proc/self/cgroup", "r");
	struct stat st;

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) == 0 && !own &&
		    stat("/sys/fs/cgroup/cgroup.subtree_control", &st) == 0) {
			*ret_v2 = true;
			home = xasprintf("/sys/fs/cgroup%s", line + 3);
			cg = xasprintf("/sys/fs/cgroup/rdiag-test-oom-%d",
				       (int)getpid());
		} else if (strstr(line, ":memory:")) {
			*ret_v2 = false;
			own = xstrdup(strstr(line, ":memory:") + 8);
			free(home);
			free(cg);
			home = xasprintf("/sys/fs/cgroup/memory%s", own);
			cg = xasprintf("%s/rdiag-test-oom-%d", home,
				       (int)getpid());
		}
	}
	if (f)
		fclose(f);
	free(own);
	if (!cg || mkdir(cg, 0755) < 0) {
		free(cg);
		free(home);
		return NULL;
	}
	*ret_home = home;
	return cg;
}

static bool cg_write(const char *dir, const char *file, const char *value)
{
	char *path = xasprintf("%s/%s", dir, file);
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 &&
		  write(fd, value, strlen(value)) == (ssize_t)strlen(value);

	if (fd >= 0)
		close(fd);
	free(path);
	return ok;
}

/* A worker the OOM killer takes is reported as such, not as signal 9. */
static void test_oom_killed_worker(void **state)
{
	const struct collector *sel[] = { &c_hog, &c_good, NULL };
	struct collector_result *res;
	char *home = NULL, *cg, *staging, pid[32];
	bool v2 = false, in;
	size_t n;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* ASan's allocator and shadow need more than the limit */
#endif
	if (!(cg = oom_cgroup(&home, &v2)))
		skip(); /* no writable memory cgroup here */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (v2)
		in = cg_write(cg, "memory.max", "64M") &&
		     (cg_write(cg, "memory.swap.max", "0"), true);
	else
		in = (cg_write(cg, "memory.memsw.limit_in_bytes", "64M"),
		      cg_write(cg, "memory.limit_in_bytes", "64M"));
	in = in && cg_write(cg, "cgroup.procs", pid);
	if (in) {
		staging = make_staging();
		struct runner_opts o = {
			.selected = sel,
			.staging_root = staging,
			.run_deadline_ms = now_ms() + 20000,
		};

		assert_int_equal(runner_run(&o, &res, &n), 0);
		assert_true(cg_write(home, "cgroup.procs", pid));
		assert_string_equal(collector_status_name(res[0].status),
				    "crashed");
		assert_true(res[0].oom_killed);
		assert_non_null(strstr(res[0].reason, "out of memory"));
		assert_true(has_fact(&res[0], "before.hog"));
		assert_false(res[1].oom_killed);
		runner_results_free(res, n);
		rm_rf(staging);
		free(staging);
	}
	for (int i = 0; i < 50 && rmdir(cg) < 0; i++)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	free(cg);
	free(home);
	if (!in)
		skip();
}

static int fifo_open(void *arg, void *out, size_t out_max)
{
	int fd = open(arg, O_RDONLY);

	(void)out;
	(void)out_max;
	if (fd >= 0)
		close(fd);
	return 0;
}

static int echo_fn(void *arg, void *out, size_t out_max)
{
	size_t n = strlen(arg);

	if (n > out_max)
		n = out_max;
	memcpy(out, arg, n);
	return (int)n;
}

static int crash_fn(void *arg, void *out, size_t out_max)
{
	(void)arg;
	(void)out;
	(void)out_max;
	abort();
}

static void test_bounded_call(void **state)
{
	struct bounded_result br;
	char out[16], hello[] = "hello";
	char *dir = make_staging();
	char *fifo = xasprintf("%s/f", dir);

	(void)state;
	assert_int_equal(
		bounded_call(2000, echo_fn, hello, out, sizeof(out), &br), 0);
	assert_int_equal(br.status, BOUNDED_DONE);
	assert_int_equal(br.result, 5);
	assert_int_equal(br.out_len, 5);
	assert_memory_equal(out, "hello", 5);

	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(
		bounded_call(300, fifo_open, fifo, out, sizeof(out), &br), 0);
	assert_int_equal(br.status, BOUNDED_TIMEOUT);
	assert_true(br.elapsed_ms >= 300 && br.elapsed_ms < 2000);

	assert_int_equal(
		bounded_call(2000, crash_fn, NULL, out, sizeof(out), &br), 0);
	assert_int_equal(br.status, BOUNDED_CRASHED);
	rm_rf(dir);
	free(fifo);
	free(dir);
}

/* A collector whose sub-worker hangs must still end by its own deadline. */
static int run_subworker_hang(struct collector_ctx *ctx)
{
	struct bounded_result br;
	char out[4];

	ctx_bounded(ctx, 60000, fifo_open, fifo_path, out, sizeof(out), &br);
	ctx_fact(ctx, "bounded.status", "%d", (int)br.status);
	return 0;
}

TEST_COLLECTOR(subhang, run_subworker_hang, 1200);

static void test_ctx_bounded_capped_by_deadline(void **state)
{
	const struct collector *sel[] = { &c_subhang, NULL };
	struct collector_result *res;
	char *staging = make_staging();
	struct runner_opts o = {
		.selected = sel,
		.staging_root = staging,
		.run_deadline_ms = now_ms() + 30000,
	};
	size_t n;

	(void)state;
	snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", staging);
	assert_int_equal(mkfifo(fifo_path, 0600), 0);
	assert_int_equal(runner_run(&o, &res, &n), 0);
	/* The sub-worker was capped by the ctx deadline, so the collector
	 * itself reported the timeout and ended ok. */
	assert_string_equal(collector_status_name(res[0].status), "ok");
	assert_true(has_fact(&res[0], "bounded.status"));
	assert_true(res[0].duration_ms < 1200);
	runner_results_free(res, n);
	rm_rf(staging);
	free(staging);
}

static char dstate_path[512];

static int run_dstate(struct collector_ctx *ctx)
{
	struct stat sb;

	ctx_fact(ctx, "before.dstate", "yes");
	stat(dstate_path, &sb); /* never answered: D state */
	return 0;
}

TEST_COLLECTOR(dstate, run_dstate, 1000);

/*
 * A worker stuck in uninterruptible sleep on a hung FUSE mount (the hung NAS
 * case) is abandoned with its pid and wait channel, and the run still ends
 * in about deadline + reap grace. Needs root and /dev/fuse.
 */
static void test_abandon_dstate(void **state)
{
	const struct collector *sel[] = { &c_dstate, &c_good, NULL };
	struct collector_result *res;
	char *staging = make_staging(), *mnt, *helper, *cmd;
	char line[64] = "";
	struct runner_opts o = {
		.selected = sel,
		.staging_root = staging,
		.run_deadline_ms = now_ms() + 30000,
	};
	int64_t start, wall;
	FILE *daemon;
	int daemon_pid;
	size_t n;

	(void)state;
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "needs root and /dev/fuse\n");
		skip();
	}
	mnt = xasprintf("%s/mnt", staging);
	assert_int_equal(mkdir(mnt, 0700), 0);
	helper = harness_data_path("../helpers/fuse_hang.py");
	cmd = xasprintf("exec /usr/bin/python3 '%s' '%s'", helper, mnt);
	daemon = popen(cmd, "r");
	assert_non_null(daemon);
	assert_non_null(fgets(line, sizeof(line), daemon));
	assert_int_equal(sscanf(line, "ready %d", &daemon_pid), 1);
	snprintf(dstate_path, sizeof(dstate_path), "%s/x", mnt);

	start = now_ms();
	assert_int_equal(runner_run(&o, &res, &n), 0);
	wall = now_ms() - start;

	assert_string_equal(collector_status_name(res[0].status), "timeout");
	assert_true(res[0].stuck_pid > 0);
	assert_true(has_fact(&res[0], "before.dstate"));
	assert_non_null(strstr(res[0].reason, "abandoned"));
	assert_non_null(strstr(res[0].reason, "state D"));
	assert_string_equal(collector_status_name(res[1].status), "ok");
	fprintf(stderr, "abandoned pid %d: %s (run took %lld ms)\n",
		(int)res[0].stuck_pid, res[0].reason, (long long)wall);
	assert_true(wall < 1000 + PROC_REAP_GRACE_MS + 1000);

	/* The daemon's death aborts the connection and frees the worker. */
	kill(daemon_pid, SIGKILL);
	pclose(daemon);
	free(cmd);
	cmd = xasprintf("umount -l '%s'", mnt);
	assert_int_equal(system(cmd), 0);
	runner_results_free(res, n);
	rm_rf(staging);
	free(staging);
	free(mnt);
	free(helper);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_collectors),
		cmocka_unit_test(test_jobs_and_run_deadline),
		cmocka_unit_test(test_bounded_call),
		cmocka_unit_test(test_ctx_bounded_capped_by_deadline),
		cmocka_unit_test(test_abandon_dstate),
		cmocka_unit_test(test_oom_killed_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
