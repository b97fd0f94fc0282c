/*
 * The Windows collectors' readers and judges on Linux: each fixture in
 * tests/data/windows/ (API results in the APIs' own shapes) goes through
 * the fixture source, the readers and the judges, and the findings are
 * asserted: a healthy server, one with every fault, and one with hostile
 * or odd values (wrong types, huge numbers, invalid UTF-16, errors where
 * wine has no API). Also the UTF-16 conversion and Windows path matching.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"
#include "wincheck.h"
#include "winsrc.h"

static const char *const sources[] = { "DmsServer", "DmsService", NULL };
static const char *const dirs_d[] = { "D:\\DmsData", NULL };
static const char *const dirs_z[] = { "Z:\\DmsData", NULL };
/* two directories: one excluded, one not */
static const char *const dirs_two[] = { "D:\\DmsData", "E:\\Scans", NULL };
static const struct wincheck_app app = { "C:\\Program Files\\Dms\\dms.exe",
					 dirs_d, sources };
static const struct wincheck_app app_on_z = { "C:\\Program Files\\Dms\\dms.exe",
					      dirs_z, sources };
static const struct wincheck_app app_two = { "C:\\Program Files\\Dms\\dms.exe",
					     dirs_two, sources };

/* 2026-12-04T00:00:00Z: the event window of the fixtures */
#define SINCE ((time_t)1796342400)

static void open_fixture(const char *name, struct winsrc *src)
{
	char *path, *err = NULL;
	int r;

	path = xasprintf("%s/windows/%s", getenv("RDIAG_TEST_DATA"), name);
	r = winsrc_fixture_open(path, src, &err);
	if (r < 0)
		fail_msg("%s", err);
	free(path);
}

/* Run every reader and judge over one source. */
static void judge_src(const struct winsrc *src, const struct wincheck_app *a,
		      struct verdict_list *out)
{
	struct wincheck_events ev;
	struct wincheck_smb smb;
	struct wincheck_rds rds;
	struct wincheck_av av;

	assert_int_equal(wincheck_av_read(src, &av), 0);
	wincheck_av_judge(&av, a, out);
	wincheck_av_release(&av);
	assert_int_equal(wincheck_rds_read(src, &rds), 0);
	wincheck_rds_judge(&rds, out);
	wincheck_rds_release(&rds);
	assert_int_equal(wincheck_smb_read(src, &smb), 0);
	wincheck_smb_judge(&smb, a, out);
	wincheck_smb_release(&smb);
	assert_int_equal(wincheck_events_read(src, a, SINCE, &ev), 0);
	wincheck_events_judge(&ev, a, out);
	wincheck_events_release(&ev);
}

/* ... over one fixture. */
static void judge_all(const char *name, const struct wincheck_app *a,
		      struct verdict_list *out)
{
	struct winsrc src;

	open_fixture(name, &src);
	judge_src(&src, a, out);
	winsrc_close(&src);
}

struct expect {
	const char *id;
	enum severity sev;
	enum support_level level;
	const char *words; /* in the detail, or NULL */
};

static void check(const struct verdict_list *l, const struct expect *e,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct verdict_item *v = verdict_find(l, e[i].id);

		if (!v)
			fail_msg("missing %s", e[i].id);
		if (v->severity != e[i].sev || v->level != e[i].level)
			fail_msg("%s: severity %d level %d", e[i].id,
				 v->severity, v->level);
		if (e[i].words &&
		    (!v->detail || !strstr(v->detail, e[i].words)))
			fail_msg("%s: detail '%s' lacks '%s'", e[i].id,
				 v->detail ? v->detail : "(null)", e[i].words);
	}
}

static void check_absent(const struct verdict_list *l, const char *const *ids)
{
	for (; *ids; ids++)
		if (verdict_find(l, *ids))
			fail_msg("unexpected %s", *ids);
}

