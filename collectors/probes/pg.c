/*
 * PostgreSQL: parse the answers to SSLRequest and StartupMessage, and the
 * short exchange that provokes them. Enough to say "TLS yes/no, the server
 * wants SCRAM" or "no pg_hba.conf entry for this host" without a password.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probes/pg.h"
#include "probes/wire.h"

const uint8_t pg_ssl_request[8] = { 0x00, 0x00, 0x00, 0x08,
				    0x04, 0xD2, 0x16, 0x2F };

int pg_ssl_reply_parse(const uint8_t *p, size_t n, enum pg_ssl_answer *ret)
{
	if (n == 0)
		return -EAGAIN;
	if (p[0] != 'S' && p[0] != 'N' && p[0] != 'E')
		return -EBADMSG;
	*ret = (enum pg_ssl_answer)p[0];
	return 0;
}

static void parse_error_fields(const uint8_t *p, size_t n, struct pg_reply *r)
{
	bool have_v = false;

	while (n > 0 && p[0] != 0) {
		uint8_t type = p[0];
		long l = wire_strnlen(p + 1, n - 1);

		if (l < 0)
			return;
		switch (type) {
		case 'V':
			have_v = true;
			wire_copy_text(r->severity, sizeof(r->severity), p + 1,
				       (size_t)l);
			break;
		case 'S':
			if (!have_v)
				wire_copy_text(r->severity, sizeof(r->severity),
					       p + 1, (size_t)l);
			break;
		case 'C':
			wire_copy_text(r->sqlstate, sizeof(r->sqlstate), p + 1,
				       (size_t)l);
			break;
		case 'M':
			wire_copy_text(r->message, sizeof(r->message), p + 1,
				       (size_t)l);
			break;
		case 'D':
			wire_copy_text(r->detail, sizeof(r->detail), p + 1,
				       (size_t)l);
			break;
		case 'H':
			wire_copy_text(r->hint, sizeof(r->hint), p + 1,
				       (size_t)l);
			break;
		default:
			break;
		}
		p += (size_t)l + 2;
		n -= (size_t)l + 2;
	}
}

static void parse_sasl(const uint8_t *p, size_t n, struct pg_reply *r)
{
	size_t o = 0;

	while (n > 0 && p[0] != 0) {
		long l = wire_strnlen(p, n);
		char mech[64];
		size_t ml;

		if (l < 0)
			return;
		wire_copy_text(mech, sizeof(mech), p, (size_t)l);
		ml = strlen(mech);
		if (o + ml + 2 > sizeof(r->mechanisms))
			return;
		if (o)
			r->mechanisms[o++] = ',';
		memcpy(r->mechanisms + o, mech, ml + 1);
		o += ml;
		p += (size_t)l + 1;
		n -= (size_t)l + 1;
	}
}

static void parse_parameter(const uint8_t *p, size_t n, struct pg_reply *r)
{
	long kl = wire_strnlen(p, n), vl;

	if (kl < 0)
		return;
	vl = wire_strnlen(p + kl + 1, n - (size_t)kl - 1);
	if (vl < 0)
		return;
	if (strcmp((const char *)p, "server_version") == 0)
		wire_copy_text(r->server_version, sizeof(r->server_version),
			       p + kl + 1, (size_t)vl);
	else if (strcmp((const char *)p, "server_encoding") == 0)
		wire_copy_text(r->server_encoding, sizeof(r->server_encoding),
			       p + kl + 1, (size_t)vl);
}

int pg_reply_parse(const uint8_t *p, size_t n, struct pg_reply *ret)
{
	memset(ret, 0, sizeof(*ret));
	while (n > 0) {
		uint8_t type = p[0];
		uint32_t len;
		const uint8_t *body;
		size_t blen;

		if (n < 5)
			return -EAGAIN;
		len = wire_be32(p + 1);
		if (len < 4 || len > PG_MSG_MAX)
			return -EBADMSG;
		/* The first message must be an auth request or an error. */
		if (!ret->kind && type != 'R' && type != 'E' && type != 'N' &&
		    type != 'v')
			return -EBADMSG;
		if (n - 1 < len)
			return -EAGAIN;
		body = p + 5;
		blen = len - 4;
		switch (type) {
		case 'R':
			if (blen < 4)
				return -EBADMSG;
			if (ret->kind == PG_REPLY_AUTH && ret->auth_ok)
				return -EBADMSG;
			ret->kind = PG_REPLY_AUTH;
			ret->auth = wire_be32(body);
			if (ret->auth == PG_AUTH_SASL)
				parse_sasl(body + 4, blen - 4, ret);
			if (ret->auth != PG_AUTH_OK)
				return 0;
			ret->auth_ok = true;
			break;
		case 'E':
			ret->kind = PG_REPLY_ERROR;
			parse_error_fields(body, blen, ret);
			return 0;
		case 'S':
			parse_parameter(body, blen, ret);
			break;
		case 'Z':
			ret->ready = true;
			return 0;
		default:
			/* 'N' notice, 'v' protocol negotiation, 'K' key. */
			break;
		}
		p += 1 + (size_t)len;
		n -= 1 + (size_t)len;
	}
	return -EAGAIN;
}

