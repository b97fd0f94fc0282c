/*
 * `rdiag agent`: the installed agent as a service, or one poll with
 * --once (tests, cron). See agentd.h and docs/requests.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "cli/run_opts.h"
#include "rdiag/i18n.h"
#include "request/agentd.h"

enum {
	OPT_CONFIG = 256,
	OPT_ONCE,
};

static const struct args_opt agent_opts[] = {
	{ OPT_CONFIG, "config", 0, "FILE", "instead of /etc/rdiag/agent.conf",
	  0 },
	{ OPT_ONCE, "once", 0, NULL,
	  "one poll, then exit (0, or 69 when the location\n"
	  "could not be read)",
	  0 },
	{ 0 },
};

static const struct args_exit agent_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_UNAVAILABLE, "--once: the request location could not be read" },
	{ EXIT_CANTCREAT, "the state directory cannot be written" },
	{ EXIT_TEMPFAIL, NULL },
	{ -1, NULL },
};

static const struct args_spec agent_args = {
	.cmd = "agent",
	.head = "usage: rdiag agent [--config FILE] [--once]\n"
		"  polls [agentd] poll_url for signed requests, runs what the\n"
		"  policy allows unattended, keeps the rest for 'rdiag "
		"approve'.\n",
	.opts = { agent_opts },
	.column = 18,
	.exits = agent_exits,
};

static int cmd_agent(int argc, char **argv)
{
	struct args a;
	int rest;
	struct agentd_opts o;
	struct run_cli view;
	const char *config = NULL;
	char *err = NULL;
	bool once = false;
	int c, rc;

	args_init(&a, &agent_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_CONFIG:
			config = a.value;
			break;
		case OPT_ONCE:
			once = true;
			break;
		}
	}
	if (c == ARGS_STOP)
		return a.rc;
	rest = args_rest(&a);
	if (rest < argc)
		return error_usage("agent", "unexpected argument '%s'",
				   argv[rest]);
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
	.summary = N_("run as the installed agent: poll for signed requests"),
	.args = &agent_args,
	.run = cmd_agent,
};
