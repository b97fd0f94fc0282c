/*
 * Parallel collector workers under hard deadlines. Each worker is a forked
 * process in its own process group (so sub-workers die with it) writing JSON
 * lines to a non-blocking pipe. The parent's loop polls the pipes with a
 * short tick, validates every line as untrusted input, enforces size and
 * count caps, kills a group at its deadline and abandons a worker the kernel
 * will not let go of (uninterruptible sleep), recording its wait channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/runner.h"
#include "platform/platform.h"
#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/i18n.h"

#define TICK_MS      25
#define READ_CHUNK   65536
#define EXIT_PARTIAL 3
/* The worker's staging file system was full (or over quota). */
#define EXIT_NOSPACE   4
#define EXIT_DQUOT     5
#define CTX_MARGIN_MAX 500

enum worker_state {
	WORKER_PENDING,
	WORKER_RUNNING,
	WORKER_DONE,
};

struct worker {
	struct collector_result *res;
	enum worker_state state;
	pid_t pid;
	int fd;
	int64_t started_ms, deadline_ms;
	struct buf line;
	bool discarding; /* inside an over-long line */
	size_t bytes;
	bool skip_seen;
	char *skip_reason;
};

static const char *const status_names[] = {
	[STATUS_OK] = "ok",           [STATUS_PARTIAL] = "partial",
	[STATUS_TIMEOUT] = "timeout", [STATUS_CRASHED] = "crashed",
	[STATUS_SKIPPED] = "skipped",
};

const char *collector_status_name(enum collector_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "?";
}

int collector_status_from_name(const char *name, enum collector_status *ret)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(status_names); i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*ret = (enum collector_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * A worker must not read the customer's terminal nor write to the verdict's
 * stdout: stdin is /dev/null and whatever a library prints goes to
 * STAGING_ROOT/NAME.stderr, which the agent keeps as evidence.
 */
static void redirect_stdio(const struct worker *w)
{
	char *path = xasprintf("%s.stderr", w->res->staging);
	int in = open("/dev/null", O_RDONLY);
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);

	if (in >= 0) {
		dup2(in, STDIN_FILENO);
		close(in);
	}
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		close(out);
	}
	free(path);
}

/* The collector's own deadline: the worker's, less a margin to report. */
static int64_t worker_deadline(const struct worker *w)
{
	int64_t span = w->deadline_ms - w->started_ms;
	int64_t margin =
		span / 10 < CTX_MARGIN_MAX ? span / 10 : CTX_MARGIN_MAX;

	return w->deadline_ms - margin;
}

int runner_worker_run(const struct ctx_params *p)
{
	struct collector_ctx *ctx = ctx_new(p);
	int r = p->collector->run(ctx);

	switch (ctx_staging_error(ctx)) {
	case -ENOSPC:
		r = EXIT_NOSPACE;
		break;
	case -EDQUOT:
		r = EXIT_DQUOT;
		break;
	default:
		r = r < 0 ? EXIT_PARTIAL : 0;
		break;
	}
	ctx_free(ctx);
	return r;
}

/* What a worker process is given. */
struct worker_job {
	const struct runner_opts *o;
	struct worker *w;
};

static int worker_main(void *arg, int fd)
{
	const struct worker_job *job = arg;
	const struct runner_opts *o = job->o;
	struct worker *w = job->w;
	struct ctx_params p = {
		.collector = w->res->collector,
		.out_fd = fd,
		.staging_dir = w->res->staging,
		.config = o->config,
		.since = o->since,
		.root = o->root,
		.seal_key = o->seal_key,
	};

	redirect_stdio(w);
	/* Out of memory, the kernel kills a worker, not the run. */
	(void)platform_oom_prefer_self();
	p.deadline_ms = worker_deadline(w);
	return runner_worker_run(&p);
}

