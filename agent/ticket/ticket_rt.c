/*
 * Request Tracker 5 (REST2): one multipart POST to
 * /REST/2.0/ticket/ID/comment (or /correspond for a note the requestor
 * sees) carries the note in its "JSON" part and the bundle in an
 * "Attachments" part. RT keeps each attachment's Content-Length header,
 * which the read-back compares. The token goes in "Authorization: token".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ticket/ticket_int.h"

static char *token_header(const struct ticket_ctx *c, const char *token)
{
	(void)c;
	return xasprintf("Authorization: token %s", token);
}

static int check(struct ticket_ctx *c)
{
	char *path = xasprintf("/REST/2.0/ticket/%s", c->ticket);
	char *nf = xasprintf("no ticket #%s in RT at %s (or the user may not "
			     "see it)",
			     c->ticket, c->url->shown);
	int r;

	r = ticket_probe(c, path, "RT ticket lookup", nf);
	free(path);
	free(nf);
	return r;
}

static int post(struct ticket_ctx *c, const struct ticket_file *file,
		const char *note)
{
	struct ticket_req rq = { .method = "POST", .file = file };
	json_t *j = json_pack("{s:s, s:s, s:s}", "Subject", "rdiag verdict",
			      "Content", note, "ContentType",
			      c->to->rt_plain ? "text/plain" : "text/html");
	char *body = NULL, *nf = xasprintf("no ticket #%s in RT", c->ticket);
	long st;
	int r;

	rq.path = xasprintf("/REST/2.0/ticket/%s/%s", c->ticket,
			    c->to->public_note ? "correspond" : "comment");
	rq.what = "RT comment with attachment";
	rq.json = json_dumps(j, JSON_COMPACT);
	rq.form_json_field = "JSON";
	rq.form_field = "Attachments";
	rq.not_found = nf;
	if (!file) {
		/* A note alone is plain JSON. */
		rq.form_json_field = NULL;
		rq.form_field = NULL;
		rq.what = "RT comment";
	}
	r = ticket_http(c, &rq, &st, &body);
	json_decref(j);
	free((char *)rq.json);
	free((char *)rq.path);
	free(body);
	free(nf);
	return r;
}

/* "Content-Length: N" in an attachment's stored headers. */
static int header_length(const char *headers, uint64_t *ret)
{
	const char *p = headers;
	unsigned long long v;
	char num[24];
	size_t n;

	while (p && *p) {
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			p += 15;
			p += strspn(p, " \t");
			n = strspn(p, "0123456789");
			if (n == 0 || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, p, n);
			num[n] = '\0';
			if (parse_uint(num, 0, UINT64_MAX, &v) < 0)
				return -EINVAL;
			*ret = v;
			return 0;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -ENOENT;
}

static int verify(struct ticket_ctx *c, const struct ticket_file *file)
{
	struct ticket_req rq = { .method = "GET" };
	json_t *j = NULL, *items, *a;
	bool found = false;
	uint64_t size = 0;
	size_t i;
	int r;

	/* Newest first, so the first match is what we just posted. */
	rq.path = xasprintf("/REST/2.0/ticket/%s/attachments?fields=Filename,"
			    "Headers&orderby=id&order=DESC&per_page=100",
			    c->ticket);
	rq.what = "RT read-back";
	if ((r = ticket_http_json(c, &rq, &j)) < 0)
		goto out;
	items = json_object_get(j, "items");
	json_array_foreach(items, i, a)
	{
		const char *fn =
			json_string_value(json_object_get(a, "Filename"));
		const char *h =
			json_string_value(json_object_get(a, "Headers"));

		if (!fn || strcmp(fn, file->name) != 0)
			continue;
		found = true;
		if (!h || header_length(h, &size) < 0) {
			ticket_fail(c, "%s: RT gave no size for '%s'", rq.what,
				    file->name);
			r = -EPROTO;
			goto out;
		}
		break;
	}
	r = ticket_readback_check(c, rq.what, found, size, file, "ticket #",
				  " (RT's MaxAttachmentSize may have truncated "
				  "or dropped it)");
out:
	json_decref(j);
	free((char *)rq.path);
	return r;
}

static enum ticket_markup markup(const struct ticket_ctx *c)
{
	return c->to->rt_plain ? TICKET_MARKUP_PLAIN : TICKET_MARKUP_HTML;
}

const struct ticket_adapter ticket_rt_adapter = {
	.system = TICKET_RT,
	.title = "RT",
	.token_header = token_header,
	.check = check,
	.post = post,
	.verify = verify,
	.markup = markup,
};
