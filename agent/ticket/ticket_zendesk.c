/*
 * Zendesk Support (API v2), in the two documented steps: POST
 * /api/v2/uploads.json?filename=NAME with the raw bytes gives a token,
 * then PUT /api/v2/tickets/ID.json adds a comment (html_body; internal
 * unless [ticket] public) whose uploads[] names it. Zendesk's limit is
 * 50 MB a file unless configured lower. An agent's e-mail address with an
 * API token authenticates as "EMAIL/token:TOKEN" (basic); a token alone is
 * sent as an OAuth Bearer token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/ticket_int.h"

static char *not_found(const struct ticket_ctx *c)
{
	return xasprintf("no ticket #%s in Zendesk at %s (or the agent may "
			 "not see it)",
			 c->ticket, c->url->shown);
}

static int check(struct ticket_ctx *c)
{
	char *path = xasprintf("/api/v2/tickets/%s.json", c->ticket);
	char *nf = not_found(c);
	int r;

	r = ticket_probe(c, path, "Zendesk ticket lookup", nf);
	free(path);
	free(nf);
	return r;
}

static int upload(struct ticket_ctx *c, const struct ticket_file *file,
		  char **ret_token)
{
	struct ticket_req rq = { .method = "POST", .file = file };
	struct ticket_file raw = *file;
	char *name = upload_uri_encode(file->name, false);
	json_t *j = NULL, *up;
	const char *tok;
	uint64_t size;
	int r;

	raw.content_type = "application/binary"; /* as Zendesk's docs say */
	rq.file = &raw;
	rq.path = xasprintf("/api/v2/uploads.json?filename=%s", name);
	rq.what = "upload to Zendesk";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	r = -EPROTO;
	up = json_object_get(j, "upload");
	tok = json_string_value(json_object_get(up, "token"));
	if (!tok || !*tok) {
		ticket_fail(c, "%s: no upload token in Zendesk's reply",
			    rq.what);
		goto out;
	}
	/* The reply describes the attachment it made, size included. */
	if (ticket_find_attachment(json_object_get(up, "attachments"),
				   "file_name", "size", file->name,
				   &size) == 0 &&
	    size != file->size) {
		ticket_fail(c, "%s: Zendesk stored %llu bytes, we sent %llu",
			    rq.what, (unsigned long long)size,
			    (unsigned long long)file->size);
		goto out;
	}
	*ret_token = xstrdup(tok);
	r = 0;
out:
	json_decref(j);
	free((char *)rq.path);
	free(name);
	return r;
}

static int post(struct ticket_ctx *c, const struct ticket_file *file,
		const char *note)
{
	struct ticket_req rq = { .method = "PUT" };
	char *token = NULL, *body = NULL, *nf = not_found(c);
	json_t *comment, *j;
	long st;
	int r;

	if (file && (r = upload(c, file, &token)) < 0)
		goto out;
	comment = json_pack("{s:s, s:b}", "html_body", note, "public",
			    c->to->public_note);
	if (token)
		json_object_set_new(comment, "uploads",
				    json_pack("[s]", token));
	j = json_pack("{s:{s:o}}", "ticket", "comment", comment);
	rq.json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rq.path = xasprintf("/api/v2/tickets/%s.json", c->ticket);
	rq.what = "Zendesk ticket comment";
	rq.not_found = nf;
	r = ticket_http(c, &rq, &st, &body);
	free((char *)rq.json);
	free((char *)rq.path);
out:
	free(token);
	free(body);
	free(nf);
	return r;
}

static int verify(struct ticket_ctx *c, const struct ticket_file *file)
{
	struct ticket_req rq = { .method = "GET" };
	json_t *j = NULL, *cm;
	uint64_t size = 0;
	bool found = false;
	size_t i;
	int r;

	rq.path = xasprintf("/api/v2/tickets/%s/comments.json?sort_order=desc",
			    c->ticket);
	rq.what = "Zendesk read-back";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	/* Newest comment first: its attachment is the one we posted. */
	json_array_foreach(json_object_get(j, "comments"), i, cm)
	{
		if (ticket_find_attachment(json_object_get(cm, "attachments"),
					   "file_name", "size", file->name,
					   &size) == 0) {
			found = true;
			break;
		}
	}
	r = ticket_readback_check(c, rq.what, found, size, file, "ticket #",
				  NULL);
out:
	json_decref(j);
	free((char *)rq.path);
	return r;
}

static enum ticket_markup markup(const struct ticket_ctx *c)
{
	(void)c;
	return TICKET_MARKUP_HTML;
}

const struct ticket_adapter ticket_zendesk_adapter = {
	.system = TICKET_ZENDESK,
	.title = "Zendesk",
	.token_header = ticket_bearer_header,
	.check = check,
	.post = post,
	.verify = verify,
	.markup = markup,
};
