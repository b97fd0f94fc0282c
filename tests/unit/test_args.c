/*
 * Unit tests for the option tables (cli/args.c): values, operands mixed
 * with options, --help and -h, the usage errors, and the usage text
 * printed from the table (rdiag run's own parsing: test_run_opts.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/args.h"
#include "core/exitcode.h"
#include "harness.h"

enum { OPT_NAME = 256, OPT_FLAG, OPT_SHARED };

static const struct args_opt own_opts[] = {
	{ OPT_NAME, "name", 0, "NAME", "a name,\nsaid on two lines", 0 },
	{ OPT_FLAG, "flag", 0, NULL, "a flag", 0 },
	{ 'o', "out", 'o', "FILE", "where it goes", 0 },
	{ 'v', "verbose", 'v', NULL, "more", ARGS_SHORT_UNLISTED },
	{ 'q', "quiet", 'q', NULL, NULL, 0 }, /* accepted, not listed */
	{ 0 },
};

static const struct args_opt shared_opts[] = {
	{ OPT_SHARED, "a-rather-long-option", 0, "VALUE", "too wide", 0 },
	{ 0 },
};

static const struct args_spec spec = {
	.cmd = "frob",
	.head = "usage: rdiag frob THING [options]\n",
	.opts = { own_opts, shared_opts },
	.column = 16,
	.tail = "That is all.\n",
};

static int print_usage(void *arg)
{
	(void)arg;
	args_usage(&spec, stdout);
	return 0;
}

static void test_usage_from_table(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = harness_capture(1, print_usage, NULL, &rc);
	assert_string_equal(out, "usage: rdiag frob THING [options]\n"
				 "  --name NAME   a name,\n"
				 "                said on two lines\n"
				 "  --flag        a flag\n"
				 "  -o, --out FILE where it goes\n"
				 "  --verbose     more\n"
				 "  --a-rather-long-option VALUE too wide\n"
				 "That is all.\n");
	free(out);
}

/* Parse argv fully; a summary of what was seen, and the end code. */
struct parsed {
	char seen[512];
	int end, rc, rest;
};

struct parse_arg {
	char **argv;
	int argc, first;
	struct parsed *p;
};

static int parse_all(void *arg)
{
	struct parse_arg *pa = arg;
	struct args a;
	int c;

	args_init(&a, &spec, pa->argc, pa->argv, pa->first);
	pa->p->seen[0] = '\0';
	while ((c = args_next(&a)) >= 0) {
		size_t n = strlen(pa->p->seen);

		snprintf(pa->p->seen + n, sizeof(pa->p->seen) - n, "%d=%s;", c,
			 a.value ? a.value : "-");
	}
	pa->p->end = c;
	pa->p->rc = a.rc;
	pa->p->rest = c == ARGS_DONE ? args_rest(&a) : -1;
	return 0;
}

static void test_parse(void **state)
{
	static const struct {
		const char *args[8];
		int first;
		const char *seen;
		int end, rc, rest;
		const char *err; /* stderr, exactly */
		const char *out; /* start of stdout */
	} cases[] = {
		{ { "frob", "--name", "x", "THING", "-o", "f", "--flag" },
		  1,
		  "256=x;111=f;257=-;",
		  ARGS_DONE,
		  0,
		  6,
		  "",
		  "" },
		{ { "frob", "--name=y", "-vq", "--a-rather-long-option", "z" },
		  1,
		  "256=y;118=-;113=-;258=z;",
		  ARGS_DONE,
		  0,
		  5,
		  "",
		  "" },
		{ { "frob", "sub", "--flag", "A" },
		  2,
		  "257=-;",
		  ARGS_DONE,
		  0,
		  3,
		  "",
		  "" },
		{ { "frob", "--name" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: option '--name' needs a value (see 'rdiag help "
		  "frob')\n",
		  "" },
		{ { "frob", "-o" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: option '-o' needs a value (see 'rdiag help frob')\n",
		  "" },
		{ { "frob", "--flag", "--bogus" },
		  1,
		  "257=-;",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '--bogus' (see 'rdiag help frob')\n",
		  "" },
		{ { "frob", "--flag=1" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '--flag=1' (see 'rdiag help frob')\n",
		  "" },
		/* did you mean: a typo, a one-dash long name, a letter */
		{ { "frob", "--flg" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '--flg'; did you mean '--flag'? (see "
		  "'rdiag help frob')\n",
		  "" },
		{ { "frob", "--verbsoe=1" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '--verbsoe=1'; did you mean "
		  "'--verbose'? (see 'rdiag help frob')\n",
		  "" },
		{ { "frob", "--flag", "-name", "x" },
		  1,
		  "257=-;",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '-n'; did you mean '--name'? (see "
		  "'rdiag help frob')\n",
		  "" },
		{ { "frob", "-qx" },
		  1,
		  "113=-;",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '-x' (see 'rdiag help frob')\n",
		  "" },
		{ { "frob", "--zzzzzz" },
		  1,
		  "",
		  ARGS_STOP,
		  EXIT_USAGE,
		  -1,
		  "rdiag: unknown option '--zzzzzz' (see 'rdiag help frob')\n",
		  "" },
		{ { "frob", "--help", "--bogus" },
		  1,
		  "",
		  ARGS_STOP,
		  0,
		  -1,
		  "",
		  "usage: rdiag frob THING" },
		{ { "frob", "x", "-h" },
		  1,
		  "",
		  ARGS_STOP,
		  0,
		  -1,
		  "",
		  "usage: rdiag frob THING" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[9] = { NULL };
		struct parsed p;
		struct parse_arg pa = { argv, 0, cases[i].first, &p };
		char *out, *err;
		int rc;

		for (; cases[i].args[pa.argc]; pa.argc++)
			argv[pa.argc] = (char *)cases[i].args[pa.argc];
		/* stdout inside stderr's capture: both are seen. */
		err = harness_capture(2, parse_all, &pa, &rc);
		assert_string_equal(err, cases[i].err);
		free(err);
		out = harness_capture(1, parse_all, &pa, &rc);
		assert_true(strncmp(out, cases[i].out, strlen(cases[i].out)) ==
			    0);
		assert_true(!*cases[i].out || strlen(out) > 100);
		free(out);
		assert_string_equal(p.seen, cases[i].seen);
		assert_int_equal(p.end, cases[i].end);
		assert_int_equal(p.rc, cases[i].rc);
		assert_int_equal(p.rest, cases[i].rest);
	}
}

/* Edit distance and the closest name, with their limits. */
static void test_closest(void **state)
{
	static const char *const cmds[] = { "diff",   "export",  "inspect",
					    "list",   "request", "run",
					    "upload", NULL };
	static const struct {
		const char *word, *want;
	} cases[] = {
		{ "requst", "request" },  /* a letter left out */
		{ "reqeust", "request" }, /* two swapped */
		{ "inspekt", "inspect" },
		{ "uplaod", "upload" },
		{ "lst", "list" },
		{ "rn", "run" },
		{ "ls", NULL }, /* two edits on a short word */
		{ "frobnicate", NULL },
		{ "run", NULL }, /* exact: none */
		{ "", NULL },
	};

	(void)state;
	assert_int_equal(args_distance("kitten", 6, "sitting"), 3);
	assert_int_equal(args_distance("ab", 2, "ba"), 1);
	assert_int_equal(args_distance("", 0, "abc"), 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = args_closest(cases[i].word, cmds);

		if (!cases[i].want)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_usage_from_table),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
