/*
 * Option parsing of `rdiag run` (cli/run_opts.c): good flags fill the run
 * plan, [agent] config values are overridden by flags, and every bad flag
 * or config value is refused with exit 64 and one line naming the option
 * or the config line it came from. stderr is captured to check the line.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/run_opts.h"
#include "core/exitcode.h"
#include "rdiag/buf.h"

/* What one parse returned and printed. */
struct parsed {
	struct run_opts o;
	int rc;
	char out[4096]; /* stdout */
	char err[4096]; /* stderr */
};

static void slurp(int fd, char *dst, size_t max)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, dst, max - 1);
	dst[n > 0 ? n : 0] = '\0';
}

/* Parse argv (NULL-terminated, "run" first) with stdout/stderr captured. */
static void parse(struct parsed *p, const char *const *argv)
{
	char opath[] = "/tmp/rdiag-runopts-out-XXXXXX";
	char epath[] = "/tmp/rdiag-runopts-err-XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath);
	int save_out = dup(STDOUT_FILENO), save_err = dup(STDERR_FILENO);
	char *args[32];
	int argc = 0;

	assert_true(ofd >= 0 && efd >= 0 && save_out >= 0 && save_err >= 0);
	for (; argv[argc]; argc++) {
		assert_true(argc < 31);
		args[argc] = (char *)argv[argc];
	}
	args[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(ofd, STDOUT_FILENO);
	dup2(efd, STDERR_FILENO);
	p->rc = run_opts_parse(&p->o, argc, args);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, STDOUT_FILENO);
	dup2(save_err, STDERR_FILENO);
	close(save_out);
	close(save_err);
	slurp(ofd, p->out, sizeof(p->out));
	slurp(efd, p->err, sizeof(p->err));
	close(ofd);
	close(efd);
	unlink(opath);
	unlink(epath);
}

