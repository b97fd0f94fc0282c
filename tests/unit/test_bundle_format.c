/*
 * Unit tests for bundle_format: the entry-path helpers (table-driven), the
 * manifest built by bundle_manifest_build() read back field by field by
 * bundle_manifest_read(), the reader's refusals of a bad schema, and a
 * whole bundle written by the writer (core/bundle.c) read back by the one
 * reader (review/review.c) field by field.
 */
#include <errno.h>
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

#include "core/bundle.h"
#include "core/bundle_format.h"
#include "core/redact.h"
#include "harness.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "review/review.h"

static void test_paths(void **state)
{
	static const struct {
		const char *path;
		const char *collector; /* NULL: not below collectors/NAME/ */
		bool records;
	} cases[] = {
		{ "collectors/nas/records.jsonl", "nas", true },
		{ "collectors/nas/mounts.txt", "nas", false },
		{ "collectors/nas/sub/records.jsonl", "nas", false },
		{ "collectors/terminal_server/x", "terminal_server", false },
		{ "collectors//records.jsonl", NULL, false },
		{ "collectors/nas", NULL, false },
		{ "collectorsX/nas/records.jsonl", NULL, false },
		{ "findings.json", NULL, false },
		{ "manifest.json", NULL, false },
		{ "", NULL, false },
	};
	char *p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *name = bundle_path_collector(cases[i].path);

		if (cases[i].collector)
			assert_string_equal(name, cases[i].collector);
		else
			assert_null(name);
		assert_int_equal(bundle_path_is_records(cases[i].path),
				 cases[i].records);
		free(name);
	}
	p = bundle_collector_path("nas", BUNDLE_RECORDS);
	assert_string_equal(p, "collectors/nas/records.jsonl");
	assert_true(bundle_path_is_records(p));
	free(p);
	p = bundle_base_name("db01", "4711", "20261128T071745Z");
	assert_string_equal(p, "rdiag-db01-4711-20261128T071745Z");
	free(p);
	p = bundle_base_name("db01", NULL, "20261128T071745Z");
	assert_string_equal(p, "rdiag-db01-noticket-20261128T071745Z");
	free(p);
	p = bundle_sidecar_path("d/x.tar.gz");
	assert_string_equal(p, "d/x.tar.gz.sha256");
	free(p);
	p = bundle_partial_path("x.tar.gz");
	assert_string_equal(p, "x.tar.gz.partial");
	free(p);
}

static const struct bundle_manifest_collector cols[] = {
	{ .name = "system",
	  .status = STATUS_OK,
	  .duration_ms = 812,
	  .records = 41,
	  .rejected = 0 },
	{ .name = "nas",
	  .reason = "deadline of 30000 ms reached",
	  .status = STATUS_TIMEOUT,
	  .duration_ms = 30004,
	  .records = 17,
	  .rejected = 2,
	  .truncated = true },
};

static void assert_cols_equal(const struct bundle_manifest_collector *a,
			      const struct bundle_manifest_collector *b,
			      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(a[i].name, b[i].name);
		if (b[i].reason)
			assert_string_equal(a[i].reason, b[i].reason);
		else
			assert_null(a[i].reason);
		assert_int_equal(a[i].status, b[i].status);
		assert_int_equal(a[i].duration_ms, b[i].duration_ms);
		assert_int_equal(a[i].records, b[i].records);
		assert_int_equal(a[i].rejected, b[i].rejected);
		assert_int_equal(a[i].truncated, b[i].truncated);
	}
}

