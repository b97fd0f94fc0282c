/*
 * `rdiag run`: parse the options into a run plan (run_opts.c), let a
 * signed request fill it when there is one, and run it (core/run.c). This
 * file is what the person at the terminal sees of a run: the progress
 * lines, errors, the verdict and the upload step, as the plan's observer.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/run_opts.h"
#include "core/bundle_format.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/report.h"
#include "core/run.h"
#include "platform/platform.h"
#include "request/request_run.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

static bool use_colour(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term &&
	       strcmp(term, "dumb") != 0;
}

/* ---- the terminal observer ---- */

static struct run_cli *cli_of(struct run_observer *ob)
{
	return (struct run_cli *)((char *)ob - offsetof(struct run_cli, ob));
}

static void on_started(struct run_observer *ob, const struct run_plan *p)
{
	struct run_cli *c = cli_of(ob);
	unsigned cols = 0, rows = 0;

	(void)platform_term_size(STDERR_FILENO, &cols, &rows);
	run_progress_init(&c->progress,
			  run_progress_mode_for(c->quiet, c->json,
						platform_isatty(STDERR_FILENO),
						getenv("TERM")),
			  stderr, cols);
	if (!c->quiet)
		fprintf(stderr,
			i18n_ngettext("rdiag: running %zu collector (at most "
				      "%u s)\n",
				      "rdiag: running %zu collectors (at most "
				      "%u s)\n",
				      p->nselected),
			p->nselected, p->timeout_s);
}

static void on_collector(struct run_observer *ob, const struct run_plan *p,
			 const struct collector_result *r, bool done)
{
	struct run_cli *c = cli_of(ob);
	char label[64], reason[512];

	(void)p;
	run_progress_collector(&c->progress, r, done);
	if (c->quiet || !done)
		return;
	run_progress_clear(&c->progress);
	fprintf(stderr, "  %-16s %-11s %6.1f s%s%s\n", r->collector->name,
		report_collector_label(r, label, sizeof(label)),
		(double)r->duration_ms / 1000.0, r->reason ? "  " : "",
		r->reason ? i18n_display(r->reason, reason, sizeof(reason))
			  : "");
}

static void on_tick(struct run_observer *ob, const struct run_plan *p)
{
	(void)p;
	run_progress_tick(&cli_of(ob)->progress, now_ms(), false);
}

static void on_writing_bundle(struct run_observer *ob, const struct run_plan *p)
{
	struct run_cli *c = cli_of(ob);

	(void)p;
	run_progress_clear(&c->progress);
	run_progress_writing(&c->progress, now_ms());
	if (!c->quiet)
		fputs(_("rdiag: writing bundle\n"), stderr);
	run_progress_tick(&c->progress, now_ms(), true);
}

static void on_bundle_progress(struct run_observer *ob,
			       const struct run_plan *p, uint64_t written)
{
	struct run_cli *c = cli_of(ob);

	(void)p;
	run_progress_written(&c->progress, written);
	run_progress_tick(&c->progress, now_ms(), false);
}

static void on_error(struct run_observer *ob, const char *msg)
{
	struct run_cli *c = cli_of(ob);

	run_progress_clear(&c->progress);
	if (!c->first_error)
		c->first_error = xstrdup(msg);
	error_msg("%s", msg);
}

static void on_finished(struct run_observer *ob, const struct run_plan *p,
			const struct verdict *v)
{
	struct run_cli *c = cli_of(ob);

	(void)p;
	run_progress_clear(&c->progress);
	run_progress_release(&c->progress);
	free(c->bundle);
	c->bundle = v->bundle_path ? xstrdup(v->bundle_path) : NULL;
	if (c->json) {
		/* Printed at the end, with the upload and the exit code. */
		json_decref(c->verdict);
		c->verdict = report_json(v);
	} else if (!c->quiet || verdict_exit_code(v) != 0) {
		fputc('\n', stdout);
		report_text_local(stdout, v, use_colour(), false);
	}
	fflush(stdout);
}

/* Check url and load [upload] into c->uo; 0 or an exit code. */
static int upload_check(struct run_cli *c, const struct run_plan *p,
			const char *url)
{
	struct upload_url uu;
	struct ticket_url tu;
	struct ticket_opts to;
	char *err = NULL;
	int rc = 0;

	if (ticket_url_is(url)) {
		if (ticket_url_parse(url, &tu, &err) < 0 ||
		    ticket_opts_load(&to, &p->config, &err) < 0) {
			on_error(&c->ob, err);
			rc = EXIT_USAGE;
			goto out;
		}
		ticket_url_release(&tu);
		if (!p->ticket) {
			rc = error_usage("run", "a ticket target needs "
						"--ticket ID");
			if (!c->first_error)
				c->first_error = xstrdup("a ticket target "
							 "needs --ticket ID");
			goto out;
		}
	} else if (upload_url_parse(url, &uu, &err) < 0) {
		on_error(&c->ob, err);
		rc = EXIT_USAGE;
		goto out;
	} else {
		upload_url_release(&uu);
	}
	if (upload_opts_load(&c->uo, &p->config, &err) < 0) {
		on_error(&c->ob, err);
		rc = EXIT_USAGE;
		goto out;
	}
	c->uo.ticket = p->ticket;
	c->uo.remove_after = p->remove_after_upload;
	c->uo.quiet = c->quiet || c->json;
	c->uo.progress = !c->uo.quiet && isatty(STDERR_FILENO);
out:
	free(err);
	return rc;
}

