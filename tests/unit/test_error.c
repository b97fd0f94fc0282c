/*
 * Unit tests for core/error: the first error wins in error_set(), and the
 * one-line reporter prints exactly what users and tests quote.
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

#include "core/error.h"
#include "core/exitcode.h"
#include "harness.h"

static void test_error_set_first_wins(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(error_set(&err, -EINVAL, "bad '%s'", "x"), -EINVAL);
	assert_string_equal(err, "bad 'x'");
	/* A caller on the way out does not hide the cause. */
	assert_int_equal(error_set(&err, -EIO, "cannot read"), -EIO);
	assert_string_equal(err, "bad 'x'");
	free(err);
}

static void test_error_set_null(void **state)
{
	(void)state;
	assert_int_equal(error_set(NULL, -ENOENT, "ignored %d", 1), -ENOENT);
	assert_int_equal(error_set(NULL, 0, "no error code"), 0);
}

static int usage_rc;

static int print_some(void *arg)
{
	(void)arg;
	error_msg("cannot open '%s'", "a b");
	usage_rc = error_usage("upload", "unknown option '%s'", "--x");
	(void)error_usage(NULL, "unknown command '%s'", "frob");
	return 0;
}

static void test_error_lines(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = harness_capture(2, print_some, NULL, &rc);
	assert_string_equal(
		out, "rdiag: cannot open 'a b'\n"
		     "rdiag: unknown option '--x' (see 'rdiag help upload')\n"
		     "rdiag: unknown command 'frob' (see 'rdiag help')\n");
	assert_int_equal(usage_rc, EXIT_USAGE);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_first_wins),
		cmocka_unit_test(test_error_set_null),
		cmocka_unit_test(test_error_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
