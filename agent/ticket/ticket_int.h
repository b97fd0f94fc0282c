/*
 * What the ticket_*.c files share: the state of one ticket post, a file to
 * attach, one HTTP request to the ticket system (through the upload
 * layer's libcurl setup and retry rules), and the adapter table each
 * system fills. Private to agent/ticket*.c.
 */
#ifndef RDIAG_TICKET_INT_H
#define RDIAG_TICKET_INT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "ticket/ticket.h"
#include "upload/upload_int.h"

/* Replies we parse (attachment lists, issue JSON) stay below this. */
#define TICKET_BODY_MAX (4u << 20)

/* A file to attach: the bundle, or findings.json when it was stored. */
struct ticket_file {
	const char *path;
	const char *name; /* the file name the ticket shows */
	const char *content_type;
	int fd;
	uint64_t size;
	const char *sha256; /* hex, NULL when unknown */
};

struct ticket_ctx {
	const struct ticket_adapter *ad;
	const struct upload_opts *uo;
	const struct ticket_opts *to;
	const struct ticket_url *url;
	const char *ticket;
	/* the upload layer's view of the server, for upload_curl_new() */
	struct upload_url hu;
	struct upload_ctx uc;
	/* authentication: a header carrying the token, or basic */
	char *auth_header; /* never shown */
	char *basic_user;  /* owned */
	const char *basic_password;
	/* what the post left for verify() */
	char *digest;    /* Redmine: the SHA-256 in the upload token */
	char *attach_id; /* the system's id for the attachment, if known */
	uint64_t limit;  /* the attachment limit in force, 0: none known */
	/* the first failure, for the user; names no secret */
	char *err;
};

/* One request below the system's base URL. */
struct ticket_req {
	const char *method;             /* GET, POST or PUT */
	const char *path;               /* below url->base, starts with '/' */
	const char *what;               /* names the step in messages */
	const char *json;               /* a JSON body, or NULL */
	const struct ticket_file *file; /* raw body, or the form's file */
	const char *form_field;         /* multipart: file in this field */
	const char *form_json_field;    /* and a JSON part (RT's "JSON") */
	const char *const *headers;     /* extra, NULL-terminated */
	const char *not_found;          /* what a 404 means here */
};

/*
 * Perform rq with retries (connection problems, 408, 429 and 5xx, after
 * Retry-After or backoff as the upload layer does). On 2xx returns 0 with
 * the status in *ret_status and the body (NUL-terminated, at most
 * TICKET_BODY_MAX) in *ret_body (caller frees). Otherwise sets c->err and
 * returns -EACCES (401, 403), -ENOENT (404), -EFBIG (413, or 422 for a
 * request carrying a file), -EPROTO (other 4xx) or -EREMOTEIO.
 */
int ticket_http(struct ticket_ctx *c, const struct ticket_req *rq,
		long *ret_status, char **ret_body);

/* Set c->err (formatted) unless a reason is there already. */
void ticket_fail(struct ticket_ctx *c, const char *fmt, ...) RDIAG_PRINTF(2, 3);

/* Parse a JSON reply or fail with "what: unreadable reply". */
json_t *ticket_json(struct ticket_ctx *c, const char *body, const char *what);

/*
 * ticket_http() and the reply parsed as JSON: 0 and *ret_json (caller
 * decrefs), its errors, or -EPROTO with c->err when the reply is not JSON.
 */
int ticket_http_json(struct ticket_ctx *c, const struct ticket_req *rq,
		     json_t **ret_json);

/*
 * GET path (below the base URL) and drop the reply: does the thing exist,
 * and may these credentials see it? Errors as ticket_http().
 */
int ticket_probe(struct ticket_ctx *c, const char *path, const char *what,
		 const char *not_found);

/*
 * The read-back's verdict on file: found with the size sent, 0; otherwise
 * -EPROTO and c->err saying that it is not among the attachments of
 * WHERE + c->ticket ("issue #", "ticket #" or "" for a Jira key), or that
 * the system holds another size, followed by hint when not NULL.
 */
int ticket_readback_check(struct ticket_ctx *c, const char *what, bool found,
			  uint64_t size, const struct ticket_file *file,
			  const char *where, const char *hint);

/* token_header for the systems that take "Authorization: Bearer". */
char *ticket_bearer_header(const struct ticket_ctx *c, const char *token);

struct ticket_adapter {
	enum ticket_system system;
	const char *title; /* "Redmine" */
	/* The credential header for a token (the user set none, else
	 * basic authentication is used). */
	char *(*token_header)(const struct ticket_ctx *c, const char *token);
	/* Does the ticket exist and do the credentials work? */
	int (*check)(struct ticket_ctx *c);
	/* Ask the system for its attachment limit (0 when it does not
	 * say); NULL when it cannot tell. */
	int (*limit)(struct ticket_ctx *c, uint64_t *ret_limit);
	/* Attach file (may be NULL: a note only) and post the note. */
	int (*post)(struct ticket_ctx *c, const struct ticket_file *file,
		    const char *note);
	/* Read the ticket's attachments back: is file there, whole? */
	int (*verify)(struct ticket_ctx *c, const struct ticket_file *file);
	enum ticket_markup (*markup)(const struct ticket_ctx *c);
};

extern const struct ticket_adapter ticket_redmine_adapter;
extern const struct ticket_adapter ticket_rt_adapter;
extern const struct ticket_adapter ticket_jira_adapter;
extern const struct ticket_adapter ticket_zendesk_adapter;

#endif
