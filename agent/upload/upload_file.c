/*
 * file:///PATH targets: a local or mounted copy, written as NAME.partial
 * through libcurl's file protocol (appended to when a previous attempt left
 * one), synced, then renamed to NAME so a reader never sees half a bundle.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "rdiag/url.h"
#include "upload/upload_backend.h"
#include "upload/upload_int.h"

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

static int upload_file_attempt(struct upload_ctx *c, struct upload_fail *f)
{
	struct upload_resp resp;
	struct upload_reader rd;
	struct stat sb;
	char *dest, *partial, *enc, *url, *dircopy, *dir;
	uint64_t off = 0;
	size_t n;
	CURL *h;
	int r;

	/* upload_url_parse() refused a path that does not decode. */
	{
		char *p = NULL;

		if (url_decode(c->u->path, strlen(c->u->path), false, &p) < 0) {
			upload_fail_set(f, false, "copy: bad path '%s'",
					c->u->path);
			return -EINVAL;
		}
		n = strlen(p);
		if ((n > 0 && p[n - 1] == '/') ||
		    (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)))
			dest = xasprintf("%s%s%s", p,
					 p[n - 1] == '/' ? "" : "/", c->base);
		else
			dest = xstrdup(p);
		free(p);
	}
	partial = xasprintf("%s.partial", dest);
	enc = upload_uri_encode(partial, true);
	url = xasprintf("file://%s", enc);
	dircopy = xstrdup(dest);
	dir = dirname(dircopy);
	upload_resp_init(&resp);
	/*
	 * A directory that is not there will not appear by retrying: say so
	 * at once (a full or flaky disk still gets its retries below).
	 */
	if (stat(dir, &sb) < 0 ? errno == ENOENT || errno == ENOTDIR
			       : !S_ISDIR(sb.st_mode)) {
		upload_fail_set(f, false, "copy: directory '%s' does not exist",
				dir);
		r = -EIO;
		goto out_nohandle;
	}
	if (lstat(partial, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			upload_fail_set(f, false,
					"'%s' exists and is not a "
					"regular file",
					partial);
			r = -EINVAL;
			goto out_nohandle;
		}
		if ((uint64_t)sb.st_size <= c->size)
			off = (uint64_t)sb.st_size;
		if (off)
			log_msg("file: resuming at byte %llu",
				(unsigned long long)off);
	}
	if (c->attempts == 1)
		c->resumed_at = off;
	c->done_before = 0;
	h = upload_curl_new(c, url, &resp);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_NEW_FILE_PERMS, 0600L);
	curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)off);
	upload_reader_attach(h, &rd, c->fd, 0, c->size);
	r = upload_perform(c, h, &resp, "copy", f);
	curl_easy_cleanup(h);
	if (r < 0) {
		f->retryable = resp.cc == CURLE_WRITE_ERROR;
		goto out_nohandle;
	}
	if ((r = sync_path(partial, O_RDONLY)) < 0 || lstat(partial, &sb) < 0 ||
	    (uint64_t)sb.st_size != c->size) {
		upload_fail_set(f, true, "copy: '%s' is incomplete", partial);
		r = -EIO;
		goto out_nohandle;
	}
	if (rename(partial, dest) < 0) {
		r = -errno;
		upload_fail_set(f, false, "cannot rename '%s': %s", partial,
				strerror(-r));
		goto out_nohandle;
	}
	(void)sync_path(dir, O_RDONLY | O_DIRECTORY);
	r = 0;
out_nohandle:
	upload_resp_release(&resp);
	free(dest);
	free(partial);
	free(enc);
	free(url);
	free(dircopy);
	return r;
}

const struct upload_backend upload_backend_file = {
	.scheme = UPLOAD_FILE,
	.name = "file",
	.attempt = upload_file_attempt,
};
