/*
 * MySQL / MariaDB: parse the greeting or the error packet a server sends
 * on connect, and the short exchange around it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probes/mysql.h"
#include "probes/wire.h"

static int parse_error(const uint8_t *p, size_t n, struct mysql_wire_reply *r)
{
	if (n < 3)
		return -EBADMSG;
	r->kind = MYSQL_WIRE_ERROR;
	r->code = wire_le16(p + 1);
	p += 3;
	n -= 3;
	if (n >= 6 && p[0] == '#') {
		wire_copy_text(r->sqlstate, sizeof(r->sqlstate), p + 1, 5);
		p += 6;
		n -= 6;
	}
	wire_copy_text(r->message, sizeof(r->message), p, n);
	return 0;
}

static int parse_greeting(const uint8_t *p, size_t n,
			  struct mysql_wire_reply *r)
{
	size_t o = 1;
	long vl;
	uint8_t auth_len = 0;

	r->kind = MYSQL_WIRE_GREETING;
	r->protocol = p[0];
	if (r->protocol != 10)
		return -EBADMSG;
	vl = wire_strnlen(p + o, n - o);
	if (vl < 0)
		return -EBADMSG;
	wire_copy_text(r->version, sizeof(r->version), p + o, (size_t)vl);
	r->mariadb = strncmp(r->version, "5.5.5-", 6) == 0 ||
		     strstr(r->version, "MariaDB") != NULL;
	o += (size_t)vl + 1;
	/* conn id 4, auth-data-1 8, filler 1, caps low 2 */
	if (n - o < 15)
		return -EBADMSG;
	r->conn_id = wire_le32(p + o);
	o += 4 + 8 + 1;
	r->caps = wire_le16(p + o);
	o += 2;
	if (n - o < 16) /* a 3.x-era greeting ends here */
		return 0;
	r->charset = p[o];
	r->status = wire_le16(p + o + 1);
	r->caps |= (uint32_t)wire_le16(p + o + 3) << 16;
	auth_len = p[o + 5];
	o += 6;
	if (n - o < 10)
		return -EBADMSG;
	if (r->mariadb && !(r->caps & MYSQL_WIRE_CLIENT_LONG_PASSWORD))
		r->mariadb_caps = wire_le32(p + o + 6);
	o += 10;
	if (r->caps & MYSQL_WIRE_CLIENT_SECURE_CONN) {
		size_t l2 = auth_len > 8 ? (size_t)auth_len - 8 : 0;

		if (l2 < 13)
			l2 = 13;
		if (n - o < l2)
			return -EBADMSG;
		o += l2;
	}
	if ((r->caps & MYSQL_WIRE_CLIENT_PLUGIN_AUTH) && o < n) {
		long pl = wire_strnlen(p + o, n - o);

		/* Some servers omit the final NUL: the packet ends it. */
		wire_copy_text(r->auth_plugin, sizeof(r->auth_plugin), p + o,
			       pl < 0 ? n - o : (size_t)pl);
	}
	return 0;
}

int mysql_wire_parse(const uint8_t *p, size_t n, struct mysql_wire_reply *ret)
{
	uint32_t len;

	memset(ret, 0, sizeof(*ret));
	if (n < 4)
		return -EAGAIN;
	len = wire_le24(p);
	if (len == 0 || len > MYSQL_WIRE_MAX_PACKET)
		return -EBADMSG;
	/* The greeting comes first (sequence 0); nothing else is ours. */
	if (p[3] != 0)
		return -EBADMSG;
	if (n - 4 < len) {
		/* Reject junk early; a real packet is still coming. */
		if (n > 4 && p[4] != 0xFF && p[4] != 10)
			return -EBADMSG;
		return -EAGAIN;
	}
	if (p[4] == 0xFF)
		return parse_error(p + 4, len, ret);
	return parse_greeting(p + 4, len, ret);
}

