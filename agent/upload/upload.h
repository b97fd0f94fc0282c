/*
 * Uploading a bundle to the vendor: https PUT (or a multipart POST), S3 with
 * SigV4 multipart, SFTP with a pinned host key, tus 1.0 and file://, all on
 * libcurl. The bundle is streamed from its file (memory does not grow with
 * its size), retried with backoff, resumed where the protocol allows, and
 * never removed before the server confirmed it. Credentials come from the
 * environment or a 0600 config file and never appear in a message, the
 * receipt or a log line: every target shown is scrubbed of its userinfo and
 * query (presigned URLs carry their signature there).
 */
#ifndef RDIAG_UPLOAD_H
#define RDIAG_UPLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/config.h"

/* The [upload] section's keys (for config validation and the man page). */
extern const struct config_key upload_config_keys[];

enum upload_scheme {
	UPLOAD_HTTPS,
	UPLOAD_S3,
	UPLOAD_SFTP,
	UPLOAD_TUS,
	UPLOAD_FILE,
};

/* A parsed --to URL. Strings are owned; absent parts are NULL. */
struct upload_url {
	enum upload_scheme scheme;
	char *user;    /* from userinfo (never a password: that is refused) */
	char *host;    /* IPv6 literals keep their brackets */
	unsigned port; /* 0: the scheme's default */
	char *path;    /* as given (percent-encoded), starts with '/' */
	char *query;   /* https only, without '?' */
	char *bucket;  /* s3 only */
	char *key;     /* s3 only: the object key or prefix, decoded */
};

/*
 * Parse s into *ret (caller releases with upload_url_release()). A password
 * in the userinfo, an unknown scheme, a missing host or bucket give -EINVAL
 * and a message in *ret_err (caller frees) that never repeats the password.
 */
int upload_url_parse(const char *s, struct upload_url *ret, char **ret_err);
void upload_url_release(struct upload_url *u);

/*
 * The URL as it may be shown: userinfo reduced to the user name, query
 * replaced by "?...". Always returns a new string (caller frees).
 */
char *upload_url_scrub(const char *s);

/*
 * Percent-encode s the way SigV4 wants it (RFC 3986 unreserved kept; '/'
 * kept when keep_slash). Returns a new string.
 */
char *upload_uri_encode(const char *s, bool keep_slash);

/*
 * A SigV4 canonical query string from name/value pairs (values raw): sorted
 * by name, each "name=value" encoded, a missing value written as "name=".
 * n pairs in names[i]/values[i] (values[i] may be NULL). New string.
 */
char *upload_s3_query(const char *const *names, const char *const *values,
		      size_t n);

/*
 * The path (and query) of a tus Location header resolved against base, the
 * creation url (relative, absolute-path and absolute forms), or NULL. Only
 * the path is kept: the upload stays on the configured origin.
 */
char *upload_location_path(const char *base, const char *loc);

/*
 * Delay before retry number attempt (1 = first retry): exponential from
 * base_ms, capped at cap_ms, with jitter in [0, 1) spreading it over the
 * upper half ("equal jitter") so retries of many agents do not align.
 */
unsigned upload_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
			   double jitter);

/* The S3 multipart state kept beside the bundle (BUNDLE.s3-resume.json). */
struct upload_s3_state {
	char *target;    /* the scrubbed s3:// URL, to detect a new target */
	char *upload_id; /* NULL before the upload was initiated */
	uint64_t size;
	int64_t mtime;
	uint64_t part_size;
	size_t nparts;
	char **etags; /* nparts entries, NULL where the part is not done */
};

void upload_s3_state_init(struct upload_s3_state *st);
void upload_s3_state_release(struct upload_s3_state *st);
/* Write atomically (temp file, fsync, rename), mode 0600. 0 or -errno. */
int upload_s3_state_write(const char *path, const struct upload_s3_state *st);
/* 0, -ENOENT when absent, -EINVAL when malformed (st left initialised). */
int upload_s3_state_read(const char *path, struct upload_s3_state *st);

