/*
 * What the reviewing commands (inspect, extract, diff, export) share: the
 * --key and --trust options, opening a bundle with a clear one-line reason
 * when it is refused, and the exit code for that reason.
 */
#ifndef RDIAG_REVIEW_CLI_H
#define RDIAG_REVIEW_CLI_H

#include <stdbool.h>

#include "cli/args.h"
#include "core/sign.h"
#include "review/review.h"

struct review_cli {
	const char *cmd;        /* for messages: "inspect", ... */
	const char *key_path;   /* --key, or NULL */
	const char *trust_path; /* --trust, or NULL */
	struct sign_key key, trust;
	bool have_key, have_trust;
};

/*
 * The options every reviewing command takes (--key, --trust), for the
 * second slot of its args_spec; a command numbers its own from 256, below
 * these.
 */
enum {
	REVIEW_CLI_OPT_KEY = 1024,
	REVIEW_CLI_OPT_TRUST,
};

extern const struct args_opt review_cli_opts[];

void review_cli_init(struct review_cli *c, const char *cmd);

/*
 * Record opt when it is one of review_cli_opts (--key, --trust: value is
 * its value) and return true; false for any other option.
 */
bool review_cli_option(struct review_cli *c, int opt, const char *value);

/* Load the keys named by key_path and trust_path; 0 or EXIT_USAGE. */
int review_cli_load_keys(struct review_cli *c);

/*
 * Open and verify path (with the keys, and sink when not NULL). On failure
 * prints "rdiag: CMD: 'PATH' refused: REASON" and returns the exit code:
 * EXIT_DATAERR for a bad, hostile or untrusted bundle, EXIT_CANTCREAT when
 * the sink could not write, EXIT_SOFTWARE otherwise. *ret_reason (when not
 * NULL) gets the reason on failure; caller frees.
 */
int review_cli_open(struct review_cli *c, const char *path,
		    const struct review_sink *sink, struct review **ret,
		    char **ret_reason);

/* Wipes the keys. */
void review_cli_release(struct review_cli *c);

#endif
