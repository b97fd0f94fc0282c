/*
 * `rdiag export BUNDLE --only NAME[,NAME...] -o PART`: a sub-bundle for a
 * level-4 partner (the NAS vendor, the DB admin) holding only the chosen
 * collectors' records and artifacts, their findings, a report of those and
 * a manifest of its own. Nothing of the other collectors goes in: not their
 * facts, not their files, not rdiag.log (which mixes every collector's
 * lines). The source is verified first and copied through a private
 * directory with the same safe extraction as `rdiag extract`.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/review_cli.h"
#include "core/bundle.h"
#include "core/report.h"
#include "core/sign.h"
#include "core/sshsig.h"
#include "platform/fsutil.h"
#include "platform/proc.h"
#include "rdiag/i18n.h"
#include "review/review_dest.h"

enum {
	OPT_ONLY = 256,
	OPT_SIGN,
};

static const struct args_opt export_opts[] = {
	{ OPT_ONLY, "only", 0, "NAME[,NAME...]",
	  "the collectors to keep (required)", 0 },
	{ 'o', "out", 'o', "PART",
	  "the new bundle, ending in .tar.gz or\n"
	  ".tar.zst (a PART.sha256 sidecar is added)",
	  0 },
	{ OPT_SIGN, "sign", 0, "SECRETKEY", "sign the new manifest (ed25519)",
	  0 },
	{ 0 },
};

static const struct args_exit export_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "the bundle is not intact or not trusted" },
	{ EXIT_SOFTWARE, NULL },
	{ EXIT_CANTCREAT, "PART cannot be written" },
	{ EXIT_INTERRUPTED, NULL },
	{ -1, NULL },
};

static const struct args_spec export_args = {
	.cmd = "export",
	.head = "usage: rdiag export BUNDLE --only NAME[,NAME...] -o PART "
		"[options]\n",
	.opts = { export_opts, review_cli_opts },
	.exits = export_exits,
};

static char *export_sign(void *arg, const void *m, size_t len)
{
	return sshsig_sign_buf(arg, m, len);
}

static bool selected(json_t *only, const char *name)
{
	size_t i;
	json_t *v;

	/* A finding without a collector belongs to no part. */
	if (!name)
		return false;
	json_array_foreach(only, i, v)
	{
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

/* "collectors/NAME/..." of a selected collector. */
static bool path_selected(json_t *only, const char *path)
{
	char *name = bundle_path_collector(path);
	bool yes = name && selected(only, name);

	free(name);
	return yes;
}

/* Split PART into directory, base name and compression. */
static int parse_part(const char *part, char **ret_dir, char **ret_base,
		      enum bundle_compress *ret_c)
{
	static const enum bundle_compress comps[] = { BUNDLE_GZIP,
						      BUNDLE_ZSTD };
	char *d = xstrdup(part), *b = xstrdup(part);
	const char *base = basename(b);
	size_t len = strlen(base);
	int r = -EINVAL;

	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		/* ".tar.gz", ".tar.zst" */
		const char *sfx = bundle_suffix(comps[i]);
		size_t sl = strlen(sfx) + 1;

		if (len > sl && base[len - sl] == '.' &&
		    strcmp(base + len - sl + 1, sfx) == 0) {
			*ret_base = xstrndup(base, len - sl);
			*ret_dir = xstrdup(dirname(d));
			*ret_c = comps[i];
			r = 0;
		}
	}
	free(d);
	free(b);
	return r;
}

/*
 * The source's manifest with only the selected collectors and where it
 * came from; *ret_m borrows from r and from *ret_extra and
 * *ret_cols, which the caller frees.
 */
static void sub_manifest(const struct review *r, json_t *only,
			 struct bundle_manifest *ret_m, json_t **ret_extra,
			 struct bundle_manifest_collector **ret_cols)
{
	struct bundle_manifest_collector *cols =
		xcalloc(r->man.ncollectors + 1, sizeof(*cols));
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[sizeof(d) * 2 + 1];
	json_t *extra = json_copy(r->man.extra), *left_out = json_array();
	struct bundle_export_origin origin;
	size_t n = 0;

