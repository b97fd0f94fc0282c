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

static void test_render_hostile(void **state)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0;
	char *mem = malloc(cap), *man;
	struct review_opts o = { 0 };
	struct review *r = NULL;
	char *err = NULL;
	struct buf b;

	(void)state;
	/* A manifest that lists both files with their hashes. */
	{
		struct buf m;
		unsigned char d1[32], d2[32];
		char h1[65], h2[65];

		crypto_hash_sha256(d1, (const unsigned char *)findings,
				   strlen(findings));
		crypto_hash_sha256(d2, (const unsigned char *)records,
				   strlen(records));
		sodium_bin2hex(h1, sizeof(h1), d1, sizeof(d1));
		sodium_bin2hex(h2, sizeof(h2), d2, sizeof(d2));
		buf_init(&m, 0);
		buf_printf(&m,
			   "{\"format\":\"rdiag-bundle/1\",\"host\":\"<h>\","
			   "\"collectors\":[{\"name\":\"system\",\"status\":"
			   "\"ok\"}],\"redactions\":{\"<r>\":1},\"files\":["
			   "{\"path\":\"findings.json\",\"size\":%zu,"
			   "\"sha256\":\"%s\"},{\"path\":\"collectors/system/"
			   "records.jsonl\",\"size\":%zu,\"sha256\":\"%s\"}]}",
			   strlen(findings), h1, strlen(records), h2);
		man = buf_detach(&m, NULL);
	}
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, mem, cap, &used);
	add(a, "t/findings.json", findings);
	add(a, "t/collectors/system/records.jsonl", records);
	add(a, "t/manifest.json", man);
	archive_write_close(a);
	archive_write_free(a);
	free(man);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_render_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
