/*
 * One request to a ticket system, on the upload layer's libcurl setup
 * (verified TLS, [upload] ca_file and pin, proxies, timeouts) and with its
 * retry rules: connection problems, 408, 429 and 5xx are retried after
 * Retry-After or an exponential backoff with jitter; everything else is
 * final and becomes a message that says what to fix (credential, ticket
 * number, size limit), with the server's own words where it gave some.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/log.h"
#include "ticket/ticket_int.h"

void ticket_fail(struct ticket_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(&c->err, 0, fmt, ap);
	va_end(ap);
}

json_t *ticket_json(struct ticket_ctx *c, const char *body, const char *what)
{
	json_t *j = json_loads(body ? body : "", 0, NULL);

	if (!j)
		ticket_fail(c, "%s: %s sent a reply that is not JSON", what,
			    c->ad->title);
	return j;
}

int ticket_http_json(struct ticket_ctx *c, const struct ticket_req *rq,
		     json_t **ret_json)
{
	char *body = NULL;
	json_t *j;
	long st;
	int r;

	if ((r = ticket_http(c, rq, &st, &body)) < 0)
		return r;
	j = ticket_json(c, body, rq->what);
	free(body);
	if (!j)
		return -EPROTO;
	*ret_json = j;
	return 0;
}

int ticket_probe(struct ticket_ctx *c, const char *path, const char *what,
		 const char *not_found)
{
	struct ticket_req rq = { .method = "GET" };
	char *body = NULL;
	long st;
	int r;

	rq.path = path;
	rq.what = what;
	rq.not_found = not_found;
	r = ticket_http(c, &rq, &st, &body);
	free(body);
	return r;
}

int ticket_readback_check(struct ticket_ctx *c, const char *what, bool found,
			  uint64_t size, const struct ticket_file *file,
			  const char *where, const char *hint)
{
	if (!found) {
		ticket_fail(c, "%s: '%s' is not among %s%s's attachments", what,
			    file->name, where, c->ticket);
		return -EPROTO;
	}
	if (size != file->size) {
		ticket_fail(c,
			    "%s: %s holds %llu bytes of '%s', we sent %llu%s",
			    what, c->ad->title, (unsigned long long)size,
			    file->name, (unsigned long long)file->size,
			    hint ? hint : "");
		return -EPROTO;
	}
	return 0;
}

char *ticket_bearer_header(const struct ticket_ctx *c, const char *token)
{
	(void)c;
	return xasprintf("Authorization: Bearer %s", token);
}

static char *limit_text(const struct ticket_ctx *c)
{
	char sz[32];

	if (!c->limit)
		return xstrdup("");
	format_size(c->limit, sz, sizeof(sz));
	return xasprintf(" (the limit is %s)", sz);
}

/* The final word on a non-2xx status, and the errno it maps to. */
static int status_fail(struct ticket_ctx *c, const struct ticket_req *rq,
		       long status, const char *body)
{
	char *said = ticket_error_text(body), *lim = NULL;
	const char *sys = c->ad->title;
	char tail[400] = "";
	int r;

	if (said)
		snprintf(tail, sizeof(tail), " (%s said: %s)", sys, said);
	switch (status) {
	case 401:
		ticket_fail(c,
			    "%s: HTTP 401: %s refused the credentials: check "
			    "RDIAG_TICKET_TOKEN (or RDIAG_TICKET_USER and "
			    "RDIAG_TICKET_PASSWORD, or [ticket] token) and "
			    "that the API is enabled%s",
			    rq->what, sys, tail);
		r = -EACCES;
		break;
	case 403:
		ticket_fail(c,
			    "%s: HTTP 403: the %s account of these "
			    "credentials may not do this on ticket %s (ask "
			    "the %s admin for the permission)%s",
			    rq->what, sys, c->ticket, sys, tail);
		r = -EACCES;
		break;
	case 404:
		ticket_fail(c, "%s: HTTP 404: %s%s", rq->what,
			    rq->not_found ? rq->not_found
					  : "not found (check the URL)",
			    tail);
		r = -ENOENT;
		break;
	case 413:
	case 422:
		if (status == 422 && !rq->file) {
			ticket_fail(c,
				    "%s: HTTP 422: %s refused the "
				    "request%s",
				    rq->what, sys, tail);
			r = -EPROTO;
			break;
		}
		lim = limit_text(c);
		ticket_fail(c,
			    "%s: HTTP %ld: '%s' is too large for %s%s%s; "
			    "set [ticket] store so a large bundle is stored "
			    "and linked",
			    rq->what, status, rq->file->name, sys, lim, tail);
		r = -EFBIG;
		break;
	default:
		if (status >= 400 && status < 500) {
			ticket_fail(c, "%s: HTTP %ld%s", rq->what, status,
				    tail);
			r = -EPROTO;
		} else {
			ticket_fail(c, "%s: HTTP %ld: %s failed%s", rq->what,
				    status, sys, tail);
			r = -EREMOTEIO;
		}
		break;
	}
	free(said);
	free(lim);
	return r;
}

