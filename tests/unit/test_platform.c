/*
 * Unit tests for the platform contract (agent/platform/platform.h) as the
 * POSIX implementation keeps it, and for the registry's platform marks.
 */
#define _DEFAULT_SOURCE /* syscall() */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/platform.h"
#include "registry.h"

static char *tmpdir(void)
{
	char *d = strdup("/tmp/rdiag-platform-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* A link planted at the name is neither followed nor replaced. */
static void test_create_new_refuses_link(void **state)
{
	char *d = tmpdir(), victim[256], path[256], buf[16] = "";
	struct stat st;
	int fd = -1, vfd;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", d);
	snprintf(path, sizeof(path), "%s/out.html", d);
	vfd = open(victim, O_WRONLY | O_CREAT, 0644);
	assert_true(vfd >= 0);
	assert_int_equal(write(vfd, "keep", 4), 4);
	close(vfd);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(platform_create_new(path, 0600, &fd), -EEXIST);
	assert_int_equal(fd, -1);
	vfd = open(victim, O_RDONLY);
	assert_int_equal(read(vfd, buf, sizeof(buf) - 1), 4);
	close(vfd);
	assert_string_equal(buf, "keep");
	/* A dangling link must not create its target either. */
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(platform_create_new(path, 0600, &fd), -EEXIST);
	assert_int_equal(lstat(victim, &st), -1);
	assert_int_equal(unlink(path), 0);
	/* A free name: a new 0600 file whatever the umask. */
	umask(0);
	assert_int_equal(platform_create_new(path, 0600, &fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
	umask(022);
	unlink(path);
	rmdir(d);
	free(d);
}

static void test_file_private(void **state)
{
	char *d = tmpdir(), path[256], why[64] = "";
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/rdiag.conf", d);
	assert_int_equal(platform_create_new(path, 0600, &fd), 0);
	assert_int_equal(platform_file_private(fd, true, why, sizeof(why)), 0);
	if (!platform_is_root()) {
		assert_int_equal(
			platform_file_private(fd, false, why, sizeof(why)),
			-EPERM);
		assert_non_null(strstr(why, "owned by uid"));
	}
	assert_int_equal(fchmod(fd, 0602), 0);
	assert_int_equal(platform_file_private(fd, true, why, sizeof(why)),
			 -EPERM);
	assert_string_equal(why, "writable by others");
	assert_int_equal(fchmod(fd, 0620), 0);
	assert_int_equal(platform_file_private(fd, true, why, sizeof(why)),
			 -EPERM);
	assert_string_equal(why, "writable by its group");
	close(fd);
	unlink(path);
	rmdir(d);
	free(d);
}

static void test_host_and_time(void **state)
{
	char host[256], tiny[2];
	struct platform_fs_info fi;
	int64_t a, b;

	(void)state;
	assert_int_equal(platform_hostname(host, sizeof(host)), 0);
	assert_true(host[0] != '\0');
	assert_int_equal(platform_hostname(tiny, 0), -EINVAL);
	assert_int_equal(platform_hostname(tiny, sizeof(tiny)), 0);
	assert_true(strlen(tiny) <= 1);
	a = platform_monotonic_ms();
	b = platform_monotonic_ms();
	assert_true(b >= a);
	assert_true(platform_utc_seconds() > 1700000000);
	assert_int_equal(platform_fs_info("/", &fi), 0);
	assert_true(fi.size_bytes > 0);
	assert_true(fi.avail_bytes <= fi.free_bytes);
	assert_int_equal(platform_fs_info("/nonexistent/x", &fi), -ENOENT);
}

/* Terminal calls on something that is not a terminal say so. */
static void test_not_a_terminal(void **state)
{
	struct platform_term *saved = NULL;
	unsigned cols, rows;
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	assert_true(fd >= 0);
	assert_false(platform_isatty(fd));
	assert_int_equal(platform_term_size(fd, &cols, &rows), -ENOTTY);
	assert_int_equal(platform_term_raw(fd, &saved), -ENOTTY);
	assert_null(saved);
	assert_int_equal(platform_term_restore(NULL), 0);
	close(fd);
}

static int exit_with(void *arg)
{
	int code = *(int *)arg;

	if (code < 0)
		raise(SIGKILL);
	return code;
}

/* A child inherits nice and the idle I/O class (see lowered()). */
static int is_nice(void *arg)
{
	int nicer = *(int *)arg;
	long io = syscall(SYS_ioprio_get, 1, 0);

	return getpriority(PRIO_PROCESS, 0) == (nicer ? 15 : 10) && io >= 0 &&
			       (io >> 13) == 3
		       ? 0
		       : 6;
}

/* A spawned function's return value is the child's status; a signal is
 * 128 + its number, as agentd records it. */
static void test_spawn_fn(void **state)
{
	int seven = 7, killed = -1, rc = -1;
	pid_t pid;

	(void)state;
	assert_int_equal(proc_spawn_fn(exit_with, &seven, &pid), 0);
	assert_int_equal(proc_wait(pid, &rc), 0);
	assert_int_equal(rc, 7);
	assert_int_equal(proc_spawn_fn(exit_with, &killed, &pid), 0);
	assert_int_equal(proc_wait(pid, &rc), 0);
	assert_int_equal(rc, 128 + SIGKILL);
	assert_int_equal(proc_wait(pid, &rc), -ECHILD);
}

/*
 * In a child (so this process keeps its priority): nice 10 and the idle
 * I/O class after platform_lower_priority(), inherited by a grandchild;
 * a process already nicer than 10 stays as nice. Exit code 0 when all
 * held, else the number of the check that failed.
 */
static int lowered(void *arg)
{
	int nicer = *(int *)arg, rc = -1;
	long io;
	pid_t pid;

	if (nicer && setpriority(PRIO_PROCESS, 0, 15) < 0)
		return 1;
	if (platform_lower_priority() != 0)
		return 2;
	if (getpriority(PRIO_PROCESS, 0) != (nicer ? 15 : 10))
		return 3;
	/* ioprio_get: class in the top bits, IOPRIO_CLASS_IDLE is 3 */
	io = syscall(SYS_ioprio_get, 1, 0);
	if (io < 0 || (io >> 13) != 3)
		return 4;
	if (proc_spawn_fn(is_nice, &nicer, &pid) < 0 ||
	    proc_wait(pid, &rc) < 0 || rc != 0)
		return 5;
	return 0;
}

static void test_lower_priority(void **state)
{
	int nicer = 0, rc = -1;
	pid_t pid;

	(void)state;
	for (nicer = 0; nicer <= 1; nicer++) {
		assert_int_equal(proc_spawn_fn(lowered, &nicer, &pid), 0);
		assert_int_equal(proc_wait(pid, &rc), 0);
		assert_int_equal(rc, 0);
	}
	/* this process was left alone */
	assert_int_equal(getpriority(PRIO_PROCESS, 0), 0);
}

static volatile sig_atomic_t sleep_stop;

static void on_stop(int sig)
{
	(void)sig;
	sleep_stop = 1;
}

/*
 * A stop signal that arrives just before the sleep (here: pending while
 * blocked) still ends it at once: exit 0 when it did within 2 s.
 */
static int stop_ends_sleep(void *arg)
{
	sigset_t term;
	int64_t t0;

	(void)arg;
	proc_catch_stop_signals(on_stop);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	kill(getpid(), SIGTERM);
	t0 = now_ms();
	if (proc_sleep_unless(20000, &sleep_stop) != 1)
		return 1;
	return now_ms() - t0 < 2000 ? 0 : 2;
}

/* One wait, not a polling loop: at most a couple of context switches. */
static void test_sleep_unless(void **state)
{
	struct rusage a, b;
	int64_t t0;
	int rc = -1;
	pid_t pid;

	(void)state;
	sleep_stop = 0;
	getrusage(RUSAGE_SELF, &a);
	t0 = now_ms();
	assert_int_equal(proc_sleep_unless(1200, &sleep_stop), 0);
	assert_true(now_ms() - t0 >= 1200);
	getrusage(RUSAGE_SELF, &b);
	/* a 500 ms tick would make 3 here */
	assert_true(b.ru_nvcsw - a.ru_nvcsw <= 2);
	assert_int_equal(proc_spawn_fn(stop_ends_sleep, NULL, &pid), 0);
	assert_int_equal(proc_wait(pid, &rc), 0);
	assert_int_equal(rc, 0);
}

/* Every collector in this build's table is marked for this platform. */
static void test_registry_platforms(void **state)
{
	struct collector linux_only = { .platforms = RDIAG_LINUX };
	struct collector any = { .platforms = RDIAG_ALL };
	int n = 0;

	(void)state;
	for (const struct collector *const *c = registry_collectors; *c; c++) {
		assert_true(registry_built_for(*c, REGISTRY_PLATFORM));
		n++;
	}
	assert_true(n > 0);
	assert_false(registry_built_for(&linux_only, RDIAG_WINDOWS));
	assert_true(registry_built_for(&any, RDIAG_WINDOWS));
	assert_true(registry_built_for(
		registry_find(registry_collectors, "database"), RDIAG_WINDOWS));
	assert_false(registry_built_for(
		registry_find(registry_collectors, "antivirus"),
		RDIAG_WINDOWS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_new_refuses_link),
		cmocka_unit_test(test_file_private),
		cmocka_unit_test(test_host_and_time),
		cmocka_unit_test(test_not_a_terminal),
		cmocka_unit_test(test_spawn_fn),
		cmocka_unit_test(test_lower_priority),
		cmocka_unit_test(test_sleep_unless),
		cmocka_unit_test(test_registry_platforms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
