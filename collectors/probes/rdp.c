/*
 * RDP security negotiation: the X.224 Connection Request builder, the
 * Connection Confirm parser, and the probe that asks a server three times
 * (best, TLS only, standard RDP only) to learn what it selects and refuses.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "probes/net.h"
#include "probes/rdp.h"
#include "probes/wire.h"

#define TPKT_HEADER   4
#define X224_CC_LEN   7 /* LI, code, dst-ref, src-ref, class */
#define NEG_LEN       8 /* type, flags, u16 LE length, u32 LE value */
#define NEG_TYPE_REQ  0x01
#define NEG_TYPE_RSP  0x02
#define NEG_TYPE_FAIL 0x03
#define X224_CR       0xE0
#define X224_CC       0xD0
#define RDP_COOKIE    "Cookie: mstshash=rdiag\r\n"
#define TLS_PROTOCOLS                                                   \
	(RDP_PROTOCOL_SSL | RDP_PROTOCOL_HYBRID | RDP_PROTOCOL_RDSTLS | \
	 RDP_PROTOCOL_HYBRID_EX)

int rdp_request_build(struct buf *b, uint32_t requested)
{
	size_t cookie = strlen(RDP_COOKIE);
	size_t total = TPKT_HEADER + X224_CC_LEN + cookie + NEG_LEN;
	uint8_t m[TPKT_HEADER + X224_CC_LEN + sizeof(RDP_COOKIE) + NEG_LEN];
	uint8_t *p = m;

	*p++ = 0x03;
	*p++ = 0x00;
	*p++ = (uint8_t)(total >> 8);
	*p++ = (uint8_t)total;
	/* LI counts the X.224 bytes after itself, user data included. */
	*p++ = (uint8_t)(total - TPKT_HEADER - 1);
	*p++ = X224_CR;
	memset(p, 0, 5); /* dst-ref, src-ref, class 0 */
	p += 5;
	memcpy(p, RDP_COOKIE, cookie);
	p += cookie;
	*p++ = NEG_TYPE_REQ;
	*p++ = 0x00;
	*p++ = NEG_LEN;
	*p++ = 0x00;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(requested >> (8 * i));
	return buf_append(b, m, total);
}

int rdp_reply_parse(const uint8_t *p, size_t n, struct rdp_reply *ret)
{
	struct rdp_reply r = { 0 };
	size_t len, li;

	if (n >= 1 && p[0] != 0x03)
		return -EBADMSG;
	if (n >= 2 && p[1] != 0x00)
		return -EBADMSG;
	if (n < TPKT_HEADER)
		return -EAGAIN;
	len = wire_be16(p + 2);
	if (len < TPKT_HEADER + X224_CC_LEN || len > RDP_REPLY_MAX)
		return -EBADMSG;
	if (n < len)
		return -EAGAIN;
	li = p[4];
	if (li < X224_CC_LEN - 1 || TPKT_HEADER + 1 + li > len)
		return -EBADMSG;
	if ((p[5] & 0xF0) != X224_CC)
		return -EBADMSG;
	/* Either no negotiation data at all, or room for all of it. */
	if (li + 1 == X224_CC_LEN) {
		r.kind = RDP_REPLY_LEGACY;
		*ret = r;
		return 0;
	}
	if (li + 1 < X224_CC_LEN + NEG_LEN)
		return -EBADMSG;
	p += TPKT_HEADER + X224_CC_LEN;
	if (wire_le16(p + 2) != NEG_LEN)
		return -EBADMSG;
	if (p[0] == NEG_TYPE_RSP)
		r.kind = RDP_REPLY_SELECTED;
	else if (p[0] == NEG_TYPE_FAIL)
		r.kind = RDP_REPLY_FAILURE;
	else
		return -EBADMSG;
	r.flags = p[1];
	r.value = wire_le32(p + 4);
	*ret = r;
	return 0;
}

const char *rdp_protocol_name(uint32_t selected)
{
	switch (selected) {
	case RDP_PROTOCOL_RDP:
		return "standard RDP security";
	case RDP_PROTOCOL_SSL:
		return "TLS";
	case RDP_PROTOCOL_HYBRID:
		return "NLA (CredSSP)";
	case RDP_PROTOCOL_RDSTLS:
		return "RDSTLS";
	case RDP_PROTOCOL_HYBRID_EX:
		return "NLA with early user authorization (HYBRID_EX)";
	default:
		return "an unknown protocol";
	}
}

