/*
 * url_split and friends (include/rdiag/url.h): libcurl's URL API does the
 * parsing; this file adds the few rules every rdiag caller needs on top,
 * so upload, ticket and database targets are read the same way.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/buf.h"
#include "rdiag/url.h"
#include "rdiag/util.h"

void url_parts_release(struct url_parts *u)
{
	free(u->scheme);
	free(u->user);
	free(u->host);
	free(u->zone);
	free(u->path);
	free(u->query);
	free(u->fragment);
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

bool url_escapes_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= n)
			return false;
		if (hexval((unsigned char)s[i + 1]) < 0 ||
		    hexval((unsigned char)s[i + 2]) < 0)
			return false;
		i += 2;
	}
	return true;
}

int url_decode(const char *s, size_t n, bool allow_ctrl, char **ret)
{
	char *d, *out;
	int len = 0;

	if (n > URL_MAX_LEN || !url_escapes_valid(s, n))
		return -EINVAL;
	d = curl_easy_unescape(NULL, s, (int)n, &len);
	if (!d)
		return -ENOMEM;
	/* An encoded NUL would cut the value short wherever it is used. */
	if (memchr(d, '\0', (size_t)len))
		goto bad;
	for (int i = 0; !allow_ctrl && i < len; i++)
		if ((unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			goto bad;
	out = xstrndup(d, (size_t)len);
	curl_free(d);
	*ret = out;
	return 0;
bad:
	curl_free(d);
	return -EINVAL;
}

bool url_host_is_name(const char *h)
{
	if (!*h)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' &&
		    *h != '_')
			return false;
	return true;
}

char *url_host_literal(const struct url_parts *u)
{
	if (!u->host)
		return NULL;
	if (!strchr(u->host, ':'))
		return xstrdup(u->host);
	return u->zone ? xasprintf("[%s%%25%s]", u->host, u->zone)
		       : xasprintf("[%s]", u->host);
}

/* The '@' that ends the userinfo of authority a[0..n): the last one. */
static const char *userinfo_end(const char *a, size_t n)
{
	const char *at = NULL;

	for (const char *c = a; c < a + n; c++)
		if (*c == '@')
			at = c;
	return at;
}

bool url_has_password(const char *s)
{
	const char *p = strstr(s, "://"), *at;

	if (!p)
		return false;
	p += 3;
	at = userinfo_end(p, strcspn(p, "/?#"));
	return at && memchr(p, ':', (size_t)(at - p));
}

static bool scheme_valid(const char *s, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/*
 * The authority rules libcurl reads differently from rdiag: where the
 * userinfo ends, an empty host, an empty port. *ret_at is the '@' that
 * ends the userinfo, or NULL.
 */
static enum url_fault authority_check(const char *a, size_t n, unsigned flags,
				      const char **ret_at)
{
	const char *at = userinfo_end(a, n), *hp, *end = a + n, *port;

	*ret_at = at;
	if (at && !url_escapes_valid(a, (size_t)(at - a)))
		return URL_FAULT_USER;
	if (flags & URL_AS_FILE)
		return URL_FAULT_NONE; /* libcurl checks "" or localhost */
	hp = at ? at + 1 : a;
	if (hp == end)
		return URL_FAULT_NO_HOST;
	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(end - hp));

		if (!close)
			return URL_FAULT_IPV6;
		port = close + 1;
	} else {
		port = memchr(hp, ':', (size_t)(end - hp));
		if (!port)
			port = end;
		if (port == hp)
			return URL_FAULT_NO_HOST;
	}
	if (port < end && (*port != ':' || port + 1 == end))
		return URL_FAULT_PORT;
	return URL_FAULT_NONE;
}

static enum url_fault curl_fault(CURLUcode rc)
{
	switch (rc) {
	case CURLUE_BAD_PORT_NUMBER:
		return URL_FAULT_PORT;
	case CURLUE_BAD_IPV6:
		return URL_FAULT_IPV6;
	case CURLUE_BAD_HOSTNAME:
	case CURLUE_NO_HOST:
		return URL_FAULT_HOST;
	case CURLUE_BAD_FILE_URL:
		return URL_FAULT_FILE;
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD:
	case CURLUE_URLDECODE:
		return URL_FAULT_USER;
	default:
		return URL_FAULT_MALFORMED;
	}
}

