/*
 * File-system helpers for the agent's own private directories.
 */
#ifndef RDIAG_FSUTIL_H
#define RDIAG_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Remove a directory tree without following symlinks (unlinkat/openat with
 * O_NOFOLLOW). Returns 0 or the first negative errno; it keeps going past
 * errors so as much as possible is removed.
 */
int fs_remove_tree(const char *path);

/* Create dir and its missing parents (new ones 0700). 0 or -errno. */
int fs_mkdirs(const char *dir);

/*
 * Is s a tame part of a file name: 1 to max characters, each an ASCII
 * letter, digit, '-', '_' or '.'? Ticket ids and host labels end up in
 * bundle names.
 */
bool fs_name_ok(const char *s, size_t max);

/*
 * Write len bytes to path as a whole or not at all: a new file from
 * mkstemp beside path (O_EXCL: never through a link planted there, never a
 * fixed temporary name another user could pre-create), mode, fsync, then
 * rename over path (which replaces a link itself, not its target). The one
 * way rdiag writes a file next to a bundle or in a shared directory
 * (receipts, resume states). 0 or a negative errno; nothing is left on
 * failure.
 */
int fs_write_atomic(const char *path, const void *data, size_t len,
		    unsigned mode);

/* Free bytes for an unprivileged writer under path, into *ret. */
int fs_free_bytes(const char *path, uint64_t *ret);

/* SHA-256 of everything in fd (read with pread from 0) as 64 hex digits. */
int fs_sha256_fd(int fd, char ret[65]);

#endif