static int on_upload_prepare(struct run_observer *ob, const struct run_plan *p)
{
	return upload_check(cli_of(ob), p, p->upload_url);
}

static int send_bundle(struct run_cli *c, const char *bundle, const char *url)
{
	json_decref(c->upload);
	c->upload = NULL;
	return upload_cmd_run_result(bundle, url, &c->uo,
				     c->json ? &c->upload : NULL);
}

static int on_upload(struct run_observer *ob, const struct run_plan *p,
		     const char *bundle_path)
{
	return send_bundle(cli_of(ob), bundle_path, p->upload_url);
}

void run_cli_init(struct run_cli *c, bool quiet, bool json)
{
	memset(c, 0, sizeof(*c));
	c->ob = (struct run_observer){
		.started = on_started,
		.collector = on_collector,
		.tick = on_tick,
		.writing_bundle = on_writing_bundle,
		.bundle_progress = on_bundle_progress,
		.error = on_error,
		.finished = on_finished,
		.upload_prepare = on_upload_prepare,
		.upload = on_upload,
	};
	c->quiet = quiet;
	c->json = json;
	utc_iso8601(time(NULL), c->started, sizeof(c->started));
}

void run_cli_release(struct run_cli *c)
{
	run_progress_release(&c->progress);
	json_decref(c->verdict);
	json_decref(c->upload);
	free(c->bundle);
	free(c->first_error);
	c->verdict = c->upload = NULL;
	c->bundle = c->first_error = NULL;
}

/* "Send it now to URL? [y/N]" on the terminal: true for y or yes. */
static bool ask_send(const char *shown)
{
	char line[32];

	fprintf(stderr, _("Send it now to %s? [y/N] "), shown);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		fputc('\n', stderr);
		return false;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0 ||
	       i18n_yes_local(line);
}

static void say_next_step(const char *bundle, bool configured)
{
	printf(_("Send this file to your support: rdiag upload %s%s\n"), bundle,
	       configured ? "" : " --to URL");
	fflush(stdout);
}

/*
 * The run's last words without --upload: offer the vendor's configured
 * target on a terminal, or say how to send the bundle.
 */
static int next_step(struct run_cli *c, const struct run_plan *p, int rc)
{
	const char *to = config_get(&p->config, "upload", "to");
	char *shown;
	bool yes;
	int urc;

	if (c->quiet || c->json || !c->bundle)
		return rc;
	fputc('\n', stdout);
	if (!to || !platform_isatty(STDIN_FILENO) ||
	    !platform_isatty(STDERR_FILENO)) {
		say_next_step(c->bundle, to != NULL);
		return rc;
	}
	fflush(stdout);
	shown = upload_url_scrub(to);
	yes = ask_send(shown);
	free(shown);
	if (!yes) {
		say_next_step(c->bundle, true);
		return rc;
	}
	if ((urc = upload_check(c, p, to)) == 0) {
		/* --verbose lines pass a redactor, as in rdiag upload. */
		struct redactor *red = redactor_new();

		log_set_verbose(p->verbose, red);
		urc = send_bundle(c, c->bundle, to);
		log_set_verbose(false, NULL);
		redactor_free(red);
	}
	return urc != 0 ? urc : rc;
}

int run_cli_end(struct run_cli *c, const struct run_plan *p, int rc)
{
	char finished[32];
	json_t *j;

	run_progress_clear(&c->progress);
	if (!p->upload_url)
		rc = next_step(c, p, rc);
	if (!c->json)
		return rc;
	/* Every --json run ends with one object whose exit_code is ours. */
	utc_iso8601(time(NULL), finished, sizeof(finished));
	j = c->verdict
		    ? json_incref(c->verdict)
		    : json_pack("{s:s, s:s?}", "format", BUNDLE_FORMAT_VERDICT,
				"error", c->first_error);
	json_object_set_new(j, "rdiag_version", json_string(RDIAG_VERSION));
	json_object_set_new(j, "started", json_string(c->started));
	json_object_set_new(j, "finished", json_string(finished));
	json_object_set_new(j, "upload",
			    c->upload ? json_incref(c->upload) : json_null());
	json_object_set_new(j, "exit_code", json_integer(rc));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(j);
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
	if (o.request) {
		/* A refused request still ends a --json run with one object
		 * that says why. */
		error_keep_first(&o.cli.first_error);
		rc = request_run_prepare(&o.plan, o.request);
		error_keep_first(NULL);
		if (rc != 0) {
			rc = run_cli_end(&o.cli, &o.plan, rc);
			goto out;
		}
	}
	rc = run_execute(&o.plan);
	rc = run_cli_end(&o.cli, &o.plan, rc);
out:
	run_opts_release(&o);
	return rc;
}

const struct command cmd_run_entry = {
	.name = "run",
	.summary =
		N_("run the collectors, write a bundle and print the verdict"),
	.args = &run_opts_args,
	.run = cmd_run,
};
