/*
 * Shared option handling and error reporting of the reviewing commands
 * (see review_cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/review_cli.h"

void review_cli_init(struct review_cli *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
}

const struct args_opt review_cli_opts[] = {
	{ REVIEW_CLI_OPT_KEY, "key", 0, "SECRETKEY",
	  "decrypt an encrypted bundle with this\n"
	  "x25519 secret key (rdiag keygen)",
	  0 },
	{ REVIEW_CLI_OPT_TRUST, "trust", 0, "PUBKEY",
	  "require a valid signature by this ed25519\n"
	  "public key",
	  0 },
	{ 0 },
};

bool review_cli_option(struct review_cli *c, int opt, const char *value)
{
	switch (opt) {
	case REVIEW_CLI_OPT_KEY:
		c->key_path = value;
		return true;
	case REVIEW_CLI_OPT_TRUST:
		c->trust_path = value;
		return true;
	default:
		return false;
	}
}

int review_cli_load_keys(struct review_cli *c)
{
	char *err = NULL;

	if (c->key_path) {
		if (sign_key_load(c->key_path, SIGN_KEY_ENCRYPT_SECRET, &c->key,
				  &err) < 0)
			goto bad;
		c->have_key = true;
	}
	if (c->trust_path) {
		if (sign_key_load(c->trust_path, SIGN_KEY_SIGN_PUBLIC,
				  &c->trust, &err) < 0)
			goto bad;
		c->have_trust = true;
	}
	return 0;
bad:
	error_msg("%s: %s", c->cmd, err);
	free(err);
	return EXIT_USAGE;
}

int review_cli_open(struct review_cli *c, const char *path,
		    const struct review_sink *sink, struct review **ret,
		    char **ret_reason)
{
	struct review_opts o = {
		.key = c->have_key ? &c->key : NULL,
		.trust = c->have_trust ? &c->trust : NULL,
		.sink = sink,
	};
	char *err = NULL;
	int r;

	/*
	 * With a sink, a first pass verifies without writing anything, so a
	 * hostile bundle is refused before its first byte lands on disk; the
	 * second pass writes and verifies again (the file may have changed).
	 */
	if (sink) {
		struct review_opts dry = o;
		struct review *first = NULL;

		dry.sink = NULL;
		r = review_open(path, &dry, &first, &err);
		review_free(first);
		if (r == 0)
			r = review_open(path, &o, ret, &err);
	} else {
		r = review_open(path, &o, ret, &err);
	}
	if (r == 0)
		return 0;
	error_msg("%s: '%s' refused: %s", c->cmd, path,
		  err ? err : strerror(-r));
	if (ret_reason)
		*ret_reason = err ? err : xstrdup(strerror(-r));
	else
		free(err);
	if (review_err_is_input(r))
		return EXIT_DATAERR;
	if (r == -ENOSPC || r == -EEXIST || r == -ENOTEMPTY || r == -EROFS ||
	    r == -EDQUOT || r == -ENOTDIR || r == -EIO)
		return EXIT_CANTCREAT;
	return EXIT_SOFTWARE;
}

void review_cli_release(struct review_cli *c)
{
	sign_key_wipe(&c->key);
	sign_key_wipe(&c->trust);
}