const char *rdp_failure_text(uint32_t code)
{
	switch (code) {
	case RDP_FAILURE_SSL_REQUIRED:
		return "the server requires TLS and refuses standard RDP "
		       "security";
	case RDP_FAILURE_SSL_NOT_ALLOWED:
		return "the server does not allow TLS (standard RDP security "
		       "only)";
	case RDP_FAILURE_SSL_CERT_NOT_ON_SERVER:
		return "the server has no certificate for TLS";
	case RDP_FAILURE_INCONSISTENT_FLAGS:
		return "the server found the requested protocols "
		       "inconsistent";
	case RDP_FAILURE_HYBRID_REQUIRED:
		return "the server requires Network Level Authentication "
		       "(NLA)";
	case RDP_FAILURE_SSL_WITH_USER_AUTH_REQUIRED:
		return "the server requires TLS with a client certificate";
	default:
		return "the server refused with an unknown failure code";
	}
}

static int parse_reply(const uint8_t *p, size_t n, void *arg)
{
	return rdp_reply_parse(p, n, arg);
}

/* One request on a new connection; *ret_fd is kept open for TLS. */
static void attempt(const struct sockaddr *sa, socklen_t salen,
		    int64_t deadline_ms, struct rdp_attempt *a, int *ret_fd)
{
	uint8_t in[RDP_REPLY_MAX];
	struct buf req;
	int fd = -1, r;

	a->done = true;
	buf_init(&req, 256);
	if ((r = rdp_request_build(&req, a->requested)) < 0)
		goto out;
	if ((r = net_connect(sa, salen, deadline_ms, &fd)) < 0)
		goto out;
	if ((r = net_send_all(fd, req.data, req.len, deadline_ms)) < 0)
		goto out;
	r = net_recv_reply(fd, in, sizeof(in), deadline_ms, parse_reply,
			   &a->reply);
out:
	a->rc = r;
	buf_release(&req);
	if (r == 0 && ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		net_close(fd);
}

static bool selected_tls(const struct rdp_attempt *a)
{
	return a->rc == 0 && a->reply.kind == RDP_REPLY_SELECTED &&
	       (a->reply.value & TLS_PROTOCOLS) != 0;
}

int rdp_probe(const struct sockaddr *sa, socklen_t salen,
	      const char *servername, int64_t deadline_ms,
	      struct rdp_probe_result *ret)
{
	struct rdp_attempt *steps[3];
	int fd = -1;

	memset(ret, 0, sizeof(*ret));
	ret->best.requested =
		RDP_PROTOCOL_SSL | RDP_PROTOCOL_HYBRID | RDP_PROTOCOL_HYBRID_EX;
	ret->tls_only.requested = RDP_PROTOCOL_SSL;
	ret->plain.requested = RDP_PROTOCOL_RDP;
	steps[0] = &ret->best;
	steps[1] = &ret->tls_only;
	steps[2] = &ret->plain;
	for (size_t i = 0; i < 3; i++) {
		struct rdp_attempt *a = steps[i];

		fd = -1;
		attempt(sa, salen, deadline_ms, a, ret->tls_done ? NULL : &fd);
		if (fd >= 0 && selected_tls(a)) {
			struct tls_conn *c = NULL;

			ret->tls_done = true;
			ret->tls_rc =
				tls_conn_start(fd, servername, NULL,
					       deadline_ms, &c, &ret->tls);
			tls_conn_free(c);
		}
		if (fd >= 0)
			net_close(fd);
		/* Nothing listens or nothing answers: asking again will not
		 * change that. */
		if (a->rc == -ECONNREFUSED || a->rc == -ETIMEDOUT ||
		    a->rc == -EHOSTUNREACH || a->rc == -ENETUNREACH)
			break;
	}
	return 0;
}

static bool answered(const struct rdp_attempt *a)
{
	return a->done && a->rc == 0;
}

void rdp_probe_summarize(const struct rdp_probe_result *r,
			 struct rdp_security *ret)
{
	struct rdp_security s = { -1, -1, -1 };

	if (answered(&r->best) && r->best.reply.kind == RDP_REPLY_SELECTED)
		s.selected = r->best.reply.value;
	else if (answered(&r->best) && r->best.reply.kind == RDP_REPLY_LEGACY)
		s.selected = RDP_PROTOCOL_RDP;
	else if (answered(&r->plain) &&
		 r->plain.reply.kind != RDP_REPLY_FAILURE)
		s.selected = RDP_PROTOCOL_RDP;

	if (answered(&r->tls_only)) {
		if (r->tls_only.reply.kind == RDP_REPLY_FAILURE &&
		    r->tls_only.reply.value == RDP_FAILURE_HYBRID_REQUIRED)
			s.nla_required = 1;
		else
			s.nla_required = 0;
	} else if (s.selected >= 0 &&
		   (s.selected &
		    (RDP_PROTOCOL_HYBRID | RDP_PROTOCOL_HYBRID_EX)) == 0) {
		/* It chose something weaker than NLA when NLA was offered. */
		s.nla_required = 0;
	}

	if (answered(&r->plain))
		s.plain_accepted = r->plain.reply.kind != RDP_REPLY_FAILURE;
	else if (s.selected == RDP_PROTOCOL_RDP)
		s.plain_accepted = 1;
	*ret = s;
}
