/*
 * Unit tests for the one duration grammar (parse_duration) and the one
 * civil-date helper (days_from_civil), and for `run --since`, which reads
 * both.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "cli/run_opts.h"
#include "rdiag/util.h"

#define DAY 86400ULL

static void test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		unsigned long long min, max;
		int r;
		unsigned long long v;
	} cases[] = {
		/* every form some option or key accepted before */
		{ "90", 1, DAY, 0, 90 },
		{ "90s", 1, DAY, 0, 90 },
		{ "15m", 1, DAY, 0, 900 },
		{ "1h", 1, DAY, 0, 3600 },
		{ "1h30m", 1, DAY, 0, 5400 },
		{ "2h0m5s", 1, DAY, 0, 7205 },
		{ "2d", 1, 7 * DAY, 0, 2 * DAY },
		{ "1d12h", 1, 7 * DAY, 0, 36 * 3600 },
		{ "007m", 1, DAY, 0, 420 },
		/* the bounds are on the total */
		{ "86400", 1, DAY, 0, DAY },
		{ "1d", 1, DAY, 0, DAY },
		{ "1d1s", 1, DAY, -ERANGE, 0 },
		{ "24h1s", 1, DAY, -ERANGE, 0 },
		{ "0", 1, DAY, -ERANGE, 0 },
		{ "0s", 1, DAY, -ERANGE, 0 },
		{ "0", 0, DAY, 0, 0 },
		/* overflow is out of range, not a wrap-around */
		{ "18446744073709551615", 1, ULLONG_MAX, 0, ULLONG_MAX },
		{ "18446744073709551616", 1, ULLONG_MAX, -ERANGE, 0 },
		{ "99999999999999999999999", 1, ULLONG_MAX, -ERANGE, 0 },
		{ "213503982334602d", 1, ULLONG_MAX, -ERANGE, 0 },
		{ "5124095576030432h", 1, ULLONG_MAX, -ERANGE, 0 },
		{ "18446744073709551615s1s", 1, ULLONG_MAX, -ERANGE, 0 },
		/* garbage */
		{ "", 1, DAY, -EINVAL, 0 },
		{ "h", 1, DAY, -EINVAL, 0 },
		{ "1x", 1, DAY, -EINVAL, 0 },
		{ "1h30", 1, DAY, -EINVAL, 0 },
		{ "-5", 1, DAY, -EINVAL, 0 },
		{ "+5", 1, DAY, -EINVAL, 0 },
		{ " 5", 1, DAY, -EINVAL, 0 },
		{ "5 ", 1, DAY, -EINVAL, 0 },
		{ "1 h", 1, DAY, -EINVAL, 0 },
		{ "1H", 1, DAY, -EINVAL, 0 },
		{ "1.5h", 1, DAY, -EINVAL, 0 },
		{ "1hh", 1, DAY, -EINVAL, 0 },
		{ "0x10", 1, DAY, -EINVAL, 0 },
		{ "2024-01-01", 1, DAY, -EINVAL, 0 },
	};

	unsigned long long v0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long long v = 4242;
		int r = parse_duration(cases[i].in, cases[i].min, cases[i].max,
				       &v);

		if (r != cases[i].r)
			fail_msg("'%s': %d, expected %d", cases[i].in, r,
				 cases[i].r);
		assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 4242);
	}
	assert_int_equal(parse_duration(NULL, 0, 1, NULL), -EINVAL);
	/* "ms" is a unit of the millisecond keys only. */
	assert_int_equal(parse_duration("1500ms", 1, DAY, &v0), -EINVAL);
}

/* The *_ms keys: the same grammar, a plain number in milliseconds. */
static void test_parse_duration_ms(void **state)
{
	static const struct {
		const char *key, *in;
		int r;
		unsigned long long v;
	} cases[] = {
		{ "connect_timeout_ms", "1500", 0, 1500 },
		{ "connect_timeout_ms", "1500ms", 0, 1500 },
		{ "connect_timeout_ms", "3s", 0, 3000 },
		{ "connect_timeout_ms", "1m30s", 0, 90000 },
		{ "connect_timeout_ms", "1s500ms", 0, 1500 },
		{ "connect_timeout_ms", "2m", 0, 120000 },
		{ "connect_timeout_ms", "3m", -ERANGE, 0 },
		{ "connect_timeout_ms", "50", -ERANGE, 0 },
		{ "connect_timeout_ms", "1s500", -EINVAL, 0 },
		{ "connect_timeout_ms", "1.5s", -EINVAL, 0 },
		{ "connect_timeout_ms", "1mss", -EINVAL, 0 },
		/* other keys stay plain numbers */
		{ "browser_port", "1434", 0, 1434 },
		{ "browser_port", "1s", -EINVAL, 0 },
		{ "ms", "3s", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long long v = 4242;
		int r = parse_config_uint(cases[i].key, cases[i].in, 100,
					  120000, &v);

		if (r != cases[i].r)
			fail_msg("%s = '%s': %d, expected %d", cases[i].key,
				 cases[i].in, r, cases[i].r);
		assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 4242);
	}
}

static void test_days_from_civil(void **state)
{
	static const struct {
		int64_t y;
		unsigned m, d;
		int64_t days;
	} cases[] = {
		{ 1970, 1, 1, 0 },       { 1970, 1, 2, 1 },
		{ 1969, 12, 31, -1 },    { 2000, 2, 29, 11016 },
		{ 2000, 3, 1, 11017 },   { 1900, 3, 1, -25508 },
		{ 2024, 10, 8, 20004 },  { 2038, 1, 19, 24855 },
		{ 1600, 1, 1, -135140 }, { 9999, 12, 31, 2932896 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			days_from_civil(cases[i].y, cases[i].m, cases[i].d),
			cases[i].days);
}

static void test_since(void **state)
{
	static const struct {
		const char *in;
		int r;
		time_t v;
	} cases[] = {
		{ "30m", 0, 1000000 - 1800 },
		{ "2h", 0, 1000000 - 7200 },
		{ "1d", 0, 1000000 - 86400 },
		{ "90s", 0, 1000000 - 90 },
		{ "600", 0, 1000000 - 600 },
		{ "1h30m", 0, 1000000 - 5400 },
		{ "2024-10-08", 0, 20004 * 86400 },
		{ "2024-10-08T08:33:10", 0,
		  20004 * 86400 + 8 * 3600 + 33 * 60 + 10 },
		{ "2024-10-08 08:33", 0, 20004 * 86400 + 8 * 3600 + 33 * 60 },
		{ "2024-10-08T08:33Z", 0, 20004 * 86400 + 8 * 3600 + 33 * 60 },
		{ "1969-12-31", -EINVAL, 0 },
		{ "2024-10-08 8:33", -EINVAL, 0 },
		{ "2024-10-08T08:33+", -EINVAL, 0 },
		{ "yesterday", -EINVAL, 0 },
		{ "1h30", -EINVAL, 0 },
		{ "0m", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	(void)state;
	/* Without a zone the machine's time zone counts: UTC here. */
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		time_t v = 7;
		int r = run_opts_parse_since(cases[i].in, 1000000, &v);

		if (r != cases[i].r)
			fail_msg("'%s': %d, expected %d", cases[i].in, r,
				 cases[i].r);
		assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_duration_ms),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
