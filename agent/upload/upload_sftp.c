/*
 * sftp://USER@HOST[:PORT]/PATH targets, through libcurl's libssh2 backend.
 * libcurl checks no host key unless told to, so a pin is mandatory here
 * (upload.c refuses to start without one). The bundle goes to NAME.partial,
 * which a later attempt or run appends to (CURLOPT_RESUME_FROM_LARGE after
 * asking its size), and is renamed to NAME once complete; the final size is
 * then read back as the server's confirmation.
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _WIN32
#include <gcrypt.h> /* libssh's crypto in rdiag.exe */
#endif

#include "core/log.h"
#include "rdiag/url.h"
#include "upload/upload_backend.h"
#include "upload/upload_int.h"

static char *decoded_path(const struct upload_ctx *c)
{
	char *p = NULL, *full;

	/* upload_url_parse() refused a path that does not decode. */
	if (url_decode(c->u->path, strlen(c->u->path), false, &p) < 0)
		p = xstrdup(c->u->path);
	if (!*p || p[strlen(p) - 1] != '/')
		return p;
	full = xasprintf("%s%s", p, c->base);
	free(p);
	return full;
}

static char *sftp_url(const struct upload_ctx *c, const char *path)
{
	char *enc = upload_uri_encode(path, true), *url;

	if (c->u->port)
		url = xasprintf("sftp://%s:%u%s", c->u->host, c->u->port, enc);
	else
		url = xasprintf("sftp://%s%s", c->u->host, enc);
	free(enc);
	return url;
}

/*
 * The base64 body of a host-key pin: without "SHA256:" and without the
 * padding ssh-keygen leaves out (libcurl and on_host_key compare with
 * none). Its length in *ret_len.
 */
static const char *pin_body(const char *pin, size_t *ret_len)
{
	size_t n;

	if (strncmp(pin, "SHA256:", 7) == 0)
		pin += 7;
	n = strlen(pin);
	while (n && pin[n - 1] == '=')
		n--;
	*ret_len = n;
	return pin;
}

/*
 * The host-key pin as a key callback. libcurl's libssh2 backend (Linux)
 * checks CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256 itself and calls no callback
 * without a known_hosts file; its libssh backend (rdiag.exe) ignores that
 * option and asks this callback instead, which without it would refuse
 * every key. The pin is "SHA256:" + base64 of the SHA-256 of the key blob,
 * as ssh-keygen -l prints it.
 */
static int on_host_key(CURL *h, const struct curl_khkey *known,
		       const struct curl_khkey *found, enum curl_khmatch match,
		       void *arg)
{
	const char *pin;
	unsigned char blob[16384], md[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(
		crypto_hash_sha256_BYTES,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	size_t len = 0, n;

	(void)h;
	(void)known;
	(void)match;
	if (!found || !found->key)
		return CURLKHSTAT_REJECT;
	n = found->len ? found->len : strlen(found->key);
	if (sodium_base642bin(blob, sizeof(blob), found->key, n, NULL, &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return CURLKHSTAT_REJECT;
	crypto_hash_sha256(md, blob, len);
	sodium_bin2base64(b64, sizeof(b64), md, sizeof(md),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	pin = pin_body(arg, &n);
	return n == strlen(b64) && sodium_memcmp(pin, b64, n) == 0
		       ? CURLKHSTAT_FINE
		       : CURLKHSTAT_REJECT;
}

/*
 * libcurl's libssh backend (rdiag.exe) hands each buffer to one
 * sftp_write(), i.e. one SFTP packet, and OpenSSH's server drops packets
 * over 256 KiB ("Error in the SSH layer" with the 512 KiB upload buffer);
 * its libssh2 backend (Linux) splits writes itself and keeps the large
 * buffer. 32 KiB is what libssh itself advises per write.
 */
static bool ssh_backend_is_libssh(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->libssh_version &&
	       strncmp(v->libssh_version, "libssh/", 7) == 0;
}

#ifdef _WIN32
/*
 * libgcrypt (under libssh in rdiag.exe) prints notes of its own to stderr,
 * e.g. "NOTE: you should run 'diskperf -y' ..." when its entropy gatherer
 * finds the disk counters off, which they are on many servers: they go to
 * rdiag's log instead, so the customer's terminal shows only rdiag's words.
 */
static void on_gcry_log(void *arg, int level, const char *fmt, va_list ap)
{
	char line[512];

	(void)arg;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_msg("libgcrypt (level %d): %s", level, line);
}

static void quiet_gcrypt(void)
{
	gcry_set_log_handler(on_gcry_log, NULL);
}
#else
static void quiet_gcrypt(void)
{
}
#endif

static CURL *sftp_handle(struct upload_ctx *c, const char *url,
			 struct upload_resp *resp)
{
	const struct upload_opts *o = c->o;
	CURL *h;
	const char *pin;
	char *pub = xasprintf("%s.pub", o->ssh_key), *p;
	size_t n;

	quiet_gcrypt();
	h = upload_curl_new(c, url, resp);

	pin = pin_body(o->ssh_host_sha256, &n);
	p = xstrndup(pin, n);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->u->user);
	curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
			 (long)CURLSSH_AUTH_PUBLICKEY);
	curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, o->ssh_key);
	if (access(pub, R_OK) == 0)
		curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE, pub);
	if (o->ssh_key_passphrase)
		curl_easy_setopt(h, CURLOPT_KEYPASSWD, o->ssh_key_passphrase);
	curl_easy_setopt(h, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, p);
	curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, on_host_key);
	curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, (void *)o->ssh_host_sha256);
	if (ssh_backend_is_libssh())
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 32L * 1024);
	curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
			 (long)CURLFTP_CREATE_DIR);
	free(pub);
	free(p);
	return h;
}

