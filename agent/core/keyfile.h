/*
 * Telling a public key file from a secret one before using it: the public
 * half usually sits beside the secret one (id_ed25519.pub, vendor.pub), and
 * a person who passes it where a secret key is needed should be told that,
 * not that its mode is wrong or that the server refused it.
 */
#ifndef RDIAG_KEYFILE_H
#define RDIAG_KEYFILE_H

#include <stddef.h>

/*
 * What kind of public key the file at path holds: "OpenSSH public key",
 * "age recipient", "rdiag public key", "public key" (PEM), or NULL when it
 * does not start like any public key (or cannot be read: the caller's own
 * open reports that). A static string.
 */
const char *keyfile_public_kind(const char *path);

/* The same for the first n bytes of a key file (NUL-terminated). */
const char *keyfile_public_kind_text(const char *head, size_t n);

#endif
