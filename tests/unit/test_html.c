/*
 * Unit tests for html: the escaping table, and a report rendered from a
 * bundle whose findings and facts carry markup — only the fixed skeleton
 * may come out as markup, and the phone and print styles are there.
 */
#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bundle_format.h"
#include "core/sign.h"
#include "rdiag/buf.h"
#include "review/html.h"
#include "review/review.h"

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "<script>", "&lt;script&gt;" },
		{ "a & b", "a &amp; b" },
		{ "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
		{ "x\x01y\x7fz", "x?y?z" },
		{ "line\nnext\ttab", "line\nnext\ttab" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b;

		buf_init(&b, 0);
		html_escape(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
		buf_release(&b);
	}
}

static void add(struct archive *a, const char *name, const char *data)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (int64_t)strlen(data));
	archive_write_header(a, e);
	archive_write_data(a, data, strlen(data));
	archive_entry_free(e);
}

static const char findings[] =
	"[{\"id\":\"x.evil\",\"collector\":\"system\",\"severity\":\"fail\","
	"\"level\":4,\"title\":\"<script>alert(1)</script>\",\"detail\":"
	"\"<img src=x onerror=alert(2)>\",\"hint\":\"\\\"><b>bold</b>\","
	"\"kb\":\"javascript:alert(3)\"},{\"id\":\"x.ok\",\"collector\":"
	"\"system\",\"severity\":\"ok\",\"level\":0,\"title\":\"fine & "
	"dandy\"}]";
static const char records[] =
	"{\"kind\":\"fact\",\"collector\":\"system\",\"key\":\"<k>\","
	"\"value\":\"</td><style>body{display:none}</style>\"}\n";

/*
 * A bundle in memory (at most 1 MiB, caller frees) with findings.json,
 * collectors/system/records.jsonl and a manifest listing collectors (a
 * JSON array) and both files with their hashes.
 */
static char *make_bundle(const char *fs, const char *recs,
			 const char *collectors, size_t *ret_used)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20;
	char *mem = malloc(cap), *man;
	struct buf m;
	unsigned char d1[32], d2[32];
	char h1[65], h2[65];

	crypto_hash_sha256(d1, (const unsigned char *)fs, strlen(fs));
	crypto_hash_sha256(d2, (const unsigned char *)recs, strlen(recs));
	sodium_bin2hex(h1, sizeof(h1), d1, sizeof(d1));
	sodium_bin2hex(h2, sizeof(h2), d2, sizeof(d2));
	buf_init(&m, 0);
	buf_printf(&m,
		   "{\"format\":\"%s\",\"host\":\"<h>\","
		   "\"collectors\":%s,\"redactions\":{\"<r>\":1},\"files\":["
		   "{\"path\":\"findings.json\",\"size\":%zu,"
		   "\"sha256\":\"%s\"},{\"path\":\"collectors/system/"
		   "records.jsonl\",\"size\":%zu,\"sha256\":\"%s\"}]}",
		   BUNDLE_FORMAT, collectors, strlen(fs), h1, strlen(recs), h2);
	man = buf_detach(&m, NULL);
	*ret_used = 0;
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, mem, cap, ret_used);
	add(a, "t/findings.json", fs);
	add(a, "t/collectors/system/records.jsonl", recs);
	add(a, "t/manifest.json", man);
	archive_write_close(a);
	archive_write_free(a);
	free(man);
	return mem;
}

static void test_render_hostile(void **state)
{
	size_t used;
	char *mem;
	struct review_opts o = { 0 };
	struct review *r = NULL;
	char *err = NULL;
	struct buf b;

	(void)state;
	mem = make_bundle(findings, records,
			  "[{\"name\":\"system\",\"status\":\"ok\"}]", &used);
	assert_int_equal(review_open_memory(mem, used, &o, &r, &err), 0);
	buf_init(&b, 0);
	html_render(r, &b);
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "<img"));
	assert_null(strstr(b.data, "<b>"));
	assert_null(strstr(b.data, "<k>"));
	assert_null(strstr(b.data, "<h>"));
	assert_null(strstr(b.data, "<r>"));
	/* Only the page's own <style> element. */
	assert_non_null(strstr(b.data, "<style>"));
	assert_null(strstr(strstr(b.data, "<style>") + 1, "<style>"));
	assert_non_null(
		strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(b.data, "fine &amp; dandy"));
	assert_non_null(strstr(b.data, "name=\"viewport\""));
	assert_non_null(strstr(b.data, "@media print"));
	assert_non_null(strstr(b.data, "default-src 'none'"));
	/* Grouped by who can act: a level-4 failure. */
	assert_non_null(strstr(b.data, "For your IT department or another "
				       "vendor (1)"));
	assert_non_null(strstr(b.data, "Checks that passed"));
	buf_release(&b);
	review_free(r);
	free(mem);
}

/* The report never calls a run clean that was not. */
static void test_render_not_clean(void **state)
{
	static const char ok_only[] =
		"[{\"id\":\"x.ok\",\"collector\":\"system\",\"severity\":"
		"\"ok\",\"level\":0,\"title\":\"fine\"}]";
	static const struct {
		const char *fs, *collectors, *want[4], *unwanted;
	} cases[] = {
		/* Records were rejected: not clean, and the count shown. */
		{ ok_only,
		  "[{\"name\":\"system\",\"status\":\"ok\",\"rejected\":3}]",
		  { "3 records rejected as invalid",
		    "Records were dropped: the verdict may be incomplete.",
		    "class=\"bad\">ok</td>",
		    "No problems found in what arrived" },
		  "No problems found.</p>" },
		/* Every collector skipped: nothing was checked. */
		{ "[]",
		  "[{\"name\":\"system\",\"status\":\"skipped\","
		  "\"reason\":\"no data\"}]",
		  { "Nothing was checked.</strong>",
		    "Nothing was checked: every selected collector",
		    "no data" },
		  "No problems found" },
		/* And a clean run still says so. */
		{ ok_only,
		  "[{\"name\":\"system\",\"status\":\"ok\"}]",
		  { "<p class=\"ok\">No problems found.</p>",
		    "Nothing worse than information." },
		  "rejected" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct review_opts o = { 0 };
		struct review *r = NULL;
		char *err = NULL, *mem;
		size_t used;
		struct buf b;

		mem = make_bundle(cases[i].fs, records, cases[i].collectors,
				  &used);
		if (review_open_memory(mem, used, &o, &r, &err) != 0)
			fail_msg("case %zu: %s", i, err);
		buf_init(&b, 0);
		html_render(r, &b);
		for (size_t k = 0; k < 4 && cases[i].want[k]; k++)
			if (!strstr(b.data, cases[i].want[k]))
				fail_msg("case %zu: no '%s'", i,
					 cases[i].want[k]);
		if (strstr(b.data, cases[i].unwanted))
			fail_msg("case %zu: '%s'", i, cases[i].unwanted);
		buf_release(&b);
		review_free(r);
		free(mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_render_hostile),
		cmocka_unit_test(test_render_not_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