static void test_healthy(void **state)
{
	static const struct expect e[] = {
		{ "antivirus.defender.excluded", SEVERITY_OK, LEVEL_SUPPORT,
		  "covered: D:\\DmsData (by D:\\DmsData\\)" },
		{ "antivirus.minifilter.present", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, "WdFilter" },
		{ "antivirus.product.present", SEVERITY_INFO, LEVEL_THIRD_PARTY,
		  "Microsoft Defender" },
		{ "terminal_server.rds.licensing_ok", SEVERITY_OK,
		  LEVEL_THIRD_PARTY, "lic01.example.test,lic02.example.test" },
		{ "terminal_server.rds.sessions", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, "2 sessions, 2 active" },
		{ "nas.drive.ok", SEVERITY_OK, LEVEL_THIRD_PARTY, "1 mapped" },
		{ "product.eventlog.no_errors", SEVERITY_OK, LEVEL_SUPPORT,
		  NULL },
	};
	static const char *const absent[] = {
		"antivirus.defender.realtime_blocks_app",
		"antivirus.defender.signatures_old",
		"antivirus.defender.cfa_blocks_app",
		"antivirus.defender.asr_blocks_app",
		"antivirus.product.conflict",
		"terminal_server.rdp.plain_security",
		"terminal_server.rdp.nla_not_required",
		"terminal_server.rdp.cert_expired",
		"terminal_server.rds.disconnected_idle",
		"nas.smb_client.smb1_enabled",
		"nas.offline_files.enabled",
		"product.crash.reported",
		NULL,
	};
	struct verdict_list l = VERDICT_LIST_INIT;
	const struct verdict_item *v;

	(void)state;
	judge_all("healthy.json", &app, &l);
	check(&l, e, sizeof(e) / sizeof(e[0]));
	check_absent(&l, absent);
	/* per-session processes and memory are summed from the WTS lists */
	v = verdict_find(&l, "terminal_server.rds.sessions");
	assert_non_null(strstr(v->detail, "2 alice RDP-Tcp#4 active, 2 "
					  "processes, 400.0 MiB"));
	verdict_list_release(&l);

	/* a second directory without an exclusion is named alone */
	verdict_list_init(&l);
	judge_all("healthy.json", &app_two, &l);
	v = verdict_find(&l, "antivirus.defender.realtime_blocks_app");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "no path exclusion covers E:\\Scans "
					  "(1 path"));
	assert_non_null(verdict_find(&l, "antivirus.defender.excluded"));
	verdict_list_release(&l);
}

static void test_faults(void **state)
{
	static const struct expect e[] = {
		{ "antivirus.defender.realtime_blocks_app", SEVERITY_WARN,
		  LEVEL_SUPPORT, "no path exclusion covers D:\\DmsData" },
		{ "antivirus.defender.signatures_old", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, "33 days ago" },
		{ "antivirus.defender.asr_blocks_app", SEVERITY_WARN,
		  LEVEL_SUPPORT,
		  "01443614-cd74-433a-b99e-2ecdc07bfc25, block" },
		{ "antivirus.defender.cfa_blocks_app", SEVERITY_WARN,
		  LEVEL_SUPPORT, "not an allowed application" },
		{ "antivirus.product.conflict", SEVERITY_FAIL,
		  LEVEL_THIRD_PARTY, "CrowdStrike Falcon" },
		{ "terminal_server.rds.grace_expiring", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, "3 days left" },
		{ "terminal_server.rdp.plain_security", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, NULL },
		{ "terminal_server.rdp.nla_not_required", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, NULL },
		{ "terminal_server.rds.encryption_low", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, NULL },
		{ "terminal_server.rdp.cert_expired", SEVERITY_FAIL,
		  LEVEL_THIRD_PARTY, "expired 14 days ago" },
		{ "terminal_server.rdp.cert_self_signed", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, NULL },
		{ "terminal_server.rds.disconnected_idle", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, "1.5 GiB" },
		{ "terminal_server.rds.drive_redirection_off", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, NULL },
		{ "terminal_server.rds.printer_redirection_off", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, NULL },
		{ "nas.smb_client.smb1_enabled", SEVERITY_WARN,
		  LEVEL_THIRD_PARTY, NULL },
		{ "nas.smb_client.signing_required", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, NULL },
		{ "nas.smb_client.encryption_required", SEVERITY_INFO,
		  LEVEL_THIRD_PARTY, NULL },
		{ "nas.offline_files.enabled", SEVERITY_INFO, LEVEL_THIRD_PARTY,
		  NULL },
		{ "nas.drive.unavailable", SEVERITY_WARN, LEVEL_THIRD_PARTY,
		  "Z: \\\\nas01\\dms (error 1201)" },
		{ "product.crash.reported", SEVERITY_FAIL, LEVEL_ENGINEERING,
		  "1 crash reports for dms.exe" },
		{ "product.hang.reported", SEVERITY_WARN, LEVEL_SUPPORT,
		  "1 hang reports" },
		{ "product.eventlog.errors", SEVERITY_WARN, LEVEL_SUPPORT,
		  "2 errors" },
	};
	static const char *const absent[] = {
		"antivirus.defender.excluded",
		"antivirus.defender.realtime_off",
		"terminal_server.rds.licensing_ok",
		"nas.drive.ok",
		"product.eventlog.no_errors",
		NULL,
	};
	struct verdict_list l = VERDICT_LIST_INIT;
	const struct verdict_item *v;

	(void)state;
	judge_all("faults.json", &app, &l);
	check(&l, e, sizeof(e) / sizeof(e[0]));
	check_absent(&l, absent);
	/* tamper protection on: the hint sends IT to Intune or GPO */
	v = verdict_find(&l, "antivirus.defender.realtime_blocks_app");
	assert_non_null(strstr(v->hint, "tamper protection is on"));
	/* the policy's block wins over the local "off" for the same rule; the
	 * lsass rule is not one that stops applications */
	v = verdict_find(&l, "antivirus.defender.asr_blocks_app");
	assert_null(strstr(v->detail, "9e6c4e1f"));
	assert_null(strstr(v->detail, "d1e49aac"));
	/* the event outside the window and another program's crash are not
	 * counted; System's critical event of the service is */
	v = verdict_find(&l, "product.eventlog.errors");
	assert_null(strstr(v->detail, "before the window"));
	assert_non_null(strstr(v->detail, "System/DmsService 7"));
	v = verdict_find(&l, "product.crash.reported");
	assert_null(strstr(v->detail, "notdms"));
	verdict_list_release(&l);

	/* the data directory on the protected, disconnected Z: is worse */
	verdict_list_init(&l);
	judge_all("faults.json", &app_on_z, &l);
	v = verdict_find(&l, "antivirus.defender.cfa_blocks_app");
	assert_int_equal(v->severity, SEVERITY_FAIL);
	assert_non_null(strstr(v->detail, "protected folder Z:\\"));
	v = verdict_find(&l, "nas.drive.unavailable");
	assert_int_equal(v->severity, SEVERITY_FAIL);
	assert_non_null(strstr(v->detail, "data directory is on it"));
	verdict_list_release(&l);
}

