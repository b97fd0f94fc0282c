/*
 * HTTP-based targets: https:// PUT (WebDAV-style stores, presigned URLs) or
 * a multipart POST with --form, and tus 1.0 (tus+https://), which resumes
 * from the offset the server reports. A plain PUT cannot resume, so every
 * retry of it sends the whole bundle again.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bundle_format.h"
#include "core/log.h"
#include "platform/fsutil.h"
#include "upload/upload_backend.h"
#include "upload/upload_int.h"

/* https://host[:port] */
static char *origin(const struct upload_url *u)
{
	return u->port ? xasprintf("https://%s:%u", u->host, u->port)
		       : xasprintf("https://%s", u->host);
}

/* The URL libcurl gets; a path ending in '/' gets the bundle's name. */
static char *target_url(const struct upload_ctx *c)
{
	const struct upload_url *u = c->u;
	char *o = origin(u), *name = NULL, *url;
	size_t n = strlen(u->path);

	if (n > 0 && u->path[n - 1] == '/' && c->u->scheme == UPLOAD_HTTPS &&
	    !c->o->form_field)
		name = upload_uri_encode(c->base, false);
	url = xasprintf("%s%s%s%s%s", o, u->path, name ? name : "",
			u->query ? "?" : "", u->query ? u->query : "");
	free(o);
	free(name);
	return url;
}

static int set_auth(struct upload_ctx *c, CURL *h, struct upload_fail *f)
{
	const char *user = c->u->user ? c->u->user : c->o->user;

	if (!user)
		return 0;
	if (!c->o->password) {
		upload_fail_set(f, false,
				"user '%s' needs a password: set "
				"RDIAG_UPLOAD_PASSWORD or [upload] password "
				"in a 0600 config file",
				user);
		return -EINVAL;
	}
	curl_easy_setopt(h, CURLOPT_USERNAME, user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->o->password);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	return 0;
}

static void keep_confirmation(struct upload_ctx *c, struct upload_resp *resp)
{
	if (resp->etag) {
		free(c->etag);
		c->etag = xstrdup(resp->etag);
	}
	if (resp->server_hash) {
		free(c->server_hash);
		c->server_hash = xasprintf("sha256:%s", resp->server_hash);
	}
}

static int upload_https_attempt(struct upload_ctx *c, struct upload_fail *f)
{
	struct upload_resp resp;
	struct upload_reader rd;
	curl_mime *mime = NULL;
	char *url = target_url(c);
	CURL *h;
	int r;

	upload_resp_init(&resp);
	h = upload_curl_new(c, url, &resp);
	if ((r = set_auth(c, h, f)) < 0)
		goto out;
	c->done_before = 0;
	rd.fd = c->fd;
	rd.start = rd.pos = 0;
	rd.end = c->size;
	if (c->o->form_field) {
		curl_mimepart *part;

		mime = curl_mime_init(h);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, c->o->form_field);
		curl_mime_filename(part, c->base);
		curl_mime_type(part, "application/octet-stream");
		curl_mime_data_cb(part, (curl_off_t)c->size, upload_reader_read,
				  upload_reader_seek, NULL, &rd);
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	} else {
		upload_reader_attach(h, &rd, c->fd, 0, c->size);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	}
	r = upload_perform(c, h, &resp, "upload", f);
	if (r == 0)
		keep_confirmation(c, &resp);
out:
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	upload_resp_release(&resp);
	free(url);
	return r;
}

/* ---- tus 1.0 ---- */

static char *tus_state_path(const struct upload_ctx *c)
{
	return upload_side_path(c, ".tus-resume.json");
}

static char *tus_state_read(const struct upload_ctx *c)
{
	char *path = tus_state_path(c), *loc = NULL;
	json_t *j = json_load_file(path, 0, NULL);
	const char *t, *l;
	json_int_t size, mtime;

	if (j &&
	    json_unpack(j, "{s:s, s:s, s:I, s:I}", "target", &t, "location", &l,
			"size", &size, "mtime", &mtime) == 0 &&
	    strcmp(t, c->shown) == 0 && (uint64_t)size == c->size &&
	    mtime == c->mtime && l[0] == '/' && strlen(l) < 2048)
		loc = xstrdup(l);
	json_decref(j);
	free(path);
	return loc;
}

static void tus_state_write(const struct upload_ctx *c, const char *loc)
{
	char *path = tus_state_path(c), *text;
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "format",
			      BUNDLE_FORMAT_TUS_STATE, "target", c->shown,
			      "location", loc, "size", (json_int_t)c->size,
			      "mtime", (json_int_t)c->mtime);

	/* Never through a fixed temporary name: see fs_write_atomic(). */
	text = json_dumps(j, JSON_INDENT(2));
	if (!text || fs_write_atomic(path, text, strlen(text), 0600) < 0)
		log_msg("cannot write '%s', ignoring (no resume)", path);
	free(text);
	json_decref(j);
	free(path);
}

