/*
 * Killing and reaping children without ever waiting on one that cannot die.
 * A child blocked in uninterruptible sleep (a hung NFS or FUSE mount) ignores
 * SIGKILL until the kernel lets go; rdiag records it and moves on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/proc.h"
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