	*ret_m = r->man;
	for (size_t i = 0; i < r->man.ncollectors; i++)
		if (selected(only, r->man.collectors[i].name))
			cols[n++] = r->man.collectors[i];
		else
			json_array_append_new(
				left_out,
				json_string(r->man.collectors[i].name));
	ret_m->collectors = cols;
	ret_m->ncollectors = n;
	ret_m->files = NULL;
	ret_m->redactions = NULL;
	crypto_hash_sha256(d, (const unsigned char *)r->manifest_text,
			   r->manifest_len);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	origin = (struct bundle_export_origin){
		.bundle = r->top,
		.sha256 = r->sha256,
		.manifest_sha256 = hex,
		.collectors = only,
		.left_out = left_out,
		.redactions = r->redactions,
	};
	json_object_set_new(extra, BUNDLE_EXPORTED_FROM,
			    bundle_export_origin_build(&origin));
	json_decref(left_out);
	ret_m->extra = extra;
	*ret_extra = extra;
	*ret_cols = cols;
}

static char *sub_report(struct review *r, json_t *only, json_t **ret_findings)
{
	struct collector_result *res =
		xcalloc(r->ncollectors + 1, sizeof(*res));
	json_t *fs = json_array(), *f;
	struct verdict v, sub;
	char *text = NULL;
	size_t len = 0, n = 0, i;
	FILE *mf;

	review_verdict(r, &v);
	for (i = 0; i < v.n; i++)
		if (selected(only, v.results[i].collector->name))
			res[n++] = v.results[i];
	json_array_foreach(r->findings, i, f)
	{
		if (selected(only, json_string_value(
					   json_object_get(f, "collector"))))
			json_array_append(fs, f);
	}
	sub = v;
	sub.results = res;
	sub.n = n;
	sub.findings = fs;
	sub.bundle_path = NULL;
	mf = open_memstream(&text, &len);
	if (mf) {
		report_text(mf, &sub, false, true);
		fclose(mf);
	}
	free(res);
	*ret_findings = fs;
	return text ? text : xstrdup("");
}

/* The original findings (unsanitised) of the selected collectors. */
static char *sub_findings(const char *tmp, json_t *only)
{
	char *path = xasprintf("%s/%s", tmp, BUNDLE_FINDINGS), *text;
	json_t *all = json_load_file(path, 0, NULL), *keep = json_array(), *f;
	size_t i;

	json_array_foreach(all, i, f)
	{
		if (selected(only, json_string_value(
					   json_object_get(f, "collector"))))
			json_array_append(keep, f);
	}
	text = json_dumps(keep, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(all);
	json_decref(keep);
	free(path);
	return text;
}

/*
 * PART.sig, the SSHSIG of the whole part; without it the signed part is
 * not written at all (PART and its sidecar are removed).
 */
static int sign_part_file(const struct sign_key *signer, const char *path,
			  char **ret_err)
{
	char *sig = bundle_sig_path(path), *side;
	int r = sshsig_write_file(signer, path, sig, ret_err);

	if (r < 0) {
		side = bundle_sidecar_path(path);
		unlink(path);
		unlink(side);
		free(side);
	}
	free(sig);
	return r;
}

static int write_part(struct review *r, const char *tmp, json_t *only,
		      const char *part, const struct sign_key *signer)
{
	struct bundle *b = NULL;
	char *dir = NULL, *base = NULL, *err = NULL, *path = NULL;
	char *findings = NULL, *report = NULL, sha[65];
	enum bundle_compress comp;
	struct bundle_manifest m;
	struct bundle_manifest_collector *cols = NULL;
	json_t *extra = NULL, *sub_fs = NULL, *p;
	uint64_t size = 0;
	size_t i, nfiles = 0;
	int rc = 0, q = 0;

	if (parse_part(part, &dir, &base, &comp) < 0) {
		rc = error_usage("export",
				 "-o must name a .tar.gz or .tar.zst file, "
				 "not '%s'",
				 part);
		goto out;
	}
	if ((q = bundle_open(dir, base, comp, NULL, &b, &err)) < 0)
		goto fail;
	if (signer)
		bundle_set_signer(b, export_sign, (void *)signer);
	json_array_foreach(r->paths, i, p)
	{
		const char *rel = json_string_value(p);
		char *src;

		if (!path_selected(only, rel))
			continue;
		src = xasprintf("%s/%s", tmp, rel);
		q = bundle_add_file(b, rel, src, false, &err);
		free(src);
		if (q < 0)
			goto fail;
		nfiles++;
	}
	findings = sub_findings(tmp, only);
	report = sub_report(r, only, &sub_fs);
	if (!findings) {
		q = -ENOMEM;
		goto fail;
	}
	if ((q = bundle_add_data(b, BUNDLE_FINDINGS, findings, strlen(findings),
				 &err)) < 0 ||
	    (q = bundle_add_data(b, BUNDLE_REPORT, report, strlen(report),
				 &err)) < 0)
		goto fail;
	sub_manifest(r, only, &m, &extra, &cols);
	q = bundle_close(b, &m, &path, &size, sha, &err);
	b = NULL;
	if (q < 0)
		goto fail;
	if (signer && (q = sign_part_file(signer, path, &err)) < 0)
		goto fail;
	printf("wrote %s (%zu collector files, %zu findings%s)\nSHA-256: %s\n",
	       path, nfiles, json_array_size(sub_fs), signer ? ", signed" : "",
	       sha);
	if (signer) {
		char *sig = bundle_sig_path(path);

		printf("signature: %s (ssh-keygen -Y verify -n %s)\n", sig,
		       SSHSIG_NAMESPACE);
		free(sig);
	}
	goto out;
fail:
	bundle_abort(b);
	error_msg("export: cannot write '%s': %s", part,
		  err ? err : strerror(-q));
	rc = q == -EEXIST || q == -EACCES || q == -ENOSPC || q == -ENOENT ||
			     q == -EROFS
		     ? EXIT_CANTCREAT
		     : EXIT_SOFTWARE;
out:
	json_decref(extra);
	free(cols);
	json_decref(sub_fs);
	free(findings);
	free(report);
	free(dir);
	free(base);
	free(err);
	free(path);
	return rc;
}

static int parse_only(const char *list, json_t *only)
{
	char *copy = xstrdup(list), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!selected(only, tok))
			json_array_append_new(only, json_string(tok));
	free(copy);
	return json_array_size(only) > 0 ? 0 : -EINVAL;
}