static struct curl_slist *tus_headers(struct curl_slist *l)
{
	return curl_slist_append(l, "Tus-Resumable: 1.0.0");
}

static int tus_create(struct upload_ctx *c, const char *endpoint,
		      char **ret_loc, struct upload_fail *f)
{
	struct upload_resp resp;
	struct curl_slist *hdr = tus_headers(NULL);
	char b64[512], *line;
	CURL *h;
	int r;

	upload_resp_init(&resp);
	if (strlen(c->base) > 300) {
		upload_fail_set(f, false, "bundle name too long for tus");
		upload_resp_release(&resp);
		curl_slist_free_all(hdr);
		return -EINVAL;
	}
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)c->base,
			  strlen(c->base), sodium_base64_VARIANT_ORIGINAL);
	line = xasprintf("Upload-Length: %llu", (unsigned long long)c->size);
	hdr = curl_slist_append(hdr, line);
	free(line);
	line = xasprintf("Upload-Metadata: filename %s", b64);
	hdr = curl_slist_append(hdr, line);
	free(line);
	h = upload_curl_new(c, endpoint, &resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	if ((r = set_auth(c, h, f)) == 0 &&
	    (r = upload_perform(c, h, &resp, "tus create", f)) == 0) {
		char *p = resp.location ? upload_location_path(endpoint,
							       resp.location)
					: NULL;

		if (resp.status != 201 || !p) {
			upload_fail_set(f, false,
					"tus create: the server answered HTTP "
					"%ld without a usable Location",
					resp.status);
			free(p);
			r = -EIO;
		} else {
			*ret_loc = p;
		}
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	return r;
}

static int parse_offset(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;

	if (!s || parse_uint(s, 0, max, &v) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int upload_tus_attempt(struct upload_ctx *c, struct upload_fail *f)
{
	struct upload_resp resp;
	struct upload_reader rd;
	struct curl_slist *hdr = NULL;
	char *o = origin(c->u), *endpoint = xasprintf("%s%s", o, c->u->path);
	char *loc = tus_state_read(c), *url = NULL, *line;
	uint64_t off = 0;
	CURL *h = NULL;
	int r;

	upload_resp_init(&resp);
	if (!loc) {
		if ((r = tus_create(c, endpoint, &loc, f)) < 0)
			goto out;
		tus_state_write(c, loc);
	}
	url = xasprintf("%s%s", o, loc);
	/* Where does the server stand? */
	hdr = tus_headers(NULL);
	h = upload_curl_new(c, url, &resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if ((r = set_auth(c, h, f)) < 0)
		goto out;
	r = upload_perform(c, h, &resp, "tus offset", f);
	if (r < 0) {
		if (resp.status == 404 || resp.status == 410) {
			/* The server forgot the upload: start a new one. */
			char *path = tus_state_path(c);

			unlink(path);
			free(path);
			f->retryable = true;
		}
		goto out;
	}
	if (parse_offset(resp.upload_offset, c->size, &off) < 0) {
		upload_fail_set(f, false,
				"tus offset: the server gave no valid "
				"Upload-Offset");
		r = -EIO;
		goto out;
	}
	if (c->attempts == 1)
		c->resumed_at = off;
	if (off > c->high_water) {
		c->progressed = c->attempts > 1;
		c->high_water = off;
	}
	if (off > 0)
		log_msg("tus: resuming at byte %llu of %llu",
			(unsigned long long)off, (unsigned long long)c->size);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	upload_resp_init(&resp);
	hdr = tus_headers(NULL);
	hdr = curl_slist_append(
		hdr, "Content-Type: application/offset+octet-stream");
	line = xasprintf("Upload-Offset: %llu", (unsigned long long)off);
	hdr = curl_slist_append(hdr, line);
	free(line);
	h = upload_curl_new(c, url, &resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
	(void)set_auth(c, h, f);
	c->done_before = off;
	upload_reader_attach(h, &rd, c->fd, off, c->size);
	if ((r = upload_perform(c, h, &resp, "tus upload", f)) < 0) {
		f->retryable = f->retryable || resp.status == 409;
		goto out;
	}
	if (parse_offset(resp.upload_offset, c->size, &off) < 0 ||
	    off != c->size) {
		upload_fail_set(f, true,
				"tus upload: the server confirmed only %llu "
				"of %llu bytes",
				(unsigned long long)off,
				(unsigned long long)c->size);
		r = -EIO;
		goto out;
	}
	{
		char *path = tus_state_path(c);

		unlink(path);
		free(path);
	}
	free(c->etag);
	c->etag = NULL;
	r = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	free(o);
	free(endpoint);
	free(loc);
	free(url);
	return r;
}

const struct upload_backend upload_backend_https = {
	.scheme = UPLOAD_HTTPS,
	.name = "https",
	.attempt = upload_https_attempt,
};

const struct upload_backend upload_backend_tus = {
	.scheme = UPLOAD_TUS,
	.name = "tus",
	.attempt = upload_tus_attempt,
};
