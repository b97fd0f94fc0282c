/*
 * Reading what ticket systems answer: Redmine's upload token, Jira's
 * attachment meta, attachment lists, and the server's own error words for
 * our messages. Replies are hostile input: every value is type-checked and
 * what we quote back is bounded and stripped of control characters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/buf.h"
#include "ticket/ticket.h"

int ticket_redmine_token_digest(const char *token, char **ret_digest)
{
	size_t id = strspn(token, "0123456789");
	const char *d;

	if (id == 0 || id > 20)
		return -EINVAL;
	if (token[id] == '\0') {
		*ret_digest = NULL;
		return 0;
	}
	if (token[id] != '.')
		return -EINVAL;
	d = token + id + 1;
	/* SHA-256 since Redmine 4; older servers used MD5 (32 digits). */
	if ((strlen(d) != 64 && strlen(d) != 32) ||
	    strspn(d, "0123456789abcdef") != strlen(d))
		return -EINVAL;
	*ret_digest = strlen(d) == 64 ? xstrdup(d) : NULL;
	return 0;
}

int ticket_jira_meta_parse(const char *body, bool *ret_enabled,
			   uint64_t *ret_limit)
{
	json_t *j = json_loads(body, 0, NULL);
	json_t *en, *lim;
	int r = -EINVAL;

	if (!json_is_object(j))
		goto out;
	en = json_object_get(j, "enabled");
	lim = json_object_get(j, "uploadLimit");
	if (!json_is_boolean(en) || (lim && !json_is_integer(lim)) ||
	    (lim && json_integer_value(lim) < 0))
		goto out;
	*ret_enabled = json_is_true(en);
	*ret_limit = lim ? (uint64_t)json_integer_value(lim) : 0;
	r = 0;
out:
	json_decref(j);
	return r;
}

int ticket_find_attachment(json_t *arr, const char *name_key,
			   const char *size_key, const char *name,
			   uint64_t *ret_size)
{
	size_t i;
	json_t *a;
	int r = -ENOENT;

	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, a)
	{
		const char *fn =
			json_string_value(json_object_get(a, name_key));
		json_t *sz = json_object_get(a, size_key);

		if (!fn || strcmp(fn, name) != 0 || !json_is_integer(sz) ||
		    json_integer_value(sz) < 0)
			continue;
		*ret_size = (uint64_t)json_integer_value(sz);
		r = 0;
	}
	return r;
}

static void add_text(struct buf *b, const char *s)
{
	if (!s || !*s)
		return;
	if (b->len)
		(void)buf_puts(b, "; ");
	(void)buf_puts(b, s);
}

static void add_strings(struct buf *b, json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;

	if (json_is_string(v)) {
		add_text(b, json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) add_strings(b, e);
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e) add_strings(b, e);
	}
}

char *ticket_error_text(const char *body)
{
	static const char *const keys[] = { "errorMessages", "errors",
					    "error",         "description",
					    "message",       "details" };
	json_t *j;
	struct buf b;
	char *s;

	if (!body || !(j = json_loads(body, 0, NULL)))
		return NULL;
	buf_init(&b, 4096);
	if (json_is_object(j)) {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			add_strings(&b, json_object_get(j, keys[i]));
	} else if (json_is_array(j)) {
		add_strings(&b, j); /* RT answers some errors as ["..."] */
	}
	json_decref(j);
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	s = buf_detach(&b, NULL);
	if (strlen(s) > 300)
		strcpy(s + 297, "...");
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return s;
}
