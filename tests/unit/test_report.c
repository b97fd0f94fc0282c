/*
 * Unit tests for the verdict (core/report.c): the text grouped by who can
 * act, failures before warnings, colour only when asked, the --json shape,
 * and the exit code from the worst severity, dropped records and skipped
 * collectors.
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

static const struct collector c_system = { .name = "system" };
static const struct collector c_nas = { .name = "nas" };
static const struct collector c_database = { .name = "database" };
static const struct collector c_product = { .name = "product" };

/* A finding as the agent holds it; NULL strings are left out. */
static json_t *finding(const char *id, const char *collector,
		       const char *severity, int level, const char *title,
		       const char *detail, const char *hint, const char *kb)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s*, s:s*, s:s*}", "id",
			 id, "collector", collector, "severity", severity,
			 "level", level, "title", title, "detail", detail,
			 "hint", hint, "kb", kb);
}

struct fixture {
	struct collector_result results[4];
	struct verdict v;
};

/*
 * Four collectors: system ran (a failure for the customer, an info and a
 * passed check), nas timed out (a warning for IT), database was skipped,
 * product ran with two records rejected (a warning and a failure for the
 * vendor).
 */
static char reason_deadline[] = "deadline";
static char reason_no_db[] = "no database configured";

static void fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->results[0] = (struct collector_result){ .collector = &c_system,
						    .status = STATUS_OK,
						    .duration_ms = 120 };
	fx->results[1] = (struct collector_result){ .collector = &c_nas,
						    .status = STATUS_TIMEOUT,
						    .reason = reason_deadline,
						    .duration_ms = 30000 };
	fx->results[2] = (struct collector_result){
		.collector = &c_database,
		.status = STATUS_SKIPPED,
		.reason = reason_no_db,
	};
	fx->results[3] = (struct collector_result){ .collector = &c_product,
						    .status = STATUS_OK,
						    .rejected = 2 };
	fx->v.results = fx->results;
	fx->v.n = 4;
	fx->v.host = "h1";
	fx->v.ticket = "T-1";
	fx->v.findings = json_array();
	json_array_append_new(fx->v.findings,
			      finding("sys.uptime", "system", "info", 0,
				      "Uptime", "3 days", NULL, NULL));
	json_array_append_new(fx->v.findings,
			      finding("sys.disk_full", "system", "fail", 0,
				      "Disk full", "/ is 100% used",
				      "free some space", NULL));
	json_array_append_new(fx->v.findings,
			      finding("nas.slow", "nas", "warn", 4, "NAS slow",
				      "", NULL, NULL));
	json_array_append_new(fx->v.findings,
			      finding("app.old", "product", "warn", 2,
				      "Old version", NULL, "update it", NULL));
	json_array_append_new(fx->v.findings,
			      finding("app.crash", "product", "fail", 3,
				      "Crashes", NULL, NULL, "KB1"));
	json_array_append_new(fx->v.findings,
			      finding("sys.clock", "system", "ok", 0,
				      "Clock synced", NULL, NULL, NULL));
}

static void fixture_release(struct fixture *fx)
{
	json_decref(fx->v.findings);
}

