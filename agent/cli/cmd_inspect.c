/*
 * `rdiag inspect BUNDLE`: prove a bundle is intact (sidecar, every file
 * against the manifest, the signature, nothing extra or missing), then show
 * it as the customer saw it: the verdict, the collectors' statuses and the
 * key facts of each collector. --json for tools, --html for people.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/review_cli.h"
#include "core/bundle_format.h"
#include "core/i18n.h"
#include "core/report.h"
#include "review/html.h"

/* Facts per collector in the text output; --json and --html show all. */
#define INSPECT_FACTS 12

enum {
	OPT_JSON = 256,
	OPT_HTML,
	OPT_FORCE,
};

static const struct args_opt inspect_opts[] = {
	{ OPT_JSON, "json", 0, NULL, "print the result as one JSON object", 0 },
	{ OPT_HTML, "html", 0, "FILE",
	  "also write a self-contained HTML report (mode 0600)", 0 },
	{ OPT_FORCE, "force", 0, NULL, "replace an existing --html file", 0 },
	{ 0 },
};

static const struct args_exit inspect_exits[] = {
	{ EXIT_CLEAN, "intact" },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "not intact or not trusted (with the reason)" },
	{ EXIT_SOFTWARE, NULL },
	{ EXIT_CANTCREAT, "the --html file cannot be written" },
	{ -1, NULL },
};

static const struct args_spec inspect_args = {
	.cmd = "inspect",
	.head = "usage: rdiag inspect BUNDLE [options]\n",
	.opts = { inspect_opts, review_cli_opts },
	.exits = inspect_exits,
};

static void print_names(FILE *out, json_t *names)
{
	size_t i;
	json_t *v;

	if (json_array_size(names) == 0)
		fputs(_(" (none)"), out);
	json_array_foreach(names, i, v)
		fprintf(out, "%s %s", i ? "," : "", json_string_value(v));
	fputc('\n', out);
}

/*
 * A part made by `rdiag export` says so before anything else, so that
 * nobody reads its short verdict as the whole machine's.
 */
static void print_partial(FILE *out, const struct review *r)
{
	struct bundle_export_origin o;
	char *err = NULL;
	int k = bundle_export_origin_read(&r->man, &o, &err);

	if (k == 0)
		return;
	if (k < 0) {
		fprintf(out,
			_("PARTIAL BUNDLE: exported from another bundle, "
			  "but it does not say which (%s)\n"),
			err);
		fputc('\n', out);
		free(err);
		return;
	}
	/* The customer's or partner's language: shown, never stored. */
	fprintf(out, _("PARTIAL BUNDLE: exported from %s\n"), o.bundle);
	if (o.sha256)
		fprintf(out, _("  source sha256    %s\n"), o.sha256);
	fputs(_("  collectors kept "), out);
	print_names(out, o.collectors);
	fputs(_("  left out        "), out);
	if (o.left_out)
		print_names(out, o.left_out);
	else
		fputs(_(" not recorded (exported by an older rdiag)\n"), out);
	fputs(_("  Everything below covers only the collectors kept.\n"), out);
	fputc('\n', out);
}

static void print_integrity(FILE *out, const struct review *r)
{
	fprintf(out, _("Bundle %s is intact:\n"), r->path);
	fprintf(out, _("  sidecar    %s\n"),
		r->sidecar == REVIEW_SIDECAR_OK ? _("matches")
						: _("none beside the bundle"));
	fprintf(out, _("  files      %llu, every one matches manifest.json\n"),
		(unsigned long long)r->nfiles);
	if (r->is_signed)
		fprintf(out, _("  signature  valid, key %s%s\n"), r->signer,
			r->trusted ? _(" (trusted)")
				   : _(" (give --trust PUBKEY to require it)"));
	else
		fputs(_("  signature  not signed\n"), out);
	if (r->encrypted)
		fputs(_("  encrypted  yes (decrypted with --key)\n"), out);
	fprintf(out, _("  written    %s by rdiag %s, %s to %s\n"), r->host,
		r->agent_version ? r->agent_version : "?",
		r->started ? r->started : "?", r->finished ? r->finished : "?");
	fputc('\n', out);
}

static void print_details(FILE *out, const struct review *r)
{
	const char *rule;
	json_t *n;

	fputc('\n', out);
	fputs(_("Collectors:\n"), out);
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];

		char rej[96] = "", rbuf[512];
		const char *reason = NULL;

		if (c->rejected > 0)
			snprintf(rej, sizeof(rej), _(" (%lld rejected)"),
				 (long long)c->rejected);
		if (c->reason)
			reason = i18n_display(c->reason, rbuf, sizeof(rbuf));
		fprintf(out, _("  %-16s %-8s %6.1f s %6lld records%s%s%s%s\n"),
			c->name, c->status, (double)c->duration_ms / 1000.0,
			(long long)c->records,
			c->truncated ? _(" (truncated)") : "", rej,
			c->reason ? "  " : "", c->reason ? reason : "");
	}
	fputc('\n', out);
	fputs(_("Key facts:\n"), out);
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];
		size_t k, total = json_array_size(c->facts);
		json_t *f;

		fprintf(out, "  %s\n", c->name);
		if (total == 0)
			fputs(_("    (none)\n"), out);
		json_array_foreach(c->facts, k, f)
		{
			if (k == INSPECT_FACTS)
				break;
			fprintf(out, "    %s = %s\n",
				json_string_value(json_object_get(f, "key")),
				json_string_value(json_object_get(f, "value")));
		}
		if (total > INSPECT_FACTS)
			fprintf(out, _("    ... %zu more (--json or --html)\n"),
				total - INSPECT_FACTS);
	}
	if (r->redactions && json_object_size(r->redactions) > 0) {
		fputc('\n', out);
		fputs(_("Redacted before bundling:"), out);
		json_object_foreach(r->redactions, rule, n)
			fprintf(out, " %s %lld", rule,
				(long long)json_integer_value(n));
		fputc('\n', out);
	}
}

