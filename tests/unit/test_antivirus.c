/*
 * Unit tests for the antivirus collector: the fdinfo, clamd.conf and mdatp
 * parsers against fixtures (tests/data/antivirus/, one fdinfo captured from
 * a real clamonacc), the product table and its matcher, the timing, EICAR
 * and exec helpers on real temporary directories, and whole runs against
 * fixture roots — static ones for product detection, and roots built at
 * test time whose fanotify marks point at a real directory's inode.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "antivirus_io.h"
#include "antivirus_parse.h"
#include "antivirus_products.h"
#include "core/config.h"
#include "harness.h"
#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/record.h"

extern const struct collector collector_antivirus;

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
	free(p);
}

static void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* fdinfo */

static void test_fdinfo_clamonacc(void **state)
{
	struct av_fanotify f;
	struct buf b;

	(void)state;
	harness_load_data("antivirus/fdinfo-clamonacc", &b);
	assert_int_equal(av_fdinfo_parse(b.data, b.len, &f), 0);
	assert_true(f.is_fanotify);
	assert_int_equal(f.flags, 0x34);
	assert_int_equal(f.event_flags, 0x8000);
	assert_true(av_fanotify_can_block(&f));
	assert_int_equal(f.nmarks, 2);
	assert_int_equal(f.nmarks_dropped, 0);
	assert_int_equal(f.marks[0].type, AV_MARK_INODE);
	assert_int_equal(f.marks[0].ino, 0xa74031);
	assert_int_equal(f.marks[0].sdev, 0xfe00000);
	assert_int_equal(f.marks[0].mask, 0x8030000);
	assert_int_equal(f.marks[1].ino, 0xa74021);
	av_fanotify_release(&f);
	buf_release(&b);
}

static void test_fdinfo_marks(void **state)
{
	struct av_fanotify f;
	struct buf b;

	(void)state;
	harness_load_data("antivirus/fdinfo-marks", &b);
	assert_int_equal(av_fdinfo_parse(b.data, b.len, &f), 0);
	assert_int_equal(f.flags, 0x8);
	assert_true(av_fanotify_can_block(&f));
	/* The fd's own "mnt_id: 15" is not a mark; "ino:zz" is malformed. */
	assert_int_equal(f.nmarks, 3);
	assert_int_equal(f.nmarks_dropped, 1);
	assert_int_equal(f.marks[0].type, AV_MARK_MOUNT);
	assert_int_equal(f.marks[0].mnt_id, 0x1f);
	assert_int_equal(f.marks[0].mask, AV_FAN_OPEN_PERM);
	assert_int_equal(f.marks[1].type, AV_MARK_FILESYSTEM);
	assert_int_equal(f.marks[1].sdev, 0x800013);
	assert_int_equal(f.marks[1].mask, AV_FAN_OPEN_EXEC_PERM);
	assert_int_equal(f.marks[2].type, AV_MARK_INODE);
	assert_int_equal(f.marks[2].ignored, AV_FAN_OPEN_PERM);
	av_fanotify_release(&f);
	buf_release(&b);
}

