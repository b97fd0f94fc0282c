/*
 * Client-side TLS for the probes with OpenSSL: a handshake on a socket the
 * probe already connected, driven by poll() against the probe's deadline,
 * and a description of what the server presented.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probes/net.h"
#include "probes/tls.h"
#include "rdiag/util.h"

struct tls_conn {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char error[256]; /* the last TLS error after the handshake */
};

/*
 * OpenSSL writes to the socket with write(): a server that closed first
 * (say, after refusing our client certificate) raises SIGPIPE, which ends
 * a collector worker, whose signals are at their defaults. Every OpenSSL
 * call here runs with SIGPIPE blocked, and one it raised is taken back.
 */
struct pipe_guard {
	sigset_t old;
	bool pending_before;
};

static void pipe_block(struct pipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	g->pending_before =
		sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1;
	sigprocmask(SIG_BLOCK, &set, &g->old);
}

static void pipe_unblock(struct pipe_guard *g)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!g->pending_before && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE) == 1)
		sigtimedwait(&set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &g->old, NULL);
}

static bool is_ip_literal(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 ||
	       inet_pton(AF_INET6, s, tmp) == 1;
}

static void name_oneline(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long l;

	buf[0] = '\0';
	if (!b)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	l = BIO_get_mem_data(b, &p);
	if (l > 0)
		snprintf(buf, len, "%.*s", (int)l, p);
	BIO_free(b);
}

/*
 * The leaf's own validity dates and the name it is checked for are
 * reported on their own (days_left, not_yet_valid, name_match): a
 * certificate from a trusted CA that expired or names another host is that
 * fault, not an untrusted chain. Everything else, including an expired CA,
 * is a chain error.
 */
static bool leaf_only_error(long err, int depth)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return depth == 0;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return true;
	default:
		return false;
	}
}

/*
 * Called by OpenSSL for each problem while it checks the chain; returning
 * 1 lets it go on, so every error is seen (the first one alone would hide
 * an untrusted chain behind an expired leaf, or the reverse). The first
 * chain error is kept in the tls_info the SSL carries.
 */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_info *info = ssl ? SSL_get_app_data(ssl) : NULL;
	int err = X509_STORE_CTX_get_error(store);
	int depth = X509_STORE_CTX_get_error_depth(store);

	if (ok || !info)
		return 1;
	if (err == X509_V_ERR_CERT_NOT_YET_VALID && depth == 0)
		info->not_yet_valid = true;
	if (!leaf_only_error(err, depth) && !info->verify_error[0])
		snprintf(info->verify_error, sizeof(info->verify_error), "%s%s",
			 X509_verify_cert_error_string(err),
			 depth > 0 ? " (in the issuer chain)" : "");
	return 1;
}

static void describe_cert(SSL *ssl, const char *servername,
			  struct tls_info *info)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	const ASN1_TIME *na;
	int days = 0, secs = 0;
	long vr;
	BIO *b;

	if (!cert)
		return;
	info->have_cert = true;
	name_oneline(X509_get_subject_name(cert), info->subject,
		     sizeof(info->subject));
	name_oneline(X509_get_issuer_name(cert), info->issuer,
		     sizeof(info->issuer));
	info->self_signed = X509_NAME_cmp(X509_get_subject_name(cert),
					  X509_get_issuer_name(cert)) == 0;
	na = X509_get0_notAfter(cert);
	if (na && ASN1_TIME_diff(&days, &secs, NULL, na))
		info->days_left = days - (secs < 0 && days <= 0 ? 1 : 0);
	if (na && (b = BIO_new(BIO_s_mem()))) {
		char *p;
		long l;

		ASN1_TIME_print(b, na);
		l = BIO_get_mem_data(b, &p);
		if (l > 0)
			snprintf(info->not_after, sizeof(info->not_after),
				 "%.*s", (int)l, p);
		BIO_free(b);
	}
	if (servername && *servername) {
		if (is_ip_literal(servername))
			info->name_match =
				X509_check_ip_asc(cert, servername, 0) == 1;
		else
			info->name_match = X509_check_host(cert, servername, 0,
							   0, NULL) == 1;
	}
	/* verify_cb() saw every error; a chain error wins over the rest. */
	vr = SSL_get_verify_result(ssl);
	info->chain_ok = !info->verify_error[0];
	if (info->chain_ok && vr != X509_V_OK && !leaf_only_error(vr, 0)) {
		info->chain_ok = false;
		snprintf(info->verify_error, sizeof(info->verify_error), "%s",
			 X509_verify_cert_error_string(vr));
	}
	X509_free(cert);
}

