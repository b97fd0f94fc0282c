/*
 * The bundle format, rdiag-bundle/1, defined once: its name, the paths of
 * the entries inside the archive and of the files beside it, and the schema
 * of manifest.json with the one function that builds a manifest and the one
 * that reads it back. The writer (core/bundle.c), the reader
 * (review/review.c), export, tickets, the run and the tests spell the
 * format only through this header; docs/bundle-format.md describes the
 * same format for people and names this module as its definition.
 */
#ifndef RDIAG_BUNDLE_FORMAT_H
#define RDIAG_BUNDLE_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/runner.h"

/* The name and major version, manifest.json's "format". */
#define BUNDLE_FORMAT "rdiag-bundle/1"

/*
 * The other documents rdiag writes about bundles, named and versioned the
 * same way (a reader refuses a major version it does not know).
 */
#define BUNDLE_FORMAT_VERDICT   "rdiag-verdict/1" /* run --json */
#define BUNDLE_FORMAT_INSPECT   "rdiag-inspect/1" /* inspect --json */
#define BUNDLE_FORMAT_DIFF      "rdiag-diff/1"    /* diff --json */
#define BUNDLE_FORMAT_RECEIPT   "rdiag-upload-receipt/1"
#define BUNDLE_FORMAT_TUS_STATE "rdiag-tus-resume/1" /* resumable upload */

/* Entries, relative to the archive's one top directory. */
/* Collectors one manifest may list (rdiag has 7; room for many more). */
#define BUNDLE_MAX_COLLECTORS 256

#define BUNDLE_MANIFEST "manifest.json" /* the last entry */
/* SSHSIG of manifest.json (rdiag-sig/1 in older bundles), after it. */
#define BUNDLE_SIGNATURE "manifest.sig"
#define BUNDLE_FINDINGS  "findings.json"
#define BUNDLE_REPORT    "report.txt"
#define BUNDLE_LOG       "rdiag.log"
/* Below BUNDLE_COLLECTORS_DIR/NAME/ (bundle_collector_path()). */
#define BUNDLE_COLLECTORS_DIR "collectors"
#define BUNDLE_RECORDS        "records.jsonl"
#define BUNDLE_STDERR         "stderr.txt"

/*
 * Files beside the archive: NAME.sha256, NAME.sig (the SSHSIG of the
 * whole archive file, when signed) and NAME.partial while written. An
 * encrypted bundle is NAME.age (an age file; docs/review.md) with
 * NAME.age.sha256, and the signature of its plain archive stays NAME.sig.
 * rdiag before 0.2 wrote NAME.enc (RDIAGENC1), still read.
 */
#define BUNDLE_SIDECAR_SUFFIX          ".sha256"
#define BUNDLE_PARTIAL_SUFFIX          ".partial"
#define BUNDLE_SIG_SUFFIX              ".sig"
#define BUNDLE_ENCRYPTED_SUFFIX        ".age"
#define BUNDLE_LEGACY_ENCRYPTED_SUFFIX ".enc"

/*
 * A bundle's base name (the file name without .tar.*, and the archive's
 * top directory): "rdiag-HOST-TICKET-STAMP", with "noticket" when ticket
 * is NULL; stamp is utc_stamp()'s (caller frees).
 */
char *bundle_base_name(const char *host, const char *ticket, const char *stamp);

/* "collectors/NAME/rel" (caller frees). */
char *bundle_collector_path(const char *collector, const char *rel);

/*
 * The NAME of a path "collectors/NAME/..." with something after NAME/, or
 * NULL for any other path (caller frees).
 */
char *bundle_path_collector(const char *path);

/* Is path "collectors/NAME/records.jsonl"? */
bool bundle_path_is_records(const char *path);

/* "path.sha256" and "path.partial" (caller frees). */
char *bundle_sidecar_path(const char *path);
char *bundle_partial_path(const char *path);

/*
 * The signature beside the bundle at path: path.sig, or for an encrypted
 * NAME.age (NAME.enc) the plain archive's NAME.sig (caller frees).
 */
char *bundle_sig_path(const char *path);

/* The sidecar's one line in sha256sum format: "HEX  NAME\n" (caller frees). */
char *bundle_sidecar_line(const char *hex, const char *name);

/*
 * Does a sidecar's text start with a digest, 64 lowercase hex digits and a
 * space? Then ret_hex (65 bytes) gets the digest.
 */
bool bundle_sidecar_hex(const char *text, char ret_hex[65]);

/* manifest.json's "collectors" entry for one collector. */
struct bundle_manifest_collector {
	const char *name;   /* [a-z0-9_], 1-64 characters */
	const char *reason; /* why not ok, or NULL */
	enum collector_status status;
	int64_t duration_ms;
	int64_t records;  /* valid records received */
	int64_t rejected; /* invalid records dropped */
	bool truncated;   /* a cap was reached */
};