/* The export itself; runs in the child (see export_in_child). */
static int export_work(struct review_cli *cli, const char *bundle,
		       const char *tree, json_t *only, const char *part,
		       const struct sign_key *signer)
{
	struct review_dest *dest = NULL;
	struct review *r = NULL;
	char *err = NULL;
	json_t *v;
	size_t i;
	int rc;

	if (review_dest_open(tree, &dest, &err) < 0) {
		error_msg("export: %s", err);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if ((rc = review_cli_open(cli, bundle, review_dest_sink(dest), &r,
				  NULL)) != 0)
		goto out;
	json_array_foreach(only, i, v)
	{
		if (!review_collector_find(r, json_string_value(v))) {
			rc = error_usage("export",
					 "collector '%s' is not in '%s'",
					 json_string_value(v), bundle);
			goto out;
		}
	}
	rc = write_part(r, tree, only, part, signer);
out:
	review_free(r);
	review_dest_free(dest);
	free(err);
	return rc;
}

static volatile sig_atomic_t export_child;

static void export_forward(int sig)
{
	if (export_child > 0)
		kill((pid_t)export_child, sig);
}

/*
 * Run the export in a child and clean up after it whatever happens to
 * it: the parent only waits, forwarding Ctrl-C and SIGTERM, so a crash, a
 * signal or an abort in the child can never leave the extracted copy or
 * a half-written part behind (the caller removes the directory).
 */
struct export_job {
	struct review_cli *cli;
	const char *bundle, *tree, *part;
	json_t *only;
	const struct sign_key *signer;
};

static int export_child_fn(void *arg)
{
	struct export_job *j = arg;

	/* A background job starts with SIGINT ignored: the child must die
	 * of the signals the parent forwards. */
	proc_child_reset_signals();
	return export_work(j->cli, j->bundle, j->tree, j->only, j->part,
			   j->signer);
}

static int export_in_child(struct review_cli *cli, const char *bundle,
			   const char *tree, json_t *only, const char *part,
			   const struct sign_key *signer)
{
	struct export_job job = { cli, bundle, tree, part, only, signer };
	int code = 0, r, sig;
	pid_t pid;

	if ((r = proc_spawn_fn(export_child_fn, &job, &pid)) < 0) {
		error_msg("export: cannot start: %s", strerror(-r));
		return EXIT_SOFTWARE;
	}
	export_child = pid;
	proc_catch_stop_signals(export_forward);
	r = proc_wait(pid, &code);
	export_child = 0;
	if (r < 0) {
		error_msg("export: cannot wait: %s", strerror(-r));
		return EXIT_SOFTWARE;
	}
	/*
	 * proc_wait gives 128 + the signal for a child a signal ended; the
	 * export itself only exits with 0 and the codes of rdiag(1), none
	 * above 128 but 130, which only SIGINT produces here.
	 */
	if (code <= 128 || (code != EXIT_INTERRUPTED && code > 128 + 64))
		return code;
	sig = code - 128;
	/* Killed: its bundle writer could not remove its own .partial. */
	{
		char *p = xasprintf("%s%s", part, BUNDLE_PARTIAL_SUFFIX);
		char *s = xasprintf("%s%s%s", part, BUNDLE_SIDECAR_SUFFIX,
				    BUNDLE_PARTIAL_SUFFIX);

		(void)unlink(p);
		(void)unlink(s);
		free(p);
		free(s);
	}
	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
		error_msg("export: interrupted; nothing was written");
		return EXIT_INTERRUPTED;
	}
	error_msg("export: failed (signal %d); nothing was written", sig);
	return EXIT_SOFTWARE;
}

