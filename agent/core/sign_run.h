/*
 * Signing and encryption for `rdiag run --sign KEY --encrypt-to PUBKEY`,
 * kept out of cmd_run.c. Encryption fails closed: the plain bundle is
 * written inside the run's private staging directory (removed at exit),
 * encrypted from there to OUT/NAME.age via NAME.age.partial, and only the
 * encrypted file, its sidecar and the signature ever appear in the output
 * directory.
 */
#ifndef RDIAG_SIGN_RUN_H
#define RDIAG_SIGN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sign.h"

struct sign_run {
	struct sign_key sk; /* ed25519-secret when sign */
	struct sign_key pk; /* x25519-public when encrypt */
	bool sign, encrypt;
};

/* Load the keys (either path may be NULL). 0 or a negative errno. */
int sign_run_load(struct sign_run *s, const char *sign_path,
		  const char *encrypt_path, char **ret_err);

/* A bundle_set_signer() callback; arg is the struct sign_run. */
char *sign_run_signer(void *arg, const void *m, size_t len);

/*
 * Write OUT_DIR/BASENAME.sig, the SSHSIG of the finished plain bundle at
 * plain_path (*ret_sig, caller frees). On failure the plain bundle and its
 * sidecar are removed.
 */
int sign_run_sign_file(struct sign_run *s, const char *plain_path,
		       const char *out_dir, char **ret_sig, char **ret_err);

/*
 * Encrypt the finished plain bundle at plain_path into out_dir as
 * BASENAME.age (age format) with a BASENAME.age.sha256 sidecar, then remove the
 * plain bundle and its sidecar. On success *ret_path, *ret_size and ret_sha256
 * describe the encrypted file. On failure nothing is left in out_dir, and
 * the plain bundle is removed as well.
 */
int sign_run_encrypt(struct sign_run *s, const char *plain_path,
		     const char *out_dir, char **ret_path, uint64_t *ret_size,
		     char ret_sha256[65], char **ret_err);

void sign_run_release(struct sign_run *s);

#endif
