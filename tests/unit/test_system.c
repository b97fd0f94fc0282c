/*
 * Unit tests for the system collector: its parsers against literal text and
 * fixture files (tests/data/system/), its judgement against fixture numbers
 * (with the 90/97 % boundaries), and whole runs against fixture roots.
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
#include "mountinfo.h"
#include "rdiag/buf.h"
#include "system_judge.h"
#include "system_parse.h"

extern const struct collector collector_system;

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void test_parse_os_release(void **state)
{
	static const struct {
		const char *text;
		int r;
		const char *name, *pretty, *id, *version_id;
	} cases[] = {
		{ "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n"
		  "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		  0, "Debian GNU/Linux", "Debian GNU/Linux 12 (bookworm)",
		  "debian", "12" },
		{ "# comment\nID='opensuse-leap'\nPRETTY_NAME=\"A \\\"b\\\" "
		  "c\"  \nNAME_X=nope\n",
		  0, NULL, "A \"b\" c", "opensuse-leap", NULL },
		{ "ID=alpine", 0, NULL, NULL, "alpine", NULL },
		{ "ID=a\nID=b\n", 0, NULL, NULL, "b", NULL },
		{ "", -EINVAL, NULL, NULL, NULL, NULL },
		{ "VERSION_ID=1\nHOME_URL=x\n", -EINVAL, NULL, NULL, NULL,
		  NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_osinfo o = { NULL, NULL, NULL, NULL };

		assert_int_equal(system_parse_os_release(cases[i].text,
							 strlen(cases[i].text),
							 &o),
				 cases[i].r);
		assert_str_or_null(o.name, cases[i].name);
		assert_str_or_null(o.pretty_name, cases[i].pretty);
		assert_str_or_null(o.id, cases[i].id);
		assert_str_or_null(o.version_id, cases[i].version_id);
		system_osinfo_release(&o);
	}
}

static void test_parse_meminfo(void **state)
{
	static const struct {
		const char *text;
		int r;
		uint64_t total, avail, swap_total, swap_free;
		int has_available;
	} cases[] = {
		{ "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n"
		  "SwapCached: 77 kB\nSwapTotal: 50 kB\nSwapFree: 40 kB\n",
		  0, 1000, 600, 50, 40, 1 },
		/* old kernel: free + buffers + cached */
		{ "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\n"
		  "Cached: 300 kB\n",
		  0, 1000, 420, 0, 0, 0 },
		/* never more available than total */
		{ "MemTotal: 10 kB\nMemAvailable: 99 kB\n", 0, 10, 10, 0, 0,
		  1 },
		{ "MemFree: 100 kB\n", -EINVAL, 0, 0, 0, 0, 0 },
		{ "MemTotal: 0 kB\n", -EINVAL, 0, 0, 0, 0, 0 },
		{ "MemTotal: x kB\n", -EINVAL, 0, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_meminfo m;

		memset(&m, 0xff, sizeof(m));
		assert_int_equal(system_parse_meminfo(cases[i].text,
						      strlen(cases[i].text),
						      &m),
				 cases[i].r);
		if (cases[i].r < 0) {
			assert_int_equal(m.total_kb, UINT64_MAX);
			continue;
		}
		assert_int_equal(m.total_kb, cases[i].total);
		assert_int_equal(m.available_kb, cases[i].avail);
		assert_int_equal(m.swap_total_kb, cases[i].swap_total);
		assert_int_equal(m.swap_free_kb, cases[i].swap_free);
		assert_int_equal(m.has_available, cases[i].has_available);
	}
}

