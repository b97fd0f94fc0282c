/*
 * run_execute() (see run.h): the data path of design.md in order. Load the
 * keys, pick a staging directory, run the collectors in parallel under
 * deadlines, redact what they found, pack the bundle, hand the verdict to
 * the observer, upload. Each step's machinery lives in its own module
 * (runner, redact, bundle, report, sign_run); this file only orders them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle.h"
#include "core/exitcode.h"
#include "core/idlewatch.h"
#include "core/log.h"
#include "core/obfuscate.h"
#include "core/redact.h"
#include "core/report.h"
#include "core/run.h"
#include "core/runner.h"
#include "core/sign_run.h"
#include "core/stagecrypt.h"
#include "platform/fsutil.h"
#include "platform/platform.h"
#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"

static volatile sig_atomic_t interrupted;
/* The staging tree to remove if an allocation fails (see run_oom). */
static char *oom_staging;
/* The bundle being written then, whose .partial goes too. */
static struct bundle *oom_bundle;

/* Suffixes tried for a bundle name taken in the same second (-2, -3...). */
#define RUN_NAME_TRIES 1000
#define STAGING_PREFIX ".rdiag-staging-"
/* Longest wait for the output directory to answer (a hung share). */
#define RUN_OUT_DIR_TIMEOUT_S 10
/*
 * The least memory a run is started with: below it the kernel's OOM killer
 * would pick the run itself (its libraries count), leaving staging behind.
 */
#define RUN_MIN_MEMORY_MB 16
/* MiB the space estimate allows each collector for records and the like. */
#define RUN_SMALL_COLLECTOR_MB 1

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Redact every string a worker sent, before anything is shown or kept. */
static void redact_records(struct redactor *red, struct collector_result *res,
			   size_t n)
{
	static const char *const fields[] = { "value", "title", "detail",
					      "hint",  "msg",   "reason" };
	struct buf out;

	buf_init(&out, RECORD_MAX_LINE * 2);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		json_t *rec;

		json_array_foreach(res[i].records, j, rec)
		{
			for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
				json_t *v = json_object_get(rec, fields[k]);
				const char *s = json_string_value(v);
				size_t len = json_string_length(v);

				if (!s)
					continue;
				buf_reset(&out);
				/* Replace only what the redactor changed. */
				if (redact_buf(red, s, len, &out) == 0 &&
				    (out.len != len ||
				     memcmp(out.data, s, len) != 0))
					json_object_set_new(
						rec, fields[k],
						json_stringn(out.data,
							     out.len));
			}
		}
	}
	buf_release(&out);
}

static bool record_is(json_t *rec, const char *kind)
{
	const char *k = json_string_value(json_object_get(rec, "kind"));

	return k && strcmp(k, kind) == 0;
}

static json_t *collect_kind(struct collector_result *res, size_t n,
			    const char *kind)
{
	json_t *all = json_array();

	for (size_t i = 0; i < n; i++) {
		size_t j;
		json_t *rec;

		json_array_foreach(res[i].records, j, rec)
		{
			if (record_is(rec, kind)) {
				json_t *copy = json_deep_copy(rec);

				json_object_del(copy, "kind");
				json_array_append_new(all, copy);
			}
		}
	}
	return all;
}

static void write_collector_logs(struct collector_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;
		json_t *rec;

		json_array_foreach(res[i].records, j, rec)
		{
			if (record_is(rec, "log"))
				log_msg("[%s] %s", res[i].collector->name,
					json_string_value(
						json_object_get(rec, "msg")));
		}
		if (res[i].stuck_pid > 0)
			log_msg("collector %s: worker %d abandoned: %s",
				res[i].collector->name, (int)res[i].stuck_pid,
				res[i].reason);
	}
}

static int write_text_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wx");
	int r = 0;

	if (!f)
		return -errno;
	errno = 0;
	/* ENOSPC and EDQUOT must reach the exit code (73), not become EIO. */
	if (fwrite(data, 1, len, f) != len)
		r = errno ? -errno : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static int write_json_file(const char *path, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	int r;

	if (!s)
		return -ENOMEM;
	r = write_text_file(path, s, strlen(s));
	free(s);
	return r;
}

static int write_records_file(const char *path, json_t *records)
{
	struct buf b;
	size_t i;
	json_t *rec;
	int r;

	buf_init(&b, 0);
	json_array_foreach(records, i, rec)
	{
		char *s = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);

		if (s) {
			buf_puts(&b, s);
			buf_putc(&b, '\n');
			free(s);
		}
	}
	r = write_text_file(path, b.data, b.len);
	buf_release(&b);
	return r;
}

/*
 * What the run knows for manifest.json; bundle_close() adds the files and
 * redactions and bundle_manifest_build() writes it.
 */
struct run_manifest {
	struct bundle_manifest m;
	struct bundle_manifest_collector *cols;
	char started[32], finished[32];
	char *command_line; /* redacted */
};

