/*
 * `rdiag agent`: the installed agent as a service, or one poll with
 * --once (tests, cron). See agentd.h and docs/requests.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/config_schema.h"
#include "cli/run_opts.h"
#include "request/agentd.h"

#define AGENT_USAGE                                                           \
	"usage: rdiag agent [--config FILE] [--once]\n"                       \
	"  polls [agentd] poll_url for signed requests, runs what the\n"      \
	"  policy allows unattended, keeps the rest for 'rdiag approve'.\n"   \
	"  --config FILE   instead of /etc/rdiag/agent.conf\n"                \
	"  --once          one poll, then exit (0, or 69 when the location\n" \
	"                  could not be read)\n"

enum {
	OPT_CONFIG = 256,
	OPT_ONCE,
	OPT_HELP,
};

static const struct option agent_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_agent(int argc, char **argv)
{
	struct agentd_opts o;
	struct run_cli view;
	const char *config = NULL;
	char *err = NULL;
	bool once = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", agent_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_HELP:
			fputs(AGENT_USAGE, stdout);
			return 0;
		default:
			return cmd_getopt_error("agent", c, argv);
		}
	}
	if (optind < argc)
		return error_usage("agent", "unexpected argument '%s'",
				   argv[optind]);
	if (agentd_opts_load(&o, config, config_schema(), true, &err) < 0) {
		error_msg("agent: %s", err);
		free(err);
		agentd_opts_release(&o);
		return EXIT_USAGE;
	}
	/* A request's run prints as `rdiag run -q` would. */
	run_cli_init(&view, true, false);
	o.run_observer = &view.ob;
	rc = agentd_main(&o, once);
	agentd_opts_release(&o);
	return rc;
}

const struct command cmd_agent_entry = {
	.name = "agent",
	.summary = "run as the installed agent: poll for signed requests",
	.usage = AGENT_USAGE,
	.run = cmd_agent,
};