static int worker_start(const struct runner_opts *o, struct worker *w,
			int64_t now)
{
	const struct collector *c = w->res->collector;
	struct worker_job job = { o, w };
	char *stderr_path = xasprintf("%s.stderr", w->res->staging);
	struct proc_worker_spec spec = {
		.collector = c->name,
		.staging_dir = w->res->staging,
		.stderr_path = stderr_path,
		.config = o->config,
		.since = (int64_t)o->since,
		.root = o->root,
	};
	int fd, r;
	pid_t pid;

	if (mkdir(w->res->staging, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		free(stderr_path);
		return r;
	}
	w->started_ms = now;
	w->deadline_ms = now + c->deadline_ms;
	if (w->deadline_ms > o->run_deadline_ms)
		w->deadline_ms = o->run_deadline_ms;
	w->res->started_ms = w->started_ms;
	w->res->deadline_ms = w->deadline_ms;
	spec.deadline_ms = worker_deadline(w);
	if ((r = proc_spawn_worker(&spec, worker_main, &job, &pid, &fd)) < 0) {
		free(stderr_path);
		return r;
	}
	free(stderr_path);
	w->pid = pid;
	w->fd = fd;
	w->state = WORKER_RUNNING;
	return 0;
}

static void take_line(struct worker *w, const char *line, size_t len)
{
	struct collector_result *res = w->res;
	enum record_kind kind;
	const char *err;
	json_t *obj;

	if (len == 0)
		return;
	if (json_array_size(res->records) >= RECORD_MAX_COUNT ||
	    w->bytes > RECORD_MAX_BYTES) {
		res->truncated = true;
		return;
	}
	w->bytes += len;
	if (record_parse(line, len, &obj, &kind, &err) < 0) {
		res->rejected++;
		return;
	}
	if (kind == RECORD_SKIP) {
		if (!w->skip_seen)
			w->skip_reason = xstrdup(json_string_value(
				json_object_get(obj, "reason")));
		w->skip_seen = true;
	}
	json_object_set_new(obj, "collector",
			    json_string(res->collector->name));
	json_array_append_new(res->records, obj);
}

/* Split what arrived into lines, bounded by RECORD_MAX_LINE. */
static void take_bytes(struct worker *w, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		if (!w->discarding && buf_append(&w->line, p, part) < 0) {
			/* Over-long line: drop it whole, count it once. */
			w->discarding = true;
			w->res->rejected++;
			buf_reset(&w->line);
		}
		if (nl) {
			if (!w->discarding)
				take_line(w, w->line.data, w->line.len);
			w->discarding = false;
			buf_reset(&w->line);
			part++;
		}
		p += part;
		n -= part;
	}
}

/* Read what is available now; returns false at EOF or error. */
static bool worker_read(struct worker *w)
{
	char chunk[READ_CHUNK];

	for (int i = 0; i < 64; i++) {
		long n = proc_read_nb(w->fd, chunk, sizeof(chunk));

		if (n > 0) {
			take_bytes(w, chunk, (size_t)n);
			continue;
		}
		return n == -EAGAIN;
	}
	return true;
}

/*
 * The memory cgroup's OOM kill counter when the run started: a worker
 * SIGKILLed by nobody in rdiag after it went up was the OOM killer's.
 */
struct oom_watch {
	bool known;
	uint64_t base;
};

static bool oom_killed_since(const struct oom_watch *ow, uint64_t *ret_now)
{
	uint64_t now;

	if (!ow->known || platform_oom_kills(&now) < 0 || now <= ow->base)
		return false;
	*ret_now = now;
	return true;
}

/* Died of SIGKILL (the OOM killer's signal), which rdiag did not send. */
static bool killed_by_sigkill(int status)
{
#ifdef WTERMSIG
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
#else
	(void)status;
	return true;
#endif
}

static void describe_exit(struct collector_result *res, int status,
			  const struct oom_watch *ow)
{
	char why[128];
	int code = proc_status_code(status, why, sizeof(why));
	uint64_t kills;

	if (code == 0) {
		res->status = STATUS_OK;
	} else if (code == EXIT_PARTIAL) {
		res->status = STATUS_PARTIAL;
		res->reason = xstrdup(N_("the collector could not finish "
					 "all its checks"));
	} else if (code == EXIT_NOSPACE || code == EXIT_DQUOT) {
		res->status = STATUS_PARTIAL;
		res->staging_err = code == EXIT_NOSPACE ? -ENOSPC : -EDQUOT;
		res->reason = xstrdup(
			code == EXIT_NOSPACE
				? N_("no space left for its copies in "
				     "staging")
				: N_("disk quota exceeded for its copies "
				     "in staging"));
	} else if (code > 0) {
		res->status = STATUS_CRASHED;
		res->reason =
			xasprintf(N_("worker exited with status %d"), code);
	} else if (killed_by_sigkill(status) && oom_killed_since(ow, &kills)) {
		res->status = STATUS_CRASHED;
		res->oom_killed = true;
		res->reason = xasprintf("killed by the kernel: out of memory "
					"(the memory cgroup's oom_kill count "
					"went from %llu to %llu)",
					(unsigned long long)ow->base,
					(unsigned long long)kills);
	} else {
		res->status = STATUS_CRASHED;
		res->reason = xasprintf("worker %s", why);
	}
}

static void worker_finish(struct worker *w, int64_t now)
{
	if (w->fd >= 0) {
		worker_read(w);
		close(w->fd);
		w->fd = -1;
	}
	if (w->line.len && !w->discarding)
		w->res->rejected++; /* unterminated last line */
	buf_release(&w->line);
	w->res->duration_ms = now - w->started_ms;
	if (w->skip_seen && w->res->status == STATUS_OK) {
		w->res->status = STATUS_SKIPPED;
		w->res->reason = w->skip_reason;
		w->skip_reason = NULL;
	}
	free(w->skip_reason);
	w->skip_reason = NULL;
	w->state = WORKER_DONE;
}