static void manifest_base(struct run_manifest *rm, const struct run_plan *p,
			  const struct collector_result *res, size_t n,
			  time_t started, struct redactor *red)
{
	struct buf clean;

	memset(rm, 0, sizeof(*rm));
	utc_iso8601(started, rm->started, sizeof(rm->started));
	utc_iso8601(time(NULL), rm->finished, sizeof(rm->finished));
	buf_init(&clean, 1 << 20);
	redact_buf(red, p->command_line, strlen(p->command_line), &clean);
	rm->command_line = buf_detach(&clean, NULL);
	rm->cols = xcalloc(n + 1, sizeof(*rm->cols));
	for (size_t i = 0; i < n; i++) {
		const struct collector_result *r = &res[i];

		rm->cols[i] = (struct bundle_manifest_collector){
			.name = r->collector->name,
			.reason = r->reason,
			.status = r->status,
			.duration_ms = r->duration_ms,
			.records = (int64_t)json_array_size(r->records),
			.rejected = (int64_t)r->rejected,
			.truncated = r->truncated,
		};
	}
	rm->m = (struct bundle_manifest){
		.agent_version = RDIAG_VERSION,
		.host = p->host,
		.ticket = p->ticket,
		.started = rm->started,
		.finished = rm->finished,
		.command_line = rm->command_line,
		.collectors = rm->cols,
		.ncollectors = n,
	};
}

static void run_manifest_release(struct run_manifest *rm)
{
	free(rm->cols);
	free(rm->command_line);
	memset(rm, 0, sizeof(*rm));
}

/* Add every artifact a collector declared, refusing anything unsafe. */
static int add_artifacts(struct bundle *b, const struct collector_result *r,
			 const unsigned char *seal_key, char **ret_err)
{
	size_t i;
	json_t *rec;
	int ret = 0;

	json_array_foreach(r->records, i, rec)
	{
		const char *p = json_string_value(json_object_get(rec, "path"));
		char *src, *arc, *err = NULL;
		int q;

		if (!record_is(rec, "artifact") || !p)
			continue;
		src = xasprintf("%s/%s", r->staging, p);
		arc = bundle_collector_path(r->collector->name, p);
		q = seal_key ? bundle_add_sealed(b, arc, src, seal_key, &err)
			     : bundle_add_file(b, arc, src, true, &err);
		if (q < 0) {
			/* A declared artifact that is missing or unsafe is
			 * the collector's problem, not the bundle's. */
			log_msg("artifact '%s' of %s not bundled: %s, "
				"ignoring",
				p, r->collector->name,
				err ? err : strerror(-q));
			if (q != -ENOENT && q != -EINVAL && q != -ELOOP &&
			    q != -EBADMSG) {
				*ret_err = err;
				err = NULL;
				ret = q;
			}
		}
		free(err);
		free(src);
		free(arc);
		if (ret < 0)
			break;
	}
	return ret;
}

static int add_staged(struct bundle *b, const char *staging, const char *name,
		      const char *arcpath, char **ret_err)
{
	char *src = xasprintf("%s/%s", staging, name);
	struct stat sb;
	int r = 0;

	if (stat(src, &sb) == 0 && sb.st_size > 0)
		r = bundle_add_file(b, arcpath, src, true, ret_err);
	free(src);
	return r;
}

static void on_tick(void *arg)
{
	const struct run_plan *p = arg;

	if (p->observer && p->observer->tick)
		p->observer->tick(p->observer, p);
}

static void on_bundle_progress(void *arg, uint64_t written)
{
	const struct run_plan *p = arg;

	if (p->observer && p->observer->bundle_progress)
		p->observer->bundle_progress(p->observer, p, written);
}

