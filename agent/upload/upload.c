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
#include "core/keyfile.h"
#include "core/log.h"
#include "platform/fsutil.h"
#include "upload/upload_backend.h"
#include "upload/upload_int.h"

const struct config_key upload_config_keys[] = {
	{ "to", 0,
	  "default target (URL as for --to): upload and run --upload without "
	  "a URL send there; run offers it on a terminal",
	  NULL },
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
	{ "connect_timeout", 0, "time to connect (a duration)", "15" },
	{ "stall_timeout", 0,
	  "time without progress before a retry (a duration)", "60" },
	{ "retries", 0, "retries after the first attempt (transient failures)",
	  "5" },
	{ "retry_delay_ms", 0, "first retry delay, doubled each time (1000)",
	  NULL },
	{ "retry_max_delay", 0, "longest delay between retries (a duration)",
	  "60" },
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
		      : parse_config_uint(key, s, min, max, &v)) < 0) {
		size_t n = strlen(key);

		if (duration)
			*ret_err =
				xasprintf("[upload] %s must be a duration "
					  "from %llu to %llu seconds "
					  "(" DURATION_EXAMPLES "), not '%s'",
					  key, min, max, s);
		else if (n > 3 && strcmp(key + n - 3, "_ms") == 0)
			*ret_err = xasprintf("[upload] %s must be a duration "
					     "from %llu to %llu ms (1500, "
					     "1500ms, 2s), not '%s'",
					     key, min, max, s);
		else
			*ret_err = xasprintf("[upload] %s must be a whole "
					     "number from %llu to %llu, not "
					     "'%s'",
					     key, min, max, s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int opts_load(struct upload_opts *o, const struct config *c,
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

int upload_opts_load(struct upload_opts *o, const struct config *c,
		     char **ret_err)
{
	int r = opts_load(o, c, ret_err);

	/* Name the file and line (or the flag) the bad value came from. */
	if (r < 0)
		config_blame_message(c, ret_err);
	return r;
}

/* ---- the whole upload ---- */

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
	const char *pub;

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
	if (c->u->scheme == UPLOAD_SFTP &&
	    (pub = keyfile_public_kind(o->ssh_key))) {
		*ret_err = xasprintf("[upload] ssh_key '%s' is a public key "
				     "(%s); give the secret key file",
				     o->ssh_key, pub);
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
	const struct upload_backend *be;
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
	be = upload_backend_find(u.scheme);
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
	upload_stop_catch(old_sa);
	caught = true;
	for (unsigned n = 0, tries = 0;; n++, tries++) {
		unsigned delay;

		c.attempts = n + 1;
		c.progressed = false;
		upload_fail_release(&f);
		r = be->attempt(&c, &f);
		if (r == 0)
			break;
		upload_progress_end(&c);
		if (upload_interrupted()) {
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
		if (upload_interrupted()) {
			log_msg("upload to '%s' interrupted by a signal",
				c.shown);
			r = -EINTR;
			break;
		}
	}
	if (o->progress && r == 0)
		upload_progress_draw(&c, c.size, true);
	upload_progress_end(&c);
	if (r == -EINTR) {
		*ret_err = xasprintf("upload of '%s' to '%s' interrupted after "
				     "%u attempt%s",
				     bundle, c.shown, c.attempts,
				     c.attempts == 1 ? "" : "s");
		goto out;
	}
	if (r < 0) {
		if (be->abandon && !f.retryable)
			be->abandon(&c);
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
	rc.scheme = xstrdup(be->name);
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
		upload_stop_release(old_sa);
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