static char *write_conf(const char *text)
{
	char *path = xstrdup("/tmp/rdiag-runopts-conf-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static bool selected(const struct run_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nselected; i++)
		if (strcmp(p->selected[i]->name, name) == 0)
			return true;
	return false;
}

static int setup(void **state)
{
	(void)state;
	/* No system config: only what a test writes counts. */
	setenv("RDIAG_SYSTEM_CONFIG", "", 1);
	return 0;
}

static void test_defaults(void **state)
{
	static const char *const argv[] = { "run", NULL };
	struct parsed p;

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_int_equal(p.o.plan.timeout_s, RUN_DEFAULT_TIMEOUT_S);
	assert_int_equal(p.o.plan.min_free_mb, RUN_DEFAULT_MIN_FREE_MB);
	assert_int_equal(p.o.plan.jobs, 0);
	assert_int_equal(p.o.plan.compress, BUNDLE_GZIP);
	assert_false(p.o.plan.normal_priority);
	assert_string_equal(p.o.plan.out_dir, ".");
	assert_null(p.o.plan.ticket);
	assert_null(p.o.plan.upload_url);
	assert_int_equal(p.o.plan.since, 0);
	assert_non_null(p.o.plan.host);
	assert_string_equal(p.o.plan.command_line, "rdiag run");
	assert_false(p.o.quiet || p.o.json || p.o.plan.no_bundle);
	/* The plan reports through the terminal observer. */
	assert_ptr_equal(p.o.plan.observer, &p.o.cli.ob);
	/* Every collector but the opt-in ones, NULL-terminated. */
	assert_true(p.o.plan.nselected > 0);
	assert_null(p.o.plan.selected[p.o.plan.nselected]);
	for (size_t i = 0; i < p.o.plan.nselected; i++)
		assert_false(p.o.plan.selected[i]->flags & COLLECTOR_OPT_IN);
	run_opts_release(&p.o);
}

static void test_good_flags(void **state)
{
	static const char *const argv[] = {
		"run",
		"--only",
		"system,nas",
		"--ticket",
		"T-4711",
		"--out",
		"/tmp",
		"--timeout",
		"15m",
		"--jobs",
		"2",
		"--compress",
		"zstd",
		"--since",
		"24h",
		"--upload",
		"file:///tmp/x",
		"--sign",
		"k.sec",
		"--encrypt-to",
		"k.pub",
		"--json",
		"-q",
		"-v",
		"--remove-after-upload",
		NULL,
	};
	struct parsed p;
	time_t now = time(NULL);

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_int_equal(p.o.plan.nselected, 2);
	/* Registry order, not the order given. */
	assert_string_equal(p.o.plan.selected[0]->name, "nas");
	assert_string_equal(p.o.plan.selected[1]->name, "system");
	assert_string_equal(p.o.plan.ticket, "T-4711");
	assert_string_equal(p.o.plan.out_dir, "/tmp");
	assert_int_equal(p.o.plan.timeout_s, 900);
	assert_int_equal(p.o.plan.jobs, 2);
	assert_int_equal(p.o.plan.compress, BUNDLE_ZSTD);
	assert_true(p.o.plan.since <= now - 86400 &&
		    p.o.plan.since >= now - 86400 - 5);
	assert_string_equal(p.o.plan.upload_url, "file:///tmp/x");
	assert_true(p.o.plan.remove_after_upload);
	assert_string_equal(p.o.plan.sign_key, "k.sec");
	assert_string_equal(p.o.plan.encrypt_to, "k.pub");
	assert_true(p.o.json && p.o.quiet && p.o.plan.verbose);
	assert_true(p.o.cli.json && p.o.cli.quiet);
	assert_non_null(strstr(p.o.plan.command_line,
			       "rdiag run --only system,nas --ticket T-4711"));
	run_opts_release(&p.o);
}

/* --upload alone sends to [upload] to; without it, a usage error. */
static void test_upload_default(void **state)
{
	char *conf = write_conf("[upload]\nto = file:///srv/in\n");
	const char *const with[] = { "run",      "--config", conf,
				     "--upload", "--json",   NULL };
	const char *const given[] = { "run",      "--config",  conf,
				      "--upload", "file:///x", NULL };
	const char *const eq[] = { "run", "--upload=file:///y", NULL };
	const char *const none[] = { "run", "--upload", NULL };
	struct parsed p;

	(void)state;
	parse(&p, with);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.plan.upload_url, "file:///srv/in");
	/* The next word was an option, not the URL. */
	assert_true(p.o.json);
	run_opts_release(&p.o);
	parse(&p, given);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.plan.upload_url, "file:///x");
	run_opts_release(&p.o);
	parse(&p, eq);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.plan.upload_url, "file:///y");
	run_opts_release(&p.o);
	parse(&p, none);
	assert_int_equal(p.rc, EXIT_USAGE);
	assert_string_equal(p.err,
			    "rdiag: --upload without a URL sends to [upload] "
			    "to, which no config file sets; give --upload URL "
			    "(see 'rdiag help run')\n");
	run_opts_release(&p.o);
	unlink(conf);
	free(conf);
}

static void test_skip(void **state)
{
	static const char *const argv[] = { "run", "--skip", "system,nas",
					    NULL };
	static const char *const only_skip[] = { "run",    "--only", "system",
						 "--skip", "nas",    NULL };
	struct parsed p;

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, 0);
	assert_false(selected(&p.o.plan, "system"));
	assert_false(selected(&p.o.plan, "nas"));
	assert_true(selected(&p.o.plan, "product"));
	run_opts_release(&p.o);

	parse(&p, only_skip);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.o.plan.nselected, 1);
	assert_string_equal(p.o.plan.selected[0]->name, "system");
	run_opts_release(&p.o);
}