static void test_fdinfo_table(void **state)
{
	static const struct {
		const char *text;
		int r;
		uint32_t flags;
		size_t nmarks, dropped;
		bool block;
	} cases[] = {
		{ "fanotify flags:0 event-flags:0\n", 0, 0, 0, 0, false },
		{ "fanotify flags:4 event-flags:0", 0, 4, 0, 0, true },
		{ "fanotify flags:10\nfanotify sdev:1 mask:10000\n", 0, 0x10, 1,
		  0, false },
		{ "fanotify flags:4\nfanotify sdev:1\n", 0, 4, 0, 1, true },
		{ "fanotify flags:4\nfanotify mask:1\n", 0, 4, 0, 1, true },
		{ "fanotify flags:4\nfanotify ino:1 mask:1\n", 0, 4, 0, 1,
		  true },
		{ "fanotify flags:fffffffffffffffff\n", -EINVAL, 0, 0, 0,
		  false },
		{ "fanotify flags:1ffffffff\n", -EINVAL, 0, 0, 0, false },
		{ "fanotify flags:\n", -EINVAL, 0, 0, 0, false },
		{ "pos: 0\nflags: 02\n", -EINVAL, 0, 0, 0, false },
		{ "", -EINVAL, 0, 0, 0, false },
		{ "fanotify  flags:4\n", -EINVAL, 0, 0, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct av_fanotify f;

		assert_int_equal(av_fdinfo_parse(cases[i].text,
						 strlen(cases[i].text), &f),
				 cases[i].r);
		assert_int_equal(f.flags, cases[i].flags);
		assert_int_equal(f.nmarks, cases[i].nmarks);
		assert_int_equal(f.nmarks_dropped, cases[i].dropped);
		if (cases[i].r == 0)
			assert_int_equal(av_fanotify_can_block(&f),
					 cases[i].block);
		av_fanotify_release(&f);
	}
}

static void test_fdinfo_inotify_and_limits(void **state)
{
	struct av_fanotify f;
	struct buf b;

	(void)state;
	harness_load_data("antivirus/fdinfo-inotify", &b);
	assert_int_equal(av_fdinfo_parse(b.data, b.len, &f), -EINVAL);
	buf_release(&b);
	/* More marks than kept: the rest are counted, memory stays bounded. */
	buf_init(&b, 0);
	buf_puts(&b, "fanotify flags:4 event-flags:0\n");
	for (unsigned i = 0; i < AV_FAN_MARKS_MAX + 10; i++)
		buf_printf(&b,
			   "fanotify ino:%x sdev:1 mflags:0 mask:10000 "
			   "ignored_mask:0\n",
			   i + 1);
	assert_int_equal(av_fdinfo_parse(b.data, b.len, &f), 0);
	assert_int_equal(f.nmarks, AV_FAN_MARKS_MAX);
	assert_int_equal(f.nmarks_dropped, 10);
	av_fanotify_release(&f);
	buf_release(&b);
}

/* clamd.conf */

static void test_clamd_conf_fixture(void **state)
{
	struct av_clamd_conf c;
	const char *rule;
	struct buf b;

	(void)state;
	harness_load_data("antivirus/clamd-onaccess.conf", &b);
	assert_int_equal(av_clamd_conf_parse(b.data, b.len, &c), 0);
	assert_true(c.example);
	assert_string_equal(c.local_socket, "/srv/clamd.sock");
	assert_string_equal(c.tcp_socket, "33310");
	assert_int_equal(c.tcp_addr.n, 1);
	assert_string_equal(c.tcp_addr.v[0], "127.0.0.1");
	assert_string_equal(c.database_dir, "/srv/db");
	assert_int_equal(c.include_path.n, 1);
	assert_int_equal(c.exclude_path.n, 2);
	assert_string_equal(c.exclude_path.v[1], "/srv/data/tmp");
	assert_int_equal(c.exclude_uname.n, 1);
	assert_string_equal(c.exclude_uname.v[0], "clamav");
	assert_int_equal(c.prevention, 1);
	assert_int_equal(c.extra_scanning, 1);
	assert_int_equal(c.exclude_root, -1);
	assert_int_equal(c.mount_path.n, 0);
	assert_int_equal(c.nlines_bad, 1); /* OnAccessMountPath without value */

	assert_int_equal(av_clamd_conf_watch(&c, "/srv/data/app", &rule),
			 AV_CLAMD_WATCHED);
	assert_string_equal(rule, "/srv/data");
	assert_int_equal(av_clamd_conf_watch(&c, "/srv/data", NULL),
			 AV_CLAMD_WATCHED);
	assert_int_equal(av_clamd_conf_watch(&c, "/srv/data/other/x", &rule),
			 AV_CLAMD_EXCLUDED);
	assert_string_equal(rule, "/srv/data/other");
	assert_int_equal(av_clamd_conf_watch(&c, "/srv/data/tmp", &rule),
			 AV_CLAMD_EXCLUDED);
	assert_int_equal(av_clamd_conf_watch(&c, "/srv/database", &rule),
			 AV_CLAMD_NOT_WATCHED);
	assert_null(rule);
	assert_int_equal(av_clamd_conf_watch(&c, "/srv/data/otherwise", NULL),
			 AV_CLAMD_WATCHED);
	av_clamd_conf_release(&c);
	buf_release(&b);
}

static void test_clamd_conf_table(void **state)
{
	static const struct {
		const char *text;
		int prevention;
		size_t ninc, bad;
		const char *sock;
	} cases[] = {
		{ "", -1, 0, 0, NULL },
		{ "OnAccessPrevention no\n", 0, 0, 0, NULL },
		{ "OnAccessPrevention FALSE\r\n", 0, 0, 0, NULL },
		{ "OnAccessPrevention maybe\n", -1, 0, 0, NULL },
		/* keys are case-sensitive, as in clamd */
		{ "onaccessprevention yes\n", -1, 0, 0, NULL },
		{ "#OnAccessPrevention yes\n", -1, 0, 0, NULL },
		{ "LocalSocket /a\nLocalSocket /b\n", -1, 0, 0, "/b" },
		{ "LocalSocket\n", -1, 0, 1, NULL },
		{ "OnAccessIncludePath /a\nOnAccessIncludePath /b", -1, 2, 0,
		  NULL },
		{ "\tOnAccessIncludePath\t/a\t\n", -1, 1, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct av_clamd_conf c;

		assert_int_equal(av_clamd_conf_parse(cases[i].text,
						     strlen(cases[i].text), &c),
				 0);
		assert_int_equal(c.prevention, cases[i].prevention);
		assert_int_equal(c.include_path.n, cases[i].ninc);
		assert_int_equal(c.nlines_bad, cases[i].bad);
		if (cases[i].sock)
			assert_string_equal(c.local_socket, cases[i].sock);
		else
			assert_null(c.local_socket);
		av_clamd_conf_release(&c);
	}
}

static void test_clamd_conf_limits(void **state)
{
	struct av_clamd_conf c;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (unsigned i = 0; i < AV_CLAMD_LIST_MAX + 5; i++)
		buf_printf(&b, "OnAccessExcludePath /x/%u\n", i);
	buf_puts(&b, "OnAccessIncludePath /");
	for (unsigned i = 0; i < 5000; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\nOnAccess\0Prevention yes\n");
	assert_int_equal(av_clamd_conf_parse(b.data, b.len, &c), 0);
	assert_int_equal(c.exclude_path.n, AV_CLAMD_LIST_MAX);
	assert_int_equal(c.include_path.n, 0);
	/* 5 past the list cap, the over-long line, the line with a NUL */
	assert_int_equal(c.nlines_bad, 5 + 1 + 1);
	av_clamd_conf_release(&c);
	buf_release(&b);
}

static void test_path_under(void **state)
{
	static const struct {
		const char *path, *dir;
		bool under;
	} cases[] = {
		{ "/srv/app", "/srv/app", true },
		{ "/srv/app/x", "/srv/app", true },
		{ "/srv/app/x", "/srv/app/", true },
		{ "/srv/apple", "/srv/app", false },
		{ "/srv", "/srv/app", false },
		{ "/anything", "/", true },
		{ "/srv/app", "/srv/app//", true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(av_path_under(cases[i].path, cases[i].dir),
				 cases[i].under);
}

/* mdatp */

static void test_mdatp(void **state)
{
	static const char health[] =
		"healthy                       : false\n"
		"health_issues                 : [\"no active event "
		"provider\"]\n"
		"app_version                   : \"101.24092.0002\"\n"
		"real_time_protection_enabled  : true\n"
		"definitions_status            : \"up_to_date\"\n";
	static const char excl[] = "=====================================\n"
				   "Exclusion type  : \"Folder\"\n"
				   "Path            : \"/srv/app/\"\n"
				   "Scope           : [\"epp\"]\n"
				   "=====================================\n"
				   "Exclusion type  : \"File extension\"\n"
				   "Extension       : \".db\"\n";
	struct av_mdatp_health h;

	(void)state;
	assert_int_equal(av_mdatp_health_parse(health, strlen(health), &h), 0);
	assert_int_equal(h.healthy, 0);
	assert_int_equal(h.real_time, 1);
	assert_string_equal(h.app_version, "101.24092.0002");
	assert_string_equal(h.definitions_status, "up_to_date");
	assert_int_equal(av_mdatp_health_parse("nothing here\n", 13, &h),
			 -EINVAL);

	assert_int_equal(av_mdatp_excluded(excl, strlen(excl), "/srv/app"), 1);
	assert_int_equal(av_mdatp_excluded(excl, strlen(excl), "/srv/app/d"),
			 1);
	assert_int_equal(av_mdatp_excluded(excl, strlen(excl), "/srv/apps"), 0);
	assert_int_equal(av_mdatp_excluded("", 0, "/srv/app"), 0);
	assert_int_equal(av_mdatp_excluded("No exclusions\n", 14, "/srv/app"),
			 0);
	assert_int_equal(av_mdatp_excluded("garbage\n", 8, "/srv/app"),
			 -EINVAL);
}

static void test_stats(void **state)
{
	uint32_t a[] = { 5, 1, 3 };
	uint32_t b[] = { 4, 1, 3, 2 };
	uint32_t c[20], med, p95;

	(void)state;
	av_stats(a, 3, &med, &p95);
	assert_int_equal(med, 3);
	assert_int_equal(p95, 5);
	av_stats(b, 4, &med, &p95);
	assert_int_equal(med, 2); /* (2 + 3) / 2 */
	assert_int_equal(p95, 4);
	for (unsigned i = 0; i < 20; i++)
		c[i] = 20 - i; /* 1..20 */
	av_stats(c, 20, &med, &p95);
	assert_int_equal(med, 10); /* (10 + 11) / 2 */
	assert_int_equal(p95, 19); /* rank ceil(0.95 * 20) = 19 */
	c[0] = 7;
	av_stats(c, 1, &med, &p95);
	assert_int_equal(med, 7);
	assert_int_equal(p95, 7);
}

/* The product table */

static void test_product_table(void **state)
{
	(void)state;
	assert_true(av_nproducts >= 12);
	for (size_t i = 0; i < av_nproducts; i++) {
		const struct av_product *p = &av_products[i];
		char *key = xasprintf("product.%s.version", p->id);
		char *ex;

		assert_true(record_key_valid(key));
		free(key);
		assert_non_null(p->name);
		assert_non_null(p->exclusion);
		assert_non_null(strstr(p->exclusion, "%s"));
		/* Something to recognise it by while it runs. */
		assert_true(p->realtime_procs[0] || p->exe_prefixes[0]);
		for (size_t k = i + 1; k < av_nproducts; k++)
			assert_string_not_equal(p->id, av_products[k].id);
		ex = av_product_exclusion(p, "/srv/app");
		assert_null(strstr(ex, "%s"));
		assert_non_null(strstr(ex, "/srv/app"));
		free(ex);
	}
}

static void test_product_match(void **state)
{
	static const struct {
		const char *comm, *exe, *id;
		enum av_proc_role role;
	} cases[] = {
		{ "clamonacc", "/usr/sbin/clamonacc", "clamav",
		  AV_PROC_REALTIME },
		{ "clamd", "/usr/sbin/clamd", "clamav", AV_PROC_COMPONENT },
		/* comm is cut at 15 bytes */
		{ "sophos_threat_d", NULL, "sophos", AV_PROC_REALTIME },
		{ "sophos_threat_detector", NULL, NULL, AV_PROC_NONE },
		{ NULL, "/x/sophos_threat_detector (deleted)", "sophos",
		  AV_PROC_REALTIME },
		{ "wdavdaemon", NULL, "mdatp", AV_PROC_REALTIME },
		{ "pmd", "/opt/traps/bin/pmd", "cortex", AV_PROC_COMPONENT },
		{ "pmd", "/usr/bin/pmd", NULL, AV_PROC_NONE },
		{ "falcon-sensor", NULL, "crowdstrike", AV_PROC_REALTIME },
		{ "bash", "/usr/bin/bash", NULL, AV_PROC_NONE },
		{ "clamonaccx", NULL, NULL, AV_PROC_NONE },
		{ NULL, NULL, NULL, AV_PROC_NONE },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum av_proc_role role = 99;
		const struct av_product *p =
			av_product_match(cases[i].comm, cases[i].exe, &role);

		if (cases[i].id) {
			assert_non_null(p);
			assert_string_equal(p->id, cases[i].id);
		} else {
			assert_null(p);
		}
		assert_int_equal(role, cases[i].role);
	}
}

/* I/O helpers */

static void test_eicar_string(void **state)
{
	char s[69];

	(void)state;
	av_eicar_string(s);
	assert_int_equal(strlen(s), 68);
	assert_int_equal(strncmp(s, "X5O!P%@AP[4\\PZX54", 17), 0);
	assert_int_equal(strcmp(s + 58, "FILE!$H+H*"), 0);
}

static void test_timing_and_eicar_clean_up(void **state)
{
	char tmpl[] = "/tmp/rdiag-av-test-XXXXXX";
	struct av_timing_job job;
	struct av_timing_out *out = xcalloc(1, sizeof(*out));
	struct av_eicar_job ej;
	struct av_eicar_out eo;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	memset(&job, 0, sizeof(job));
	snprintf(job.dir, sizeof(job.dir), "%s", tmpl);
	job.files = 5;
	job.file_kb = 8;
	assert_int_equal(av_timing_run(&job, out, sizeof(*out)),
			 (int)sizeof(*out));
	assert_int_equal(out->err, 0);
	assert_int_equal(out->n, 5);
	assert_int_equal(out->left, 0);
	assert_int_equal(count_entries(tmpl), 0);
	/* Too small an out buffer is refused before anything is written. */
	assert_int_equal(av_timing_run(&job, out, 8), -ENOBUFS);

	/* No antivirus watches /tmp here: EICAR stays readable, then goes. */
	memset(&ej, 0, sizeof(ej));
	snprintf(ej.dir, sizeof(ej.dir), "%s", tmpl);
	ej.wait_ms = 150;
	assert_int_equal(av_eicar_run(&ej, &eo, sizeof(eo)), (int)sizeof(eo));
	assert_int_equal(eo.write_err, 0);
	assert_int_equal(eo.outcome, AV_EICAR_ALLOWED);
	assert_true(eo.after_ms >= 150);
	assert_false(eo.cleanup_failed);
	assert_int_equal(strncmp(eo.name, ".rdiag-eicar-", 13), 0);
	assert_int_equal(count_entries(tmpl), 0);

	/* A directory that does not exist: an error, nothing left behind. */
	snprintf(job.dir, sizeof(job.dir), "%s/missing", tmpl);
	assert_int_equal(av_timing_run(&job, out, sizeof(*out)),
			 (int)sizeof(*out));
	assert_int_equal(out->err, ENOENT);
	assert_string_equal(out->step, "create");
	assert_int_equal(out->n, 0);
	rm_rf(tmpl);
	free(out);
}

static void test_exec(void **state)
{
	const char *echo[] = { "/bin/echo", "a;b", "$HOME", NULL };
	const char *sleep_[] = { "/bin/sleep", "5", NULL };
	const char *fail[] = { "/bin/sh", "-c", "exit 3", NULL };
	const char *missing[] = { "/nonexistent/mdatp", NULL };
	struct buf out;
	int64_t t0;

	(void)state;
	buf_init(&out, 1024);
	/* argv only: no shell expands or splits anything */
	assert_int_equal(proc_exec(echo, 5000, &out, NULL), 0);
	assert_string_equal(out.data, "a;b $HOME\n");
	buf_reset(&out);
	t0 = now_ms();
	assert_int_equal(proc_exec(sleep_, 200, &out, NULL), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(proc_exec(fail, 5000, &out, NULL), 3);
	assert_int_equal(proc_exec(missing, 5000, &out, NULL), 127);
	buf_release(&out);
	buf_init(&out, 4);
	assert_int_equal(proc_exec(echo, 5000, &out, NULL), -ENOBUFS);
	buf_release(&out);
}

/* The deadline kills the whole process group, not only the direct child. */
static void test_exec_kills_group(void **state)
{
	const char *bg[] = { "/bin/sh", "-c", "sleep 30 & echo $!; wait",
			     NULL };
	struct proc_exec_info info;
	struct buf out;
	char desc[96] = "";
	long grandchild;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(proc_exec(bg, 300, &out, &info), -ETIMEDOUT);
	assert_true(info.reaped);
	assert_int_equal(sscanf(out.data, "%ld", &grandchild), 1);
	/* Gone, or a zombie waiting for an init that may never reap it. */
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		proc_describe_stuck((pid_t)grandchild, desc, sizeof(desc));
		if (strstr(desc, "(state ?)") || strstr(desc, "(state Z)"))
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(strstr(desc, "(state ?)") || strstr(desc, "(state Z)"));
	buf_release(&out);
}

/* Whole runs */

static json_t *assert_finding(const struct harness_run *run, const char *id,
			      const char *severity, int level)
{
	json_t *f = harness_finding(run, id);

	if (!f)
		fprintf(stderr, "no finding '%s'\n", id);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")),
			    severity);
	assert_int_equal(json_integer_value(json_object_get(f, "level")),
			 level);
	return f;
}

static const char *text_of(json_t *f, const char *field)
{
	const char *s = json_string_value(json_object_get(f, field));

	return s ? s : "";
}

static size_t count_finding(const struct harness_run *run, const char *id)
{
	size_t i, n = 0;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *v = json_string_value(json_object_get(r, "id"));

		if (v && strcmp(v, id) == 0)
			n++;
	}
	return n;
}

static void test_run_two_products(void **state)
{
	char *root = harness_data_path("antivirus/two-products");
	struct harness_run run;
	json_t *f;

	(void)state;
	harness_run(&collector_antivirus, root, NULL, &run);
	assert_int_equal(run.rc, 0);
	assert_int_equal(count_finding(&run, "antivirus.product.present"), 3);
	f = assert_finding(&run, "antivirus.product.conflict", "fail", 4);
	assert_non_null(strstr(text_of(f, "title"), "Sophos"));
	assert_non_null(strstr(text_of(f, "title"), "Microsoft Defender"));
	assert_null(strstr(text_of(f, "title"), "Cortex"));
	assert_string_equal(harness_fact(&run, "product.mdatp.version"),
			    "101.24092.0002");
	assert_string_equal(harness_fact(&run, "product.sophos.realtime"),
			    "yes");
	assert_string_equal(harness_fact(&run, "product.cortex.realtime"),
			    "no");
	assert_non_null(strstr(harness_fact(&run, "product.sophos.evidence"),
			       "unit /etc/systemd/system/sophos-spl.service"));
	/* deinstalled package with config files left: not present */
	assert_null(harness_fact(&run, "product.clamav.evidence"));
	assert_finding(&run, "antivirus.dir.not_configured", "info", 0);
	assert_null(harness_finding(&run, "antivirus.product.none"));
	harness_release(&run);
	free(root);
}

/* A fresh root under tmpl where only init runs. */
static void init_only_root(char *tmpl)
{
	char *p;

	assert_non_null(mkdtemp(tmpl));
	p = xasprintf("%s/proc/1", tmpl);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/proc/1/comm", tmpl);
	write_text(p, "init\n");
	free(p);
}

static void test_run_nothing(void **state)
{
	char tmpl[] = "/tmp/rdiag-av-root-XXXXXX";
	struct harness_run run;

	(void)state;
	init_only_root(tmpl);
	harness_run(&collector_antivirus, tmpl, NULL, &run);
	assert_finding(&run, "antivirus.product.none", "ok", 4);
	assert_null(harness_finding(&run, "antivirus.product.conflict"));
	assert_null(harness_finding(&run, "antivirus.clamav.engine_down"));
	assert_string_equal(harness_fact(&run, "products"), "0");
	harness_release(&run);
	rm_rf(tmpl);
}

static void test_run_mdatp(void **state)
{
	char *root = harness_data_path("antivirus/mdatp");
	struct harness_run run;
	struct config cfg;
	json_t *f;

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "antivirus", "path", "/srv/app", "test");
	harness_run(&collector_antivirus, root, &cfg, &run);
	assert_string_equal(harness_fact(&run, "mdatp.real_time_protection"),
			    "1");
	f = assert_finding(&run, "antivirus.mdatp.definitions_outdated", "warn",
			   4);
	assert_non_null(strstr(text_of(f, "title"), "outdated"));
	assert_null(harness_finding(&run, "antivirus.mdatp.unhealthy"));
	assert_string_equal(harness_fact(&run, "product.mdatp.realtime"),
			    "yes");
	/* /srv/app does not exist here: reported, nothing else about it */
	assert_finding(&run, "antivirus.dir.missing", "warn", 0);
	harness_release(&run);
	config_release(&cfg);
	free(root);
}

/*
 * A root with one clamonacc whose fanotify group marks the real directory
 * app (by inode, or through a mount mark), and a clamd.conf.
 */
struct fake_host {
	char root[64];
	char app[PATH_MAX];
	struct config cfg;
};

static void fake_host_init(struct fake_host *h, const char *marks,
			   const char *conf_extra, bool mount_mark)
{
	struct stat st;
	char *p, *text;
	uint32_t sdev;

	snprintf(h->root, sizeof(h->root), "/tmp/rdiag-av-host-XXXXXX");
	assert_non_null(mkdtemp(h->root));
	snprintf(h->app, sizeof(h->app), "%s/srv/app", h->root);
	mkdirs(h->app);
	assert_int_equal(stat(h->app, &st), 0);
	sdev = (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));

	p = xasprintf("%s/proc/500/fd", h->root);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/proc/500/fdinfo", h->root);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/proc/self", h->root);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/proc/500/comm", h->root);
	write_text(p, "clamonacc\n");
	free(p);
	p = xasprintf("%s/proc/500/cmdline", h->root);
	{
		FILE *f = fopen(p, "w");
		static const char cmd[] =
			"clamonacc\0-c\0/etc/clamav/onacc.conf\0--fdpass";

		assert_non_null(f);
		fwrite(cmd, 1, sizeof(cmd), f);
		fclose(f);
	}
	free(p);
	p = xasprintf("%s/proc/500/fd/3", h->root);
	assert_int_equal(symlink("anon_inode:[fanotify]", p), 0);
	free(p);
	p = xasprintf("%s/proc/500/fd/4", h->root);
	assert_int_equal(symlink("anon_inode:inotify", p), 0);
	free(p);
	/* Mount id 77 holds "/" in this root's mountinfo. */
	p = xasprintf("%s/proc/self/mountinfo", h->root);
	text = xasprintf("77 1 %u:%u / / rw,relatime - ext4 /dev/vda1 rw\n",
			 major(st.st_dev), minor(st.st_dev));
	write_text(p, text);
	free(text);
	free(p);
	p = xasprintf("%s/proc/500/fdinfo/3", h->root);
	if (mount_mark)
		text = xasprintf("pos:\t0\nflags:\t02\nmnt_id:\t17\n"
				 "fanotify flags:0 event-flags:8000\n"
				 "fanotify mnt_id:4d mflags:0 mask:1 "
				 "ignored_mask:0\n");
	else
		text = xasprintf("pos:\t0\nflags:\t02\nmnt_id:\t17\n"
				 "fanotify flags:34 event-flags:8000\n"
				 "fanotify ino:%llx sdev:%x mflags:0 "
				 "mask:%s ignored_mask:0\n",
				 (unsigned long long)st.st_ino, sdev, marks);
	write_text(p, text);
	free(text);
	free(p);

	p = xasprintf("%s/etc/clamav", h->root);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/etc/clamav/onacc.conf", h->root);
	text = xasprintf("LocalSocket /run/none/clamd.ctl\n"
			 "OnAccessIncludePath %s/srv\n"
			 "OnAccessPrevention yes\n%s",
			 h->root, conf_extra);
	write_text(p, text);
	free(text);
	free(p);

	config_init(&h->cfg);
	config_add(&h->cfg, "product", "data_dir", h->app, "test");
	config_add(&h->cfg, "antivirus", "files", "3", "test");
	config_add(&h->cfg, "antivirus", "file_kb", "4", "test");
}

static void fake_host_release(struct fake_host *h)
{
	config_release(&h->cfg);
	rm_rf(h->root);
}

static void test_run_clamonacc_watches(void **state)
{
	struct fake_host h;
	struct harness_run run;
	json_t *f;

	(void)state;
	fake_host_init(&h, "8030000", "", false);
	harness_run(&collector_antivirus, h.root, &h.cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_string_equal(harness_fact(&run, "clamav.conf"),
			    "/etc/clamav/onacc.conf");
	f = assert_finding(&run, "antivirus.watch.no_exclusion", "warn", 2);
	assert_non_null(strstr(text_of(f, "title"), "clamonacc (pid 500)"));
	assert_non_null(strstr(text_of(f, "title"), h.app));
	if (geteuid() == 0) {
		char *want = xasprintf("'OnAccessExcludePath %s'", h.app);

		assert_non_null(strstr(text_of(f, "detail"), "inode mark"));
		assert_non_null(strstr(text_of(f, "hint"), want));
		assert_non_null(
			strstr(text_of(f, "hint"), "/etc/clamav/onacc.conf"));
		assert_non_null(strstr(harness_fact(&run, "fanotify.0"),
				       "class content"));
		free(want);
	}
	f = assert_finding(&run, "antivirus.clamav.engine_down", "warn", 4);
	assert_non_null(strstr(text_of(f, "title"), "/run/none/clamd.ctl"));
	assert_string_equal(harness_fact(&run, "product.clamav.realtime"),
			    "yes");
	/* Nothing slows /tmp here; the timing ran and cleaned up. */
	assert_finding(&run, "antivirus.timing.ok", "ok", 2);
	assert_string_equal(harness_fact(&run, "timing.0.files"), "3");
	assert_int_equal(count_entries(h.app), 0);
	assert_string_equal(harness_fact(&run, "av_test"),
			    "not run (use --av-test)");
	harness_release(&run);
	fake_host_release(&h);
}

static void test_run_clamonacc_excluded(void **state)
{
	struct fake_host h;
	struct harness_run run;
	char *extra;

	(void)state;
	/* The exclusion line names the directory before the root exists. */
	fake_host_init(&h, "8030000", "", false);
	extra = xasprintf("OnAccessExcludePath %s\n", h.app);
	{
		char *p = xasprintf("%s/etc/clamav/onacc.conf", h.root);
		FILE *f = fopen(p, "a");

		assert_non_null(f);
		fputs(extra, f);
		fclose(f);
		free(p);
	}
	harness_run(&collector_antivirus, h.root, &h.cfg, &run);
	assert_finding(&run, "antivirus.watch.excluded", "ok", 2);
	assert_null(harness_finding(&run, "antivirus.watch.no_exclusion"));
	harness_release(&run);
	free(extra);
	fake_host_release(&h);
}

static void test_run_marks_not_matching(void **state)
{
	struct fake_host h;
	struct harness_run run;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* A mark without EVENT_ON_CHILD covers the directory, not files. */
	fake_host_init(&h, "30000", "", false);
	harness_run(&collector_antivirus, h.root, &h.cfg, &run);
	assert_null(harness_finding(&run, "antivirus.watch.no_exclusion"));
	assert_finding(&run, "antivirus.watch.none", "ok", 2);
	harness_release(&run);
	fake_host_release(&h);
}

static void test_run_mount_mark_notify(void **state)
{
	struct fake_host h;
	struct harness_run run;
	json_t *f;

	(void)state;
	if (geteuid() != 0)
		skip();
	fake_host_init(&h, "", "", true);
	harness_run(&collector_antivirus, h.root, &h.cfg, &run);
	f = assert_finding(&run, "antivirus.watch.notify_only", "info", 2);
	assert_non_null(strstr(text_of(f, "detail"), "mount mark"));
	assert_null(harness_finding(&run, "antivirus.watch.no_exclusion"));
	harness_release(&run);
	fake_host_release(&h);
}

static void test_run_av_test_and_settings(void **state)
{
	struct fake_host h;
	struct harness_run run;

	(void)state;
	fake_host_init(&h, "8030000", "", false);
	config_add(&h.cfg, "antivirus", "av_test", "yes", "--av-test");
	config_add(&h.cfg, "antivirus", "eicar_wait_ms", "100", "test");
	config_add(&h.cfg, "antivirus", "slowdown_warn_percent", "x", "test");
	harness_run(&collector_antivirus, h.root, &h.cfg, &run);
	assert_finding(&run, "antivirus.eicar.not_blocked", "ok", 2);
	assert_null(harness_finding(&run, "antivirus.eicar.blocked"));
	assert_finding(&run, "antivirus.setting.invalid", "warn", 0);
	assert_non_null(strstr(harness_fact(&run, "av_test"), "EICAR"));
	assert_int_equal(count_entries(h.app), 0);
	harness_release(&run);
	fake_host_release(&h);
}

/*
 * ClamAV installed, clamd not answering: information when nothing needs
 * it, a warning when it should run (enabled at boot, or on-access
 * scanning configured).
 */
static void run_clamav_idle(const char *conf, const char *link,
			    struct harness_run *run, char *tmpl)
{
	char *p;

	init_only_root(tmpl);
	p = xasprintf("%s/etc/clamav", tmpl);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/etc/clamav/clamd.conf", tmpl);
	write_text(p, conf);
	free(p);
	if (link) {
		char *dir = xasprintf("%s/%s", tmpl, link);

		*strrchr(dir, '/') = '\0';
		mkdirs(dir);
		free(dir);
		p = xasprintf("%s/%s", tmpl, link);
		assert_int_equal(
			symlink("/lib/systemd/system/clamav-daemon.service", p),
			0);
		free(p);
	}
	harness_run(&collector_antivirus, tmpl, NULL, run);
}

static void test_run_clamav_not_used(void **state)
{
	static const char plain[] = "LocalSocket /run/none/clamd.ctl\n";
	static const char onacc[] = "LocalSocket /run/none/clamd.ctl\n"
				    "OnAccessIncludePath /srv\n";
	struct harness_run run;
	json_t *f;

	(void)state;
	{
		char tmpl[] = "/tmp/rdiag-av-idle-XXXXXX";

		run_clamav_idle(plain, NULL, &run, tmpl);
		f = assert_finding(&run, "antivirus.clamav.not_used", "info",
				   4);
		assert_string_equal(text_of(f, "title"),
				    "ClamAV is installed but not in use");
		assert_non_null(
			strstr(text_of(f, "detail"), "/run/none/clamd.ctl"));
		assert_null(
			harness_finding(&run, "antivirus.clamav.engine_down"));
		harness_release(&run);
		rm_rf(tmpl);
	}
	{
		char tmpl[] = "/tmp/rdiag-av-idle-XXXXXX";

		run_clamav_idle(plain,
				"etc/systemd/system/multi-user.target.wants/"
				"clamav-daemon.service",
				&run, tmpl);
		f = assert_finding(&run, "antivirus.clamav.engine_down", "warn",
				   4);
		assert_non_null(
			strstr(text_of(f, "detail"), "enabled at boot"));
		assert_non_null(strstr(text_of(f, "hint"), "your IT"));
		assert_null(harness_finding(&run, "antivirus.clamav.not_used"));
		harness_release(&run);
		rm_rf(tmpl);
	}
	{
		char tmpl[] = "/tmp/rdiag-av-idle-XXXXXX";

		run_clamav_idle(onacc, NULL, &run, tmpl);
		f = assert_finding(&run, "antivirus.clamav.engine_down", "warn",
				   4);
		assert_non_null(strstr(text_of(f, "detail"),
				       "configures on-access scanning"));
		harness_release(&run);
		rm_rf(tmpl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo_clamonacc),
		cmocka_unit_test(test_fdinfo_marks),
		cmocka_unit_test(test_fdinfo_table),
		cmocka_unit_test(test_fdinfo_inotify_and_limits),
		cmocka_unit_test(test_clamd_conf_fixture),
		cmocka_unit_test(test_clamd_conf_table),
		cmocka_unit_test(test_clamd_conf_limits),
		cmocka_unit_test(test_path_under),
		cmocka_unit_test(test_mdatp),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_product_table),
		cmocka_unit_test(test_product_match),
		cmocka_unit_test(test_eicar_string),
		cmocka_unit_test(test_timing_and_eicar_clean_up),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_kills_group),
		cmocka_unit_test(test_run_two_products),
		cmocka_unit_test(test_run_nothing),
		cmocka_unit_test(test_run_clamav_not_used),
		cmocka_unit_test(test_run_mdatp),
		cmocka_unit_test(test_run_clamonacc_watches),
		cmocka_unit_test(test_run_clamonacc_excluded),
		cmocka_unit_test(test_run_marks_not_matching),
		cmocka_unit_test(test_run_mount_mark_notify),
		cmocka_unit_test(test_run_av_test_and_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