static struct curl_slist *headers(const struct ticket_ctx *c,
				  const struct ticket_req *rq)
{
	struct curl_slist *l = NULL;

	l = curl_slist_append(l, "Accept: application/json");
	/* No 100-continue round trip; every server here reads the body. */
	l = curl_slist_append(l, "Expect:");
	if (rq->form_field)
		; /* libcurl writes multipart/form-data with its boundary */
	else if (rq->json)
		l = curl_slist_append(l, "Content-Type: application/json");
	else if (rq->file && !rq->form_field) {
		char *ct =
			xasprintf("Content-Type: %s", rq->file->content_type);

		l = curl_slist_append(l, ct);
		free(ct);
	}
	if (c->auth_header)
		l = curl_slist_append(l, c->auth_header);
	for (const char *const *h = rq->headers; h && *h; h++)
		l = curl_slist_append(l, *h);
	return l;
}

/* One attempt. 0 on 2xx; -EIO with f filled otherwise. */
static int attempt(struct ticket_ctx *c, const struct ticket_req *rq,
		   struct upload_resp *resp, struct upload_fail *f)
{
	struct curl_slist *hl = headers(c, rq);
	struct upload_reader rd;
	curl_mime *mime = NULL;
	char *url = xasprintf("%s%s", c->url->base, rq->path);
	CURL *h;
	int r;

	upload_resp_init(resp);
	buf_release(&resp->body);
	buf_init(&resp->body, TICKET_BODY_MAX);
	c->uc.done_before = 0;
	h = upload_curl_new(&c->uc, url, resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (c->basic_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->basic_password);
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (rq->form_field) {
		curl_mimepart *part;

		mime = curl_mime_init(h);
		if (rq->form_json_field) {
			part = curl_mime_addpart(mime);
			curl_mime_name(part, rq->form_json_field);
			curl_mime_type(part, "application/json");
			curl_mime_data(part, rq->json, CURL_ZERO_TERMINATED);
		}
		if (rq->file) {
			rd.fd = rq->file->fd;
			rd.start = rd.pos = 0;
			rd.end = rq->file->size;
			part = curl_mime_addpart(mime);
			curl_mime_name(part, rq->form_field);
			curl_mime_filename(part, rq->file->name);
			curl_mime_type(part, rq->file->content_type);
			curl_mime_data_cb(part, (curl_off_t)rq->file->size,
					  upload_reader_read,
					  upload_reader_seek, NULL, &rd);
		}
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	} else if (rq->file) {
		upload_reader_attach(h, &rd, rq->file->fd, 0, rq->file->size);
		if (strcmp(rq->method, "PUT") == 0) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		} else {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)rq->file->size);
		}
	} else if (rq->json) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->json);
	}
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	r = upload_perform(&c->uc, h, resp, rq->what, f);
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	curl_slist_free_all(hl);
	free(url);
	return r;
}

int ticket_http(struct ticket_ctx *c, const struct ticket_req *rq,
		long *ret_status, char **ret_body)
{
	const struct upload_opts *o = c->uo;
	struct upload_resp resp;
	struct upload_fail f;
	int r;

	memset(&f, 0, sizeof(f));
	memset(&resp, 0, sizeof(resp));
	for (unsigned n = 0;; n++) {
		unsigned delay;

		upload_fail_release(&f);
		upload_resp_release(&resp);
		r = attempt(c, rq, &resp, &f);
		if (r == 0)
			break;
		upload_progress_end(&c->uc);
		log_msg("%s at %s failed: %s", rq->what, c->url->shown,
			f.reason ? f.reason : "unknown error");
		if (!f.retryable || n >= o->retries)
			break;
		delay = upload_retry_delay_ms(o, n + 1, &f,
					      (double)(now_ms() % 997) / 997.0);
		if (!o->quiet)
			fprintf(stderr,
				"rdiag: %s failed: %s; retrying in %.1f s\n",
				rq->what, f.reason ? f.reason : "error",
				delay / 1000.0);
		upload_sleep_ms(delay);
	}
	upload_progress_end(&c->uc);
	if (r == 0) {
		*ret_status = resp.status;
		*ret_body = buf_detach(&resp.body, NULL);
	} else if (resp.cc == CURLE_OK && resp.status >= 300) {
		r = status_fail(c, rq, resp.status, resp.body.data);
	} else {
		ticket_fail(c, "%s", f.reason ? f.reason : "unknown error");
		r = -EREMOTEIO;
	}
	upload_fail_release(&f);
	upload_resp_release(&resp);
	return r;
}