/* A part as an owned string (NULL when absent); the CURLUcode otherwise. */
static CURLUcode get_part(CURLU *h, CURLUPart what, unsigned fl, char **ret)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(h, what, &v, fl);

	*ret = NULL;
	if (rc != CURLUE_OK)
		return rc;
	*ret = xstrdup(v);
	curl_free(v);
	return CURLUE_OK;
}

int url_split(const char *s, unsigned flags, struct url_parts *ret,
	      enum url_fault *ret_fault)
{
	struct url_parts u;
	enum url_fault f;
	const char *sep, *auth, *at;
	size_t alen;
	struct buf b;
	char *full = NULL, *port = NULL, *host = NULL;
	CURLU *h = NULL;
	CURLUcode rc;

	memset(&u, 0, sizeof(u));
	buf_init(&b, 0);
	if (strnlen(s, URL_MAX_LEN + 1) > URL_MAX_LEN) {
		f = URL_FAULT_TOO_LONG;
		goto fail;
	}
	sep = strstr(s, "://");
	if (!sep || !scheme_valid(s, (size_t)(sep - s))) {
		f = URL_FAULT_NO_SCHEME;
		goto fail;
	}
	auth = sep + 3;
	alen = strcspn(auth, "/?#");
	if ((f = authority_check(auth, alen, flags, &at)) != URL_FAULT_NONE)
		goto fail;
	u.has_path = auth[alen] == '/';
	/* libcurl ends the userinfo at the first '@'; rdiag at the last. */
	if (flags & URL_AS_FILE)
		buf_puts(&b, "file://");
	else
		buf_append(&b, s, (size_t)(auth - s));
	for (const char *c = auth; at && c < at; c++) {
		if (*c == '@')
			buf_puts(&b, "%40");
		else
			buf_putc(&b, *c);
	}
	buf_puts(&b, at ? at : auth);
	full = buf_detach(&b, NULL);
	if (!(h = curl_url()))
		abort(); /* out of memory, as xmalloc */
	rc = curl_url_set(
		h, CURLUPART_URL, full,
		CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS |
			(flags & URL_ALLOW_SPACE ? CURLU_ALLOW_SPACE : 0));
	if (rc != CURLUE_OK) {
		f = curl_fault(rc);
		goto fail;
	}
	u.scheme = xstrndup(s, (size_t)(sep - s));
	for (char *c = u.scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (at) {
		rc = get_part(h, CURLUPART_USER, CURLU_URLDECODE, &u.user);
		if (rc == CURLUE_NO_USER)
			u.user = xstrdup("");
		else if (rc != CURLUE_OK) {
			f = URL_FAULT_USER;
			goto fail;
		}
		u.has_password = memchr(auth, ':', (size_t)(at - auth));
	}
	if (!(flags & URL_AS_FILE) &&
	    get_part(h, CURLUPART_HOST, 0, &host) == CURLUE_OK) {
		size_t n = strlen(host);

		if (host[0] == '[' && n >= 2 && host[n - 1] == ']')
			u.host = xstrndup(host + 1, n - 2);
		else
			u.host = xstrdup(host);
		(void)get_part(h, CURLUPART_ZONEID, 0, &u.zone);
	}
	if (get_part(h, CURLUPART_PORT, 0, &port) == CURLUE_OK) {
		unsigned long long v;

		if (parse_uint(port, 1, 65535, &v) < 0) {
			f = URL_FAULT_PORT;
			goto fail;
		}
		u.port = (unsigned)v;
	}
	if (get_part(h, CURLUPART_PATH, 0, &u.path) != CURLUE_OK)
		u.path = xstrdup("/");
	(void)get_part(h, CURLUPART_QUERY, 0, &u.query);
	(void)get_part(h, CURLUPART_FRAGMENT, 0, &u.fragment);
	*ret = u;
	memset(&u, 0, sizeof(u));
	f = URL_FAULT_NONE;
fail:
	url_parts_release(&u);
	buf_release(&b);
	curl_url_cleanup(h);
	free(full);
	free(port);
	free(host);
	*ret_fault = f;
	return f == URL_FAULT_NONE ? 0 : -EINVAL;
}
