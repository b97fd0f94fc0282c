/*
 * How every command reports a problem: one line on stderr, git style, so a
 * support engineer can quote it; and how a long-running command learns it
 * should stop. In the core library (not main.c) because shared code such
 * as the request agent reports through it too.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

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

int cmd_getopt_error(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return cmd_usage_error(cmd, "option '%s' needs a value",
				       argv[optind - 1]);
	return cmd_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

void cmd_catch_stop_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
