/*
 * The one-line error reporter shared by the commands and the library (see
 * error.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"
#include "core/exitcode.h"

void error_vmsg(const char *fmt, va_list ap)
{
	fputs("rdiag: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vmsg(fmt, ap);
	va_end(ap);
}

int error_usage(const char *cmd, const char *fmt, ...)
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
