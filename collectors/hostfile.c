/*
 * The one read-to-end loop behind the collectors' small host files (see
 * hostfile.h), so EINTR and the buffer's maximum are handled the same way
 * everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hostfile.h"
#include "rdiag/buf.h"

int hostfile_read_fd(int fd, struct buf *b)
{
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if ((r = buf_append(b, chunk, (size_t)n)) < 0)
			return r;
	}
}

int hostfile_read(const char *path, size_t max, struct buf *b)
{
	int fd, r;

	buf_init(b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = hostfile_read_fd(fd, b);
	close(fd);
	return r;
}