static void test_hostile(void **state)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	const struct verdict_item *v;

	(void)state;
	judge_all("hostile.json", &app, &l);
	for (size_t i = 0; i < l.n; i++) {
		const char *d = l.v[i].detail ? l.v[i].detail : "";

		assert_true(utf8_valid(d, strlen(d)));
		assert_null(strchr(d, '\x1b'));
		assert_null(strchr(d, '\a'));
		assert_null(strstr(d, "\xe2\x80\xae")); /* U+202E */
	}
	/* DWORD past 32 bits is refused: real-time protection stays on;
	 * "D:/dmsdata" matches D:\DmsData, "" and "\" match nothing */
	v = verdict_find(&l, "antivirus.defender.excluded");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "(by D:/dmsdata)"));
	/* a lone surrogate in a filter name shows as U+FFFD; the altitude
	 * with a fraction is in the group, an absurd one is not */
	v = verdict_find(&l, "antivirus.minifilter.present");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "W\xef\xbf\xbd"
					  "d\xef\xbf\xbd"));
	assert_null(strstr(v->detail, "Evil"));
	assert_null(strstr(v->detail, "NoAltitude"));
	/* an unknown product with 4294967295 instances is one product,
	 * Defender (real-time on by default, no filter needed) the other */
	v = verdict_find(&l, "antivirus.product.conflict");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "active: W\xef\xbf\xbd"));
	assert_non_null(strstr(v->detail, "Microsoft Defender"));
	/* TSAppCompat as the string "1" counts; LicensingMode "four" and a
	 * negative grace period do not */
	v = verdict_find(&l, "terminal_server.rds.licensing_not_configured");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "grace period unknown"));
	/* a huge QWORD SecurityLayer is not 0; the WTS API is missing
	 * (wine): no session finding; a bad certificate date: none */
	check_absent(&l, (const char *const[]){
				 "terminal_server.rdp.plain_security",
				 "terminal_server.rds.sessions",
				 "terminal_server.rdp.cert_expired",
				 "terminal_server.rdp.cert_expiring",
				 "nas.smb_client.signing_required", NULL });
	v = verdict_find(&l, "nas.drive.unavailable");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "?: \xef\xbf\xbd\xef\xbf\xbd"));
	/* event text is cut; the provider with a lone surrogate is not the
	 * application's */
	v = verdict_find(&l, "product.eventlog.errors");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "1 errors"));
	assert_true(strlen(v->detail) < 600);
	verdict_list_release(&l);
}