static void worker_kill(struct worker *w, bool interrupted, int64_t now)
{
	char wchan[64] = "";
	int status;

	proc_kill_group(w->pid);
	if (proc_kill_and_reap(w->pid, PROC_REAP_GRACE_MS, &status, wchan,
			       sizeof(wchan)) < 0) {
		w->res->stuck_pid = w->pid;
		w->res->reason = xasprintf(
			N_("worker pid %d did not die after SIGKILL (waiting "
			   "in %s); abandoned"),
			(int)w->pid, wchan);
	} else if (interrupted) {
		w->res->reason = xstrdup(N_("interrupted"));
	} else {
		w->res->reason =
			xasprintf(N_("deadline of %lld ms reached; killed"),
				  (long long)(w->deadline_ms - w->started_ms));
	}
	w->res->status = STATUS_TIMEOUT;
	worker_finish(w, now);
}

static void mark_skipped(struct collector_result *res, const char *why)
{
	res->status = STATUS_SKIPPED;
	res->reason = xstrdup(why);
}

static void report(const struct runner_opts *o, struct worker *w, bool done,
		   size_t index, size_t total)
{
	if (o->progress)
		o->progress(o->progress_arg, w->res, done, index, total);
}

int runner_run(const struct runner_opts *o,
	       struct collector_result **ret_results, size_t *ret_n)
{
	struct collector_result *results;
	struct worker *workers;
	int *pfds;
	size_t n = 0, running = 0, next = 0, finished = 0;
	struct oom_watch ow = { false, 0 };
	unsigned jobs;

	ow.known = platform_oom_kills(&ow.base) == 0;
	while (o->selected[n])
		n++;
	results = xcalloc(n + 1, sizeof(*results));
	workers = xcalloc(n + 1, sizeof(*workers));
	pfds = xcalloc(n + 1, sizeof(*pfds));
	jobs = o->jobs ? o->jobs : (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		results[i].collector = o->selected[i];
		results[i].records = json_array();
		results[i].staging = xasprintf("%s/%s", o->staging_root,
					       o->selected[i]->name);
		workers[i].res = &results[i];
		workers[i].fd = -1;
		buf_init(&workers[i].line, RECORD_MAX_LINE);
	}

	while (finished < n) {
		int64_t now = now_ms(), wait = TICK_MS;
		bool stop = o->interrupted && *o->interrupted;
		size_t np = 0;

		/* Start what the job cap allows. */
		while (!stop && running < jobs && next < n) {
			struct worker *w = &workers[next++];
			int r;

			if (now >= o->run_deadline_ms) {
				mark_skipped(w->res,
					     N_("the whole-run deadline passed "
						"before it could start"));
				w->state = WORKER_DONE;
				finished++;
				report(o, w, true, next - 1, n);
				continue;
			}
			if ((r = worker_start(o, w, now)) < 0) {
				w->res->status = STATUS_CRASHED;
				w->res->reason =
					xasprintf(N_("cannot start worker: %s"),
						  strerror(-r));
				w->state = WORKER_DONE;
				finished++;
				report(o, w, true, next - 1, n);
				continue;
			}
			running++;
			report(o, w, false, next - 1, n);
		}
		if (stop) {
			for (size_t i = next; i < n; i++) {
				mark_skipped(&results[i], "interrupted");
				workers[i].state = WORKER_DONE;
				finished++;
			}
			next = n;
		}

		for (size_t i = 0; i < n; i++) {
			struct worker *w = &workers[i];
			int status, r;

			if (w->state != WORKER_RUNNING)
				continue;
			r = proc_reap_nohang(w->pid, &status,
					     &w->res->peak_rss_kb);
			if (r == w->pid) {
				/* Kill leftover sub-workers of the group. */
				proc_kill_group(w->pid);
				describe_exit(w->res, status, &ow);
				worker_finish(w, now);
			} else if (stop || now >= w->deadline_ms) {
				worker_kill(w, stop, now);
			} else {
				if (w->deadline_ms - now < wait)
					wait = w->deadline_ms - now;
				if (w->fd >= 0)
					pfds[np++] = w->fd;
				continue;
			}
			running--;
			finished++;
			report(o, w, true, i, n);
		}
		if (finished == n)
			break;
		if (o->tick)
			o->tick(o->progress_arg);
		if (proc_poll_in(pfds, np, (int)(wait > 0 ? wait : 0)) > 0) {
			for (size_t i = 0; i < n; i++) {
				struct worker *w = &workers[i];

				if (w->state == WORKER_RUNNING && w->fd >= 0 &&
				    !worker_read(w)) {
					/* EOF: wait for the exit status. */
					close(w->fd);
					w->fd = -1;
				}
			}
		}
	}
	free(pfds);
	for (size_t i = 0; i < n; i++)
		buf_release(&workers[i].line);
	free(workers);
	*ret_results = results;
	*ret_n = n;
	return 0;
}

void runner_results_free(struct collector_result *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].reason);
		free(r[i].staging);
		json_decref(r[i].records);
	}
	free(r);
}
