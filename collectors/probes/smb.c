/*
 * SMB NEGOTIATE probe (MS-SMB2 2.2.3/2.2.4, MS-CIFS 2.2.4.52): builds the
 * two requests, parses either kind of reply, and runs the exchange against
 * a deadline. A server that closes the connection on SMB2 but answers SMB1
 * is an SMB1-only server.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/net.h"
#include "probes/smb.h"
#include "probes/wire.h"
#include "rdiag/util.h"

#define NB_LEN       4
#define SMB2_HDR_LEN 64
#define SMB1_HDR_LEN 32

#define CTX_PREAUTH    0x0001
#define CTX_ENCRYPTION 0x0002

const char *const smb1_dialects[3] = { "NT LM 0.12", "SMB 2.002", "SMB 2.???" };

static const uint16_t smb2_dialects[] = {
	SMB_DIALECT_202, SMB_DIALECT_210, SMB_DIALECT_300,
	SMB_DIALECT_302, SMB_DIALECT_311,
};

/* AES-128-GCM first: the cipher Windows prefers. */
static const uint16_t smb2_ciphers[] = { 0x0002, 0x0001, 0x0004, 0x0003 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v & 0xffff));
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put_netbios(uint8_t *p, size_t len)
{
	p[0] = 0;
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

int smb2_negotiate_build(uint8_t *out, size_t max, const uint8_t guid[16],
			 const uint8_t salt[32])
{
	uint8_t *h = out + NB_LEN, *b = h + SMB2_HDR_LEN, *c;
	size_t off, len;

	if (max < SMB2_NEGOTIATE_LEN)
		return -ENOBUFS;
	memset(out, 0, SMB2_NEGOTIATE_LEN);
	memcpy(h, "\xfeSMB", 4);
	put16(h + 4, SMB2_HDR_LEN);
	put16(h + 12, 0); /* NEGOTIATE */
	put16(h + 14, 1); /* CreditRequest */

	put16(b, 36);
	put16(b + 2, (uint16_t)ARRAY_SIZE(smb2_dialects));
	put16(b + 4, SMB2_SIGNING_ENABLED);
	put32(b + 8, SMB2_CAP_ENCRYPTION);
	memcpy(b + 12, guid, 16);
	for (size_t i = 0; i < ARRAY_SIZE(smb2_dialects); i++)
		put16(b + 36 + 2 * i, smb2_dialects[i]);
	/* Contexts start 8-byte aligned, counted from the SMB2 header. */
	off = SMB2_HDR_LEN + 36 + 2 * ARRAY_SIZE(smb2_dialects);
	off = (off + 7) & ~(size_t)7;
	put32(b + 28, (uint32_t)off);
	put16(b + 32, 2);

	c = h + off;
	put16(c, CTX_PREAUTH);
	put16(c + 2, 38);
	put16(c + 8, 1);       /* HashAlgorithmCount */
	put16(c + 10, 32);     /* SaltLength */
	put16(c + 12, 0x0001); /* SHA-512 */
	memcpy(c + 14, salt, 32);
	off += 8 + 38;
	off = (off + 7) & ~(size_t)7;

	c = h + off;
	put16(c, CTX_ENCRYPTION);
	put16(c + 2, (uint16_t)(2 + 2 * ARRAY_SIZE(smb2_ciphers)));
	put16(c + 8, (uint16_t)ARRAY_SIZE(smb2_ciphers));
	for (size_t i = 0; i < ARRAY_SIZE(smb2_ciphers); i++)
		put16(c + 10 + 2 * i, smb2_ciphers[i]);
	off += 8 + 2 + 2 * ARRAY_SIZE(smb2_ciphers);

	len = off;
	put_netbios(out, len);
	return (int)(NB_LEN + len);
}

int smb1_negotiate_build(uint8_t *out, size_t max)
{
	uint8_t *h = out + NB_LEN;
	size_t bytes = 0, len;

	for (size_t i = 0; i < ARRAY_SIZE(smb1_dialects); i++)
		bytes += 1 + strlen(smb1_dialects[i]) + 1;
	len = SMB1_HDR_LEN + 1 + 2 + bytes;
	if (max < NB_LEN + len || NB_LEN + len > SMB1_NEGOTIATE_LEN)
		return -ENOBUFS;
	memset(out, 0, NB_LEN + len);
	memcpy(h, "\xffSMB", 4);
	h[4] = 0x72; /* SMB_COM_NEGOTIATE */
	h[9] = 0x18; /* case-insensitive, canonical paths */
	put16(h + 10,
	      0xc801);       /* unicode, NT status, ext. security, long names */
	h[SMB1_HDR_LEN] = 0; /* WordCount */
	put16(h + SMB1_HDR_LEN + 1, (uint16_t)bytes);
	uint8_t *d = h + SMB1_HDR_LEN + 3;
	for (size_t i = 0; i < ARRAY_SIZE(smb1_dialects); i++) {
		size_t n = strlen(smb1_dialects[i]);

		*d++ = 0x02; /* dialect buffer format */
		memcpy(d, smb1_dialects[i], n + 1);
		d += n + 1;
	}
	put_netbios(out, len);
	return (int)(NB_LEN + len);
}

/* The 3.1.1 negotiate contexts of a reply: only the cipher matters here. */
static void parse_contexts(const uint8_t *h, size_t n, uint32_t off,
			   unsigned count, struct smb_reply *r)
{
	for (unsigned i = 0; i < count && i < 64; i++) {
		uint16_t type, dlen;

		off = (off + 7) & ~7u;
		if (off > n || n - off < 8)
			return;
		type = wire_le16(h + off);
		dlen = wire_le16(h + off + 2);
		if (n - off - 8 < dlen)
			return;
		if (type == CTX_ENCRYPTION && dlen >= 4 &&
		    wire_le16(h + off + 8) >= 1) {
			r->have_cipher_context = true;
			r->cipher = wire_le16(h + off + 10);
		}
		off += 8 + (uint32_t)dlen;
	}
}

static int parse_smb2(const uint8_t *h, size_t n, struct smb_reply *r)
{
	const uint8_t *b = h + SMB2_HDR_LEN;

	if (n < SMB2_HDR_LEN || wire_le16(h + 4) != SMB2_HDR_LEN ||
	    wire_le16(h + 12) != 0)
		return -EBADMSG;
	r->kind = SMB_REPLY_SMB2;
	r->status = wire_le32(h + 8);
	if (r->status != 0) {
		/* An error body is 9 bytes; nothing in it we need. */
		return 0;
	}
	if (n - SMB2_HDR_LEN < 64 || wire_le16(b) != 65)
		return -EBADMSG;
	r->security_mode = wire_le16(b + 2);
	r->dialect = wire_le16(b + 4);
	r->capabilities = wire_le32(b + 24);
	r->max_transact = wire_le32(b + 28);
	r->max_read = wire_le32(b + 32);
	r->max_write = wire_le32(b + 36);
	if (r->dialect == SMB_DIALECT_311)
		parse_contexts(h, n, wire_le32(b + 60), wire_le16(b + 6), r);
	return 0;
}

static int parse_smb1(const uint8_t *h, size_t n, struct smb_reply *r)
{
	const uint8_t *w = h + SMB1_HDR_LEN;

	if (n < SMB1_HDR_LEN + 1 || h[4] != 0x72)
		return -EBADMSG;
	r->kind = SMB_REPLY_SMB1;
	r->status = wire_le32(h + 5);
	r->smb1_dialect_index = 0xffff;
	/* An error reply has WordCount 0. */
	if (w[0] == 0)
		return 0;
	if (n - SMB1_HDR_LEN < 1 + 2u * w[0] || w[0] < 1)
		return -EBADMSG;
	r->smb1_dialect_index = wire_le16(w + 1);
	if (w[0] >= 2)
		r->smb1_security_mode = w[3];
	return 0;
}

int smb_reply_parse(const uint8_t *p, size_t n, struct smb_reply *ret)
{
	struct smb_reply r;
	size_t len;
	int rc;

	if (n < NB_LEN)
		return -EAGAIN;
	/* Session message (0) only; keepalives (0x85) are not a reply. */
	if (p[0] != 0)
		return -EBADMSG;
	len = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (len > SMB_REPLY_MAX || len < 4)
		return -EBADMSG;
	/* Reject non-SMB early, before waiting for a length that never comes.
	 */
	if (n >= NB_LEN + 4 && memcmp(p + NB_LEN, "\xfeSMB", 4) != 0 &&
	    memcmp(p + NB_LEN, "\xffSMB", 4) != 0)
		return -EBADMSG;
	if (n - NB_LEN < len)
		return -EAGAIN;
	memset(&r, 0, sizeof(r));
	if (memcmp(p + NB_LEN, "\xfeSMB", 4) == 0)
		rc = parse_smb2(p + NB_LEN, len, &r);
	else
		rc = parse_smb1(p + NB_LEN, len, &r);
	if (rc < 0)
		return rc;
	*ret = r;
	return 0;
}

const char *smb_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case SMB_DIALECT_202:
		return "2.0.2";
	case SMB_DIALECT_210:
		return "2.1";
	case SMB_DIALECT_300:
		return "3.0";
	case SMB_DIALECT_302:
		return "3.0.2";
	case SMB_DIALECT_311:
		return "3.1.1";
	case SMB_DIALECT_2FF:
		return "2.x (wildcard)";
	default:
		return "unknown";
	}
}

