/*
 * `rdiag approve`: the customer's admin lets a waiting request run (or
 * denies it). The agent runs approved requests at its next poll, after
 * verifying them again. Every decision goes to the agent's audit log.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "rdiag/i18n.h"
#include "request/agentd.h"

enum {
	OPT_CONFIG = 256,
	OPT_DENY,
	OPT_LIST,
};

static const struct args_opt approve_opts[] = {
	{ OPT_CONFIG, "config", 0, "FILE", NULL, 0 },
	{ OPT_DENY, "deny", 0, NULL, NULL, 0 },
	{ OPT_LIST, "list", 0, NULL, NULL, 0 },
	{ 0 },
};

static const struct args_exit approve_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "the request no longer verifies" },
	{ EXIT_CANTCREAT, "the approval cannot be written" },
	{ -1, NULL },
};

static const struct args_spec approve_args = {
	.cmd = "approve",
	.head = "usage: rdiag approve [--config FILE] ID\n"
		"       rdiag approve [--config FILE] --deny ID\n"
		"       rdiag approve [--config FILE] --list\n"
		"  lets the agent run request ID (shown by --list, and in the\n"
		"  audit log) at its next poll; --deny drops it for good.\n",
	.opts = { approve_opts },
	.exits = approve_exits,
};

static int cmd_approve(int argc, char **argv)
{
	struct args a;
	int rest;
	struct agentd_opts o;
	const char *config = NULL, *id = NULL;
	char *err = NULL;
	bool deny = false, list = false;
	int c, rc;

	args_init(&a, &approve_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_CONFIG:
			config = a.value;
			break;
		case OPT_DENY:
			deny = true;
			break;
		case OPT_LIST:
			list = true;
			break;
		}
	}
	if (c == ARGS_STOP)
		return a.rc;
	rest = args_rest(&a);
	if (list ? rest != argc : argc - rest != 1)
		return error_usage("approve",
				   list ? "--list takes no ID"
					: "need exactly one request ID");
	if (!list)
		id = argv[rest];
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
	.summary = N_("let a waiting signed request run on this machine"),
	.args = &approve_args,
	.run = cmd_approve,
};
