/*
 * s3://bucket/key targets: one signed PUT up to multipart_threshold, a
 * multipart upload above it. Signing is libcurl's CURLOPT_AWS_SIGV4, with
 * what libcurl 7.88 leaves to its caller: the x-amz-content-sha256 header
 * (UNSIGNED-PAYLOAD for streamed bodies, the real hash for small ones) and
 * queries already in canonical form (sorted, "uploads=", values encoded).
 * The upload id and every finished part's ETag are kept in
 * BUNDLE.s3-resume.json, since servers like s3rver have no ListParts; a
 * later attempt or run sends only the parts not yet there.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "rdiag/buf.h"
#include "upload/upload_backend.h"
#include "upload/upload_int.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* https://endpoint/bucket/key or https://bucket.endpoint/key, no query. */
static char *object_url(const struct upload_ctx *c)
{
	const struct upload_opts *o = c->o;
	const struct upload_url *u = c->u;
	char *endpoint, *key, *enc, *url;
	size_t n = strlen(u->key);

	endpoint = o->s3_endpoint ? xstrdup(o->s3_endpoint)
				  : xasprintf("https://s3.%s.amazonaws.com",
					      o->s3_region);
	while (*endpoint && endpoint[strlen(endpoint) - 1] == '/')
		endpoint[strlen(endpoint) - 1] = '\0';
	key = n == 0 || u->key[n - 1] == '/'
		      ? xasprintf("%s%s", u->key, c->base)
		      : xstrdup(u->key);
	enc = upload_uri_encode(key, true);
	if (o->s3_path_style)
		url = xasprintf("%s/%s/%s", endpoint, u->bucket, enc);
	else
		url = xasprintf("https://%s.%s/%s", u->bucket, endpoint + 8,
				enc);
	free(endpoint);
	free(key);
	free(enc);
	return url;
}

static CURL *s3_handle(struct upload_ctx *c, const char *url,
		       struct upload_resp *resp, const char *payload_hash,
		       struct curl_slist **ret_hdr)
{
	const struct upload_opts *o = c->o;
	struct curl_slist *hdr = NULL;
	char *line, *sig = xasprintf("aws:amz:%s:s3", o->s3_region);
	CURL *h = upload_curl_new(c, url, resp);

