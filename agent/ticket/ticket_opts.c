/*
 * [ticket] settings: credentials (from the environment first, else a
 * config file only its owner can read), the store for large bundles, the
 * attachment limit and the note's visibility and format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/ticket.h"

const struct config_key ticket_config_keys[] = {
	{ "token", 0,
	  "API key or token (file must be 0600; or RDIAG_TICKET_TOKEN)", NULL },
	{ "user", 0,
	  "user name or e-mail address (Jira Cloud, Zendesk; or "
	  "RDIAG_TICKET_USER)",
	  NULL },
	{ "password", 0,
	  "password for user (file must be 0600; or RDIAG_TICKET_PASSWORD)",
	  NULL },
	{ "store", 0,
	  "where a bundle too large to attach goes: s3://, sftp://, https:// "
	  "or file:// (see [upload])",
	  NULL },
	{ "max_attachment", 0,
	  "attachment limit, e.g. 5M (default: what the system says or "
	  "documents)",
	  NULL },
	{ "public", 0, "yes: the note is visible to the customer", "no" },
	{ "jira_api", 0, "2: wiki markup (default), 3: ADF (Jira Cloud)",
	  NULL },
	{ "rt_format", 0, "html (default) or text", NULL },
	{ NULL, 0, NULL, NULL },
};

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int yes_no(const char *key, const char *s, bool *ret, char **ret_err)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		*ret = true;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		*ret = false;
	else {
		*ret_err = xasprintf("[ticket] %s must be yes or no, not '%s'",
				     key, s);
		return -EINVAL;
	}
	return 0;
}

static int size_value(const char *s, uint64_t *ret, char **ret_err)
{
	uint64_t v;

	if (config_parse_size(s, &v) < 0 || v > (64ull << 30)) {
		*ret_err = xasprintf("[ticket] max_attachment must be a size "
				     "such as 5M, not '%s'",
				     s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int opts_load(struct ticket_opts *o, const struct config *c,
		     char **ret_err)
{
	const char *s;
	int r;

	memset(o, 0, sizeof(*o));
	o->jira_api = 2;
	if ((r = config_check_secret(c, "ticket", "token", ret_err)) < 0 ||
	    (r = config_check_secret(c, "ticket", "password", ret_err)) < 0)
		return r;
	o->token = env("RDIAG_TICKET_TOKEN");
	if (!o->token)
		o->token = config_get(c, "ticket", "token");
	o->user = env("RDIAG_TICKET_USER");
	if (!o->user)
		o->user = config_get(c, "ticket", "user");
	o->password = env("RDIAG_TICKET_PASSWORD");
	if (!o->password)
		o->password = config_get(c, "ticket", "password");
	o->store = config_get(c, "ticket", "store");
	if (o->store && ticket_url_is(o->store)) {
		*ret_err = xasprintf("[ticket] store must be an upload target "
				     "(s3://, sftp://, https://, file://), "
				     "not a ticket");
		return -EINVAL;
	}
	if ((s = config_get(c, "ticket", "max_attachment")) &&
	    (r = size_value(s, &o->max_attachment, ret_err)) < 0)
		return r;
	if ((s = config_get(c, "ticket", "public")) &&
	    (r = yes_no("public", s, &o->public_note, ret_err)) < 0)
		return r;
	if ((s = config_get(c, "ticket", "jira_api"))) {
		if (strcmp(s, "2") != 0 && strcmp(s, "3") != 0) {
			*ret_err = xasprintf("[ticket] jira_api must be 2 or "
					     "3, not '%s'",
					     s);
			return -EINVAL;
		}
		o->jira_api = (unsigned)(s[0] - '0');
	}
	if ((s = config_get(c, "ticket", "rt_format"))) {
		if (strcmp(s, "html") != 0 && strcmp(s, "text") != 0) {
			*ret_err = xasprintf("[ticket] rt_format must be html "
					     "or text, not '%s'",
					     s);
			return -EINVAL;
		}
		o->rt_plain = strcmp(s, "text") == 0;
	}
	return 0;
}

int ticket_opts_load(struct ticket_opts *o, const struct config *c,
		     char **ret_err)
{
	int r = opts_load(o, c, ret_err);

	/* Name the file and line (or the flag) the bad value came from. */
	if (r < 0)
		config_blame_message(c, ret_err);
	return r;
}
