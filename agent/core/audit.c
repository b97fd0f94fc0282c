/*
 * Audit log files: where they are, how they are opened and how a record
 * is added (see audit.h). What goes into a record is up to its writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "core/audit.h"
#include "rdiag/util.h"

int audit_open(const char *dir, int *ret_fd)
{
	char *path = xasprintf("%s/" AUDIT_FILE, dir);
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		r = -errno;
	else
		*ret_fd = fd;
	free(path);
	return r;
}

int audit_append(int fd, const char *line, size_t len)
{
	return write_all(fd, line, len);
}
