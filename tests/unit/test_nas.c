/*
 * The nas collector as a whole, in-process: a fixture root whose mountinfo,
 * mountstats and cifs Stats describe NFS and SMB shares (mount-level
 * findings without any I/O on them, no server contacted), and real local
 * directories for the bounded per-operation checks.
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

#include "core/config.h"
#include "harness.h"
#include "rdiag/util.h"

extern const struct collector collector_nas;

static const char *finding_str(json_t *f, const char *key)
{
	return json_string_value(json_object_get(f, key));
}

static void assert_finding(const struct harness_run *run, const char *id,
			   const char *severity, int level)
{
	json_t *f = harness_finding(run, id);

	if (!f)
		fail_msg("no finding %s", id);
	assert_string_equal(finding_str(f, "severity"), severity);
	assert_int_equal(json_integer_value(json_object_get(f, "level")),
			 level);
}

static size_t count(const struct harness_run *run, const char *id)
{
	size_t n = 0, i;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *rid = finding_str(r, "id");

		n += rid && strcmp(rid, id) == 0;
	}
	return n;
}

static void test_fixture_mounts(void **state)
{
	struct harness_run run;
	struct config cfg;
	char *root = harness_data_path("nas/root");

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "nas", "probe_servers", "no", "test");
	config_add(&cfg, "nas", "op_timeout_ms", "500", "test");
	harness_run(&collector_nas, root, &cfg, &run);
	/* /mnt/old: soft, nolock, udp; /mnt/smb: soft, nobrl. */
	assert_finding(&run, "nas.mount.soft", "warn", 4);
	assert_int_equal(count(&run, "nas.mount.soft"), 2);
	assert_finding(&run, "nas.mount.no_locking", "warn", 4);
	assert_finding(&run, "nas.mount.udp", "warn", 4);
	assert_finding(&run, "nas.mount.smb1", "fail", 4);
	/* /mnt/app and /mnt/v6 are fine. */
	assert_int_equal(count(&run, "nas.mount.ok"), 2);
	/* mountstats of /mnt/app: 4 timeouts, WRITE 300 ms on average. */
	assert_finding(&run, "nas.nfs.timeouts", "warn", 4);
	assert_finding(&run, "nas.nfs.slow", "warn", 4);
	assert_finding(&run, "nas.nfs.counters_ok", "ok", 4); /* /mnt/old */
	assert_finding(&run, "nas.cifs.reconnects", "warn", 4);
	assert_finding(&run, "nas.cifs.failed_ops", "warn", 4);
	/* The autofs mount is never a target; no server was probed. */
	assert_null(harness_fact(&run, "host.0.name"));
	assert_string_equal(harness_fact(&run, "mount.31.server"), "nas2");
	assert_string_equal(harness_fact(&run, "mount.31.read_only"), "yes");
	for (size_t i = 0; i < 8; i++) {
		char key[32];
		const char *v;

		snprintf(key, sizeof(key), "path.%zu.path", i);
		v = harness_fact(&run, key);
		if (v)
			assert_string_not_equal(v, "/net");
	}
	harness_release(&run);
	config_release(&cfg);
	free(root);
}

static void test_local_paths(void **state)
{
	char tmpl[] = "/tmp/rdiag-nas-XXXXXX";
	struct harness_run run;
	struct config cfg;
	char *dir, *missing, *file, *rel_probe;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	dir = xasprintf("%s/data", tmpl);
	missing = xasprintf("%s/nope", tmpl);
	file = xasprintf("%s/file", tmpl);
	assert_int_equal(mkdir(dir, 0700), 0);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	config_init(&cfg);
	config_add(&cfg, "nas", "discover", "no", "test");
	config_add(&cfg, "nas", "op_timeout_ms", "2000", "test");
	config_add(&cfg, "nas", "path", dir, "test");
	config_add(&cfg, "nas", "path", missing, "test");
	config_add(&cfg, "nas", "path", "relative/dir", "test");
	config_add(&cfg, "product", "data_dir", file, "test");
	harness_run(&collector_nas, "", &cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "nas.path.ok", "ok", 0);
	assert_finding(&run, "nas.write.ok", "ok", 0);
	assert_finding(&run, "nas.lock.ok", "ok", 0);
	assert_finding(&run, "nas.path.missing", "fail", 0);
	assert_finding(&run, "nas.config.invalid_path", "fail", 0);
	assert_finding(&run, "nas.path.not_dir", "fail", 0);
	assert_string_equal(harness_fact(&run, "path.0.origin"), "[nas] path");
	assert_string_equal(harness_fact(&run, "path.3.origin"),
			    "[product] data_dir");
	/* The probe file is gone again. */
	rel_probe = (char *)harness_fact(&run, "path.0.probe_file");
	assert_non_null(rel_probe);
	assert_int_equal(access(rel_probe, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	harness_release(&run);
	config_release(&cfg);
	unlink(file);
	rmdir(dir);
	rmdir(tmpl);
	free(dir);
	free(missing);
	free(file);
}

static void test_nothing_to_check(void **state)
{
	struct harness_run run;
	struct config cfg;

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "nas", "discover", "no", "test");
	config_add(&cfg, "nas", "op_timeout_ms", "soon", "test");
	harness_run(&collector_nas, "", &cfg, &run);
	assert_finding(&run, "nas.config.none", "info", 0);
	assert_finding(&run, "nas.config.invalid", "warn", 0);
	assert_int_equal(harness_count(&run, "skip"), 1);
	harness_release(&run);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_mounts),
		cmocka_unit_test(test_local_paths),
		cmocka_unit_test(test_nothing_to_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
