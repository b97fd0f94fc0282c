/*
 * The helper API every upload backend (upload_file.c, upload_http.c,
 * upload_s3.c, upload_sftp.c) and the ticket adapters share: one request's
 * bounded capture of headers and body, libcurl's common setup, the bundle
 * reader, progress, error reasons and retry classification, and the
 * SIGINT/SIGTERM stop that cuts transfers and retry waits short. Apart from
 * upload.c so backends never call into the upload driver: the graph is
 * upload.c -> backend table -> backends -> this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "upload/upload_int.h"

static volatile sig_atomic_t upload_stop;

/* ---- one request ---- */

void upload_resp_init(struct upload_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, UPLOAD_BODY_MAX);
}

void upload_resp_release(struct upload_resp *r)
{
	free(r->etag);
	free(r->location);
	free(r->upload_offset);
	free(r->server_hash);
	buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

void upload_fail_release(struct upload_fail *f)
{
	free(f->reason);
	memset(f, 0, sizeof(*f));
}

void upload_fail_set(struct upload_fail *f, bool retryable, const char *fmt,
		     ...)
{
	va_list ap;

	f->retryable = retryable;
	va_start(ap, fmt);
	error_vset(&f->reason, 0, fmt, ap);
	va_end(ap);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct upload_resp *r = arg;

	/* Past the maximum the rest is dropped, not an error. */
	(void)buf_append(&r->body, p, size * n);
	return size * n;
}

static void keep_header(char **dst, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n > 1024)
		return;
	free(*dst);
	*dst = xstrndup(v, n);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ "etag:", offsetof(struct upload_resp, etag) },
		{ "location:", offsetof(struct upload_resp, location) },
		{ "upload-offset:",
		  offsetof(struct upload_resp, upload_offset) },
		{ "x-amz-checksum-sha256:",
		  offsetof(struct upload_resp, server_hash) },
	};
	struct upload_resp *r = arg;
	size_t len = size * n;

	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		size_t k = strlen(wanted[i].name);

		if (len > k && strncasecmp(p, wanted[i].name, k) == 0)
			keep_header((char **)((char *)r + wanted[i].off), p + k,
				    len - k);
	}
	return len;
}

void upload_progress_draw(struct upload_ctx *c, uint64_t now_bytes, bool force)
{
	int64_t now = now_ms(), el = now - c->started_ms;
	char done[32], total[32], rate[32], eta[32] = "--:--";
	double bps;

	if (!force && now - c->last_draw_ms < 250)
		return;
	c->last_draw_ms = now;
	if (now_bytes > c->size)
		now_bytes = c->size;
	bps = el > 0 ? (double)(now_bytes - c->resumed_at) * 1000.0 / (double)el
		     : 0;
	format_size(now_bytes, done, sizeof(done));
	format_size(c->size, total, sizeof(total));
	format_size((uint64_t)bps, rate, sizeof(rate));
	if (bps > 1) {
		uint64_t s = (uint64_t)((double)(c->size - now_bytes) / bps);

		snprintf(eta, sizeof(eta), "%llu:%02llu",
			 (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	}
	fprintf(stderr, "\r  %s of %s  %s/s  ETA %s   ", done, total, rate,
		eta);
	c->drew = true;
}

void upload_progress_end(struct upload_ctx *c)
{
	if (c->drew) {
		fputc('\n', stderr);
		c->drew = false;
	}
}

static int on_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct upload_ctx *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	/* libcurl calls this at least once a second: Ctrl-C acts in 1 s. */
	if (upload_stop)
		return 1;
	if (c->o->progress)
		upload_progress_draw(c, c->done_before + (uint64_t)ulnow,
				     false);
	return 0;
}

size_t upload_reader_read(char *p, size_t size, size_t n, void *arg)
{
	struct upload_reader *rd = arg;
	size_t want = size * n;
	ssize_t got;

	if (rd->pos >= rd->end)
		return 0;
	if (want > rd->end - rd->pos)
		want = (size_t)(rd->end - rd->pos);
	do
		got = pread(rd->fd, p, want, (off_t)rd->pos);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	if (got == 0)
		return CURL_READFUNC_ABORT; /* the bundle shrank under us */
	rd->pos += (uint64_t)got;
	return (size_t)got;
}

int upload_reader_seek(void *arg, curl_off_t off, int origin)
{
	struct upload_reader *rd = arg;

	if (origin != SEEK_SET || off < 0 ||
	    (uint64_t)off > rd->end - rd->start)
		return CURL_SEEKFUNC_FAIL;
	rd->pos = rd->start + (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

void upload_reader_attach(CURL *h, struct upload_reader *rd, int fd,
			  uint64_t start, uint64_t end)
{
	rd->fd = fd;
	rd->start = rd->pos = start;
	rd->end = end;
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_reader_read);
	curl_easy_setopt(h, CURLOPT_READDATA, rd);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, upload_reader_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, rd);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
			 (curl_off_t)(end - start));
}