static void test_since_forms(void **state)
{
	static const struct {
		const char *in;
		time_t want; /* -1: relative to now */
		long long age;
	} cases[] = {
		{ "2026-11-27", 1795737600, 0 },
		{ "2026-11-27T10:00:00", 1795737600 + 36000, 0 },
		{ "1970-01-02", 86400, 0 },
		{ "30m", -1, 1800 },
		{ "24h", -1, 86400 },
		{ "7d", -1, 7 * 86400 },
		{ "1h30m", -1, 5400 },
	};
	static const char *const bad[] = {
		"yesterday",
		"2026-13-01",
		"1969-12-31",
		"2026-11-27 25:00",
		"2026-11-27T10",
		"0h",
		"",
		"-5m",
		"2026-11-27 10:00 ",
		"2026-11-27T10:00+1",
		"2026-11-27T10:00+24:00",
		"2026-11-27x",
	};

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t now = 2000000000, got = 0;

		assert_int_equal(run_opts_parse_since(cases[i].in, now, &got),
				 0);
		if (cases[i].want >= 0)
			assert_int_equal(got, cases[i].want);
		else
			assert_int_equal(got, now - cases[i].age);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t got = 0;

		if (run_opts_parse_since(bad[i], 2000000000, &got) == 0)
			fail_msg("--since '%s' accepted", bad[i]);
	}
}

/*
 * A local date-time is read in the machine's time zone (TZ), with its
 * daylight saving time; a zone or Z in the value wins over TZ.
 */
static void test_since_zones(void **state)
{
	static const struct {
		const char *tz, *in;
		time_t want;
	} cases[] = {
		/* 2026-12-01 13:00 UTC = 1796130000 */
		{ "Europe/Berlin", "2026-12-01 14:00", 1796130000 },
		{ "Europe/Berlin", "2026-12-01T14:00:00", 1796130000 },
		{ "Europe/Moscow", "2026-12-01 16:00", 1796130000 },
		{ "Europe/Moscow", "2026-12-01T16:00:00", 1796130000 },
		{ "UTC", "2026-12-01 13:00", 1796130000 },
		/* Summer: Berlin is UTC+2, Moscow stays UTC+3. */
		{ "Europe/Berlin", "2026-07-01 14:00", 1782907200 },
		{ "Europe/Moscow", "2026-07-01 15:00", 1782907200 },
		/* A date alone: local midnight. */
		{ "Europe/Berlin", "2026-12-01", 1796079600 },
		{ "Europe/Moscow", "2026-12-01", 1796072400 },
		/* An explicit zone or Z whatever TZ says. */
		{ "Europe/Moscow", "2026-12-01T14:00+01:00", 1796130000 },
		{ "Europe/Berlin", "2026-12-01T16:00+03:00", 1796130000 },
		{ "Europe/Berlin", "2026-12-01T16:00+0300", 1796130000 },
		{ "Europe/Berlin", "2026-12-01T10:00-03", 1796130000 },
		{ "Europe/Moscow", "2026-12-01T13:00Z", 1796130000 },
		{ "Europe/Berlin", "2026-12-01 13:00:00Z", 1796130000 },
	};
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t got = 0;

		setenv("TZ", cases[i].tz, 1);
		tzset();
		if (run_opts_parse_since(cases[i].in, 2000000000, &got) != 0)
			fail_msg("TZ=%s --since '%s' refused", cases[i].tz,
				 cases[i].in);
		if (got != cases[i].want)
			fail_msg("TZ=%s --since '%s': %lld, expected %lld",
				 cases[i].tz, cases[i].in, (long long)got,
				 (long long)cases[i].want);
	}
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

