/*
 * Bundles: one tar.gz (or tar.zst) written by libarchive in a single
 * streaming pass. Each text entry goes through the redactor, and every entry
 * is hashed (SHA-256, libsodium) as it is written. The archive is written as
 * NAME.partial (mode 0600) and renamed to NAME only when complete and synced;
 * NAME.sha256 (sha256sum format) is written beside it.
 *
 * Inside the archive every path is below one top directory named after the
 * bundle (without the .tar.* suffix). manifest.json is written last, listing
 * {path, size, sha256} of every other entry.
 */
#ifndef RDIAG_BUNDLE_H
#define RDIAG_BUNDLE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bundle_format.h"
#include "core/redact.h"

enum bundle_compress {
	BUNDLE_GZIP,
	BUNDLE_ZSTD,
};

struct bundle;

/* "tar.gz" or "tar.zst". */
const char *bundle_suffix(enum bundle_compress c);

/*
 * Start a bundle dir/base.<suffix> (base has no suffix). The redactor is
 * borrowed and must outlive the bundle. On error returns a negative errno and
 * a message in *ret_err (caller frees; NULL on entry, as every ret_err here:
 * the first error wins, see error_set()).
 */
int bundle_open(const char *dir, const char *base, enum bundle_compress c,
		struct redactor *red, struct bundle **ret, char **ret_err);

/*
 * Add the regular file at src_path as arcpath (relative, no "..").
 * redact: run the text pass when the file looks like text. Symlinks and
 * non-regular files are refused with -EINVAL (never followed).
 */
int bundle_add_file(struct bundle *b, const char *arcpath, const char *src_path,
		    bool redact, char **ret_err);
/*
 * Add a file the run sealed in staging (core/stagecrypt.h): it is opened
 * with key into an unlinked scratch copy beside the bundle, then redacted
 * and added exactly as bundle_add_file(.., redact = true) would add the
 * plain file. -EBADMSG when it was not sealed with key or was cut short.
 */
int bundle_add_sealed(struct bundle *b, const char *arcpath,
		      const char *src_path, const unsigned char *key,
		      char **ret_err);

/* Add an in-memory entry (already safe: no redaction). */
int bundle_add_data(struct bundle *b, const char *arcpath, const void *data,
		    size_t len, char **ret_err);

/*
 * Sign the bundle: bundle_close() then calls sign(arg, m, len) with the
 * exact bytes of manifest.json and stores the text it returns (malloc'd,
 * freed by the bundle) as the entry manifest.sig right after it; NULL
 * fails the close. manifest.sig is not listed in the manifest.
 */
void bundle_set_signer(struct bundle *b,
		       char *(*sign)(void *arg, const void *m, size_t len),
		       void *arg);

/*
 * A flag a signal handler sets: once it is nonzero every write of the
 * archive fails with EINTR, so Ctrl-C stops a long bundle write within a
 * block instead of after the current file.
 */
void bundle_set_stop(struct bundle *b, const volatile sig_atomic_t *stop);

/*
 * Report progress: progress(arg, written) is called on the caller's
 * thread with the compressed bytes written so far, after each entry is
 * queued and every 200 ms while the caller waits for the compressor
 * (bundle_add_*(), bundle_close()), so a display never stalls on a large
 * entry. The callback must not call into the bundle.
 */
void bundle_set_progress(struct bundle *b,
			 void (*progress)(void *arg, uint64_t written),
			 void *arg);

/*
 * Finish: write manifest.json built by bundle_manifest_build() from
 * manifest (borrowed, may be NULL; the bundle sets "files" and
 * "redactions"), close the archive, fsync, rename NAME.partial to NAME,
 * write NAME.sha256. On success *ret_path is the final path, *ret_size its
 * size and ret_sha256 its hex digest (65 bytes). Frees b either way; on
 * failure nothing is left under the final name or as .partial.
 */
int bundle_close(struct bundle *b, const struct bundle_manifest *manifest,
		 char **ret_path, uint64_t *ret_size, char ret_sha256[65],
		 char **ret_err);

/* Give up: remove the .partial file and free b. */
/*
 * Remove the archive's .partial file and nothing else: no allocation, no
 * lock, no thread, so an out-of-memory handler may call it while the
 * bundle is being written (the process exits right after).
 */
void bundle_unlink_partial(const struct bundle *b);
void bundle_abort(struct bundle *b);

/*
 * Unlink the NAME.partial of every bundle still open, for an out-of-memory
 * exit that cannot unwind (xalloc_set_oom_hook); nothing is freed.
 */
void bundle_remove_partials(void);

#endif
