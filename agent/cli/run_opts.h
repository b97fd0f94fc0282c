/*
 * Options of `rdiag run`: the command line merged with the config files
 * into a run plan (core/run.h), and the observer that prints a run.
 */
#ifndef RDIAG_RUN_OPTS_H
#define RDIAG_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/run.h"
#include "upload/upload.h"

/* The defaults come from core/run.h, as in the [agent] key table. */
/* clang-format off */
#define RUN_OPTS_USAGE                                                         \
	"usage: rdiag run [options]\n"                                         \
	"  --only NAME[,NAME...]   run only these collectors\n"                \
	"  --skip NAME[,NAME...]   do not run these collectors\n"              \
	"  --ticket ID             the support ticket (names the bundle)\n"    \
	"  --out DIR               where to write the bundle (default: .)\n"   \
	"  --timeout SECONDS       deadline for the whole run (default: "      \
	RUN_DEFAULT_TIMEOUT ")\n"                                              \
	"  --jobs N                collectors running at once (default: "      \
	"all)\n"                                                               \
	"  --compress gzip|zstd    bundle compression (default: "              \
	RUN_DEFAULT_COMPRESS ")\n"                                             \
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
/* clang-format on */

/*
 * What the terminal shows of a run (cmd_run.c): a run_observer that prints
 * progress and the verdict and runs the upload step. quiet: no progress,
 * the verdict only when it is not clean; json: the verdict as JSON.
 */
struct run_cli {
	struct run_observer ob;
	bool quiet, json;
	struct upload_opts uo; /* filled by the upload check */
};

void run_cli_init(struct run_cli *c, bool quiet, bool json);

struct run_opts {
	struct run_plan plan; /* plan.observer is &cli.ob */
	struct run_cli cli;
	char *request; /* --request: a token or a file holding one */
	bool json, quiet;
};

/*
 * Parse argv (argv[0] is "run") into o->plan. Returns 0 when o is ready,
 * -1 when help was printed, or EXIT_USAGE after printing one line naming
 * the problem. o must be released with run_opts_release() in every case.
 */
int run_opts_parse(struct run_opts *o, int argc, char **argv);
void run_opts_release(struct run_opts *o);

/*
 * Parse a --since value relative to now: an ISO date or date-time (UTC) or
 * a count with unit m, h or d. 0 and *ret, or -EINVAL.
 */
int run_opts_parse_since(const char *s, time_t now, time_t *ret);

#endif
