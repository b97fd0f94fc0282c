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

#include "core/error.h"
#include "rdiag/buf.h"
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

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode; -EINVAL for a bad escape or an encoded NUL. */
static int decode(const char *s, size_t n, char **ret)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval((unsigned char)s[i + 1])
					   : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2])
					   : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return -EINVAL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*ret = out;
	return 0;
}

int upload_url_parse(const char *s, struct upload_url *ret, char **ret_err)
{
	struct upload_url u;
	const char *p = NULL, *auth, *auth_end, *at, *host, *host_end, *q;
	char *shown = NULL;
	size_t i;
	int r = -EINVAL;

	memset(&u, 0, sizeof(u));
	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (strncmp(s, schemes[i].prefix, strlen(schemes[i].prefix)) ==
		    0) {
			u.scheme = schemes[i].scheme;
			p = s + strlen(schemes[i].prefix);
			break;
		}
	shown = upload_url_scrub(s);
	if (!p) {
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
	auth = p;
	auth_end = auth + strcspn(auth, "/?#");
	if (u.scheme == UPLOAD_FILE) {
		if (auth_end != auth && !(auth_end - auth == 9 &&
					  strncmp(auth, "localhost", 9) == 0)) {
			r = error_set(ret_err, -EINVAL,
				      "file target '%s' must be "
				      "file:///absolute/path",
				      shown);
			goto out;
		}
		if (*auth_end != '/' || strchr(auth_end, '?') ||
		    strchr(auth_end, '#')) {
			r = error_set(ret_err, -EINVAL,
				      "file target '%s' must be "
				      "file:///absolute/path",
				      shown);
			goto out;
		}
		u.path = xstrdup(auth_end);
		goto done;
	}
	at = memchr(auth, '@', (size_t)(auth_end - auth));
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));

		if (colon) {
			r = error_set(ret_err, -EINVAL,
				      "upload target '%s' has a password "
				      "in it; passwords never go on the "
				      "command line: use "
				      "RDIAG_UPLOAD_PASSWORD or [upload] "
				      "password in a 0600 config file",
				      shown);
			goto out;
		}
		if (u.scheme == UPLOAD_S3 || at == auth ||
		    decode(auth, (size_t)(at - auth), &u.user) < 0) {
			r = error_set(ret_err, -EINVAL,
				      "bad user name in upload "
				      "target '%s'",
				      shown);
			goto out;
		}
		host = at + 1;
	} else {
		host = auth;
	}
	if (*host == '[') {
		const char *close =
			memchr(host, ']', (size_t)(auth_end - host));

		if (!close) {
			r = error_set(ret_err, -EINVAL,
				      "bad IPv6 address in "
				      "upload target '%s'",
				      shown);
			goto out;
		}
		host_end = close + 1;
	} else {
		host_end = memchr(host, ':', (size_t)(auth_end - host));
		if (!host_end)
			host_end = auth_end;
	}
	if (host_end == host) {
		r = error_set(ret_err, -EINVAL, "upload target '%s' has no %s",
			      shown, u.scheme == UPLOAD_S3 ? "bucket" : "host");
		goto out;
	}
	u.host = xstrndup(host, (size_t)(host_end - host));
	if (host_end < auth_end) {
		char *port;
		unsigned long long v;

		if (*host_end != ':' || u.scheme == UPLOAD_S3) {
			r = error_set(ret_err, -EINVAL,
				      "bad port in upload target "
				      "'%s'",
				      shown);
			goto out;
		}
		port = xstrndup(host_end + 1,
				(size_t)(auth_end - host_end - 1));
		if (parse_uint(port, 1, 65535, &v) < 0) {
			free(port);
			r = error_set(ret_err, -EINVAL,
				      "bad port in upload target "
				      "'%s'",
				      shown);
			goto out;
		}
		free(port);
		u.port = (unsigned)v;
	}
	q = auth_end + strcspn(auth_end, "?#");
	u.path = *auth_end == '/' ? xstrndup(auth_end, (size_t)(q - auth_end))
				  : xstrdup("/");
	if (*q == '#' || strchr(q, '#')) {
		r = error_set(ret_err, -EINVAL,
			      "upload target '%s' has a "
			      "fragment",
			      shown);
		goto out;
	}
	if (*q == '?') {
		if (u.scheme != UPLOAD_HTTPS) {
			r = error_set(ret_err, -EINVAL,
				      "upload target '%s' may not "
				      "have a query",
				      shown);
			goto out;
		}
		u.query = xstrdup(q + 1);
	}
	if (u.scheme == UPLOAD_S3) {
		u.bucket = u.host;
		u.host = NULL;
		if (decode(u.path + 1, strlen(u.path + 1), &u.key) < 0) {
			r = error_set(ret_err, -EINVAL,
				      "bad escape in upload "
				      "target '%s'",
				      shown);
			goto out;
		}
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