static void test_parse_loadavg(void **state)
{
	static const struct {
		const char *text;
		int r;
		unsigned l1, l5, l15, running, total;
	} cases[] = {
		{ "0.52 0.58 0.59 1/345 6789\n", 0, 52, 58, 59, 1, 345 },
		{ "19.50 17.2 9 25/900 1", 0, 1950, 1720, 900, 25, 900 },
		{ "1.999 0.00 0.00 0/1 1", 0, 199, 0, 0, 0, 1 },
		{ "0.52 0.58", -EINVAL, 0, 0, 0, 0, 0 },
		{ "0.52 0.58 0.59 1 345", -EINVAL, 0, 0, 0, 0, 0 },
		{ "a b c 1/2 3", -EINVAL, 0, 0, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_loadavg l = { 7, 7, 7, 7, 7 };

		assert_int_equal(system_parse_loadavg(cases[i].text,
						      strlen(cases[i].text),
						      &l),
				 cases[i].r);
		if (cases[i].r < 0) {
			assert_int_equal(l.load1_x100, 7);
			continue;
		}
		assert_int_equal(l.load1_x100, cases[i].l1);
		assert_int_equal(l.load5_x100, cases[i].l5);
		assert_int_equal(l.load15_x100, cases[i].l15);
		assert_int_equal(l.running, cases[i].running);
		assert_int_equal(l.total, cases[i].total);
	}
}

static void test_parse_small(void **state)
{
	static const struct {
		const char *text;
		int r;
		uint64_t secs;
	} up[] = {
		{ "350735.47 234388.90\n", 0, 350735 },
		{ "12 1", 0, 12 },
		{ "x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};
	static const struct {
		const char *text;
		int r;
		uint64_t in, out;
	} vm[] = {
		{ "pgfault 1\npswpin 5\npswpout 6\n", 0, 5, 6 },
		{ "pswpout 6\npswpin 5", 0, 5, 6 },
		{ "pswpin 5\n", -EINVAL, 0, 0 },
		{ "pswpinx 5\npswpout 6\n", -EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(up); i++) {
		uint64_t s = 42;

		assert_int_equal(
			system_parse_uptime(up[i].text, strlen(up[i].text), &s),
			up[i].r);
		assert_int_equal(s, up[i].r == 0 ? up[i].secs : 42);
	}
	for (size_t i = 0; i < ARRAY_SIZE(vm); i++) {
		struct system_vmstat v = { 42, 42 };

		assert_int_equal(
			system_parse_vmstat(vm[i].text, strlen(vm[i].text), &v),
			vm[i].r);
		assert_int_equal(v.pswpin, vm[i].r == 0 ? vm[i].in : 42);
		assert_int_equal(v.pswpout, vm[i].r == 0 ? vm[i].out : 42);
	}
}

/* Real /proc/pressure text (Linux 6.1), an old kernel's cpu file without a
 * "full" line, and what is not pressure-stall information. */
static void test_parse_pressure(void **state)
{
	static const struct {
		const char *text;
		int r, has_full;
		unsigned some10, some60, some300, full60;
		uint64_t some_total, full_total;
	} cases[] = {
		{ "some avg10=5.75 avg60=2.89 avg300=1.76 total=122150704\n"
		  "full avg10=0.00 avg60=0.87 avg300=1.00 total=67516184\n",
		  0, 1, 575, 289, 176, 87, 122150704, 67516184 },
		{ "some avg10=90.04 avg60=38.62 avg300=10.58 "
		  "total=2471726914\n",
		  0, 0, 9004, 3862, 1058, 0, 2471726914, 0 },
		/* keys in another order, an unknown key, no final newline */
		{ "some total=7 avg300=0.10 new=3 avg60=100.00 avg10=0.5", 0, 0,
		  50, 10000, 10, 0, 7, 0 },
		{ "", -EINVAL, 0, 0, 0, 0, 0, 0, 0 },
		{ "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", -EINVAL,
		  0, 0, 0, 0, 0, 0, 0 },
		{ "some avg10=0.00 avg60=0.00 total=0\n", -EINVAL, 0, 0, 0, 0,
		  0, 0, 0 },
		{ "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n", -EINVAL,
		  0, 0, 0, 0, 0, 0, 0 },
		{ "some avg10=x avg60=0.00 avg300=0.00 total=0\n", -EINVAL, 0,
		  0, 0, 0, 0, 0, 0 },
		{ "some avg10=1.0% avg60=0.00 avg300=0.00 total=0\n", -EINVAL,
		  0, 0, 0, 0, 0, 0, 0 },
		{ "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		  "full avg10=0.00 avg60\n",
		  -EINVAL, 0, 0, 0, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_pressure p;
		int r;

		memset(&p, 0x5a, sizeof(p));
		r = system_parse_pressure(cases[i].text, strlen(cases[i].text),
					  &p);
		assert_int_equal(r, cases[i].r);
		if (r < 0) {
			assert_int_equal(p.has_full, 0x5a5a5a5a);
			continue;
		}
		assert_int_equal(p.has_full, cases[i].has_full);
		assert_int_equal(p.some.avg10_x100, cases[i].some10);
		assert_int_equal(p.some.avg60_x100, cases[i].some60);
		assert_int_equal(p.some.avg300_x100, cases[i].some300);
		assert_int_equal(p.some.total_us, cases[i].some_total);
		if (p.has_full) {
			assert_int_equal(p.full.avg60_x100, cases[i].full60);
			assert_int_equal(p.full.total_us, cases[i].full_total);
		}
	}
}

static void test_parse_cpuinfo(void **state)
{
	static const struct {
		const char *text;
		int r;
		unsigned count;
		const char *model;
	} cases[] = {
		{ "processor\t: 0\nmodel\t\t: 85\nmodel name\t: Xeon  \n\n"
		  "processor\t: 1\nmodel name\t: Xeon\n",
		  0, 2, "Xeon" },
		/* ARM: "Model" only at the end; "model name" wins if any */
		{ "processor\t: 0\nBogoMIPS\t: 108\n\nModel\t: Raspberry Pi "
		  "4\n",
		  0, 1, "Raspberry Pi 4" },
		{ "processor : 0\nModel : Pi\nmodel name : ARMv8\n", 0, 1,
		  "ARMv8" },
		{ "processor\t: 0\n", 0, 1, NULL },
		{ "model name\t: Xeon\n", -EINVAL, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_cpuinfo c = { 99, NULL };

		assert_int_equal(system_parse_cpuinfo(cases[i].text,
						      strlen(cases[i].text),
						      &c),
				 cases[i].r);
		assert_int_equal(c.count,
				 cases[i].r == 0 ? cases[i].count : 99);
		assert_str_or_null(c.model, cases[i].model);
		system_cpuinfo_release(&c);
	}
}

static void test_parse_resolv_conf(void **state)
{
	struct system_resolvconf rc;
	struct buf text;

	(void)state;
	buf_init(&text, 0);
	buf_puts(&text, "# c\n;x\nnameserver 10.0.0.1\nnameserver\t::1 # v6\n"
			"domain a.test\nsearch b.test c.test \nnameserver \n");
	for (int i = 0; i < 9; i++)
		buf_printf(&text, "nameserver 10.1.0.%d\n", i);
	assert_int_equal(system_parse_resolv_conf(text.data, text.len, &rc), 0);
	assert_int_equal(rc.n_nameservers, SYSTEM_MAX_NAMESERVERS);
	assert_int_equal(rc.n_ignored, 3);
	assert_string_equal(rc.nameservers[0], "10.0.0.1");
	assert_string_equal(rc.nameservers[1], "::1");
	assert_string_equal(rc.nameservers[2], "10.1.0.0");
	assert_string_equal(rc.search, "b.test c.test");
	system_resolvconf_release(&rc);
	buf_release(&text);

	assert_int_equal(system_parse_resolv_conf("", 0, &rc), 0);
	assert_int_equal(rc.n_nameservers, 0);
	assert_null(rc.search);
	system_resolvconf_release(&rc);
}

static void test_parse_status_and_top(void **state)
{
	static const char *const texts[] = {
		"Name:\tsmall\nPid:\t10\nUid:\t5\t5\t5\t5\nVmRSS:\t 100 kB\n",
		"Name:\tbig\nPid:\t20\nUid:\t0\t0\t0\t0\nVmRSS:\t 9000 kB\n",
		"Name:\tkworker/0:1\nPid:\t30\nUid:\t0\n",
		"Name:\ttie-b\nPid:\t41\nVmRSS:\t 100 kB\n",
		("Name:\tthis name is far too long to fit into the sixty-four "
		 "byte field of the struct\nPid:\t50\nVmRSS:\t1 kB\n"),
	};
	struct system_proc v[ARRAY_SIZE(texts)], p;
	struct buf b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		assert_int_equal(
			system_parse_status(texts[i], strlen(texts[i]), &v[i]),
			0);
	assert_string_equal(v[0].name, "small");
	assert_int_equal(v[0].uid, 5);
	assert_int_equal(v[1].rss_kb, 9000);
	assert_int_equal(v[2].rss_kb, 0);
	assert_int_equal(strlen(v[4].name), 63);
	assert_int_equal(system_parse_status("Pid:\t1\n", 7, &p), -EINVAL);
	assert_int_equal(system_parse_status("Name:\tx\n", 8, &p), -EINVAL);

	assert_int_equal(system_top_select(v, ARRAY_SIZE(v), 3), 3);
	assert_string_equal(v[0].name, "big");
	assert_string_equal(v[1].name, "small"); /* tie: lower pid first */
	assert_string_equal(v[2].name, "tie-b");
	assert_int_equal(system_top_select(v, 2, 10), 2);
	assert_int_equal(system_top_select(NULL, 0, 10), 0);

	buf_init(&b, 0);
	assert_int_equal(system_top_format(v, 2, &b), 0);
	assert_non_null(strstr(b.data, "RSS_KB"));
	assert_non_null(
		strstr(b.data, "      20        0         9000  big\n"));
	buf_release(&b);
	buf_init(&b, 10);
	assert_int_equal(system_top_format(v, 2, &b), -ENOBUFS);
	buf_release(&b);
}

static void test_parse_resolve(void **state)
{
	static const struct {
		const char *text;
		int r, ok;
		const char *canon, *addrs, *error;
	} cases[] = {
		{ "ok\nhost.example.test\n192.0.2.1 ::1\n", 0, 1,
		  "host.example.test", "192.0.2.1 ::1", NULL },
		{ "ok\nhost\n", 0, 1, "host", "", NULL },
		{ "error\nName or service not known\n", 0, 0, NULL, NULL,
		  "Name or service not known" },
		{ "error", 0, 0, NULL, NULL, "unknown error" },
		{ "ok\n", -EINVAL, 0, NULL, NULL, NULL },
		{ "okay\nx\n", -EINVAL, 0, NULL, NULL, NULL },
		{ "", -EINVAL, 0, NULL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct system_resolve r = { 0, NULL, NULL, NULL };

		assert_int_equal(system_parse_resolve(cases[i].text,
						      strlen(cases[i].text),
						      &r),
				 cases[i].r);
		assert_int_equal(r.ok, cases[i].ok);
		assert_str_or_null(r.canonical, cases[i].canon);
		assert_str_or_null(r.addresses, cases[i].addrs);
		assert_str_or_null(r.error, cases[i].error);
		system_resolve_release(&r);
	}
}

/* The fixture scenarios through the parsers. */
static void test_fixture_parsers(void **state)
{
	struct system_meminfo m;
	struct system_loadavg l;
	struct system_cpuinfo c;
	struct system_osinfo o;
	struct system_vmstat v;
	uint64_t up;
	struct buf b;

	(void)state;
	harness_load_data("system/healthy/proc/meminfo", &b);
	assert_int_equal(system_parse_meminfo(b.data, b.len, &m), 0);
	assert_int_equal(m.total_kb, 16384000);
	assert_int_equal(m.available_kb, 12288000);
	assert_int_equal(m.swap_total_kb, 4194300);
	buf_release(&b);

	harness_load_data("system/stressed/proc/meminfo", &b);
	assert_int_equal(system_parse_meminfo(b.data, b.len, &m), 0);
	assert_int_equal(m.available_kb, 200000);
	assert_int_equal(m.swap_free_kb, 10240);
	buf_release(&b);

	harness_load_data("system/healthy/proc/cpuinfo", &b);
	assert_int_equal(system_parse_cpuinfo(b.data, b.len, &c), 0);
	assert_int_equal(c.count, 4);
	assert_string_equal(c.model,
			    "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
	system_cpuinfo_release(&c);
	buf_release(&b);

	harness_load_data("system/stressed/proc/loadavg", &b);
	assert_int_equal(system_parse_loadavg(b.data, b.len, &l), 0);
	assert_int_equal(l.load1_x100, 1950);
	assert_int_equal(l.load5_x100, 1720);
	assert_int_equal(l.total, 900);
	buf_release(&b);

	harness_load_data("system/healthy/proc/uptime", &b);
	assert_int_equal(system_parse_uptime(b.data, b.len, &up), 0);
	assert_int_equal(up, 350735);
	buf_release(&b);

	harness_load_data("system/stressed/proc/vmstat", &b);
	assert_int_equal(system_parse_vmstat(b.data, b.len, &v), 0);
	assert_int_equal(v.pswpin, 9000000);
	assert_int_equal(v.pswpout, 12000000);
	buf_release(&b);

	harness_load_data("system/stressed/etc/os-release", &b);
	assert_int_equal(system_parse_os_release(b.data, b.len, &o), 0);
	assert_string_equal(o.pretty_name, "Rocky Linux 9.3 (Blue \"Onyx\")");
	assert_string_equal(o.id, "rocky");
	assert_string_equal(o.version_id, "9.3");
	system_osinfo_release(&o);
	buf_release(&b);
}

/* Which mounts of the healthy fixture are checked, and why not the rest. */
static void test_mount_select(void **state)
{
	static const struct {
		const char *mp;
		const char *reason; /* NULL: checked */
	} cases[] = {
		{ "/sys", "pseudo" },
		{ "/proc", "pseudo" },
		{ "/", NULL },
		{ "/dev", "pseudo" },
		{ "/dev/pts", "pseudo" },
		{ "/run", "hidden by a later mount" },
		{ "/run/user/1000", "runtime tmpfs" },
		{ "/var", NULL },
		{ "/home", NULL },
		{ "/mnt/nas", "network or FUSE" },
		{ "/mnt/nas/local", "below a network or autofs mount" },
		{ "/snap/core22/1122", "read-only image" },
		{ "/srv/bind", NULL }, /* selectable, but same device as / */
		{ "/media/remote", "network or FUSE" },
		{ "/misc", "autofs" },
		{ "/data/archive", "read-only" },
		{ "/mnt/smb share", "network or FUSE" },
		{ "/run", NULL }, /* over the first /run */
	};
	static const char *const selected[] = { "/", "/var", "/home", "/run" };
	struct mount_table t;
	size_t idx[16], n;
	struct buf b;

	(void)state;
	harness_load_data("system/healthy/proc/self/mountinfo", &b);
	assert_int_equal(mountinfo_parse(b.data, b.len, &t), 0);
	buf_release(&b);
	assert_int_equal(t.n, ARRAY_SIZE(cases));
	for (size_t i = 0; i < t.n; i++) {
		const char *why = system_mount_skip_reason(&t, &t.v[i]);

		assert_string_equal(t.v[i].mount_point, cases[i].mp);
		if (!why != !cases[i].reason ||
		    (why && strcmp(why, cases[i].reason) != 0))
			fprintf(stderr, "%s: got %s\n", cases[i].mp,
				why ? why : "(checked)");
		assert_str_or_null(why, cases[i].reason);
	}
	n = system_mounts_select(&t, idx, ARRAY_SIZE(idx));
	assert_int_equal(n, ARRAY_SIZE(selected));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(t.v[idx[i]].mount_point, selected[i]);
	/* the cap holds */
	assert_int_equal(system_mounts_select(&t, idx, 2), 2);
	mount_table_release(&t);
}

static void test_percent(void **state)
{
	static const struct {
		uint64_t used, avail;
		unsigned x100;
	} cases[] = {
		{ 0, 0, 0 },
		{ 0, 100, 0 },
		{ 100, 0, 10000 },
		{ 90, 10, 9000 },
		{ 9001, 999, 9001 },
		{ 1, 2, 3333 },
		{ UINT64_MAX / 2, UINT64_MAX / 2, 5000 },
		{ UINT64_MAX, 0, 10000 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			system_percent_x100(cases[i].used, cases[i].avail),
			cases[i].x100);
}

static void assert_verdict(const struct verdict_list *l, const char *id,
			   enum severity sev, enum support_level level)
{
	const struct verdict_item *v = verdict_find(l, id);

	if (!v) {
		fprintf(stderr, "no verdict %s among:", id);
		for (size_t i = 0; i < l->n; i++)
			fprintf(stderr, " %s", l->v[i].id);
		fprintf(stderr, "\n");
	}
	assert_non_null(v);
	assert_int_equal(v->severity, sev);
	assert_int_equal(v->level, level);
	assert_non_null(v->title);
	assert_non_null(v->detail);
	if (sev != SEVERITY_OK)
		assert_non_null(v->hint);
}

static void test_judge_disk(void **state)
{
	/* used/avail in 1 KiB units; files 0 = no inode numbers */
	static const struct {
		const char *mp;
		int responded, error;
		uint64_t used, avail, files, ffree, favail;
		unsigned warn, fail;
		const char *id;
		enum severity sev;
		size_t count;
	} cases[] = {
		{ "/", 1, 0, 50, 50, 1000, 900, 900, 90, 97, "system.disk.ok",
		  SEVERITY_OK, 1 },
		{ "/", 1, 0, 9000, 1000, 0, 0, 0, 90, 97, "system.disk.ok",
		  SEVERITY_OK, 1 },
		{ "/", 1, 0, 9001, 999, 0, 0, 0, 90, 97, "system.disk.space",
		  SEVERITY_WARN, 1 },
		{ "/var", 1, 0, 9700, 300, 0, 0, 0, 90, 97, "system.disk.space",
		  SEVERITY_WARN, 1 },
		{ "/var", 1, 0, 9701, 299, 0, 0, 0, 90, 97, "system.disk.space",
		  SEVERITY_FAIL, 1 },
		{ "/home", 1, 0, 100, 0, 0, 0, 0, 90, 97, "system.disk.space",
		  SEVERITY_FAIL, 1 },
		/* configured thresholds */
		{ "/srv", 1, 0, 81, 19, 0, 0, 0, 80, 85, "system.disk.space",
		  SEVERITY_WARN, 1 },
		{ "/srv", 1, 0, 86, 14, 0, 0, 0, 80, 85, "system.disk.space",
		  SEVERITY_FAIL, 1 },
		/* inodes: 9000 in use, 1000 free -> 90 %, 9701 -> fail */
		{ "/", 1, 0, 10, 90, 10000, 1000, 1000, 90, 97,
		  "system.disk.ok", SEVERITY_OK, 1 },
		{ "/", 1, 0, 10, 90, 10000, 999, 999, 90, 97,
		  "system.disk.inodes", SEVERITY_WARN, 1 },
		{ "/", 1, 0, 10, 90, 10000, 299, 299, 90, 97,
		  "system.disk.inodes", SEVERITY_FAIL, 1 },
		/* full on both counts: two findings */
		{ "/", 1, 0, 99, 1, 100, 1, 1, 90, 97, "system.disk.inodes",
		  SEVERITY_FAIL, 2 },
		{ "/mnt/usb", 0, 0, 0, 0, 0, 0, 0, 90, 97,
		  "system.disk.unresponsive", SEVERITY_FAIL, 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list l;
		struct system_fs fs;
		const struct verdict_item *v;

		memset(&fs, 0, sizeof(fs));
		fs.mount_point = cases[i].mp;
		fs.fstype = "ext4";
		fs.responded = cases[i].responded;
		fs.error = cases[i].error;
		fs.used = cases[i].used * 1024;
		fs.avail = cases[i].avail * 1024;
		fs.size = fs.used + fs.avail;
		fs.files = cases[i].files;
		fs.files_free = cases[i].ffree;
		fs.files_avail = cases[i].favail;
		verdict_list_init(&l);
		system_judge_disk(&fs, 1, cases[i].warn, cases[i].fail, &l);
		if (l.n != cases[i].count)
			fprintf(stderr, "case %zu: %zu verdicts\n", i, l.n);
		assert_int_equal(l.n, cases[i].count);
		assert_verdict(&l, cases[i].id, cases[i].sev,
			       strcmp(cases[i].id, "system.disk.unresponsive")
				       ? LEVEL_SELF
				       : LEVEL_THIRD_PARTY);
		v = verdict_find(&l, cases[i].id);
		assert_non_null(strstr(v->detail, cases[i].mp));
		verdict_list_release(&l);
	}
}

/* Several file systems: one finding per bad one, no ok; hints by place. */
static void test_judge_disk_many(void **state)
{
	struct system_fs fs[4];
	struct verdict_list l;

	(void)state;
	memset(fs, 0, sizeof(fs));
	fs[0] = (struct system_fs){ .mount_point = "/",
				    .fstype = "ext4",
				    .responded = 1,
				    .size = 100,
				    .used = 98,
				    .avail = 2 };
	fs[1] = (struct system_fs){ .mount_point = "/boot",
				    .fstype = "ext4",
				    .responded = 1,
				    .size = 100,
				    .used = 95,
				    .avail = 5 };
	fs[2] = (struct system_fs){ .mount_point = "/data",
				    .fstype = "xfs",
				    .responded = 1,
				    .size = 100,
				    .used = 10,
				    .avail = 90 };
	/* failed fast (EACCES): not judged */
	fs[3] = (struct system_fs){ .mount_point = "/x",
				    .fstype = "ext4",
				    .error = -EACCES };
	verdict_list_init(&l);
	system_judge_disk(fs, 4, 90, 97, &l);
	assert_int_equal(l.n, 2);
	assert_null(verdict_find(&l, "system.disk.ok"));
	assert_int_equal(l.v[0].severity, SEVERITY_FAIL);
	assert_non_null(strstr(l.v[0].hint, "journalctl"));
	assert_int_equal(l.v[1].severity, SEVERITY_WARN);
	assert_non_null(strstr(l.v[1].hint, "kernels"));
	verdict_list_release(&l);

	/* all fine: one ok naming each */
	fs[0].used = 10;
	fs[0].avail = 90;
	fs[1].used = 10;
	fs[1].avail = 90;
	system_judge_disk(fs, 3, 90, 97, &l);
	assert_int_equal(l.n, 1);
	assert_verdict(&l, "system.disk.ok", SEVERITY_OK, LEVEL_SELF);
	assert_non_null(strstr(l.v[0].detail, "3 local file systems"));
	assert_non_null(strstr(l.v[0].detail, "/boot (ext4) 10.0 % used"));
	verdict_list_release(&l);

	/* nothing checked: no ok either */
	system_judge_disk(fs, 0, 90, 97, &l);
	assert_int_equal(l.n, 0);
	verdict_list_release(&l);
}

static void test_judge_memory_load(void **state)
{
	static const struct {
		uint64_t total, avail;
		const char *id;
		enum severity sev;
	} mem[] = {
		{ 1000, 500, "system.memory.ok", SEVERITY_OK },
		{ 10000, 500, "system.memory.ok", SEVERITY_OK },
		{ 10000, 499, "system.memory.low", SEVERITY_WARN },
		{ 10000, 200, "system.memory.low", SEVERITY_WARN },
		{ 10000, 199, "system.memory.low", SEVERITY_FAIL },
		{ 10000, 0, "system.memory.low", SEVERITY_FAIL },
		{ 10, 20, "system.memory.ok", SEVERITY_OK },
	};
	static const struct {
		unsigned l1, l5, cpus;
		const char *id;
		enum severity sev;
	} load[] = {
		{ 52, 58, 4, "system.load.ok", SEVERITY_OK },
		{ 800, 800, 4, "system.load.ok", SEVERITY_OK },
		{ 801, 100, 4, "system.load.high", SEVERITY_WARN },
		{ 100, 801, 4, "system.load.high", SEVERITY_WARN },
		{ 1950, 1600, 4, "system.load.high", SEVERITY_WARN },
		{ 1950, 1720, 4, "system.load.high", SEVERITY_FAIL },
		{ 250, 150, 0, "system.load.high", SEVERITY_WARN },
		{ 150, 150, 1, "system.load.ok", SEVERITY_OK },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mem); i++) {
		struct system_meminfo m;
		struct verdict_list l;

		memset(&m, 0, sizeof(m));
		m.total_kb = mem[i].total;
		m.available_kb = mem[i].avail;
		m.has_available = 1;
		verdict_list_init(&l);
		system_judge_memory(&m, &l);
		assert_int_equal(l.n, 1);
		assert_verdict(&l, mem[i].id, mem[i].sev,
			       mem[i].sev == SEVERITY_OK ? LEVEL_SELF
							 : LEVEL_THIRD_PARTY);
		verdict_list_release(&l);
	}
	for (size_t i = 0; i < ARRAY_SIZE(load); i++) {
		struct system_loadavg la = { load[i].l1, load[i].l5, 0, 1, 1 };
		struct verdict_list l;

		verdict_list_init(&l);
		system_judge_load(&la, load[i].cpus, &l);
		assert_int_equal(l.n, 1);
		assert_verdict(&l, load[i].id, load[i].sev,
			       load[i].sev == SEVERITY_OK ? LEVEL_SELF
							  : LEVEL_THIRD_PARTY);
		verdict_list_release(&l);
	}
}

/* Each threshold just below and at its value; a missing resource says
 * nothing. */
static void test_judge_pressure(void **state)
{
	static const struct {
		int which; /* 0 memory, 1 io, 2 cpu */
		unsigned some60, full60;
		int has_full;
		const char *id;
		enum severity sev;
	} cases[] = {
		{ 0, 0, 0, 1, "system.swap.ok", SEVERITY_OK },
		{ 0, 999, 999, 1, "system.swap.ok", SEVERITY_OK },
		{ 0, 1000, 0, 1, "system.swap.thrashing", SEVERITY_WARN },
		{ 0, 1000, 1000, 1, "system.swap.thrashing", SEVERITY_FAIL },
		{ 1, 2999, 2999, 1, "system.io.ok", SEVERITY_OK },
		{ 1, 3000, 100, 1, "system.io.pressure", SEVERITY_WARN },
		{ 1, 9000, 3000, 1, "system.io.pressure", SEVERITY_FAIL },
		/* a full figure without a full line does not count */
		{ 1, 100, 9000, 0, "system.io.ok", SEVERITY_OK },
		{ 2, 4999, 0, 1, "system.cpu.ok", SEVERITY_OK },
		{ 2, 5000, 0, 0, "system.cpu.pressure", SEVERITY_WARN },
		/* cpu has no fail: the load judge fails an overloaded host */
		{ 2, 10000, 10000, 1, "system.cpu.pressure", SEVERITY_WARN },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct system_pressure *r[3] = { NULL, NULL, NULL };
		struct system_pressure p;
		struct verdict_list l;

		memset(&p, 0, sizeof(p));
		p.some.avg60_x100 = cases[i].some60;
		p.some.avg10_x100 = 10000; /* the 10 s figure is not judged */
		p.full.avg60_x100 = cases[i].full60;
		p.has_full = cases[i].has_full;
		r[cases[i].which] = &p;
		verdict_list_init(&l);
		system_judge_pressure(r[0], r[1], r[2], &l);
		assert_int_equal(l.n, 1);
		assert_verdict(&l, cases[i].id, cases[i].sev,
			       cases[i].sev == SEVERITY_OK ? LEVEL_SELF
							   : LEVEL_THIRD_PARTY);
		assert_non_null(strstr(l.v[0].detail, "60 s"));
		verdict_list_release(&l);
	}
}

static void test_judge_swap_clock(void **state)
{
	static const struct {
		uint64_t in0, out0, in1, out1;
		int64_t ms;
		const char *id; /* NULL: no verdict */
		enum severity sev;
	} swap[] = {
		{ 100, 200, 100, 200, 1000, "system.swap.ok", SEVERITY_OK },
		{ 0, 0, 256, 256, 1000, "system.swap.thrashing",
		  SEVERITY_WARN },
		{ 0, 0, 255, 5000, 1000, "system.swap.ok", SEVERITY_OK },
		{ 0, 0, 512, 511, 2000, "system.swap.ok", SEVERITY_OK },
		{ 0, 0, 2560, 2560, 1000, "system.swap.thrashing",
		  SEVERITY_FAIL },
		/* counters went backwards (reset): not activity */
		{ 9000, 9000, 1, 1, 1000, "system.swap.ok", SEVERITY_OK },
		{ 0, 0, 1000, 1000, 0, NULL, SEVERITY_OK },
	};
	static const struct {
		int available, state, status;
		long maxerror;
		const char *id;
	} clk[] = {
		{ 1, 0, 0x2001, 100000, "system.clock.ok" },
		{ 1, 0, 0x0040, 100000, "system.clock.unsynced" },
		{ 1, 5, 0x2001, 100000, "system.clock.unsynced" },
		{ 1, 0, 0x2001, 16000000, "system.clock.unsynced" },
		{ 1, 0, 0x2001, 15999999, "system.clock.ok" },
		{ 0, 0, 0, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(swap); i++) {
		struct system_vmstat a = { swap[i].in0, swap[i].out0 };
		struct system_vmstat b = { swap[i].in1, swap[i].out1 };
		struct verdict_list l;

		verdict_list_init(&l);
		system_judge_swap(&a, &b, swap[i].ms, &l);
		assert_int_equal(l.n, swap[i].id ? 1 : 0);
		if (swap[i].id)
			assert_verdict(&l, swap[i].id, swap[i].sev,
				       swap[i].sev == SEVERITY_OK
					       ? LEVEL_SELF
					       : LEVEL_THIRD_PARTY);
		verdict_list_release(&l);
	}
	for (size_t i = 0; i < ARRAY_SIZE(clk); i++) {
		struct system_clock c;
		struct verdict_list l;
		int bad = clk[i].id &&
			  strcmp(clk[i].id, "system.clock.unsynced") == 0;

		memset(&c, 0, sizeof(c));
		c.available = clk[i].available;
		c.state = clk[i].state;
		c.status = clk[i].status;
		c.maxerror_us = clk[i].maxerror;
		verdict_list_init(&l);
		system_judge_clock(&c, &l);
		assert_int_equal(l.n, clk[i].id ? 1 : 0);
		if (clk[i].id)
			assert_verdict(&l, clk[i].id,
				       bad ? SEVERITY_WARN : SEVERITY_OK,
				       bad ? LEVEL_THIRD_PARTY : LEVEL_SELF);
		if (bad)
			assert_non_null(strstr(l.v[0].hint, "chrony"));
		verdict_list_release(&l);
	}
}

static void test_judge_names(void **state)
{
	struct system_resolve ok = { 1, (char *)"h.example.test",
				     (char *)"192.0.2.7", NULL };
	struct system_resolve bad = { 0, NULL, NULL,
				      (char *)"Name or service not known" };
	struct system_resolvconf rc;
	struct verdict_list l;

	(void)state;
	verdict_list_init(&l);
	system_judge_hostname("h", &ok, 3000, &l);
	system_judge_hostname("h", &bad, 3000, &l);
	system_judge_hostname("h", NULL, 3000, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].id, "system.hostname.ok");
	assert_non_null(strstr(l.v[0].detail, "h.example.test"));
	assert_string_equal(l.v[1].id, "system.hostname.unresolvable");
	assert_int_equal(l.v[1].severity, SEVERITY_WARN);
	assert_int_equal(l.v[1].level, LEVEL_THIRD_PARTY);
	assert_non_null(strstr(l.v[1].detail, "not known"));
	assert_string_equal(l.v[2].id, "system.hostname.unresolvable");
	assert_non_null(strstr(l.v[2].detail, "3000 ms"));
	verdict_list_release(&l);

	memset(&rc, 0, sizeof(rc));
	system_judge_dns(&rc, &l);
	assert_verdict(&l, "system.dns.no_resolvers", SEVERITY_WARN,
		       LEVEL_THIRD_PARTY);
	verdict_list_release(&l);
	rc.nameservers[0] = (char *)"192.0.2.53";
	rc.n_nameservers = 1;
	system_judge_dns(&rc, &l);
	assert_int_equal(l.n, 1);
	assert_verdict(&l, "system.dns.ok", SEVERITY_OK, LEVEL_SELF);
	assert_non_null(strstr(l.v[0].detail, "192.0.2.53"));
	verdict_list_release(&l);
}

static const char *finding_str(json_t *f, const char *field)
{
	return json_string_value(json_object_get(f, field));
}

static void assert_finding(const struct harness_run *run, const char *id,
			   const char *severity, int level)
{
	json_t *f = harness_finding(run, id);

	if (!f)
		fprintf(stderr, "missing finding %s\n", id);
	assert_non_null(f);
	assert_string_equal(finding_str(f, "severity"), severity);
	assert_int_equal(json_integer_value(json_object_get(f, "level")),
			 level);
}

static void assert_fact(const struct harness_run *run, const char *key,
			const char *value)
{
	const char *v = harness_fact(run, key);

	if (!v || strcmp(v, value) != 0)
		fprintf(stderr, "fact %s = %s, want %s\n", key,
			v ? v : "(none)", value);
	assert_non_null(v);
	assert_string_equal(v, value);
}

static int has_artifact(const struct harness_run *run, const char *path)
{
	size_t i;
	json_t *r;

	json_array_foreach(run->records, i, r)
	{
		const char *k = finding_str(r, "kind");
		const char *p = finding_str(r, "path");

		if (k && p && strcmp(k, "artifact") == 0 &&
		    strcmp(p, path) == 0)
			return 1;
	}
	return 0;
}

static char *staged(const struct harness_run *run, const char *name)
{
	char *path = xasprintf("%s/%s", run->staging, name);
	struct buf b;

	harness_load(path, &b);
	free(path);
	return buf_detach(&b, NULL);
}

static void test_run_healthy(void **state)
{
	static const char *const artifacts[] = {
		"os-release.txt",  "meminfo.txt",     "mountinfo.txt",
		"filesystems.txt", "resolv.conf.txt", "top-processes.txt",
	};
	char *root = harness_data_path("system/healthy");
	struct harness_run run;
	char *top;

	(void)state;
	harness_run(&collector_system, root, NULL, &run);
	assert_int_equal(run.rc, 0);
	assert_fact(&run, "os.pretty_name", "Debian GNU/Linux 12 (bookworm)");
	assert_fact(&run, "os.id", "debian");
	assert_fact(&run, "kernel.release", "6.1.0-18-amd64");
	assert_fact(&run, "uptime.seconds", "350735");
	assert_fact(&run, "uptime.days", "4");
	assert_fact(&run, "cpu.count", "4");
	assert_fact(&run, "cpu.model",
		    "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
	assert_fact(&run, "mem.total_kb", "16384000");
	assert_fact(&run, "mem.available_kb", "12288000");
	assert_fact(&run, "swap.total_kb", "4194300");
	assert_fact(&run, "load.1m", "0.52");
	assert_fact(&run, "load.5m", "0.58");
	assert_fact(&run, "load.tasks", "345");
	assert_fact(&run, "fs.count", "4");
	assert_fact(&run, "fs.network_skipped", "3");
	assert_fact(&run, "fs.0.mount", "/");
	assert_fact(&run, "fs.1.mount", "/var");
	assert_fact(&run, "fs.2.mount", "/home");
	assert_fact(&run, "fs.2.type", "xfs");
	assert_fact(&run, "fs.2.source", "/dev/vda3");
	assert_fact(&run, "fs.3.mount", "/run");
	assert_fact(&run, "fs.3.source", "tmpfs-late");
	assert_null(harness_fact(&run, "fs.4.mount"));
	assert_non_null(harness_fact(&run, "fs.0.used_percent"));
	assert_fact(&run, "dns.nameservers", "192.0.2.53 192.0.2.54");
	assert_fact(&run, "dns.search", "corp.example.test");
	assert_fact(&run, "host.name", "localhost");
	assert_fact(&run, "proc.count", "4");
	assert_fact(&run, "proc.largest.name", "java");
	assert_fact(&run, "proc.largest.pid", "400");
	assert_fact(&run, "proc.largest.rss_kb", "2000000");

	assert_finding(&run, "system.memory.ok", "ok", 0);
	assert_finding(&run, "system.load.ok", "ok", 0);
	assert_finding(&run, "system.dns.ok", "ok", 0);
	assert_finding(&run, "system.swap.ok", "ok", 0);
	assert_finding(&run, "system.io.ok", "ok", 0);
	assert_finding(&run, "system.cpu.ok", "ok", 0);
	assert_finding(&run, "system.hostname.ok", "ok", 0);
	/* the fixture has /proc/pressure: no vmstat sample, no waiting */
	assert_fact(&run, "pressure.source", "psi");
	assert_fact(&run, "pressure.io.full",
		    "avg10=0.00 avg60=0.87 total=67516184");
	assert_fact(&run, "pressure.cpu.some",
		    "avg10=12.04 avg60=8.62 total=2471726914");
	assert_null(harness_fact(&run, "swap.sample_ms"));
	assert_null(harness_finding(&run, "system.memory.low"));
	assert_null(harness_finding(&run, "system.load.high"));
	assert_null(harness_finding(&run, "system.config.invalid"));
	/* The fixture's directories live on this host's disk: which of
	 * ok/space we get depends on it, but one of them must be there. */
	assert_true(harness_finding(&run, "system.disk.ok") ||
		    harness_finding(&run, "system.disk.space"));
	assert_true(harness_finding(&run, "system.clock.ok") ||
		    harness_finding(&run, "system.clock.unsynced"));

	for (size_t i = 0; i < ARRAY_SIZE(artifacts); i++) {
		if (!has_artifact(&run, artifacts[i]))
			fprintf(stderr, "no artifact %s\n", artifacts[i]);
		assert_true(has_artifact(&run, artifacts[i]));
	}
	top = staged(&run, "top-processes.txt");
	/* largest first, kernel thread last */
	assert_true(strstr(top, "java") < strstr(top, "postgres"));
	assert_true(strstr(top, "postgres") < strstr(top, "systemd"));
	assert_true(strstr(top, "systemd") < strstr(top, "kthreadd"));
	free(top);
	top = staged(&run, "filesystems.txt");
	assert_null(strstr(top, "/mnt/nas"));
	assert_non_null(strstr(top, "/home"));
	free(top);
	harness_release(&run);
	free(root);
}

static void test_run_stressed(void **state)
{
	char *root = harness_data_path("system/stressed");
	struct harness_run run;
	struct config cfg;
	json_t *f;

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "system", "disk_warn_percent", "95", "test");
	config_add(&cfg, "system", "disk_fail_percent", "90", "test");
	harness_run(&collector_system, root, &cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_fact(&run, "os.pretty_name", "Rocky Linux 9.3 (Blue \"Onyx\")");
	assert_fact(&run, "kernel.release", "5.14.0-362.8.1.el9_3.x86_64");
	assert_fact(&run, "load.5m", "17.20");
	assert_fact(&run, "fs.count", "1");
	assert_fact(&run, "dns.nameservers", "");
	assert_fact(&run, "proc.largest.name", "my app (x)");
	/* no /proc/pressure here (kernel without CONFIG_PSI): sampled */
	assert_fact(&run, "pressure.source", "vmstat sample (no PSI)");
	assert_non_null(harness_fact(&run, "swap.sample_ms"));
	assert_null(harness_fact(&run, "pressure.memory.some"));
	assert_true(harness_finding(&run, "system.swap.ok") ||
		    harness_finding(&run, "system.swap.thrashing"));
	assert_null(harness_finding(&run, "system.io.ok"));

	assert_finding(&run, "system.memory.low", "warn", 4);
	f = harness_finding(&run, "system.memory.low");
	assert_non_null(strstr(finding_str(f, "detail"), "200000 kB"));
	assert_non_null(finding_str(f, "hint"));
	assert_finding(&run, "system.load.high", "fail", 4);
	assert_finding(&run, "system.dns.no_resolvers", "warn", 4);
	assert_finding(&run, "system.hostname.unresolvable", "warn", 4);
	assert_finding(&run, "system.config.invalid", "warn", 0);
	assert_null(harness_finding(&run, "system.memory.ok"));
	assert_null(harness_finding(&run, "system.load.ok"));
	assert_null(harness_finding(&run, "system.hostname.ok"));
	harness_release(&run);
	config_release(&cfg);
	free(root);
}

/* A root with nothing in it: the run is partial, and says nothing false. */
static void test_run_empty_root(void **state)
{
	char tmpl[] = "/tmp/rdiag-sys-XXXXXX";
	struct harness_run run;
	char *cmd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	harness_run(&collector_system, tmpl, NULL, &run);
	assert_true(run.rc < 0);
	assert_null(harness_fact(&run, "os.id"));
	assert_null(harness_fact(&run, "mem.total_kb"));
	assert_null(harness_finding(&run, "system.memory.ok"));
	assert_null(harness_finding(&run, "system.disk.ok"));
	assert_finding(&run, "system.dns.no_resolvers", "warn", 4);
	assert_true(harness_count(&run, "log") > 0);
	harness_release(&run);
	cmd = xasprintf("rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_os_release),
		cmocka_unit_test(test_parse_meminfo),
		cmocka_unit_test(test_parse_loadavg),
		cmocka_unit_test(test_parse_small),
		cmocka_unit_test(test_parse_pressure),
		cmocka_unit_test(test_parse_cpuinfo),
		cmocka_unit_test(test_parse_resolv_conf),
		cmocka_unit_test(test_parse_status_and_top),
		cmocka_unit_test(test_parse_resolve),
		cmocka_unit_test(test_fixture_parsers),
		cmocka_unit_test(test_mount_select),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_judge_disk),
		cmocka_unit_test(test_judge_disk_many),
		cmocka_unit_test(test_judge_memory_load),
		cmocka_unit_test(test_judge_pressure),
		cmocka_unit_test(test_judge_swap_clock),
		cmocka_unit_test(test_judge_names),
		cmocka_unit_test(test_run_healthy),
		cmocka_unit_test(test_run_stressed),
		cmocka_unit_test(test_run_empty_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
