/*
 * The command table (tmux/git style): each `rdiag NAME` is one file
 * agent/cli/cmd_NAME.c exporting one struct command, listed in main.c;
 * its options are a table parsed by cli/args.c.
 */
#ifndef RDIAG_COMMAND_H
#define RDIAG_COMMAND_H

#include "core/error.h"
#include "core/exitcode.h"

struct args_spec;

struct command {
	const char *name;
	const char *summary; /* one line for `rdiag help` */
	/* its options; `rdiag help NAME` prints their usage */
	const struct args_spec *args;
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

#endif