static void test_bad_flags(void **state)
{
	static const struct {
		const char *argv[8];
		const char *err; /* the whole stderr */
	} cases[] = {
		{ { "run", "--bogus", NULL },
		  "rdiag: unknown option '--bogus' (see 'rdiag help run')\n" },
		{ { "run", "--timeout", NULL },
		  "rdiag: option '--timeout' needs a value (see 'rdiag help "
		  "run')\n" },
		{ { "run", "extra", NULL },
		  "rdiag: unexpected argument 'extra' (see 'rdiag help "
		  "run')\n" },
		{ { "run", "--only", "nope", NULL },
		  "rdiag: unknown collector 'nope' in --only (see 'rdiag "
		  "list')\n" },
		{ { "run", "--skip", ",", NULL },
		  "rdiag: --skip needs at least one name (see 'rdiag help "
		  "run')\n" },
		{ { "run", "--timeout", "0", NULL },
		  "rdiag: --timeout must be a duration from 1 to 86400 "
		  "seconds (90s, 15m, 1h30m, 2d), not '0' (see 'rdiag help "
		  "run')\n" },
		{ { "run", "--jobs", "65", NULL },
		  "rdiag: --jobs must be a whole number from 1 to 64, not "
		  "'65' (see 'rdiag help run')\n" },
		{ { "run", "--compress", "lz4", NULL },
		  "rdiag: --compress must be gzip or zstd, not 'lz4' (see "
		  "'rdiag help run')\n" },
		{ { "run", "--priority", "high", NULL },
		  "rdiag: --priority must be low or normal, not 'high' (see "
		  "'rdiag help run')\n" },
		{ { "run", "--ticket", "a/b", NULL },
		  "rdiag: --ticket may use only letters, digits, '.', '-' and "
		  "'_' (at most 64), not 'a/b' (see 'rdiag help run')\n" },
		{ { "run", "--since", "yesterday", NULL },
		  "rdiag: --since must be a date (2026-11-27), a local "
		  "date-time (2026-11-27 10:00, 2026-11-27T10:00:00), one "
		  "with a zone (2026-11-27T10:00+01:00, 2026-11-27T09:00Z) or "
		  "an age (30m, 24h, 7d), not 'yesterday' (see 'rdiag help "
		  "run')\n" },
		{ { "run", "--upload", "file:///x", "--no-bundle", NULL },
		  "rdiag: --upload needs a bundle; drop --no-bundle (see "
		  "'rdiag help run')\n" },
		{ { "run", "--sign", "k", "--no-bundle", NULL },
		  "rdiag: --sign and --encrypt-to need a bundle; drop "
		  "--no-bundle (see 'rdiag help run')\n" },
		{ { "run", "--request", "t", "--ticket", "1", NULL },
		  "rdiag: --request decides the collectors, the ticket and "
		  "the upload; drop --only, --skip, --ticket, --upload and "
		  "--no-bundle (see 'rdiag help run')\n" },
		{ { "run", "--only", "system", "--skip", "system", NULL },
		  "rdiag: no collector left to run after --only and --skip "
		  "(see 'rdiag help run')\n" },
		{ { "run", "--config", "/nonexistent/rdiag.conf", NULL },
		  "rdiag: cannot read config '/nonexistent/rdiag.conf': No "
		  "such file or directory\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed p;

		parse(&p, cases[i].argv);
		if (p.rc != EXIT_USAGE || strcmp(p.err, cases[i].err) != 0)
			fail_msg("case %zu: rc %d, stderr '%s'", i, p.rc,
				 p.err);
		assert_string_equal(p.out, "");
		run_opts_release(&p.o);
	}
}

static void test_help(void **state)
{
	static const char *const argv[] = { "run", "--help", NULL };
	struct parsed p;

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, -1);
	/* Byte for byte what it was before the option table printed it. */
	assert_string_equal(
		p.out,
		"usage: rdiag run [options]\n"
		"  --only NAME[,NAME...]   run only these collectors\n"
		"  --skip NAME[,NAME...]   do not run these collectors\n"
		"  --ticket ID             the support ticket (names the "
		"bundle)\n"
		"  --out DIR               where to write the bundle (default: "
		".)\n"
		"  --timeout DURATION      deadline for the whole run: 90s, "
		"15m, 1h30m\n"
		"                          (default: 120)\n"
		"  --jobs N                collectors running at once "
		"(default: all)\n"
		"  --compress gzip|zstd    bundle compression (default: gzip)\n"
		"  --priority low|normal   low: collectors and bundling at "
		"nice 10 and\n"
		"                          idle I/O (default: low)\n"
		"  --config FILE           read FILE after "
		"/etc/rdiag/rdiag.conf\n"
		"  --since WHEN            evidence newer than WHEN: "
		"2026-11-27,\n"
		"                          2026-11-27T10:00:00, 24h, 7d, 30m\n"
		"  --db URL                check this database (repeatable)\n"
		"  --nas PATH              check this file-store path "
		"(repeatable)\n"
		"  --av-test               write the EICAR test string into "
		"the\n"
		"                          application's directories "
		"(antivirus)\n"
		"  --upload [URL]          send the bundle there (see rdiag "
		"help upload);\n"
		"                          without URL: to [upload] to of the "
		"config\n"
		"  --remove-after-upload   delete the bundle once the server "
		"has it\n"
		"  --sign SECRETKEY        sign the bundle with this ed25519 "
		"key "
		"(OpenSSH or\n"
		"                          rdiag keygen): NAME.sig beside it, "
		"manifest.sig inside\n"
		"  --encrypt-to PUBKEY     encrypt the bundle for this age "
		"recipient (age1...);\n"
		"                          no plain bundle is ever left "
		"behind\n"
		"  --request TOKEN|FILE    run a vendor's signed collection "
		"request\n"
		"                          (see docs/requests.md)\n"
		"  --json                  print the verdict as one JSON "
		"object\n"
		"  --no-bundle             only print the verdict\n"
		"  --obfuscate LIST        hosts,ips,users: stable "
		"placeholders for "
		"them in the\n"
		"                          bundle (the map stays here, 0600)\n"
		"  -q, --quiet             no progress; verdict only when not "
		"clean\n"
		"  -v, --verbose           log to stderr as well\n"
		"\n"
		"Exit status:\n"
		"  0    nothing worse than info\n"
		"  1    at least one warning (or records dropped)\n"
		"  2    at least one failure\n"
		"  3    nothing was checked (every collector skipped)\n"
		"  64   bad command line or configuration\n"
		"  65   a --request token refused (with the reason)\n"
		"  69   the upload failed; the bundle is kept\n"
		"  70   internal error\n"
		"  73   the bundle cannot be written; the verdict is still "
		"printed\n"
		"  130  interrupted; no partial bundle is left\n");
	assert_string_equal(p.err, "");
	/* The defaults in the usage are the table's. */
	assert_non_null(strstr(p.out, "(default: 120)"));
	run_opts_release(&p.o);
}