static void test_manifest_roundtrip(void **state)
{
	static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a3"
				      "96177a9cb410ff61f20015ad";
	json_t *source =
		bundle_manifest_source("x.log.gz", "gzip", "CP1252", true);
	json_t *files = json_pack(
		"[o, o]",
		bundle_manifest_file("findings.json", 3, abc_sha, NULL),
		bundle_manifest_file("collectors/nas/x.log", 3, abc_sha,
				     source));
	json_t *red = json_pack("{s:i}", "key-value", 3);
	json_t *omitted = json_pack(
		"[o]", bundle_manifest_omitted("a.bin", 9, "not text"));
	json_t *extra = json_pack("{s:{s:s}, s:s}", "exported_from", "bundle",
				  "b", "format", "rdiag-bundle/9");
	struct bundle_manifest m = {
		.agent_version = "0.1.0",
		.host = "db01",
		.ticket = NULL,
		.started = "2026-11-28T07:17:45Z",
		.finished = "2026-11-28T07:18:29Z",
		.command_line = "rdiag run",
		.collectors = cols,
		.ncollectors = ARRAY_SIZE(cols),
		.extra = extra,
		.files = files,
		.redactions = red,
		.omitted = omitted,
	};
	static const char *const order[] = {
		"format",        "agent_version", "host",         "ticket",
		"started",       "finished",      "command_line", "collectors",
		"exported_from", "files",         "redactions",   "omitted",
	};
	struct bundle_manifest back;
	char *err = NULL, *text;
	json_t *j = bundle_manifest_build(&m), *j2;
	const char *key;
	json_t *v;
	size_t i = 0;

	(void)state;
	/* The documented key order; extra cannot replace "format". */
	json_object_foreach(j, key, v)
	{
		assert_true(i < ARRAY_SIZE(order));
		assert_string_equal(key, order[i++]);
	}
	assert_int_equal(i, ARRAY_SIZE(order));
	assert_string_equal(json_string_value(json_object_get(j, "format")),
			    BUNDLE_FORMAT);
	assert_true(json_is_null(json_object_get(j, "ticket")));
	assert_true(json_is_null(json_object_get(
		json_array_get(json_object_get(j, "collectors"), 0),
		"reason")));

	/* Through the bytes, as a reader gets it. */
	text = json_dumps(j, JSON_INDENT(2));
	j2 = json_loads(text, 0, NULL);
	assert_non_null(j2);
	assert_int_equal(bundle_manifest_read(j2, &back, &err), 0);
	assert_null(err);
	assert_string_equal(back.agent_version, m.agent_version);
	assert_string_equal(back.host, m.host);
	assert_null(back.ticket);
	assert_string_equal(back.started, m.started);
	assert_string_equal(back.finished, m.finished);
	assert_string_equal(back.command_line, m.command_line);
	assert_int_equal(back.ncollectors, m.ncollectors);
	assert_cols_equal(back.collectors, cols, ARRAY_SIZE(cols));
	assert_true(json_equal(back.files, files));
	assert_true(json_equal(
		json_object_get(json_array_get(back.files, 1), "source"),
		source));
	assert_string_equal(
		json_string_value(json_object_get(source, "compression")),
		"gzip");
	assert_true(json_is_true(json_object_get(source, "truncated")));
	assert_int_equal(json_object_size(source), 4);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(back.omitted, 0), "reason")),
			    "not text");
	assert_true(json_equal(back.redactions, red));
	assert_true(json_equal(back.omitted, omitted));
	assert_int_equal(json_object_size(back.extra), 1);
	assert_true(json_equal(json_object_get(back.extra, "exported_from"),
			       json_object_get(extra, "exported_from")));

	/* What was read builds the same manifest again. */
	json_decref(j);
	j = bundle_manifest_build(&back);
	assert_true(json_equal(j, j2));

	bundle_manifest_release(&back);
	json_decref(j);
	json_decref(j2);
	json_decref(files);
	json_decref(red);
	json_decref(omitted);
	json_decref(source);
	json_decref(extra);
	free(text);
}

static void test_manifest_refusals(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "[]", "manifest.json is not a JSON object" },
		{ "{\"files\":[],\"collectors\":[]}",
		  "unknown bundle format '(none)' (this rdiag reads "
		  "rdiag-bundle/1)" },
		{ "{\"format\":\"rdiag-bundle/2\",\"files\":[],"
		  "\"collectors\":[]}",
		  "unknown bundle format 'rdiag-bundle/2' (this rdiag reads "
		  "rdiag-bundle/1)" },
		{ "{\"format\":\"rdiag-bundle/1\",\"collectors\":[]}",
		  "manifest.json has no files list" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[{\"path\":\"a\","
		  "\"size\":-1,\"sha256\":\"" /* 64 x 'a' */
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaa\"}],\"collectors\":[]}",
		  "manifest.json: files[0] needs path, size and sha256" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[{\"path\":\"a\","
		  "\"size\":1,\"sha256\":\"AB\"}],\"collectors\":[]}",
		  "manifest.json: files[0] needs path, size and sha256" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[]}",
		  "manifest.json has no collectors list" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[],\"collectors\":"
		  "[{\"name\":\"a\",\"status\":\"ok\"},{\"name\":\"B\","
		  "\"status\":\"ok\"}]}",
		  "manifest.json: collectors[1] needs a name ([a-z0-9_]) and "
		  "a known status" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[],\"collectors\":"
		  "[{\"name\":\"a\",\"status\":\"done\"}]}",
		  "manifest.json: collectors[0] needs a name ([a-z0-9_]) and "
		  "a known status" },
		{ "{\"format\":\"rdiag-bundle/1\",\"files\":[],\"collectors\":"
		  "[{\"name\":\"a\",\"status\":\"ok\"},{\"name\":\"a\","
		  "\"status\":\"skipped\"}]}",
		  "manifest.json lists collector 'a' twice" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].json, 0, NULL);
		struct bundle_manifest m;
		char *err = NULL;

		assert_non_null(j);
		assert_int_equal(bundle_manifest_read(j, &m, &err), -EBADMSG);
		assert_non_null(err);
		assert_string_equal(err, cases[i].msg);
		free(err);
		json_decref(j);
	}
}

