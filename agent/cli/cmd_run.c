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
#include <unistd.h>

#include "cli/command.h"
#include "cli/run_opts.h"
#include "core/report.h"
#include "core/run.h"
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
	if (!cli_of(ob)->quiet)
		fprintf(stderr,
			"rdiag: running %zu collector%s (at most %u s)\n",
			p->nselected, p->nselected == 1 ? "" : "s",
			p->timeout_s);
}

static void on_collector(struct run_observer *ob, const struct run_plan *p,
			 const struct collector_result *r, bool done)
{
	char label[32];

	(void)p;
	if (cli_of(ob)->quiet || !done)
		return;
	fprintf(stderr, "  %-16s %-11s %6.1f s%s%s\n", r->collector->name,
		report_collector_label(r, label, sizeof(label)),
		(double)r->duration_ms / 1000.0, r->reason ? "  " : "",
		r->reason ? r->reason : "");
}

static void on_writing_bundle(struct run_observer *ob, const struct run_plan *p)
{
	(void)p;
	if (!cli_of(ob)->quiet)
		fprintf(stderr, "rdiag: writing bundle\n");
}

static void on_error(struct run_observer *ob, const char *msg)
{
	(void)ob;
	error_msg("%s", msg);
}

static void on_finished(struct run_observer *ob, const struct run_plan *p,
			const struct verdict *v)
{
	struct run_cli *c = cli_of(ob);

	(void)p;
	if (c->json) {
		json_t *j = report_json(v);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else if (!c->quiet || verdict_exit_code(v) != 0) {
		fputc('\n', stdout);
		report_text_local(stdout, v, use_colour(), false);
	}
	fflush(stdout);
}

static int on_upload_prepare(struct run_observer *ob, const struct run_plan *p)
{
	struct run_cli *c = cli_of(ob);
	struct upload_url uu;
	struct ticket_url tu;
	struct ticket_opts to;
	char *err = NULL;
	int rc = 0;

	if (ticket_url_is(p->upload_url)) {
		if (ticket_url_parse(p->upload_url, &tu, &err) < 0 ||
		    ticket_opts_load(&to, &p->config, &err) < 0) {
			error_msg("%s", err);
			rc = EXIT_USAGE;
			goto out;
		}
		ticket_url_release(&tu);
		if (!p->ticket) {
			rc = error_usage("run", "a ticket target needs "
						"--ticket ID");
			goto out;
		}
	} else if (upload_url_parse(p->upload_url, &uu, &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	} else {
		upload_url_release(&uu);
	}
	if (upload_opts_load(&c->uo, &p->config, &err) < 0) {
		error_msg("%s", err);
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

static int on_upload(struct run_observer *ob, const struct run_plan *p,
		     const char *bundle_path)
{
	return upload_cmd_run(bundle_path, p->upload_url, &cli_of(ob)->uo);
}

void run_cli_init(struct run_cli *c, bool quiet, bool json)
{
	memset(c, 0, sizeof(*c));
	c->ob = (struct run_observer){
		.started = on_started,
		.collector = on_collector,
		.writing_bundle = on_writing_bundle,
		.error = on_error,
		.finished = on_finished,
		.upload_prepare = on_upload_prepare,
		.upload = on_upload,
	};
	c->quiet = quiet;
	c->json = json;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int rc;

	if ((rc = run_opts_parse(&o, argc, argv)) != 0) {
		rc = rc == -1 ? 0 : rc;
		goto out;
	}
	if (o.request && (rc = request_run_prepare(&o.plan, o.request)) != 0)
		goto out;
	rc = run_execute(&o.plan);
out:
	run_opts_release(&o);
	return rc;
}

const struct command cmd_run_entry = {
	.name = "run",
	.summary = "run the collectors, write a bundle and print the verdict",
	.args = &run_opts_args,
	.run = cmd_run,
};