/* [agent] values apply; flags given on the command line win. */
static void test_agent_config(void **state)
{
	char *conf = write_conf("[agent]\nout_dir = /var/tmp\ntimeout = 30\n"
				"jobs = 3\ncompress = zstd\nmin_free_mb = 0\n"
				"host_label = box-1\npriority = normal\n");
	const char *argv[] = { "run", "--config", conf, NULL };
	const char *over[] = { "run",  "--config", conf,   "--timeout",
			       "60",   "--out",    "/tmp", "--compress",
			       "gzip", "--jobs",   "1",    "--priority",
			       "low",  NULL };
	struct parsed p;

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.plan.out_dir, "/var/tmp");
	assert_int_equal(p.o.plan.timeout_s, 30);
	assert_int_equal(p.o.plan.jobs, 3);
	assert_int_equal(p.o.plan.compress, BUNDLE_ZSTD);
	assert_int_equal(p.o.plan.min_free_mb, 0);
	assert_string_equal(p.o.plan.host, "box-1");
	assert_true(p.o.plan.normal_priority);
	run_opts_release(&p.o);

	parse(&p, over);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.plan.out_dir, "/tmp");
	assert_int_equal(p.o.plan.timeout_s, 60);
	assert_int_equal(p.o.plan.jobs, 1);
	assert_int_equal(p.o.plan.compress, BUNDLE_GZIP);
	assert_false(p.o.plan.normal_priority);
	/* Not given as a flag: the config's value stays. */
	assert_string_equal(p.o.plan.host, "box-1");
	run_opts_release(&p.o);
	unlink(conf);
	free(conf);
}