/* Is `key` in the first cell of a table row of the page? */
static bool documented(const char *page, const char *key)
{
	char *quoted = xasprintf("`%s`", key);
	bool yes = false;

	for (const char *l = page; l && *l && !yes;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *cell_end;

		if (strncmp(l, "| `", 3) != 0)
			continue;
		cell_end = strchr(l + 1, '|');
		for (const char *q = strstr(l, quoted); q && cell_end && !yes;
		     q = strstr(q + 1, quoted))
			yes = q < cell_end;
	}
	free(quoted);
	return yes;
}

static void assert_keys_documented(const char *page, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (!documented(page, key))
			fail_msg("manifest field '%s' is not in "
				 "docs/bundle-format.md",
				 key);
	}
}

/* Every field the module writes has its row in docs/bundle-format.md. */
static void test_docs_tables(void **state)
{
	char *path = harness_data_path("../../docs/bundle-format.md");
	json_t *source = json_pack("{s:s}", "encoding", "UTF-16LE");
	json_t *files = json_pack(
		"[o]", bundle_manifest_file("a.txt", 1,
					    "ba7816bf8f01cfea414140de5dae2223b0"
					    "0361a396177a9cb410ff61f20015ad",
					    source));
	json_t *omitted =
		json_pack("[o]", bundle_manifest_omitted("b.bin", 2, "x"));
	json_t *extra = json_pack("{s:{}}", "exported_from");
	struct bundle_manifest m = {
		.agent_version = "0.1.0",
		.host = "h",
		.started = "s",
		.finished = "f",
		.command_line = "c",
		.collectors = cols,
		.ncollectors = ARRAY_SIZE(cols),
		.extra = extra,
		.files = files,
		.omitted = omitted,
	};
	json_t *j = bundle_manifest_build(&m);
	struct buf page;

	(void)state;
	harness_load(path, &page);
	assert_keys_documented(page.data, j);
	assert_keys_documented(
		page.data, json_array_get(json_object_get(j, "collectors"), 1));
	assert_keys_documented(page.data, json_array_get(files, 0));
	{
		struct bundle_export_origin o = { .bundle = "b",
						  .sha256 = "s",
						  .manifest_sha256 = "m" };
		json_t *e = bundle_export_origin_build(&o);

		assert_keys_documented(page.data, e);
		json_decref(e);
	}
	/* And the check can fail. */
	assert_false(documented(page.data, "no_such_field"));
	buf_release(&page);
	json_decref(j);
	json_decref(files);
	json_decref(omitted);
	json_decref(source);
	json_decref(extra);
	free(path);
}

