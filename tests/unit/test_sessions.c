/*
 * The sessions collector: support-session evidence (audit log, recordings)
 * is copied, host keys are not, the size cap keeps the newest recordings,
 * and a machine without sessions reports skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

extern const struct collector collector_sessions;

static void put(const char *dir, const char *name, size_t size, time_t mtime)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };

	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
	assert_int_equal(utimes(path, tv), 0);
	free(path);
}

static bool artifact(const struct harness_run *run, const char *path)
{
	size_t i;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kind"));
		const char *p = json_string_value(json_object_get(r, "path"));

		if (k && p && !strcmp(k, "artifact") && !strcmp(p, path))
			return true;
	}
	return false;
}

static bool skipped(const struct harness_run *run)
{
	return harness_count(run, "skip") == 1;
}

static void test_copies_evidence_not_keys(void **state)
{
	char dir[] = "/tmp/rdiag-sessions-XXXXXX";
	struct harness_run run;
	struct config cfg;
	time_t now = time(NULL);
	char *path;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "audit.jsonl", 100, now - 3000);
	put(dir, "old-e1.cast", 600 * 1024, now - 2000);
	put(dir, "new-e1.cast", 700 * 1024, now - 1000);
	put(dir, "new.host_key.pub", 80, now);
	config_init(&cfg);
	config_add(&cfg, "session", "state_dir", dir, "test");
	config_add(&cfg, "sessions", "max_mb", "1", "test");
	harness_run(&collector_sessions, "", &cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_false(skipped(&run));
	assert_true(artifact(&run, "audit.jsonl"));
	assert_true(artifact(&run, "new-e1.cast"));
	assert_false(artifact(&run, "new.host_key.pub"));
	/* 1 MiB cap: the newest recording whole, the older one cut. */
	path = xasprintf("%s/new-e1.cast", run.staging);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 700 * 1024);
	free(path);
	path = xasprintf("%s/old-e1.cast", run.staging);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 1024 * 1024 - 700 * 1024 - 100);
	free(path);
	assert_string_equal(harness_fact(&run, "sessions.files_copied"), "3");
	harness_release(&run);
	config_release(&cfg);
	path = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

static void test_no_sessions_is_skipped(void **state)
{
	struct harness_run run;
	struct config cfg;

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "session", "state_dir", "/nonexistent/rdiag-sessions",
		   "test");
	harness_run(&collector_sessions, "", &cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_true(skipped(&run));
	assert_int_equal(harness_count(&run, "artifact"), 0);
	harness_release(&run);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_evidence_not_keys),
		cmocka_unit_test(test_no_sessions_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
