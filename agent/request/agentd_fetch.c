/*
 * Reading the agent's request location through the upload layer's libcurl
 * setup (verified TLS, private CA, pins, proxies, timeouts) and its SigV4
 * signing: an S3 prefix is listed (ListObjectsV2) and each object fetched;
 * an https URL is one GET whose lines are tokens. Everything read is
 * bounded: the list and each object by the upload layer's body cap, and
 * objects the listing says are larger than a token are never downloaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "request/agentd.h"
#include "review/review.h"
#include "upload/upload_int.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void agentd_items_free(struct agentd_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].name);
		free(items[i].body);
	}
	free(items);
}

static void add_item(struct agentd_item **items, size_t *n, const char *name,
		     const char *body, size_t len, bool oversized)
{
	struct agentd_item *it;

	*items = xreallocarray(*items, *n + 1, sizeof(**items));
	it = &(*items)[(*n)++];
	it->name = sanitize_text(name, false);
	it->body = body ? xstrndup(body, len) : NULL;
	it->len = body ? len : 0;
	it->oversized = oversized;
}

/* https://endpoint/bucket or https://bucket.endpoint, no trailing '/'. */
static char *bucket_url(const struct upload_opts *o, const char *bucket)
{
	char *endpoint, *url;

	endpoint = o->s3_endpoint ? xstrdup(o->s3_endpoint)
				  : xasprintf("https://s3.%s.amazonaws.com",
					      o->s3_region);
	while (*endpoint && endpoint[strlen(endpoint) - 1] == '/')
		endpoint[strlen(endpoint) - 1] = '\0';
	if (o->s3_path_style)
		url = xasprintf("%s/%s", endpoint, bucket);
	else
		url = xasprintf("https://%s.%s", bucket, endpoint + 8);
	free(endpoint);
	return url;
}

/* One signed GET into resp; 0 or -EIO with *ret_err. */
static int s3_get(struct upload_ctx *c, const char *url,
		  struct upload_resp *resp, const char *what, char **ret_err)
{
	const struct upload_opts *o = c->o;
	struct curl_slist *hdr = NULL;
	struct upload_fail f;
	char *sig = xasprintf("aws:amz:%s:s3", o->s3_region), *line;
	CURL *h = upload_curl_new(c, url, resp);
	int r;

