/*
 * Options of `rdiag run`: the command line merged with the config files
 * into a run plan (core/run.h), and the observer that prints a run.
 */
#ifndef RDIAG_RUN_OPTS_H
#define RDIAG_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cli/args.h"
#include "cli/run_progress.h"
#include "core/run.h"
#include "upload/upload.h"

/* The options and usage of `rdiag run` (args.h). */
extern const struct args_spec run_opts_args;

/*
 * What the terminal shows of a run (cmd_run.c): a run_observer that prints
 * progress and the verdict and runs the upload step. quiet: no progress,
 * the verdict only when it is not clean; json: the verdict as JSON.
 */
struct run_cli {
	struct run_observer ob;
	bool quiet, json;
	struct upload_opts uo; /* filled by the upload check */
	struct run_progress progress;
	char started[32];  /* RFC 3339 UTC, for --json */
	json_t *verdict;   /* --json: printed by run_cli_end() */
	json_t *upload;    /* --json: the upload step's result */
	char *bundle;      /* the bundle written, for the next step */
	char *first_error; /* --json: the error when there is no verdict */
	bool upload_tried; /* the upload step ran (asked or told) */
};

void run_cli_init(struct run_cli *c, bool quiet, bool json);

/*
 * After run_execute() returned rc: clear the progress line, offer the
 * configured upload target on a terminal or print the next step, print
 * the --json object (with exit_code the code returned), and return the
 * exit code of `rdiag run` (rc, or the offered upload's).
 */
int run_cli_end(struct run_cli *c, const struct run_plan *p, int rc);
void run_cli_release(struct run_cli *c);

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
 * Parse a --since value relative to now: a duration (30m, 24h, 7d, 1h30m),
 * or a date YYYY-MM-DD with an optional time of day ('T' or a space, then
 * HH:MM or HH:MM:SS) and an optional zone (Z, +HH:MM, -HHMM, +HH). Without
 * a zone the date-time is the machine's local time (TZ), a date alone its
 * local midnight. 0 and *ret, or -EINVAL.
 */
int run_opts_parse_since(const char *s, time_t now, time_t *ret);

#endif
