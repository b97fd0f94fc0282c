/*
 * `rdiag diff OLD NEW`: did the customer's fix work? Both bundles are
 * verified first; then findings that appeared, disappeared or changed
 * severity, facts that changed, and collectors whose status changed.
 * Findings are matched by collector and id (the n-th finding with the same
 * id matches the n-th), facts by collector and key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/review_cli.h"
#include "core/bundle_format.h"
#include "rdiag/i18n.h"

enum {
	OPT_JSON = 256,
};

static const struct args_opt diff_opts[] = {
	{ OPT_JSON, "json", 0, NULL, "print the differences as one JSON object",
	  0 },
	{ 0 },
};

static const struct args_exit diff_exits[] = {
	{ EXIT_CLEAN, "compared (whatever the differences)" },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "a bundle is not intact or not trusted" },
	{ EXIT_SOFTWARE, NULL },
	{ EXIT_CANTCREAT, "no space for a decrypted copy" },
	{ -1, NULL },
};

static const struct args_spec diff_args = {
	.cmd = "diff",
	.head = "usage: rdiag diff OLD NEW [options]\n",
	.opts = { diff_opts, review_cli_opts },
	.exits = diff_exits,
};

static const char *fstr(json_t *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f, key));

	return s ? s : "";
}

/* collector/id#n -> finding; collector/key -> value. */
static json_t *finding_index(const struct review *r)
{
	json_t *idx = json_object(), *count = json_object(), *f;
	size_t i;

	json_array_foreach(r->findings, i, f)
	{
		char *base =
			xasprintf("%s/%s", fstr(f, "collector"), fstr(f, "id"));
		json_int_t n = json_integer_value(json_object_get(count, base));
		char *key = xasprintf("%s#%lld", base, (long long)n);

		json_object_set_new(count, base, json_integer(n + 1));
		json_object_set(idx, key, f);
		free(key);
		free(base);
	}
	json_decref(count);
	return idx;
}

static json_t *fact_index(const struct review *r)
{
	json_t *idx = json_object(), *f;
	size_t k;

	for (size_t i = 0; i < r->ncollectors; i++) {
		json_array_foreach(r->collectors[i].facts, k, f)
		{
			char *key = xasprintf("%s/%s", r->collectors[i].name,
					      fstr(f, "key"));

			/* A repeated key: the last value is what held. */
			json_object_set(idx, key, json_object_get(f, "value"));
			free(key);
		}
	}
	return idx;
}

static json_t *finding_brief(json_t *f)
{
	return json_pack(
		"{s:s, s:s, s:s, s:O?, s:s}", "collector", fstr(f, "collector"),
		"id", fstr(f, "id"), "severity", fstr(f, "severity"), "level",
		json_object_get(f, "level"), "title", fstr(f, "title"));
}

static bool is_problem(json_t *f)
{
	return strcmp(fstr(f, "severity"), "warn") == 0 ||
	       strcmp(fstr(f, "severity"), "fail") == 0;
}

/* Names of r's collectors that other does not have. */
static json_t *only_in(const struct review *r, const struct review *other)
{
	json_t *names = json_array();

	for (size_t i = 0; i < r->ncollectors; i++)
		if (!review_collector_find(other, r->collectors[i].name))
			json_array_append_new(
				names, json_string(r->collectors[i].name));
	return names;
}

static bool listed(json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v)
	{
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

/*
 * Drop from idx what belongs to a collector in absent: a collector that
 * one side does not have (a part made by export, --only) is not compared,
 * so its findings are neither "gone" nor "new". Keys are "collector/...".
 */
static void drop_absent(json_t *idx, json_t *absent)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(idx, tmp, key, v)
	{
		const char *slash = strchr(key, '/');
		char *col = slash ? xstrndup(key, (size_t)(slash - key)) : NULL;

		if (col && listed(absent, col))
			json_object_del(idx, key);
		free(col);
	}
}

/* Was r made by `rdiag export` (a part of another bundle)? */
static bool is_part(const struct review *r)
{
	struct bundle_export_origin o;
	char *err = NULL;
	int k = bundle_export_origin_read(&r->man, &o, &err);

	free(err);
	return k != 0;
}

