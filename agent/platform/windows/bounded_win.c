/*
 * bounded_call() on Windows, for now on a thread: fn runs on a thread of its
 * own and writes into a buffer of its own; at the deadline the thread is
 * abandoned (BOUNDED_STUCK: a thread cannot be killed safely, and
 * CancelSynchronousIo does not free one stuck in the kernel). The
 * process-based form (rdiag.exe re-executed for a named operation inside a
 * job object) is what docs/windows.md lists as the next step.
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/proc.h"
#include "rdiag/collector.h"

struct bounded_job {
	bounded_fn fn;
	void *arg;
	void *out;
	size_t out_max;
	int result;
};

static DWORD WINAPI bounded_main(void *p)
{
	struct bounded_job *job = p;

	job->result = job->fn(job->arg, job->out, job->out_max);
	return 0;
}

int bounded_call(unsigned timeout_ms, bounded_fn fn, void *arg, void *out,
		 size_t out_max, struct bounded_result *ret)
{
	struct bounded_result res = { .status = BOUNDED_CRASHED };
	int64_t start = now_ms();
	struct bounded_job *job = xcalloc(1, sizeof(*job));
	DWORD id;
	HANDLE t;

	job->fn = fn;
	job->arg = arg;
	job->out_max = out_max;
	job->out = xcalloc(1, out_max ? out_max : 1);
	t = CreateThread(NULL, 0, bounded_main, job, 0, &id);
	if (!t) {
		int r = win_last_errno();

		free(job->out);
		free(job);
		return r;
	}
	res.pid = (pid_t)id;
	if (WaitForSingleObject(t, timeout_ms) == WAIT_OBJECT_0) {
		int r = job->result;

		res.status = BOUNDED_DONE;
		res.result = r;
		if (r > 0) {
			res.out_len = (size_t)r > out_max ? out_max : (size_t)r;
			memcpy(out, job->out, res.out_len);
		}
		free(job->out);
		free(job);
	} else {
		/* The job stays allocated: the thread still owns it. */
		res.status = BOUNDED_STUCK;
		snprintf(res.wchan, sizeof(res.wchan), "? (state ?)");
	}
	CloseHandle(t);
	res.elapsed_ms = now_ms() - start;
	*ret = res;
	return 0;
}
