/*
 * What the upload_*.c files share: the state of one upload, one request's
 * outcome, and the libcurl setup every scheme starts from (verified TLS,
 * pins, proxies, timeouts, stall detection, progress, bounded capture of
 * reply headers and bodies). Implemented in upload_transfer.c; the helper
 * API of the upload backends and the ticket adapters (agent/ticket/),
 * whose requests share this setup. Backends reach upload.c only through
 * this API, and upload.c reaches backends only through upload_backend.h.
 */
#ifndef RDIAG_UPLOAD_INT_H
#define RDIAG_UPLOAD_INT_H

#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "rdiag/buf.h"
#include "upload/upload.h"

/* Reply bodies we read (S3 XML, error pages) are small; keep them bounded. */
#define UPLOAD_BODY_MAX (64u << 10)

struct upload_ctx {
	const struct upload_opts *o;
	const struct upload_url *u;
	const char *url; /* as given; never shown */
	char *shown;     /* scrubbed, for every message */
	const char *bundle;
	const char *base; /* the bundle's file name */
	int fd;
	uint64_t size;
	int64_t mtime;
	/* progress over the whole upload, across requests and retries */
	uint64_t done_before; /* bytes confirmed before the current request */
	uint64_t resumed_at;  /* bytes already there when this run started */
	int64_t started_ms, last_draw_ms;
	bool drew;
	/* what the server confirmed */
	char *etag, *server_hash;
	unsigned attempts;
	bool progressed;     /* an attempt got further: retries restart */
	uint64_t high_water; /* most bytes the server had at an attempt's start
			      */
};

/* upload_tls_ip.c's state for one handle (unused unless it applies) */
struct upload_tls_ip {
	CURL *h;
	char host[64]; /* the URL's IP address, without brackets */
	bool mismatch; /* the callback refused the certificate */
};

/* One request: what came back, bounded. */
struct upload_resp {
	CURLcode cc;
	struct upload_tls_ip tls_ip;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	char *etag, *location, *upload_offset, *server_hash;
	struct buf body;
};

/* Why an attempt failed, and whether another one may help. */
struct upload_fail {
	char *reason; /* for the user, names no secret */
	bool retryable;
	unsigned retry_after_s; /* 0 when the server did not say */
};

/* A window [pos, end) of the bundle, streamed by libcurl's read callback. */
struct upload_reader {
	int fd;
	uint64_t start, pos, end;
};

void upload_resp_init(struct upload_resp *r);
void upload_resp_release(struct upload_resp *r);
void upload_fail_release(struct upload_fail *f);
/* Set f's reason (formatted); keeps the first reason given. */
void upload_fail_set(struct upload_fail *f, bool retryable, const char *fmt,
		     ...) RDIAG_PRINTF(3, 4);

/* A Retry-After beyond this (a week) is not believed: back off instead. */
#define UPLOAD_RETRY_AFTER_MAX_S (86400u * 7)

/*
 * The seconds the server asked to wait in the last reply's Retry-After
 * (CURLINFO_RETRY_AFTER), or 0 when it did not say, the date is past or
 * the value is beyond UPLOAD_RETRY_AFTER_MAX_S.
 */
unsigned upload_retry_after_s(CURL *h);

/*
 * How long to wait before retry number n (1 = the first retry) after f:
 * the server's Retry-After, capped at o->retry_max_ms, or else
 * upload_backoff_ms() with jitter in [0, 1).
 */
unsigned upload_retry_delay_ms(const struct upload_opts *o, unsigned n,
			       const struct upload_fail *f, double jitter);
/* Sleep ms, resuming after a signal. */
void upload_sleep_ms(unsigned ms);
/* Did SIGINT or SIGTERM arrive during the current upload? */
bool upload_interrupted(void);
/*
 * For the length of an upload, SIGINT and SIGTERM set the flag above
 * instead of their old action (saved in old, put back by release).
 */
void upload_stop_catch(struct sigaction old[2]);
void upload_stop_release(const struct sigaction old[2]);

/*
 * A new easy handle for url with everything common set: allowed protocols
 * (https, or sftp/file), CA file and public-key pin, timeouts and stall
 * detection, proxy and no_proxy, progress, reply capture into resp.
 */
CURL *upload_curl_new(struct upload_ctx *c, const char *url,
		      struct upload_resp *resp);

/*
 * With Schannel (rdiag.exe), a CA file and an IP address in url: the
 * certificate's iPAddress names are checked by rdiag before the request is
 * sent, since libcurl's Schannel code matches DNS names only
 * (upload_tls_ip.c). upload_tls_ip_result() turns that refusal into the
 * CURLcode and message libcurl gives on Linux; a no-op otherwise.
 */
void upload_tls_ip_setup(CURL *h, const char *url, const char *ca_file,
			 struct upload_resp *resp);
void upload_tls_ip_result(struct upload_resp *resp);

/* libcurl read and seek callbacks over a struct upload_reader. */
size_t upload_reader_read(char *p, size_t size, size_t n, void *arg);
int upload_reader_seek(void *arg, curl_off_t off, int origin);

/* Stream [start, end) of the bundle as the request body (with seeking). */
void upload_reader_attach(CURL *h, struct upload_reader *rd, int fd,
			  uint64_t start, uint64_t end);

/*
 * Perform h. Returns 0 when the transfer worked and the status is 2xx (or
 * there is no status: sftp, file). Otherwise -EIO and f says why and
 * whether to retry (connection problems, timeouts, 408, 429, 5xx do).
 */
int upload_perform(struct upload_ctx *c, CURL *h, struct upload_resp *resp,
		   const char *what, struct upload_fail *f);

/* "HTTP 401 Unauthorized: ..." with a hint for the common cases. */
char *upload_http_reason(long status, enum upload_scheme scheme);

/* XML replies longer than this are refused unread. */
#define UPLOAD_XML_MAX UPLOAD_BODY_MAX

/*
 * The text of the first element named tag (local name, any namespace;
 * entities and CDATA decoded) in an XML body, or NULL: not there, longer
 * than 4 KiB, or a body that is too large or has a DOCTYPE (upload_xml.c).
 */
char *upload_xml_value(const char *xml, const char *tag);

/*
 * Called for each item with the text of its first child named fields[i] in
 * values[i] (NULL when absent); non-zero stops the walk and is returned.
 * The callback may take a value (set values[i] to NULL).
 */
typedef int (*upload_xml_fn)(char **values, size_t n, void *arg);

/*
 * Walk the XML body xml (len bytes, at most UPLOAD_XML_MAX: -EFBIG) with
 * expat: fn once per element named item, or once for the whole document
 * when item is NULL. 0, fn's non-zero result, or -EBADMSG for malformed
 * XML or any DOCTYPE (refused: no entity is ever expanded).
 */
int upload_xml_each(const char *xml, size_t len, const char *item,
		    const char *const *fields, size_t nfields, upload_xml_fn fn,
		    void *arg);

/* BUNDLE + suffix, e.g. ".s3-resume.json" (caller frees). */
char *upload_side_path(const struct upload_ctx *c, const char *suffix);

/* Draw the progress line (at most every so often unless force). */
void upload_progress_draw(struct upload_ctx *c, uint64_t now_bytes, bool force);
/* Forget the progress line before printing a message. */
void upload_progress_end(struct upload_ctx *c);

#endif
