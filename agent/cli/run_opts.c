/*
 * Command line and config for `rdiag run` (see run_opts.h). Every bad value
 * is reported in one line that names the option or the config line.
 */
#define _XOPEN_SOURCE 700 /* strptime */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "cli/run_opts.h"
#include "core/obfuscate.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "registry.h"

enum {
	OPT_ONLY = 256,
	OPT_SKIP,
	OPT_TICKET,
	OPT_OUT,
	OPT_TIMEOUT,
	OPT_JOBS,
	OPT_COMPRESS,
	OPT_PRIORITY,
	OPT_CONFIG,
	OPT_SINCE,
	OPT_DB,
	OPT_NAS,
	OPT_AV_TEST,
	OPT_JSON,
	OPT_NO_BUNDLE,
	OPT_OBFUSCATE,
	OPT_UPLOAD,
	OPT_REMOVE_AFTER_UPLOAD,
	OPT_SIGN,
	OPT_ENCRYPT_TO,
	OPT_REQUEST,
};

/* The defaults come from core/run.h, as in the [agent] key table. */
static const struct args_opt run_opts[] = {
	{ OPT_ONLY, "only", 0, "NAME[,NAME...]", "run only these collectors",
	  0 },
	{ OPT_SKIP, "skip", 0, "NAME[,NAME...]", "do not run these collectors",
	  0 },
	{ OPT_TICKET, "ticket", 0, "ID",
	  "the support ticket (names the bundle)", 0 },
	{ OPT_OUT, "out", 0, "DIR", "where to write the bundle (default: .)",
	  0 },
	{ OPT_TIMEOUT, "timeout", 0, "DURATION",
	  "deadline for the whole run: 90s, 15m, "
	  "1h30m\n(default: " RUN_DEFAULT_TIMEOUT ")",
	  0 },
	{ OPT_JOBS, "jobs", 0, "N", "collectors running at once (default: all)",
	  0 },
	{ OPT_COMPRESS, "compress", 0, "gzip|zstd",
	  "bundle compression (default: " RUN_DEFAULT_COMPRESS ")", 0 },
	{ OPT_PRIORITY, "priority", 0, "low|normal",
	  "low: collectors and bundling at nice 10 and\n"
	  "idle I/O (default: " RUN_DEFAULT_PRIORITY ")",
	  0 },
	{ OPT_CONFIG, "config", 0, "FILE",
	  "read FILE after /etc/rdiag/rdiag.conf", 0 },
	{ OPT_SINCE, "since", 0, "WHEN",
	  "evidence newer than WHEN: 2026-11-27,\n"
	  "2026-11-27T10:00:00, 24h, 7d, 30m",
	  0 },
	{ OPT_DB, "db", 0, "URL", "check this database (repeatable)", 0 },
	{ OPT_NAS, "nas", 0, "PATH", "check this file-store path (repeatable)",
	  0 },
	{ OPT_AV_TEST, "av-test", 0, NULL,
	  "write the EICAR test string into the\n"
	  "application's directories (antivirus)",
	  0 },
	{ OPT_UPLOAD, "upload", 0, "URL",
	  "send the bundle there (see rdiag help upload);\n"
	  "without URL: to [upload] to of the config",
	  ARGS_VALUE_OPTIONAL },
	{ OPT_REMOVE_AFTER_UPLOAD, "remove-after-upload", 0, NULL,
	  "delete the bundle once the server has it", 0 },
	{ OPT_SIGN, "sign", 0, "SECRETKEY",
	  "sign the bundle with this ed25519 key (OpenSSH or\n"
	  "rdiag keygen): NAME.sig beside it, manifest.sig inside",
	  0 },
	{ OPT_ENCRYPT_TO, "encrypt-to", 0, "PUBKEY",
	  "encrypt the bundle for this age recipient (age1...);\n"
	  "no plain bundle is ever left behind",
	  0 },
	{ OPT_REQUEST, "request", 0, "TOKEN|FILE",
	  "run a vendor's signed collection request\n"
	  "(see docs/requests.md)",
	  0 },
	{ OPT_JSON, "json", 0, NULL, "print the verdict as one JSON object",
	  0 },
	{ OPT_NO_BUNDLE, "no-bundle", 0, NULL, "only print the verdict", 0 },
	{ OPT_OBFUSCATE, "obfuscate", 0, "LIST",
	  "hosts,ips,users: stable placeholders for them in the\n"
	  "bundle (the map stays here, 0600)",
	  0 },
	{ 'q', "quiet", 'q', NULL, "no progress; verdict only when not clean",
	  0 },
	{ 'v', "verbose", 'v', NULL, "log to stderr as well", 0 },
	{ 0 },
};

