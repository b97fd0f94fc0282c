/*
 * Options of `rdiag run`: the command line merged with the config files.
 * Kept apart from cmd_run.c so other commands that run collectors (a signed
 * request, the installed agent) share the same parsing and validation.
 */
#ifndef RDIAG_RUN_OPTS_H
#define RDIAG_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/bundle.h"
#include "core/config.h"

#define RUN_OPTS_USAGE                                                         \
	"usage: rdiag run [options]\n"                                         \
	"  --only NAME[,NAME...]   run only these collectors\n"                \
	"  --skip NAME[,NAME...]   do not run these collectors\n"              \
	"  --ticket ID             the support ticket (names the bundle)\n"    \
	"  --out DIR               where to write the bundle (default: .)\n"   \
	"  --timeout SECONDS       deadline for the whole run (default: "      \
	"120)\n"                                                               \
	"  --jobs N                collectors running at once (default: "      \
	"all)\n"                                                               \
	"  --compress gzip|zstd    bundle compression (default: gzip)\n"       \
	"  --config FILE           read FILE after /etc/rdiag/rdiag.conf\n"    \
	"  --since WHEN            evidence newer than WHEN: 2026-11-27,\n"    \
	"                          2026-11-27T10:00:00, 24h, 7d, 30m\n"        \
	"  --db URL                check this database (repeatable)\n"         \
	"  --nas PATH              check this file-store path (repeatable)\n"  \
	"  --av-test               write the EICAR test string into the\n"     \
	"                          application's directories (antivirus)\n"    \
	"  --upload URL            send the bundle there (see rdiag help "     \
	"upload)\n"                                                            \
	"  --remove-after-upload   delete the bundle once the server has it\n" \
	"  --sign SECRETKEY        sign the manifest (ed25519, rdiag "         \
	"keygen)\n"                                                            \
	"  --encrypt-to PUBKEY     encrypt the bundle for this x25519 key;\n"  \
	"                          no plain bundle is ever left behind\n"      \
	"  --request TOKEN|FILE    run a vendor's signed collection request\n" \
	"                          (see docs/requests.md)\n"                   \
	"  --json                  print the verdict as one JSON object\n"     \
	"  --no-bundle             only print the verdict\n"                   \
	"  -q, --quiet             no progress; verdict only when not clean\n" \
	"  -v, --verbose           log to stderr as well\n"                    \
	"\n"                                                                   \
	"Exit status: 0 nothing worse than info, 1 warnings (or records\n"     \
	"dropped), 2 failures, 3 nothing was checked (every collector\n"       \
	"skipped); 64 and above: see rdiag(1).\n"

struct run_opts {
	struct config config;
	const struct collector **selected; /* NULL-terminated, owned */
	size_t nselected;
	char *ticket; /* NULL when not given */
	char *out_dir;
	char *host;         /* sanitised for file names */
	char *command_line; /* for the manifest (redacted there) */
	unsigned timeout_s;
	unsigned jobs;
	unsigned long long min_free_mb;
	enum bundle_compress compress;
	time_t since;
	char *upload_url; /* --upload, NULL when not given */
	bool remove_after_upload;
	char *sign_key;   /* --sign: ed25519 secret key file, or NULL */
	char *encrypt_to; /* --encrypt-to: x25519 public key file, or NULL */
	char *request;    /* --request: a token or a file holding one */
	bool json, no_bundle, quiet, verbose;
};

/*
 * Parse argv (argv[0] is "run"). Returns 0 when o is ready, -1 when help
 * was printed, or EXIT_USAGE after printing one line naming the problem.
 * o must be released with run_opts_release() in every case.
 */
int run_opts_parse(struct run_opts *o, int argc, char **argv);
void run_opts_release(struct run_opts *o);

/*
 * This machine's name fit for file names and ids (anything but letters,
 * digits, '-' and '.' becomes '_'), "unknown-host" when it has none. A new
 * string; caller frees.
 */
char *run_opts_host_label(void);

/*
 * Parse a --since value relative to now: an ISO date or date-time (UTC) or
 * a count with unit m, h or d. 0 and *ret, or -EINVAL.
 */
int run_opts_parse_since(const char *s, time_t now, time_t *ret);

/*
 * Run what o says (agent/cmd_run.c): collect, bundle, print the verdict,
 * upload. Returns the exit code of `rdiag run`. Shared with the signed
 * requests and the installed agent, which fill o themselves.
 */
int cmd_run_execute(struct run_opts *o);

#endif
