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
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	utc_iso8601(time(NULL), stamp, sizeof(stamp));
	if (log_file) {
		fprintf(log_file, "%s %s\n", stamp, msg);
		fflush(log_file);
	}
	if (log_verbose) {
		struct buf clean;

		buf_init(&clean, 1 << 20);
		if (log_redactor &&
		    redact_buf(log_redactor, msg, strlen(msg), &clean) == 0)
			fprintf(stderr, "rdiag: %s\n", clean.data);
		else if (!log_redactor)
			fprintf(stderr, "rdiag: %s\n", msg);
		buf_release(&clean);
	}
	free(msg);
}
