/*
 * Keys for bundles and the formats rdiag 0.1 wrote. struct sign_key holds
 * an Ed25519 (signing) or X25519 (encryption) key whatever file it came
 * from; sign_key_load() reads OpenSSH and age key files (core/sshsig.h,
 * core/age.h) as well as the older rdiag-key/1, and sign_key_save_std()
 * writes the former. Bundles are now signed with SSHSIG and encrypted with
 * age; the rdiag-sig/1 manifest signature and the RDIAGENC1 encrypted file
 * (a crypto_box_seal'ed key, then XChaCha20-Poly1305 secretstream chunks)
 * are still verified and decrypted here so bundles made by rdiag 0.1 stay
 * readable for a release; their writers remain only for those tests.
 * docs/review.md documents every format.
 *
 * Functions return 0 or a negative errno; on failure *ret_err (when not
 * NULL) gets a message for the user that the caller frees, unless it
 * already held one (the first error wins; see error_set()).
 */
#ifndef RDIAG_SIGN_H
#define RDIAG_SIGN_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sign_key_kind {
	SIGN_KEY_SIGN_SECRET,    /* Ed25519 secret key (64 bytes) */
	SIGN_KEY_SIGN_PUBLIC,    /* Ed25519 public key (32 bytes) */
	SIGN_KEY_ENCRYPT_SECRET, /* X25519 secret key (32 bytes) */
	SIGN_KEY_ENCRYPT_PUBLIC, /* X25519 public key (32 bytes) */
};

/* Large enough for every kind. */
#define SIGN_KEY_MAX 64

struct sign_key {
	enum sign_key_kind kind;
	size_t len;
	unsigned char key[SIGN_KEY_MAX];
	/* X25519 public key derived from a secret one (decryption needs it). */
	unsigned char pub[crypto_box_PUBLICKEYBYTES];
};

/* The first bytes of an encrypted bundle. */
#define SIGN_ENC_MAGIC     "RDIAGENC1\n"
#define SIGN_ENC_MAGIC_LEN 10
/* Plain bytes per secretstream chunk. */
#define SIGN_ENC_CHUNK (64 * 1024)
/* Hex digits of a key fingerprint (SHA-256 prefix of the public key). */
#define SIGN_FPR_LEN 16

/* "ed25519-secret", ... as written on the first line of a key file. */
const char *sign_key_kind_name(enum sign_key_kind k);

/* Generate a key pair of the signing (Ed25519) or encryption (X25519) kind. */
void sign_keypair_new(bool encrypt, struct sign_key *ret_secret,
		      struct sign_key *ret_public);

/*
 * Write a key file in rdiag-key/1 (read for compatibility; keygen writes
 * sign_key_save_std()'s formats): secret keys with O_EXCL and mode 0600, public
 * ones with O_EXCL and mode 0644; never over an existing file or a link.
 */
int sign_key_save(const struct sign_key *k, const char *path, char **ret_err);

/*
 * Write a key file in the format other tools read: an ed25519 secret key
 * as an OpenSSH "openssh-key-v1" file, its public key as an
 * "ssh-ed25519 ... COMMENT" line; an x25519 secret key as an age identity
 * file (with the "# public key: age1..." comment), its public key as an
 * age1 recipient line. Modes and O_EXCL as sign_key_save().
 */
int sign_key_save_std(const struct sign_key *k, const char *path,
		      const char *comment, char **ret_err);

/* How a person names a key: "SHA256:..." for Ed25519, "age1..." else. */
#define SIGN_DESC_MAX 80
void sign_key_describe(const struct sign_key *k, char ret[SIGN_DESC_MAX]);

/*
 * Read a key file of the wanted kind, in any format rdiag knows: OpenSSH
 * (private key, public key line or a one-key allowed_signers file), age
 * (identity or recipient file) or rdiag-key/1. A key of another kind is
 * named before anything else is checked. Secret keys must not be readable by
 * group or others. The buffers holding the file are wiped. For an
 * x25519-public key, a path that does not exist but reads "age1..." is
 * taken as the recipient itself (as age -r takes it).
 */
int sign_key_load(const char *path, enum sign_key_kind want,
		  struct sign_key *ret, char **ret_err);

/* Wipe a key. */
void sign_key_wipe(struct sign_key *k);

/* Fingerprint of a public key: SIGN_FPR_LEN hex digits + NUL. */
void sign_fingerprint(const unsigned char *pub, size_t len,
		      char ret[SIGN_FPR_LEN + 1]);

/*
 * The manifest.sig text for manifest bytes m (one line:
 * "rdiag-sig/1 ed25519 <public key hex> <signature hex>\n"); caller frees.
 */
char *sign_manifest(const struct sign_key *secret, const void *m, size_t len);

/*
 * Check a manifest.sig text against manifest bytes. trusted may be NULL:
 * then any valid signature passes (integrity only). On success
 * ret_fpr gets the signer's fingerprint.
 */
int sign_verify_manifest(const char *sig, size_t sig_len, const void *m,
			 size_t m_len, const struct sign_key *trusted,
			 char ret_fpr[SIGN_FPR_LEN + 1], char **ret_err);

/* Does this head of a file start with SIGN_ENC_MAGIC? */
bool sign_is_encrypted(const void *head, size_t len);

/*
 * Encrypt in_fd (read to its end) to out_fd for recipient (an
 * encryption public key).
 */
int sign_encrypt_fd(const struct sign_key *recipient, int in_fd, int out_fd,
		    char **ret_err);

/*
 * Decrypt in_fd to out_fd with an encryption secret key, writing at most
 * max_out bytes. A wrong key, a changed byte, a truncated or extended file
 * all fail; out_fd then holds a partial plaintext that the caller must
 * discard.
 */
int sign_decrypt_fd(const struct sign_key *secret, int in_fd, int out_fd,
		    uint64_t max_out, char **ret_err);

#endif
