/*
 * What rdiag.exe does not have yet, said plainly where it is asked for:
 * support sessions need a pseudo-terminal (ConPTY on Windows) and an SSH
 * server port that are not written yet (docs/windows.md). `rdiag session`
 * parses its options as on Linux, then ends here with exit 69
 * (EX_UNAVAILABLE) and a message, never silently.
 */
#include <stdio.h>

#include "core/exitcode.h"
#include "session/session.h"

int session_run(struct session_opts *o)
{
	(void)o;
	fprintf(stderr, "rdiag: session: not available on Windows yet\n");
	return EXIT_UNAVAILABLE;
}
