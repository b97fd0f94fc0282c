/*
 * `rdiag run`: load the config, pick the collectors, run them in parallel
 * under deadlines, redact what they found, pack the bundle, print the
 * verdict. This file is the data path of design.md in order; each step's
 * machinery lives in its own module (config, runner, redact, bundle, report).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/run_opts.h"
#include "core/bundle.h"
#include "core/config.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/report.h"
#include "core/runner.h"
#include "core/sign_run.h"
#include "platform/fsutil.h"
#include "platform/proc.h"
#include "rdiag/buf.h"
#include "registry.h"
#include "request/request_run.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct progress_state {
	bool quiet;
	bool tty;
};

static void on_progress(void *arg, const struct collector_result *r, bool done,
			size_t index, size_t total)
{
	struct progress_state *ps = arg;
	char label[32];

	(void)index;
	if (done)
		log_msg("collector %s: %s%s%s (%lld ms, %zu records, %zu "
			"rejected)",
			r->collector->name, collector_status_name(r->status),
			r->reason ? ": " : "", r->reason ? r->reason : "",
			(long long)r->duration_ms, json_array_size(r->records),
			r->rejected);
	else
		log_msg("collector %s: started", r->collector->name);
	if (ps->quiet || !done)
		return;
	fprintf(stderr, "  %-16s %-11s %6.1f s%s%s\n", r->collector->name,
		report_collector_label(r, label, sizeof(label)),
		(double)r->duration_ms / 1000.0, r->reason ? "  " : "",
		r->reason ? r->reason : "");
	(void)total;
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
	if (fwrite(data, 1, len, f) != len)
		r = -EIO;
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

static void manifest_base(struct run_manifest *rm, const struct run_opts *o,
			  const struct collector_result *res, size_t n,
			  time_t started, struct redactor *red)
{
	struct buf clean;

	memset(rm, 0, sizeof(*rm));
	utc_iso8601(started, rm->started, sizeof(rm->started));
	utc_iso8601(time(NULL), rm->finished, sizeof(rm->finished));
	buf_init(&clean, 1 << 20);
	redact_buf(red, o->command_line, strlen(o->command_line), &clean);
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
		.host = o->host,
		.ticket = o->ticket,
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
			 char **ret_err)
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
		q = bundle_add_file(b, arc, src, true, &err);
		if (q < 0) {
			/* A declared artifact that is missing or unsafe is
			 * the collector's problem, not the bundle's. */
			log_msg("artifact '%s' of %s not bundled: %s, "
				"ignoring",
				p, r->collector->name,
				err ? err : strerror(-q));
			if (q != -ENOENT && q != -EINVAL && q != -ELOOP) {
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

static int build_bundle(const struct run_opts *o, const char *staging,
			struct collector_result *res, size_t n,
			json_t *findings,
			const struct bundle_manifest *manifest,
			struct redactor *red, struct sign_run *sr,
			struct verdict *v, char **ret_path, char ret_sha[65],
			char **ret_err)
{
	struct bundle *b = NULL;
	char stamp[32], *base, *path, *enc;
	int r;

	utc_stamp(stamp, sizeof(stamp));
	base = xasprintf("rdiag-%s-%s-%s", o->host,
			 o->ticket ? o->ticket : "noticket", stamp);
	/* Encrypted: the plain bundle exists only inside private staging. */
	r = bundle_open(sr->encrypt ? staging : o->out_dir, base, o->compress,
			red, &b, ret_err);
	free(base);
	if (r < 0)
		return r;
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
			r = add_artifacts(b, &res[i], ret_err);
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
		char *fpath = xasprintf("%s/findings.json", staging);
		char *rpath = xasprintf("%s/report.txt", staging);
		FILE *rf;

		r = write_json_file(fpath, findings);
		if (r == 0)
			r = bundle_add_file(b, BUNDLE_FINDINGS, fpath, true,
					    ret_err);
		if (r == 0 && (rf = fopen(rpath, "wx"))) {
			report_text(rf, v, false, true);
			fclose(rf);
			r = bundle_add_file(b, BUNDLE_REPORT, rpath, true,
					    ret_err);
		}
		free(fpath);
		free(rpath);
	}
	if (r == 0) {
		char *lpath = xasprintf("%s/rdiag.log", staging);

		log_msg("bundle complete; writing manifest");
		r = bundle_add_file(b, BUNDLE_LOG, lpath, true, ret_err);
		free(lpath);
	}
	if (r < 0) {
		bundle_abort(b);
		return r;
	}
	r = bundle_close(b, manifest, &path, &v->bundle_size, ret_sha, ret_err);
	if (r < 0)
		return r;
	if (sr->encrypt) {
		r = sign_run_encrypt(sr, path, o->out_dir, &enc,
				     &v->bundle_size, ret_sha, ret_err);
		free(path);
		if (r < 0)
			return r;
		path = enc;
	}
	*ret_path = path;
	return 0;
}