void mysql_wire_ssl_request(uint8_t out[36])
{
	uint32_t caps = MYSQL_WIRE_CLIENT_LONG_PASSWORD |
			MYSQL_WIRE_CLIENT_PROTOCOL_41 | MYSQL_WIRE_CLIENT_SSL |
			MYSQL_WIRE_CLIENT_SECURE_CONN |
			MYSQL_WIRE_CLIENT_PLUGIN_AUTH;
	uint32_t max_packet = 16 * 1024 * 1024;

	memset(out, 0, 36);
	out[0] = 32;
	out[3] = 1;
	for (int i = 0; i < 4; i++) {
		out[4 + i] = (uint8_t)(caps >> (8 * i));
		out[8 + i] = (uint8_t)(max_packet >> (8 * i));
	}
	out[12] = 45; /* utf8mb4_general_ci */
}

size_t mysql_wire_probe_response(uint8_t out[96], uint8_t seq, bool with_ssl)
{
	static const char user[] = MYSQL_WIRE_PROBE_USER;
	static const char plugin[] = "mysql_native_password";
	size_t n;

	/* The same 32 bytes of capabilities, size and charset first. */
	mysql_wire_ssl_request(out);
	if (!with_ssl) {
		uint32_t caps = wire_le32(out + 4) & ~MYSQL_WIRE_CLIENT_SSL;

		for (int i = 0; i < 4; i++)
			out[4 + i] = (uint8_t)(caps >> (8 * i));
	}
	n = 36;
	memcpy(out + n, user, sizeof(user));
	n += sizeof(user);
	out[n++] = 0; /* auth response length: empty password */
	memcpy(out + n, plugin, sizeof(plugin));
	n += sizeof(plugin);
	out[0] = (uint8_t)(n - 4);
	out[1] = 0;
	out[2] = 0;
	out[3] = seq;
	return n;
}

int mysql_wire_auth_parse(const uint8_t *p, size_t n,
			  struct mysql_wire_auth_reply *ret)
{
	uint32_t len;

	memset(ret, 0, sizeof(*ret));
	if (n < 4)
		return -EAGAIN;
	len = wire_le24(p);
	if (len == 0 || len > MYSQL_WIRE_MAX_PACKET)
		return -EBADMSG;
	if (n - 4 < len)
		return -EAGAIN;
	ret->seq = p[3];
	switch (p[4]) {
	case 0x00:
		ret->kind = MYSQL_WIRE_AUTH_OK;
		return 0;
	case 0x01:
		ret->kind = MYSQL_WIRE_AUTH_MORE;
		return 0;
	case 0xFE:
		ret->kind = MYSQL_WIRE_AUTH_SWITCH;
		return 0;
	case 0xFF: {
		struct mysql_wire_reply e;

		memset(&e, 0, sizeof(e));
		if (parse_error(p + 4, len, &e) < 0)
			return -EBADMSG;
		ret->kind = MYSQL_WIRE_AUTH_ERROR;
		ret->code = e.code;
		memcpy(ret->message, e.message, sizeof(ret->message));
		return 0;
	}
	default:
		return -EBADMSG;
	}
}

static int greeting_recv_parse(const uint8_t *p, size_t n, void *arg)
{
	return mysql_wire_parse(p, n, arg);
}

static int auth_recv_parse(const uint8_t *p, size_t n, void *arg)
{
	return mysql_wire_auth_parse(p, n, arg);
}

static int probe_send(int fd, struct tls_conn *tls, const void *p, size_t n,
		      int64_t deadline_ms)
{
	return tls ? tls_conn_write(tls, p, n, deadline_ms)
		   : net_send_all(fd, p, n, deadline_ms);
}

/* Read one packet into in[0..max) over TLS or not, parsed by parse. */
static int probe_recv_packet(int fd, struct tls_conn *tls, uint8_t *in,
			     size_t max, int64_t deadline_ms,
			     struct mysql_wire_auth_reply *ret)
{
	size_t got = 0;
	ssize_t n;
	int r;