CURL *upload_curl_new(struct upload_ctx *c, const char *url,
		      struct upload_resp *resp)
{
	const struct upload_opts *o = c->o;
	CURL *h = curl_easy_init();

	if (!h)
		abort(); /* only fails on memory exhaustion */
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
			 c->u->scheme == UPLOAD_SFTP   ? "sftp"
			 : c->u->scheme == UPLOAD_FILE ? "file"
						       : "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, resp->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "rdiag/" RDIAG_VERSION);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout_s);
	/* Stall: under 1 KiB/s for stall_timeout seconds ends the request. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)o->stall_timeout_s);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (o->max_rate)
		curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE,
				 (curl_off_t)o->max_rate);
	/* Verification stays on: these are libcurl's defaults, said aloud. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	upload_tls_ip_setup(h, url, o->ca_file, resp);
	if (o->pin_sha256 && c->u->scheme != UPLOAD_SFTP) {
		char *pin = strncmp(o->pin_sha256, "sha256//", 8) == 0
				    ? xstrdup(o->pin_sha256)
				    : xasprintf("sha256//%s", o->pin_sha256);

		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, pin);
		free(pin); /* libcurl copies string options */
	}
	if (o->proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, o->proxy);
	if (o->no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, o->no_proxy);
	if (o->proxy_user)
		curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, o->proxy_user);
	if (o->proxy_password)
		curl_easy_setopt(h, CURLOPT_PROXYPASSWORD, o->proxy_password);
	if (c->u->scheme != UPLOAD_FILE && c->u->scheme != UPLOAD_SFTP)
		curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
	/* Always: it is also how SIGINT/SIGTERM stop a transfer. */
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	return h;
}

char *upload_http_reason(long status, enum upload_scheme scheme)
{
	const char *hint = "";

	switch (status) {
	case 401:
		hint = scheme == UPLOAD_S3
			       ? ": the server refused the credentials (check "
				 "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
			       : ": the server refused the credentials (check "
				 "RDIAG_UPLOAD_PASSWORD or [upload] user and "
				 "password)";
		break;
	case 403:
		hint = scheme == UPLOAD_S3
			       ? ": access denied (wrong secret or no "
				 "permission to write there)"
			       : ": access denied (no permission to write "
				 "there)";
		break;
	case 404:
		hint = ": no such location on the server (check the URL)";
		break;
	case 405:
	case 501:
		hint = ": the server does not accept uploads there";
		break;
	case 407:
		hint = ": the proxy refused the credentials (check "
		       "[upload] proxy_user and RDIAG_UPLOAD_PROXY_PASSWORD)";
		break;
	case 408:
		hint = ": the server timed out waiting for the upload";
		break;
	case 409:
		hint = ": conflict with what is already on the server";
		break;
	case 413:
		hint = ": the bundle is too large for this server (ask "
		       "for a larger upload limit, or use another target)";
		break;
	case 429:
		hint = ": too many requests; the server asked to slow down";
		break;
	case 507:
		hint = ": the server is out of space";
		break;
	default:
		if (status >= 500)
			hint = ": the server failed";
		break;
	}
	return xasprintf("HTTP %ld%s", status, hint);
}

/*
 * Transient failures only: the connection, the server's load, the
 * network. A name that does not resolve is permanent (the target or the
 * proxy is misspelt; retrying for minutes only hides that).
 */
static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_UPLOAD_FAILED:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSH:
	case CURLE_AGAIN:
		return true;
	default:
		return false;
	}
}

