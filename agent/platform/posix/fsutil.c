/*
 * Removing the staging tree, creating state directories and measuring free
 * space. All only ever run on the agent's own directories, never on a
 * collector's target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "platform/fsutil.h"
#include "rdiag/util.h"

static int remove_at(int parent, const char *name, int depth)
{
	struct stat sb;
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(parent, name, 0) < 0 ? -errno : 0;
	if (depth > 64)
		return -ELOOP;
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		int q;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		q = remove_at(dirfd(d), de->d_name, depth + 1);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

int fs_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, 0);
}

int fs_mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	int r = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

int fs_free_bytes(const char *path, uint64_t *ret)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	*ret = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len,
		    unsigned mode)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd, r = 0;

	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	if (fchmod(fd, (mode_t)mode) < 0 ||
	    (r = write_all(fd, data, len)) < 0 || fsync(fd) < 0) {
		if (r == 0)
			r = -errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return r;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
	}
	free(tmp);
	return r;
}

int fs_sha256_fd(int fd, char ret[65])
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], out[crypto_hash_sha256_BYTES];
	uint64_t off = 0;
	ssize_t n;

	crypto_hash_sha256_init(&st);
	while ((n = pread(fd, buf, sizeof(buf), (off_t)off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		off += (uint64_t)n;
	}
	crypto_hash_sha256_final(&st, out);
	sodium_bin2hex(ret, 65, out, sizeof(out));
	return 0;
}