	if (!tls)
		return net_recv_reply(fd, in, max, deadline_ms, auth_recv_parse,
				      ret);
	for (;;) {
		if ((r = mysql_wire_auth_parse(in, got, ret)) != -EAGAIN)
			return r;
		if (got == max)
			return -EBADMSG;
		n = tls_conn_read(tls, in + got, max - got, deadline_ms);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : (int)n;
		got += (size_t)n;
	}
}

/*
 * End the handshake as a client that gave up on its login would: a
 * complete handshake response, an empty answer to a plugin switch, and
 * COM_QUIT should the server let the probe in. 0 when the server answered.
 */
static int close_handshake(int fd, struct tls_conn *tls, uint8_t seq,
			   int64_t deadline_ms, uint8_t *in, size_t max,
			   struct mysql_wire_auth_reply *ret)
{
	uint8_t out[96];
	size_t n = mysql_wire_probe_response(out, seq, tls != NULL);
	int r;

	if ((r = probe_send(fd, tls, out, n, deadline_ms)) < 0)
		return r;
	for (int round = 0; round < 3; round++) {
		if ((r = probe_recv_packet(fd, tls, in, max, deadline_ms,
					   ret)) < 0)
			return r;
		if (ret->kind == MYSQL_WIRE_AUTH_ERROR)
			return 0;
		if (ret->kind == MYSQL_WIRE_AUTH_OK) {
			static const uint8_t quit[5] = { 1, 0, 0, 0, 0x01 };

			return probe_send(fd, tls, quit, sizeof(quit),
					  deadline_ms);
		}
		/* A switch or more data: answer with an empty packet. */
		out[0] = out[1] = out[2] = 0;
		out[3] = (uint8_t)(ret->seq + 1);
		if ((r = probe_send(fd, tls, out, 4, deadline_ms)) < 0)
			return r;
	}
	return -EPROTO;
}

int mysql_probe(int fd, const char *servername, bool with_tls,
		const struct tls_client_opts *tls_opts, int64_t deadline_ms,
		struct mysql_probe_result *ret)
{
	uint8_t in[MYSQL_WIRE_MAX_PACKET + 4], req[36];
	struct tls_conn *tls = NULL;
	uint8_t seq = 1;
	int r;

	memset(ret, 0, sizeof(*ret));
	net_local_host(fd, ret->local_host, sizeof(ret->local_host));
	r = net_recv_reply(fd, in, sizeof(in), deadline_ms, greeting_recv_parse,
			   &ret->reply);
	ret->rc = r;
	if (r < 0 || ret->reply.kind != MYSQL_WIRE_GREETING)
		return 0;
	if (with_tls && (ret->reply.caps & MYSQL_WIRE_CLIENT_SSL)) {
		mysql_wire_ssl_request(req);
		ret->tls_done = true;
		if ((r = net_send_all(fd, req, sizeof(req), deadline_ms)) < 0) {
			ret->tls_rc = r;
			return 0;
		}
		ret->tls_rc = tls_conn_start_with(fd, servername, tls_opts,
						  deadline_ms, &tls, &ret->tls);
		if (ret->tls_rc < 0)
			return 0;
		if (tls_opts && tls_opts->certfile &&
		    (ret->close_rc = tls_conn_settle(tls, 500, deadline_ms)) <
			    0) {
			snprintf(ret->tls_error, sizeof(ret->tls_error), "%s",
				 tls_conn_error(tls));
			tls_conn_free(tls);
			return 0;
		}
		seq = 2;
	}
	ret->close_rc = close_handshake(fd, tls, seq, deadline_ms, in,
					sizeof(in), &ret->close_reply);
	if (ret->close_rc < 0 && tls)
		snprintf(ret->tls_error, sizeof(ret->tls_error), "%s",
			 tls_conn_error(tls));
	tls_conn_free(tls);
	return 0;
}
