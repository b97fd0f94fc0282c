/*
 * The one read-to-end loop behind the collectors' small host files (see
 * hostfile.h), so EINTR and the buffer's maximum are handled the same way
 * everywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* "S01xrdp" starts name at boot. */
static int sysv_start_link(const char *entry, const char *const *names)
{
	const char *rest;

	if (entry[0] != 'S')
		return 0;
	rest = entry + 1 + strspn(entry + 1, "0123456789");
	for (size_t i = 0; names[i]; i++)
		if (strcmp(rest, names[i]) == 0)
			return 1;
	return 0;
}

char *hostfile_boot_link(const char *root, const char *const *units,
			 const char *const *sysv_names)
{
	static const char *const wants[] = {
		"/etc/systemd/system/multi-user.target.wants",
		"/etc/systemd/system/graphical.target.wants",
	};
	struct stat sb;
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(wants); i++)
		for (size_t u = 0; units[u]; u++) {
			p = xasprintf("%s%s/%s", root, wants[i], units[u]);
			if (lstat(p, &sb) == 0)
				return p;
			free(p);
		}
	for (int level = 2; level <= 5; level++) {
		char *dir = xasprintf("%s/etc/rc%d.d", root, level);
		DIR *d = opendir(dir);
		struct dirent *e;

		p = NULL;
		while (d && !p && (e = readdir(d)))
			if (sysv_start_link(e->d_name, sysv_names))
				p = xasprintf("%s/%s", dir, e->d_name);
		if (d)
			closedir(d);
		free(dir);
		if (p)
			return p;
	}
	return NULL;
}
