/*
 * What the reviewing commands (inspect, extract, diff, export) share: the
 * --key and --trust options, opening a bundle with a clear one-line reason
 * when it is refused, and the exit code for that reason.
 */
#ifndef RDIAG_REVIEW_CLI_H
#define RDIAG_REVIEW_CLI_H

#include <stdbool.h>

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
 * getopt_long values of the options every reviewing command takes; a
 * command numbers its own options from 256, below these.
 */
enum {
	REVIEW_CLI_OPT_KEY = 1024,
	REVIEW_CLI_OPT_TRUST,
	REVIEW_CLI_OPT_HELP,
};

#define REVIEW_CLI_KEY_USAGE                                                \
	"  --key SECRETKEY         decrypt an encrypted bundle with this\n" \
	"                          x25519 secret key (rdiag keygen)\n"      \
	"  --trust PUBKEY          require a valid signature by this "      \
	"ed25519\n"                                                         \
	"                          public key\n"

void review_cli_init(struct review_cli *c, const char *cmd);

/*
 * Handle what getopt_long (with a leading ':' in its option string)
 * returned for an option the command does not take itself: --key and
 * --trust are recorded and false is returned, so parsing goes on; --help
 * prints usage, a missing value or an unknown option is reported, and
 * true is returned with the exit code in *ret_rc: the command stops.
 */
bool review_cli_option(struct review_cli *c, int opt, char **argv,
		       const char *usage, int *ret_rc);

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