static int build_bundle(const struct run_plan *p, const char *staging,
			struct collector_result *res, size_t n,
			json_t *findings,
			const struct bundle_manifest *manifest,
			struct redactor *red, const unsigned char *seal_key,
			struct sign_run *sr, struct verdict *v, char **ret_path,
			char ret_sha[65], char **ret_err)
{
	struct bundle *b = NULL;
	char stamp[32], *base, *path, *enc, *sig = NULL;
	int r;

	utc_stamp(stamp, sizeof(stamp));
	/*
	 * Two runs in the same second (or at once) into one directory: the
	 * second takes the next free suffix; bundle_open() creates the name
	 * with O_EXCL, so the race is decided by the file system.
	 */
	for (unsigned i = 1;; i++) {
		char *e = NULL;

		base = bundle_base_name(p->host, p->ticket, stamp);
		if (i > 1) {
			char *t = xasprintf("%s-%u", base, i);

			free(base);
			base = t;
		}
		/* Encrypted: the plain bundle exists only inside staging. */
		r = bundle_open(sr->encrypt ? staging : p->out_dir, base,
				p->compress, red, &b, &e);
		free(base);
		if (r == -EEXIST && i < RUN_NAME_TRIES) {
			free(e);
			continue;
		}
		if (r < 0) {
			*ret_err = e;
			return r;
		}
		break;
	}
	bundle_set_stop(b, &interrupted);
	oom_bundle = b;
	bundle_set_progress(b, on_bundle_progress, (void *)p);
	if (sr->sign)
		bundle_set_signer(b, sign_run_signer, sr);
	for (size_t i = 0; i < n && r == 0; i++) {
		char *recs = xasprintf("%s/%s.records.jsonl", staging,
				       res[i].collector->name);
		char *arc = bundle_collector_path(res[i].collector->name,
						  BUNDLE_RECORDS);
		char *err_arc = bundle_collector_path(res[i].collector->name,
						      BUNDLE_STDERR);
		char *err_name = xasprintf("%s.stderr", res[i].collector->name);

		r = write_records_file(recs, res[i].records);
		if (r == 0)
			r = bundle_add_file(b, arc, recs, true, ret_err);
		if (r == 0)
			r = add_artifacts(b, &res[i], seal_key, ret_err);
		if (r == 0)
			r = add_staged(b, staging, err_name, err_arc, ret_err);
		free(recs);
		free(arc);
		free(err_arc);
		free(err_name);
		if (interrupted)
			r = -EINTR;
	}
	if (r == 0) {
		char *fpath = xasprintf("%s/%s", staging, BUNDLE_FINDINGS);
		char *rpath = xasprintf("%s/%s", staging, BUNDLE_REPORT);
		FILE *rf;

		r = write_json_file(fpath, findings);
		if (r == 0)
			r = bundle_add_file(b, BUNDLE_FINDINGS, fpath, true,
					    ret_err);
		if (r == 0 && !(rf = fopen(rpath, "wx")))
			r = -errno;
		if (r == 0) {
			report_text(rf, v, false, true);
			errno = 0;
			if (fclose(rf) != 0)
				r = errno ? -errno : -EIO;
		}
		if (r == 0)
			r = bundle_add_file(b, BUNDLE_REPORT, rpath, true,
					    ret_err);
		free(fpath);
		free(rpath);
	}
	if (r == 0) {
		char *lpath = xasprintf("%s/%s", staging, BUNDLE_LOG);

		log_msg("rdiag's own peak RSS so far: %ld KiB",
			proc_self_peak_rss_kb());
		log_msg("bundle complete; writing manifest");
		r = bundle_add_file(b, BUNDLE_LOG, lpath, true, ret_err);
		free(lpath);
	}
	if (r < 0) {
		oom_bundle = NULL;
		bundle_abort(b);
		return r;
	}
	r = bundle_close(b, manifest, &path, &v->bundle_size, ret_sha, ret_err);
	oom_bundle = NULL;
	if (r < 0)
		return r;
	if (sr->sign &&
	    (r = sign_run_sign_file(sr, path, p->out_dir, &sig, ret_err)) < 0) {
		free(path);
		return r;
	}
	if (sr->encrypt) {
		r = sign_run_encrypt(sr, path, p->out_dir, &enc,
				     &v->bundle_size, ret_sha, ret_err);
		free(path);
		if (r < 0) {
			if (sig)
				unlink(sig);
			free(sig);
			return r;
		}
		path = enc;
	}
	free(sig);
	*ret_path = path;
	return 0;
}

/* Tell the observer about a problem, or nobody when there is none. */
RDIAG_PRINTF(2, 3)
static void report(const struct run_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!p->observer || !p->observer->error)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->observer->error(p->observer, msg);
	free(msg);
}

static void on_progress(void *arg, const struct collector_result *r, bool done,
			size_t index, size_t total)
{
	const struct run_plan *p = arg;

	(void)index;
	(void)total;
	if (done)
		log_msg("collector %s: %s%s%s (%lld ms, %zu records, %zu "
			"rejected)",
			r->collector->name, collector_status_name(r->status),
			r->reason ? ": " : "", r->reason ? r->reason : "",
			(long long)r->duration_ms, json_array_size(r->records),
			r->rejected);
	if (done && r->peak_rss_kb > 0)
		log_msg("collector %s: peak RSS %ld KiB", r->collector->name,
			r->peak_rss_kb);
	if (!done)
		log_msg("collector %s: started", r->collector->name);
	if (p->observer && p->observer->collector)
		p->observer->collector(p->observer, p, r, done);
}

/* What the bounded sub-worker found out about the output directory. */
struct out_dir_probe {
	int step; /* 0 ok, 1 missing, 2 not writable, 3 free space unknown,
		     4 not a directory */
	int err;
	uint64_t free_bytes;
};

static int probe_out_dir(void *arg, void *out, size_t out_max)
{
	const char *dir = arg;
	struct out_dir_probe pr = { 0 };
	struct stat sb;
	int r;

	if (out_max < sizeof(pr))
		return -ENOBUFS;
	if (stat(dir, &sb) < 0)
		pr.step = 1;
	else if (!S_ISDIR(sb.st_mode))
		pr.step = 4;
	else if (access(dir, W_OK | X_OK) < 0)
		pr.step = 2, pr.err = errno;
	else if ((r = fs_free_bytes(dir, &pr.free_bytes)) < 0)
		pr.step = 3, pr.err = -r;
	memcpy(out, &pr, sizeof(pr));
	return (int)sizeof(pr);
}

/*
 * Every look at the output directory runs in a bounded sub-worker: on a
 * hung share stat() alone never returns, and nothing would be printed.
 */
static unsigned out_dir_limit_s(const struct run_plan *p)
{
	return p->timeout_s < RUN_OUT_DIR_TIMEOUT_S ? p->timeout_s
						    : RUN_OUT_DIR_TIMEOUT_S;
}