	line = xasprintf("x-amz-content-sha256: %s", payload_hash);
	hdr = curl_slist_append(hdr, line);
	free(line);
	if (o->aws_token) {
		line = xasprintf("x-amz-security-token: %s", o->aws_token);
		hdr = curl_slist_append(hdr, line);
		sodium_memzero(line, strlen(line));
		free(line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(h, CURLOPT_USERNAME, o->aws_key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, o->aws_secret);
	free(sig);
	*ret_hdr = hdr;
	return h;
}

static int s3_put_whole(struct upload_ctx *c, const char *url,
			struct upload_fail *f)
{
	struct upload_resp resp;
	struct upload_reader rd;
	struct curl_slist *hdr;
	CURL *h;
	int r;

	upload_resp_init(&resp);
	h = s3_handle(c, url, &resp, "UNSIGNED-PAYLOAD", &hdr);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	c->done_before = 0;
	upload_reader_attach(h, &rd, c->fd, 0, c->size);
	r = upload_perform(c, h, &resp, "S3 put", f);
	if (r == 0 && resp.etag) {
		free(c->etag);
		c->etag = xstrdup(resp.etag);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	return r;
}

/* POST with a small in-memory body whose hash is signed. */
static int s3_post(struct upload_ctx *c, const char *url, const char *body,
		   const char *what, struct upload_resp *resp,
		   struct upload_fail *f)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	struct curl_slist *hdr;
	CURL *h;
	int r;

	crypto_hash_sha256(d, (const unsigned char *)body, strlen(body));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	h = s3_handle(c, url, resp, hex, &hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	if (*body)
		hdr = curl_slist_append(hdr, "Content-Type: application/xml");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	r = upload_perform(c, h, resp, what, f);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	return r;
}

static char *with_query(const char *url, const char *const *names,
			const char *const *values, size_t n)
{
	char *q = upload_s3_query(names, values, n);
	char *s = xasprintf("%s?%s", url, q);

	free(q);
	return s;
}

static char *state_path(const struct upload_ctx *c)
{
	return upload_side_path(c, ".s3-resume.json");
}

static int s3_initiate(struct upload_ctx *c, const char *url,
		       struct upload_s3_state *st, struct upload_fail *f)
{
	static const char *const names[] = { "uploads" };
	static const char *const values[] = { NULL };
	struct upload_resp resp;
	char *u = with_query(url, names, values, 1), *id;
	int r;

	upload_resp_init(&resp);
	r = s3_post(c, u, "", "S3 initiate multipart", &resp, f);
	if (r == 0) {
		id = upload_xml_value(resp.body.data, "UploadId");
		if (!id || !*id) {
			upload_fail_set(f, false,
					"S3 initiate multipart: no UploadId in "
					"the answer");
			free(id);
			r = -EIO;
		} else {
			st->upload_id = id;
		}
	}
	upload_resp_release(&resp);
	free(u);
	return r;
}

static int s3_part(struct upload_ctx *c, const char *url,
		   struct upload_s3_state *st, size_t i, struct upload_fail *f)
{
	static const char *const names[] = { "partNumber", "uploadId" };
	const char *values[2];
	struct upload_resp resp;
	struct upload_reader rd;
	struct curl_slist *hdr;
	char num[24], what[64], *u;
	uint64_t start = (uint64_t)i * st->part_size, end;
	CURL *h;
	int r;

	end = start + st->part_size > c->size ? c->size : start + st->part_size;
	snprintf(num, sizeof(num), "%zu", i + 1);
	snprintf(what, sizeof(what), "S3 part %zu of %zu", i + 1, st->nparts);
	values[0] = num;
	values[1] = st->upload_id;
	u = with_query(url, names, values, 2);
	upload_resp_init(&resp);
	h = s3_handle(c, u, &resp, "UNSIGNED-PAYLOAD", &hdr);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	c->done_before = start;
	upload_reader_attach(h, &rd, c->fd, start, end);
	r = upload_perform(c, h, &resp, what, f);
	if (r == 0 && !resp.etag) {
		upload_fail_set(f, true, "%s: no ETag in the answer", what);
		r = -EIO;
	}
	if (r == 0)
		st->etags[i] = xstrdup(resp.etag);
	else if (resp.status == 404)
		f->retryable = false; /* NoSuchUpload: the id is gone */
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	free(u);
	return r;
}

static int s3_complete(struct upload_ctx *c, const char *url,
		       struct upload_s3_state *st, struct upload_fail *f)
{
	static const char *const names[] = { "uploadId" };
	const char *values[1] = { st->upload_id };
	struct upload_resp resp;
	struct buf body;
	char *u = with_query(url, names, values, 1), *code, *etag;
	int r;

	buf_init(&body, 0);
	buf_puts(&body, "<CompleteMultipartUpload>");
	for (size_t i = 0; i < st->nparts; i++)
		buf_printf(&body,
			   "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag>"
			   "</Part>",
			   i + 1, st->etags[i]);
	buf_puts(&body, "</CompleteMultipartUpload>");
	upload_resp_init(&resp);
	r = s3_post(c, u, body.data, "S3 complete multipart", &resp, f);
	/* S3 may answer 200 and put the error in the body. */
	if (r == 0 && (code = upload_xml_value(resp.body.data, "Code"))) {
		upload_fail_set(f, strcmp(code, "InternalError") == 0,
				"S3 complete multipart: S3 %s", code);
		free(code);
		r = -EIO;
	}
	if (r == 0 && (etag = upload_xml_value(resp.body.data, "ETag"))) {
		free(c->etag);
		c->etag = etag;
	}
	upload_resp_release(&resp);
	buf_release(&body);
	free(u);
	return r;
}

/* Continue from the resume file when it is for this bundle and target. */
static void load_state(struct upload_ctx *c, const char *path,
		       struct upload_s3_state *st)
{
	if (upload_s3_state_read(path, st) < 0)
		return;
	if (strcmp(st->target, c->shown) != 0 || st->size != c->size ||
	    st->mtime != c->mtime || st->part_size != c->o->part_size) {
		log_msg("S3 resume file '%s' is for another bundle, target "
			"or part size, ignoring",
			path);
		upload_s3_state_release(st);
	}
}

static int upload_s3_attempt(struct upload_ctx *c, struct upload_fail *f)
{
	struct upload_s3_state st;
	char *url = object_url(c), *path = state_path(c);
	size_t done = 0;
	int r;

	upload_s3_state_init(&st);
	if (c->size <= c->o->multipart_threshold) {
		r = s3_put_whole(c, url, f);
		goto out;
	}
	load_state(c, path, &st);
	if (!st.upload_id) {
		upload_s3_state_release(&st);
		st.target = xstrdup(c->shown);
		st.size = c->size;
		st.mtime = c->mtime;
		st.part_size = c->o->part_size;
		st.nparts =
			(size_t)((c->size + st.part_size - 1) / st.part_size);
		if (st.nparts > 10000) {
			upload_fail_set(f, false,
					"%zu parts are more than S3's 10000: "
					"raise [upload] part_size",
					st.nparts);
			r = -EINVAL;
			goto out;
		}
		st.etags = xcalloc(st.nparts, sizeof(*st.etags));
		if ((r = s3_initiate(c, url, &st, f)) < 0)
			goto out;
		if ((r = upload_s3_state_write(path, &st)) < 0)
			log_msg("cannot write '%s': %s, ignoring (no resume "
				"across runs)",
				path, strerror(-r));
	}
	for (size_t i = 0; i < st.nparts; i++)
		done += st.etags[i] != NULL;
	if (done > 0 && c->attempts == 1)
		c->resumed_at = done * st.part_size;
	if (done > 0)
		log_msg("S3: %zu of %zu parts already there, resuming", done,
			st.nparts);
	for (size_t i = 0; i < st.nparts; i++) {
		if (st.etags[i])
			continue;
		if ((r = s3_part(c, url, &st, i, f)) < 0) {
			if (!f->retryable)
				unlink(path); /* the upload id is dead */
			goto out;
		}
		c->progressed = true;
		if ((r = upload_s3_state_write(path, &st)) < 0)
			log_msg("cannot write '%s': %s, ignoring", path,
				strerror(-r));
	}
	if ((r = s3_complete(c, url, &st, f)) < 0)
		goto out;
	unlink(path);
	r = 0;
out:
	upload_s3_state_release(&st);
	free(url);
	free(path);
	return r;
}

/* Give up an S3 multipart upload (best effort) and drop its resume file. */
static void upload_s3_abandon(struct upload_ctx *c)
{
	static const char *const names[] = { "uploadId" };
	struct upload_s3_state st;
	struct upload_resp resp;
	struct upload_fail f;
	struct curl_slist *hdr;
	char *url, *u, *path = state_path(c);
	const char *values[1];
	CURL *h;

	load_state(c, path, &st);
	if (!st.upload_id) {
		free(path);
		return;
	}
	memset(&f, 0, sizeof(f));
	values[0] = st.upload_id;
	url = object_url(c);
	u = with_query(url, names, values, 1);
	upload_resp_init(&resp);
	h = s3_handle(c, u, &resp, EMPTY_SHA256, &hdr);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (upload_perform(c, h, &resp, "S3 abort multipart", &f) == 0)
		log_msg("S3 multipart upload aborted");
	else
		log_msg("%s, ignoring", f.reason);
	unlink(path);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_resp_release(&resp);
	upload_fail_release(&f);
	upload_s3_state_release(&st);
	free(url);
	free(u);
	free(path);
}

const struct upload_backend upload_backend_s3 = {
	.scheme = UPLOAD_S3,
	.name = "s3",
	.attempt = upload_s3_attempt,
	.abandon = upload_s3_abandon,
};
