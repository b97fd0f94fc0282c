/*
 * How every command reports a problem: one line on stderr, git style, so a
 * support engineer can quote it. In the core library (not main.c) because
 * shared code such as the request agent reports through it too.
 */
#include <stdarg.h>
#include <stdio.h>

#include "command.h"

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rdiag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("rdiag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'rdiag help%s%s')\n", cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}
