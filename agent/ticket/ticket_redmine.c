/*
 * Redmine (REST API, JSON): the bundle goes to POST /uploads.json, whose
 * token carries the SHA-256 Redmine computed ("ID.DIGEST" since Redmine 4),
 * then PUT /issues/ID.json adds the note (Textile) with uploads[] naming
 * that token. Redmine does not publish its attachment limit, so the
 * configured one (default its own 5 MB default) decides; a 422 from
 * uploads.json is its "too large". The key goes in X-Redmine-API-Key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/ticket_int.h"

static char *token_header(const struct ticket_ctx *c, const char *token)
{
	(void)c;
	return xasprintf("X-Redmine-API-Key: %s", token);
}

static int check(struct ticket_ctx *c)
{
	char *path = NULL, *nf = NULL;
	int r;

	/* An unknown key is anonymous for public projects; ask who we are. */
	if ((r = ticket_probe(c, "/users/current.json", "Redmine login",
			      "no Redmine REST API at this URL (check the "
			      "path)")) < 0)
		goto out;
	path = xasprintf("/issues/%s.json", c->ticket);
	nf = xasprintf("no issue #%s in Redmine at %s (or the key's user "
		       "may not see it)",
		       c->ticket, c->url->shown);
	r = ticket_probe(c, path, "Redmine issue lookup", nf);
out:
	free(path);
	free(nf);
	return r;
}

/* POST /uploads.json: the token, and Redmine's digest checked. */
static int upload(struct ticket_ctx *c, const struct ticket_file *file,
		  char **ret_token)
{
	struct ticket_req rq = { .method = "POST" };
	struct ticket_file raw = *file;
	char *name = upload_uri_encode(file->name, false);
	json_t *j = NULL;
	const char *tok;
	int r;

	/* uploads.json takes nothing else (406 otherwise). */
	raw.content_type = "application/octet-stream";
	rq.file = &raw;
	rq.path = xasprintf("/uploads.json?filename=%s", name);
	rq.what = "upload to Redmine";
	rq.not_found = "no Redmine REST API at this URL (check the path)";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	r = -EPROTO;
	tok = json_string_value(
		json_object_get(json_object_get(j, "upload"), "token"));
	if (!tok || ticket_redmine_token_digest(tok, &c->digest) < 0) {
		ticket_fail(c, "%s: no upload token in Redmine's reply",
			    rq.what);
		goto out;
	}
	if (c->digest && file->sha256 && strcmp(c->digest, file->sha256)) {
		ticket_fail(c,
			    "%s: Redmine received different bytes (SHA-256 "
			    "%s, ours %s)",
			    rq.what, c->digest, file->sha256);
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
	char *token = NULL, *body = NULL, *nf = NULL;
	json_t *issue;
	long st;
	int r;

	if (file && (r = upload(c, file, &token)) < 0)
		return r;
	issue = json_pack("{s:s, s:b}", "notes", note, "private_notes",
			  !c->to->public_note);
	if (token)
		json_object_set_new(issue, "uploads",
				    json_pack("[{s:s, s:s, s:s, s:s}]", "token",
					      token, "filename", file->name,
					      "content_type",
					      file->content_type, "description",
					      "rdiag bundle"));
	issue = json_pack("{s:o}", "issue", issue);
	rq.json = json_dumps(issue, JSON_COMPACT);
	json_decref(issue);
	rq.path = xasprintf("/issues/%s.json", c->ticket);
	rq.what = "Redmine issue update";
	nf = xasprintf("no issue #%s in Redmine", c->ticket);
	rq.not_found = nf;
	r = ticket_http(c, &rq, &st, &body);
	free((char *)rq.json);
	free((char *)rq.path);
	free(token);
	free(body);
	free(nf);
	return r;
}

static int verify(struct ticket_ctx *c, const struct ticket_file *file)
{
	struct ticket_req rq = { .method = "GET" };
	json_t *j = NULL;
	uint64_t size = 0;
	bool found;
	int r;

	rq.path = xasprintf("/issues/%s.json?include=attachments", c->ticket);
	rq.what = "Redmine read-back";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	found = ticket_find_attachment(
			json_object_get(json_object_get(j, "issue"),
					"attachments"),
			"filename", "filesize", file->name, &size) == 0;
	r = ticket_readback_check(c, rq.what, found, size, file, "issue #",
				  NULL);
out:
	json_decref(j);
	free((char *)rq.path);
	return r;
}

static enum ticket_markup markup(const struct ticket_ctx *c)
{
	(void)c;
	return TICKET_MARKUP_TEXTILE;
}

const struct ticket_adapter ticket_redmine_adapter = {
	.system = TICKET_REDMINE,
	.title = "Redmine",
	.token_header = token_header,
	.check = check,
	.post = post,
	.verify = verify,
	.markup = markup,
};
