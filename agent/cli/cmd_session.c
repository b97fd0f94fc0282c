/*
 * `rdiag session`: let a support engineer in over SSH, with the customer's
 * consent, through the vendor's relay (see docs/session.md). The command
 * line is merged into [session] of the config files; the session itself
 * is agent/session.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/config.h"
#include "rdiag/i18n.h"
#include "session/session.h"

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
};

static const struct args_opt session_opts[] = {
	{ OPT_ENGINEER_KEY, "engineer-key", 0, "FILE",
	  "public key(s) of engineers allowed in\n"
	  "(repeatable; shown in the consent prompt)",
	  0 },
	{ OPT_RELAY, "relay", 0, "HOST[:PORT]",
	  "the vendor's SSH relay ([session] relay_host)", 0 },
	{ OPT_RELAY_USER, "relay-user", 0, "USER",
	  "account on the relay (relay_user)", 0 },
	{ OPT_RELAY_HOST_KEY, "relay-host-key", 0, "FP",
	  "the relay's pinned host key, SHA256:...", 0 },
	{ OPT_KEY, "key", 0, "FILE", "the agent's ed25519 private key", 0 },
	{ OPT_LISTEN_PORT, "listen-port", 0, "PORT",
	  "port the relay listens on for engineers", 0 },
	{ OPT_READ_ONLY, "read-only", 0, NULL,
	  "the engineer only watches this terminal's\n"
	  "shell; keystrokes are dropped",
	  0 },
	{ OPT_TTL, "ttl", 0, "DURATION",
	  "hard time limit (default " SESSION_DEFAULT_TTL ")", 0 },
	{ OPT_IDLE, "idle", 0, "DURATION",
	  "end without engineer traffic (" SESSION_DEFAULT_IDLE ")", 0 },
	{ OPT_STATE_DIR, "state-dir", 0, "DIR", "audit log and recordings", 0 },
	{ 'y', "yes", 'y', NULL,
	  "consent given in advance; without a\n"
	  "terminal only when [session]\n"
	  "allow_unattended = yes",
	  0 },
	{ OPT_CONFIG, "config", 0, "FILE",
	  "read FILE after /etc/rdiag/rdiag.conf", 0 },
	{ 0 },
};

static const struct args_exit session_exits[] = {
	{ EXIT_CLEAN, "the session ended" },
	{ EXIT_USAGE, "bad usage, or no consent possible" },
	{ EXIT_UNAVAILABLE, "relay failure (unreachable, host key, refused)" },
	{ EXIT_INTERRUPTED, NULL },
	{ -1, NULL },
};

static const struct args_spec session_args = {
	.cmd = "session",
	.head = "usage: rdiag session --engineer-key FILE [options]\n",
	.opts = { session_opts },
	.exits = session_exits,
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
	struct args a;
	int rest;
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
	args_init(&a, &session_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		const char *key = NULL, *value = a.value;

		switch (c) {
		case OPT_ENGINEER_KEY:
			key = "engineer_key";
			break;
		case OPT_RELAY:
			free(relay_host);
			free(relay_port);
			relay_host = relay_port = NULL;
			if (split_relay(a.value, &relay_host, &relay_port) <
				    0 ||
			    !*relay_host) {
				rc = error_usage("session",
						 "--relay '%s': expected "
						 "HOST[:PORT]",
						 a.value);
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
			user_config = a.value;
			continue;
		case 'y':
			yes = true;
			continue;
		}
		flags = xreallocarray(flags, nflags + 1, sizeof(*flags));
		flags[nflags++] = (struct flag_entry){ key, value, a.word };
	}
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (rest < argc) {
		rc = error_usage("session", "unexpected argument '%s'",
				 argv[rest]);
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
		/* Name the file and line (or the flag) the bad value came
		 * from. */
		config_blame_message(&cfg, &err);
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
	.summary = N_("let a support engineer in over SSH, with your consent"),
	.args = &session_args,
	.run = cmd_session,
};
