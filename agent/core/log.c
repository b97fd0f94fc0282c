/*
 * The agent's log file and its scrubbed echo on stderr (see log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/redact.h"
#include "platform/platform.h"
#include "rdiag/buf.h"

static FILE *log_file;
static bool log_verbose;
static struct redactor *log_redactor;

int log_open(const char *path)
{
	int fd, r;

	if ((r = platform_create_new(path, 0600, &fd)) < 0)
		return r;
	log_file = fdopen(fd, "w");
	if (!log_file) {
		r = -errno;
		close(fd);
		return r;
	}
	return 0;
}

void log_close(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

void log_set_verbose(bool verbose, struct redactor *red)
{
	log_verbose = verbose;
	log_redactor = red;
}

void log_msg(const char *fmt, ...)
{
	char stamp[32];
	struct buf clean;
	va_list ap;
	const char *line;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = msg;
	utc_iso8601(time(NULL), stamp, sizeof(stamp));
	/*
	 * The log waits in staging until the bundle takes it: redacted
	 * before it is written, so a killed run leaves no secret in it. The
	 * bundle's pass over it then finds nothing more, so every secret is
	 * still counted once.
	 */
	buf_init(&clean, 1 << 20);
	if (log_redactor) {
		if (redact_buf(log_redactor, msg, strlen(msg), &clean) < 0) {
			buf_reset(&clean);
			buf_puts(&clean,
				 "(a line too long to redact, left out)");
		}
		line = clean.data;
	}
	if (log_file) {
		fprintf(log_file, "%s %s\n", stamp, line);
		fflush(log_file);
	}
	if (log_verbose)
		fprintf(stderr, "rdiag: %s\n", line);
	buf_release(&clean);
	free(msg);
}