static const struct args_exit run_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_WARNINGS, NULL },
	{ EXIT_FAILURES, NULL },
	{ EXIT_NOTHING_CHECKED, NULL },
	{ EXIT_USAGE, NULL },
	{ EXIT_DATAERR, "a --request token refused (with the reason)" },
	{ EXIT_UNAVAILABLE, "the upload failed; the bundle is kept" },
	{ EXIT_SOFTWARE, NULL },
	{ EXIT_CANTCREAT,
	  "the bundle cannot be written; the verdict is still printed" },
	{ EXIT_INTERRUPTED, "interrupted; no partial bundle is left" },
	{ -1, NULL },
};

const struct args_spec run_opts_args = {
	.cmd = "run",
	.head = "usage: rdiag run [options]\n",
	.opts = { run_opts },
	.exits = run_exits,
};

/* Two digits at s into *ret; false when they are not two digits. */
static bool two_digits(const char *s, int *ret)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*ret = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

/*
 * A zone after a time: "Z" or +HH[:MM] / -HH[:MM] (also +HHMM). Returns the
 * end, with the offset east of UTC in seconds, or NULL.
 */
static const char *parse_zone(const char *s, long *ret_off)
{
	int hh, mm = 0, sign;

	if (*s == 'Z' || *s == 'z') {
		*ret_off = 0;
		return s + 1;
	}
	if (*s != '+' && *s != '-')
		return NULL;
	sign = *s == '-' ? -1 : 1;
	if (!two_digits(s + 1, &hh) || hh > 23)
		return NULL;
	s += 3;
	if (*s == ':')
		s++;
	if (*s != '\0') {
		if (!two_digits(s, &mm) || mm > 59)
			return NULL;
		s += 2;
	}
	*ret_off = sign * (hh * 3600L + mm * 60L);
	return s;
}

int run_opts_parse_since(const char *s, time_t now, time_t *ret)
{
	unsigned long long v;
	struct tm tm;
	const char *end;
	bool zoned = false;
	long off = 0;
	int64_t days;
	time_t t;

	if (parse_duration(s, 1, 100000ULL * 86400, &v) == 0) {
		*ret = now - (time_t)v;
		return 0;
	}
	/* A date, a time of day (HH:MM[:SS], after 'T' or a space), a
	 * zone; without a zone it is the machine's local time (TZ). */
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || tm.tm_year < 70)
		return -EINVAL;
	if (*end == 'T' || *end == ' ') {
		if (!two_digits(end + 1, &tm.tm_hour) || end[3] != ':' ||
		    !two_digits(end + 4, &tm.tm_min) || tm.tm_hour > 23 ||
		    tm.tm_min > 59)
			return -EINVAL;
		end += 6;
		if (*end == ':') {
			if (!two_digits(end + 1, &tm.tm_sec) || tm.tm_sec > 60)
				return -EINVAL;
			end += 3;
		}
		if (*end != '\0') {
			if (!(end = parse_zone(end, &off)))
				return -EINVAL;
			zoned = true;
		}
	}
	if (*end != '\0')
		return -EINVAL;
	if (zoned) {
		/* timegm is not POSIX: days from the civil date, then
		 * seconds. */
		days = days_from_civil(tm.tm_year + 1900,
				       (unsigned)tm.tm_mon + 1,
				       (unsigned)tm.tm_mday);
		*ret = (time_t)(days * 86400 + tm.tm_hour * 3600 +
				tm.tm_min * 60 + tm.tm_sec - off);
		return 0;
	}
	tm.tm_isdst = -1; /* whatever daylight saving says on that day */
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

