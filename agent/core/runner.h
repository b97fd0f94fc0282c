/*
 * The runner: one forked worker per collector, all in parallel (capped by
 * jobs), each with a deadline and its own staging directory. The parent only
 * polls pipes, validates records and reaps with WNOHANG; it never touches a
 * collector's targets and never blocks on a child.
 */
#ifndef RDIAG_RUNNER_H
#define RDIAG_RUNNER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "core/config.h"
#include "rdiag/collector.h"

enum collector_status {
	STATUS_OK,
	STATUS_PARTIAL,
	STATUS_TIMEOUT,
	STATUS_CRASHED,
	STATUS_SKIPPED,
};

/* "ok", "partial", "timeout", "crashed", "skipped". */
const char *collector_status_name(enum collector_status s);
/* Its inverse: 0, or -EINVAL for a name that is none of those. */
int collector_status_from_name(const char *name, enum collector_status *ret);

struct collector_result {
	const struct collector *collector;
	enum collector_status status;
	char *reason; /* why not ok, or NULL */
	int64_t duration_ms;
	json_t *records;  /* validated records, each with "collector" added */
	size_t rejected;  /* invalid lines dropped */
	bool truncated;   /* count or byte cap reached: later records dropped */
	pid_t stuck_pid;  /* > 0 when a worker was abandoned in D state */
	long peak_rss_kb; /* the worker's peak resident set; 0: unknown */
	/* now_ms() times of its start and its deadline (0 before it starts),
	 * for progress shown while it runs. */
	int64_t started_ms, deadline_ms;
	char *staging; /* this collector's staging dir (absolute) */
	/* -ENOSPC or -EDQUOT: its copies did not fit in staging, else 0. */
	int staging_err;
	/* Killed by the kernel's OOM killer (status crashed). */
	bool oom_killed;
};

struct runner_opts {
	const struct collector *const *selected; /* NULL-terminated */
	const struct config *config;
	const char *staging_root; /* exists, 0700 */
	unsigned jobs;            /* 0 = all at once */
	int64_t run_deadline_ms;  /* absolute now_ms() time */
	time_t since;
	const char *root; /* "" or a fixture tree, see ctx_root() */
	/* NULL, or the staging key: artifacts are sealed (ctx.h). */
	const unsigned char *seal_key;
	/* Set asynchronously (SIGINT/SIGTERM) to stop everything early. */
	volatile sig_atomic_t *interrupted;
	/* Called as each collector starts (done = false) and ends. */
	void (*progress)(void *arg, const struct collector_result *r, bool done,
			 size_t index, size_t total);
	/* Called between polls while collectors run (at most TICK apart,
	 * 25 ms), so a progress display can redraw; may be NULL. */
	void (*tick)(void *arg);
	void *progress_arg;
};

/*
 * Run the selected collectors. Returns 0 and an array of results in
 * selection order (*ret_n entries; free with runner_results_free()), or a
 * negative errno when the run could not be set up at all.
 */
int runner_run(const struct runner_opts *o,
	       struct collector_result **ret_results, size_t *ret_n);
void runner_results_free(struct collector_result *r, size_t n);

/*
 * The body of a collector worker, in the worker process: run p's collector
 * with a context made from p. Returns the worker's exit status (0; 3 when
 * the collector could not finish all its checks; 4 and 5 when staging ran
 * out of space or quota). Windows' re-executed worker calls it too.
 */
struct ctx_params;
int runner_worker_run(const struct ctx_params *p);

#endif
