/*
 * The words for each exit code that `rdiag help COMMAND` prints, kept beside
 * the list (exitcode.h) so that a new code cannot go without them.
 */
#include <stddef.h>

#include "core/exitcode.h"

static const struct {
	int code;
	const char *meaning;
} meanings[] = {
	{ EXIT_CLEAN, "nothing worse than info" },
	{ EXIT_WARNINGS, "at least one warning (or records dropped)" },
	{ EXIT_FAILURES, "at least one failure" },
	{ EXIT_NOTHING_CHECKED, "nothing was checked (every collector "
				"skipped)" },
	{ EXIT_USAGE, "bad command line or configuration" },
	{ EXIT_DATAERR, "bad input file (a bundle, a request, a key)" },
	{ EXIT_UNAVAILABLE, "a remote target failed" },
	{ EXIT_SOFTWARE, "internal error" },
	{ EXIT_CANTCREAT, "cannot write the output (space, permissions)" },
	{ EXIT_TEMPFAIL, "another agent holds the lock" },
	{ EXIT_INTERRUPTED, "interrupted (SIGINT or SIGTERM)" },
};

const char *exit_code_meaning(int code)
{
	for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].code == code)
			return meanings[i].meaning;
	return NULL;
}
