/*
 * `rdiag upload BUNDLE --to URL`: send a bundle (or any regular file) to the
 * vendor and write its receipt. The options are the command line merged
 * with [upload] of the config files; secrets never come from argv.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/config.h"
#include "core/log.h"
#include "core/redact.h"
#include "upload/upload.h"

#define UPLOAD_USAGE                                                           \
	"usage: rdiag upload BUNDLE --to URL [options]\n"                      \
	"  --to URL                https://HOST/PATH, s3://BUCKET/KEY,\n"      \
	"                          sftp://USER@HOST[:PORT]/PATH,\n"            \
	"                          tus+https://HOST/PATH or file:///PATH;\n"   \
	"                          a ticket: redmine+https://HOST[/PATH],\n"   \
	"                          rt+https://HOST[/PATH],\n"                  \
	"                          jira+https://HOST,\n"                       \
	"                          zendesk+https://SUBDOMAIN.zendesk.com\n"    \
	"  --ticket ID             the ticket (default: the bundle's)\n"       \
	"  --form FIELD            https: multipart POST with the bundle in\n" \
	"                          FIELD instead of a PUT\n"                   \
	"  --config FILE           read FILE after /etc/rdiag/rdiag.conf\n"    \
	"  --force                 send again what a receipt says arrived\n"   \
	"  --remove-after-upload   delete the bundle once the server has it\n" \
	"  --json                  print the receipt as one JSON object\n"     \
	"  -q, --quiet             no progress, no receipt text\n"             \
	"  -v, --verbose           log to stderr as well\n"                    \
	"Credentials come from the environment (RDIAG_UPLOAD_PASSWORD,\n"      \
	"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"       \
	"RDIAG_TICKET_TOKEN, RDIAG_TICKET_USER, ...)\n"                        \
	"or a 0600 config file, never from the command line.\n"

enum {
	OPT_TO = 256,
	OPT_FORM,
	OPT_CONFIG,
	OPT_FORCE,
	OPT_REMOVE,
	OPT_JSON,
	OPT_TICKET,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "form", required_argument, NULL, OPT_FORM },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "remove-after-upload", no_argument, NULL, OPT_REMOVE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ticket", required_argument, NULL, OPT_TICKET },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
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
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qv", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_TO:
			to = optarg;
			break;
		case OPT_FORM:
			form = optarg;
			break;
		case OPT_CONFIG:
			user_config = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_REMOVE:
			remove_after = true;
			break;
		case OPT_TICKET:
			ticket = optarg;
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
		case OPT_HELP:
			fputs(UPLOAD_USAGE, stdout);
			rc = 0;
			goto out;
		default:
			rc = cmd_getopt_error("upload", c, argv);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = error_usage("upload", "which bundle? rdiag upload "
					   "BUNDLE --to URL");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = error_usage("upload", "unexpected argument '%s'",
				 argv[optind + 1]);
		goto out;
	}
	if (!to) {
		rc = error_usage("upload", "--to URL is required");
		goto out;
	}
	if ((rc = load_configs(&cfg, user_config)) != 0)
		goto out;
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
	rc = upload_cmd_run(argv[optind], to, &o);
	log_set_verbose(false, NULL);
out:
	redactor_free(red);
	config_release(&cfg);
	free(err);
	return rc;
}

const struct command cmd_upload_entry = {
	.name = "upload",
	.summary = "send a bundle to the vendor (https, s3, sftp, tus, file)",
	.usage = UPLOAD_USAGE,
	.run = cmd_upload,
};
