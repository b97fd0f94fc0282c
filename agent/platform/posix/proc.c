/*
 * Killing and reaping children without ever waiting on one that cannot die.
 * A child blocked in uninterruptible sleep (a hung NFS or FUSE mount) ignores
 * SIGKILL until the kernel lets go; rdiag records it and moves on.
 */
#define _DEFAULT_SOURCE /* wait4() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

void proc_describe_stuck(pid_t pid, char *buf, size_t len)
{
	char path[64], wchan[64] = "?", stat[512], state = '?';
	char *rp;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if (read_small(path, wchan, sizeof(wchan)) <= 0 || wchan[0] == '0')
		snprintf(wchan, sizeof(wchan), "?");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	/* The state follows the last ')' of the comm field. */
	if (read_small(path, stat, sizeof(stat)) > 0 &&
	    (rp = strrchr(stat, ')')) && rp[1] == ' ')
		state = rp[2];
	snprintf(buf, len, "%s (state %c)", wchan, state);
}

int proc_kill_and_reap(pid_t pid, int grace_ms, int *ret_status, char *wchan,
		       size_t wchan_len)
{
	int64_t until;
	int status;

	kill(pid, SIGKILL);
	until = now_ms() + grace_ms;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			if (ret_status)
				*ret_status = status;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return 0; /* already reaped elsewhere */
		if (now_ms() >= until)
			break;
		sleep_ms(10);
	}
	if (wchan && wchan_len)
		proc_describe_stuck(pid, wchan, wchan_len);
	return -EBUSY;
}

/* 64 is the highest signal number on Linux; sigaction() rejects the rest. */
void proc_child_reset_signals(void)
{
	sigset_t all;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 65; s++)
		sigaction(s, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

void proc_catch_stop_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int proc_sleep_unless(int64_t ms, const volatile sig_atomic_t *stop)
{
	sigset_t block, old, wait;
	int64_t end = now_ms() + ms;

	/*
	 * The stop signals stay blocked except inside pselect(), which
	 * unblocks them atomically: one arriving after the check below still
	 * ends the wait at once, so one long sleep is safe (no polling).
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	wait = old;
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	sigdelset(&wait, SIGHUP);
	while (!*stop) {
		int64_t left = end - now_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		if (pselect(0, NULL, NULL, NULL, &ts, &wait) < 0 &&
		    errno != EINTR)
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return *stop ? 1 : 0;
}

/* In the child: stdin and stderr on /dev/null, stdout to the pipe, exec. */
static int exec_child(void *arg, int out_fd)
{
	const char *const *argv = arg;
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(null, 2) < 0)
		return 127;
	/* execv's argv is char *const[]; the strings are not changed. */
	execv(argv[0], (char *const *)(uintptr_t)argv);
	return 127;
}

/* Read the child's stdout until EOF or the deadline; 0 or -ETIMEDOUT. */
static int exec_read(int fd, int64_t deadline, struct buf *out, bool *overflow)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd.revents == 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (!*overflow && buf_append(out, chunk, (size_t)n) < 0)
			*overflow = true;
	}
}

int proc_exec(const char *const *argv, unsigned timeout_ms, struct buf *out,
	      struct proc_exec_info *ret_info)
{
	struct proc_exec_info info = { .pid = -1 };
	int64_t deadline = now_ms() + timeout_ms;
	int fd, status = 0, r;
	bool overflow = false;
	pid_t pid;

	/* Its own group, so the deadline kills what it starts as well. */
	if ((r = proc_spawn_pipe(PROC_NEW_GROUP, exec_child,
				 (void *)(uintptr_t)argv, &pid, &fd)) < 0)
		return r;
	info.pid = pid;
	r = exec_read(fd, deadline, out, &overflow);
	close(fd);
	/* It closed its stdout but may linger: wait only until the deadline. */
	while (r == 0) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			info.reaped = true;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (now_ms() >= deadline)
			r = -ETIMEDOUT;
		else
			sleep_ms(10);
	}
	if (!info.reaped) {
		kill(-pid, SIGKILL);
		if (proc_kill_and_reap(pid, PROC_REAP_GRACE_MS, &status,
				       info.wchan, sizeof(info.wchan)) == 0)
			info.reaped = true;
		else
			r = -EBUSY;
	}
	info.truncated = overflow;
	if (ret_info)
		*ret_info = info;
	if (r < 0)
		return r;
	if (overflow)
		return -ENOBUFS;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -ECHILD;
}

int proc_spawn_fn(int (*fn)(void *arg), void *arg, pid_t *ret_pid)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int rc = fn(arg);

		fflush(NULL);
		_exit(rc);
	}
	*ret_pid = pid;
	return 0;
}

int proc_wait(pid_t pid, int *ret_code)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_code = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
	return 0;
}

pid_t proc_reap_nohang(pid_t pid, int *ret_status, long *ret_peak_rss_kb)
{
	struct rusage ru;
	int status;
	pid_t r;

	memset(&ru, 0, sizeof(ru));
	while ((r = wait4(pid, &status, WNOHANG, &ru)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	if (r == pid) {
		*ret_status = status;
		*ret_peak_rss_kb = ru.ru_maxrss; /* KiB on Linux */
	}
	return r;
}

long proc_self_peak_rss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_maxrss;
}

int proc_spawn_pipe(unsigned flags, int (*fn)(void *arg, int fd), void *arg,
		    pid_t *ret_pid, int *ret_fd)
{
	int fds[2], r;
	pid_t pid;

	if ((r = pipe_cloexec(fds)) < 0)
		return r;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		if (flags & PROC_NEW_GROUP)
			setpgid(0, 0);
		proc_child_reset_signals();
		_exit(fn(arg, fds[1]));
	}
	if (flags & PROC_NEW_GROUP)
		setpgid(pid, pid);
	close(fds[1]);
	*ret_pid = pid;
	*ret_fd = fds[0];
	return 0;
}

int proc_spawn_worker(const struct proc_worker_spec *spec,
		      int (*fn)(void *arg, int fd), void *arg, pid_t *ret_pid,
		      int *ret_fd)
{
	int r;

	(void)spec; /* a forked child has it all */
	if ((r = proc_spawn_pipe(PROC_NEW_GROUP, fn, arg, ret_pid, ret_fd)) < 0)
		return r;
	fcntl(*ret_fd, F_SETFL, fcntl(*ret_fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

void proc_kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
}

int proc_status_code(int status, char *why, size_t why_len)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (why && why_len) {
		if (WIFSIGNALED(status))
			snprintf(why, why_len, "killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(why, why_len, "stopped (status %d)", status);
	}
	return -1;
}

int proc_poll_in(const int *fds, size_t n, int timeout_ms)
{
	struct pollfd *p = xcalloc(n + 1, sizeof(*p));
	int r;

	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	r = poll(p, n, timeout_ms);
	if (r < 0)
		r = -errno;
	free(p);
	return r;
}

long proc_read_nb(int fd, void *buf, size_t len)
{
	ssize_t n;

	while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (long)n;
}
