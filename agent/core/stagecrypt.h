/*
 * Staging encryption: what a collector copies into the staging directory
 * is not redacted yet (redaction needs the whole file, made text, on its
 * way into the bundle), so it is stored sealed under a key that exists only
 * in the run's memory. A run killed with SIGKILL leaves ciphertext whose key
 * died with it; the bundle opens each sealed file into an unlinked scratch
 * copy just before it redacts it (docs/bundle-format.md, "Staging").
 */
#ifndef RDIAG_STAGECRYPT_H
#define RDIAG_STAGECRYPT_H

#include <stddef.h>

#define STAGECRYPT_KEY_BYTES 32

/*
 * A fresh random key in locked memory (never swapped, zeroed when freed),
 * or NULL when libsodium cannot start or lock memory. Forked workers see it
 * as a copy in their own memory; it is never written to a file, the
 * environment or a command line.
 */
unsigned char *stagecrypt_key_new(void);
void stagecrypt_key_free(unsigned char *key);

/*
 * Seal everything in in_fd (read from offset 0 to its end, so
 * the descriptor's offset does not matter) into out_fd, which is written
 * from its current offset. Returns 0 or a negative errno (-ENOSPC and
 * -EDQUOT from write stay what they are).
 */
int stagecrypt_seal(const unsigned char *key, int in_fd, int out_fd);

/*
 * Open what stagecrypt_seal() wrote: in_fd from its current offset, the
 * plain text to out_fd. -ENOMSG when it does not start as a sealed file
 * does (a platform without nameless files wrote it plain, see
 * platform_create_unnamed()); -EBADMSG when it was not sealed with this
 * key, was changed or was cut short; another negative errno from
 * read/write.
 */
int stagecrypt_open(const unsigned char *key, int in_fd, int out_fd);

#endif