static const char *curl_hint(CURLcode cc, enum upload_scheme scheme)
{
	if (scheme == UPLOAD_SFTP && cc == CURLE_PEER_FAILED_VERIFICATION)
		return " (the server's host key does not match [upload] "
		       "ssh_host_key_sha256: if the server really changed its "
		       "key, check the new one with its admin)";
	if (scheme == UPLOAD_SFTP && cc == CURLE_LOGIN_DENIED)
		return " (the server refused the key in [upload] ssh_key)";
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return " (the server's certificate is not trusted: set "
		       "[upload] ca_file for a private CA)";
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return " (the server's public key does not match [upload] "
		       "pin_sha256)";
	case CURLE_SSL_CACERT_BADFILE:
		return " (check [upload] ca_file)";
	case CURLE_COULDNT_CONNECT:
		return " (is the server running and the port open?)";
	case CURLE_COULDNT_RESOLVE_HOST:
		return " (the host name does not resolve: check the target)";
	case CURLE_COULDNT_RESOLVE_PROXY:
		return " (the proxy's name does not resolve: check [upload] "
		       "proxy)";
	case CURLE_OPERATION_TIMEDOUT:
		return " (no progress; see [upload] connect_timeout and "
		       "stall_timeout)";
	default:
		return "";
	}
}

int upload_perform(struct upload_ctx *c, CURL *h, struct upload_resp *resp,
		   const char *what, struct upload_fail *f)
{
	long status = 0;
	char *reason;

	resp->cc = curl_easy_perform(h);
	upload_tls_ip_result(resp);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	if (c->u->scheme != UPLOAD_SFTP && c->u->scheme != UPLOAD_FILE) {
		long proxy_status = 0;

		curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &proxy_status);
		if (proxy_status >= 300) {
			reason = upload_http_reason(proxy_status, c->u->scheme);
			upload_fail_set(f, proxy_status >= 500,
					"%s: proxy answered %s", what, reason);
			free(reason);
			return -EIO;
		}
	}
	if (resp->cc != CURLE_OK) {
		upload_fail_set(f, retryable_curl(resp->cc), "%s: %s%s", what,
				resp->errbuf[0] ? resp->errbuf
						: curl_easy_strerror(resp->cc),
				curl_hint(resp->cc, c->u->scheme));
		f->retry_after_s = upload_retry_after_s(h);
		return -EIO;
	}
	if (status == 0 || (status >= 200 && status < 300))
		return 0;
	reason = upload_http_reason(status, c->u->scheme);
	{
		char *code = upload_xml_value(resp->body.data, "Code");
		char *msg = upload_xml_value(resp->body.data, "Message");

		if (code)
			upload_fail_set(f, false, "%s: %s (S3 %s%s%s)", what,
					reason, code, msg ? ": " : "",
					msg ? msg : "");
		else
			upload_fail_set(f, false, "%s: %s", what, reason);
		free(code);
		free(msg);
	}
	free(reason);
	f->retryable = status == 408 || status == 429 || status >= 500;
	f->retry_after_s = upload_retry_after_s(h);
	return -EIO;
}

unsigned upload_retry_after_s(CURL *h)
{
	curl_off_t ra = 0;

	/* libcurl reads both forms: delta seconds and an HTTP date. */
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK ||
	    ra <= 0 || ra > UPLOAD_RETRY_AFTER_MAX_S)
		return 0;
	return (unsigned)ra;
}

char *upload_side_path(const struct upload_ctx *c, const char *suffix)
{
	return xasprintf("%s%s", c->bundle, suffix);
}

/* A retry wait, cut short by SIGINT/SIGTERM (checked every 100 ms). */
void upload_sleep_ms(unsigned ms)
{
	while (ms > 0 && !upload_stop) {
		unsigned step = ms < 100 ? ms : 100;
		struct timespec ts = { .tv_sec = 0,
				       .tv_nsec = (long)step * 1000000L };

		(void)nanosleep(&ts, NULL);
		ms -= step;
	}
}

bool upload_interrupted(void)
{
	return upload_stop != 0;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	upload_stop = 1;
}

/*
 * For the length of an upload, SIGINT and SIGTERM stop the transfer (and a
 * retry wait) instead of killing rdiag or being noted and ignored by `run`:
 * the bundle is kept and the way to send it later is printed.
 */
void upload_stop_catch(struct sigaction old[2])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	upload_stop = 0;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

void upload_stop_release(const struct sigaction old[2])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}