/*
 * The most this run may write where its staging lives, in bytes: each
 * selected collector's copy cap (and a little for its records and small
 * artifacts) once in staging and, with a bundle, once more in the bundle,
 * plus two scratch copies of the largest file while it is redacted. An
 * upper bound: most runs write far less.
 */
static uint64_t run_space_need(const struct run_plan *p, bool bundle)
{
	unsigned long long sum = 0, largest = 0;

	for (size_t i = 0; p->selected && p->selected[i]; i++) {
		const struct collector *c = p->selected[i];
		const char *s = c->staging_mb_key
					? config_get(&p->config, c->name,
						     c->staging_mb_key)
					: NULL;
		unsigned long long mb = c->staging_mb, v;

		if (s && parse_uint(s, 0, 1048576, &v) == 0)
			mb = v;
		if (mb > largest)
			largest = mb;
		sum += mb + RUN_SMALL_COLLECTOR_MB;
	}
	return (bundle ? 2 * sum + 2 * largest : sum) * 1024ull * 1024ull;
}

/*
 * Say up front when the run may not fit, with the numbers. Not a refusal:
 * the caps are upper bounds, and a nearly full disk is when rdiag is
 * needed most; if the copies really do not fit, the run ends with 73.
 */
static void warn_space(const struct run_plan *p, const char *dir,
		       uint64_t free_bytes, uint64_t need, const char *instead)
{
	uint64_t mib = 1024ull * 1024ull;

	if (need + p->min_free_mb * mib <= free_bytes)
		return;
	report(p,
	       "this run may need up to %llu MB in '%s', %llu MB free; "
	       "free space or %s (trying anyway: that is the most the "
	       "collectors' copy caps allow)",
	       (unsigned long long)((need + mib - 1) / mib), dir,
	       (unsigned long long)(free_bytes / mib), instead);
}

/*
 * Without a bundle, staging lives in $TMPDIR: the same estimate there,
 * through the same bounded look (silent when it cannot be made; creating
 * the staging directory says what is wrong).
 */
static void check_staging_space(const struct run_plan *p, const char *dir)
{
	struct out_dir_probe pr;
	struct bounded_result br;

	if (bounded_call(out_dir_limit_s(p) * 1000, probe_out_dir, (void *)dir,
			 &pr, sizeof(pr), &br) == 0 &&
	    br.status == BOUNDED_DONE && br.out_len == sizeof(pr) &&
	    pr.step == 0)
		warn_space(p, dir, pr.free_bytes, run_space_need(p, false),
			   "set TMPDIR");
}

/*
 * A memory cgroup too small for a run is refused up front: the kernel
 * never lets malloc fail there, it kills the biggest process, and that
 * would be the run (exit 137, staging left for the next run to sweep).
 */
static int check_memory(const struct run_plan *p)
{
	uint64_t limit, mib = 1024ull * 1024ull;

	if (platform_memory_limit(&limit) < 0 ||
	    limit >= RUN_MIN_MEMORY_MB * mib)
		return 0;
	report(p,
	       "not enough memory: this process's memory cgroup allows %llu "
	       "MB, a run needs at least %u MB; raise its memory.max or run "
	       "rdiag outside it; nothing collected",
	       (unsigned long long)(limit / mib), RUN_MIN_MEMORY_MB);
	return EXIT_SOFTWARE;
}

static int check_out_dir(const struct run_plan *p)
{
	struct out_dir_probe pr;
	struct bounded_result br;
	unsigned limit_s = out_dir_limit_s(p);
	uint64_t free_bytes, floor = p->min_free_mb * 1024ull * 1024ull;
	int r;

	r = bounded_call(limit_s * 1000, probe_out_dir, p->out_dir, &pr,
			 sizeof(pr), &br);
	if (r < 0 || br.status != BOUNDED_DONE || br.out_len != sizeof(pr)) {
		if (r == 0 && br.status != BOUNDED_CRASHED)
			report(p,
			       "output directory '%s' did not answer within "
			       "%u s: it is on a hung network or FUSE mount; "
			       "use --out with a local directory",
			       p->out_dir, limit_s);
		else
			report(p, "cannot check output directory '%s': %s",
			       p->out_dir,
			       strerror(r < 0                       ? -r
					: br.status == BOUNDED_DONE ? -br.result
								    : ECHILD));
		return EXIT_CANTCREAT;
	}
	if (pr.step == 1) {
		report(p, "output directory '%s' does not exist", p->out_dir);
		return EXIT_CANTCREAT;
	}
	if (pr.step == 4) {
		/* A file named where a directory belongs is a usage error. */
		if (p->out_dir_flag)
			report(p,
			       "--out: '%s' is not a directory (see 'rdiag "
			       "help run')",
			       p->out_dir);
		else
			report(p, "[agent] out_dir: '%s' is not a directory",
			       p->out_dir);
		return EXIT_USAGE;
	}
	if (pr.step == 2) {
		report(p, "cannot write to output directory '%s': %s",
		       p->out_dir, strerror(pr.err));
		return EXIT_CANTCREAT;
	}
	if (pr.step == 3) {
		report(p, "cannot measure free space under '%s': %s",
		       p->out_dir, strerror(pr.err));
		return EXIT_CANTCREAT;
	}
	free_bytes = pr.free_bytes;
	if (free_bytes < floor) {
		char have[32], need[32];

		format_size(free_bytes, have, sizeof(have));
		format_size(floor, need, sizeof(need));
		report(p,
		       "only %s free under '%s', need at least %s "
		       "(min_free_mb); free space or use --out",
		       have, p->out_dir, need);
		return EXIT_CANTCREAT;
	}
	warn_space(p, p->out_dir, free_bytes, run_space_need(p, true),
		   "use --out");
	return 0;
}

