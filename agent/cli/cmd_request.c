/*
 * `rdiag request create`: the engineer's side of a signed collection
 * request. Names a ticket, the collectors, the upload target and a
 * validity, signs them with the vendor's Ed25519 key and prints the token
 * (or writes it to a file) for the customer or the agent's request
 * location. `rdiag request show` verifies a token and prints what it asks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "rdiag/i18n.h"
#include "request/request.h"

enum {
	OPT_TICKET = 256,
	OPT_COLLECTORS,
	OPT_UPLOAD,
	OPT_EXPIRES,
	OPT_SIGN_KEY,
	OPT_NOTE,
	OPT_FOR,
	OPT_TRUSTED,
};

static const struct args_opt request_opts[] = {
	{ OPT_TICKET, "ticket", 0, "ID", NULL, 0 },
	{ OPT_COLLECTORS, "collectors", 0, "NAME[,NAME...]", NULL, 0 },
	{ OPT_UPLOAD, "upload", 0, "URL", NULL, 0 },
	{ OPT_EXPIRES, "expires", 0, "DURATION", NULL, 0 },
	{ OPT_SIGN_KEY, "sign-key", 0, "SECRETKEY", NULL, 0 },
	{ OPT_NOTE, "note", 0, "TEXT", NULL, 0 },
	{ OPT_FOR, "for", 0, "AGENT", NULL, 0 },
	{ OPT_TRUSTED, "trusted-keys", 0, "DIR", NULL, 0 },
	{ 'o', "output", 'o', "FILE", NULL, 0 },
	{ 0 },
};

static const struct args_exit request_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "the token or the key is refused" },
	{ EXIT_CANTCREAT, "-o FILE exists or cannot be written" },
	{ -1, NULL },
};

static const struct args_spec request_args = {
	.cmd = "request",
	.head = "usage: rdiag request create --ticket ID --collectors "
		"NAME[,NAME...]\n"
		"           --upload URL --expires 72h --sign-key SECRETKEY\n"
		"           [--note TEXT] [--for AGENT] [-o FILE]\n"
		"       rdiag request show TOKEN|FILE [--trusted-keys DIR]\n"
		"  create prints a signed token (or writes it to FILE, mode "
		"0644,\n"
		"  never over an existing file); --expires takes s, m, h or d "
		"(at\n"
		"  most 30d); --for binds the token to one agent id or host "
		"label\n"
		"  (every other machine refuses it). show verifies a token and "
		"prints\n"
		"  what it asks for.\n",
	.opts = { request_opts },
	.exits = request_exits,
};

static void split_collectors(struct request *rq, const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		rq->collectors =
			xreallocarray(rq->collectors, rq->ncollectors + 2,
				      sizeof(*rq->collectors));
		rq->collectors[rq->ncollectors++] = xstrdup(tok);
		rq->collectors[rq->ncollectors] = NULL;
	}
	free(copy);
}

static int write_token(const char *path, const char *token)
{
	int fd =
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	int r;

	if (fd < 0)
		return -errno;
	if ((r = write_all(fd, token, strlen(token))) == 0)
		r = write_all(fd, "\n", 1);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

static int request_create(struct request *rq, const char *key_path,
			  const char *expires, const char *out)
{
	struct sign_key sk;
	char *token = NULL, *err = NULL;
	int64_t life;
	int rc = 0, r;

	memset(&sk, 0, sizeof(sk));
	if (!rq->ticket || rq->ncollectors == 0 || !rq->upload || !expires ||
	    !key_path)
		return error_usage("request",
				   "create needs --ticket, --collectors, "
				   "--upload, --expires and --sign-key");
	if (request_parse_lifetime(expires, &life) < 0)
		return error_usage("request",
				   "--expires must be like 30m, 72h or 7d "
				   "(at most 30d), not '%s'",
				   expires);
	rq->issued = (int64_t)time(NULL);
	rq->expires = rq->issued + life;
	if (sign_key_load(key_path, SIGN_KEY_SIGN_SECRET, &sk, &err) < 0) {
		error_msg("request: %s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = request_sign(rq, &sk, &token, &err)) < 0) {
		error_msg("request: %s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (out) {
		if ((r = write_token(out, token)) < 0) {
			error_msg("request: cannot create '%s': %s", out,
				  strerror(-r));
			rc = EXIT_CANTCREAT;
			goto out;
		}
		fprintf(stderr, "rdiag: request %s written to '%s'\n", rq->id,
			out);
	} else {
		printf("%s\n", token);
	}
out:
	sign_key_wipe(&sk);
	free(token);
	free(err);
	return rc;
}

static int request_show(const char *arg, const char *dir_opt)
{
	struct request_keyring kr;
	struct request rq;
	enum request_fault f = REQUEST_FAULT_NONE;
	char *token = NULL, *err = NULL, *dir;
	size_t len;
	int rc = 0;

	request_init(&rq);
	memset(&kr, 0, sizeof(kr));
	dir = dir_opt ? xstrdup(dir_opt) : request_trusted_dir(NULL);
	if (request_read_arg(arg, &token, &len, &f, &err) < 0 ||
	    request_keyring_load(&kr, dir, &err) < 0 ||
	    request_verify(token, len, &kr, time(NULL), &rq, &f, &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_DATAERR;
		goto out;
	}
	request_print_summary(stdout, &rq);
out:
	request_keyring_wipe(&kr);
	request_release(&rq);
	free(token);
	free(err);
	free(dir);
	return rc;
}

static int cmd_request(int argc, char **argv)
{
	struct args a;
	int rest;
	struct request rq;
	const char *key = NULL, *expires = NULL, *out = NULL, *trusted = NULL;
	int c, rc = 0;

	request_init(&rq);
	if (argc < 2) {
		rc = error_usage("request", "need create or show");
		goto out;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		args_usage(&request_args, stdout);
		goto out;
	}
	args_init(&a, &request_args, argc, argv, 2);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_TICKET:
			free(rq.ticket);
			rq.ticket = xstrdup(a.value);
			break;
		case OPT_COLLECTORS:
			split_collectors(&rq, a.value);
			break;
		case OPT_UPLOAD:
			free(rq.upload);
			rq.upload = xstrdup(a.value);
			break;
		case OPT_EXPIRES:
			expires = a.value;
			break;
		case OPT_SIGN_KEY:
			key = a.value;
			break;
		case OPT_NOTE:
			free(rq.note);
			rq.note = xstrdup(a.value);
			break;
		case OPT_FOR:
			free(rq.audience);
			rq.audience = xstrdup(a.value);
			break;
		case OPT_TRUSTED:
			trusted = a.value;
			break;
		case 'o':
			out = a.value;
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (strcmp(argv[1], "create") == 0) {
		if (rest < argc) {
			rc = error_usage("request", "unexpected argument '%s'",
					 argv[rest]);
			goto out;
		}
		rc = request_create(&rq, key, expires, out);
	} else if (strcmp(argv[1], "show") == 0) {
		if (argc - rest != 1) {
			rc = error_usage("request",
					 "show needs one TOKEN or FILE");
			goto out;
		}
		rc = request_show(argv[rest], trusted);
	} else {
		static const char *const subs[] = { "create", "show", NULL };
		const char *best = args_closest(argv[1], subs);

		if (best)
			rc = error_usage("request",
					 "unknown subcommand '%s'; did you "
					 "mean '%s'?",
					 argv[1], best);
		else
			rc = error_usage("request", "unknown subcommand '%s'",
					 argv[1]);
	}
out:
	request_release(&rq);
	return rc;
}

const struct command cmd_request_entry = {
	.name = "request",
	.summary =
		N_("create or check a signed collection request (engineers)"),
	.args = &request_args,
	.run = cmd_request,
};
