/*
 * `rdiag approve`: the customer's admin lets a waiting request run (or
 * denies it). The agent runs approved requests at its next poll, after
 * verifying them again. Every decision goes to the agent's audit log.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/config_schema.h"
#include "request/agentd.h"

#define APPROVE_USAGE                                                    \
	"usage: rdiag approve [--config FILE] ID\n"                      \
	"       rdiag approve [--config FILE] --deny ID\n"               \
	"       rdiag approve [--config FILE] --list\n"                  \
	"  lets the agent run request ID (shown by --list, and in the\n" \
	"  audit log) at its next poll; --deny drops it for good.\n"

enum {
	OPT_CONFIG = 256,
	OPT_DENY,
	OPT_LIST,
	OPT_HELP,
};

static const struct option approve_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "deny", no_argument, NULL, OPT_DENY },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_approve(int argc, char **argv)
{
	struct agentd_opts o;
	const char *config = NULL, *id = NULL;
	char *err = NULL;
	bool deny = false, list = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", approve_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_DENY:
			deny = true;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_HELP:
			fputs(APPROVE_USAGE, stdout);
			return 0;
		default:
			return cmd_getopt_error("approve", c, argv);
		}
	}
	if (list ? optind != argc : argc - optind != 1)
		return error_usage("approve",
				   list ? "--list takes no ID"
					: "need exactly one request ID");
	if (!list)
		id = argv[optind];
	if (agentd_opts_load(&o, config, config_schema(), false, &err) < 0) {
		error_msg("approve: %s", err);
		free(err);
		agentd_opts_release(&o);
		return EXIT_USAGE;
	}
	rc = agentd_approve(&o, id, deny);
	agentd_opts_release(&o);
	return rc;
}

const struct command cmd_approve_entry = {
	.name = "approve",
	.summary = "let a waiting signed request run on this machine",
	.usage = APPROVE_USAGE,
	.run = cmd_approve,
};
