/*
 * The installed agent (`rdiag agent`): polls a request location (an S3
 * prefix or an HTTPS URL named for this agent's id) with backoff, verifies
 * every signed request found there, applies the local policy (collectors
 * that may run unattended; the rest wait for `rdiag approve ID`), runs and
 * uploads, and writes every request and decision to an append-only audit
 * log. One instance at a time (a lock file); a request runs at most once,
 * even across crashes: it is claimed durably in the replay store before it
 * starts, and a claimed request is never started again. docs/requests.md
 * describes the state directory and the at-most-once choice.
 */
#ifndef RDIAG_AGENTD_H
#define RDIAG_AGENTD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/exitcode.h"
#include "request/request.h"
#include "upload/upload.h"

struct run_observer;

/* The [agentd] section's keys (config validation, man page). */
extern const struct config_key agentd_config_keys[];

/* Exit code when another agent holds the lock (EX_TEMPFAIL). */
#define AGENTD_EXIT_LOCKED EXIT_TEMPFAIL
/* Objects looked at per poll, at most. */
#define AGENTD_ITEMS_MAX 200

struct agentd_opts {
	struct config config;
	char *config_path; /* agent.conf, NULL when there is none */
	char *id;
	char *location; /* the poll URL with the id applied */
	char *state_dir;
	char *trusted_dir;
	char **unattended;      /* NULL-terminated collector names */
	char **allowed_uploads; /* NULL-terminated prefixes; NULL: any */
	unsigned interval_s, max_interval_s;
	/* How a request's run reports (the caller's terminal observer,
	 * quiet); borrowed, NULL: silent. */
	struct run_observer *run_observer;
	/* The config schema (borrowed), for the runs' fresh reads. */
	const struct config_section *schema;
};

/*
 * Load /etc/rdiag/rdiag.conf (RDIAG_SYSTEM_CONFIG) and config_path (NULL:
 * /etc/rdiag/agent.conf when it exists) against schema (kept for the runs)
 * and check [agentd]. need_location:
 * poll_url is required. 0, or -EINVAL with a message in *ret_err.
 */
int agentd_opts_load(struct agentd_opts *o, const char *config_path,
		     const struct config_section *schema, bool need_location,
		     char **ret_err);
void agentd_opts_release(struct agentd_opts *o);

/* The poll URL for id: an S3 prefix or an https URL ending in '/' gets
 * "ID/" or "ID" appended; other URLs are used as they are. New string. */
char *agentd_location(const char *poll_url, const char *id);

/*
 * The local policy for a verified request. Returns 0 when it may run
 * unattended, 1 when it must wait for approval (*ret_why names the
 * collectors outside the policy), -EPERM when it is refused (the upload
 * target is outside allowed_uploads; *ret_why says so).
 */
int agentd_policy(const struct agentd_opts *o, const struct request *rq,
		  char **ret_why);

/*
 * Append one audit record (a JSON object, borrowed) to STATE/audit.jsonl
 * with "time" added, synced; echoed as one line on stderr. Strings taken
 * from a request or the network must be sanitised by the caller.
 */
int agentd_audit(const char *state_dir, json_t *rec);

/* One object found at the request location. */
struct agentd_item {
	char *name; /* object key or "line N", sanitised */
	char *body; /* NUL-terminated, NULL when oversized */
	size_t len;
	bool oversized;
};

void agentd_items_free(struct agentd_item *items, size_t n);

/*
 * Everything at the location now: S3 objects under the prefix (list, then
 * GET each; objects over REQUEST_TOKEN_MAX are not downloaded), or the
 * lines of the https URL's body (404: nothing yet). 0 or a negative errno
 * with *ret_err naming the location and the reason.
 */
int agentd_fetch(const char *location, const struct upload_opts *uo,
		 struct agentd_item **ret_items, size_t *ret_n, char **ret_err);

/*
 * Take the lock STATE/agent.lock (fcntl, released when the process ends).
 * Returns the lock's descriptor, -EAGAIN when another agent holds it.
 */
int agentd_lock(const char *state_dir, char **ret_err);

/*
 * One poll: record interrupted runs, fetch, handle every new object,
 * run approved requests. Returns 0, or a negative errno when the location
 * could not be read (the caller backs off).
 */
int agentd_poll(const struct agentd_opts *o, char **ret_err);

/* The service loop; once: a single poll. Returns an exit code. */
int agentd_main(const struct agentd_opts *o, bool once);

/*
 * `rdiag approve`: list what waits (id NULL), approve or deny one. Returns
 * an exit code after printing what happened.
 */
int agentd_approve(const struct agentd_opts *o, const char *id, bool deny);

#endif