/* Size of a remote file: 0 and *ret, -ENOENT, or -EIO with f set. */
static int remote_size(struct upload_ctx *c, const char *path, uint64_t *ret,
		       struct upload_fail *f)
{
	struct upload_resp resp;
	char *url = sftp_url(c, path);
	curl_off_t len = -1;
	CURL *h;
	int r;

	upload_resp_init(&resp);
	h = sftp_handle(c, url, &resp);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	resp.cc = curl_easy_perform(h);
	if (resp.cc == CURLE_REMOTE_FILE_NOT_FOUND) {
		r = -ENOENT;
	} else if (resp.cc != CURLE_OK) {
		struct upload_fail tmp;

		memset(&tmp, 0, sizeof(tmp));
		curl_easy_cleanup(h);
		h = sftp_handle(c, url, &resp);
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		r = upload_perform(c, h, &resp, "sftp size", &tmp);
		if (r == 0)
			r = -EIO;
		upload_fail_set(f, tmp.retryable, "%s",
				tmp.reason ? tmp.reason : "sftp size failed");
		upload_fail_release(&tmp);
	} else if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
				     &len) != CURLE_OK ||
		   len < 0) {
		upload_fail_set(f, true, "sftp size: the server gave none");
		r = -EIO;
	} else {
		*ret = (uint64_t)len;
		r = 0;
	}
	curl_easy_cleanup(h);
	upload_resp_release(&resp);
	free(url);
	return r;
}

static char *quote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	buf_putc(&b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *s);
	}
	buf_putc(&b, '"');
	return buf_detach(&b, NULL);
}

static int upload_sftp_attempt(struct upload_ctx *c, struct upload_fail *f)
{
	struct upload_resp resp;
	struct upload_reader rd;
	struct curl_slist *post = NULL;
	char *final = decoded_path(c),
	     *partial = xasprintf("%s.partial", final);
	char *url = sftp_url(c, partial), *qf = quote(final),
	     *qp = quote(partial), *cmd;
	uint64_t off = 0, got = 0;
	CURL *h = NULL;
	int r;

	upload_resp_init(&resp);
	r = remote_size(c, partial, &off, f);
	if (r == -ENOENT)
		off = 0;
	else if (r < 0)
		goto out;
	if (off > c->size) {
		log_msg("sftp: '%s' is larger than the bundle, starting over",
			partial);
		off = 0;
	}
	if (off > 0)
		log_msg("sftp: resuming at byte %llu of %llu",
			(unsigned long long)off, (unsigned long long)c->size);
	if (c->attempts == 1)
		c->resumed_at = off;
	if (off > c->high_water) {
		c->progressed = c->attempts > 1;
		c->high_water = off;
	}
	c->done_before = 0;
	h = sftp_handle(c, url, &resp);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)off);
	upload_reader_attach(h, &rd, c->fd, 0, c->size);
	cmd = xasprintf("*rm %s", qf);
	post = curl_slist_append(post, cmd);
	free(cmd);
	cmd = xasprintf("rename %s %s", qp, qf);
	post = curl_slist_append(post, cmd);
	free(cmd);
	curl_easy_setopt(h, CURLOPT_POSTQUOTE, post);
	if ((r = upload_perform(c, h, &resp, "sftp upload", f)) < 0)
		goto out;
	if ((r = remote_size(c, final, &got, f)) < 0) {
		if (r == -ENOENT)
			upload_fail_set(f, true,
					"sftp: '%s' is not there after "
					"the upload",
					final);
		r = -EIO;
		goto out;
	}
	if (got != c->size) {
		upload_fail_set(f, true,
				"sftp: the server has %llu bytes, the bundle "
				"%llu",
				(unsigned long long)got,
				(unsigned long long)c->size);
		r = -EIO;
		goto out;
	}
	r = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(post);
	upload_resp_release(&resp);
	free(final);
	free(partial);
	free(url);
	free(qf);
	free(qp);
	return r;
}

const struct upload_backend upload_backend_sftp = {
	.scheme = UPLOAD_SFTP,
	.name = "sftp",
	.attempt = upload_sftp_attempt,
};
