/*
 * OpenSSH's formats for Ed25519 keys and signatures, so a partner can check
 * a bundle with stock `ssh-keygen -Y verify` and rdiag can use keys made by
 * `ssh-keygen -t ed25519`: the "openssh-key-v1" private key file
 * (unencrypted only), the one-line public key ("ssh-ed25519 AAAA... c",
 * also read from an allowed_signers line) and the armored SSHSIG detached
 * signature (PROTOCOL.sshsig: namespace, hash algorithm, Ed25519 signature
 * over a digest of the message).
 *
 * The SSH wire encoding (uint32 and length-prefixed strings) is a handful
 * of lines and libssh exposes no parser for these file formats, so it is
 * written here; base64 is libsodium's. Everything parsed here comes from a
 * file someone else wrote: lengths are checked before every read, and
 * tests/fuzz/fuzz_sshsig.c drives the parsers on arbitrary bytes.
 *
 * Functions return 0 or a negative errno with a message in *ret_err (see
 * error_set()); the message never quotes the parsed bytes.
 */
#ifndef RDIAG_SSHSIG_H
#define RDIAG_SSHSIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sign.h"

/* The namespace (-n) of every bundle signature. */
#define SSHSIG_NAMESPACE "rdiag-bundle"
/* "SHA256:" + 43 base64 characters + NUL: ssh-keygen -l's fingerprint. */
#define SSHSIG_FPR_MAX 51
/* Bytes of an armored signature file rdiag reads (a real one is ~300). */
#define SSHSIG_TEXT_MAX    4096
#define SSHSIG_ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHKEY_ARMOR_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"

/* A parsed SSHSIG: who signed, with which digest, and the signature. */
struct sshsig {
	unsigned char pub[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	bool sha256; /* hash algorithm "sha256"; otherwise "sha512" */
};

/* ssh-keygen -l's "SHA256:..." for an Ed25519 public key. */
void sshkey_fingerprint(const unsigned char *pub, char ret[SSHSIG_FPR_MAX]);

/*
 * Key text in OpenSSH's formats (caller frees; the private one with
 * sodium_memzero first): the armored openssh-key-v1 file for an
 * ed25519-secret key, and the "ssh-ed25519 BASE64 COMMENT\n" line for
 * either kind. comment must be one line of printable text.
 */
char *sshkey_private_text(const struct sign_key *secret, const char *comment);
char *sshkey_public_text(const struct sign_key *key, const char *comment);

/*
 * Parse an openssh-key-v1 file into an ed25519-secret key. Refused: a
 * passphrase-protected key, a key type other than ssh-ed25519, more than
 * one key, anything damaged.
 */
int sshkey_parse_private(const char *text, size_t len, struct sign_key *ret,
			 char **ret_err);

/*
 * Parse the one Ed25519 key of a public key file or an allowed_signers
 * file (lines "[principals [options]] ssh-ed25519 BASE64 [comment]";
 * '#' comments and empty lines are skipped) into an ed25519-public key.
 * A file with no key or with more than one is refused.
 */
int sshkey_parse_public(const char *text, size_t len, struct sign_key *ret,
			char **ret_err);

/* Does this text look like an OpenSSH public key or allowed_signers file? */
bool sshkey_is_public_text(const char *text, size_t len);

/*
 * The armored SSHSIG (namespace SSHSIG_NAMESPACE, hash sha512) of a
 * message whose SHA-512 is digest (caller frees).
 */
char *sshsig_sign(const struct sign_key *secret,
		  const unsigned char digest[crypto_hash_sha512_BYTES]);

/* The same for the message m itself (caller frees). */
char *sshsig_sign_buf(const struct sign_key *secret, const void *m, size_t len);

/*
 * Parse an armored SSHSIG. A signature for another namespace, another key
 * type or hash algorithm is refused.
 */
int sshsig_parse(const char *text, size_t len, struct sshsig *ret,
		 char **ret_err);

/*
 * Check a parsed signature against the message digest made with its hash
 * algorithm (32 bytes for sha256, 64 for sha512). trusted may be NULL.
 * what names the signed thing in the messages ("the bundle").
 */
int sshsig_check(const struct sshsig *s, const unsigned char *digest,
		 size_t digest_len, const struct sign_key *trusted,
		 const char *what, char **ret_err);

/*
 * Hash what fd holds from offset 0 to its end with SHA-256 or SHA-512
 * (*ret_len gets 32 or 64).
 */
int sshsig_hash_fd(int fd, bool sha256,
		   unsigned char ret_digest[crypto_hash_sha512_BYTES],
		   size_t *ret_len);

/*
 * Write the detached signature of the file at path to sig_path (a new
 * file, mode 0600 like the bundle, through sig_path.partial; never over
 * anything).
 */
int sshsig_write_file(const struct sign_key *secret, const char *path,
		      const char *sig_path, char **ret_err);

#endif