/*
 * "partial": whether the bundle is a part made by `rdiag export`, and
 * "exported_from": {bundle, sha256, manifest_sha256, collectors,
 * left_out} of its source (left_out null when the part does not say),
 * null for a whole bundle or when the part's record is unreadable.
 */
static void inspect_json_partial(const struct review *r, json_t *o)
{
	struct bundle_export_origin e;
	char *err = NULL;
	int k = bundle_export_origin_read(&r->man, &e, &err);

	free(err);
	json_object_set_new(o, "partial", json_boolean(k != 0));
	json_object_set_new(o, BUNDLE_EXPORTED_FROM,
			    k <= 0 ? json_null()
				   : json_pack("{s:s, s:s?, s:s?, s:O, s:O?}",
					       "bundle", e.bundle, "sha256",
					       e.sha256, "manifest_sha256",
					       e.manifest_sha256, "collectors",
					       e.collectors, "left_out",
					       e.left_out));
}

static json_t *inspect_json(struct review *r)
{
	struct verdict v;
	json_t *o = json_object(), *cols = json_array();

	review_verdict(r, &v);
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];

		json_array_append_new(
			cols,
			json_pack("{s:s, s:s, s:s?, s:I, s:I, s:b, s:I, s:O}",
				  "name", c->name, "status", c->status,
				  "reason", c->reason, "duration_ms",
				  (json_int_t)c->duration_ms, "records",
				  (json_int_t)c->records, "truncated",
				  c->truncated, "rejected",
				  (json_int_t)c->rejected, "facts", c->facts));
	}
	json_object_set_new(o, "format", json_string(BUNDLE_FORMAT_INSPECT));
	json_object_set_new(o, "intact", json_true());
	json_object_set_new(o, "bundle", json_string(r->path));
	json_object_set_new(o, "sha256", json_string(r->sha256));
	json_object_set_new(o, "size", json_integer((json_int_t)r->file_size));
	json_object_set_new(o, "encrypted", json_boolean(r->encrypted));
	json_object_set_new(
		o, "sidecar",
		json_string(r->sidecar == REVIEW_SIDECAR_OK ? "ok" : "none"));
	json_object_set_new(o, "signature",
			    json_pack("{s:b, s:s?, s:b}", "signed",
				      r->is_signed, "key",
				      r->is_signed ? r->signer : NULL,
				      "trusted", r->trusted));
	json_object_set_new(o, "files", json_integer((json_int_t)r->nfiles));
	json_object_set_new(o, "verdict", report_json(&v));
	json_object_set_new(o, "collectors", cols);
	json_object_set_new(o, "redactions",
			    r->redactions ? json_incref(r->redactions)
					  : json_object());
	inspect_json_partial(r, o);
	return o;
}

static int cmd_inspect(int argc, char **argv)
{
	struct args a;
	int rest;
	struct review_cli cli;
	struct review *r = NULL;
	const char *html = NULL;
	bool force = false;
	char *reason = NULL, *err = NULL;
	bool json = false;
	int c, rc = 0;

	review_cli_init(&cli, "inspect");
	args_init(&a, &inspect_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_HTML:
			html = a.value;
			break;
		case OPT_FORCE:
			force = true;
			break;
		default:
			review_cli_option(&cli, c, a.value);
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (argc - rest != 1) {
		rc = error_usage("inspect", "need exactly one BUNDLE");
		goto out;
	}
	if ((rc = review_cli_load_keys(&cli)) != 0)
		goto out;
	if ((rc = review_cli_open(&cli, argv[rest], NULL, &r, &reason)) != 0) {
		if (json) {
			json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "format",
					      BUNDLE_FORMAT_INSPECT, "intact",
					      0, "bundle", argv[rest], "error",
					      reason);

			if (o)
				json_dumpf(o, stdout,
					   JSON_INDENT(2) | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
			json_decref(o);
		}
		goto out;
	}
	if (html && html_write(r, html, force, &err) < 0) {
		error_msg("inspect: %s", err);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (json) {
		json_t *o = inspect_json(r);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		struct verdict v;

		print_partial(stdout, r);
		print_integrity(stdout, r);
		review_verdict(r, &v);
		report_text_local(stdout, &v, false, false);
		print_details(stdout, r);
		if (html)
			printf("\n");
		printf(_("HTML report: %s\n"), html);
	}
out:
	fflush(stdout);
	review_free(r);
	review_cli_release(&cli);
	free(reason);
	free(err);
	return rc;
}

const struct command cmd_inspect_entry = {
	.name = "inspect",
	.summary = N_(
		"verify a bundle and show its verdict, collectors and facts"),
	.args = &inspect_args,
	.run = cmd_inspect,
};