/*
 * manifest.json as a struct. Everything is borrowed: from the caller when
 * building, from the parsed JSON when read (except collectors and extra,
 * which bundle_manifest_release() frees). A NULL string is left out of the
 * JSON, except ticket, which is written as null.
 */
struct bundle_manifest {
	const char *agent_version;
	const char *host;
	const char *ticket;             /* NULL: run without --ticket */
	const char *started, *finished; /* ISO 8601 UTC */
	const char *command_line;       /* secrets already removed */
	const struct bundle_manifest_collector *collectors;
	size_t ncollectors;
	/*
	 * Further top-level keys (object, borrowed, may be NULL), written
	 * after "collectors" in their order: what an export adds
	 * ("exported_from"), and on reading every key this schema does not
	 * name, so that a newer writer's fields survive an export.
	 */
	json_t *extra;
	/* [{path, size, sha256}] of every entry but the manifest and its
	 * signature, in archive order (borrowed, may be NULL). */
	json_t *files;
	/* rule -> count, for rules that fired (borrowed, may be NULL). */
	json_t *redactions;
	/* [{path, reason}] of files left out because they could not be
	 * made text to redact (borrowed; NULL or empty: no "omitted"). */
	json_t *omitted;
};

/*
 * One entry of "files": {path, size, sha256} and, when the stored text was
 * decoded from something else, "source" (borrowed, may be NULL:
 * {name?, compression?, encoding, truncated?}). New reference.
 */
json_t *bundle_manifest_file(const char *path, uint64_t size,
			     const char *sha256_hex, json_t *source);

/*
 * A file entry's "source", when the stored text was decoded: the
 * collected file's name and its compression (both NULL when it was not
 * compressed), the encoding it was read in, and whether decompression
 * stopped at its cap. New reference.
 */
json_t *bundle_manifest_source(const char *name, const char *compression,
			       const char *encoding, bool truncated);

/* One entry of "omitted": {path, size, reason}. New reference. */
json_t *bundle_manifest_omitted(const char *path, uint64_t size,
				const char *reason);

/*
 * The manifest.json object for m (new reference): format first, then the
 * fields of m in the documented order, "files", "redactions" and
 * "omitted" last.
 */
json_t *bundle_manifest_build(const struct bundle_manifest *m);

/*
 * Is j a JSON object of this format? 0, or -EBADMSG and a message in
 * *ret_err that may quote the manifest's bytes (sanitise before printing).
 */
int bundle_manifest_check_format(json_t *j, char **ret_err);

/*
 * Read a parsed manifest.json: its format, the shape of "files" (path,
 * size >= 0, sha256 as 64 lowercase hex digits) and of "collectors" (name
 * [a-z0-9_], a known status, no name twice). Other strings of a wrong type
 * read as NULL; a "redactions" that is not an object and an "omitted" that
 * is not an array read as NULL. On
 * success *ret borrows from j (release with bundle_manifest_release()); on
 * failure -EBADMSG and a message in *ret_err as above. Whether "files"
 * matches an archive is the reader's business, not the schema's.
 */
int bundle_manifest_read(json_t *j, struct bundle_manifest *ret,
			 char **ret_err);
void bundle_manifest_release(struct bundle_manifest *m);

/*
 * A part written by `rdiag export` says where it came from in the
 * manifest's "exported_from" (an extra key): the source bundle's top
 * directory name, the SHA-256 of its file and of its manifest.json, the
 * collectors kept, the source's collectors left out, and the source's
 * redaction counts.
 */
#define BUNDLE_EXPORTED_FROM "exported_from"

struct bundle_export_origin {
	const char *bundle;          /* the source's name (top directory) */
	const char *sha256;          /* of the source file, or NULL */
	const char *manifest_sha256; /* of its manifest.json, or NULL */
	json_t *collectors;          /* names kept (array of strings) */
	json_t *left_out;   /* names left out, or NULL when the part does not
			       say (written before rdiag recorded it) */
	json_t *redactions; /* the source's rule -> count, or NULL */
};

/* The "exported_from" object for o (new reference). */
json_t *bundle_export_origin_build(const struct bundle_export_origin *o);

/*
 * Is the bundle with manifest m a part? 1 and *ret borrowing from m, 0
 * when it has no "exported_from", -EBADMSG with *ret_err when it has one
 * of the wrong shape (a bundle name, collectors and left_out as arrays of
 * collector names, hashes as 64 lowercase hex digits when present).
 */
int bundle_export_origin_read(const struct bundle_manifest *m,
			      struct bundle_export_origin *ret, char **ret_err);

/* Is s 64 lowercase hex digits (a SHA-256 as the manifest writes it)? */
bool bundle_sha256_hex_valid(const char *s);

#endif
