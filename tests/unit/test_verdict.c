/*
 * The verdict never says more than the run saw: a run in which every
 * collector was skipped is UNKNOWN (exit 3), not clean; records the agent
 * dropped keep a collector from reading as clean and are listed with their
 * count; a collector's progress line names its problems instead of "ok".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/report.h"
#include "rdiag/util.h"

static const struct collector c_nas = { .name = "nas" };
static const struct collector c_db = { .name = "database" };

static json_t *finding(const char *collector, const char *sev)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "kind", "finding",
			 "collector", collector, "id", "x.y.z", "severity", sev,
			 "level", 4, "title", "t");
}

struct fixture {
	struct collector_result res[2];
	struct verdict v;
};

static void setup(struct fixture *fx, enum collector_status s0,
		  enum collector_status s1)
{
	memset(fx, 0, sizeof(*fx));
	fx->res[0].collector = &c_nas;
	fx->res[0].status = s0;
	fx->res[0].records = json_array();
	fx->res[1].collector = &c_db;
	fx->res[1].status = s1;
	fx->res[1].records = json_array();
	fx->res[1].reason = (char *)"no database configured";
	fx->v.results = fx->res;
	fx->v.n = 2;
	fx->v.findings = json_array();
	fx->v.host = "h";
}

static void add(struct fixture *fx, size_t i, const char *sev)
{
	json_t *f = finding(fx->res[i].collector->name, sev);

	json_array_append(fx->res[i].records, f);
	json_array_append_new(fx->v.findings, f);
}

static void release(struct fixture *fx)
{
	json_decref(fx->res[0].records);
	json_decref(fx->res[1].records);
	json_decref(fx->v.findings);
}

static char *text_of(const struct verdict *v)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	report_text(f, v, false, false);
	fclose(f);
	return s;
}

static void test_nothing_checked(void **state)
{
	struct fixture fx;
	char *t;
	json_t *j;

	(void)state;
	setup(&fx, STATUS_SKIPPED, STATUS_SKIPPED);
	add(&fx, 0, "info"); /* "nothing configured" is info */
	assert_true(verdict_nothing_checked(&fx.v));
	assert_int_equal(verdict_exit_code(&fx.v), 3);
	t = text_of(&fx.v);
	assert_null(strstr(t, "No problems found"));
	assert_non_null(strstr(t, "Nothing was checked"));
	assert_non_null(strstr(t, "Not checked:\n"));
	assert_non_null(strstr(t, "no database configured"));
	free(t);
	j = report_json(&fx.v);
	assert_int_equal(json_integer_value(json_object_get(j, "exit_code")),
			 3);
	assert_true(json_is_true(json_object_get(j, "nothing_checked")));
	json_decref(j);
	/* A bad setting found even so is that warning, not UNKNOWN. */
	add(&fx, 0, "warn");
	assert_int_equal(verdict_exit_code(&fx.v), 1);
	release(&fx);

	/* One collector that ran is a check. */
	setup(&fx, STATUS_OK, STATUS_SKIPPED);
	assert_false(verdict_nothing_checked(&fx.v));
	assert_int_equal(verdict_exit_code(&fx.v), 0);
	t = text_of(&fx.v);
	assert_non_null(strstr(t, "\nNo problems found.\n"));
	free(t);
	release(&fx);
}

static void test_dropped(void **state)
{
	struct fixture fx;
	char label[32], *t;
	json_t *j, *c;

	(void)state;
	setup(&fx, STATUS_OK, STATUS_SKIPPED);
	fx.res[0].rejected = 3;
	assert_int_equal(verdict_dropped(&fx.v), 1);
	assert_int_equal(verdict_exit_code(&fx.v), 1);
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)),
		"3 rejected");
	t = text_of(&fx.v);
	assert_null(strstr(t, "\nNo problems found.\n"));
	assert_non_null(strstr(t, "Records dropped (the verdict may be "
				  "incomplete):\n  nas              3 records "
				  "rejected as invalid\n"));
	free(t);
	j = report_json(&fx.v);
	c = json_array_get(json_object_get(j, "collectors"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "rejected")), 3);
	assert_true(json_is_false(json_object_get(c, "truncated")));
	json_decref(j);
	fx.res[0].rejected = 0;
	fx.res[0].truncated = true;
	assert_int_equal(verdict_exit_code(&fx.v), 1);
	t = text_of(&fx.v);
	assert_non_null(strstr(t, "nas              records past the limit "
				  "cut off\n"));
	free(t);
	release(&fx);
}

static void test_labels(void **state)
{
	struct fixture fx;
	char label[32];

	(void)state;
	setup(&fx, STATUS_OK, STATUS_SKIPPED);
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)), "ok");
	assert_string_equal(
		report_collector_label(&fx.res[1], label, sizeof(label)),
		"skipped");
	add(&fx, 0, "ok");
	add(&fx, 0, "info");
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)), "ok");
	add(&fx, 0, "warn");
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)),
		"1 warning");
	add(&fx, 0, "fail");
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)),
		"2 problems");
	fx.res[0].status = STATUS_PARTIAL;
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)),
		"2 problems");
	/* How it ended matters more when it did not finish. */
	fx.res[0].status = STATUS_TIMEOUT;
	assert_string_equal(
		report_collector_label(&fx.res[0], label, sizeof(label)),
		"timeout");
	release(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_checked),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