/* Bytes in the regular files below dir (what the bundle will hold). */
static uint64_t tree_bytes(int dfd, unsigned depth)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	uint64_t sum = 0;

	if (dfd < 0 || depth > 64 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode))
			sum += tree_bytes(openat(dirfd(d), e->d_name,
						 O_RDONLY | O_DIRECTORY |
							 O_NOFOLLOW |
							 O_CLOEXEC),
					  depth + 1);
	}
	closedir(d);
	return sum;
}

/*
 * Say why no bundle was written and what to do, and pick the exit code:
 * a full disk, a quota, a read-only or forbidden directory is 73 (the
 * machine's state, not a bug), whatever layer noticed it.
 */
static int bundle_failed(const struct run_plan *p, const char *staging, int r,
			 const char *err, uint64_t need)
{
	if (r == -EINTR) {
		report(p, "interrupted; no bundle written");
		return EXIT_INTERRUPTED;
	}
	if (r == -ENOSPC || r == -EDQUOT || r == -EFBIG) {
		unsigned long long mb;

		/* Without an estimate: what staging holds goes in the bundle.
		 */
		if (!need)
			need = tree_bytes(open(staging, O_RDONLY | O_DIRECTORY |
								O_CLOEXEC),
					  0);
		mb = need / (1024 * 1024) + 1 + p->min_free_mb;

		report(p, "cannot write the bundle: %s",
		       err ? err : strerror(-r));
		report(p,
		       "%s on '%s', no bundle written; free %llu MB or "
		       "use --out",
		       r == -EDQUOT ? "disk quota exceeded" : "no space left",
		       p->out_dir, mb);
		return EXIT_CANTCREAT;
	}
	report(p, "cannot write the bundle: %s", err ? err : strerror(-r));
	if (r == -EACCES || r == -EPERM || r == -EROFS || r == -EEXIST)
		return EXIT_CANTCREAT;
	return EXIT_SOFTWARE;
}

/*
 * Remove what killed runs left in dir: staging trees (unredacted copies)
 * and bundle .partial files whose lock nobody holds any more. Holding the
 * directory's lock exclusively makes sure no live run is between creating
 * its file and locking it. The names removed go to *log for the run's log.
 * Returns the directory's descriptor, still locked, or -1.
 */
static int sweep_stale(const char *dir, struct buf *log)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int dup_fd;

	if (dfd < 0)
		return -1;
	if (flock(dfd, LOCK_EX) < 0 || (dup_fd = dup(dfd)) < 0 ||
	    !(d = fdopendir(dup_fd))) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d))) {
		bool staging = !strncmp(e->d_name, STAGING_PREFIX,
					strlen(STAGING_PREFIX));
		size_t len = strlen(e->d_name);
		bool partial = !strncmp(e->d_name, "rdiag-", 6) && len > 8 &&
			       !strcmp(e->d_name + len - 8, ".partial") &&
			       strstr(e->d_name, ".tar.");
		int fd;

		if (!staging && !partial)
			continue;
		fd = openat(dirfd(d), e->d_name,
			    (staging ? O_RDONLY | O_DIRECTORY : O_WRONLY) |
				    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			char *path = xasprintf("%s/%s", dir, e->d_name);

			if ((staging ? fs_remove_tree(path)
				     : unlinkat(dirfd(d), e->d_name, 0)) == 0)
				buf_printf(log, "%s'%s'", log->len ? ", " : "",
					   path);
			free(path);
		}
		close(fd);
	}
	closedir(d);
	return dfd;
}

/*
 * Memory given back when an allocation fails, so that the cleanup (which
 * opens directories, and so allocates) still finds some.
 */
#define OOM_RESERVE (256 * 1024)
static void *oom_reserve;

static void run_oom(void)
{
	free(oom_reserve);
	oom_reserve = NULL;
	log_close();
	bundle_unlink_partial(oom_bundle);
	if (oom_staging)
		(void)fs_remove_tree(oom_staging);
	bundle_remove_partials();
	fprintf(stderr, "rdiag: not enough memory to finish the run; "
			"staging removed, no bundle written\n");
}

