/*
 * The pure parts of uploading: --to URLs per scheme, scrubbing them for
 * display, SigV4 encoding and canonical queries, Retry-After and backoff.
 * No I/O here, so all of it is unit-tested (tests/unit/test_upload.c).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "rdiag/buf.h"
#include "rdiag/url.h"
#include "upload/upload.h"

static const struct {
	const char *prefix;
	enum upload_scheme scheme;
} schemes[] = {
	{ "https://", UPLOAD_HTTPS }, { "s3://", UPLOAD_S3 },
	{ "sftp://", UPLOAD_SFTP },   { "tus+https://", UPLOAD_TUS },
	{ "file://", UPLOAD_FILE },
};

void upload_url_release(struct upload_url *u)
{
	free(u->user);
	free(u->host);
	free(u->path);
	free(u->query);
	free(u->bucket);
	free(u->key);
	memset(u, 0, sizeof(*u));
}

/*
 * rdiag's rules for a --to URL on top of url_split (libcurl's parser):
 * which schemes, no password, a user name only where it means something,
 * a query only for https (a presigned URL), the s3 key decoded.
 */
int upload_url_parse(const char *s, struct upload_url *ret, char **ret_err)
{
	struct upload_url u;
	struct url_parts p;
	enum url_fault f;
	const char *what;
	char *shown = NULL, *key = NULL;
	size_t i;
	bool found = false;
	int r = -EINVAL;

	memset(&u, 0, sizeof(u));
	memset(&p, 0, sizeof(p));
	if (strnlen(s, URL_MAX_LEN + 1) > URL_MAX_LEN)
		/* Not echoed: it would fill the terminal. */
		return error_set(ret_err, -EINVAL,
				 "upload target is too long (over %d bytes)",
				 URL_MAX_LEN);
	/* Schemes are case-insensitive (RFC 3986 3.1). */
	for (i = 0; i < ARRAY_SIZE(schemes) && !found; i++)
		if (strncasecmp(s, schemes[i].prefix,
				strlen(schemes[i].prefix)) == 0) {
			u.scheme = schemes[i].scheme;
			found = true;
		}
	shown = upload_url_scrub(s);
	if (!found) {
		r = error_set(ret_err, -EINVAL,
			      "unsupported upload target '%s': use "
			      "https://, s3://, sftp://, tus+https:// "
			      "or file://",
			      shown);
		goto out;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			r = error_set(ret_err, -EINVAL,
				      "upload target '%s' contains "
				      "spaces or control characters",
				      shown);
			goto out;
		}
	if (u.scheme == UPLOAD_FILE) {
		if (url_split(s, URL_AS_FILE, &p, &f) < 0 || !p.has_path ||
		    p.query || p.fragment) {
			r = error_set(ret_err, -EINVAL,
				      "file target '%s' must be "
				      "file:///absolute/path",
				      shown);
			goto out;
		}
		if (url_decode(p.path, strlen(p.path), false, &key) < 0) {
			r = error_set(ret_err, -EINVAL,
				      "bad escape in upload "
				      "target '%s'",
				      shown);
			goto out;
		}
		free(key);
		u.path = xstrdup(p.path);
		goto done;
	}
	if (url_has_password(s)) {
		r = error_set(ret_err, -EINVAL,
			      "upload target '%s' has a password "
			      "in it; passwords never go on the "
			      "command line: use "
			      "RDIAG_UPLOAD_PASSWORD or [upload] "
			      "password in a 0600 config file",
			      shown);
		goto out;
	}
	what = u.scheme == UPLOAD_S3 ? "bucket" : "host";
	if (url_split(s, 0, &p, &f) < 0) {
		switch (f) {
		case URL_FAULT_USER:
			r = error_set(ret_err, -EINVAL,
				      "bad user name in upload "
				      "target '%s'",
				      shown);
			break;
		case URL_FAULT_NO_HOST:
			r = error_set(ret_err, -EINVAL,
				      "upload target '%s' has no %s", shown,
				      what);
			break;
		case URL_FAULT_IPV6:
			r = error_set(ret_err, -EINVAL,
				      "bad IPv6 address in "
				      "upload target '%s'",
				      shown);
			break;
		case URL_FAULT_PORT:
			r = error_set(ret_err, -EINVAL,
				      "bad port in upload target "
				      "'%s'",
				      shown);
			break;
		default:
			r = error_set(ret_err, -EINVAL,
				      "bad %s name in upload target '%s'", what,
				      shown);
			break;
		}
		goto out;
	}
	if (p.user && (u.scheme == UPLOAD_S3 || !*p.user)) {
		r = error_set(ret_err, -EINVAL,
			      "bad user name in upload "
			      "target '%s'",
			      shown);
		goto out;
	}
	if (p.port && u.scheme == UPLOAD_S3) {
		r = error_set(ret_err, -EINVAL,
			      "bad port in upload target "
			      "'%s'",
			      shown);
		goto out;
	}
	if (p.fragment) {
		r = error_set(ret_err, -EINVAL,
			      "upload target '%s' has a "
			      "fragment",
			      shown);
		goto out;
	}
	if (p.query && u.scheme != UPLOAD_HTTPS) {
		r = error_set(ret_err, -EINVAL,
			      "upload target '%s' may not "
			      "have a query",
			      shown);
		goto out;
	}
	u.user = p.user;
	p.user = NULL;
	u.host = url_host_literal(&p);
	u.port = p.port;
	u.path = xstrdup(p.path);
	u.query = p.query;
	p.query = NULL;
	if (u.scheme == UPLOAD_S3) {
		u.bucket = u.host;
		u.host = NULL;
		/* Control characters are legal in an S3 key; NUL is not. */
		if (url_decode(u.path + 1, strlen(u.path + 1), true, &u.key) <
		    0) {
			r = error_set(ret_err, -EINVAL,
				      "bad escape in upload "
				      "target '%s'",
				      shown);
			goto out;
		}
	}
	/* sftp paths are used decoded (file ones above). */
	if (u.scheme == UPLOAD_SFTP) {
		if (url_decode(u.path, strlen(u.path), false, &key) < 0) {
			r = error_set(ret_err, -EINVAL,
				      "bad escape in upload "
				      "target '%s'",
				      shown);
			goto out;
		}
		free(key);
		key = NULL;
	}
	if (u.scheme == UPLOAD_SFTP && !u.user) {
		r = error_set(ret_err, -EINVAL,
			      "sftp target '%s' needs a user name: "
			      "sftp://USER@HOST[:PORT]/PATH",
			      shown);
		goto out;
	}
done:
	*ret = u;
	memset(&u, 0, sizeof(u));
	r = 0;
out:
	upload_url_release(&u);
	url_parts_release(&p);
	free(shown);
	return r;
}

