/*
 * SQL Server TDS PRELOGIN (MS-TDS 2.2.6.5): the first exchange of every
 * client, before TLS and login. The reply says the server version and its
 * encryption policy. The parser is pure; tds_probe() is the thin I/O.
 */
#ifndef RDIAG_PROBES_TDS_H
#define RDIAG_PROBES_TDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/tls.h"

#define TDS_PACKET_MAX 4096

enum tds_encryption {
	TDS_ENCRYPT_OFF = 0,
	TDS_ENCRYPT_ON = 1,
	TDS_ENCRYPT_NOT_SUP = 2,
	TDS_ENCRYPT_REQ = 3,
};

struct tds_prelogin {
	bool have_version;
	uint8_t major, minor;
	uint16_t build, subbuild;
	bool have_encryption;
	uint8_t encryption; /* enum tds_encryption, or what the server sent */
	bool have_instopt;
	uint8_t instopt; /* 0: the instance name matched */
	bool have_mars;
	uint8_t mars;
	bool have_fedauth;
	uint8_t fedauth_required;
};

/* The 47-byte PRELOGIN request rdiag sends (encryption off offered). */
extern const uint8_t tds_prelogin_request[47];

/*
 * Parse a PRELOGIN reply packet (8-byte header, type 0x04): 0 when
 * complete, -EAGAIN when more bytes are needed, -EBADMSG otherwise.
 */
int tds_prelogin_parse(const uint8_t *p, size_t n, struct tds_prelogin *ret);

/* "SQL Server 2019" for a major version, or NULL when unknown. */
const char *tds_version_name(uint8_t major);

struct tds_probe_result {
	int rc; /* 0, -ETIMEDOUT (no PRELOGIN reply), -EBADMSG, -ECONNRESET */
	struct tds_prelogin reply;
};

/* Send PRELOGIN on a connected socket and read the reply. Returns 0. */
int tds_probe(int fd, int64_t deadline_ms, struct tds_probe_result *ret);

#endif
