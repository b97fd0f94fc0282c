/*
 * Unit tests for the floor under the bundle step's idle CPU class: when
 * the CPU samples say the process is starved (idlewatch_starved), and
 * that a started watch stops at once and reports that it never applied
 * the floor on a machine where this test gets the processor it asks for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/idlewatch.h"

#define MS 1000000ull

static void test_starved(void **state)
{
	uint64_t low[8] = { 0, 1 * MS, 49 * MS, 0, 10 * MS, 0, 0, 0 };
	uint64_t busy[8] = { 0, 0, 0, 0, 50 * MS, 0, 0, 0 };
	uint64_t ok[8] = { 900 * MS, 800 * MS, 1000 * MS, 700 * MS, 950 * MS };

	(void)state;
	/* Fewer samples than the window: never yet. */
	assert_false(idlewatch_starved(low, IDLEWATCH_STARVED_S - 1));
	assert_false(idlewatch_starved(low, 0));
	/* The whole window under 5 % of one processor. */
	assert_true(idlewatch_starved(low, IDLEWATCH_STARVED_S));
	assert_true(idlewatch_starved(low, 8));
	/* One second at the floor inside the window is progress. */
	assert_false(idlewatch_starved(busy, IDLEWATCH_STARVED_S));
	/* ... but not once it has left the window. */
	assert_true(idlewatch_starved(busy, 8) ==
		    (4 < 8 - IDLEWATCH_STARVED_S));
	assert_false(idlewatch_starved(ok, IDLEWATCH_STARVED_S));
}

static void test_start_stop(void **state)
{
	struct idlewatch *w = idlewatch_start();

	(void)state;
	assert_non_null(w);
	assert_int_equal(idlewatch_stop(w), 0);
	assert_int_equal(idlewatch_stop(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starved),
		cmocka_unit_test(test_start_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