static json_t *diff_build(const struct review *a, const struct review *b)
{
	json_t *fa = finding_index(a), *fb = finding_index(b);
	json_t *xa = fact_index(a), *xb = fact_index(b);
	json_t *appeared = json_array(), *gone = json_array();
	json_t *changed = json_array(), *facts = json_array();
	json_t *cols = json_array(), *f, *g;
	json_t *only_old = only_in(a, b), *only_new = only_in(b, a);
	const char *key;

	drop_absent(fa, only_old);
	drop_absent(xa, only_old);
	drop_absent(fb, only_new);
	drop_absent(xb, only_new);
	json_object_foreach(fb, key, f)
	{
		if (!(g = json_object_get(fa, key)))
			json_array_append_new(appeared, finding_brief(f));
		else if (strcmp(fstr(f, "severity"), fstr(g, "severity")) != 0)
			json_array_append_new(
				changed,
				json_pack("{s:s, s:s, s:s, s:s, s:s}",
					  "collector", fstr(f, "collector"),
					  "id", fstr(f, "id"), "title",
					  fstr(f, "title"), "old",
					  fstr(g, "severity"), "new",
					  fstr(f, "severity")));
	}
	json_object_foreach(fa, key, f)
	{
		if (!json_object_get(fb, key))
			json_array_append_new(gone, finding_brief(f));
	}
	json_object_foreach(xb, key, f)
	{
		g = json_object_get(xa, key);
		if (!g || !json_equal(f, g))
			json_array_append_new(
				facts, json_pack("{s:s, s:O?, s:O}", "fact",
						 key, "old", g, "new", f));
	}
	json_object_foreach(xa, key, f)
	{
		if (!json_object_get(xb, key))
			json_array_append_new(
				facts, json_pack("{s:s, s:O, s:n}", "fact", key,
						 "old", f, "new"));
	}
	for (size_t i = 0; i < b->ncollectors; i++) {
		const struct review_collector *cb = &b->collectors[i];
		const struct review_collector *ca =
			review_collector_find(a, cb->name);

		/* One side only: in only_in_old/only_in_new instead. */
		if (ca && strcmp(ca->status, cb->status) != 0)
			json_array_append_new(
				cols, json_pack("{s:s, s:s, s:s}", "name",
						cb->name, "old", ca->status,
						"new", cb->status));
	}
	json_decref(fa);
	json_decref(fb);
	json_decref(xa);
	json_decref(xb);
	return json_pack("{s:s, s:{s:s, s:s, s:b}, s:{s:s, s:s, s:b}, s:o, "
			 "s:o, s:o, s:o, s:o, s:o, s:o}",
			 "format", BUNDLE_FORMAT_DIFF, "old", "bundle", a->path,
			 "sha256", a->sha256, "partial", is_part(a), "new",
			 "bundle", b->path, "sha256", b->sha256, "partial",
			 is_part(b), "appeared", appeared, "disappeared", gone,
			 "severity_changed", changed, "facts_changed", facts,
			 "collectors_changed", cols, "only_in_old", only_old,
			 "only_in_new", only_new);
}

static void print_findings(const char *heading, json_t *list)
{
	size_t i;
	json_t *f;

	if (json_array_size(list) == 0)
		return;
	printf("\n%s (%zu):\n", heading, json_array_size(list));
	json_array_foreach(list, i, f)
	{
		printf("  %-4s  %s  [%s %s]\n", fstr(f, "severity"),
		       fstr(f, "title"), fstr(f, "collector"), fstr(f, "id"));
	}
}

static const char *val_str(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "(absent)";
}

/* The collectors only the side bundle has, when there are any. */
static void print_absent(json_t *d, const char *side, const char *other)
{
	char key[16];
	json_t *names, *v;
	size_t i;

	snprintf(key, sizeof(key), "only_in_%s", side);
	names = json_object_get(d, key);
	if (json_array_size(names) == 0)
		return;
	printf("\nCollectors absent from the %s bundle%s, not compared "
	       "(%zu):\n ",
	       other,
	       json_is_true(
		       json_object_get(json_object_get(d, other), "partial"))
		       ? " (a part made by rdiag export)"
		       : "",
	       json_array_size(names));
	json_array_foreach(names, i, v)
		printf("%s %s", i ? "," : "", json_string_value(v));
	putchar('\n');
}