static char *write_src(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wx");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* The writer's bundle through the one reader, field by field. */
static void test_writer_reader(void **state)
{
	static const char findings[] =
		"[{\"id\":\"nas.share.slow\",\"collector\":\"nas\","
		"\"severity\":\"warn\",\"level\":4,\"title\":\"Slow share\","
		"\"detail\":\"a\\nb\",\"hint\":\"ask the NAS admin\"}]\n";
	static const char records[] = "{\"kind\":\"fact\",\"collector\":"
				      "\"nas\",\"key\":\"nas.mounts\","
				      "\"value\":\"2\"}\n"
				      "{\"kind\":\"fact\",\"collector\":"
				      "\"nas\",\"key\":\"nas.rtt_ms\","
				      "\"value\":12}\n";
	char dir[] = "/tmp/rdiag-test-bfmt-XXXXXX";
	char *src, *out, *recs, *fnd, *log, *path = NULL, *err = NULL;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	struct review *rv = NULL;
	struct review_opts o;
	struct bundle_manifest m = {
		.agent_version = "9.9.9",
		.host = "db01",
		.ticket = "4711",
		.started = "2026-11-28T07:17:45Z",
		.finished = "2026-11-28T07:18:29Z",
		.command_line = "rdiag run --ticket 4711",
		.collectors = cols,
		.ncollectors = ARRAY_SIZE(cols),
	};
	char sha[65];
	uint64_t size = 0;
	char *arc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	src = xasprintf("%s/src", dir);
	out = xasprintf("%s/out", dir);
	assert_int_equal(mkdir(src, 0700), 0);
	assert_int_equal(mkdir(out, 0700), 0);
	recs = write_src(src, "records.jsonl", records);
	fnd = write_src(src, "findings.json", findings);
	log = write_src(src, "rdiag.log", "password=FAKE-pw-01\n");

	assert_int_equal(bundle_open(out, "rdiag-db01-4711-20261128T071745Z",
				     BUNDLE_ZSTD, red, &b, &err),
			 0);
	arc = bundle_collector_path("nas", BUNDLE_RECORDS);
	assert_int_equal(bundle_add_file(b, arc, recs, true, &err), 0);
	free(arc);
	assert_int_equal(bundle_add_file(b, BUNDLE_FINDINGS, fnd, true, &err),
			 0);
	assert_int_equal(bundle_add_file(b, BUNDLE_LOG, log, true, &err), 0);
	assert_int_equal(bundle_close(b, &m, &path, &size, sha, &err), 0);
	assert_null(err);

	memset(&o, 0, sizeof(o));
	assert_int_equal(review_open(path, &o, &rv, &err), 0);
	assert_null(err);
	assert_string_equal(rv->top, "rdiag-db01-4711-20261128T071745Z");
	assert_string_equal(rv->sha256, sha);
	assert_int_equal(rv->file_size, size);
	assert_int_equal(rv->sidecar, REVIEW_SIDECAR_OK);
	assert_false(rv->encrypted);
	assert_false(rv->is_signed);
	assert_string_equal(rv->agent_version, m.agent_version);
	assert_string_equal(rv->host, m.host);
	assert_string_equal(rv->ticket, m.ticket);
	assert_string_equal(rv->started, m.started);
	assert_string_equal(rv->finished, m.finished);
	assert_string_equal(rv->man.command_line, m.command_line);
	assert_string_equal(
		json_string_value(json_object_get(rv->manifest, "format")),
		BUNDLE_FORMAT);
	assert_int_equal(rv->man.ncollectors, ARRAY_SIZE(cols));
	assert_cols_equal(rv->man.collectors, cols, ARRAY_SIZE(cols));
	assert_int_equal(rv->ncollectors, ARRAY_SIZE(cols));
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		const struct review_collector *rc = &rv->collectors[i];

		assert_string_equal(rc->name, cols[i].name);
		assert_string_equal(rc->status,
				    collector_status_name(cols[i].status));
		assert_int_equal(rc->duration_ms, cols[i].duration_ms);
		assert_int_equal(rc->records, cols[i].records);
		assert_int_equal(rc->truncated, cols[i].truncated);
		assert_int_equal(rc->rejected, cols[i].rejected);
		assert_int_equal(rc->has_records, i == 1);
	}
	assert_string_equal(rv->collectors[1].reason, cols[1].reason);
	/* Facts from collectors/nas/records.jsonl, values as strings. */
	assert_int_equal(json_array_size(rv->collectors[1].facts), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(rv->collectors[1].facts, 1), "value")),
		"12");
	/* Three files listed, in archive order. */
	assert_int_equal(rv->nfiles, 3);
	assert_string_equal(json_string_value(json_array_get(rv->paths, 0)),
			    "collectors/nas/records.jsonl");
	assert_string_equal(json_string_value(json_array_get(rv->paths, 1)),
			    BUNDLE_FINDINGS);
	assert_string_equal(json_string_value(json_array_get(rv->paths, 2)),
			    BUNDLE_LOG);
	/* findings.json exactly as written, and parsed. */
	assert_int_equal(rv->findings_len, strlen(findings));
	assert_memory_equal(rv->findings_text, findings, strlen(findings));
	assert_int_equal(json_array_size(rv->findings), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(rv->findings, 0), "detail")),
			    "a\nb");
	/* The log's password was redacted and counted. */
	assert_non_null(rv->redactions);
	assert_true(json_object_size(rv->redactions) >= 1);
	assert_int_equal(json_object_size(rv->man.extra), 0);

	review_free(rv);
	assert_int_equal(fs_remove_tree(dir), 0);
	redactor_free(red);
	free(src);
	free(out);
	free(recs);
	free(fnd);
	free(log);
	free(path);
}

