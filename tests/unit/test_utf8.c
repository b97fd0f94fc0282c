/*
 * The one UTF-8 module (rdiag/utf8.h) and what it is for: a collector that
 * meets file and share names in Latin-1 or CP1251, or builds titles longer
 * than any fixed buffer, still gets every finding into the verdict, with
 * invalid bytes repaired and nothing cut inside a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/report.h"
#include "harness.h"
#include "rdiag/buf.h"
#include "rdiag/record.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"

extern const struct collector collector_nas;

static void test_decode(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int want;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 1, 0x41 },
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xe9t", 2, 0, 0 },            /* Latin-1 e-acute */
		{ "\xe9", 1, -1, 0 },            /* ... at the end */
		{ "\xcf\xf0", 2, 0, 0 },         /* CP1251 */
		{ "\xc0\xaf", 2, 0, 0 },         /* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0, 0 },     /* overlong */
		{ "\xed\xa0\x80", 3, 0, 0 },     /* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0, 0 }, /* past U+10FFFF */
		{ "\x80", 1, 0, 0 },             /* lone continuation */
		{ "\xe2\x82", 2, -1, 0 },        /* incomplete */
		{ "\xe0\x80", 2, 0, 0 },         /* can never complete */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t cp = 0;
		int n = utf8_decode(cases[i].s, cases[i].len, &cp);

		assert_int_equal(n, cases[i].want);
		if (n > 0)
			assert_int_equal(cp, cases[i].cp);
		assert_int_equal(utf8_valid(cases[i].s, cases[i].len),
				 cases[i].want == (int)cases[i].len);
	}
}

static void test_repair(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "Caf\xc3\xa9", "Caf\xc3\xa9" },
		{ "Caf\xe9", "Caf" UTF8_REPLACEMENT },
		{ "\xcf\xf0\xe8",
		  UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT },
		{ "a\xe2\x82", "a" UTF8_REPLACEMENT UTF8_REPLACEMENT },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len;
		char *r = utf8_repair(cases[i].in, strlen(cases[i].in), &len);

		assert_string_equal(r, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		assert_true(utf8_valid(r, len));
		free(r);
	}
}

static void test_cut(void **state)
{
	/* "aé€😀": 1 + 2 + 3 + 4 bytes, boundaries at 0 1 3 6 10. */
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const size_t want[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10 };
	char t[sizeof(s)];

	(void)state;
	for (size_t max = 0; max < ARRAY_SIZE(want); max++) {
		assert_int_equal(utf8_cut(s, strlen(s), max), want[max]);
		memcpy(t, s, sizeof(s));
		utf8_truncate(t, max);
		assert_int_equal(strlen(t), want[max]);
		assert_true(utf8_valid(t, strlen(t)));
		/* utf8_copy() into a buffer of max + 1 bytes: the same cut. */
		memset(t, 'x', sizeof(t));
		utf8_copy(t, max + 1, s);
		assert_int_equal(strlen(t), want[max]);
		assert_memory_equal(t, s, want[max]);
	}
}

static json_t *find_title(const struct harness_run *run, const char *id,
			  const char *part)
{
	size_t i;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *rid = json_string_value(json_object_get(r, "id"));
		const char *t = json_string_value(json_object_get(r, "title"));

		if (rid && strcmp(rid, id) == 0 && t && strstr(t, part))
			return r;
	}
	return NULL;
}

/* 75 two-byte characters: a 150-byte name component. */
static char *long_name(void)
{
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < 75; i++)
		buf_puts(&b, "\xc3\x84"); /* A-umlaut */
	return buf_detach(&b, NULL);
}

