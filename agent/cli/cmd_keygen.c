/*
 * `rdiag keygen`: make a key pair for signing bundles (Ed25519) or for
 * encrypting them to a vendor (X25519). The secret key is written 0600 with
 * O_EXCL and never printed; the public one is what others get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "core/sign.h"

enum {
	OPT_TYPE = 256,
};

static const struct args_opt keygen_opts[] = {
	{ OPT_TYPE, "type", 0, "sign|encrypt", NULL, 0 },
	{ 0 },
};

static const struct args_spec keygen_args = {
	.cmd = "keygen",
	.head = "usage: rdiag keygen --type sign|encrypt NAME\n"
		"  writes NAME.key (secret, mode 0600) and NAME.pub (public);\n"
		"  never overwrites an existing file.\n"
		"  sign:    ed25519; run --sign NAME.key, inspect --trust "
		"NAME.pub\n"
		"  encrypt: x25519; run --encrypt-to NAME.pub, inspect --key "
		"NAME.key\n",
	.opts = { keygen_opts },
};

static int cmd_keygen(int argc, char **argv)
{
	struct sign_key sec, pub;
	struct args a;
	char *sec_path = NULL, *pub_path = NULL, *err = NULL;
	char fpr[SIGN_FPR_LEN + 1];
	const char *type = NULL;
	bool encrypt;
	int c, rest, rc = 0;

	memset(&sec, 0, sizeof(sec));
	memset(&pub, 0, sizeof(pub));
	args_init(&a, &keygen_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0)
		if (c == OPT_TYPE)
			type = a.value;
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (!type || (strcmp(type, "sign") != 0 && strcmp(type, "encrypt"))) {
		rc = error_usage("keygen", "--type must be sign or encrypt");
		goto out;
	}
	if (argc - rest != 1 || !*argv[rest]) {
		rc = error_usage("keygen", "need exactly one NAME");
		goto out;
	}
	encrypt = strcmp(type, "encrypt") == 0;
	sec_path = xasprintf("%s.key", argv[rest]);
	pub_path = xasprintf("%s.pub", argv[rest]);
	if (access(sec_path, F_OK) == 0 || access(pub_path, F_OK) == 0) {
		error_msg("keygen: '%s' or '%s' already exists; not "
			  "overwriting a key",
			  sec_path, pub_path);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	sign_keypair_new(encrypt, &sec, &pub);
	if (sign_key_save(&sec, sec_path, &err) < 0) {
		error_msg("keygen: %s", err);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (sign_key_save(&pub, pub_path, &err) < 0) {
		error_msg("keygen: %s", err);
		unlink(sec_path);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	sign_fingerprint(pub.key, pub.len, fpr);
	printf("secret key: %s (mode 0600; keep it private)\n"
	       "public key: %s (%s, fingerprint %s)\n",
	       sec_path, pub_path, sign_key_kind_name(pub.kind), fpr);
out:
	sign_key_wipe(&sec);
	sign_key_wipe(&pub);
	free(sec_path);
	free(pub_path);
	free(err);
	return rc;
}

const struct command cmd_keygen_entry = {
	.name = "keygen",
	.summary = "make a key pair for signing or encrypting bundles",
	.args = &keygen_args,
	.run = cmd_keygen,
};
