/*
 * The one-line error reporter and the first-error-wins message setter
 * shared by the commands and the library (see error.h). Messages are
 * formatted in English, as logs and --json keep them, and shown in the
 * customer's language (i18n_display() finds the format they came from).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/exitcode.h"
#include "core/i18n.h"
#include "rdiag/util.h"

/* Where error_keep_first() keeps the first message; NULL when not asked. */
static char **kept;

void error_keep_first(char **slot)
{
	kept = slot;
}

__attribute__((format(printf, 1, 0))) static void error_vput(const char *fmt,
							     va_list ap)
{
	char *en = xvasprintf(fmt, ap);
	char *local = i18n_display_dup(en);

	if (kept && !*kept)
		*kept = xstrdup(en);

	fputs("rdiag: ", stderr);
	fputs(local, stderr);
	free(local);
	free(en);
}

void error_vmsg(const char *fmt, va_list ap)
{
	error_vput(fmt, ap);
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

	va_start(ap, fmt);
	error_vput(fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, _(" (see 'rdiag help %s')"), cmd);
	else
		fputs(_(" (see 'rdiag help')"), stderr);
	fputc('\n', stderr);
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
