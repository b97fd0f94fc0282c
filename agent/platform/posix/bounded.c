/*
 * Bounded calls: run one hang-prone function in a forked sub-worker and give
 * up on it at a deadline. The answer comes back over a pipe as a 4-byte
 * result followed by the output bytes; a sub-worker that does not answer in
 * time is killed, and one that cannot be killed is left behind, described.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/proc.h"
#include "rdiag/collector.h"

static RDIAG_NORETURN void run_child(int fd, bounded_fn fn, void *arg,
				     size_t out_max)
{
	void *out = xcalloc(1, out_max ? out_max : 1);
	int32_t res;
	int r;

	proc_child_reset_signals();
	r = fn(arg, out, out_max);
	res = r;
	if (write_all(fd, &res, sizeof(res)) == 0 && r > 0)
		write_all(fd, out, (size_t)r > out_max ? out_max : (size_t)r);
	_exit(0);
}

int bounded_call(unsigned timeout_ms, bounded_fn fn, void *arg, void *out,
		 size_t out_max, struct bounded_result *ret)
{
	struct bounded_result res = { .status = BOUNDED_CRASHED };
	int64_t start = now_ms(), deadline = start + timeout_ms;
	unsigned char hdr[4];
	size_t got = 0, hdr_got = 0;
	int pfd[2], status = 0;
	bool eof = false;
	pid_t pid;

	int r;

	if ((r = pipe_cloexec(pfd)) < 0)
		return r;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		close(pfd[0]);
		run_child(pfd[1], fn, arg, out_max);
	}
	close(pfd[1]);
	res.pid = pid;
	while (!eof) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (hdr_got < sizeof(hdr))
			n = read(pfd[0], hdr + hdr_got, sizeof(hdr) - hdr_got);
		else if (got < out_max)
			n = read(pfd[0], (char *)out + got, out_max - got);
		else {
			char sink[256];

			n = read(pfd[0], sink, sizeof(sink));
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			break;
		}
		if (hdr_got < sizeof(hdr))
			hdr_got += (size_t)n;
		else if (got < out_max)
			got += (size_t)n;
	}
	close(pfd[0]);
	if (eof && hdr_got == sizeof(hdr)) {
		int32_t fn_result;

		memcpy(&fn_result, hdr, sizeof(fn_result));
		res.status = BOUNDED_DONE;
		res.result = fn_result;
		res.out_len = got;
		/* It has answered; it exits at once. */
		proc_kill_and_reap(pid, PROC_REAP_GRACE_MS, &status, NULL, 0);
	} else if (eof) {
		res.status = BOUNDED_CRASHED;
		proc_kill_and_reap(pid, PROC_REAP_GRACE_MS, &status, NULL, 0);
	} else if (proc_kill_and_reap(pid, PROC_REAP_GRACE_MS, &status,
				      res.wchan, sizeof(res.wchan)) < 0) {
		res.status = BOUNDED_STUCK;
	} else {
		res.status = BOUNDED_TIMEOUT;
	}
	res.elapsed_ms = now_ms() - start;
	*ret = res;
	return 0;
}
