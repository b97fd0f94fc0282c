/*
 * Ticket adapters: attach a bundle to the customer's ticket in Redmine,
 * Request Tracker 5, Jira or Zendesk and post the verdict as a note in the
 * system's own markup, so an engineer reads it without downloading
 * anything. A bundle over the system's attachment limit goes to the
 * configured store ([ticket] store, any target of the upload layer) and the
 * note links it, with findings.json attached instead. Every HTTP request
 * goes through the upload layer's libcurl setup (verified TLS, ca_file,
 * pins, proxies, retries with backoff honouring Retry-After). Credentials
 * come from the environment or a 0600 config file, never from argv, and
 * never appear in a message, a log line or the receipt.
 */
#ifndef RDIAG_TICKET_H
#define RDIAG_TICKET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bundle_format.h"
#include "core/config.h"
#include "upload/upload.h"

/* The [ticket] section's keys (for config validation and the man page). */
extern const struct config_key ticket_config_keys[];

enum ticket_system {
	TICKET_REDMINE,
	TICKET_RT,
	TICKET_JIRA,
	TICKET_ZENDESK,
};

/* How a note is written. */
enum ticket_markup {
	TICKET_MARKUP_PLAIN,   /* RT text/plain: report.c's verdict text */
	TICKET_MARKUP_TEXTILE, /* Redmine */
	TICKET_MARKUP_HTML,    /* RT text/html, Zendesk html_body */
	TICKET_MARKUP_JIRA,    /* Jira wiki markup (REST API 2) */
	TICKET_MARKUP_ADF,     /* Atlassian Document Format (REST API 3) */
};

/* A parsed redmine+https:// (rt+, jira+, zendesk+) URL. Strings owned. */
struct ticket_url {
	enum ticket_system system;
	char *base;  /* "https://host[:port][/path]" without a trailing '/' */
	char *shown; /* the URL as given, scrubbed, for messages */
};

/* Is s one of the ticket schemes (so upload_url_parse is not for it)? */
bool ticket_url_is(const char *s);

/*
 * Parse s into *ret (release with ticket_url_release()). Userinfo, a
 * query or a fragment, another scheme or a missing host give -EINVAL and a
 * message in *ret_err (caller frees) that never repeats a password.
 */
int ticket_url_parse(const char *s, struct ticket_url *ret, char **ret_err);
void ticket_url_release(struct ticket_url *u);

/* "redmine", "rt", "jira", "zendesk". */
const char *ticket_system_name(enum ticket_system s);

/*
 * Is id a ticket id this system accepts: digits for Redmine, RT and
 * Zendesk, digits or a Jira key (PROJ-123) for Jira? At most 64 chars.
 */
bool ticket_id_valid(enum ticket_system s, const char *id);

/* [ticket] settings merged with the environment. Strings borrowed. */
struct ticket_opts {
	const char *token;    /* API key / token (RDIAG_TICKET_TOKEN) */
	const char *user;     /* RDIAG_TICKET_USER or [ticket] user */
	const char *password; /* RDIAG_TICKET_PASSWORD or [ticket] password */
	const char *store;    /* where a too-large bundle goes, or NULL */
	uint64_t max_attachment; /* 0: the system's documented default */
	bool public_note;        /* customer-visible note (default: no) */
	unsigned jira_api;       /* 2: wiki markup, 3: ADF (default 2) */
	bool rt_plain;           /* RT note as text/plain (default html) */
};

/*
 * Fill o from [ticket] of c and the environment. A secret ([ticket] token
 * or password) read from a config file whose mode lets anyone but the
 * owner read it is refused. 0, or -EINVAL with *ret_err naming the key.
 */
int ticket_opts_load(struct ticket_opts *o, const struct config *c,
		     char **ret_err);

/* The attachment limit when the system cannot tell: its documented one. */
uint64_t ticket_default_limit(enum ticket_system s);

enum ticket_size_action {
	TICKET_ATTACH,   /* the bundle fits */
	TICKET_STORE,    /* too large: store it, link it, attach findings */
	TICKET_TOO_LARGE /* too large and no [ticket] store configured */
};

/* limit 0 means no known limit. */
enum ticket_size_action ticket_size_decide(uint64_t size, uint64_t limit,
					   bool have_store);

/* Everything a note says. Strings and findings borrowed. */
struct ticket_note {
	json_t *findings; /* array of finding objects (findings.json) */
	/* The manifest's collectors (ncollectors of them). */
	const struct bundle_manifest_collector *collectors;
	size_t ncollectors;
	const char *host, *ticket, *version;
	const char *bundle; /* the bundle's file name */
	uint64_t size;
	const char *sha256;   /* hex, or NULL when unknown */
	const char *link;     /* where the stored bundle is; NULL if attached */
	const char *attached; /* file attached instead (findings.json) */
};

/* Findings listed in a note at most; the rest are counted. */
#define TICKET_NOTE_MAX_FINDINGS 40

/*
 * Render the note in markup m. Returns a new string (caller frees); for
 * TICKET_MARKUP_ADF it is the JSON text of an ADF "doc" node.
 */
char *ticket_note_render(const struct ticket_note *n, enum ticket_markup m);

/* ---- reply parsing (pure, unit-tested) ---- */

/*
 * Redmine's upload token "ID.SHA256HEX": 0 and the digest (a new string,
 * NULL when the token has none, as before Redmine 4), or -EINVAL.
 */
int ticket_redmine_token_digest(const char *token, char **ret_digest);

/*
 * Jira's GET /rest/api/2/attachment/meta: 0 with *ret_enabled and
 * *ret_limit (bytes), or -EINVAL when the reply is not that object.
 */
int ticket_jira_meta_parse(const char *body, bool *ret_enabled,
			   uint64_t *ret_limit);

/*
 * Find an attachment named name in a JSON array of attachment objects
 * whose name and size members are name_key and size_key. Returns the last
 * match's size in *ret_size (the newest) and 0, -ENOENT when absent,
 * -EINVAL when arr is not an array.
 */
int ticket_find_attachment(json_t *arr, const char *name_key,
			   const char *size_key, const char *name,
			   uint64_t *ret_size);

/*
 * The server's own words from an error body: Redmine {"errors":[...]},
 * Jira {"errorMessages":[...],"errors":{...}}, Zendesk {"error":..,
 * "description":..}, RT {"message":..}. A new string, or NULL. Bounded
 * to 300 chars, control characters replaced.
 */
char *ticket_error_text(const char *body);

/*
 * The user-facing step of `rdiag upload BUNDLE --to redmine+https://...`
 * and `rdiag run --upload ...`: read the verdict from the bundle, attach
 * (or store and link), post the note, verify, write the receipt, print.
 * The ticket is o->ticket or the bundle manifest's. Returns an exit code:
 * 0, EXIT_USAGE, EXIT_DATAERR or EXIT_UNAVAILABLE (the bundle is kept).
 */
int ticket_cmd_run(const char *bundle, const char *url,
		   const struct upload_opts *o);

#endif