/* Wait as OpenSSL asks after a WANT_READ/WANT_WRITE; 0 or -errno. */
static int wait_for(struct tls_conn *c, int ret, int64_t deadline_ms)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_WANT_READ)
		return net_wait(c->fd, POLLIN, deadline_ms);
	if (e == SSL_ERROR_WANT_WRITE)
		return net_wait(c->fd, POLLOUT, deadline_ms);
	if (e == SSL_ERROR_ZERO_RETURN)
		return -ECONNRESET;
	if (e == SSL_ERROR_SYSCALL)
		return errno ? -errno : -ECONNRESET;
	/* An alert after the handshake (TLS 1.3 reports a refused client
	 * certificate only then) is kept for tls_conn_error(). */
	if (ERR_peek_last_error())
		ERR_error_string_n(ERR_peek_last_error(), c->error,
				   sizeof(c->error));
	return -EPROTO;
}

int tls_conn_settle(struct tls_conn *c, unsigned wait_ms, int64_t deadline_ms)
{
	int64_t until = now_ms() + wait_ms;
	uint8_t b;
	ssize_t n;

	n = tls_conn_read(c, &b, 1, until < deadline_ms ? until : deadline_ms);
	if (n == -ETIMEDOUT)
		return 0;
	if (n > 0)
		return -EBADMSG;
	return n == 0 ? -ECONNRESET : (int)n;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c ? c->error : "";
}

static void last_error(struct tls_info *info, int r)
{
	unsigned long e = ERR_peek_last_error();

	if (e) {
		ERR_error_string_n(e, info->error, sizeof(info->error));
	} else if (r == -ETIMEDOUT) {
		snprintf(info->error, sizeof(info->error),
			 "no TLS answer before the deadline");
	} else {
		snprintf(info->error, sizeof(info->error), "%s",
			 r == -ECONNRESET ? "connection closed during the "
					    "TLS handshake"
					  : strerror(-r));
	}
	ERR_clear_error();
}

int tls_conn_start(int fd, const char *servername, const char *alpn,
		   int64_t deadline_ms, struct tls_conn **ret,
		   struct tls_info *info)
{
	struct tls_client_opts o = { .alpn = alpn };

	return tls_conn_start_with(fd, servername, &o, deadline_ms, ret, info);
}

/* Load the caller's CA file and client certificate into ctx; 0 or -EINVAL. */
static int load_client_files(SSL_CTX *ctx, const struct tls_client_opts *o,
			     struct tls_info *info)
{
	const char *what = NULL, *file = NULL;

	if (o->cafile &&
	    SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1) {
		what = "CA file";
		file = o->cafile;
	} else if (o->certfile &&
		   SSL_CTX_use_certificate_chain_file(ctx, o->certfile) != 1) {
		what = "client certificate";
		file = o->certfile;
	} else if (o->certfile &&
		   SSL_CTX_use_PrivateKey_file(
			   ctx, o->keyfile ? o->keyfile : o->certfile,
			   SSL_FILETYPE_PEM) != 1) {
		what = "client key";
		file = o->keyfile ? o->keyfile : o->certfile;
	}
	if (!what)
		return 0;
	snprintf(info->error, sizeof(info->error), "cannot load the %s '%s'",
		 what, file);
	ERR_clear_error();
	return -EINVAL;
}