/* A bad config value is named with where it came from. */
static void test_config_origin(void **state)
{
	static const struct {
		const char *text;
		const char *err; /* after "rdiag: " and the file name */
	} cases[] = {
		{ "[agent]\ntimeout = abc\n",
		  " line 2: [agent] timeout must be a duration from 1 to "
		  "86400 seconds (90s, 15m, 1h30m, 2d), not 'abc' (see "
		  "'rdiag help run')\n" },
		{ "[agent]\njobs = 0\n", " line 2: [agent] jobs must be a "
					 "whole number from 1 to 64, not '0' "
					 "(see 'rdiag help run')\n" },
		{ "[agent]\ncompress = xz\n", " line 2: [agent] compress must "
					      "be gzip or zstd, not 'xz' (see "
					      "'rdiag help run')\n" },
		{ "[agent]\nhost_label = a b\n",
		  " line 2: [agent] host_label may use only letters, digits, "
		  "'.', '-' "
		  "and '_', not 'a b' (see 'rdiag help run')\n" },
		{ "[nope]\nx = 1\n", ":2: unknown section [nope]\n" },
		{ "[agent]\n\nbogus = 1\n",
		  ":3: unknown key 'bogus' in [agent]\n" },
		{ "[agent]\ntimeout = 1\ntimeout = 2\n",
		  ":3: key 'timeout' in [agent] given twice\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *conf = write_conf(cases[i].text);
		const char *argv[] = { "run", "--config", conf, NULL };
		char *want;
		struct parsed p;

		parse(&p, argv);
		/* Schema errors name FILE:LINE; value errors the file as
		 * it was given and the line, before the key. */
		want = cases[i].err[0] == ':'
			       ? xasprintf("rdiag: %s%s", conf, cases[i].err)
			       : xasprintf("rdiag: --config %s%s", conf,
					   cases[i].err);
		if (p.rc != EXIT_USAGE || strcmp(p.err, want) != 0)
			fail_msg("case %zu: rc %d, stderr '%s', want '%s'", i,
				 p.rc, p.err, want);
		free(want);
		run_opts_release(&p.o);
		unlink(conf);
		free(conf);
	}
}

/* A bad value in the system configuration names that file and line. */
static void test_system_config_origin(void **state)
{
	char *conf = write_conf("[agent]\n; comment\n\njobs = 99\n");
	const char *argv[] = { "run", NULL };
	struct parsed p;
	char *want;

	(void)state;
	setenv("RDIAG_SYSTEM_CONFIG", conf, 1);
	parse(&p, argv);
	setenv("RDIAG_SYSTEM_CONFIG", "", 1);
	want = xasprintf("rdiag: %s line 4: [agent] jobs must be a whole "
			 "number from 1 to 64, not '99' (see 'rdiag help "
			 "run')\n",
			 conf);
	assert_int_equal(p.rc, EXIT_USAGE);
	assert_string_equal(p.err, want);
	free(want);
	run_opts_release(&p.o);
	unlink(conf);
	free(conf);
}

/* A flag's value is checked by its collector and named by the flag. */
static void test_flag_origin(void **state)
{
	static const char *const argv[] = { "run", "--db", "nosuch://x", NULL };
	struct parsed p;

	(void)state;
	parse(&p, argv);
	assert_int_equal(p.rc, EXIT_USAGE);
	assert_true(strncmp(p.err, "rdiag: --db: ", 13) == 0);
	assert_non_null(strstr(p.err, "(see 'rdiag help run')\n"));
	run_opts_release(&p.o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_flags),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_upload_default),
		cmocka_unit_test(test_since_forms),
		cmocka_unit_test(test_since_zones),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_agent_config),
		cmocka_unit_test(test_config_origin),
		cmocka_unit_test(test_system_config_origin),
		cmocka_unit_test(test_flag_origin),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
