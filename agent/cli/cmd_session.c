/*
 * `rdiag session`: let a support engineer in over SSH, with the customer's
 * consent, through the vendor's relay (see docs/session.md). The command
 * line is merged into [session] of the config files; the session itself
 * is agent/session.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/config.h"
#include "session/session.h"

#define SESSION_USAGE                                                         \
	"usage: rdiag session --engineer-key FILE [options]\n"                \
	"  --engineer-key FILE     public key(s) of engineers allowed in\n"   \
	"                          (repeatable; shown in the consent "        \
	"prompt)\n"                                                           \
	"  --relay HOST[:PORT]     the vendor's SSH relay ([session] "        \
	"relay_host)\n"                                                       \
	"  --relay-user USER       account on the relay (relay_user)\n"       \
	"  --relay-host-key FP     the relay's pinned host key, SHA256:...\n" \
	"  --key FILE              the agent's ed25519 private key\n"         \
	"  --listen-port PORT      port the relay listens on for engineers\n" \
	"  --read-only             the engineer only watches this "           \
	"terminal's\n"                                                        \
	"                          shell; keystrokes are dropped\n"           \
	"  --ttl DURATION          hard time limit (default 1h)\n"            \
	"  --idle DURATION         end without engineer traffic (15m)\n"      \
	"  --state-dir DIR         audit log and recordings\n"                \
	"  -y, --yes               consent given in advance; without a\n"     \
	"                          terminal only when [session]\n"            \
	"                          allow_unattended = yes\n"                  \
	"  --config FILE           read FILE after /etc/rdiag/rdiag.conf\n"   \
	"Exit: 0 session ended, 64 usage, 69 relay failure, 130 "             \
	"interrupted.\n"

enum {
	OPT_ENGINEER_KEY = 256,
	OPT_RELAY,
	OPT_RELAY_USER,
	OPT_RELAY_HOST_KEY,
	OPT_KEY,
	OPT_LISTEN_PORT,
	OPT_READ_ONLY,
	OPT_TTL,
	OPT_IDLE,
	OPT_STATE_DIR,
	OPT_CONFIG,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "engineer-key", required_argument, NULL, OPT_ENGINEER_KEY },
	{ "relay", required_argument, NULL, OPT_RELAY },
	{ "relay-user", required_argument, NULL, OPT_RELAY_USER },
	{ "relay-host-key", required_argument, NULL, OPT_RELAY_HOST_KEY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "listen-port", required_argument, NULL, OPT_LISTEN_PORT },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "yes", no_argument, NULL, 'y' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A flag as a config entry, so it overrides the files. */
struct flag_entry {
	const char *key, *value, *origin;
};

static int split_relay(const char *v, char **ret_host, char **ret_port)
{
	const char *colon = strrchr(v, ':');

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		*ret_host = xstrndup(v + 1, (size_t)(close - v - 1));
		*ret_port = close[1] ? xstrdup(close + 2) : NULL;
		return 0;
	}
	if (colon && strchr(v, ':') == colon) {
		*ret_host = xstrndup(v, (size_t)(colon - v));
		*ret_port = xstrdup(colon + 1);
	} else {
		*ret_host = xstrdup(v);
		*ret_port = NULL;
	}
	return 0;
}

static int cmd_session(int argc, char **argv)
{
	struct config cfg;
	struct session_opts o;
	struct flag_entry *flags = NULL;
	size_t nflags = 0;
	const char *user_config = NULL;
	char *relay_host = NULL, *relay_port = NULL, *err = NULL;
	bool yes = false;
	int c, rc;

	config_init(&cfg);
	session_opts_init(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":y", long_opts, NULL)) != -1) {
		const char *key = NULL, *value = optarg;

		switch (c) {
		case OPT_ENGINEER_KEY:
			key = "engineer_key";
			break;
		case OPT_RELAY:
			free(relay_host);
			free(relay_port);
			relay_host = relay_port = NULL;
			if (split_relay(optarg, &relay_host, &relay_port) < 0 ||
			    !*relay_host) {
				rc = error_usage("session",
						 "--relay '%s': expected "
						 "HOST[:PORT]",
						 optarg);
				goto out;
			}
			continue;
		case OPT_RELAY_USER:
			key = "relay_user";
			break;
		case OPT_RELAY_HOST_KEY:
			key = "relay_host_key";
			break;
		case OPT_KEY:
			key = "key";
			break;
		case OPT_LISTEN_PORT:
			key = "listen_port";
			break;
		case OPT_READ_ONLY:
			key = "read_only";
			value = "yes";
			break;
		case OPT_TTL:
			key = "ttl";
			break;
		case OPT_IDLE:
			key = "idle";
			break;
		case OPT_STATE_DIR:
			key = "state_dir";
			break;
		case OPT_CONFIG:
			user_config = optarg;
			continue;
		case 'y':
			yes = true;
			continue;
		case OPT_HELP:
			fputs(SESSION_USAGE, stdout);
			rc = 0;
			goto out;
		default:
			rc = cmd_getopt_error("session", c, argv);
			goto out;
		}
		flags = xreallocarray(flags, nflags + 1, sizeof(*flags));
		flags[nflags++] =
			(struct flag_entry){ key, value, argv[optind - 1] };
	}
	if (optind < argc) {
		rc = error_usage("session", "unexpected argument '%s'",
				 argv[optind]);
		goto out;
	}
	if (config_load_files(&cfg, user_config, config_schema(), &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (relay_host) {
		config_add(&cfg, "session", "relay_host", relay_host,
			   "--relay");
		if (relay_port)
			config_add(&cfg, "session", "relay_port", relay_port,
				   "--relay");
	}
	for (size_t i = 0; i < nflags; i++)
		config_add(&cfg, "session", flags[i].key, flags[i].value,
			   flags[i].origin);
	if (session_opts_load(&o, &cfg, &err) < 0) {
		rc = error_usage("session", "%s", err);
		goto out;
	}
	o.yes = yes;
	rc = session_run(&o);
out:
	fflush(stdout);
	free(flags);
	free(relay_host);
	free(relay_port);
	free(err);
	session_opts_release(&o);
	config_release(&cfg);
	return rc;
}

const struct command cmd_session_entry = {
	.name = "session",
	.summary = "let a support engineer in over SSH, with your consent",
	.usage = SESSION_USAGE,
	.run = cmd_session,
};
