/*
 * The pure parts of ticket targets: redmine+https:// (rt+, jira+,
 * zendesk+) URLs, ticket ids, each system's documented attachment limit
 * and the decision between attaching and storing. No I/O here, so all of
 * it is unit-tested (tests/unit/test_ticket.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/url.h"
#include "ticket/ticket.h"

static const struct {
	const char *prefix;
	enum ticket_system system;
} schemes[] = {
	{ "redmine+https://", TICKET_REDMINE },
	{ "rt+https://", TICKET_RT },
	{ "jira+https://", TICKET_JIRA },
	{ "zendesk+https://", TICKET_ZENDESK },
};

const char *ticket_system_name(enum ticket_system s)
{
	static const char *const names[] = { "redmine", "rt", "jira",
					     "zendesk" };

	return names[s];
}

bool ticket_url_is(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (strncmp(s, schemes[i].prefix, strlen(schemes[i].prefix)) ==
		    0)
			return true;
	return false;
}

void ticket_url_release(struct ticket_url *u)
{
	free(u->base);
	free(u->shown);
	memset(u, 0, sizeof(*u));
}

/* rdiag's policy on a host libcurl parsed: a plain name or an IPv6 literal. */
static bool host_allowed(const char *h)
{
	if (!strchr(h, ':'))
		return url_host_is_name(h);
	for (; *h; h++)
		if (!isxdigit((unsigned char)*h) && *h != ':')
			return false;
	return true;
}

/*
 * host, [v6], each with an optional :port of 1-65535: url_split (libcurl's
 * URL parser) splits and checks the authority, the policy above is applied
 * on top.
 */
static bool authority_valid(const char *a, size_t n)
{
	char *url = xasprintf("https://%.*s/", (int)n, a);
	struct url_parts p;
	enum url_fault f;
	bool ok = url_split(url, 0, &p, &f) == 0;

	if (ok) {
		ok = host_allowed(p.host);
		url_parts_release(&p);
	}
	free(url);
	return ok;
}

int ticket_url_parse(const char *s, struct ticket_url *ret, char **ret_err)
{
	struct ticket_url u;
	const char *rest = NULL, *auth_end;
	size_t n, i;

	memset(&u, 0, sizeof(u));
	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (strncmp(s, schemes[i].prefix, strlen(schemes[i].prefix)) ==
		    0) {
			u.system = schemes[i].system;
			rest = s + strlen(schemes[i].prefix);
			break;
		}
	u.shown = upload_url_scrub(s);
	if (!rest) {
		*ret_err = xasprintf("unsupported ticket target '%s': use "
				     "redmine+https://, rt+https://, "
				     "jira+https:// or zendesk+https://",
				     u.shown);
		goto bad;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			*ret_err = xasprintf("ticket target '%s' contains "
					     "spaces or control characters",
					     u.shown);
			goto bad;
		}
	auth_end = rest + strcspn(rest, "/?#");
	if (memchr(rest, '@', (size_t)(auth_end - rest))) {
		/* Never echo what came before '@': it may be a password. */
		*ret_err = xasprintf("ticket target '%s' must not carry a user "
				     "or password: set RDIAG_TICKET_USER and "
				     "RDIAG_TICKET_TOKEN (or [ticket] in a "
				     "0600 config file)",
				     u.shown);
		goto bad;
	}
	if (strpbrk(rest, "?#")) {
		*ret_err = xasprintf("ticket target '%s' must not have a query "
				     "or fragment",
				     u.shown);
		goto bad;
	}
	if (!authority_valid(rest, (size_t)(auth_end - rest))) {
		*ret_err = xasprintf("ticket target '%s' needs a host name",
				     u.shown);
		goto bad;
	}
	if ((u.system == TICKET_JIRA || u.system == TICKET_ZENDESK) &&
	    strspn(auth_end, "/") != strlen(auth_end)) {
		*ret_err = xasprintf("%s target '%s' takes no path: use "
				     "%s+https://HOST",
				     ticket_system_name(u.system), u.shown,
				     ticket_system_name(u.system));
		goto bad;
	}
	n = strlen(rest);
	while (n > 0 && rest[n - 1] == '/')
		n--;
	u.base = xasprintf("https://%.*s", (int)n, rest);
	*ret = u;
	return 0;
bad:
	ticket_url_release(&u);
	return -EINVAL;
}

bool ticket_id_valid(enum ticket_system s, const char *id)
{
	size_t n = strlen(id), digits = strspn(id, "0123456789");
	const char *dash;

	if (n == 0 || n > 64)
		return false;
	if (digits == n)
		return id[0] != '0';
	if (s != TICKET_JIRA)
		return false;
	/* A Jira key: PROJECT-NUMBER, the project upper case from a letter. */
	dash = strrchr(id, '-');
	if (!dash || dash == id || !isupper((unsigned char)id[0]) ||
	    dash[1] == '\0' || dash[1] == '0' ||
	    strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return false;
	for (const char *c = id; c < dash; c++)
		if (!isupper((unsigned char)*c) &&
		    !isdigit((unsigned char)*c) && *c != '_')
			return false;
	return true;
}

uint64_t ticket_default_limit(enum ticket_system s)
{
	switch (s) {
	case TICKET_REDMINE:
		return 5ull << 20; /* Setting.attachment_max_size 5120 KB */
	case TICKET_RT:
		return 10ull << 20; /* RT_Config.pm MaxAttachmentSize */
	case TICKET_JIRA:
		return 10ull << 20; /* only when attachment/meta fails */
	case TICKET_ZENDESK:
		return 50ull << 20; /* "Attachments: 50 MB per file" */
	}
	return 0;
}

enum ticket_size_action ticket_size_decide(uint64_t size, uint64_t limit,
					   bool have_store)
{
	if (limit == 0 || size <= limit)
		return TICKET_ATTACH;
	return have_store ? TICKET_STORE : TICKET_TOO_LARGE;
}