static char *text(const struct verdict *v, bool colour, bool full)
{
	FILE *f = tmpfile();
	char *out = calloc(1, 8192);
	size_t n;

	assert_non_null(f);
	assert_non_null(out);
	report_text(f, v, colour, full);
	rewind(f);
	n = fread(out, 1, 8191, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static const char expected_short[] =
	"rdiag verdict for h1, ticket T-1\n"
	"\n"
	"You can fix this yourself (1)\n"
	"  FAIL  Disk full  [sys.disk_full]\n"
	"        / is 100% used\n"
	"        -> free some space\n"
	"\n"
	"For the vendor's support (helpdesk, technical support, "
	"engineering) (2)\n"
	"  FAIL  Crashes  [app.crash]\n"
	"  WARN  Old version  [app.old]\n"
	"        -> update it\n"
	"\n"
	"For your IT department or another vendor (NAS, database, "
	"antivirus, terminal server) (1)\n"
	"  WARN  NAS slow  [nas.slow]\n"
	"\n"
	"1 check passed, 4 problems found.\n"
	"\n"
	"Collectors that did not finish:\n"
	"  nas              timeout  deadline\n"
	"\n"
	"Not checked:\n"
	"  database         no database configured\n"
	"\n"
	"Records dropped (the verdict may be incomplete):\n"
	"  product          2 records rejected as invalid\n";

static void test_text_grouped(void **state)
{
	struct fixture fx;
	char *out;

	(void)state;
	fixture_init(&fx);
	out = text(&fx.v, false, false);
	assert_string_equal(out, expected_short);
	free(out);
	fixture_release(&fx);
}

static void test_text_full(void **state)
{
	struct fixture fx;
	char *out, *info, *passed, *summary;

	(void)state;
	fixture_init(&fx);
	fx.v.bundle_path = "/tmp/rdiag-h1.tar.gz";
	fx.v.bundle_size = 2048;
	fx.v.sha256 = "abc123";
	out = text(&fx.v, false, true);
	/* report.txt also lists info findings and what passed. */
	info = strstr(out, "\nFor information\n"
			   "  info  Uptime  [sys.uptime]\n"
			   "        3 days\n");
	passed = strstr(out, "\nChecks that passed\n"
			     "  ok    Clock synced  [sys.clock]\n");
	summary = strstr(out, "\n1 check passed, 4 problems found.\n");
	assert_non_null(info);
	assert_non_null(passed);
	assert_non_null(summary);
	assert_true(info < passed && passed < summary);
	assert_non_null(strstr(out, "\nBundle:  /tmp/rdiag-h1.tar.gz ("));
	assert_non_null(strstr(out, ")\nSHA-256: abc123\n"));
	/* The terminal text does not carry them. */
	free(out);
	out = text(&fx.v, false, false);
	assert_null(strstr(out, "For information"));
	assert_null(strstr(out, "Clock synced"));
	free(out);
	fixture_release(&fx);
}

static void test_colour_only_when_asked(void **state)
{
	struct fixture fx;
	char *plain, *col;

	(void)state;
	fixture_init(&fx);
	plain = text(&fx.v, false, true);
	col = text(&fx.v, true, true);
	assert_null(strchr(plain, '\033'));
	assert_non_null(strstr(col, "  \033[1;31mFAIL\033[0m  Disk full"));
	assert_non_null(strstr(col, "  \033[1;33mWARN\033[0m  NAS slow"));
	assert_non_null(strstr(col, "\n\033[1mYou can fix this yourself "
				    "(1)\033[0m\n"));
	free(plain);
	free(col);
	fixture_release(&fx);
}

static void test_headlines(void **state)
{
	struct fixture fx;
	char *out;

	(void)state;
	fixture_init(&fx);
	/* Problems to list: no headline. */
	assert_null(report_headline(&fx.v));
	json_array_clear(fx.v.findings);
	assert_string_equal(report_headline(&fx.v),
			    "No problems found in what arrived, but records "
			    "were dropped: the verdict may be incomplete (see "
			    "\"Records dropped\").");
	fx.results[3].rejected = 0;
	assert_string_equal(report_headline(&fx.v), "No problems found.");
	fx.v.ticket = NULL;
	out = text(&fx.v, false, false);
	assert_true(strncmp(out,
			    "rdiag verdict for h1\n\nNo problems found.\n\n"
			    "0 checks passed, 0 problems found.\n",
			    strlen("rdiag verdict for h1\n\nNo problems "
				   "found.\n\n0 checks passed, 0 problems "
				   "found.\n")) == 0);
	free(out);
	for (size_t i = 0; i < fx.v.n; i++)
		fx.results[i].status = STATUS_SKIPPED;
	assert_string_equal(report_headline(&fx.v),
			    "Nothing was checked: every selected collector "
			    "was skipped (see why under \"Not checked\").");
	fixture_release(&fx);
}

static void test_exit_codes(void **state)
{
	static const struct {
		const char *severities; /* one letter a finding: o i w f */
		size_t rejected;
		bool truncated, all_skipped;
		int code;
	} cases[] = {
		{ "", 0, false, false, EXIT_CLEAN },
		{ "oi", 0, false, false, EXIT_CLEAN },
		{ "oiw", 0, false, false, EXIT_WARNINGS },
		{ "wfw", 0, false, false, EXIT_FAILURES },
		{ "f", 0, false, false, EXIT_FAILURES },
		{ "", 1, false, false, EXIT_WARNINGS },
		{ "o", 0, true, false, EXIT_WARNINGS },
		{ "f", 3, true, false, EXIT_FAILURES },
		{ "", 0, false, true, EXIT_NOTHING_CHECKED },
		{ "w", 0, false, true, EXIT_WARNINGS },
		{ "", 2, false, true, EXIT_WARNINGS },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct collector_result r = {
			.collector = &c_system,
			.status = cases[i].all_skipped ? STATUS_SKIPPED
						       : STATUS_OK,
			.rejected = cases[i].rejected,
			.truncated = cases[i].truncated,
		};
		struct verdict v = {
			.results = &r,
			.n = 1,
			.findings = json_array(),
			.host = "h",
		};
		json_t *j;

		for (const char *s = cases[i].severities; *s; s++)
			json_array_append_new(
				v.findings, finding("x.y", "system",
						    *s == 'o'   ? "ok"
						    : *s == 'i' ? "info"
						    : *s == 'w' ? "warn"
								: "fail",
						    0, "t", NULL, NULL, NULL));
		if (verdict_exit_code(&v) != cases[i].code)
			fail_msg("case %zu ('%s'): exit %d, expected %d", i,
				 cases[i].severities, verdict_exit_code(&v),
				 cases[i].code);
		j = report_json(&v);
		assert_int_equal(
			json_integer_value(json_object_get(j, "exit_code")),
			cases[i].code);
		assert_int_equal(
			json_is_true(json_object_get(j, "nothing_checked")),
			cases[i].all_skipped);
		json_decref(j);
		json_decref(v.findings);
	}
}

/* Every key of obj is in want (NULL-terminated), and every wanted one is
 * in obj. */
static void assert_keys(json_t *obj, const char *const *want)
{
	size_t n = 0;

	assert_true(json_is_object(obj));
	for (; want[n]; n++)
		if (!json_object_get(obj, want[n]))
			fail_msg("key '%s' missing", want[n]);
	assert_int_equal(json_object_size(obj), n);
}

static void test_json_shape(void **state)
{
	static const char *const top[] = {
		"format",     "host",        "ticket",    "bundle",
		"sha256",     "bundle_size", "exit_code", "nothing_checked",
		"collectors", "findings",    NULL,
	};
	static const char *const col[] = {
		"name",     "status",    "reason", "duration_ms",
		"rejected", "truncated", NULL,
	};
	static const char *const fnd[] = {
		"id",    "collector", "severity", "level",
		"title", "detail",    "hint",     NULL,
	};
	static const char *const fnd_kb[] = {
		"id",     "collector", "severity", "level", "title",
		"detail", "hint",      "kb",       NULL,
	};
	struct fixture fx;
	json_t *j, *cols, *fs, *f;

	(void)state;
	fixture_init(&fx);
	j = report_json(&fx.v);
	assert_keys(j, top);
	assert_string_equal(json_string_value(json_object_get(j, "format")),
			    "rdiag-verdict/1");
	assert_string_equal(json_string_value(json_object_get(j, "host")),
			    "h1");
	assert_string_equal(json_string_value(json_object_get(j, "ticket")),
			    "T-1");
	assert_true(json_is_null(json_object_get(j, "bundle")));
	assert_true(json_is_null(json_object_get(j, "sha256")));
	assert_true(json_is_null(json_object_get(j, "bundle_size")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit_code")),
			 EXIT_FAILURES);
	assert_true(json_is_false(json_object_get(j, "nothing_checked")));

	cols = json_object_get(j, "collectors");
	assert_int_equal(json_array_size(cols), 4);
	for (size_t i = 0; i < 4; i++)
		assert_keys(json_array_get(cols, i), col);
	f = json_array_get(cols, 1);
	assert_string_equal(json_string_value(json_object_get(f, "name")),
			    "nas");
	assert_string_equal(json_string_value(json_object_get(f, "status")),
			    "timeout");
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
			    "deadline");
	assert_int_equal(json_integer_value(json_object_get(f, "duration_ms")),
			 30000);
	assert_true(json_is_null(
		json_object_get(json_array_get(cols, 0), "reason")));
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(cols, 3), "rejected")),
			 2);

	/* Findings in their order; absent text is null, kb only if set. */
	fs = json_object_get(j, "findings");
	assert_int_equal(json_array_size(fs), 6);
	for (size_t i = 0; i < 6; i++)
		assert_keys(json_array_get(fs, i), i == 4 ? fnd_kb : fnd);
	f = json_array_get(fs, 1);
	assert_string_equal(json_string_value(json_object_get(f, "id")),
			    "sys.disk_full");
	assert_string_equal(json_string_value(json_object_get(f, "severity")),
			    "fail");
	assert_int_equal(json_integer_value(json_object_get(f, "level")), 0);
	assert_true(
		json_is_null(json_object_get(json_array_get(fs, 3), "detail")));
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(fs, 4), "kb")),
		"KB1");
	json_decref(j);

	fx.v.bundle_path = "/tmp/b.tar.gz";
	fx.v.bundle_size = 4096;
	fx.v.sha256 = "abc";
	fx.v.ticket = NULL;
	j = report_json(&fx.v);
	assert_keys(j, top);
	assert_true(json_is_null(json_object_get(j, "ticket")));
	assert_string_equal(json_string_value(json_object_get(j, "bundle")),
			    "/tmp/b.tar.gz");
	assert_int_equal(json_integer_value(json_object_get(j, "bundle_size")),
			 4096);
	json_decref(j);
	fixture_release(&fx);
}

