/*
 * The one-line error reporter and the first-error-wins message setter
 * shared by the commands and the library (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"
#include "core/exitcode.h"
#include "rdiag/util.h"

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

int error_vset(char **ret_err, int r, const char *fmt, va_list ap)
{
	if (ret_err && !*ret_err)
		*ret_err = xvasprintf(fmt, ap);
	return r;
}

int error_set(char **ret_err, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(ret_err, r, fmt, ap);
	va_end(ap);
	return r;
}
