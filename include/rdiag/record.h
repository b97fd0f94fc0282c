/*
 * Records: what a collector worker tells the agent. A worker writes one JSON
 * object per line to its pipe as it learns things, so whatever it found before
 * a timeout or a crash is kept. The parent treats every line as untrusted and
 * validates it with record_parse() before using it.
 *
 * Wire form (one line each, UTF-8 JSON, at most RECORD_MAX_LINE bytes):
 *   {"kind":"fact","key":"kernel.release","value":"6.1.0"}
 *   {"kind":"finding","id":"system.disk.full","severity":"fail","level":0,
 *    "title":"...","detail":"...","hint":"...","kb":"..."}
 *   {"kind":"artifact","path":"mounts.txt"}
 *   {"kind":"log","msg":"..."}
 *   {"kind":"skip","reason":"..."}   (the collector had nothing to check)
 * The collector name is added by the parent, never trusted from the worker.
 */
#ifndef RDIAG_RECORD_H
#define RDIAG_RECORD_H

#include <jansson.h>
#include <stdbool.h>

/* Limits the parent enforces on each worker's stream. */
#define RECORD_MAX_LINE    (64 * 1024)
#define RECORD_MAX_COUNT   20000
#define RECORD_MAX_BYTES   (8 * 1024 * 1024)
#define RECORD_MAX_KEY     128
#define RECORD_MAX_ID      96
#define RECORD_MAX_ARTPATH 200
/* Bytes of a title, detail, hint, fact value or log message. */
#define RECORD_MAX_TEXT 16384
/* Bytes of a kb reference or a skip reason. */
#define RECORD_MAX_SHORT 512

enum record_kind {
	RECORD_FACT,
	RECORD_FINDING,
	RECORD_ARTIFACT,
	RECORD_LOG,
	RECORD_SKIP,
};

enum severity {
	SEVERITY_OK,
	SEVERITY_INFO,
	SEVERITY_WARN,
	SEVERITY_FAIL,
};

/* Support levels: who can act on a finding. */
enum support_level {
	LEVEL_SELF = 0,        /* the person running rdiag, with the hint */
	LEVEL_HELPDESK = 1,    /* the vendor's helpdesk */
	LEVEL_SUPPORT = 2,     /* the vendor's technical support */
	LEVEL_ENGINEERING = 3, /* the vendor's engineering */
	LEVEL_THIRD_PARTY = 4, /* the customer's IT or another vendor */
};

/* "ok", "info", "warn", "fail"; NULL for an out-of-range value. */
const char *severity_name(enum severity s);
/* 0 and *ret on success, -EINVAL for an unknown name. */
int severity_from_name(const char *name, enum severity *ret);

/* Dotted id: [a-z0-9_]+ separated by dots, 3..RECORD_MAX_ID bytes. */
bool record_id_valid(const char *id);
/* Fact key: [A-Za-z0-9_.:-]+, 1..RECORD_MAX_KEY bytes. */
bool record_key_valid(const char *key);
/*
 * Artifact path relative to the collector's staging dir: no leading '/',
 * no "." or ".." component, no empty component, printable ASCII without
 * backslash, 1..RECORD_MAX_ARTPATH bytes.
 */
bool record_artifact_path_valid(const char *path);

/*
 * Parse and validate one line from a worker. On success returns 0 and
 * *ret_obj is a new reference to the normalised object (unknown fields
 * dropped, "kind" kept) and *ret_kind its kind. Returns -EBADMSG for
 * anything that is not a valid record; *err (if not NULL) then points at a
 * static description.
 */
int record_parse(const char *line, size_t len, json_t **ret_obj,
		 enum record_kind *ret_kind, const char **err);

#endif
