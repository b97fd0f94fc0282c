/*
 * Jira Cloud and Data Center (REST API 2; 3 for an ADF note): the limit
 * comes from GET /rest/api/2/attachment/meta, the bundle goes to POST
 * /rest/api/2/issue/KEY/attachments as multipart field "file" with the
 * "X-Atlassian-Token: no-check" header Jira demands against XSRF, and the
 * note is POST .../comment, in wiki markup (API 2) or ADF (API 3). Cloud
 * takes an e-mail address and API token (basic), Data Center a personal
 * access token (Bearer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/ticket_int.h"

static char *not_found(const struct ticket_ctx *c)
{
	return xasprintf("no issue %s in Jira at %s (or the account may not "
			 "browse it)",
			 c->ticket, c->url->shown);
}

static int check(struct ticket_ctx *c)
{
	char *path =
		xasprintf("/rest/api/2/issue/%s?fields=summary", c->ticket);
	char *nf = not_found(c);
	int r;

	r = ticket_probe(c, path, "Jira issue lookup", nf);
	free(path);
	free(nf);
	return r;
}

static int limit(struct ticket_ctx *c, uint64_t *ret_limit)
{
	struct ticket_req rq = { .method = "GET" };
	char *body = NULL;
	bool enabled;
	long st;
	int r;

	rq.path = "/rest/api/2/attachment/meta";
	rq.what = "Jira attachment settings";
	if ((r = ticket_http(c, &rq, &st, &body)) < 0)
		goto out;
	if (ticket_jira_meta_parse(body, &enabled, ret_limit) < 0) {
		ticket_fail(c, "%s: unreadable reply", rq.what);
		r = -EPROTO;
	} else if (!enabled) {
		ticket_fail(c,
			    "%s: attachments are disabled in this Jira (ask "
			    "its admin to enable them)",
			    rq.what);
		r = -EPERM;
	}
out:
	free(body);
	return r;
}

static const char *const xsrf[] = { "X-Atlassian-Token: no-check", NULL };

static int attach(struct ticket_ctx *c, const struct ticket_file *file)
{
	struct ticket_req rq = { .method = "POST", .file = file };
	char *nf = not_found(c);
	json_t *j = NULL;
	uint64_t size;
	int r;

	rq.path = xasprintf("/rest/api/2/issue/%s/attachments", c->ticket);
	rq.what = "Jira attachment";
	rq.form_field = "file";
	rq.headers = xsrf;
	rq.not_found = nf;
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	r = -EPROTO;
	/* The reply lists what was attached, with its size. */
	if (ticket_find_attachment(j, "filename", "size", file->name, &size) <
	    0)
		ticket_fail(c, "%s: Jira's reply does not list '%s'", rq.what,
			    file->name);
	else if (size != file->size)
		ticket_fail(c, "%s: Jira stored %llu bytes, we sent %llu",
			    rq.what, (unsigned long long)size,
			    (unsigned long long)file->size);
	else
		r = 0;
out:
	json_decref(j);
	free((char *)rq.path);
	free(nf);
	return r;
}

static int post(struct ticket_ctx *c, const struct ticket_file *file,
		const char *note)
{
	struct ticket_req rq = { .method = "POST" };
	char *body = NULL, *nf = not_found(c);
	json_t *j;
	long st;
	int r;

	if (file && (r = attach(c, file)) < 0)
		goto out;
	if (c->to->jira_api == 3) {
		json_t *adf = json_loads(note, 0, NULL);

		j = json_pack("{s:o}", "body", adf ? adf : json_object());
	} else {
		j = json_pack("{s:s}", "body", note);
	}
	rq.json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rq.path = xasprintf("/rest/api/%u/issue/%s/comment",
			    c->to->jira_api == 3 ? 3u : 2u, c->ticket);
	rq.what = "Jira comment";
	rq.not_found = nf;
	r = ticket_http(c, &rq, &st, &body);
	free((char *)rq.json);
	free((char *)rq.path);
out:
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

	rq.path =
		xasprintf("/rest/api/2/issue/%s?fields=attachment", c->ticket);
	rq.what = "Jira read-back";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	found = ticket_find_attachment(
			json_object_get(json_object_get(j, "fields"),
					"attachment"),
			"filename", "size", file->name, &size) == 0;
	r = ticket_readback_check(c, rq.what, found, size, file, "", NULL);
out:
	json_decref(j);
	free((char *)rq.path);
	return r;
}

static enum ticket_markup markup(const struct ticket_ctx *c)
{
	return c->to->jira_api == 3 ? TICKET_MARKUP_ADF : TICKET_MARKUP_JIRA;
}

const struct ticket_adapter ticket_jira_adapter = {
	.system = TICKET_JIRA,
	.title = "Jira",
	.token_header = ticket_bearer_header,
	.check = check,
	.limit = limit,
	.post = post,
	.verify = verify,
	.markup = markup,
};