/*
 * A Server without SecurityCenter2, run without the rights to list
 * filters: the installed services of known products stand in (a disabled
 * one does not count).
 */
static void test_services(void **state)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	const struct verdict_item *v;

	(void)state;
	judge_all("server-services.json", &app, &l);
	v = verdict_find(&l, "antivirus.product.conflict");
	assert_non_null(v);
	assert_non_null(strstr(v->detail, "CrowdStrike Falcon"));
	assert_non_null(strstr(v->detail, "Microsoft Defender"));
	assert_null(strstr(v->detail, "ESET"));
	assert_null(verdict_find(&l, "antivirus.minifilter.present"));
	verdict_list_release(&l);
}

static void test_missing(void **state)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	char path[] = "/tmp/wincheck.XXXXXX";
	const struct verdict_item *v;
	struct wincheck_events ev;
	struct wincheck_av av;
	struct winsrc src;
	char *err = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "{}", 2), 0);
	close(fd);
	assert_int_equal(winsrc_fixture_open(path, &src, &err), 0);
	assert_int_equal(wincheck_av_read(&src, &av), 0);
	wincheck_av_judge(&av, &app, &l);
	wincheck_av_release(&av);
	/* nothing answered: no antivirus verdict at all, not "none" */
	assert_int_equal(l.n, 0);
	assert_int_equal(wincheck_events_read(&src, &app, 0, &ev), 0);
	wincheck_events_judge(&ev, &app, &l);
	wincheck_events_release(&ev);
	v = verdict_find(&l, "product.eventlog.unavailable");
	assert_non_null(v);
	assert_string_equal(v->detail, "EvtQuery: no such channel");
	assert_null(v->hint);
	winsrc_close(&src);
	verdict_list_release(&l);

	assert_int_equal(
		write_all(fd = open(path, O_WRONLY | O_TRUNC), "[1", 2), 0);
	close(fd);
	assert_int_equal(winsrc_fixture_open(path, &src, &err), -EINVAL);
	assert_non_null(strstr(err, "cannot read fixture"));
	free(err);
	unlink(path);
}

