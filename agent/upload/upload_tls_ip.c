/*
 * The certificate's IP address check for libcurl's Schannel backend
 * (rdiag.exe) when a CA file is configured. curl 7.88's Schannel code then
 * checks the chain against the CA file itself and matches the host only
 * against the certificate's DNS names (CertGetNameString), so every URL
 * with an IP address (https://10.0.0.5/...) fails although the certificate
 * names that address, while the OpenSSL build on Linux accepts it. For
 * exactly that case libcurl's name check is replaced by this one: the
 * chain is still verified against the CA file, and a pre-request callback
 * (after the TLS handshake, before a byte of the request is sent) matches
 * the server certificate's iPAddress names with OpenSSL, failing closed.
 * Every other case (host names, no CA file, the OpenSSL backend) keeps
 * libcurl's own check untouched.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rdiag/url.h"
#include "upload/upload_int.h"

static bool schannel(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->ssl_version &&
	       strncmp(v->ssl_version, "Schannel", 8) == 0;
}

/* The leaf certificate of the connection, from libcurl's certinfo. */
static X509 *server_cert(CURL *h)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;
	X509 *x = NULL;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1)
		return NULL;
	for (s = ci->certinfo[0]; s && !x; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0) {
			BIO *b = BIO_new_mem_buf(s->data + 5, -1);

			if (b)
				x = PEM_read_bio_X509(b, NULL, NULL, NULL);
			BIO_free(b);
		}
	return x;
}

static int on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip,
		     int conn_primary_port, int conn_local_port)
{
	struct upload_tls_ip *t = arg;
	X509 *x = server_cert(t->h);
	int ok = x && X509_check_ip_asc(x, t->host, 0) == 1;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	X509_free(x);
	t->mismatch = !ok;
	return ok ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/*
 * The host of an https url into out (IPv6 without its brackets); false for
 * any other scheme (sftp has its host-key pin, file:// no peer).
 */
static bool https_host(const char *url, char *out, size_t len)
{
	struct url_parts u;
	enum url_fault fault;
	bool ok;

	if (url_split(url, 0, &u, &fault) < 0)
		return false;
	ok = strcmp(u.scheme, "https") == 0 && u.host && strlen(u.host) < len;
	if (ok)
		snprintf(out, len, "%s", u.host);
	url_parts_release(&u);
	return ok;
}

void upload_tls_ip_setup(CURL *h, const char *url, const char *ca_file,
			 struct upload_resp *resp)
{
	struct upload_tls_ip *t = &resp->tls_ip;
	ASN1_OCTET_STRING *ip;

	if (!ca_file || !schannel() ||
	    !https_host(url, t->host, sizeof(t->host)))
		return;
	ip = a2i_IPADDRESS(t->host);
	if (!ip) {
		t->host[0] = '\0';
		return; /* a host name: Schannel's own check is right */
	}
	ASN1_OCTET_STRING_free(ip);
	t->h = h;
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, t);
}

void upload_tls_ip_result(struct upload_resp *resp)
{
	if (resp->cc != CURLE_ABORTED_BY_CALLBACK || !resp->tls_ip.mismatch)
		return;
	/* The words and code OpenSSL's libcurl gives on Linux. */
	resp->cc = CURLE_PEER_FAILED_VERIFICATION;
	snprintf(resp->errbuf, sizeof(resp->errbuf),
		 "SSL: no alternative certificate subject name matches target "
		 "host name '%s'",
		 resp->tls_ip.host);
}
