/*
 * SQL Server PRELOGIN: build the request, parse the reply's option table.
 * Offsets in the table are relative to the start of the packet's payload
 * and are checked against it before any byte is read.
 */
#include <errno.h>
#include <string.h>

#include "probes/net.h"
#include "probes/tds.h"
#include "probes/wire.h"

const uint8_t tds_prelogin_request[47] = {
	0x12, 0x01, 0x00, 0x2F, 0x00, 0x00, 0x01, 0x00, /* header */
	0x00, 0x00, 0x1A, 0x00, 0x06,                   /* VERSION */
	0x01, 0x00, 0x20, 0x00, 0x01,                   /* ENCRYPTION */
	0x02, 0x00, 0x21, 0x00, 0x01,                   /* INSTOPT */
	0x03, 0x00, 0x22, 0x00, 0x04,                   /* THREADID */
	0x04, 0x00, 0x26, 0x00, 0x01,                   /* MARS */
	0xFF,                                           /* terminator */
	0x09, 0x00, 0x00, 0x00, 0x00, 0x00,             /* version 9.0 */
	0x00,                                           /* encryption off */
	0x00,                                           /* instance "" */
	0x00, 0x00, 0x00, 0x00,                         /* thread id */
	0x00,                                           /* MARS off */
};

int tds_prelogin_parse(const uint8_t *p, size_t n, struct tds_prelogin *ret)
{
	const uint8_t *pl;
	size_t len, plen, o = 0;

	memset(ret, 0, sizeof(*ret));
	if (n < 8)
		return n > 0 && p[0] != 0x04 ? -EBADMSG : -EAGAIN;
	if (p[0] != 0x04)
		return -EBADMSG;
	len = wire_be16(p + 2);
	if (len < 8 || len > TDS_PACKET_MAX)
		return -EBADMSG;
	if (n < len)
		return -EAGAIN;
	pl = p + 8;
	plen = len - 8;
	for (;;) {
		uint8_t token;
		size_t off, olen;
		const uint8_t *v;

		if (o >= plen)
			return -EBADMSG; /* no terminator */
		token = pl[o];
		if (token == 0xFF)
			break;
		if (plen - o < 5)
			return -EBADMSG;
		off = wire_be16(pl + o + 1);
		olen = wire_be16(pl + o + 3);
		o += 5;
		if (off > plen || olen > plen - off)
			return -EBADMSG;
		v = pl + off;
		switch (token) {
		case 0x00:
			if (olen < 6)
				return -EBADMSG;
			ret->have_version = true;
			ret->major = v[0];
			ret->minor = v[1];
			ret->build = wire_be16(v + 2);
			ret->subbuild = wire_be16(v + 4);
			break;
		case 0x01:
			if (olen < 1)
				return -EBADMSG;
			ret->have_encryption = true;
			ret->encryption = v[0];
			break;
		case 0x02:
			if (olen >= 1) {
				ret->have_instopt = true;
				ret->instopt = v[0];
			}
			break;
		case 0x04:
			if (olen >= 1) {
				ret->have_mars = true;
				ret->mars = v[0];
			}
			break;
		case 0x06:
			if (olen >= 1) {
				ret->have_fedauth = true;
				ret->fedauth_required = v[0];
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

const char *tds_version_name(uint8_t major)
{
	switch (major) {
	case 9:
		return "SQL Server 2005";
	case 10:
		return "SQL Server 2008";
	case 11:
		return "SQL Server 2012";
	case 12:
		return "SQL Server 2014";
	case 13:
		return "SQL Server 2016";
	case 14:
		return "SQL Server 2017";
	case 15:
		return "SQL Server 2019";
	case 16:
		return "SQL Server 2022";
	default:
		return NULL;
	}
}

static int parse_prelogin(const uint8_t *p, size_t n, void *arg)
{
	return tds_prelogin_parse(p, n, arg);
}

int tds_probe(int fd, int64_t deadline_ms, struct tds_probe_result *ret)
{
	uint8_t in[TDS_PACKET_MAX];
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = net_send_all(fd, tds_prelogin_request,
			      sizeof(tds_prelogin_request), deadline_ms)) < 0)
		goto out;
	r = net_recv_reply(fd, in, sizeof(in), deadline_ms, parse_prelogin,
			   &ret->reply);
out:
	ret->rc = r;
	return 0;
}
