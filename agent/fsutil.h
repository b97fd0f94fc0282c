/*
 * File-system helpers for the agent's own private directories.
 */
#ifndef RDIAG_FSUTIL_H
#define RDIAG_FSUTIL_H

#include <stdint.h>

/*
 * Remove a directory tree without following symlinks (unlinkat/openat with
 * O_NOFOLLOW). Returns 0 or the first negative errno; it keeps going past
 * errors so as much as possible is removed.
 */
int fs_remove_tree(const char *path);

/* Create dir and its missing parents (new ones 0700). 0 or -errno. */
int fs_mkdirs(const char *dir);

/* Free bytes for an unprivileged writer under path, into *ret. */
int fs_free_bytes(const char *path, uint64_t *ret);

#endif
