/*
 * rdiag's exit codes (see rdiag(1)), in core because the library reports
 * them too: a request run, the installed agent, a session and a ticket each
 * end with one of these. 0-3 are the verdict of `rdiag run`. This enum is
 * the list: README's table, rdiag(1) and each command's `rdiag help` are
 * checked against it (tests/integration/exit-codes.sh).
 */
#ifndef RDIAG_EXITCODE_H
#define RDIAG_EXITCODE_H

enum {
	EXIT_CLEAN = 0,    /* nothing worse than info */
	EXIT_WARNINGS = 1, /* at least one warning */
	EXIT_FAILURES = 2, /* at least one failure */
	/* every collector skipped: UNKNOWN, as monitoring plugins say */
	EXIT_NOTHING_CHECKED = 3,
	EXIT_USAGE = 64,       /* bad command line or config */
	EXIT_DATAERR = 65,     /* bad input file (a bundle, a request) */
	EXIT_UNAVAILABLE = 69, /* a remote target failed */
	EXIT_SOFTWARE = 70,    /* internal error */
	EXIT_CANTCREAT = 73,   /* cannot write the bundle (space, perms) */
	EXIT_TEMPFAIL = 75,    /* another agent holds the lock */
	EXIT_INTERRUPTED = 130,
};

/* What code means, in a few words for `rdiag help` (NULL: not a code). */
const char *exit_code_meaning(int code);

#endif
