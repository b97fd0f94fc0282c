/*
 * MySQL / MariaDB: parse the greeting or the error packet a server sends
 * on connect, and the short exchange around it.
 */
#include <errno.h>
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

static int greeting_recv_parse(const uint8_t *p, size_t n, void *arg)
{
	return mysql_wire_parse(p, n, arg);
}

int mysql_probe(int fd, const char *servername, bool with_tls,
		int64_t deadline_ms, struct mysql_probe_result *ret)
{
	uint8_t in[MYSQL_WIRE_MAX_PACKET + 4], req[36];
	struct tls_conn *tls = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	net_local_host(fd, ret->local_host, sizeof(ret->local_host));
	r = net_recv_reply(fd, in, sizeof(in), deadline_ms, greeting_recv_parse,
			   &ret->reply);
	ret->rc = r;
	if (r < 0 || ret->reply.kind != MYSQL_WIRE_GREETING || !with_tls ||
	    !(ret->reply.caps & MYSQL_WIRE_CLIENT_SSL))
		return 0;
	mysql_wire_ssl_request(req);
	ret->tls_done = true;
	if ((r = net_send_all(fd, req, sizeof(req), deadline_ms)) < 0) {
		ret->tls_rc = r;
		return 0;
	}
	ret->tls_rc = tls_conn_start(fd, servername, NULL, deadline_ms, &tls,
				     &ret->tls);
	tls_conn_free(tls);
	return 0;
}