static int cmd_export(int argc, char **argv)
{
	struct args a;
	int rest;
	struct review_cli cli;
	struct sign_key signer;
	const char *part = NULL, *sign_path = NULL;
	char *tmp = NULL, *tree = NULL, *err = NULL, *dir = NULL;
	json_t *only = json_array();
	int c, rc = 0;

	memset(&signer, 0, sizeof(signer));
	review_cli_init(&cli, "export");
	args_init(&a, &export_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_ONLY:
			if (parse_only(a.value, only) < 0) {
				rc = error_usage(
					"export",
					"--only needs at least one name");
				goto out;
			}
			break;
		case 'o':
			part = a.value;
			break;
		case OPT_SIGN:
			sign_path = a.value;
			break;
		default:
			review_cli_option(&cli, c, a.value);
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = a.rc;
		goto out;
	}
	rest = args_rest(&a);
	if (argc - rest != 1 || !part || json_array_size(only) == 0) {
		rc = error_usage("export", "need BUNDLE, --only and -o");
		goto out;
	}
	if ((rc = review_cli_load_keys(&cli)) != 0)
		goto out;
	if (sign_path) {
		if (sign_key_load(sign_path, SIGN_KEY_SIGN_SECRET, &signer,
				  &err) < 0) {
			error_msg("export: %s", err);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	/*
	 * A private directory (0700, under $TMPDIR), never beside the part:
	 * the extracted copy of the customer's bundle must not sit in the
	 * partner's directory, not even for a moment.
	 */
	{
		const char *t = getenv("TMPDIR");

		dir = xstrdup(t && t[0] == '/' ? t : "/tmp");
	}
	tmp = xasprintf("%s/rdiag-export-XXXXXX", dir);
	if (!mkdtemp(tmp)) {
		error_msg("export: cannot create a directory in '%s': %s", dir,
			  strerror(errno));
		free(tmp);
		tmp = NULL;
		rc = EXIT_CANTCREAT;
		goto out;
	}
	tree = xasprintf("%s/b", tmp);
	rc = export_in_child(&cli, argv[rest], tree, only, part,
			     sign_path ? &signer : NULL);
out:
	if (tmp && fs_remove_tree(tmp) < 0)
		error_msg("export: cannot remove '%s', ignoring", tmp);
	review_cli_release(&cli);
	sign_key_wipe(&signer);
	json_decref(only);
	free(tmp);
	free(tree);
	free(dir);
	free(err);
	return rc;
}

const struct command cmd_export_entry = {
	.name = "export",
	.summary = N_("write a sub-bundle holding only some collectors"),
	.args = &export_args,
	.run = cmd_export,
};