/* Split a comma list and check each name against the registry. */
static int name_list(const char *opt, const char *list, char ***ret)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	char **names = NULL;
	size_t n = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!registry_find(registry_collectors, tok)) {
			int rc = EXIT_USAGE;

			error_msg("unknown collector '%s' in %s (see 'rdiag "
				  "list')",
				  tok, opt);

			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			free(copy);
			return rc;
		}
		names = xreallocarray(names, n + 2, sizeof(*names));
		names[n++] = xstrdup(tok);
		names[n] = NULL;
	}
	free(copy);
	if (n == 0)
		return error_usage("run", "%s needs at least one name", opt);
	*ret = names;
	return 0;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/*
 * A number option within bounds, or a usage error; with duration, in
 * parse_duration()'s grammar ("90", "15m", "1h30m").
 */
static int number_or_duration(const char *what, const char *s,
			      unsigned long long min, unsigned long long max,
			      bool duration, unsigned long long *ret)
{
	char *err = NULL;
	int rc;

	if (run_parse_number(what, s, min, max, duration, ret, &err) == 0)
		return 0;
	rc = error_usage("run", "%s", err);
	free(err);
	return rc;
}

static int number(const char *what, const char *s, unsigned long long min,
		  unsigned long long max, unsigned long long *ret)
{
	return number_or_duration(what, s, min, max, false, ret);
}

static int seconds(const char *what, const char *s, unsigned long long min,
		   unsigned long long max, unsigned long long *ret)
{
	return number_or_duration(what, s, min, max, true, ret);
}

static int compression(const char *what, const char *s,
		       enum bundle_compress *ret)
{
	char *err = NULL;
	int rc;

	if (run_parse_compress(what, s, ret, &err) == 0)
		return 0;
	rc = error_usage("run", "%s", err);
	free(err);
	return rc;
}

static int priority(const char *what, const char *s, bool *ret_normal)
{
	char *err = NULL;
	int rc;

	if (run_parse_priority(what, s, ret_normal, &err) == 0)
		return 0;
	rc = error_usage("run", "%s", err);
	free(err);
	return rc;
}

static char *join_argv(int argc, char **argv)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "rdiag");
	for (int i = 0; i < argc; i++) {
		buf_putc(&b, ' ');
		buf_puts(&b, argv[i]);
	}
	return buf_detach(&b, NULL);
}

/* [agent] values first; the command line then overrides them. */
static int apply_agent_config(struct run_opts *o)
{
	char *err = NULL;
	int rc;

	if (run_plan_apply_config(&o->plan, &err) == 0)
		return 0;
	rc = error_usage("run", "%s", err);
	free(err);
	return rc;
}

/* Values given as flags are checked by their collector: a typo is a usage
 * error now, not a finding after the run. */
static int check_flags(const struct config *flags)
{
	for (size_t i = 0; i < flags->n; i++) {
		const struct config_entry *e = &flags->entries[i];

		for (const struct collector *const *c = registry_collectors; *c;
		     c++) {
			char *err = NULL;
			int rc;

			if (!(*c)->check ||
			    strcmp((*c)->name, e->section) != 0 ||
			    (*c)->check(e->key, e->value, &err) >= 0)
				continue;
			rc = error_usage("run", "%s: %s", e->origin,
					 err ? err : "invalid value");
			free(err);
			return rc;
		}
	}
	return 0;
}