/* What arrived, for the receipt. Strings owned. */
struct upload_receipt {
	char *status; /* "uploaded" */
	char *target; /* scrubbed */
	char *scheme;
	char *bundle;
	uint64_t size;
	char *etag;        /* NULL when the server gave none */
	char *server_hash; /* e.g. "sha256:..." when the server said one */
	char *sha256;      /* the local file's, NULL when not known */
	char time[32];     /* ISO 8601 UTC */
	unsigned attempts;
};

void upload_receipt_release(struct upload_receipt *r);
json_t *upload_receipt_json(const struct upload_receipt *r);
/* Write BUNDLE.receipt.json atomically (0644: it holds no secret). */
int upload_receipt_write(const char *path, const struct upload_receipt *r);
/* 0, -ENOENT, or -EINVAL; r is filled (release it either way). */
int upload_receipt_read(const char *path, struct upload_receipt *r);

/* Everything an upload needs besides the bundle and the URL. */
struct upload_opts {
	const char *ca_file, *pin_sha256;
	const char *proxy, *no_proxy, *proxy_user, *proxy_password;
	const char *user, *password;
	const char *form_field; /* https: multipart POST with this field */
	const char *s3_endpoint, *s3_region;
	bool s3_path_style;
	const char *aws_key_id, *aws_secret, *aws_token;
	uint64_t part_size, multipart_threshold;
	uint64_t max_rate; /* bytes per second, 0: no limit */
	const char *ssh_key, *ssh_key_passphrase, *ssh_host_sha256;
	unsigned connect_timeout_s, stall_timeout_s;
	unsigned retries, retry_base_ms, retry_max_ms;
	bool progress; /* draw progress on stderr */
	bool quiet;
	bool json;
	bool force;
	bool remove_after;
	/* Ticket targets (redmine+https:// ...; see ticket.h): the ticket
	 * (NULL: the bundle manifest's) and the config for [ticket]. */
	const char *ticket;
	const struct config *config;
};

/*
 * Fill o from the [upload] section of c and the environment (strings are
 * borrowed from c and the environment). A secret key taken from a config
 * file whose mode lets anyone but the owner read it is refused. 0, or
 * -EINVAL with a message in *ret_err naming the key or file.
 */
int upload_opts_load(struct upload_opts *o, const struct config *c,
		     char **ret_err);

/*
 * Upload bundle to url. On success writes BUNDLE.receipt.json, fills
 * *ret_receipt and returns 0. Otherwise returns a negative errno: -EINVAL
 * (the URL or an option is wrong), -ENOENT/-EISDIR/-EACCES (the bundle),
 * -EALREADY (a receipt says it arrived and !o->force; *ret_receipt holds
 * that receipt), anything else a remote failure; *ret_err then names the
 * target and the reason (caller frees).
 */
int upload_bundle(const char *bundle, const char *url,
		  const struct upload_opts *o,
		  struct upload_receipt *ret_receipt, char **ret_err);

/*
 * The whole user-facing step shared by `rdiag upload` and `rdiag run
 * --upload`: upload, print the receipt (or the --json summary) or the
 * error with what to run later, remove the bundle when asked. Returns an
 * exit code: 0, EXIT_USAGE, EXIT_DATAERR or EXIT_UNAVAILABLE.
 */
int upload_cmd_run(const char *bundle, const char *url,
		   const struct upload_opts *o);

/*
 * The same, and when ret_result is not NULL the step's result for a
 * caller's JSON (new reference): {target (scrubbed), status ("uploaded",
 * "already-uploaded", "failed"), receipt (rdiag-upload-receipt/1 or
 * null), error (or null), retry (the command to run later, or null),
 * exit_code}.
 */
int upload_cmd_run_result(const char *bundle, const char *url,
			  const struct upload_opts *o, json_t **ret_result);

#endif
