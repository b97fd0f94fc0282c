/*
 * The collector contract. A collector is one file in collectors/ exporting
 * one `const struct collector` listed in collectors/registry.c. It runs in a
 * forked worker with its own staging directory and reports only through the
 * ctx API below: it never prints, never exits, never touches another
 * collector's data. Everything it emits streams to the agent at once, so a
 * collector that is killed at its deadline keeps what it already reported.
 *
 * Functions returning int return 0 on success or a negative errno.
 */
#ifndef RDIAG_COLLECTOR_H
#define RDIAG_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rdiag/record.h"
#include "rdiag/util.h"

struct buf;
struct collector_ctx;

enum collector_flag {
	/* Parts of the collector need root; it still runs without it. */
	COLLECTOR_WANTS_ROOT = 1u << 0,
	/* Not run unless named with --only. */
	COLLECTOR_OPT_IN = 1u << 1,
};

enum config_key_flag {
	CONFIG_KEY_REPEATABLE = 1u << 0,
};

/*
 * A key a collector accepts in its own [name] section of the config (the
 * agent's own sections use the same shape).
 */
struct config_key {
	const char *name;
	unsigned flags;
	const char *help; /* one line for docs and `rdiag list --verbose` */
	/*
	 * The value used when the key is not set, as a user would write it
	 * ("120", "gzip"), or NULL when there is none or it depends on the
	 * machine (help says what then). The one place the default is
	 * written down: list and the man page test read it from here.
	 */
	const char *def;
};

/*
 * Systems a collector is built for: one that reads /proc, sets fanotify
 * marks or parses xrdp's files says RDIAG_LINUX, and a Windows build leaves
 * it out (collectors/registry.c).
 */
#define RDIAG_LINUX   (1u << 0)
#define RDIAG_WINDOWS (1u << 1)
#define RDIAG_ALL     0u

struct collector {
	const char *name;    /* [a-z_]+, also its config section */
	const char *summary; /* one line, what it answers */
	unsigned flags;
	unsigned deadline_ms; /* default; [agent] or --timeout may cut it */
	unsigned platforms;   /* RDIAG_LINUX | ...; 0 (RDIAG_ALL): every one */
	/*
	 * The most it copies into staging, in MiB, for the run's space
	 * estimate before it starts: staging_mb, or the value (MiB) of its
	 * own key staging_mb_key when that is configured. 0 and NULL for a
	 * collector that writes only records and small artifacts.
	 */
	unsigned staging_mb;
	const char *staging_mb_key;
	const struct config_key *keys; /* NULL-terminated by name, or NULL */
	/*
	 * NULL, or checks a value of one of its keys given on the command
	 * line (--db for [database] url): 0 when usable, else a negative
	 * errno and *ret_err (allocated, lowercase, no trailing period, never
	 * echoing a secret) saying why; the command refuses it (exit 64).
	 * Values from config files are judged by run() and reported as
	 * findings instead, so one bad entry does not stop the whole run.
	 */
	int (*check)(const char *key, const char *value, char **ret_err);
	/*
	 * Returns 0 when it finished its checks (status ok) or a negative
	 * errno when it could not (status partial). Findings carry the
	 * verdict; the return value only says whether the run was complete.
	 */
	int (*run)(struct collector_ctx *ctx);
};

/* A finding as a collector emits it; strings are copied. */
struct finding {
	const char *id; /* stable dotted code, e.g. "system.disk.full" */
	enum severity severity;
	enum support_level level;
	const char *title;  /* one line, plain words */
	const char *detail; /* the evidence, may be NULL */
	const char *hint;   /* the next step, may be NULL */
	const char *kb;     /* a reference, may be NULL */
};

/*
 * A verdict list: what a judge decides, before it is emitted. Judges are
 * pure functions that append to a list (so tests read their verdicts
 * without a ctx); the collector emits the list with verdict_emit(). Strings
 * are owned by the list; the id must be a static string.
 */