static void print_diff(json_t *d)
{
	json_t *appeared = json_object_get(d, "appeared");
	json_t *gone = json_object_get(d, "disappeared");
	json_t *changed = json_object_get(d, "severity_changed");
	json_t *facts = json_object_get(d, "facts_changed");
	json_t *cols = json_object_get(d, "collectors_changed"), *f;
	size_t i, fixed = 0, new_problems = 0, absent;

	printf("Comparing %s\n     with %s\n",
	       json_string_value(
		       json_object_get(json_object_get(d, "old"), "bundle")),
	       json_string_value(
		       json_object_get(json_object_get(d, "new"), "bundle")));
	json_array_foreach(gone, i, f) fixed += is_problem(f);
	json_array_foreach(appeared, i, f) new_problems += is_problem(f);
	json_array_foreach(changed, i, f)
	{
		bool was = strcmp(fstr(f, "old"), "warn") == 0 ||
			   strcmp(fstr(f, "old"), "fail") == 0;
		bool now = strcmp(fstr(f, "new"), "warn") == 0 ||
			   strcmp(fstr(f, "new"), "fail") == 0;

		fixed += was && !now;
		new_problems += now && !was;
	}
	absent = json_array_size(json_object_get(d, "only_in_old")) +
		 json_array_size(json_object_get(d, "only_in_new"));
	if (json_array_size(appeared) + json_array_size(gone) +
		    json_array_size(changed) + json_array_size(facts) +
		    json_array_size(cols) + absent ==
	    0) {
		printf("\nNo differences in findings, facts or collectors.\n");
		return;
	}
	printf("\n%zu problem%s gone, %zu new problem%s%s.\n", fixed,
	       fixed == 1 ? "" : "s", new_problems,
	       new_problems == 1 ? "" : "s",
	       absent ? " in the collectors both bundles have" : "");
	print_absent(d, "old", "new");
	print_absent(d, "new", "old");
	print_findings("Findings that disappeared", gone);
	print_findings("Findings that appeared", appeared);
	if (json_array_size(changed) > 0) {
		printf("\nFindings whose severity changed (%zu):\n",
		       json_array_size(changed));
		json_array_foreach(changed, i, f)
			printf("  %s -> %s  %s  [%s %s]\n", fstr(f, "old"),
			       fstr(f, "new"), fstr(f, "title"),
			       fstr(f, "collector"), fstr(f, "id"));
	}
	if (json_array_size(cols) > 0) {
		printf("\nCollectors whose status changed (%zu):\n",
		       json_array_size(cols));
		json_array_foreach(cols, i, f)
			printf("  %-16s %s -> %s\n", fstr(f, "name"),
			       val_str(json_object_get(f, "old")),
			       val_str(json_object_get(f, "new")));
	}
	if (json_array_size(facts) > 0) {
		printf("\nFacts that changed (%zu):\n", json_array_size(facts));
		json_array_foreach(facts, i, f)
		{
			json_t *o = json_object_get(f, "old");
			json_t *n = json_object_get(f, "new");

			printf("  %s: %s -> %s\n", fstr(f, "fact"),
			       json_is_string(o) ? json_string_value(o)
						 : "(absent)",
			       json_is_string(n) ? json_string_value(n)
						 : "(absent)");
		}
	}
}

static int cmd_diff(int argc, char **argv)
{
	struct args args;
	int rest;
	struct review_cli cli;
	struct review *a = NULL, *b = NULL;
	bool json = false;
	json_t *d = NULL;
	int c, rc = 0;

	review_cli_init(&cli, "diff");
	args_init(&args, &diff_args, argc, argv, 1);
	while ((c = args_next(&args)) >= 0) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		default:
			review_cli_option(&cli, c, args.value);
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = args.rc;
		goto out;
	}
	rest = args_rest(&args);
	if (argc - rest != 2) {
		rc = error_usage("diff", "need OLD and NEW bundles");
		goto out;
	}
	if ((rc = review_cli_load_keys(&cli)) != 0 ||
	    (rc = review_cli_open(&cli, argv[rest], NULL, &a, NULL)) != 0 ||
	    (rc = review_cli_open(&cli, argv[rest + 1], NULL, &b, NULL)) != 0)
		goto out;
	d = diff_build(a, b);
	if (json) {
		json_dumpf(d, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
	} else {
		print_diff(d);
	}
out:
	fflush(stdout);
	json_decref(d);
	review_free(a);
	review_free(b);
	review_cli_release(&cli);
	return rc;
}

const struct command cmd_diff_entry = {
	.name = "diff",
	.summary = N_("compare two bundles: findings, facts and collectors"),
	.args = &diff_args,
	.run = cmd_diff,
};
