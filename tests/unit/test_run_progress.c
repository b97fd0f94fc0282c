/*
 * Unit tests for the live progress line of `rdiag run` (cli/run_progress.c):
 * the mode from the terminal settings, the text of the line (collectors
 * with elapsed time against their deadline, the bundle's bytes), cutting
 * to the terminal's width, and what is written: a redrawn line without any
 * escape sequence, plain lines for TERM=dumb, nothing when off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/run_progress.h"

static const struct collector c_database = { .name = "database" };
static const struct collector c_nas = { .name = "nas" };

static void test_mode(void **state)
{
	static const struct {
		bool quiet, json, tty;
		const char *term;
		enum run_progress_mode want;
	} cases[] = {
		{ false, false, true, "xterm-256color", RUN_PROGRESS_REDRAW },
		{ false, false, true, "dumb", RUN_PROGRESS_LINES },
		{ false, false, true, "", RUN_PROGRESS_LINES },
		{ false, false, true, NULL, RUN_PROGRESS_LINES },
		{ false, false, false, "xterm", RUN_PROGRESS_OFF },
		{ false, true, true, "xterm", RUN_PROGRESS_OFF },
		{ true, false, true, "xterm", RUN_PROGRESS_OFF },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
			run_progress_mode_for(cases[i].quiet, cases[i].json,
					      cases[i].tty, cases[i].term),
			cases[i].want);
}

static void test_format(void **state)
{
	struct collector_result db = { .collector = &c_database,
				       .started_ms = 1000,
				       .deadline_ms = 31000 };
	struct collector_result nas = { .collector = &c_nas,
					.started_ms = 5000,
					.deadline_ms = 35000 };
	struct run_progress pr;
	char buf[RUN_PROGRESS_MAX];

	(void)state;
	run_progress_init(&pr, RUN_PROGRESS_REDRAW, stderr, 0);
	assert_string_equal(run_progress_format(&pr, 1000, buf, sizeof(buf)),
			    "");
	run_progress_collector(&pr, &db, false);
	run_progress_collector(&pr, &nas, false);
	assert_string_equal(run_progress_format(&pr, 8500, buf, sizeof(buf)),
			    "[running: database 7 s/30 s, nas 3 s/30 s]");
	/* Told twice, listed once; the finished one leaves the line. */
	run_progress_collector(&pr, &db, false);
	run_progress_collector(&pr, &db, true);
	assert_string_equal(run_progress_format(&pr, 9000, buf, sizeof(buf)),
			    "[running: nas 4 s/30 s]");
	/* Cut to the room there is, still closed. */
	run_progress_collector(&pr, &db, false);
	assert_string_equal(run_progress_format(&pr, 9000, buf, 20),
			    "[running: nas 4...]");
	run_progress_writing(&pr, 10000);
	run_progress_written(&pr, 3 * 1024 * 1024 / 2);
	assert_string_equal(run_progress_format(&pr, 12100, buf, sizeof(buf)),
			    "[writing bundle: 1.5 MiB, 2 s]");
	run_progress_release(&pr);
}

/* What the drawing writes for two ticks, a clear and a tick. */
static char *drawn(enum run_progress_mode mode, unsigned cols)
{
	struct collector_result db = { .collector = &c_database,
				       .started_ms = 1000,
				       .deadline_ms = 31000 };
	struct run_progress pr;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	run_progress_init(&pr, mode, f, cols);
	run_progress_collector(&pr, &db, false);
	run_progress_tick(&pr, 2000, false);
	/* Within the interval: nothing; then the next second. */
	run_progress_tick(&pr, 2100, false);
	run_progress_tick(&pr, 3000, false);
	run_progress_clear(&pr);
	run_progress_collector(&pr, &db, true);
	run_progress_tick(&pr, 3100, false);
	run_progress_release(&pr);
	fclose(f);
	return text;
}

static void test_draw(void **state)
{
	char *t;

	(void)state;
	t = drawn(RUN_PROGRESS_REDRAW, 0);
	assert_string_equal(t, "\r[running: database 1 s/30 s]"
			       "\r[running: database 2 s/30 s]"
			       "\r                            \r");
	assert_null(strchr(t, '\033'));
	free(t);
	/* A narrow terminal: one column short of its width. */
	t = drawn(RUN_PROGRESS_REDRAW, 16);
	assert_string_equal(t, "\r[running: d...]"
			       "\r               \r");
	free(t);
	/* TERM=dumb: plain lines, at most every few seconds. */
	t = drawn(RUN_PROGRESS_LINES, 80);
	assert_string_equal(t, "[running: database 1 s/30 s]\n");
	free(t);
	t = drawn(RUN_PROGRESS_OFF, 80);
	assert_string_equal(t, "");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_draw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
