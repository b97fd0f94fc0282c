/*
 * The command table (tmux/git style): each `rdiag NAME` is one file
 * agent/cmd_NAME.c exporting one struct command, listed in main.c.
 */
#ifndef RDIAG_COMMAND_H
#define RDIAG_COMMAND_H

#include "rdiag/util.h"

/* Exit codes; see rdiag(1). 0-2 are the verdict of `rdiag run`. */
enum {
	EXIT_CLEAN = 0,        /* nothing worse than info */
	EXIT_WARNINGS = 1,     /* at least one warning */
	EXIT_FAILURES = 2,     /* at least one failure */
	EXIT_USAGE = 64,       /* bad command line or config */
	EXIT_DATAERR = 65,     /* bad input file (a bundle, a request) */
	EXIT_UNAVAILABLE = 69, /* a remote target failed */
	EXIT_SOFTWARE = 70,    /* internal error */
	EXIT_CANTCREAT = 73,   /* cannot write the bundle (space, perms) */
	EXIT_INTERRUPTED = 130,
};

struct command {
	const char *name;
	const char *summary; /* one line for `rdiag help` */
	const char *usage;   /* options, shown by `rdiag help NAME` */
	int (*run)(int argc, char **argv);
};

extern const struct command cmd_run_entry;
extern const struct command cmd_list_entry;
extern const struct command cmd_upload_entry;
extern const struct command cmd_session_entry;
extern const struct command cmd_diff_entry;
extern const struct command cmd_export_entry;
extern const struct command cmd_extract_entry;
extern const struct command cmd_inspect_entry;
extern const struct command cmd_keygen_entry;
extern const struct command cmd_request_entry;
extern const struct command cmd_agent_entry;
extern const struct command cmd_approve_entry;

/* Print "rdiag: <message>" to stderr (no trailing period, like git). */
void cmd_error(const char *fmt, ...) RDIAG_PRINTF(1, 2);
/* cmd_error() plus "see 'rdiag help NAME'"; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) RDIAG_PRINTF(2, 3);

/*
 * The usage error for a bad option, after getopt_long (with ':' first in
 * its option string) returned opt: ':' for a missing value, anything else
 * for an unknown option. Returns EXIT_USAGE.
 */
int cmd_getopt_error(const char *cmd, int opt, char **argv);

/*
 * Send SIGINT, SIGTERM and SIGHUP to handler, without SA_RESTART so that a
 * blocking call returns EINTR and the command can stop cleanly, and ignore
 * SIGPIPE so that a peer going away is an error return, not our death.
 */
void cmd_catch_stop_signals(void (*handler)(int));

#endif
