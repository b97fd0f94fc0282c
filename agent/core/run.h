/*
 * One run of the collectors: a plan (what to run, with which config, where
 * the bundle goes, how it is signed and sent) and run_execute(), which
 * collects, redacts, writes the bundle and hands the verdict back. The
 * command line (`rdiag run`), a signed request and the installed agent all
 * fill a plan and call run_execute(); none builds an argv. The core never
 * prints: what the person at the terminal sees (progress, errors, the
 * verdict) and the upload step (a subsystem above the core) are reached
 * through the plan's observer.
 */
#ifndef RDIAG_RUN_H
#define RDIAG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/bundle.h"
#include "core/config.h"
#include "core/report.h"
#include "core/runner.h"

struct run_plan;

/*
 * How run_execute() reports. Every hook may be NULL. The observer is
 * passed back to each hook so an implementation can keep its own state
 * around it (container_of style).
 */
struct run_observer {
	/* Before the first collector starts. */
	void (*started)(struct run_observer *ob, const struct run_plan *p);
	/* As each collector starts (done = false) and ends. */
	void (*collector)(struct run_observer *ob, const struct run_plan *p,
			  const struct collector_result *r, bool done);
	/*
	 * While collectors run, between polls (at most 25 ms apart; a
	 * worker that must be killed may hold it up to about a second):
	 * a live display redraws here, the collectors' started_ms and
	 * deadline_ms say how long each has been running and may run.
	 */
	void (*tick)(struct run_observer *ob, const struct run_plan *p);
	/* The collectors are done; the bundle is being written. */
	void (*writing_bundle)(struct run_observer *ob,
			       const struct run_plan *p);
	/* Compressed bytes of the bundle written so far (at least every
	 * 200 ms while it is written). */
	void (*bundle_progress)(struct run_observer *ob,
				const struct run_plan *p, uint64_t written);
	/* A problem, one line without "rdiag: " (that is the printer's). */
	void (*error)(struct run_observer *ob, const char *msg);
	/* The verdict (with bundle path and sha256 when one was written). */
	void (*finished)(struct run_observer *ob, const struct run_plan *p,
			 const struct verdict *v);
	/*
	 * p->upload_url is set: check the target and its config before
	 * anything is collected. 0, or an exit code after reporting why.
	 * NULL: no upload is possible, the run is refused (EXIT_SOFTWARE).
	 */
	int (*upload_prepare)(struct run_observer *ob,
			      const struct run_plan *p);
	/* Send the finished bundle to p->upload_url; 0 or an exit code. */
	int (*upload)(struct run_observer *ob, const struct run_plan *p,
		      const char *bundle_path);
};

/*
 * Everything a run needs. Filled by run_plan_init() with the defaults,
 * then by the caller; every pointer is owned by the plan and freed by
 * run_plan_release() (set them with xstrdup'd strings).
 */
struct run_plan {
	struct config config;
	const struct collector **selected; /* NULL-terminated */
	size_t nselected;
	char *ticket;       /* NULL when none */
	char *out_dir;      /* where the bundle goes ("." by default) */
	bool out_dir_flag;  /* out_dir came from --out (for messages) */
	char *host;         /* fit for file names, see run_host_label() */
	char *command_line; /* for the log and the manifest (redacted) */
	unsigned timeout_s; /* whole-run deadline */
	unsigned jobs;      /* collectors at once, 0: all */
	uint64_t min_free_mb;
	enum bundle_compress compress;
	time_t since;     /* evidence newer than this, 0: any */
	char *sign_key;   /* ed25519 secret key file, or NULL */
	char *encrypt_to; /* x25519 public key file, or NULL */
	char *upload_url; /* NULL: no upload */
	bool remove_after_upload;
	bool no_bundle;       /* verdict only */
	unsigned obfuscate;   /* OBFUSCATE_* (core/obfuscate.h) */
	bool verbose;         /* the log goes to stderr as well */
	bool normal_priority; /* false: workers and bundling nice and idle I/O
			       */
	struct run_observer *observer; /* borrowed; NULL: silent */
};

/*
 * The defaults of a run; run_config_keys and the usage text of `rdiag run`
 * spell them from these (RUN_STR), so they cannot drift apart.
 */
#define RUN_STR_(x)             #x
#define RUN_STR(x)              RUN_STR_(x)
#define RUN_DEFAULT_TIMEOUT_S   120
#define RUN_DEFAULT_TIMEOUT     RUN_STR(RUN_DEFAULT_TIMEOUT_S)
#define RUN_DEFAULT_MIN_FREE_MB 64
#define RUN_DEFAULT_COMPRESS    "gzip"
#define RUN_DEFAULT_PRIORITY    "low"

/* The [agent] section: the keys run_plan_apply_config() reads. */
extern const struct config_key run_config_keys[];

/* Defaults: every pointer NULL but out_dir "." and host. */
void run_plan_init(struct run_plan *p);
void run_plan_release(struct run_plan *p);

/*
 * Apply the [agent] section of p->config (out_dir, timeout, jobs,
 * min_free_mb, compress, host_label). 0, or -EINVAL with *ret_err (caller
 * frees) naming the key and the bad value.
 */
int run_plan_apply_config(struct run_plan *p, char **ret_err);

/*
 * Select the collectors of the registry table that run by default (not
 * opt-in), or those in only when it is not NULL, minus those in skip
 * (NULL-terminated name lists). Registry order.
 */
void run_plan_select(struct run_plan *p, const struct collector *const *table,
		     char *const *only, char *const *skip);

/*
 * A whole number s from min to max for what (an option or "[agent] key"),
 * with duration in parse_duration()'s grammar ("90", "15m"): 0 and *ret,
 * or -EINVAL with *ret_err saying what is accepted.
 */
int run_parse_number(const char *what, const char *s, unsigned long long min,
		     unsigned long long max, bool duration,
		     unsigned long long *ret, char **ret_err);
/* "gzip" or "zstd" for what: 0 and *ret, or -EINVAL with *ret_err. */
int run_parse_compress(const char *what, const char *s,
		       enum bundle_compress *ret, char **ret_err);
/*
 * "low" (nice 10 and idle I/O for the workers and the bundle, the default)
 * or "normal" into *ret_normal; -EINVAL with *ret_err naming what.
 */
int run_parse_priority(const char *what, const char *s, bool *ret_normal,
		       char **ret_err);

/*
 * This machine's name fit for file names and ids (anything but letters,
 * digits, '-' and '.' becomes '_'), "unknown-host" when it has none. A new
 * string; caller frees.
 */
char *run_host_label(void);

/*
 * Run p: check the output directory, load the keys, let the observer check
 * the upload target, run the collectors under the deadline, redact, write
 * the bundle, report the verdict, upload. Returns the exit code of
 * `rdiag run`: the verdict's (0..3), or the upload's, or EXIT_USAGE,
 * EXIT_CANTCREAT, EXIT_SOFTWARE, EXIT_INTERRUPTED after reporting why.
 */
int run_execute(const struct run_plan *p);

#endif
