/*
 * `rdiag keygen`: make a key pair for signing bundles (Ed25519) or for
 * encrypting them to a vendor (X25519), in the formats partners' own tools
 * read: OpenSSH keys (ssh-keygen -Y verify) and age keys (age -d). The
 * secret key is written 0600 with O_EXCL and never printed; the public one
 * is what others get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "core/sign.h"
#include "rdiag/i18n.h"

enum {
	OPT_TYPE = 256,
};

static const struct args_opt keygen_opts[] = {
	{ OPT_TYPE, "type", 0, "sign|encrypt", NULL, 0 },
	{ 0 },
};

static const struct args_exit keygen_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_CANTCREAT, "a key file exists or cannot be written" },
	{ -1, NULL },
};

static const struct args_spec keygen_args = {
	.cmd = "keygen",
	.head = "usage: rdiag keygen --type sign|encrypt NAME\n"
		"  writes NAME.key (secret, mode 0600) and NAME.pub (public);\n"
		"  never overwrites an existing file.\n"
		"  sign:    OpenSSH ed25519 key (like ssh-keygen -t ed25519);\n"
		"           run --sign NAME.key, inspect --trust NAME.pub\n"
		"  encrypt: age X25519 identity and recipient (like "
		"age-keygen);\n"
		"           run --encrypt-to NAME.pub, inspect --key "
		"NAME.key\n",
	.opts = { keygen_opts },
	.exits = keygen_exits,
};

static int cmd_keygen(int argc, char **argv)
{
	struct sign_key sec, pub;
	struct args a;
	char *sec_path = NULL, *pub_path = NULL, *err = NULL;
	char desc[SIGN_DESC_MAX], *comment = NULL, *slash;
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
	/* The OpenSSH comment: NAME without its directory. */
	slash = strrchr(argv[rest], '/');
	comment = xstrdup(slash ? slash + 1 : argv[rest]);
	for (char *q = comment; *q; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			*q = '_';
	if (sign_key_save_std(&sec, sec_path, comment, &err) < 0) {
		error_msg("keygen: %s", err);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (sign_key_save_std(&pub, pub_path, comment, &err) < 0) {
		error_msg("keygen: %s", err);
		unlink(sec_path);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	sign_key_describe(&pub, desc);
	printf("secret key: %s (mode 0600; keep it private)\n"
	       "public key: %s (%s, %s %s)\n",
	       sec_path, pub_path, sign_key_kind_name(pub.kind),
	       encrypt ? "age recipient" : "fingerprint", desc);
out:
	sign_key_wipe(&sec);
	sign_key_wipe(&pub);
	free(comment);
	free(sec_path);
	free(pub_path);
	free(err);
	return rc;
}

const struct command cmd_keygen_entry = {
	.name = "keygen",
	.summary = N_("make a key pair for signing or encrypting bundles"),
	.args = &keygen_args,
	.run = cmd_keygen,
};
