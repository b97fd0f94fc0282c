/*
 * MySQL / MariaDB wire probe: the server speaks first, with a greeting
 * (HandshakeV10) or an error packet instead of it (too many connections,
 * host blocked, host not allowed). The parser is pure; mysql_probe() is the
 * thin I/O, which can go on to a TLS handshake (SSL request) to describe
 * the certificate. The names keep the mysql_ prefix of this file but are
 * chosen not to collide with libmariadb's.
 */
#ifndef RDIAG_PROBES_MYSQL_H
#define RDIAG_PROBES_MYSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/net.h"
#include "probes/tls.h"

/* A greeting or a greeting-time error never needs more than this. */
#define MYSQL_WIRE_MAX_PACKET (16 * 1024)

#define MYSQL_WIRE_CLIENT_LONG_PASSWORD 0x00000001u
#define MYSQL_WIRE_CLIENT_PROTOCOL_41   0x00000200u
#define MYSQL_WIRE_CLIENT_SSL           0x00000800u
#define MYSQL_WIRE_CLIENT_SECURE_CONN   0x00008000u
#define MYSQL_WIRE_CLIENT_PLUGIN_AUTH   0x00080000u

enum mysql_wire_kind {
	MYSQL_WIRE_GREETING = 1,
	MYSQL_WIRE_ERROR,
};

struct mysql_wire_reply {
	enum mysql_wire_kind kind;
	/* greeting */
	uint8_t protocol;
	char version[64];
	bool mariadb; /* "5.5.5-" prefix or MariaDB in the version */
	uint32_t conn_id;
	uint32_t caps;
	uint8_t charset;
	uint16_t status;
	uint32_t mariadb_caps;
	char auth_plugin[64];
	/* error */
	uint16_t code;
	char sqlstate[8];
	char message[256];
};

/*
 * Parse one server packet (4-byte header included) from the start of p:
 * 0 when complete, -EAGAIN when more bytes are needed, -EBADMSG when it is
 * neither a greeting nor an error packet. *ret holds what was parsed.
 */
int mysql_wire_parse(const uint8_t *p, size_t n, struct mysql_wire_reply *ret);

/*
 * The 36-byte SSL request (header included, sequence 1) that asks a server
 * which offered CLIENT_SSL to switch to TLS.
 */
void mysql_wire_ssl_request(uint8_t out[36]);

/*
 * The probe ends the handshake it started with a complete handshake
 * response for this account name (which no site has) and an empty
 * password: a connection dropped during the handshake counts towards the
 * server's max_connect_errors and, repeated, blocks this host (error
 * 1129) for the application too; a failed login does not count.
 */
#define MYSQL_WIRE_PROBE_USER "rdiag-probe"

/*
 * The handshake response (header included) with sequence seq for
 * MYSQL_WIRE_PROBE_USER, an empty auth response and the
 * mysql_native_password plugin; with_ssl when it follows an SSL request.
 * Returns its length (at most 96 bytes).
 */
size_t mysql_wire_probe_response(uint8_t out[96], uint8_t seq, bool with_ssl);

enum mysql_wire_auth_kind {
	MYSQL_WIRE_AUTH_OK = 1, /* 0x00: logged in (an account without a
				   password) */
	MYSQL_WIRE_AUTH_ERROR,  /* 0xFF: the expected access denied */
	MYSQL_WIRE_AUTH_SWITCH, /* 0xFE: the server asks for another plugin */
	MYSQL_WIRE_AUTH_MORE,   /* 0x01: more plugin data */
};

struct mysql_wire_auth_reply {
	enum mysql_wire_auth_kind kind;
	uint8_t seq; /* the packet's sequence number, to answer it */
	uint16_t code;
	char message[256];
};

/*
 * Parse the server's answer to a handshake response: 0, -EAGAIN while
 * more bytes are needed, -EBADMSG for anything else.
 */
int mysql_wire_auth_parse(const uint8_t *p, size_t n,
			  struct mysql_wire_auth_reply *ret);

struct mysql_probe_result {
	int rc; /* 0, -ETIMEDOUT (no greeting), -EBADMSG, -ECONNRESET */
	struct mysql_wire_reply reply;
	bool tls_done;
	int tls_rc;
	struct tls_info tls;
	char local_host[NET_ADDR_MAX];
	/* how the handshake was closed: 0 (the server answered), or why not */
	int close_rc;
	struct mysql_wire_auth_reply close_reply;
	char tls_error[256]; /* a TLS error after the handshake, or "" */
};

/*
 * Read the greeting on a connected socket and, when the server offers TLS
 * and with_tls, run the handshake to describe it; then end the handshake
 * cleanly (see MYSQL_WIRE_PROBE_USER). Returns 0; the verdict is in *ret.
 */
int mysql_probe(int fd, const char *servername, bool with_tls,
		const struct tls_client_opts *tls, int64_t deadline_ms,
		struct mysql_probe_result *ret);

#endif
