/*
 * Unit tests for the floor under the bundle step's idle CPU class: when
 * the CPU samples say the process is starved (idlewatch_count), and
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

/* The count after each of secs[0..n): when the floor would apply. */
static unsigned floor_after(const uint64_t *secs, unsigned n)
{
	unsigned starved = 0;

	for (unsigned i = 0; i < n; i++)
		if ((starved = idlewatch_count(starved, secs[i])) >=
		    IDLEWATCH_STARVED_S)
			return i + 1;
	return 0;
}

static void test_count(void **state)
{
	uint64_t low[8] = { 0, 1 * MS, 49 * MS, 0, 10 * MS, 0, 0, 0 };
	uint64_t late[8] = { 900 * MS, 0, 0, 0, 50 * MS, 0, 0, 0 };
	uint64_t ok[5] = { 900 * MS, 800 * MS, 1000 * MS, 700 * MS, 950 * MS };

	(void)state;
	/* Under 5 % of one processor five seconds in a row: at the fifth. */
	assert_int_equal(floor_after(low, 8), IDLEWATCH_STARVED_S);
	assert_int_equal(floor_after(low, IDLEWATCH_STARVED_S - 1), 0);
	/* A second at the floor is progress and starts the count again. */
	assert_int_equal(floor_after(late, 8), 0);
	assert_int_equal(idlewatch_count(4, 50 * MS), 0);
	assert_int_equal(idlewatch_count(4, 50 * MS - 1), 5);
	assert_int_equal(floor_after(ok, 5), 0);
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
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_start_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
