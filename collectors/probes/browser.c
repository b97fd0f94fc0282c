/*
 * SQL Server Browser: the request and the "key;value;...;;" reply. Every
 * field is copied bounded; an instance record that does not parse makes the
 * whole reply malformed rather than half-believed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probes/browser.h"
#include "probes/net.h"
#include "probes/wire.h"
#include "rdiag/util.h"

int browser_request_build(const char *instance, uint8_t *out, size_t max)
{
	size_t l = instance ? strlen(instance) : 0;

	if (l > 32 || max < l + 2)
		return -EINVAL;
	if (l == 0) {
		out[0] = 0x03;
		return 1;
	}
	out[0] = 0x04;
	memcpy(out + 1, instance, l);
	out[l + 1] = 0;
	return (int)l + 2;
}

/* Next "token;" in [*o, end): sets *tok and *tlen; false at the end. */
static bool next_token(const uint8_t *p, size_t end, size_t *o,
		       const uint8_t **tok, size_t *tlen)
{
	const uint8_t *semi;

	if (*o >= end)
		return false;
	semi = memchr(p + *o, ';', end - *o);
	if (!semi)
		return false;
	*tok = p + *o;
	*tlen = (size_t)(semi - (p + *o));
	*o += *tlen + 1;
	return true;
}

static bool token_is(const uint8_t *t, size_t l, const char *s)
{
	return l == strlen(s) && strncasecmp((const char *)t, s, l) == 0;
}

static int parse_instance(const uint8_t *p, size_t end, size_t *o,
			  struct browser_instance *in)
{
	const uint8_t *k, *v;
	size_t kl, vl;

	memset(in, 0, sizeof(*in));
	for (;;) {
		unsigned long long port;
		char tmp[8];

		if (!next_token(p, end, o, &k, &kl))
			return -EBADMSG;
		if (kl == 0)
			return 0; /* ";;" ends the instance */
		if (!next_token(p, end, o, &v, &vl))
			return -EBADMSG;
		if (token_is(k, kl, "ServerName"))
			wire_copy_text(in->server, sizeof(in->server), v, vl);
		else if (token_is(k, kl, "InstanceName"))
			wire_copy_text(in->instance, sizeof(in->instance), v,
				       vl);
		else if (token_is(k, kl, "Version"))
			wire_copy_text(in->version, sizeof(in->version), v, vl);
		else if (token_is(k, kl, "IsClustered"))
			in->clustered = token_is(v, vl, "Yes");
		else if (token_is(k, kl, "np"))
			wire_copy_text(in->np, sizeof(in->np), v, vl);
		else if (token_is(k, kl, "tcp")) {
			if (vl == 0 || vl >= sizeof(tmp))
				return -EBADMSG;
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			if (parse_uint(tmp, 1, 65535, &port) < 0)
				return -EBADMSG;
			in->tcp_port = (unsigned)port;
		}
	}
}

int browser_reply_parse(const uint8_t *p, size_t n, struct browser_reply *ret)
{
	size_t size, o = 3, end;

	memset(ret, 0, sizeof(*ret));
	if (n < 3 || p[0] != 0x05)
		return -EBADMSG;
	size = wire_le16(p + 1);
	if (size == 0 || n - 3 < size)
		return -EBADMSG;
	end = 3 + size;
	while (o < end) {
		struct browser_instance in;
		int r;

		/* Trailing NULs or spaces after the last ";;" are padding. */
		if (p[o] == 0 || p[o] == ' ')
			break;
		if ((r = parse_instance(p, end, &o, &in)) < 0)
			return r;
		if (!in.instance[0])
			return -EBADMSG;
		if (ret->n == BROWSER_MAX_INSTANCES) {
			ret->truncated = true;
			continue;
		}
		ret->v[ret->n++] = in;
	}
	return ret->n ? 0 : -EBADMSG;
}

const struct browser_instance *browser_reply_find(const struct browser_reply *r,
						  const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->v[i].instance, name) == 0)
			return &r->v[i];
	return NULL;
}

int browser_query(const struct sockaddr *sa, socklen_t salen,
		  const char *instance, int64_t deadline_ms,
		  struct browser_reply *ret)
{
	uint8_t req[40], *in = xmalloc(BROWSER_REPLY_MAX);
	size_t got = 0;
	int r, l;

	memset(ret, 0, sizeof(*ret));
	l = browser_request_build(instance, req, sizeof(req));
	if (l < 0) {
		r = l;
		goto out;
	}
	r = net_udp_exchange(sa, salen, req, (size_t)l, in, BROWSER_REPLY_MAX,
			     deadline_ms, &got);
	if (r == 0)
		r = browser_reply_parse(in, got, ret);
out:
	free(in);
	return r;
}