int pg_startup_build(struct buf *b, const char *user, const char *database)
{
	static const char *const keys[] = { "user", "database",
					    "application_name" };
	const char *vals[] = { user, database, "rdiag" };
	size_t start = b->len, len;
	uint8_t hdr[8] = { 0, 0, 0, 0, 0x00, 0x03, 0x00, 0x00 };
	int r;

	if ((r = buf_append(b, hdr, sizeof(hdr))) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!vals[i] || !*vals[i])
			continue;
		if ((r = buf_append(b, keys[i], strlen(keys[i]) + 1)) < 0 ||
		    (r = buf_append(b, vals[i], strlen(vals[i]) + 1)) < 0)
			goto fail;
	}
	if ((r = buf_putc(b, '\0')) < 0)
		goto fail;
	len = b->len - start;
	b->data[start] = (char)(len >> 24 & 0xFF);
	b->data[start + 1] = (char)(len >> 16 & 0xFF);
	b->data[start + 2] = (char)(len >> 8 & 0xFF);
	b->data[start + 3] = (char)(len & 0xFF);
	return 0;
fail:
	b->len = start;
	b->data[start] = '\0';
	return r;
}

static int probe_send(int fd, struct tls_conn *tls, const void *p, size_t n,
		      int64_t deadline_ms)
{
	return tls ? tls_conn_write(tls, p, n, deadline_ms)
		   : net_send_all(fd, p, n, deadline_ms);
}

static ssize_t probe_recv(int fd, struct tls_conn *tls, void *p, size_t n,
			  int64_t deadline_ms)
{
	return tls ? tls_conn_read(tls, p, n, deadline_ms)
		   : net_recv(fd, p, n, deadline_ms);
}

int pg_probe(int fd, const char *servername, const char *user,
	     const char *database, bool with_tls,
	     const struct tls_client_opts *tls_opts, int64_t deadline_ms,
	     struct pg_probe_result *ret)
{
	struct tls_conn *tls = NULL;
	struct buf in, out;
	uint8_t c;
	ssize_t n;
	int r;

	memset(ret, 0, sizeof(*ret));
	buf_init(&in, PG_MSG_MAX * 2);
	buf_init(&out, 4096);
	net_local_host(fd, ret->local_host, sizeof(ret->local_host));

	if (!with_tls)
		goto startup;
	ret->stage = "ssl-request";
	if ((r = net_send_all(fd, pg_ssl_request, sizeof(pg_ssl_request),
			      deadline_ms)) < 0)
		goto out;
	n = net_recv(fd, &c, 1, deadline_ms);
	if (n <= 0) {
		r = n == 0 ? -ECONNRESET : (int)n;
		goto out;
	}
	if ((r = pg_ssl_reply_parse(&c, 1, &ret->ssl)) < 0)
		goto out;
	ret->ssl_answered = true;
	if (ret->ssl == PG_SSL_ERROR) {
		r = -EPROTO;
		goto out;
	}
	if (ret->ssl == PG_SSL_ACCEPTED) {
		ret->stage = "tls";
		ret->tls_done = true;
		ret->tls_rc = tls_conn_start_with(fd, servername, tls_opts,
						  deadline_ms, &tls, &ret->tls);
		if ((r = ret->tls_rc) < 0)
			goto out;
		if (tls_opts && tls_opts->certfile &&
		    (r = tls_conn_settle(tls, 500, deadline_ms)) < 0)
			goto out;
	}

startup:
	ret->stage = "startup";
	if ((r = pg_startup_build(&out, user, database)) < 0 ||
	    (r = probe_send(fd, tls, out.data, out.len, deadline_ms)) < 0)
		goto out;
	for (;;) {
		uint8_t chunk[4096];

		r = pg_reply_parse((const uint8_t *)in.data, in.len,
				   &ret->reply);
		if (r != -EAGAIN)
			break;
		n = probe_recv(fd, tls, chunk, sizeof(chunk), deadline_ms);
		if (n <= 0) {
			r = n == 0 ? -ECONNRESET : (int)n;
			break;
		}
		if (buf_append(&in, chunk, (size_t)n) < 0) {
			r = -EBADMSG;
			break;
		}
	}
	/* Trust answers before ReadyForQuery still say what they meant. */
	if (r < 0 && ret->reply.auth_ok)
		r = 0;
out:
	ret->rc = r;
	if (r < 0 && tls)
		snprintf(ret->tls_error, sizeof(ret->tls_error), "%s",
			 tls_conn_error(tls));
	tls_conn_free(tls);
	buf_release(&in);
	buf_release(&out);
	return 0;
}