static void test_labels(void **state)
{
	struct fixture fx;
	char buf[160];

	(void)state;
	fixture_init(&fx);
	fx.results[0].records = fx.v.findings; /* records carry "kind" */
	for (size_t i = 0; i < json_array_size(fx.v.findings); i++)
		json_object_set_new(json_array_get(fx.v.findings, i), "kind",
				    json_string("finding"));
	assert_string_equal(
		report_collector_label(&fx.results[0], buf, sizeof(buf)),
		"4 problems");
	assert_string_equal(
		report_collector_label(&fx.results[1], buf, sizeof(buf)),
		"timeout");
	assert_string_equal(
		report_collector_label(&fx.results[2], buf, sizeof(buf)),
		"skipped");
	fx.results[3].records = json_array();
	assert_string_equal(
		report_collector_label(&fx.results[3], buf, sizeof(buf)),
		"2 rejected");
	assert_string_equal(
		report_dropped_text(&fx.results[3], buf, sizeof(buf)),
		"2 records rejected as invalid");
	fx.results[3].rejected = 1;
	fx.results[3].truncated = true;
	assert_string_equal(
		report_dropped_text(&fx.results[3], buf, sizeof(buf)),
		"1 record rejected as invalid, and records past "
		"the limit cut off");
	assert_null(report_dropped_text(&fx.results[0], buf, sizeof(buf)));
	assert_string_equal(report_audience(0), "you");
	assert_string_equal(report_audience(4), "your IT or another vendor");
	assert_string_equal(report_audience(5), "?");
	json_decref(fx.results[3].records);
	fixture_release(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_grouped),
		cmocka_unit_test(test_text_full),
		cmocka_unit_test(test_colour_only_when_asked),
		cmocka_unit_test(test_headlines),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
