/*
 * ONC RPC over TCP: CALL records, the reply parser (record marking, the
 * accepted and denied arms) and the exchange against a deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/net.h"
#include "probes/rpc.h"
#include "probes/wire.h"
#include "rdiag/util.h"

#define MARK_LAST 0x80000000u
#define CALL_HDR  40 /* xid .. verifier, without the record mark */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int rpc_call_build(uint8_t *out, size_t max, uint32_t xid, uint32_t prog,
		   uint32_t vers, uint32_t proc, const uint8_t *args,
		   size_t argslen)
{
	size_t len = CALL_HDR + argslen;
	const uint32_t words[] = { xid,  0 /* CALL */,
				   2,    prog,
				   vers, proc,
				   0,    0,
				   0,    0 /* AUTH_NONE cred, verf */ };

	if (argslen % 4 != 0 || argslen > 1024)
		return -EINVAL;
	if (max < 4 + len)
		return -ENOBUFS;
	put32(out, MARK_LAST | (uint32_t)len);
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		put32(out + 4 + 4 * i, words[i]);
	if (argslen)
		memcpy(out + 4 + CALL_HDR, args, argslen);
	return (int)(4 + len);
}

int rpc_getport_build(uint8_t *out, size_t max, uint32_t xid, uint32_t prog,
		      uint32_t vers)
{
	uint8_t args[16];

	put32(args, prog);
	put32(args + 4, vers);
	put32(args + 8, 6); /* IPPROTO_TCP */
	put32(args + 12, 0);
	return rpc_call_build(out, max, xid, RPC_PROG_PORTMAP, 2, 3, args,
			      sizeof(args));
}

/* Join the fragments of one record into rec; length, -EAGAIN or -EBADMSG. */
static long join_record(const uint8_t *p, size_t n, uint8_t *rec, size_t max)
{
	size_t off = 0, len = 0;

	for (;;) {
		uint32_t mark;
		size_t frag;

		if (n - off < 4)
			return -EAGAIN;
		mark = wire_be32(p + off);
		frag = mark & ~MARK_LAST;
		off += 4;
		if (frag > max - len)
			return -EBADMSG;
		if (n - off < frag)
			return -EAGAIN;
		memcpy(rec + len, p + off, frag);
		len += frag;
		off += frag;
		if (mark & MARK_LAST)
			return (long)len;
	}
}

int rpc_reply_parse(const uint8_t *p, size_t n, uint32_t xid,
		    struct rpc_reply *ret)
{
	uint8_t rec[RPC_REPLY_MAX];
	struct rpc_reply r;
	size_t off, len;
	long l;