const char *smb_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case 0:
		return "none";
	case 1:
		return "AES-128-CCM";
	case 2:
		return "AES-128-GCM";
	case 3:
		return "AES-256-CCM";
	case 4:
		return "AES-256-GCM";
	default:
		return "unknown";
	}
}

/* Random enough for a GUID and a salt nobody verifies: not a secret. */
static void fill_nonce(uint8_t *p, size_t n)
{
	uint64_t x = (uint64_t)now_ms() * 6364136223846793005ull ^
		     (uint64_t)getpid();

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static int parse_reply(const uint8_t *p, size_t n, void *arg)
{
	return smb_reply_parse(p, n, arg);
}

/* One connection, one request, one reply. */
static int exchange(const struct sockaddr *sa, socklen_t salen,
		    const uint8_t *req, size_t reqlen, int64_t deadline_ms,
		    struct smb_reply *reply, int64_t *ret_connect_ms,
		    bool *ret_connected)
{
	uint8_t *in = xmalloc(SMB_REPLY_MAX + NB_LEN);
	int64_t t0 = now_ms();
	int fd = -1, r;

	if ((r = net_connect(sa, salen, deadline_ms, &fd)) < 0)
		goto out;
	if (ret_connect_ms)
		*ret_connect_ms = now_ms() - t0;
	if (ret_connected)
		*ret_connected = true;
	if ((r = net_send_all(fd, req, reqlen, deadline_ms)) < 0)
		goto out;
	r = net_recv_reply(fd, in, SMB_REPLY_MAX + NB_LEN, deadline_ms,
			   parse_reply, reply);
out:
	if (fd >= 0)
		net_close(fd);
	free(in);
	return r;
}

int smb_probe(const struct sockaddr *sa, socklen_t salen, int64_t deadline_ms,
	      struct smb_probe_result *ret)
{
	struct smb_probe_result res;
	uint8_t req[SMB2_NEGOTIATE_LEN], guid[16], salt[32];
	bool connected = false;
	int64_t t0;
	int len;

	memset(&res, 0, sizeof(res));
	fill_nonce(guid, sizeof(guid));
	fill_nonce(salt, sizeof(salt));
	if ((len = smb2_negotiate_build(req, sizeof(req), guid, salt)) < 0)
		return len;
	t0 = now_ms();
	res.smb2_rc = exchange(sa, salen, req, (size_t)len, deadline_ms,
			       &res.smb2, &res.connect_ms, &connected);
	res.negotiate_ms = now_ms() - t0 - res.connect_ms;
	if (!connected) {
		res.connect_rc = res.smb2_rc;
		*ret = res;
		return 0;
	}
	if (res.smb2_rc == 0 && res.smb2.kind == SMB_REPLY_SMB2 &&
	    res.smb2.status == 0) {
		res.outcome = SMB_PROBE_SMB2;
		*ret = res;
		return 0;
	}
	/* Refused SMB2 (closed, error, or answered in SMB1): try SMB1. */
	if ((len = smb1_negotiate_build(req, sizeof(req))) < 0)
		return len;
	res.smb1_rc = exchange(sa, salen, req, (size_t)len, deadline_ms,
			       &res.smb1, NULL, NULL);
	if (res.smb1_rc == 0 && res.smb1.kind == SMB_REPLY_SMB1 &&
	    res.smb1.smb1_dialect_index == 0)
		res.outcome = SMB_PROBE_SMB1_ONLY;
	else if (res.smb1_rc == 0 && res.smb1.kind == SMB_REPLY_SMB2 &&
		 res.smb1.status == 0) {
		/* Speaks SMB2 after all, only not our SMB2 request. */
		res.outcome = SMB_PROBE_SMB2;
		res.smb2 = res.smb1;
	} else
		res.outcome = SMB_PROBE_NO_SMB;
	*ret = res;
	return 0;
}