static void test_collector_non_utf8_names(void **state)
{
	char tmpl[] = "/tmp/rdiag-utf8-XXXXXX";
	char *latin1, *cp1251, *lname, *deep1, *deep2, *want;
	struct harness_run run;
	struct collector_result res = { 0 };
	struct verdict v = { 0 };
	struct config cfg;
	json_t *f, *findings;
	char *text = NULL;
	size_t textlen, i;
	FILE *out;
	json_t *r;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	latin1 = xasprintf("%s/Caf\xe9", tmpl); /* missing */
	cp1251 = xasprintf("%s/\xcf\xf0\xe8\xec\xe5\xf0", tmpl);
	lname = long_name();
	deep1 = xasprintf("%s/%s", tmpl, lname);
	deep2 = xasprintf("%s/%s", deep1, lname);
	assert_int_equal(mkdir(cp1251, 0700), 0);
	assert_int_equal(mkdir(deep1, 0700), 0);
	assert_int_equal(mkdir(deep2, 0700), 0);
	assert_true(strlen(deep2) > 300);

	config_init(&cfg);
	config_add(&cfg, "nas", "discover", "no", "test");
	config_add(&cfg, "nas", "op_timeout_ms", "2000", "test");
	config_add(&cfg, "nas", "path", latin1, "test");
	config_add(&cfg, "nas", "path", cp1251, "test");
	config_add(&cfg, "nas", "path", deep2, "test");
	/* The harness fails the test on any record the parent would refuse. */
	harness_run(&collector_nas, "", &cfg, &run);

	/* Latin-1: the finding arrives, the bad byte repaired. */
	want = xasprintf("The configured path %s/Caf" UTF8_REPLACEMENT
			 " does not exist",
			 tmpl);
	f = harness_finding(&run, "nas.path.missing");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "title")),
			    want);
	free(want);
	/* CP1251: six bytes, six replacement characters, still written. */
	want = xasprintf(
		"%s/" UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT
			UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT,
		tmpl);
	assert_non_null(find_title(&run, "nas.write.ok", want));
	free(want);
	/* A title of over 300 bytes of two-byte characters, whole. */
	f = find_title(&run, "nas.write.ok", deep2);
	assert_non_null(f);
	assert_true(strlen(json_string_value(json_object_get(f, "title"))) >
		    300);

	/* And all of it reaches the verdict the customer reads. */
	findings = json_array();
	json_array_foreach(run.records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kind"));

		if (k && strcmp(k, "finding") == 0)
			json_array_append(findings, r);
	}
	res.collector = &collector_nas;
	res.records = run.records;
	v.results = &res;
	v.n = 1;
	v.findings = findings;
	v.host = "host";
	out = open_memstream(&text, &textlen);
	assert_non_null(out);
	report_text(out, &v, false, true);
	fclose(out);
	assert_non_null(strstr(text, "Caf" UTF8_REPLACEMENT " does not exist"));
	assert_non_null(strstr(text, deep2));
	assert_true(utf8_valid(text, textlen));
	free(text);
	json_decref(findings);

	harness_release(&run);
	config_release(&cfg);
	rmdir(deep2);
	rmdir(deep1);
	rmdir(cp1251);
	rmdir(tmpl);
	free(latin1);
	free(cp1251);
	free(lname);
	free(deep1);
	free(deep2);
}

/* A collector whose texts are far over the record limits. */
static int huge_run(struct collector_ctx *ctx)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	struct verdict_item *v;
	struct buf b;
	char *big;

	buf_init(&b, 0);
	/* 40000 three-byte characters, and a Latin-1 byte in the middle. */
	for (int i = 0; i < 40000; i++)
		buf_puts(&b, i == 20000 ? "\xe9" : "\xe2\x82\xac");
	big = buf_detach(&b, NULL);
	v = verdict_add(&l, "test.huge.title", SEVERITY_WARN, LEVEL_SELF, "%s",
			big);
	verdict_detail(v, "%s", big);
	verdict_hint(v, "%s", big);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	ctx_fact(ctx, "huge", "%s", big);
	free(big);
	return 0;
}

static const struct collector huge = {
	.name = "huge",
	.summary = "texts over the limits",
	.deadline_ms = 10000,
	.run = huge_run,
};

static void assert_cut(json_t *rec, const char *field)
{
	const char *s = json_string_value(json_object_get(rec, field));
	size_t len;

	assert_non_null(s);
	len = strlen(s);
	assert_true(len <= RECORD_MAX_TEXT);
	assert_true(len > 1000);
	assert_true(utf8_valid(s, len));
	/* Cut short visibly, at a character boundary. */
	assert_string_equal(s + len - 3, "\xe2\x80\xa6");
}

static void test_ctx_cuts_over_long_text(void **state)
{
	struct harness_run run;
	json_t *f;
	size_t i;
	json_t *r;

	(void)state;
	/* The harness fails the test on any record the parent refuses. */
	harness_run(&huge, "", NULL, &run);
	f = harness_finding(&run, "test.huge.title");
	assert_non_null(f);
	assert_cut(f, "title");
	assert_cut(f, "detail");
	assert_cut(f, "hint");
	json_array_foreach(run.records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "key"));

		if (k && strcmp(k, "huge") == 0)
			assert_cut(r, "value");
	}
	assert_non_null(harness_fact(&run, "huge"));
	harness_release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_collector_non_utf8_names),
		cmocka_unit_test(test_ctx_cuts_over_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
