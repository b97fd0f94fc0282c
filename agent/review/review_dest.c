/*
 * The extraction sink (see review_dest.h). Each path is walked component by
 * component with openat(O_DIRECTORY | O_NOFOLLOW), so a symbolic link that
 * appeared in the tree meanwhile stops the walk instead of being followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/fsutil.h"
#include "rdiag/util.h"
#include "review/review_dest.h"

struct review_dest {
	char *dir;
	int dir_fd;
	bool created;
	int fd; /* the file being written, or -1 */
	struct review_sink sink;
};

/* Open the parent directory of rel (creating it), return its name part. */
static int dest_walk(struct review_dest *d, const char *rel, bool mkdir_last,
		     int *ret_fd, char **ret_last)
{
	char *copy = xstrdup(rel), *comp = copy, *slash;
	int cur = d->dir_fd, r = 0;

	while ((slash = strchr(comp, '/')) || mkdir_last) {
		int next;

		if (slash)
			*slash = '\0';
		if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		next = openat(cur, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = -errno;
			break;
		}
		if (cur != d->dir_fd)
			close(cur);
		cur = next;
		if (!slash)
			break;
		comp = slash + 1;
	}
	if (r < 0) {
		if (cur != d->dir_fd)
			close(cur);
		free(copy);
		return r;
	}
	*ret_fd = cur;
	if (ret_last)
		*ret_last = xstrdup(comp);
	free(copy);
	return 0;
}

static int dest_dir(void *arg, const char *rel)
{
	struct review_dest *d = arg;
	char *path = xstrdup(rel);
	size_t len = strlen(path);
	int fd, r;

	/* Directory names may end in '/'. */
	if (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	r = len == 0 ? 0 : dest_walk(d, path, true, &fd, NULL);
	free(path);
	if (r < 0 || len == 0)
		return r;
	if (fd != d->dir_fd)
		close(fd);
	return 0;
}

static int dest_file_begin(void *arg, const char *rel, uint64_t size)
{
	struct review_dest *d = arg;
	char *last = NULL;
	int parent, r;

	(void)size;
	if ((r = dest_walk(d, rel, false, &parent, &last)) < 0)
		return r;
	d->fd = openat(parent, last,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	r = d->fd < 0 ? -errno : 0;
	if (parent != d->dir_fd)
		close(parent);
	free(last);
	return r;
}

static int dest_file_data(void *arg, const void *p, size_t n)
{
	struct review_dest *d = arg;

	return write_all(d->fd, p, n);
}

static int dest_file_end(void *arg)
{
	struct review_dest *d = arg;
	int r = close(d->fd) < 0 ? -errno : 0;

	d->fd = -1;
	return r;
}

static bool dir_empty(int fd)
{
	int dup_fd = dup(fd);
	struct dirent *de;
	bool empty = true;
	DIR *dir;

	if (dup_fd < 0)
		return false;
	dir = fdopendir(dup_fd);
	if (!dir) {
		close(dup_fd);
		return false;
	}
	rewinddir(dir);
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(dir);
	return empty;
}

int review_dest_open(const char *dir, struct review_dest **ret, char **ret_err)
{
	struct review_dest *d = xcalloc(1, sizeof(*d));
	int r = 0;

	d->dir = xstrdup(dir);
	d->fd = -1;
	d->dir_fd = -1;
	if (mkdir(dir, 0700) == 0)
		d->created = true;
	else if (errno != EEXIST) {
		r = -errno;
		*ret_err = xasprintf("cannot create directory '%s': %s", dir,
				     strerror(errno));
		goto out;
	}
	d->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dir_fd < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot open directory '%s': %s", dir,
				     strerror(errno));
		goto out;
	}
	if (!d->created && !dir_empty(d->dir_fd)) {
		r = -ENOTEMPTY;
		*ret_err = xasprintf("directory '%s' is not empty; extract "
				     "only into a new or empty directory",
				     dir);
		goto out;
	}
	d->sink.dir = dest_dir;
	d->sink.file_begin = dest_file_begin;
	d->sink.file_data = dest_file_data;
	d->sink.file_end = dest_file_end;
	d->sink.arg = d;
out:
	if (r < 0) {
		if (d->created)
			rmdir(dir);
		review_dest_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

const struct review_sink *review_dest_sink(struct review_dest *d)
{
	return &d->sink;
}

int review_dest_discard(struct review_dest *d)
{
	int dup_fd, r = 0;
	struct dirent *de;
	DIR *dir;

	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	if (d->created) {
		r = fs_remove_tree(d->dir);
		d->created = false;
		return r;
	}
	dup_fd = dup(d->dir_fd);
	if (dup_fd < 0 || !(dir = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -errno;
	}
	/* The duplicate shares dir_fd's offset, which may be at the end. */
	rewinddir(dir);
	while ((de = readdir(dir))) {
		char *p;
		int q;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", d->dir, de->d_name);
		q = fs_remove_tree(p);
		if (q < 0 && r == 0)
			r = q;
		free(p);
	}
	closedir(dir);
	return r;
}

void review_dest_free(struct review_dest *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->dir_fd >= 0)
		close(d->dir_fd);
	free(d->dir);
	free(d);
}