	/* An early look, so a non-RPC peer is not waited for. */
	if (n >= 12 && (wire_be32(p + 4) != xid || wire_be32(p + 8) != 1))
		return -EBADMSG;
	if ((l = join_record(p, n, rec, sizeof(rec))) < 0)
		return (int)l;
	len = (size_t)l;
	memset(&r, 0, sizeof(r));
	if (len < 12 || wire_be32(rec) != xid || wire_be32(rec + 4) != 1)
		return -EBADMSG;
	r.xid = xid;
	switch (wire_be32(rec + 8)) {
	case 0: /* MSG_ACCEPTED: verifier, accept_stat */
		r.accepted = true;
		if (len < 20)
			return -EBADMSG;
		{
			uint32_t vlen = wire_be32(rec + 16);

			if (vlen > 400)
				return -EBADMSG;
			off = 20 + ((vlen + 3) & ~3u);
		}
		if (len < off + 4)
			return -EBADMSG;
		r.accept_stat = wire_be32(rec + off);
		off += 4;
		if (r.accept_stat == RPC_PROG_MISMATCH) {
			if (len < off + 8)
				return -EBADMSG;
			r.low = wire_be32(rec + off);
			r.high = wire_be32(rec + off + 4);
		} else if (r.accept_stat == RPC_SUCCESS) {
			r.result_len = len - off < sizeof(r.result)
					       ? len - off
					       : sizeof(r.result);
			memcpy(r.result, rec + off, r.result_len);
		}
		break;
	case 1: /* MSG_DENIED */
		if (len < 16)
			return -EBADMSG;
		r.reject_stat = wire_be32(rec + 12);
		if (r.reject_stat == 0) {
			if (len < 24)
				return -EBADMSG;
			r.low = wire_be32(rec + 16);
			r.high = wire_be32(rec + 20);
		} else if (r.reject_stat == 1) {
			if (len < 20)
				return -EBADMSG;
			r.auth_stat = wire_be32(rec + 16);
		} else
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

int rpc_getport_result(const struct rpc_reply *r, unsigned *ret_port)
{
	uint32_t port;

	if (!r->accepted || r->accept_stat != RPC_SUCCESS || r->result_len < 4)
		return -EBADMSG;
	port = wire_be32(r->result);
	if (port > 65535)
		return -EBADMSG;
	*ret_port = (unsigned)port;
	return 0;
}

const char *rpc_accept_stat_name(uint32_t stat)
{
	static const char *const names[] = {
		"success",           "program unavailable",
		"version mismatch",  "procedure unavailable",
		"garbage arguments", "system error",
	};

	return stat < ARRAY_SIZE(names) ? names[stat] : "unknown";
}

static uint32_t next_xid(void)
{
	static uint32_t seq;

	return (uint32_t)now_ms() * 2654435761u ^ (uint32_t)getpid() << 16 ^
	       ++seq;
}

struct parse_arg {
	uint32_t xid;
	struct rpc_reply *reply;
};

static int parse_reply(const uint8_t *p, size_t n, void *arg)
{
	const struct parse_arg *a = arg;

	return rpc_reply_parse(p, n, a->xid, a->reply);
}

static int call(const struct sockaddr *sa, socklen_t salen, const uint8_t *req,
		size_t reqlen, uint32_t xid, int64_t deadline_ms,
		struct rpc_call_result *res)
{
	uint8_t in[RPC_REPLY_MAX + 64];
	struct parse_arg pa = { xid, &res->reply };
	int64_t t0 = now_ms();
	int fd = -1, r;

	memset(res, 0, sizeof(*res));
	if ((r = net_connect(sa, salen, deadline_ms, &fd)) < 0)
		goto out;
	res->connected = true;
	if ((r = net_send_all(fd, req, reqlen, deadline_ms)) < 0)
		goto out;
	r = net_recv_reply(fd, in, sizeof(in), deadline_ms, parse_reply, &pa);
out:
	if (fd >= 0)
		net_close(fd);
	res->rc = r;
	res->ms = now_ms() - t0;
	return 0;
}

int rpc_null_call(const struct sockaddr *sa, socklen_t salen, uint32_t prog,
		  uint32_t vers, int64_t deadline_ms,
		  struct rpc_call_result *ret)
{
	uint8_t req[64];
	uint32_t xid = next_xid();
	int len;

	if ((len = rpc_call_build(req, sizeof(req), xid, prog, vers, 0, NULL,
				  0)) < 0)
		return len;
	return call(sa, salen, req, (size_t)len, xid, deadline_ms, ret);
}

int rpc_getport(const struct sockaddr *sa, socklen_t salen, uint32_t prog,
		uint32_t vers, int64_t deadline_ms, struct rpc_call_result *ret,
		unsigned *ret_port)
{
	uint8_t req[64];
	uint32_t xid = next_xid();
	unsigned port;
	int len, r;

	if ((len = rpc_getport_build(req, sizeof(req), xid, prog, vers)) < 0)
		return len;
	if ((r = call(sa, salen, req, (size_t)len, xid, deadline_ms, ret)) < 0)
		return r;
	if (ret->rc == 0 && rpc_getport_result(&ret->reply, &port) == 0)
		*ret_port = port;
	else if (ret->rc == 0)
		ret->rc = -EBADMSG;
	return 0;
}