int tls_conn_start_with(int fd, const char *servername,
			const struct tls_client_opts *opts, int64_t deadline_ms,
			struct tls_conn **ret, struct tls_info *info)
{
	static const struct tls_client_opts none;
	const struct tls_client_opts *o = opts ? opts : &none;
	const char *alpn = o->alpn;
	struct tls_conn *c = xcalloc(1, sizeof(*c));
	unsigned char alpn_wire[32];
	const unsigned char *sel = NULL;
	unsigned sel_len = 0;
	int r = -EPROTO, n;

	memset(info, 0, sizeof(*info));
	c->fd = fd;
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		goto fail;
	/* Describe old servers too instead of refusing to talk to them. */
	SSL_CTX_set_min_proto_version(c->ctx, 0);
	SSL_CTX_set_security_level(c->ctx, 0);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, verify_cb);
	if (!o->cafile && SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		ERR_clear_error();
	if (load_client_files(c->ctx, o, info) < 0) {
		tls_conn_free(c);
		return -EINVAL;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1)
		goto fail;
	SSL_set_app_data(c->ssl, info);
	if (servername && *servername && !is_ip_literal(servername))
		SSL_set_tlsext_host_name(c->ssl, servername);
	if (servername && *servername) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);

		if (is_ip_literal(servername))
			X509_VERIFY_PARAM_set1_ip_asc(vp, servername);
		else
			X509_VERIFY_PARAM_set1_host(vp, servername, 0);
	}
	if (alpn && strlen(alpn) < sizeof(alpn_wire) - 1) {
		alpn_wire[0] = (unsigned char)strlen(alpn);
		memcpy(alpn_wire + 1, alpn, alpn_wire[0]);
		SSL_set_alpn_protos(c->ssl, alpn_wire, alpn_wire[0] + 1u);
	}
	for (;;) {
		struct pipe_guard g;

		pipe_block(&g);
		n = SSL_connect(c->ssl);
		pipe_unblock(&g);
		if (n == 1)
			break;
		if ((r = wait_for(c, n, deadline_ms)) < 0)
			goto fail;
	}
	snprintf(info->protocol, sizeof(info->protocol), "%s",
		 SSL_get_version(c->ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
		 SSL_get_cipher_name(c->ssl));
	SSL_get0_alpn_selected(c->ssl, &sel, &sel_len);
	if (sel && sel_len < sizeof(info->alpn))
		snprintf(info->alpn, sizeof(info->alpn), "%.*s", (int)sel_len,
			 (const char *)sel);
	describe_cert(c->ssl, servername, info);
	SSL_set_app_data(c->ssl, NULL);
	*ret = c;
	return 0;
fail:
	last_error(info, r);
	tls_conn_free(c);
	return r;
}

int tls_conn_write(struct tls_conn *c, const void *p, size_t n,
		   int64_t deadline_ms)
{
	int r;

	while (n > 0) {
		struct pipe_guard g;
		int w;

		pipe_block(&g);
		w = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);
		pipe_unblock(&g);

		if (w > 0) {
			p = (const char *)p + w;
			n -= (size_t)w;
			continue;
		}
		if ((r = wait_for(c, w, deadline_ms)) < 0)
			return r;
	}
	return 0;
}

ssize_t tls_conn_read(struct tls_conn *c, void *p, size_t max,
		      int64_t deadline_ms)
{
	int r;

	for (;;) {
		struct pipe_guard g;
		int n;

		pipe_block(&g);
		n = SSL_read(c->ssl, p, max > 65536 ? 65536 : (int)max);
		pipe_unblock(&g);

		if (n > 0)
			return n;
		if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN)
			return 0;
		if ((r = wait_for(c, n, deadline_ms)) < 0)
			return r == -ECONNRESET ? 0 : r;
	}
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		/* One non-blocking attempt: a courtesy, never a wait. */
		if (SSL_is_init_finished(c->ssl)) {
			struct pipe_guard g;

			pipe_block(&g);
			SSL_shutdown(c->ssl);
			pipe_unblock(&g);
		}
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	ERR_clear_error();
	free(c);
}