int run_execute(const struct run_plan *p)
{
	struct run_observer *ob = p->observer;
	struct redactor *red = NULL;
	struct obfuscator *obf = NULL;
	unsigned char *seal_key = NULL;
	struct collector_result *res = NULL;
	struct verdict v;
	struct sign_run sr = { 0 };
	json_t *findings = NULL;
	struct run_manifest manifest = { 0 };
	char *staging = NULL, *logpath = NULL, *bundle_path = NULL;
	char *err = NULL, sha[65] = "";
	const char *staging_root;
	struct buf swept = { 0 };
	int dir_fd = -1, staging_fd = -1;
	time_t started = time(NULL);
	size_t n = 0;
	int rc, r;
	bool background = false; /* the bundle step in the idle CPU class */
	struct idlewatch *watch = NULL;
	unsigned starved_s;

	interrupted = 0;
	if ((rc = check_memory(p)) != 0)
		goto out;
	if (!p->no_bundle && (rc = check_out_dir(p)) != 0)
		goto out;
	if (sign_run_load(&sr, p->sign_key, p->encrypt_to, &err) < 0) {
		report(p, "%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	/* Refuse a bad target or its config before collecting anything. */
	if (p->upload_url) {
		if (!ob || !ob->upload_prepare || !ob->upload) {
			report(p, "no upload step for '%s'", p->upload_url);
			rc = EXIT_SOFTWARE;
			goto out;
		}
		if ((rc = ob->upload_prepare(ob, p)) != 0)
			goto out;
	}
	proc_catch_stop_signals(on_signal);
	red = redactor_new();
	if (p->obfuscate) {
		const char **hosts;
		size_t nh = config_values(&p->config, "nas", "host", &hosts);

		obf = obfuscator_new(p->obfuscate);
		obfuscator_add_local(obf, "");
		for (size_t i = 0; i < nh; i++)
			obfuscator_add_host(obf, hosts[i]);
		redactor_set_obfuscator(red, obf);
	}
	staging_root = p->no_bundle
			       ? (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp")
			       : p->out_dir;
	if (p->no_bundle)
		check_staging_space(p, staging_root);
	buf_init(&swept, 0);
	dir_fd = sweep_stale(staging_root, &swept);
	staging = xasprintf("%s/" STAGING_PREFIX "XXXXXX", staging_root);
	if (!mkdtemp(staging)) {
		report(p, "cannot create a staging directory '%s': %s", staging,
		       strerror(errno));
		rc = EXIT_CANTCREAT;
		goto out;
	}
	/*
	 * Locked for as long as this process (or a worker) lives, so the
	 * next run's sweep removes it only once its owner is gone.
	 */
	staging_fd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Shared: bundle_open() shares it too when it writes in staging. */
	if (staging_fd >= 0)
		(void)flock(staging_fd, LOCK_SH | LOCK_NB);
	if (dir_fd >= 0) {
		close(dir_fd);
		dir_fd = -1;
	}
	oom_staging = staging;
	oom_reserve = malloc(OOM_RESERVE); /* none: the cleanup may fail */
	xalloc_set_oom_hook(run_oom);
	/*
	 * Collected copies wait in staging sealed under a key only this
	 * process (and its forked workers) hold, until the bundle redacts
	 * them: a SIGKILL leaves nothing readable behind.
	 */
	if (!(seal_key = stagecrypt_key_new())) {
		report(p, "cannot make a staging key: %s", strerror(ENOMEM));
		rc = EXIT_SOFTWARE;
		goto out;
	}
	logpath = xasprintf("%s/%s", staging, BUNDLE_LOG);
	if ((r = log_open(logpath)) < 0) {
		report(p, "cannot create '%s': %s", logpath, strerror(-r));
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (swept.len)
		log_msg("removed what an earlier killed run left: %s",
			swept.data);
	log_set_verbose(p->verbose, red);
	log_msg("rdiag %s run on %s: %s", RDIAG_VERSION, p->host,
		p->command_line);
	/* Before any worker or bundle thread starts: they inherit it. */
	if (p->normal_priority) {
		log_msg("priority: normal");
	} else if ((r = platform_lower_priority()) < 0) {
		log_msg("cannot lower the priority to nice %d and idle I/O: "
			"%s, ignoring",
			PLATFORM_GENTLE_NICE, strerror(-r));
	} else {
		log_msg("priority: nice %d, idle I/O class",
			PLATFORM_GENTLE_NICE);
	}
	if (ob && ob->started)
		ob->started(ob, p);
	{
		struct runner_opts ro = {
			.selected = p->selected,
			.config = &p->config,
			.staging_root = staging,
			.jobs = p->jobs,
			.run_deadline_ms = now_ms() + p->timeout_s * 1000ll,
			.since = p->since,
			.root = "",
			.seal_key = seal_key,
			.interrupted = &interrupted,
			.progress = on_progress,
			.tick = on_tick,
			.progress_arg = (void *)p,
		};

		if ((r = runner_run(&ro, &res, &n)) < 0) {
			report(p, "cannot run collectors: %s", strerror(-r));
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
	if (interrupted) {
		report(p, "interrupted; no bundle written");
		rc = EXIT_INTERRUPTED;
		goto out;
	}
	redact_records(red, res, n);
	write_collector_logs(res, n);
	findings = collect_kind(res, n, "finding");
	memset(&v, 0, sizeof(v));
	v.results = res;
	v.n = n;
	v.findings = findings;
	v.host = p->host;
	v.ticket = p->ticket;
	for (size_t i = 0; i < n; i++) {
		if (!res[i].oom_killed)
			continue;
		/*
		 * The machine (or its cgroup) ran out of memory: say so
		 * plainly, keep the verdict, write no bundle (it would lack
		 * the evidence, and writing it needs memory too).
		 */
		report(p,
		       "collector %s was killed by the kernel: out of memory; "
		       "staging removed, no bundle written; give rdiag more "
		       "memory or leave it out with --skip %s",
		       res[i].collector->name, res[i].collector->name);
		rc = EXIT_SOFTWARE;
		if (ob && ob->finished)
			ob->finished(ob, p, &v);
		goto out;
	}
	for (size_t i = 0; i < n && !p->no_bundle; i++) {
		char *why;

		if (!res[i].staging_err)
			continue;
		/*
		 * Copies that did not fit were dropped: a bundle without them
		 * would look complete. The machine's state, so 73.
		 */
		why = xasprintf("collector %s: %s", res[i].collector->name,
				res[i].reason);
		/* Copies were dropped: only the estimate knows their size. */
		rc = bundle_failed(p, staging, res[i].staging_err, why,
				   run_space_need(p, true));
		free(why);
		if (ob && ob->finished)
			ob->finished(ob, p, &v);
		goto out;
	}
	if (!p->no_bundle) {
		if (ob && ob->writing_bundle)
			ob->writing_bundle(ob, p);
		manifest_base(&manifest, p, res, n, started, red);
		if (!p->normal_priority) {
			/* Its thread must not inherit the idle class. */
			watch = idlewatch_start();
			r = platform_background_cpu(true);
			background = r == 0;
			if (background)
				log_msg("bundle: CPU work in the idle class");
			else
				log_msg("bundle: cannot use the idle CPU "
					"class: %s, ignoring",
					strerror(-r));
		}
		r = build_bundle(p, staging, res, n, findings, &manifest.m, red,
				 seal_key, &sr, &v, &bundle_path, sha, &err);
		/* The upload and what follows at the run's own priority. */
		if ((starved_s = idlewatch_stop(watch)) > 0)
			log_msg("bundle: the host's processors were saturated "
				"(under %u %% of one for %u s): back to nice "
				"%d after %u s so the run ends",
				IDLEWATCH_FLOOR_PERMILLE / 10,
				IDLEWATCH_STARVED_S, PLATFORM_GENTLE_NICE,
				starved_s);
		else if (background)
			(void)platform_background_cpu(false);
		if (r < 0) {
			/* The verdict is never lost with the bundle. */
			rc = bundle_failed(p, staging, r, err, 0);
			if (ob && ob->finished)
				ob->finished(ob, p, &v);
			goto out;
		}
		v.bundle_path = bundle_path;
		v.sha256 = sha;
		if (obf) {
			/* The way back from placeholders to names: on this
			 * machine only, never in the bundle. */
			char *map =
				xasprintf("%s.obfuscation.json", bundle_path);

			if ((r = obfuscator_save_map(obf, map)) < 0)
				report(p, "cannot write '%s': %s", map,
				       strerror(-r));
			else
				log_msg("obfuscation map: %s (%zu names "
					"replaced)",
					map, obfuscator_replaced(obf));
			free(map);
		}
	}
	if (ob && ob->finished)
		ob->finished(ob, p, &v);
	rc = verdict_exit_code(&v);
	if (p->upload_url && bundle_path) {
		int urc = ob->upload(ob, p, bundle_path);

		if (urc != 0)
			rc = urc;
	}
out:
	xalloc_set_oom_hook(NULL);
	oom_staging = NULL;
	oom_bundle = NULL;
	free(oom_reserve);
	oom_reserve = NULL;
	log_close();
	if (dir_fd >= 0)
		close(dir_fd);
	if (staging && fs_remove_tree(staging) < 0)
		report(p, "cannot remove staging directory '%s', ignoring",
		       staging);
	if (staging_fd >= 0)
		close(staging_fd);
	buf_release(&swept);
	runner_results_free(res, n);
	json_decref(findings);
	run_manifest_release(&manifest);
	/* The log must not keep the redactor freed here (a caller may log,
	 * e.g. an upload after the run). */
	log_set_verbose(false, NULL);
	redactor_free(red);
	obfuscator_free(obf);
	stagecrypt_key_free(seal_key);
	sign_run_release(&sr);
	free(staging);
	free(logpath);
	free(bundle_path);
	free(err);
	return rc;
}

/* ---- the plan ---- */

const struct config_key run_config_keys[] = {
	{ "out_dir", 0, "where bundles are written", "." },
	{ "jobs", 0, "how many collectors run at once (default: all)", NULL },
	{ "timeout", 0, "whole-run deadline (a duration: 90s, 15m, 1h30m)",
	  RUN_STR(RUN_DEFAULT_TIMEOUT_S) },
	{ "compress", 0, "bundle compression: gzip or zstd",
	  RUN_DEFAULT_COMPRESS },
	{ "priority", 0,
	  "low: collectors and bundling at nice 10 and idle I/O; normal",
	  RUN_DEFAULT_PRIORITY },
	{ "min_free_mb", 0, "refuse to start below this free space",
	  RUN_STR(RUN_DEFAULT_MIN_FREE_MB) },
	{ "host_label", 0, "name used for this host in bundle names", NULL },
	{ NULL, 0, NULL, NULL },
};

char *run_host_label(void)
{
	char name[256] = "";

	if (platform_hostname(name, sizeof(name)) < 0 || !*name)
		return xstrdup("unknown-host");
	for (char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			*s = '_';
	return xstrdup(name);
}

void run_plan_init(struct run_plan *p)
{
	memset(p, 0, sizeof(*p));
	config_init(&p->config);
	p->timeout_s = RUN_DEFAULT_TIMEOUT_S;
	p->min_free_mb = RUN_DEFAULT_MIN_FREE_MB;
	p->compress = BUNDLE_GZIP;
	p->out_dir = xstrdup(".");
	p->host = run_host_label();
}

void run_plan_release(struct run_plan *p)
{
	config_release(&p->config);
	free(p->selected);
	free(p->ticket);
	free(p->out_dir);
	free(p->host);
	free(p->command_line);
	free(p->sign_key);
	free(p->encrypt_to);
	free(p->upload_url);
	memset(p, 0, sizeof(*p));
}

int run_parse_number(const char *what, const char *s, unsigned long long min,
		     unsigned long long max, bool duration,
		     unsigned long long *ret, char **ret_err)
{
	if ((duration ? parse_duration(s, min, max, ret)
		      : parse_uint(s, min, max, ret)) < 0) {
		*ret_err = duration ? xasprintf("%s must be a duration from "
						"%llu to %llu seconds "
						"(" DURATION_EXAMPLES
						"), not '%s'",
						what, min, max, s)
				    : xasprintf("%s must be a whole number "
						"from %llu to %llu, not '%s'",
						what, min, max, s);
		return -EINVAL;
	}
	return 0;
}

int run_parse_compress(const char *what, const char *s,
		       enum bundle_compress *ret, char **ret_err)
{
	if (strcmp(s, "gzip") == 0)
		*ret = BUNDLE_GZIP;
	else if (strcmp(s, "zstd") == 0)
		*ret = BUNDLE_ZSTD;
	else {
		*ret_err =
			xasprintf("%s must be gzip or zstd, not '%s'", what, s);
		return -EINVAL;
	}
	return 0;
}

int run_parse_priority(const char *what, const char *s, bool *ret_normal,
		       char **ret_err)
{
	if (strcmp(s, "low") == 0)
		*ret_normal = false;
	else if (strcmp(s, "normal") == 0)
		*ret_normal = true;
	else {
		*ret_err = xasprintf("%s must be low or normal, not '%s'", what,
				     s);
		return -EINVAL;
	}
	return 0;
}

int run_plan_apply_config(struct run_plan *p, char **ret_err)
{
	const struct config *c = &p->config;
	const char *key = NULL, *s;
	unsigned long long v;
	int r = 0;

	if ((s = config_get(c, "agent", "out_dir"))) {
		free(p->out_dir);
		p->out_dir = xstrdup(s);
	}
	if ((s = config_get(c, "agent", key = "timeout"))) {
		if ((r = run_parse_number("[agent] timeout", s, 1, 86400, true,
					  &v, ret_err)) < 0)
			goto out;
		p->timeout_s = (unsigned)v;
	}
	if ((s = config_get(c, "agent", key = "jobs"))) {
		if ((r = run_parse_number("[agent] jobs", s, 1, 64, false, &v,
					  ret_err)) < 0)
			goto out;
		p->jobs = (unsigned)v;
	}
	if ((s = config_get(c, "agent", key = "min_free_mb"))) {
		if ((r = run_parse_number("[agent] min_free_mb", s, 0, 1048576,
					  false, &v, ret_err)) < 0)
			goto out;
		p->min_free_mb = v;
	}
	if ((s = config_get(c, "agent", key = "compress")) &&
	    (r = run_parse_compress("[agent] compress", s, &p->compress,
				    ret_err)) < 0)
		goto out;
	if ((s = config_get(c, "agent", key = "priority")) &&
	    (r = run_parse_priority("[agent] priority", s, &p->normal_priority,
				    ret_err)) < 0)
		goto out;
	if ((s = config_get(c, "agent", key = "host_label"))) {
		if (!fs_name_ok(s, 64)) {
			*ret_err = xasprintf("[agent] host_label may use only "
					     "letters, digits, '.', '-' and "
					     "'_', not '%s'",
					     s);
			r = -EINVAL;
			goto out;
		}
		free(p->host);
		p->host = xstrdup(s);
	}
out:
	/* Name the file and line (or the flag) the bad value came from. */
	if (r < 0)
		config_blame(c, "agent", key, ret_err);
	return r;
}

static bool in_list(char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

void run_plan_select(struct run_plan *p, const struct collector *const *table,
		     char *const *only, char *const *skip)
{
	size_t n = 0;

	for (const struct collector *const *c = table; *c; c++)
		n++;
	free(p->selected);
	p->selected = xcalloc(n + 1, sizeof(*p->selected));
	p->nselected = 0;
	for (const struct collector *const *c = table; *c; c++) {
		if (only ? !in_list(only, (*c)->name)
			 : ((*c)->flags & COLLECTOR_OPT_IN) != 0)
			continue;
		if (in_list(skip, (*c)->name))
			continue;
		p->selected[p->nselected++] = *c;
	}
}