static int load_configs(struct run_opts *o, const char *user_config)
{
	char *err = NULL;

	if (config_load_files(&o->plan.config, user_config, config_schema(),
			      &err) < 0) {
		error_msg("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	return 0;
}

int run_opts_parse(struct run_opts *o, int argc, char **argv)
{
	struct args a;
	int rest;
	char **only = NULL, **skip = NULL;
	const char *user_config = NULL, *since = NULL;
	struct config flags;
	unsigned long long v;
	bool have_timeout = false, have_jobs = false, have_compress = false;
	bool have_priority = false, normal_priority = false;
	bool upload_default = false;
	unsigned timeout_s = 0, jobs = 0;
	enum bundle_compress compress = BUNDLE_GZIP;
	char *out_dir = NULL;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	run_plan_init(&o->plan);
	config_init(&flags);
	o->plan.command_line = join_argv(argc, argv);
	args_init(&a, &run_opts_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		switch (c) {
		case OPT_ONLY:
			free_list(only);
			only = NULL;
			if ((rc = name_list("--only", a.value, &only)))
				goto out;
			break;
		case OPT_SKIP:
			free_list(skip);
			skip = NULL;
			if ((rc = name_list("--skip", a.value, &skip)))
				goto out;
			break;
		case OPT_TICKET:
			if (!fs_name_ok(a.value, 64)) {
				rc = error_usage(
					"run",
					"--ticket may use only letters, "
					"digits, '.', '-' and '_' (at most "
					"64), "
					"not '%s'",
					a.value);
				goto out;
			}
			free(o->plan.ticket);
			o->plan.ticket = xstrdup(a.value);
			break;
		case OPT_OUT:
			free(out_dir);
			out_dir = xstrdup(a.value);
			break;
		case OPT_TIMEOUT:
			if ((rc = seconds("--timeout", a.value, 1, 86400, &v)))
				goto out;
			timeout_s = (unsigned)v;
			have_timeout = true;
			break;
		case OPT_JOBS:
			if ((rc = number("--jobs", a.value, 1, 64, &v)))
				goto out;
			jobs = (unsigned)v;
			have_jobs = true;
			break;
		case OPT_COMPRESS:
			if ((rc = compression("--compress", a.value,
					      &compress)))
				goto out;
			have_compress = true;
			break;
		case OPT_PRIORITY:
			if ((rc = priority("--priority", a.value,
					   &normal_priority)))
				goto out;
			have_priority = true;
			break;
		case OPT_CONFIG:
			user_config = a.value;
			break;
		case OPT_SINCE:
			since = a.value;
			break;
		case OPT_DB:
			config_add(&flags, "database", "url", a.value, "--db");
			break;
		case OPT_NAS:
			config_add(&flags, "nas", "path", a.value, "--nas");
			break;
		case OPT_AV_TEST:
			config_add(&flags, "antivirus", "av_test", "yes",
				   "--av-test");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_BUNDLE:
			o->plan.no_bundle = true;
			break;
		case OPT_OBFUSCATE: {
			char *bad = NULL;

			if (obfuscate_parse(a.value, &o->plan.obfuscate, &bad) <
			    0) {
				rc = error_usage("run",
						 "--obfuscate takes hosts, ips "
						 "and users, not '%s'",
						 bad);
				free(bad);
				goto out;
			}
			break;
		}
		case OPT_UPLOAD:
			free(o->plan.upload_url);
			/* No URL: the configured target, once it is read. */
			o->plan.upload_url = a.value ? xstrdup(a.value) : NULL;
			upload_default = !a.value;
			break;
		case OPT_REMOVE_AFTER_UPLOAD:
			o->plan.remove_after_upload = true;
			break;
		case OPT_SIGN:
			free(o->plan.sign_key);
			o->plan.sign_key = xstrdup(a.value);
			break;
		case OPT_ENCRYPT_TO:
			free(o->plan.encrypt_to);
			o->plan.encrypt_to = xstrdup(a.value);
			break;
		case OPT_REQUEST:
			free(o->request);
			o->request = xstrdup(a.value);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->plan.verbose = true;
			break;
		}
	}
	if (c == ARGS_STOP) {
		rc = a.rc == 0 ? -1 : a.rc; /* -1: help was printed */
		goto out;
	}
	rest = args_rest(&a);
	if (rest < argc) {
		rc = error_usage("run", "unexpected argument '%s'", argv[rest]);
		goto out;
	}
	/* A request says what runs, for which ticket and where it goes. */
	if (o->request &&
	    (only || skip || o->plan.ticket || o->plan.upload_url ||
	     upload_default || o->plan.no_bundle)) {
		rc = error_usage("run", "--request decides the collectors, "
					"the ticket and the upload; drop "
					"--only, --skip, --ticket, "
					"--upload and --no-bundle");
		goto out;
	}
	if ((o->plan.upload_url || upload_default) && o->plan.no_bundle) {
		rc = error_usage("run", "--upload needs a bundle; drop "
					"--no-bundle");
		goto out;
	}
	if ((o->plan.sign_key || o->plan.encrypt_to) && o->plan.no_bundle) {
		rc = error_usage("run", "--sign and --encrypt-to need a "
					"bundle; drop --no-bundle");
		goto out;
	}
	if (since &&
	    run_opts_parse_since(since, time(NULL), &o->plan.since) < 0) {
		rc = error_usage("run",
				 "--since must be a date (2026-11-27), a "
				 "local date-time (2026-11-27 10:00, "
				 "2026-11-27T10:00:00), one with a zone "
				 "(2026-11-27T10:00+01:00, "
				 "2026-11-27T09:00Z) or an age (30m, 24h, "
				 "7d), not '%s'",
				 since);
		goto out;
	}
	if ((rc = check_flags(&flags)))
		goto out;
	if ((rc = load_configs(o, user_config)))
		goto out;
	for (size_t i = 0; i < flags.n; i++)
		config_add(&o->plan.config, flags.entries[i].section,
			   flags.entries[i].key, flags.entries[i].value,
			   flags.entries[i].origin);
	if ((rc = apply_agent_config(o)))
		goto out;
	if (upload_default) {
		const char *to = config_get(&o->plan.config, "upload", "to");

		if (!to) {
			rc = error_usage("run", "--upload without a URL sends "
						"to [upload] to, which no "
						"config file sets; give "
						"--upload URL");
			goto out;
		}
		o->plan.upload_url = xstrdup(to);
	}
	/* The host label names the bundle and stands in its manifest. */
	if (o->plan.obfuscate & OBFUSCATE_HOSTS) {
		free(o->plan.host);
		o->plan.host = xstrdup("obfuscated");
	}
	if (out_dir) {
		free(o->plan.out_dir);
		o->plan.out_dir = out_dir;
		o->plan.out_dir_flag = true;
		out_dir = NULL;
	}
	if (have_timeout)
		o->plan.timeout_s = timeout_s;
	if (have_jobs)
		o->plan.jobs = jobs;
	if (have_compress)
		o->plan.compress = compress;
	if (have_priority)
		o->plan.normal_priority = normal_priority;
	run_cli_init(&o->cli, o->quiet, o->json);
	o->plan.observer = &o->cli.ob;
	run_plan_select(&o->plan, registry_collectors, only, skip);
	if (o->plan.nselected == 0)
		rc = error_usage("run", "no collector left to run after "
					"--only and --skip");
out:
	free(out_dir);
	free_list(only);
	free_list(skip);
	config_release(&flags);
	return rc;
}

void run_opts_release(struct run_opts *o)
{
	run_cli_release(&o->cli);
	run_plan_release(&o->plan);
	free(o->request);
	memset(o, 0, sizeof(*o));
}
