/*
 * rdiag's exit codes (see rdiag(1)), in core because the library reports
 * them too: a request run, the installed agent, a session and a ticket each
 * end with one of these. 0-2 are the verdict of `rdiag run`.
 */
#ifndef RDIAG_EXITCODE_H
#define RDIAG_EXITCODE_H

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

#endif