static void test_utf16(void **state)
{
	static const struct {
		uint16_t in[6];
		size_t n, max;
		const char *out;
	} cases[] = {
		{ { 'a', 0xe9, 0x20ac }, 3, 64, "a\xc3\xa9\xe2\x82\xac" },
		{ { 0xd83d, 0xde00 }, 2, 64, "\xf0\x9f\x98\x80" },
		{ { 0xd83d, 'x' }, 2, 64, "\xef\xbf\xbdx" },
		{ { 0xde00, 0xd83d }, 2, 64, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ { 'a', 0, 'b' }, 3, 64, "a" },
		{ { 'a', 0x20ac, 'b' }, 3, 3, "a" }, /* never half a char */
		{ { 0 }, 0, 64, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *s = utf8_from_utf16(cases[i].in, cases[i].n, cases[i].max,
					  &len);

		assert_string_equal(s, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		free(s);
	}
}

static void test_path_under(void **state)
{
	(void)state;
	assert_true(wincheck_path_under("D:\\DmsData", "d:\\dmsdata\\"));
	assert_true(wincheck_path_under("D:\\DmsData\\x.db", "D:/DmsData"));
	assert_false(wincheck_path_under("D:\\DmsDataOld", "D:\\DmsData"));
	assert_false(wincheck_path_under("D:\\DmsData", "D:\\DmsDataOld"));
	assert_false(wincheck_path_under("D:\\DmsData", "\\"));
	assert_false(wincheck_path_under("D:\\DmsData", ""));
	assert_false(wincheck_path_under(NULL, "D:\\"));
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Recording: what a recorder wrapped around a source writes reads back as
 * a fixture that gives the very same verdicts (what --record-fixtures on a
 * real server relies on).
 */
static void test_record(void **state)
{
	static const char *const names[] = { "healthy.json", "faults.json",
					     "hostile.json",
					     "server-services.json" };

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct verdict_list a = VERDICT_LIST_INIT,
				    b = VERDICT_LIST_INIT;
		char path[] = "/tmp/wincheck-rec.XXXXXX", *text, *err = NULL;
		struct winsrc inner, rec, again;
		int fd;

		open_fixture(names[k], &inner);
		winsrc_record_open(&inner, &rec);
		assert_null(inner.ops);
		judge_src(&rec, &app, &a);
		text = winsrc_record_dump(&rec);
		assert_non_null(text);
		winsrc_close(&rec);
		fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write_all(fd, text, strlen(text)), 0);
		close(fd);
		free(text);
		assert_int_equal(winsrc_fixture_open(path, &again, &err), 0);
		judge_src(&again, &app, &b);
		winsrc_close(&again);
		unlink(path);
		assert_true(a.n > 3);
		assert_int_equal(a.n, b.n);
		for (size_t i = 0; i < a.n; i++) {
			if (strcmp(a.v[i].id, b.v[i].id) != 0 ||
			    a.v[i].severity != b.v[i].severity ||
			    a.v[i].level != b.v[i].level ||
			    !same(a.v[i].detail, b.v[i].detail))
				fail_msg("%s: %s differs after recording: "
					 "'%s' / '%s'",
					 names[k], a.v[i].id,
					 a.v[i].detail ? a.v[i].detail : "",
					 b.v[i].detail ? b.v[i].detail : "");
		}
		verdict_list_release(&a);
		verdict_list_release(&b);
	}
	/* only a recorder dumps */
	{
		struct winsrc src;

		open_fixture("healthy.json", &src);
		assert_null(winsrc_record_dump(&src));
		winsrc_close(&src);
	}
}

extern const struct collector collector_win_antivirus;
extern const struct collector collector_win_terminal_server;
extern const struct collector collector_win_nas;
extern const struct collector collector_eventlog;

/* The collectors themselves, fed a fixture: findings reach the records. */
static void test_collectors(void **state)
{
	static const struct {
		const struct collector *c;
		const char *id;
	} cases[] = {
		{ &collector_win_antivirus, "antivirus.product.conflict" },
		{ &collector_win_terminal_server,
		  "terminal_server.rds.grace_expiring" },
		{ &collector_win_nas, "nas.drive.unavailable" },
		{ &collector_eventlog, "product.crash.reported" },
	};
	char *fixture = harness_data_path("windows/faults.json");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct harness_run run;
		struct config cfg;

		config_init(&cfg);
		config_add(&cfg, cases[i].c->name, "fixture", fixture, "test");
		config_add(&cfg, cases[i].c->name, "executable",
			   "C:\\Program Files\\Dms\\dms.exe", "test");
		config_add(&cfg, "product", "data_dir", "D:\\DmsData", "test");
		harness_run(cases[i].c, "", &cfg, &run);
		assert_int_equal(run.rc, 0);
		if (!harness_finding(&run, cases[i].id))
			fail_msg("%s: no %s", cases[i].c->name, cases[i].id);
		harness_release(&run);
		config_release(&cfg);
	}
	free(fixture);
}

/* record_fixture = yes: the collector leaves windows-api.json behind,
 * and that file feeds the same collector to the same finding. */
static void test_collector_records(void **state)
{
	char *fixture = harness_data_path("windows/faults.json"), *rec;
	struct harness_run run, again;
	struct config cfg;

	(void)state;
	config_init(&cfg);
	config_add(&cfg, "nas", "fixture", fixture, "test");
	config_add(&cfg, "nas", "record_fixture", "yes", "test");
	harness_run(&collector_win_nas, "", &cfg, &run);
	config_release(&cfg);
	assert_int_equal(run.rc, 0);
	assert_int_equal(harness_count(&run, "artifact"), 1);
	rec = xasprintf("%s/windows-api.json", run.staging);
	assert_true(access(rec, R_OK) == 0);

	config_init(&cfg);
	config_add(&cfg, "nas", "fixture", rec, "test");
	harness_run(&collector_win_nas, "", &cfg, &again);
	config_release(&cfg);
	assert_non_null(harness_finding(&again, "nas.drive.unavailable"));
	assert_non_null(harness_finding(&again, "nas.smb_client.smb1_enabled"));
	assert_int_equal(harness_count(&again, "artifact"), 0);
	harness_release(&again);
	harness_release(&run);
	free(rec);
	free(fixture);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_path_under),
		cmocka_unit_test(test_collectors),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_collector_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
