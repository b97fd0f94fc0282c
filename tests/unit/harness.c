/*
 * In-process collector runs for unit tests (see harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "harness.h"
#include "rdiag/buf.h"

static void load_records(FILE *f, json_t *arr)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *obj;
		enum record_kind kind;
		const char *err;

		if (line[n - 1] == '\n')
			n--;
		if (record_parse(line, (size_t)n, &obj, &kind, &err) < 0) {
			fprintf(stderr, "invalid record (%s): %.*s\n", err,
				(int)n, line);
			fail();
		}
		json_array_append_new(arr, obj);
	}
	free(line);
}

void harness_run(const struct collector *c, const char *root,
		 const struct config *cfg, struct harness_run *ret)
{
	char tmpl[] = "/tmp/rdiag-harness-XXXXXX";
	struct collector_ctx *ctx;
	struct ctx_params p;
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_non_null(mkdtemp(tmpl));
	memset(&p, 0, sizeof(p));
	p.collector = c;
	p.out_fd = fileno(f);
	p.staging_dir = tmpl;
	p.config = cfg;
	p.deadline_ms = now_ms() + c->deadline_ms;
	p.root = root;
	ctx = ctx_new(&p);
	ret->rc = c->run(ctx);
	ctx_free(ctx);
	rewind(f);
	ret->records = json_array();
	load_records(f, ret->records);
	fclose(f);
	ret->staging = xstrdup(tmpl);
}

void harness_release(struct harness_run *run)
{
	char *cmd = xasprintf("rm -rf '%s'", run->staging);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove '%s', ignoring\n", run->staging);
	free(cmd);
	free(run->staging);
	json_decref(run->records);
	memset(run, 0, sizeof(*run));
}

static json_t *find(const struct harness_run *run, const char *kind,
		    const char *field, const char *value)
{
	size_t i;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kind"));
		const char *v = json_string_value(json_object_get(r, field));

		if (k && v && strcmp(k, kind) == 0 && strcmp(v, value) == 0)
			return r;
	}
	return NULL;
}

json_t *harness_finding(const struct harness_run *run, const char *id)
{
	return find(run, "finding", "id", id);
}

const char *harness_fact(const struct harness_run *run, const char *key)
{
	json_t *r = find(run, "fact", "key", key);

	return r ? json_string_value(json_object_get(r, "value")) : NULL;
}

size_t harness_count(const struct harness_run *run, const char *kind)
{
	size_t i, n = 0;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kind"));

		if (k && strcmp(k, kind) == 0)
			n++;
	}
	return n;
}

char *harness_data_path(const char *rel)
{
	const char *base = getenv("RDIAG_TEST_DATA");

	return xasprintf("%s/%s", base ? base : "tests/data", rel);
}

size_t harness_read(const char *path, void *p, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		fprintf(stderr, "cannot open '%s'\n", path);
	assert_non_null(f);
	n = fread(p, 1, max, f);
	fclose(f);
	return n;
}

size_t harness_read_data(const char *rel, void *p, size_t max)
{
	char *path = harness_data_path(rel);
	size_t n = harness_read(path, p, max);

	free(path);
	return n;
}

void harness_load(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		fprintf(stderr, "cannot open '%s'\n", path);
	assert_non_null(f);
	buf_init(b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(b, chunk, n), 0);
	fclose(f);
}

void harness_load_data(const char *rel, struct buf *b)
{
	char *path = harness_data_path(rel);

	harness_load(path, b);
	free(path);
}

char *harness_capture(int fd, int (*fn)(void *), void *arg, int *ret)
{
	FILE *tmp = tmpfile();
	int saved = dup(fd);
	char *out = xmalloc(8192);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), fd) >= 0);
	*ret = fn(arg);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved, fd) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, 8191, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}