/* A part's record of its source: built, written, read back, refused. */
static void test_export_origin(void **state)
{
	static const char hex[] = "ba7816bf8f01cfea414140de5dae2223b0"
				  "0361a396177a9cb410ff61f20015ad";
	json_t *kept = json_pack("[s]", "nas");
	json_t *left = json_pack("[s, s]", "database", "system");
	struct bundle_export_origin o = {
		.bundle = "rdiag-h-4711-20261204T100000Z",
		.sha256 = hex,
		.manifest_sha256 = hex,
		.collectors = kept,
		.left_out = left,
	}, back;
	static const char *const bad[] = {
		"{\"collectors\": [\"nas\"]}",
		"{\"bundle\": \"\", \"collectors\": [\"nas\"]}",
		"{\"bundle\": \"b\", \"sha256\": \"AB\", \"collectors\": []}",
		"{\"bundle\": \"b\", \"collectors\": [\"a b\"]}",
		"{\"bundle\": \"b\", \"collectors\": \"nas\"}",
		"{\"bundle\": \"b\", \"collectors\": [], \"left_out\": \"x\"}",
		"{\"bundle\": \"b\", \"collectors\": [], \"left_out\": [1]}",
		"\"b\"",
	};
	struct bundle_manifest m, rd;
	char *err = NULL, *text;
	json_t *j, *parsed;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.extra = json_pack("{s:o}", BUNDLE_EXPORTED_FROM,
			    bundle_export_origin_build(&o));
	j = bundle_manifest_build(&m);
	text = json_dumps(j, 0);
	parsed = json_loads(text, 0, NULL);
	assert_int_equal(bundle_manifest_read(parsed, &rd, &err), 0);
	assert_int_equal(bundle_export_origin_read(&rd, &back, &err), 1);
	assert_string_equal(back.bundle, o.bundle);
	assert_string_equal(back.sha256, hex);
	assert_string_equal(back.manifest_sha256, hex);
	assert_true(json_equal(back.collectors, kept));
	assert_true(json_equal(back.left_out, left));
	bundle_manifest_release(&rd);
	json_decref(parsed);
	free(text);
	json_decref(j);
	json_decref(m.extra);

	/* A whole bundle is no part; a part of an older rdiag has no
	 * left_out, which reads as NULL (not known), not as "none". */
	memset(&rd, 0, sizeof(rd));
	assert_int_equal(bundle_export_origin_read(&rd, &back, &err), 0);
	rd.extra = json_pack("{s:{s:s, s:[s]}}", BUNDLE_EXPORTED_FROM, "bundle",
			     "b", "collectors", "nas");
	assert_int_equal(bundle_export_origin_read(&rd, &back, &err), 1);
	assert_null(back.left_out);
	assert_null(back.sha256);
	json_decref(rd.extra);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		rd.extra = json_pack("{s:o}", BUNDLE_EXPORTED_FROM,
				     json_loads(bad[i], JSON_DECODE_ANY, NULL));
		assert_non_null(rd.extra);
		err = NULL;
		if (bundle_export_origin_read(&rd, &back, &err) != -EBADMSG)
			fail_msg("case %zu was accepted", i);
		assert_non_null(strstr(err, "exported_from"));
		free(err);
		json_decref(rd.extra);
	}
	json_decref(kept);
	json_decref(left);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_manifest_roundtrip),
		cmocka_unit_test(test_manifest_refusals),
		cmocka_unit_test(test_docs_tables),
		cmocka_unit_test(test_export_origin),
		cmocka_unit_test(test_writer_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
