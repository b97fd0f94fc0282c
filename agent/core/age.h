/*
 * The age file format (age-encryption.org/v1) with X25519 recipients, so a
 * vendor opens an encrypted bundle with Debian's `age -d` and rdiag opens
 * what `age -e -r age1...` made: a header of recipient stanzas that each
 * wrap a random 16-byte file key, an HMAC-SHA256 over the header, then the
 * payload in ChaCha20-Poly1305 STREAM chunks of 64 KiB. Keys are the
 * Bech32 strings age-keygen writes (`age1...` recipients,
 * `AGE-SECRET-KEY-1...` identities).
 *
 * libsodium gives X25519, ChaCha20-Poly1305 (IETF) and HMAC-SHA256, from
 * which HKDF-SHA256 is two HMAC calls (Debian 12's libsodium 1.0.18 has no
 * crypto_kdf_hkdf). Bech32 and the header's text grammar are small and no
 * Debian library offers them for C, so they are written here; the header
 * parser takes hostile bytes and is fuzzed (tests/fuzz/fuzz_age.c).
 * Armored files (age -a) are read too; passphrase (scrypt) ones are not.
 *
 * Functions return 0 or a negative errno with a message in *ret_err.
 */
#ifndef RDIAG_AGE_H
#define RDIAG_AGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sign.h"

#define AGE_MAGIC      "age-encryption.org/v1\n"
#define AGE_MAGIC_LEN  22
#define AGE_CHUNK      (64 * 1024)
#define AGE_HEADER_MAX (64 * 1024)
#define AGE_FILE_KEY   16

/* Does this head of a file start like an age file? */
bool age_is_encrypted(const void *head, size_t len);

/* Like an armored age file ("-----BEGIN AGE ENCRYPTED FILE-----")? */
bool age_is_armored(const void *head, size_t len);

/*
 * Decode an armored age file from in_fd into the binary age file on
 * out_fd, at most max_out bytes. Lines of 64 base64 characters but the
 * last, CRLF or LF, whitespace around the armor.
 */
int age_dearmor_fd(int in_fd, int out_fd, uint64_t max_out, char **ret_err);

/* "age1..." for an x25519 public (or secret) key (caller frees). */
char *age_recipient_text(const struct sign_key *key);
/* "AGE-SECRET-KEY-1..." (caller wipes and frees). */
char *age_identity_text(const struct sign_key *secret);

/*
 * Parse an identity file (age-keygen's: '#' comments, one
 * AGE-SECRET-KEY-1 line) into an x25519-secret key, or a recipients file
 * (one age1 line, '#' comments) into an x25519-public key. A file with
 * more than one key is refused.
 */
int age_parse_identity(const char *text, size_t len, struct sign_key *ret,
		       char **ret_err);
int age_parse_recipient(const char *text, size_t len, struct sign_key *ret,
			char **ret_err);

/* Does the first key line of this text start with "AGE-SECRET-KEY-1" or
 * "age1"? 1 identity, 2 recipient, 0 neither. */
int age_key_text_kind(const char *text, size_t len);

/* Encrypt in_fd (read to its end) to out_fd for an x25519-public key. */
int age_encrypt_fd(const struct sign_key *recipient, int in_fd, int out_fd,
		   char **ret_err);

/*
 * Decrypt in_fd to out_fd with an x25519-secret key, writing at most
 * max_out bytes. A wrong key, a changed byte, a cut or extended file all
 * fail; out_fd then holds a partial plain text the caller discards.
 */
int age_decrypt_fd(const struct sign_key *identity, int in_fd, int out_fd,
		   uint64_t max_out, char **ret_err);

/*
 * Parse and authenticate the header at the start of buf (n bytes): find
 * the X25519 stanza for identity, unwrap the file key, check the MAC. On
 * success *ret_len is the header's length (the payload nonce follows).
 */
int age_header_parse(const unsigned char *buf, size_t n,
		     const struct sign_key *identity,
		     unsigned char ret_key[AGE_FILE_KEY], size_t *ret_len,
		     char **ret_err);

#endif