static bool use_colour(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term &&
	       strcmp(term, "dumb") != 0;
}

static int check_out_dir(const struct run_opts *o)
{
	struct stat sb;
	uint64_t free_bytes, floor = o->min_free_mb * 1024ull * 1024ull;
	int r;

	if (stat(o->out_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		error_msg("output directory '%s' does not exist", o->out_dir);
		return EXIT_CANTCREAT;
	}
	if (access(o->out_dir, W_OK | X_OK) < 0) {
		error_msg("cannot write to output directory '%s': %s",
			  o->out_dir, strerror(errno));
		return EXIT_CANTCREAT;
	}
	if ((r = fs_free_bytes(o->out_dir, &free_bytes)) < 0) {
		error_msg("cannot measure free space under '%s': %s",
			  o->out_dir, strerror(-r));
		return EXIT_CANTCREAT;
	}
	if (free_bytes < floor) {
		char have[32], need[32];

		format_size(free_bytes, have, sizeof(have));
		format_size(floor, need, sizeof(need));
		error_msg("only %s free under '%s', need at least %s "
			  "(min_free_mb); free space or use --out",
			  have, o->out_dir, need);
		return EXIT_CANTCREAT;
	}
	return 0;
}

int cmd_run_execute(struct run_opts *o)
{
	struct redactor *red = NULL;
	struct collector_result *res = NULL;
	struct progress_state ps;
	struct verdict v;
	struct upload_opts uo;
	struct sign_run sr = { 0 };
	json_t *findings = NULL;
	struct run_manifest manifest = { 0 };
	char *staging = NULL, *logpath = NULL, *bundle_path = NULL;
	char *err = NULL, sha[65] = "";
	time_t started = time(NULL);
	size_t n = 0;
	int rc, r;

	if (!o->no_bundle && (rc = check_out_dir(o)) != 0)
		goto out;
	if (sign_run_load(&sr, o->sign_key, o->encrypt_to, &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o->upload_url) {
		struct upload_url uu;
		struct ticket_url tu;
		struct ticket_opts to;

		/* Refuse a bad target or [upload] before collecting anything.
		 */
		if (ticket_url_is(o->upload_url)) {
			if (ticket_url_parse(o->upload_url, &tu, &err) < 0 ||
			    ticket_opts_load(&to, &o->config, &err) < 0) {
				error_msg("%s", err);
				rc = EXIT_USAGE;
				goto out;
			}
			ticket_url_release(&tu);
			if (!o->ticket) {
				rc = error_usage("run", "a ticket target needs "
							"--ticket ID");
				goto out;
			}
		} else if (upload_url_parse(o->upload_url, &uu, &err) < 0) {
			error_msg("%s", err);
			rc = EXIT_USAGE;
			goto out;
		} else {
			upload_url_release(&uu);
		}
		if (upload_opts_load(&uo, &o->config, &err) < 0) {
			error_msg("%s", err);
			rc = EXIT_USAGE;
			goto out;
		}
		uo.ticket = o->ticket;
		uo.remove_after = o->remove_after_upload;
		uo.quiet = o->quiet || o->json;
		uo.progress = !uo.quiet && isatty(STDERR_FILENO);
	}
	proc_catch_stop_signals(on_signal);
	red = redactor_new();
	staging = xasprintf(
		"%s/.rdiag-staging-XXXXXX",
		o->no_bundle ? (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp")
			     : o->out_dir);
	if (!mkdtemp(staging)) {
		error_msg("cannot create a staging directory '%s': %s", staging,
			  strerror(errno));
		rc = EXIT_CANTCREAT;
		goto out;
	}
	logpath = xasprintf("%s/rdiag.log", staging);
	if ((r = log_open(logpath)) < 0) {
		error_msg("cannot create '%s': %s", logpath, strerror(-r));
		rc = EXIT_CANTCREAT;
		goto out;
	}
	log_set_verbose(o->verbose, red);
	log_msg("rdiag %s run on %s: %s", RDIAG_VERSION, o->host,
		o->command_line);
	ps.quiet = o->quiet;
	ps.tty = isatty(STDERR_FILENO);
	if (!o->quiet)
		fprintf(stderr,
			"rdiag: running %zu collector%s (at most %u s)\n",
			o->nselected, o->nselected == 1 ? "" : "s",
			o->timeout_s);
	{
		struct runner_opts ro = {
			.selected = o->selected,
			.config = &o->config,
			.staging_root = staging,
			.jobs = o->jobs,
			.run_deadline_ms = now_ms() + o->timeout_s * 1000ll,
			.since = o->since,
			.root = "",
			.interrupted = &interrupted,
			.progress = on_progress,
			.progress_arg = &ps,
		};

		if ((r = runner_run(&ro, &res, &n)) < 0) {
			error_msg("cannot run collectors: %s", strerror(-r));
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
	if (interrupted) {
		error_msg("interrupted; no bundle written");
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
	v.host = o->host;
	v.ticket = o->ticket;
	if (!o->no_bundle) {
		if (!o->quiet)
			fprintf(stderr, "rdiag: writing bundle\n");
		manifest_base(&manifest, o, res, n, started, red);
		r = build_bundle(o, staging, res, n, findings, &manifest.m, red,
				 &sr, &v, &bundle_path, sha, &err);
		if (r < 0) {
			if (r == -EINTR)
				error_msg("interrupted; no bundle written");
			else
				error_msg("cannot write the bundle: %s",
					  err ? err : strerror(-r));
			rc = r == -EINTR ? EXIT_INTERRUPTED
			     : (r == -ENOSPC || r == -EACCES || r == -EROFS)
				     ? EXIT_CANTCREAT
				     : EXIT_SOFTWARE;
			goto out;
		}
		v.bundle_path = bundle_path;
		v.sha256 = sha;
	}
	if (o->json) {
		json_t *j = report_json(&v);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else if (!o->quiet || verdict_exit_code(&v) != 0) {
		fputc('\n', stdout);
		report_text(stdout, &v, use_colour(), false);
	}
	fflush(stdout);
	rc = verdict_exit_code(&v);
	if (o->upload_url && bundle_path) {
		int urc = upload_cmd_run(bundle_path, o->upload_url, &uo);

		if (urc != 0)
			rc = urc;
	}
out:
	log_close();
	if (staging && fs_remove_tree(staging) < 0)
		error_msg("cannot remove staging directory '%s', ignoring",
			  staging);
	runner_results_free(res, n);
	json_decref(findings);
	run_manifest_release(&manifest);
	redactor_free(red);
	sign_run_release(&sr);
	free(staging);
	free(logpath);
	free(bundle_path);
	free(err);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int rc;

	if ((rc = run_opts_parse(&o, argc, argv)) != 0) {
		rc = rc == -1 ? 0 : rc;
		goto out;
	}
	if (o.request && (rc = request_run_prepare(&o)) != 0)
		goto out;
	rc = cmd_run_execute(&o);
out:
	run_opts_release(&o);
	return rc;
}

const struct command cmd_run_entry = {
	.name = "run",
	.summary = "run the collectors, write a bundle and print the verdict",
	.usage = RUN_OPTS_USAGE,
	.run = cmd_run,
};
