/*
 * Reading a bundle someone else wrote: every byte is hostile. review_open()
 * streams the archive once through libarchive with hard caps (entries, entry
 * size, total size, compression ratio, JSON size and depth), refuses every
 * entry that is not a plain file or directory below one top directory
 * (absolute paths, "..", links, devices, FIFOs, duplicates, names that are
 * not printable UTF-8), then checks every file against manifest.json, the
 * signatures (NAME.sig beside the bundle, manifest.sig inside) and the
 * sha256sum sidecar. Only when all of that
 * holds does the caller get a struct review; the strings in it are made safe
 * for a terminal (control characters replaced).
 *
 * Extraction is the same pass with a sink that receives each entry as it is
 * read; the caller must discard what the sink wrote when review_open()
 * fails, because the verdict on the whole bundle comes only at its end.
 */
#ifndef RDIAG_REVIEW_H
#define RDIAG_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bundle_format.h"
#include "core/report.h"
#include "core/sign.h"

/* The caps; review_limits_default() gives the documented values. */
struct review_limits {
	uint64_t max_entries;     /* archive entries, directories included */
	uint64_t max_entry_size;  /* bytes of one entry */
	uint64_t max_total;       /* bytes of all entries together */
	uint64_t max_ratio;       /* uncompressed : compressed ... */
	uint64_t ratio_floor;     /* ... checked once this much came out */
	uint64_t max_input;       /* bytes of the (decrypted) archive file */
	size_t max_json;          /* one JSON file kept in memory */
	size_t max_kept;          /* all JSON files kept in memory */
	unsigned max_depth;       /* nesting of JSON arrays and objects */
	size_t max_records;       /* lines of one records.jsonl */
	size_t max_records_total; /* lines of all records.jsonl together */
};

void review_limits_default(struct review_limits *ret);

/*
 * Receives the entries of an archive as they pass (extraction). Paths are
 * relative to the bundle's top directory, already checked; every callback
 * returns 0 or a negative errno, which ends the read with that error.
 */
struct review_sink {
	int (*dir)(void *arg, const char *path);
	int (*file_begin)(void *arg, const char *path, uint64_t size);
	int (*file_data)(void *arg, const void *p, size_t n);
	int (*file_end)(void *arg);
	void *arg;
};

struct review_opts {
	const struct review_limits *limits; /* NULL: the defaults */
	const struct sign_key *key;         /* x25519-secret, or NULL */
	const struct sign_key *trust;   /* ed25519-public required, or NULL */
	const struct review_sink *sink; /* NULL: only read and verify */
};

enum review_sidecar {
	REVIEW_SIDECAR_NONE, /* no NAME.sha256 beside the bundle */
	REVIEW_SIDECAR_OK,   /* it exists and matches */
};

struct review_collector {
	char *name, *status, *reason; /* reason may be NULL */
	int64_t duration_ms;
	int64_t records;
	bool truncated;
	int64_t rejected; /* records the agent refused as invalid */
	json_t *facts; /* [{key, value}] from records.jsonl, value a string */
	bool has_records;
};

struct review {
	char *path;      /* as given; NULL when read from memory */
	char *top;       /* top directory inside the archive */
	char sha256[65]; /* of the file as given (encrypted or not) */
	uint64_t file_size;
	bool encrypted;
	enum review_sidecar sidecar;
	bool is_signed;
	bool trusted;               /* signed by the --trust key */
	char signer[SIGN_DESC_MAX]; /* fingerprint when signed */
	unsigned char signer_pub[32];
	json_t *manifest;           /* as parsed, every string sanitised */
	struct bundle_manifest man; /* read from manifest (borrowed) */
	json_t *findings;           /* sanitised, each with collector */
	json_t *redactions;         /* rule -> count (borrowed) */
	json_t *paths;              /* every file path (array) */
	struct review_collector *collectors;
	size_t ncollectors;
	uint64_t nfiles, total_size;
	size_t nrecords; /* records read from all records.jsonl */
	const char *host, *ticket, *started, *finished, *agent_version;
	char *manifest_text; /* the exact bytes that were signed */
	size_t manifest_len;
	char *findings_text; /* findings.json exactly as stored */
	size_t findings_len;
	/* For review_verdict(). */
	struct collector *vcols;
	struct collector_result *vres;
};

/*
 * Read and verify the bundle at path (decrypting with o->key when it is
 * encrypted). On success *ret is a verified bundle (free with
 * review_free()). On failure returns a negative errno and a one-line
 * reason in *ret_err: -EBADMSG for a bad or hostile bundle, -EPERM or
 * -EACCES for a missing or untrusted signature or a wrong key, another
 * errno for I/O problems (including the sink's).
 */
int review_open(const char *path, const struct review_opts *o,
		struct review **ret, char **ret_err);

/* The same for an archive in memory (no sidecar, never encrypted). */
int review_open_memory(const void *data, size_t len,
		       const struct review_opts *o, struct review **ret,
		       char **ret_err);

void review_free(struct review *r);

/*
 * The customer's verdict rebuilt from the bundle for report_text() and
 * report_json() (borrowing r; valid while r is). Bundle path, size and
 * hash are r's.
 */
void review_verdict(struct review *r, struct verdict *ret);

/* The collector of that name, or NULL. */
const struct review_collector *review_collector_find(const struct review *r,
						     const char *name);

/* Untrusted text is shown through sanitize_text() (core/sanitize.h). */

/* Does this look like an error that the input caused (exit 65)? */
bool review_err_is_input(int r);

#endif
