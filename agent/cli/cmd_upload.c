/*
 * `rdiag upload BUNDLE --to URL`: send a bundle (or any regular file) to the
 * vendor and write its receipt. The options are the command line merged
 * with [upload] of the config files; secrets never come from argv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/config.h"
#include "core/log.h"
#include "core/redact.h"
#include "rdiag/i18n.h"
#include "upload/upload.h"

enum {
	OPT_TO = 256,
	OPT_FORM,
	OPT_CONFIG,
	OPT_FORCE,
	OPT_REMOVE,
	OPT_JSON,
	OPT_TICKET,
};

static const struct args_opt upload_opts[] = {
	{ OPT_TO, "to", 0, "URL",
	  "(default: [upload] to of the config)\n"
	  "https://HOST/PATH, s3://BUCKET/KEY,\n"
	  "sftp://USER@HOST[:PORT]/PATH,\n"
	  "tus+https://HOST/PATH or file:///PATH;\n"
	  "a ticket: redmine+https://HOST[/PATH],\n"
	  "rt+https://HOST[/PATH],\n"
	  "jira+https://HOST,\n"
	  "zendesk+https://SUBDOMAIN.zendesk.com",
	  0 },
	{ OPT_TICKET, "ticket", 0, "ID", "the ticket (default: the bundle's)",
	  0 },
	{ OPT_FORM, "form", 0, "FIELD",
	  "https: multipart POST with the bundle in\n"
	  "FIELD instead of a PUT",
	  0 },
	{ OPT_CONFIG, "config", 0, "FILE",
	  "read FILE after /etc/rdiag/rdiag.conf", 0 },
	{ OPT_FORCE, "force", 0, NULL, "send again what a receipt says arrived",
	  0 },
	{ OPT_REMOVE, "remove-after-upload", 0, NULL,
	  "delete the bundle once the server has it", 0 },
	{ OPT_JSON, "json", 0, NULL, "print the receipt as one JSON object",
	  0 },
	{ 'q', "quiet", 'q', NULL, "no progress, no receipt text", 0 },
	{ 'v', "verbose", 'v', NULL, "log to stderr as well", 0 },
	{ 0 },
};

static const struct args_exit upload_exits[] = {
	{ EXIT_CLEAN, "sent, and the server confirmed it" },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "the bundle no longer matches its sidecar" },
	{ EXIT_UNAVAILABLE, "the server or the ticket system failed" },
	{ EXIT_INTERRUPTED,
	  "interrupted; the command to send it later is printed" },
	{ -1, NULL },
};

static const struct args_spec upload_args = {
	.cmd = "upload",
	.head = "usage: rdiag upload BUNDLE --to URL [options]\n",
	.opts = { upload_opts },
	.tail = "Credentials come from the environment "
		"(RDIAG_UPLOAD_PASSWORD,\n"
		"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
		"RDIAG_TICKET_TOKEN, RDIAG_TICKET_USER, ...)\n"
		"or a 0600 config file, never from the command line.\n"
		"Transient failures (HTTP 5xx and 429, timeouts, refused or "
		"reset\n"
		"connections) are retried ([upload] retries); permanent ones "
		"(a\n"
		"file:// directory that is not there, HTTP 400/401/403/404, a "
		"host\n"
		"name that does not resolve) fail at once. Either way the "
		"bundle\n"
		"is kept and the command to send it later is printed.\n",
	.exits = upload_exits,
};

static int load_configs(struct config *c, const char *user_config)
{
	char *err = NULL;

	if (config_load_files(c, user_config, config_schema(), &err) < 0) {
		error_msg("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_upload(int argc, char **argv)
{
	struct args a;
	int rest;
	struct config cfg;
	struct upload_opts o;
	struct redactor *red = NULL;
	const char *to = NULL, *form = NULL, *user_config = NULL,
		   *ticket = NULL;
	bool force = false, remove_after = false, json = false, quiet = false,
	     verbose = false;
	char *err = NULL;
	int c, rc;

	config_init(&cfg);
	args_init(&a, &upload_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_TO:
			to = a.value;
			break;
		case OPT_FORM:
			form = a.value;
			break;
		case OPT_CONFIG:
			user_config = a.value;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_REMOVE:
			remove_after = true;
			break;
		case OPT_TICKET:
			ticket = a.value;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (rest >= argc) {
		rc = error_usage("upload", "which bundle? rdiag upload "
					   "BUNDLE --to URL");
		goto out;
	}
	if (rest + 1 < argc) {
		rc = error_usage("upload", "unexpected argument '%s'",
				 argv[rest + 1]);
		goto out;
	}
	if ((rc = load_configs(&cfg, user_config)) != 0)
		goto out;
	/* The vendor's default target, as `run --upload` uses it. */
	if (!to)
		to = config_get(&cfg, "upload", "to");
	if (!to) {
		rc = error_usage("upload", "--to URL is required");
		goto out;
	}
	if (upload_opts_load(&o, &cfg, &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	o.form_field = form;
	o.force = force;
	o.remove_after = remove_after;
	o.json = json;
	o.ticket = ticket;
	o.quiet = quiet;
	o.progress = !quiet && !json && isatty(STDERR_FILENO);
	/* --verbose lines pass the redactor like rdiag run's. */
	red = redactor_new();
	log_set_verbose(verbose, red);
	rc = upload_cmd_run(argv[rest], to, &o);
	log_set_verbose(false, NULL);
out:
	redactor_free(red);
	config_release(&cfg);
	free(err);
	return rc;
}

const struct command cmd_upload_entry = {
	.name = "upload",
	.summary =
		N_("send a bundle to the vendor (https, s3, sftp, tus, file)"),
	.args = &upload_args,
	.run = cmd_upload,
};
