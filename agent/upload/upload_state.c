/*
 * The files an upload leaves beside the bundle: the S3 resume file (upload
 * id and the ETag of every part done, so a later run resumes where this one
 * stopped) and the receipt. Both are JSON written atomically, and both are
 * read back as untrusted input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bundle_format.h"
#include "platform/fsutil.h"
#include "upload/upload.h"

/* Bigger than any legitimate state: 10 000 parts with their ETags. */
#define STATE_MAX_BYTES (4u << 20)

static int write_atomic(const char *path, json_t *j, mode_t mode)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII |
					JSON_SORT_KEYS);
	char *text;
	int r;

	if (!s)
		return -ENOMEM;
	text = xasprintf("%s\n", s);
	r = fs_write_atomic(path, text, strlen(text), mode);
	free(text);
	free(s);
	return r;
}

static int read_json(const char *path, json_t **ret)
{
	json_error_t e;
	struct stat sb;
	json_t *j;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > (off_t)STATE_MAX_BYTES) {
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	j = json_loadf(f, JSON_REJECT_DUPLICATES, &e);
	fclose(f);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return -EINVAL;
	}
	*ret = j;
	return 0;
}

void upload_s3_state_init(struct upload_s3_state *st)
{
	memset(st, 0, sizeof(*st));
}

void upload_s3_state_release(struct upload_s3_state *st)
{
	for (size_t i = 0; i < st->nparts; i++)
		free(st->etags[i]);
	free(st->etags);
	free(st->target);
	free(st->upload_id);
	upload_s3_state_init(st);
}

int upload_s3_state_write(const char *path, const struct upload_s3_state *st)
{
	json_t *j = json_object(), *parts = json_array();
	int r;

	for (size_t i = 0; i < st->nparts; i++)
		if (st->etags[i])
			json_array_append_new(parts,
					      json_pack("{s:I, s:s}", "part",
							(json_int_t)(i + 1),
							"etag", st->etags[i]));
	json_object_set_new(j, "format", json_string("rdiag-s3-resume/1"));
	json_object_set_new(j, "target", json_string(st->target));
	json_object_set_new(j, "upload_id", json_string(st->upload_id));
	json_object_set_new(j, "size", json_integer((json_int_t)st->size));
	json_object_set_new(j, "mtime", json_integer((json_int_t)st->mtime));
	json_object_set_new(j, "part_size",
			    json_integer((json_int_t)st->part_size));
	json_object_set_new(j, "parts", parts);
	r = write_atomic(path, j, 0600);
	json_decref(j);
	return r;
}

int upload_s3_state_read(const char *path, struct upload_s3_state *st)
{
	json_t *j = NULL, *parts, *p;
	const char *fmt, *target, *id;
	json_int_t size, mtime, part_size;
	size_t i;
	int r;

	upload_s3_state_init(st);
	if ((r = read_json(path, &j)) < 0)
		return r;
	r = -EINVAL;
	if (json_unpack(j, "{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "format",
			&fmt, "target", &target, "upload_id", &id, "size",
			&size, "mtime", &mtime, "part_size", &part_size,
			"parts", &parts) < 0 ||
	    strcmp(fmt, "rdiag-s3-resume/1") != 0 || size < 0 ||
	    part_size <= 0 || !json_is_array(parts) || !*id)
		goto out;
	st->size = (uint64_t)size;
	st->mtime = mtime;
	st->part_size = (uint64_t)part_size;
	st->nparts = (size_t)((st->size + st->part_size - 1) / st->part_size);
	if (st->nparts == 0 || st->nparts > 10000)
		goto out;
	st->etags = xcalloc(st->nparts, sizeof(*st->etags));
	json_array_foreach(parts, i, p)
	{
		json_int_t n;
		const char *etag;

		if (json_unpack(p, "{s:I, s:s}", "part", &n, "etag", &etag) <
			    0 ||
		    n < 1 || (size_t)n > st->nparts || !*etag ||
		    strlen(etag) > 200 || st->etags[n - 1])
			goto out;
		st->etags[n - 1] = xstrdup(etag);
	}
	st->target = xstrdup(target);
	st->upload_id = xstrdup(id);
	r = 0;
out:
	if (r < 0)
		upload_s3_state_release(st);
	json_decref(j);
	return r;
}

void upload_receipt_release(struct upload_receipt *r)
{
	free(r->status);
	free(r->target);
	free(r->scheme);
	free(r->bundle);
	free(r->etag);
	free(r->server_hash);
	free(r->sha256);
	memset(r, 0, sizeof(*r));
}

json_t *upload_receipt_json(const struct upload_receipt *r)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:I, s:s?, s:s?, s:s?, "
			 "s:s, s:I}",
			 "format", BUNDLE_FORMAT_RECEIPT, "status",
			 r->status ? r->status : "uploaded", "target",
			 r->target, "scheme", r->scheme, "bundle", r->bundle,
			 "size", (json_int_t)r->size, "etag", r->etag,
			 "server_hash", r->server_hash, "sha256", r->sha256,
			 "time", r->time, "attempts", (json_int_t)r->attempts);
}

int upload_receipt_write(const char *path, const struct upload_receipt *r)
{
	json_t *j = upload_receipt_json(r);
	int ret;

	if (!j)
		return -EINVAL;
	ret = write_atomic(path, j, 0644);
	json_decref(j);
	return ret;
}

static char *opt_string(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s && strlen(s) < 4096 ? xstrdup(s) : NULL;
}

int upload_receipt_read(const char *path, struct upload_receipt *r)
{
	json_t *j = NULL;
	const char *fmt, *status, *t;
	json_int_t size;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = read_json(path, &j)) < 0)
		return ret;
	ret = -EINVAL;
	if (json_unpack(j, "{s:s, s:s, s:I, s:s}", "format", &fmt, "status",
			&status, "size", &size, "time", &t) < 0 ||
	    strcmp(fmt, BUNDLE_FORMAT_RECEIPT) != 0 || size < 0 ||
	    strlen(t) >= sizeof(r->time))
		goto out;
	r->status = xstrdup(status);
	r->size = (uint64_t)size;
	snprintf(r->time, sizeof(r->time), "%s", t);
	r->target = opt_string(j, "target");
	r->scheme = opt_string(j, "scheme");
	r->bundle = opt_string(j, "bundle");
	r->etag = opt_string(j, "etag");
	r->server_hash = opt_string(j, "server_hash");
	r->sha256 = opt_string(j, "sha256");
	ret = 0;
out:
	json_decref(j);
	return ret;
}