	memset(&f, 0, sizeof(f));
	hdr = curl_slist_append(hdr, "x-amz-content-sha256: " EMPTY_SHA256);
	if (o->aws_token) {
		line = xasprintf("x-amz-security-token: %s", o->aws_token);
		hdr = curl_slist_append(hdr, line);
		free(line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(h, CURLOPT_USERNAME, o->aws_key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, o->aws_secret);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	r = upload_perform(c, h, resp, what, &f);
	if (r < 0)
		*ret_err = xasprintf("%s", f.reason ? f.reason : what);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	upload_fail_release(&f);
	free(sig);
	return r;
}

/* What one <Contents> of an S3 listing needs to fetch its object. */
struct s3_listing {
	struct upload_ctx *c;
	struct agentd_item **items;
	size_t *n;
	const char *burl;
};

/* One listed object (values: Key, Size, decoded by expat): fetch it. */
static int s3_listed(char **values, size_t nvalues, void *arg)
{
	struct s3_listing *l = arg;
	const char *key = values[0], *size = values[1];
	unsigned long long sz = 0;
	struct upload_resp oresp;
	char *err = NULL, *ourl, *enc;

	(void)nvalues;
	if (!key || !*key || key[strlen(key) - 1] == '/')
		return 0;
	if (!size || parse_uint(size, 0, 1ull << 50, &sz) < 0 ||
	    sz > REQUEST_TOKEN_MAX + 64) {
		add_item(l->items, l->n, key, NULL, 0, true);
		return 0;
	}
	enc = upload_uri_encode(key, true);
	ourl = xasprintf("%s/%s", l->burl, enc);
	upload_resp_init(&oresp);
	if (s3_get(l->c, ourl, &oresp, "S3 get", &err) == 0)
		add_item(l->items, l->n, key, oresp.body.data, oresp.body.len,
			 oresp.body.len > REQUEST_TOKEN_MAX + 64);
	else
		/* Gone since the listing, or unreadable: next poll. */
		fprintf(stderr, "rdiag agent: %s, ignoring\n", err);
	upload_resp_release(&oresp);
	free(err);
	free(enc);
	free(ourl);
	return 0;
}

static int fetch_s3(struct upload_ctx *c, struct agentd_item **items, size_t *n,
		    char **ret_err)
{
	static const char *const names[] = { "list-type", "max-keys",
					     "prefix" };
	const char *values[3];
	struct upload_resp resp;
	char max[16], *burl = bucket_url(c->o, c->u->bucket), *q, *url;
	int r;

	snprintf(max, sizeof(max), "%d", AGENTD_ITEMS_MAX);
	values[0] = "2";
	values[1] = max;
	values[2] = c->u->key;
	q = upload_s3_query(names, values, 3);
	url = c->o->s3_path_style ? xasprintf("%s?%s", burl, q)
				  : xasprintf("%s/?%s", burl, q);
	free(q);
	upload_resp_init(&resp);
	r = s3_get(c, url, &resp, "S3 list", ret_err);
	free(url);
	if (r == 0) {
		static const char *const fields[] = { "Key", "Size" };
		struct s3_listing l = { c, items, n, burl };

		if (upload_xml_each(resp.body.data, resp.body.len, "Contents",
				    fields, 2, s3_listed, &l) == -EFBIG)
			fprintf(stderr, "rdiag agent: S3 list: reply too "
					"large, ignoring\n");
	}
	upload_resp_release(&resp);
	free(burl);
	return r;
}

static int fetch_https(struct upload_ctx *c, struct agentd_item **items,
		       size_t *n, char **ret_err)
{
	struct upload_resp resp;
	struct upload_fail f;
	CURL *h;
	int r;

	memset(&f, 0, sizeof(f));
	upload_resp_init(&resp);
	h = upload_curl_new(c, c->url, &resp);
	if (c->o->user && c->o->password) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->o->password);
	}
	r = upload_perform(c, h, &resp, "request location", &f);
	if (r < 0 && resp.status == 404) {
		r = 0; /* nothing published for us yet */
		buf_reset(&resp.body);
	} else if (r < 0) {
		*ret_err = xasprintf("%s", f.reason ? f.reason : "GET failed");
	}
	if (r == 0) {
		char *copy = xstrdup(resp.body.data), *line = copy, *nl;
		unsigned no = 0;

		/* Split on '\n' only, so blank lines keep the numbering that
		 * the audit log quotes ("line N") true to the file. */
		for (; line && *n < AGENTD_ITEMS_MAX;
		     line = nl ? nl + 1 : NULL) {
			char name[32];
			size_t len;

			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			len = strlen(line);
			if (len && line[len - 1] == '\r')
				line[--len] = '\0';
			no++;
			if (!*line || *line == '#')
				continue;
			snprintf(name, sizeof(name), "line %u", no);
			add_item(items, n, name, line, len,
				 len > REQUEST_TOKEN_MAX);
		}
		free(copy);
	}
	curl_easy_cleanup(h);
	upload_resp_release(&resp);
	upload_fail_release(&f);
	return r;
}

int agentd_fetch(const char *location, const struct upload_opts *uo,
		 struct agentd_item **ret_items, size_t *ret_n, char **ret_err)
{
	struct agentd_item *items = NULL;
	struct upload_url u;
	struct upload_ctx c;
	size_t n = 0;
	char *err = NULL;
	int r;

	if ((r = upload_url_parse(location, &u, ret_err)) < 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.o = uo;
	c.u = &u;
	c.url = location;
	c.shown = upload_url_scrub(location);
	c.fd = -1;
	if (u.scheme == UPLOAD_S3 && (!uo->aws_key_id || !uo->aws_secret)) {
		err = xstrdup("an S3 request location needs credentials "
			      "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
			      "[upload] aws_access_key_id and "
			      "aws_secret_access_key)");
		r = -EINVAL;
	} else if (u.scheme == UPLOAD_S3) {
		r = fetch_s3(&c, &items, &n, &err);
	} else if (u.scheme == UPLOAD_HTTPS) {
		r = fetch_https(&c, &items, &n, &err);
	} else {
		err = xstrdup("the request location must be s3:// or "
			      "https://");
		r = -EINVAL;
	}
	if (r < 0) {
		*ret_err = xasprintf("cannot read the request location '%s': "
				     "%s",
				     c.shown, err ? err : "error");
		agentd_items_free(items, n);
	} else {
		*ret_items = items;
		*ret_n = n;
	}
	free(err);
	free(c.shown);
	upload_url_release(&u);
	return r;
}