struct verdict_item {
	const char *id; /* static, e.g. "system.disk.full" */
	enum severity severity;
	enum support_level level;
	char *title;  /* never NULL */
	char *detail; /* NULL when not set */
	char *hint;   /* NULL when not set */
};

struct verdict_list {
	struct verdict_item *v;
	size_t n;
};

#define VERDICT_LIST_INIT \
	{                 \
		NULL, 0   \
	}

void verdict_list_init(struct verdict_list *l);
void verdict_list_release(struct verdict_list *l);
/*
 * Append a verdict with a printf-formatted title; returns it so that
 * detail and hint can be set. The pointer stays valid until the next
 * verdict_add() on the same list.
 */
struct verdict_item *verdict_add(struct verdict_list *l, const char *id,
				 enum severity sev, enum support_level level,
				 const char *title_fmt, ...) RDIAG_PRINTF(5, 6);
/* Set (or replace) the detail or hint; printf-formatted. */
void verdict_detail(struct verdict_item *v, const char *fmt, ...)
	RDIAG_PRINTF(2, 3);
void verdict_hint(struct verdict_item *v, const char *fmt, ...)
	RDIAG_PRINTF(2, 3);
/* The first verdict with this id, or NULL. */
const struct verdict_item *verdict_find(const struct verdict_list *l,
					const char *id);
/*
 * Emit every verdict of l as a finding, in order. A verdict that cannot be
 * emitted is logged and skipped; returns the first error or 0.
 */
int verdict_emit(struct collector_ctx *ctx, const struct verdict_list *l);

/* Emit a fact; the value is printf-formatted. */
int ctx_fact(struct collector_ctx *ctx, const char *key, const char *fmt, ...)
	RDIAG_PRINTF(3, 4);
int ctx_fact_int(struct collector_ctx *ctx, const char *key, int64_t value);
int ctx_finding(struct collector_ctx *ctx, const struct finding *f);
/* A debug line for the bundle's rdiag.log (redacted there like all text). */
int ctx_log(struct collector_ctx *ctx, const char *fmt, ...) RDIAG_PRINTF(2, 3);

/*
 * Say that there was nothing to check (e.g. no database configured): the
 * collector's status becomes "skipped" with this reason, once it returns.
 * Emit a finding with the hint on how to configure it as well, if useful.
 */
int ctx_skip(struct collector_ctx *ctx, const char *reason);

/*
 * Artifacts: files in this collector's own staging directory. relpath must
 * satisfy record_artifact_path_valid(); missing parent directories are
 * created. ctx_artifact_create() opens a new file (O_EXCL|O_NOFOLLOW, 0600)
 * and returns its fd in *ret_fd; the artifact record is emitted when it is
 * closed with ctx_artifact_close(), which also closes the fd.
 */
int ctx_artifact_create(struct collector_ctx *ctx, const char *relpath,
			int *ret_fd);
int ctx_artifact_close(struct collector_ctx *ctx, const char *relpath, int fd);
/* Write a whole artifact from memory. */
int ctx_artifact_write(struct collector_ctx *ctx, const char *relpath,
		       const void *data, size_t len);

/*
 * Configuration: the values of key in this collector's section, in file
 * order (then those from the command line). Returns the number of values and
 * points *ret_values at a NULL-terminated array owned by ctx.
 * ctx_config_get() is the last value or NULL.
 */
size_t ctx_config_values(struct collector_ctx *ctx, const char *key,
			 const char *const **ret_values);
const char *ctx_config_get(struct collector_ctx *ctx, const char *key);
/* The same for another section, read-only (e.g. "product", "data_dir"). */
size_t ctx_config_section_values(struct collector_ctx *ctx, const char *section,
				 const char *key,
				 const char *const **ret_values);

