/*
 * SMB server probe: what a file server answers to an SMB2 NEGOTIATE that
 * offers every dialect up to 3.1.1 (with the pre-authentication integrity
 * and encryption contexts 3.1.1 requires), and, when it will not speak SMB2,
 * to an SMB1 NEGOTIATE. No session is set up and no credential is sent. The
 * builders and parsers are pure (bytes in, struct out) and take any bytes;
 * smb_probe() is the thin I/O with one absolute deadline.
 *
 * SMB integers are little-endian. The request and reply buffers include the
 * 4-byte NetBIOS session header.
 */
#ifndef RDIAG_PROBES_SMB_H
#define RDIAG_PROBES_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The largest NEGOTIATE reply the probe accepts before calling it hostile. */
#define SMB_REPLY_MAX (64 * 1024)

/* Dialects (SMB2 DialectRevision). */
enum {
	SMB_DIALECT_202 = 0x0202,
	SMB_DIALECT_210 = 0x0210,
	SMB_DIALECT_300 = 0x0300,
	SMB_DIALECT_302 = 0x0302,
	SMB_DIALECT_311 = 0x0311,
	SMB_DIALECT_2FF = 0x02ff, /* "SMB 2.???": answer to an SMB1 offer */
};

#define SMB2_SIGNING_ENABLED       0x0001
#define SMB2_SIGNING_REQUIRED      0x0002
#define SMB2_CAP_ENCRYPTION        0x00000040
#define SMB1_SECMODE_SIGN_REQUIRED 0x08
#define SMB1_SECMODE_SIGN_ENABLED  0x04

enum smb_reply_kind {
	SMB_REPLY_SMB2 = 2, /* an SMB2 NEGOTIATE response */
	SMB_REPLY_SMB1 = 1, /* an SMB1 NEGOTIATE response */
};

struct smb_reply {
	enum smb_reply_kind kind;
	uint32_t status; /* NT status; 0 = success */
	/* SMB2 */
	uint16_t dialect;
	uint16_t security_mode;
	uint32_t capabilities;
	uint32_t max_transact, max_read, max_write;
	uint16_t cipher; /* from the 3.1.1 encryption context; 0 = none */
	bool have_cipher_context;
	/* SMB1 */
	uint16_t smb1_dialect_index; /* 0xffff: none of ours */
	uint8_t smb1_security_mode;
};

/* Names of the dialects the SMB1 request offers, in order. */
extern const char *const smb1_dialects[3];

/*
 * Write the SMB2 NEGOTIATE (with NetBIOS header) into out. salt and guid
 * are 32 and 16 bytes the caller chose (random in production). Returns the
 * length, or -ENOBUFS when max is too small (SMB2_NEGOTIATE_LEN is enough).
 */
#define SMB2_NEGOTIATE_LEN 192
int smb2_negotiate_build(uint8_t *out, size_t max, const uint8_t guid[16],
			 const uint8_t salt[32]);

/* The SMB1 NEGOTIATE offering smb1_dialects; length or -ENOBUFS. */
#define SMB1_NEGOTIATE_LEN 128
int smb1_negotiate_build(uint8_t *out, size_t max);

/*
 * Parse a NEGOTIATE reply from the start of p (NetBIOS header included).
 * Returns 0 when a whole reply was parsed into *ret (status may still be an
 * error); -EAGAIN when more bytes are needed; -EBADMSG when it is not an SMB
 * NEGOTIATE reply. *ret is written only on 0.
 */
int smb_reply_parse(const uint8_t *p, size_t n, struct smb_reply *ret);

/* "3.1.1", "2.0.2", "NT LM 0.12" ...; "unknown" otherwise. */
const char *smb_dialect_name(uint16_t dialect);
/* "AES-128-GCM" ...; "none" for 0, "unknown" otherwise. */
const char *smb_cipher_name(uint16_t cipher);

enum smb_probe_outcome {
	SMB_PROBE_SMB2 = 1,  /* smb2 holds the answer */
	SMB_PROBE_SMB1_ONLY, /* refused SMB2, answered SMB1: smb1 holds it */
	SMB_PROBE_NO_SMB,    /* connected, but nothing SMB-like came back */
};

struct smb_probe_result {
	int connect_rc; /* 0, or the negative errno of the TCP connect */
	enum smb_probe_outcome outcome;
	struct smb_reply smb2, smb1;
	int smb2_rc, smb1_rc; /* exchange results (0, -ETIMEDOUT ...) */
	int64_t connect_ms, negotiate_ms;
};

/*
 * Probe the server at sa before deadline_ms. Returns 0 when the probe ran
 * (its verdict is in *ret, connect failures included) or a negative errno
 * when it could not start.
 */
int smb_probe(const struct sockaddr *sa, socklen_t salen, int64_t deadline_ms,
	      struct smb_probe_result *ret);

#endif
