/*
 * The upload driver: options from [upload] and the environment, the libcurl
 * setup shared by every scheme, the retry loop (exponential backoff with
 * jitter, Retry-After honoured), the receipt, and the user-facing step
 * shared by `rdiag upload` and `rdiag run --upload`.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle_format.h"
#include "core/error.h"
#include "core/log.h"
#include "platform/fsutil.h"
#include "upload/upload_int.h"

static volatile sig_atomic_t upload_stop;

const struct config_key upload_config_keys[] = {
	{ "ca_file", 0, "PEM file of the CA that signs the server (private CA)",
	  NULL },
	{ "pin_sha256", 0,
	  "pinned server public key: base64 SHA-256 (sha256//... accepted)",
	  NULL },
	{ "proxy", 0, "proxy URL (default: the usual *_proxy variables)",
	  NULL },
	{ "no_proxy", 0, "hosts reached without the proxy, comma separated",
	  NULL },
	{ "proxy_user", 0, "proxy user name", NULL },
	{ "proxy_password", 0,
	  "proxy password (file must be 0600; or RDIAG_UPLOAD_PROXY_PASSWORD)",
	  NULL },
	{ "user", 0, "user for https and tus basic authentication", NULL },
	{ "password", 0,
	  "password for user (file must be 0600; or RDIAG_UPLOAD_PASSWORD)",
	  NULL },
	{ "s3_endpoint", 0, "S3 endpoint URL (default AWS for s3_region)",
	  NULL },
	{ "s3_region", 0, "S3 region (default AWS_REGION or us-east-1)", NULL },
	{ "s3_path_style", 0, "yes: https://endpoint/bucket/key", "no" },
	{ "aws_access_key_id", 0, "S3 key id (or AWS_ACCESS_KEY_ID)", NULL },
	{ "aws_secret_access_key", 0,
	  "S3 secret (file must be 0600; or AWS_SECRET_ACCESS_KEY)", NULL },
	{ "aws_session_token", 0,
	  "S3 session token (file must be 0600; or AWS_SESSION_TOKEN)", NULL },
	{ "part_size", 0, "S3 multipart part size, e.g. 16M", "16M" },
	{ "multipart_threshold", 0, "S3 multipart above this size", "64M" },
	{ "max_rate", 0, "bandwidth limit per second, e.g. 2M (default none)",
	  NULL },
	{ "ssh_key", 0, "sftp: private key file (ed25519)", NULL },
	{ "ssh_key_passphrase", 0,
	  "its passphrase (file must be 0600; or RDIAG_UPLOAD_KEY_PASSPHRASE)",
	  NULL },
	{ "ssh_host_key_sha256", 0,
	  "sftp: the server's host key, SHA256:... as ssh-keygen -lf prints",
	  NULL },
	{ "connect_timeout", 0, "seconds to connect", "15" },
	{ "stall_timeout", 0, "seconds without progress before a retry", "60" },
	{ "retries", 0, "retries after the first attempt", "5" },
	{ "retry_delay_ms", 0, "first retry delay, doubled each time (1000)",
	  NULL },
	{ "retry_max_delay", 0, "longest delay between retries, s", "60" },
	{ NULL, 0, NULL, NULL },
};

/* Keys whose value is a secret: only from a file nobody else can read. */
static const char *const secret_keys[] = {
	"proxy_password",    "password",           "aws_secret_access_key",
	"aws_session_token", "ssh_key_passphrase",
};

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int size_value(const char *key, const char *s, uint64_t min,
		      uint64_t *ret, char **ret_err)
{
	uint64_t v;

	if (config_parse_size(s, &v) < 0 || v < min || v > (5ull << 30)) {
		*ret_err = xasprintf("[upload] %s must be a size from %llu "
				     "bytes to 5G (e.g. 16M), not '%s'",
				     key, (unsigned long long)min, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int value(const struct config *c, const char *key,
		 unsigned long long min, unsigned long long max, bool duration,
		 unsigned *ret, char **ret_err)
{
	const char *s = config_get(c, "upload", key);
	unsigned long long v;

	if (!s)
		return 0;
	if ((duration ? parse_duration(s, min, max, &v)
		      : parse_uint(s, min, max, &v)) < 0) {
		*ret_err = xasprintf("[upload] %s must be a whole number from "
				     "%llu to %llu, not '%s'",
				     key, min, max, s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

int upload_opts_load(struct upload_opts *o, const struct config *c,
		     char **ret_err)
{
	const char *s;
	unsigned max_delay_s = 60;
	int r;

	memset(o, 0, sizeof(*o));
	o->config = c;
	for (size_t i = 0; i < ARRAY_SIZE(secret_keys); i++)
		if ((r = config_check_secret(c, "upload", secret_keys[i],
					     ret_err)) < 0)
			return r;
	o->ca_file = config_get(c, "upload", "ca_file");
	o->pin_sha256 = config_get(c, "upload", "pin_sha256");
	o->proxy = config_get(c, "upload", "proxy");
	o->no_proxy = config_get(c, "upload", "no_proxy");
	o->proxy_user = config_get(c, "upload", "proxy_user");
	o->proxy_password = env("RDIAG_UPLOAD_PROXY_PASSWORD");
	if (!o->proxy_password)
		o->proxy_password = config_get(c, "upload", "proxy_password");
	o->user = env("RDIAG_UPLOAD_USER");
	if (!o->user)
		o->user = config_get(c, "upload", "user");
	o->password = env("RDIAG_UPLOAD_PASSWORD");
	if (!o->password)
		o->password = config_get(c, "upload", "password");
	o->s3_endpoint = config_get(c, "upload", "s3_endpoint");
	o->s3_region = config_get(c, "upload", "s3_region");
	if (!o->s3_region)
		o->s3_region = env("AWS_REGION");
	if (!o->s3_region)
		o->s3_region = env("AWS_DEFAULT_REGION");
	if (!o->s3_region)
		o->s3_region = "us-east-1";
	if ((s = config_get(c, "upload", "s3_path_style"))) {
		if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
			o->s3_path_style = true;
		else if (strcmp(s, "no") != 0 && strcmp(s, "false") != 0) {
			*ret_err = xasprintf("[upload] s3_path_style must be "
					     "yes or no, not '%s'",
					     s);
			return -EINVAL;
		}
	}
	o->aws_key_id = env("AWS_ACCESS_KEY_ID");
	o->aws_secret = env("AWS_SECRET_ACCESS_KEY");
	o->aws_token = env("AWS_SESSION_TOKEN");
	if (!o->aws_key_id) {
		o->aws_key_id = config_get(c, "upload", "aws_access_key_id");
		o->aws_secret =
			config_get(c, "upload", "aws_secret_access_key");
		o->aws_token = config_get(c, "upload", "aws_session_token");
	}
	o->part_size = 16u << 20;
	o->multipart_threshold = 64u << 20;
	if ((s = config_get(c, "upload", "part_size")) &&
	    (r = size_value("part_size", s, 1024, &o->part_size, ret_err)) < 0)
		return r;
	if ((s = config_get(c, "upload", "multipart_threshold")) &&
	    (r = size_value("multipart_threshold", s, 1,
			    &o->multipart_threshold, ret_err)) < 0)
		return r;
	if ((s = config_get(c, "upload", "max_rate")) &&
	    (r = size_value("max_rate", s, 1024, &o->max_rate, ret_err)) < 0)
		return r;
	o->ssh_key = config_get(c, "upload", "ssh_key");
	o->ssh_key_passphrase = env("RDIAG_UPLOAD_KEY_PASSPHRASE");
	if (!o->ssh_key_passphrase)
		o->ssh_key_passphrase =
			config_get(c, "upload", "ssh_key_passphrase");
	o->ssh_host_sha256 = config_get(c, "upload", "ssh_host_key_sha256");
	o->connect_timeout_s = 15;
	o->stall_timeout_s = 60;
	o->retries = 5;
	o->retry_base_ms = 1000;
	if ((r = value(c, "connect_timeout", 1, 600, true,
		       &o->connect_timeout_s, ret_err)) < 0 ||
	    (r = value(c, "stall_timeout", 1, 3600, true, &o->stall_timeout_s,
		       ret_err)) < 0 ||
	    (r = value(c, "retries", 0, 100, false, &o->retries, ret_err)) <
		    0 ||
	    (r = value(c, "retry_delay_ms", 1, 600000, false, &o->retry_base_ms,
		       ret_err)) < 0 ||
	    (r = value(c, "retry_max_delay", 1, 3600, true, &max_delay_s,
		       ret_err)) < 0)
		return r;
	o->retry_max_ms = max_delay_s * 1000;
	return 0;
}

/* ---- one request ---- */

void upload_resp_init(struct upload_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, UPLOAD_BODY_MAX);
}

void upload_resp_release(struct upload_resp *r)
{
	free(r->etag);
	free(r->retry_after);
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
		{ "retry-after:", offsetof(struct upload_resp, retry_after) },
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

static void draw_progress(struct upload_ctx *c, uint64_t now_bytes, bool force)
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
		draw_progress(c, c->done_before + (uint64_t)ulnow, false);
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

char *upload_xml_value(const char *xml, const char *tag)
{
	char *open = xasprintf("<%s>", tag), *close = xasprintf("</%s>", tag);
	const char *a = strstr(xml, open), *b;
	char *v = NULL;

	if (a) {
		a += strlen(open);
		b = strstr(a, close);
		if (b && b - a < 4096)
			v = xstrndup(a, (size_t)(b - a));
	}
	free(open);
	free(close);
	return v;
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
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
		if (resp->retry_after)
			(void)upload_retry_after_parse(resp->retry_after,
						       time(NULL),
						       &f->retry_after_s);
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
	if (resp->retry_after)
		(void)upload_retry_after_parse(resp->retry_after, time(NULL),
					       &f->retry_after_s);
	return -EIO;
}

char *upload_side_path(const struct upload_ctx *c, const char *suffix)
{
	return xasprintf("%s%s", c->bundle, suffix);
}

/* ---- the whole upload ---- */

static const char *scheme_name(enum upload_scheme s)
{
	static const char *const names[] = { "https", "s3", "sftp", "tus",
					     "file" };

	return names[s];
}

static int attempt(struct upload_ctx *c, struct upload_fail *f)
{
	switch (c->u->scheme) {
	case UPLOAD_HTTPS:
		return upload_https_attempt(c, f);
	case UPLOAD_S3:
		return upload_s3_attempt(c, f);
	case UPLOAD_SFTP:
		return upload_sftp_attempt(c, f);
	case UPLOAD_TUS:
		return upload_tus_attempt(c, f);
	case UPLOAD_FILE:
		return upload_file_attempt(c, f);
	}
	return -EINVAL;
}

/* The sidecar rdiag run wrote (NAME.sha256), when it names this file. */
static char *sidecar_sha256(const char *bundle)
{
	char *path = bundle_sidecar_path(bundle), line[256], *ret = NULL;
	char hex[65];
	FILE *f = fopen(path, "r");

	free(path);
	if (!f)
		return NULL;
	if (fgets(line, sizeof(line), f) && strlen(line) > 66 &&
	    bundle_sidecar_hex(line, hex))
		ret = xstrdup(hex);
	fclose(f);
	return ret;
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
static void catch_stop(struct sigaction old[2])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	upload_stop = 0;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

static void release_stop(const struct sigaction old[2])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}

unsigned upload_retry_delay_ms(const struct upload_opts *o, unsigned n,
			       const struct upload_fail *f, double jitter)
{
	uint64_t ra = (uint64_t)f->retry_after_s * 1000;

	if (!f->retry_after_s)
		return upload_backoff_ms(n, o->retry_base_ms, o->retry_max_ms,
					 jitter);
	return ra > o->retry_max_ms ? o->retry_max_ms : (unsigned)ra;
}

static double jitter(void)
{
	unsigned char b[2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, 2) != 2) {
		if (fd >= 0)
			close(fd);
		return 0.5;
	}
	close(fd);
	return (double)(b[0] << 8 | b[1]) / 65536.0;
}

static int check_opts(const struct upload_ctx *c, char **ret_err)
{
	const struct upload_opts *o = c->o;

	if (c->u->scheme == UPLOAD_SFTP && !o->ssh_host_sha256) {
		*ret_err = xasprintf(
			"refusing to upload to '%s' without a pinned host "
			"key: set [upload] ssh_host_key_sha256 to the "
			"SHA256:... fingerprint that 'ssh-keyscan -p %u -t "
			"ed25519 %s 2>/dev/null | ssh-keygen -lf -' prints "
			"(check it with the server's admin)",
			c->shown, c->u->port ? c->u->port : 22, c->u->host);
		return -EINVAL;
	}
	if (c->u->scheme == UPLOAD_SFTP && !o->ssh_key) {
		*ret_err = xasprintf("upload to '%s' needs [upload] ssh_key "
				     "(an ed25519 private key file)",
				     c->shown);
		return -EINVAL;
	}
	if (c->u->scheme == UPLOAD_S3 && (!o->aws_key_id || !o->aws_secret)) {
		*ret_err = xasprintf("upload to '%s' needs credentials: "
				     "AWS_ACCESS_KEY_ID and "
				     "AWS_SECRET_ACCESS_KEY, or [upload] "
				     "aws_access_key_id and "
				     "aws_secret_access_key",
				     c->shown);
		return -EINVAL;
	}
	if (o->form_field && c->u->scheme != UPLOAD_HTTPS) {
		*ret_err = xasprintf("--form works only with https:// "
				     "targets");
		return -EINVAL;
	}
	if (o->s3_endpoint && strncmp(o->s3_endpoint, "https://", 8) != 0) {
		*ret_err = xasprintf("[upload] s3_endpoint must be an "
				     "https:// URL");
		return -EINVAL;
	}
	if (o->part_size < 5u << 20 && o->s3_endpoint == NULL &&
	    c->u->scheme == UPLOAD_S3) {
		*ret_err = xasprintf("[upload] part_size must be at least 5M "
				     "for AWS S3");
		return -EINVAL;
	}
	return 0;
}

int upload_bundle(const char *bundle, const char *url,
		  const struct upload_opts *o,
		  struct upload_receipt *ret_receipt, char **ret_err)
{
	struct upload_url u;
	struct upload_ctx c;
	struct upload_fail f;
	struct upload_receipt rc;
	struct stat sb;
	struct sigaction old_sa[2];
	bool caught = false;
	char *receipt_path = NULL, *copy = NULL, *side_hex = NULL;
	char hex[65];
	int r;

	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	memset(&rc, 0, sizeof(rc));
	c.fd = -1;
	if ((r = upload_url_parse(url, &u, ret_err)) < 0)
		return r;
	c.o = o;
	c.u = &u;
	c.url = url;
	c.shown = upload_url_scrub(url);
	c.bundle = bundle;
	copy = xstrdup(bundle);
	c.base = xstrdup(basename(copy));
	if ((r = check_opts(&c, ret_err)) < 0)
		goto out;
	c.fd = open(bundle, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c.fd < 0 || fstat(c.fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		r = c.fd < 0 ? -errno : -EISDIR;
		*ret_err =
			xasprintf("'%s' is not a regular file we can read%s%s",
				  bundle, r == -EISDIR ? "" : ": ",
				  r == -EISDIR ? "" : strerror(-r));
		goto out;
	}
	c.size = (uint64_t)sb.st_size;
	c.mtime = (int64_t)sb.st_mtime;
	receipt_path = xasprintf("%s.receipt.json", bundle);
	if (!o->force && upload_receipt_read(receipt_path, &rc) == 0 &&
	    strcmp(rc.status, "uploaded") == 0 && rc.size == c.size) {
		*ret_receipt = rc;
		memset(&rc, 0, sizeof(rc));
		*ret_err = xasprintf(
			"'%s' already arrived at '%s' on %s "
			"(receipt '%s'); use --force to send "
			"it again",
			bundle, ret_receipt->target ? ret_receipt->target : "?",
			ret_receipt->time, receipt_path);
		r = -EALREADY;
		goto out;
	}
	upload_receipt_release(&rc);
	/*
	 * The receipt and the server must get what the sidecar promises: a
	 * bundle changed since it was written is refused, not sent with a
	 * stale hash.
	 */
	if ((side_hex = sidecar_sha256(bundle))) {
		if ((r = fs_sha256_fd(c.fd, hex)) < 0) {
			*ret_err = xasprintf("cannot read '%s': %s", bundle,
					     strerror(-r));
			goto out;
		}
		if (strcmp(hex, side_hex) != 0) {
			*ret_err = xasprintf(
				"'%s' no longer matches its sidecar "
				"'%s.sha256' "
				"(sha256 %s, sidecar says %s); refusing to "
				"upload a changed bundle",
				bundle, bundle, hex, side_hex);
			r = -EBADMSG;
			goto out;
		}
	}
	log_msg("upload of '%s' (%llu bytes) to '%s' starts", bundle,
		(unsigned long long)c.size, c.shown);
	c.started_ms = now_ms();
	catch_stop(old_sa);
	caught = true;
	for (unsigned n = 0, tries = 0;; n++, tries++) {
		unsigned delay;

		c.attempts = n + 1;
		c.progressed = false;
		upload_fail_release(&f);
		r = attempt(&c, &f);
		if (r == 0)
			break;
		upload_progress_end(&c);
		if (upload_stop) {
			log_msg("upload to '%s' interrupted by a signal",
				c.shown);
			r = -EINTR;
			break;
		}
		log_msg("upload attempt %u to '%s' failed: %s", n + 1, c.shown,
			f.reason ? f.reason : "unknown error");
		if (c.progressed)
			tries = 0;
		if (!f.retryable || tries >= o->retries)
			break;
		delay = upload_retry_delay_ms(o, tries + 1, &f, jitter());
		if (!o->quiet)
			fprintf(stderr,
				"rdiag: upload attempt %u failed: %s; retrying "
				"in %.1f s\n",
				n + 1, f.reason ? f.reason : "error",
				delay / 1000.0);
		upload_sleep_ms(delay);
		if (upload_stop) {
			log_msg("upload to '%s' interrupted by a signal",
				c.shown);
			r = -EINTR;
			break;
		}
	}
	if (o->progress && r == 0)
		draw_progress(&c, c.size, true);
	upload_progress_end(&c);
	if (r == -EINTR) {
		*ret_err = xasprintf("upload of '%s' to '%s' interrupted after "
				     "%u attempt%s",
				     bundle, c.shown, c.attempts,
				     c.attempts == 1 ? "" : "s");
		goto out;
	}
	if (r < 0) {
		if (u.scheme == UPLOAD_S3 && !f.retryable)
			upload_s3_abandon(&c);
		*ret_err = xasprintf("cannot upload '%s' to '%s' after %u "
				     "attempt%s: %s",
				     bundle, c.shown, c.attempts,
				     c.attempts == 1 ? "" : "s",
				     f.reason ? f.reason : "unknown error");
		r = r == -EINVAL ? -EREMOTEIO : r;
		goto out;
	}
	rc.status = xstrdup("uploaded");
	rc.target = xstrdup(c.shown);
	rc.scheme = xstrdup(scheme_name(u.scheme));
	rc.bundle = xstrdup(c.base);
	rc.size = c.size;
	rc.etag = c.etag;
	c.etag = NULL;
	rc.server_hash = c.server_hash;
	c.server_hash = NULL;
	rc.sha256 = side_hex;
	side_hex = NULL;
	rc.attempts = c.attempts;
	utc_iso8601(time(NULL), rc.time, sizeof(rc.time));
	if ((r = upload_receipt_write(receipt_path, &rc)) < 0)
		log_msg("cannot write receipt '%s': %s, ignoring", receipt_path,
			strerror(-r));
	log_msg("upload of '%s' to '%s' confirmed", bundle, c.shown);
	*ret_receipt = rc;
	memset(&rc, 0, sizeof(rc));
	r = 0;
out:
	if (caught)
		release_stop(old_sa);
	free(side_hex);
	if (c.fd >= 0)
		close(c.fd);
	upload_receipt_release(&rc);
	upload_fail_release(&f);
	upload_url_release(&u);
	free(c.shown);
	free(c.etag);
	free(c.server_hash);
	free((char *)c.base);
	free(copy);
	free(receipt_path);
	return r;
}
