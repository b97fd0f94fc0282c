/*
 * `rdiag extract BUNDLE DIR`: safe extraction only. The bundle is verified
 * in the same pass that writes it out (see review_dest.h for how writes are
 * confined to DIR); if anything is refused on the way or at the end, what
 * was written is removed again, so DIR never holds part of a bad bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/review_cli.h"
#include "rdiag/i18n.h"
#include "review/review_dest.h"

static const struct args_exit extract_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "not intact or not trusted" },
	{ EXIT_SOFTWARE, NULL },
	{ EXIT_CANTCREAT, "DIR not empty or not writable" },
	{ -1, NULL },
};

static const struct args_spec extract_args = {
	.cmd = "extract",
	.head = "usage: rdiag extract BUNDLE DIR [options]\n"
		"  DIR must be new or empty; the top directory of the archive "
		"is\n"
		"  not recreated (DIR/manifest.json, DIR/collectors/...).\n",
	.opts = { review_cli_opts },
	.exits = extract_exits,
};

static int cmd_extract(int argc, char **argv)
{
	struct args a;
	int rest;
	struct review_cli cli;
	struct review_dest *dest = NULL;
	struct review *r = NULL;
	char *err = NULL;
	int c, rc = 0;

	review_cli_init(&cli, "extract");
	args_init(&a, &extract_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0)
		review_cli_option(&cli, c, a.value);
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (argc - rest != 2) {
		rc = error_usage("extract", "need BUNDLE and DIR");
		goto out;
	}
	if ((rc = review_cli_load_keys(&cli)) != 0)
		goto out;
	if (review_dest_open(argv[rest + 1], &dest, &err) < 0) {
		error_msg("extract: %s", err);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	rc = review_cli_open(&cli, argv[rest], review_dest_sink(dest), &r,
			     NULL);
	if (rc != 0) {
		if (review_dest_discard(dest) < 0)
			error_msg("extract: cannot remove what was written "
				  "to '%s'",
				  argv[rest + 1]);
		else
			error_msg("extract: nothing was left in '%s'",
				  argv[rest + 1]);
		goto out;
	}
	printf("extracted %llu files (%llu bytes) of %s into %s\n",
	       (unsigned long long)r->nfiles, (unsigned long long)r->total_size,
	       r->top, argv[rest + 1]);
out:
	review_free(r);
	review_dest_free(dest);
	review_cli_release(&cli);
	free(err);
	return rc;
}

const struct command cmd_extract_entry = {
	.name = "extract",
	.summary = N_(
		"verify a bundle and extract it safely into a new directory"),
	.args = &extract_args,
	.run = cmd_extract,
};
