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

/* What the sub-worker is given. */
struct bounded_job {
	bounded_fn fn;
	void *arg;
	size_t out_max;
};

static int run_child(void *arg, int fd)
{
	const struct bounded_job *job = arg;
	size_t out_max = job->out_max;
	void *out = xcalloc(1, out_max ? out_max : 1);
	int32_t res;
	int r;

	r = job->fn(job->arg, out, out_max);
	res = r;
	if (write_all(fd, &res, sizeof(res)) == 0 && r > 0)
		write_all(fd, out, (size_t)r > out_max ? out_max : (size_t)r);
	return 0;
}

int bounded_call(unsigned timeout_ms, bounded_fn fn, void *arg, void *out,
		 size_t out_max, struct bounded_result *ret)
{
	struct bounded_result res = { .status = BOUNDED_CRASHED };
	int64_t start = now_ms(), deadline = start + timeout_ms;
	unsigned char hdr[4];
	size_t got = 0, hdr_got = 0;
	struct bounded_job job = { fn, arg, out_max };
	int fd, status = 0;
	bool eof = false;
	pid_t pid;
	int r;

	/* In the caller's group: killing a worker's group takes it too. */
	if ((r = proc_spawn_pipe(0, run_child, &job, &pid, &fd)) < 0)
		return r;
	res.pid = pid;
	while (!eof) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (hdr_got < sizeof(hdr))
			n = read(fd, hdr + hdr_got, sizeof(hdr) - hdr_got);
		else if (got < out_max)
			n = read(fd, (char *)out + got, out_max - got);
		else {
			char sink[256];

			n = read(fd, sink, sizeof(sink));
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
	close(fd);
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