char *upload_url_scrub(const char *s)
{
	const char *p = strstr(s, "://"), *auth_end, *at;
	struct buf b;
	size_t q;

	buf_init(&b, 0);
	if (!p) {
		q = strcspn(s, "?");
		buf_append(&b, s, q);
		if (s[q])
			buf_puts(&b, "?...");
		return buf_detach(&b, NULL);
	}
	p += 3;
	auth_end = p + strcspn(p, "/?#");
	buf_append(&b, s, (size_t)(p - s));
	at = NULL;
	for (const char *c = p; c < auth_end; c++)
		if (*c == '@')
			at = c;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		buf_append(&b, p, (size_t)((colon ? colon : at) - p));
		buf_putc(&b, '@');
		p = at + 1;
	}
	q = strcspn(p, "?#");
	buf_append(&b, p, q);
	if (p[q])
		buf_puts(&b, "?...");
	return buf_detach(&b, NULL);
}

char *upload_uri_encode(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 0);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || *c == '-' || *c == '_' || *c == '.' ||
		    *c == '~' || (keep_slash && *c == '/')) {
			buf_putc(&b, (char)*c);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*c >> 4]);
			buf_putc(&b, hex[*c & 15]);
		}
	}
	return buf_detach(&b, NULL);
}

struct qpair {
	char *name, *value;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

char *upload_s3_query(const char *const *names, const char *const *values,
		      size_t n)
{
	struct qpair *p = xcalloc(n ? n : 1, sizeof(*p));
	struct buf b;

	for (size_t i = 0; i < n; i++) {
		p[i].name = upload_uri_encode(names[i], false);
		p[i].value =
			upload_uri_encode(values[i] ? values[i] : "", false);
	}
	/* SigV4 sorts by the encoded names (byte order). */
	qsort(p, n, sizeof(*p), qpair_cmp);
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value);
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
	return buf_detach(&b, NULL);
}

unsigned upload_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   double jitter)
{
	uint64_t d = base_ms;

	if (attempt == 0)
		return 0;
	for (unsigned i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (jitter < 0)
		jitter = 0;
	if (jitter >= 1)
		jitter = 0.999999;
	return (unsigned)(d / 2 + (uint64_t)((double)(d - d / 2) * jitter));
}

char *upload_location_path(const char *base, const char *loc)
{
	CURLU *u = curl_url();
	char *path = NULL, *query = NULL, *ret = NULL;

	if (!u)
		return NULL;
	/* libcurl resolves a relative or absolute-path reference for us. */
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, loc, CURLU_NON_SUPPORT_SCHEME) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	if (path[0] == '/')
		ret = query ? xasprintf("%s?%s", path, query) : xstrdup(path);
out:
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return ret;
}