/*
 * Where a value of key in this collector's section came from, for a hint
 * that sends the reader to it: "--config site.conf line 12",
 * "/etc/rdiag/rdiag.conf line 3" or the flag ("--db"). value NULL: the
 * last value (ctx_config_get()'s); else the last entry with that value.
 * NULL when there is none; caller frees.
 */
char *ctx_config_where(struct collector_ctx *ctx, const char *key,
		       const char *value);

/* Milliseconds left before this collector's deadline (0 when past). */
int64_t ctx_remaining_ms(struct collector_ctx *ctx);
/* --since: only evidence newer than this (0 when not given). */
time_t ctx_since(struct collector_ctx *ctx);
/* True when the agent runs as root (effective uid 0). */
bool ctx_is_root(struct collector_ctx *ctx);
/* The collector's staging directory (absolute); for reading back only. */
const char *ctx_staging_dir(struct collector_ctx *ctx);
/*
 * Prefix for host files (/proc, /etc, /sys): "" on a real run, a fixture
 * tree in tests. Collectors build paths as "%s/proc/meminfo" with it.
 */
const char *ctx_root(struct collector_ctx *ctx);

/*
 * Bounded calls: run fn(arg, out, outlen) in a forked sub-worker with its
 * own deadline, for calls that can hang (statfs on a network mount, open of
 * a FIFO, a read on a FUSE file). fn writes at most out_max bytes of result
 * into out and returns its length or a negative errno. The sub-worker shares
 * nothing with the caller but what it was given; the result comes back
 * through a pipe.
 */
enum bounded_status {
	BOUNDED_DONE,    /* fn returned; see result / out_len */
	BOUNDED_TIMEOUT, /* killed at the deadline and reaped */
	BOUNDED_STUCK,   /* killed but unreapable (D state): abandoned */
	BOUNDED_CRASHED, /* died by a signal before answering */
};

struct bounded_result {
	enum bounded_status status;
	int result;         /* fn's return value when DONE */
	size_t out_len;     /* bytes of out filled when DONE */
	pid_t pid;          /* the sub-worker, for TIMEOUT/STUCK reports */
	char wchan[64];     /* /proc/PID/wchan when STUCK, else "" */
	int64_t elapsed_ms; /* wall time spent */
};

typedef int (*bounded_fn)(void *arg, void *out, size_t out_max);

/*
 * text[0..len) with every redaction rule applied (docs/redaction.md), as a
 * new NUL-terminated string the caller frees. For excerpts: a collector
 * that quotes part of an untrusted line redacts the whole line first and
 * cuts after, so a cut can never leave part of a token behind (a token
 * cut short no longer matches its rule). Usable in bounded sub-workers.
 */
char *ctx_redact(const char *text, size_t len);

/*
 * Returns 0 when the sub-worker was started and its fate is in *ret (even
 * a timeout is a successful call); a negative errno when it could not be
 * started. timeout_ms is capped by ctx_remaining_ms().
 */
int ctx_bounded(struct collector_ctx *ctx, unsigned timeout_ms, bounded_fn fn,
		void *arg, void *out, size_t out_max,
		struct bounded_result *ret);

/* Same mechanism without a ctx, for tests and the agent. */
int bounded_call(unsigned timeout_ms, bounded_fn fn, void *arg, void *out,
		 size_t out_max, struct bounded_result *ret);

/*
 * Run a program: argv[0] is a path (no PATH search, no shell), in its own
 * process group, stdin and stderr on /dev/null, stdout captured into out up
 * to out's maximum. At timeout_ms (capped by ctx_remaining_ms()) the group
 * is killed. Returns the exit status (0-255; 127 when it could not be
 * executed), -ETIMEDOUT, -ECHILD (killed by a signal), -ENOBUFS (more
 * output than out holds; what fit is kept), -EBUSY (killed but stuck in the
 * kernel: abandoned), or another negative errno when it was not started.
 */
int ctx_exec(struct collector_ctx *ctx, const char *const *argv,
	     unsigned timeout_ms, struct buf *out);

#endif
