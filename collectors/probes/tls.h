/*
 * TLS on a socket a probe already holds (after PostgreSQL's SSLRequest 'S',
 * MySQL's SSL request, or directly for SQL Server's strict mode), through
 * OpenSSL, with the same absolute deadline as the rest of the probe. The
 * handshake never fails on an untrusted certificate: the probe's job is to
 * describe it (protocol, subject, issuer, expiry, name match, chain to the
 * system CAs), and struct tls_info says what was found.
 */
#ifndef RDIAG_PROBES_TLS_H
#define RDIAG_PROBES_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tls_info {
	char protocol[16]; /* "TLSv1.3" */
	char cipher[64];
	bool have_cert;
	char subject[256]; /* one-line RFC 2253 form */
	char issuer[256];
	char not_after[40]; /* "Nov 28 07:22:19 2027 GMT" */
	int days_left;      /* negative when expired */
	bool self_signed;   /* subject == issuer */
	bool name_match;    /* the peer name (host or IP) is in the cert */
	bool not_yet_valid; /* the leaf's notBefore is in the future */
	/*
	 * The chain leads to a CA of the system store. The leaf's dates and
	 * name are not part of it: see days_left, not_yet_valid, name_match.
	 */
	bool chain_ok;
	char verify_error[128]; /* why not, from X509_verify_cert_error_string
				 */
	char alpn[16];          /* the protocol the server selected, or "" */
	char error[256]; /* why the handshake failed, "" when it worked */
};

struct tls_conn;

/* What a client brings to the handshake beyond the server's name. */
struct tls_client_opts {
	const char *alpn;     /* offered, or NULL */
	const char *cafile;   /* trust only these CAs, NULL: the system's */
	const char *certfile; /* a client certificate (PEM), or NULL */
	const char *keyfile;  /* its key (PEM), or NULL: in certfile */
};

/*
 * Run a client handshake on fd (non-blocking) before deadline_ms, sending
 * servername as SNI unless it is an IP literal, offering alpn if not NULL.
 * Fills *info in every case. Returns 0 and *ret (freed with tls_conn_free)
 * when the handshake completed; -ETIMEDOUT, -ECONNRESET or -EPROTO (see
 * info->error) otherwise. fd stays the caller's.
 */
int tls_conn_start(int fd, const char *servername, const char *alpn,
		   int64_t deadline_ms, struct tls_conn **ret,
		   struct tls_info *info);
/*
 * The same with client options (opts may be NULL). A cafile or client
 * certificate that cannot be loaded fails the start with -EINVAL and says
 * so in info->error.
 */
int tls_conn_start_with(int fd, const char *servername,
			const struct tls_client_opts *opts, int64_t deadline_ms,
			struct tls_conn **ret, struct tls_info *info);
int tls_conn_write(struct tls_conn *c, const void *p, size_t n,
		   int64_t deadline_ms);
/* Like net_recv(): a count, 0 at the end of the stream, or -errno. */
ssize_t tls_conn_read(struct tls_conn *c, void *p, size_t max,
		      int64_t deadline_ms);
/*
 * Give the server wait_ms (within the deadline) to refuse the handshake
 * after the fact: TLS 1.3 servers send the alert about a client certificate
 * only after the handshake, and a server that then closes at once may lose
 * it to a reset if the client writes first. 0 when nothing came; else the
 * error (see tls_conn_error()), or -EBADMSG when data came, which a client
 * that speaks first does not expect.
 */
int tls_conn_settle(struct tls_conn *c, unsigned wait_ms, int64_t deadline_ms);

/*
 * The TLS error (OpenSSL's text, e.g. an alert the server sent) behind the
 * last -EPROTO of tls_conn_write()/tls_conn_read(), or "".
 */
const char *tls_conn_error(const struct tls_conn *c);
/* Sends close_notify without waiting for the peer's; NULL is a no-op. */
void tls_conn_free(struct tls_conn *c);

#endif
