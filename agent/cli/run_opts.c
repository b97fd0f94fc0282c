/*
 * Command line and config for `rdiag run` (see run_opts.h). Every bad value
 * is reported in one line that names the option or the config line.
 */
#define _XOPEN_SOURCE 700 /* strptime */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/run_opts.h"
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
	OPT_CONFIG,
	OPT_SINCE,
	OPT_DB,
	OPT_NAS,
	OPT_AV_TEST,
	OPT_JSON,
	OPT_NO_BUNDLE,
	OPT_UPLOAD,
	OPT_REMOVE_AFTER_UPLOAD,
	OPT_SIGN,
	OPT_ENCRYPT_TO,
	OPT_REQUEST,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ "ticket", required_argument, NULL, OPT_TICKET },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "nas", required_argument, NULL, OPT_NAS },
	{ "av-test", no_argument, NULL, OPT_AV_TEST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-bundle", no_argument, NULL, OPT_NO_BUNDLE },
	{ "upload", required_argument, NULL, OPT_UPLOAD },
	{ "remove-after-upload", no_argument, NULL, OPT_REMOVE_AFTER_UPLOAD },
	{ "sign", required_argument, NULL, OPT_SIGN },
	{ "encrypt-to", required_argument, NULL, OPT_ENCRYPT_TO },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

char *run_opts_host_label(void)
{
	char name[256] = "";

	if (gethostname(name, sizeof(name) - 1) < 0 || !*name)
		return xstrdup("unknown-host");
	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = '_';
	return xstrdup(name);
}

int run_opts_parse_since(const char *s, time_t now, time_t *ret)
{
	unsigned long long v;
	struct tm tm;
	const char *end;
	int64_t days;

	if (parse_duration(s, 1, 100000ULL * 86400, &v) == 0) {
		*ret = now - (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end || tm.tm_year < 70)
		return -EINVAL;
	/* timegm is not POSIX: days from the civil date, then seconds. */
	days = days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
			       (unsigned)tm.tm_mday);
	*ret = (time_t)(days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
			tm.tm_sec);
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

static bool in_list(char **list, const char *name)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/*
 * A number option or config value within bounds, or a usage error; with
 * duration, in parse_duration()'s grammar ("90", "15m", "1h30m").
 */
static int number_or_duration(const char *what, const char *s,
			      unsigned long long min, unsigned long long max,
			      bool duration, unsigned long long *ret)
{
	if ((duration ? parse_duration(s, min, max, ret)
		      : parse_uint(s, min, max, ret)) < 0)
		return error_usage("run",
				   "%s must be a whole number from %llu to "
				   "%llu, not '%s'",
				   what, min, max, s);
	return 0;
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
	if (strcmp(s, "gzip") == 0)
		*ret = BUNDLE_GZIP;
	else if (strcmp(s, "zstd") == 0)
		*ret = BUNDLE_ZSTD;
	else
		return error_usage("run", "%s must be gzip or zstd, not '%s'",
				   what, s);
	return 0;
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
	const struct config *c = &o->config;
	unsigned long long v;
	const char *s;
	int rc;

	if ((s = config_get(c, "agent", "out_dir"))) {
		free(o->out_dir);
		o->out_dir = xstrdup(s);
	}
	if ((s = config_get(c, "agent", "timeout"))) {
		if ((rc = seconds("[agent] timeout", s, 1, 86400, &v)))
			return rc;
		o->timeout_s = (unsigned)v;
	}
	if ((s = config_get(c, "agent", "jobs"))) {
		if ((rc = number("[agent] jobs", s, 1, 64, &v)))
			return rc;
		o->jobs = (unsigned)v;
	}
	if ((s = config_get(c, "agent", "min_free_mb"))) {
		if ((rc = number("[agent] min_free_mb", s, 0, 1048576, &v)))
			return rc;
		o->min_free_mb = v;
	}
	if ((s = config_get(c, "agent", "compress")) &&
	    (rc = compression("[agent] compress", s, &o->compress)))
		return rc;
	if ((s = config_get(c, "agent", "host_label"))) {
		if (!fs_name_ok(s, 64))
			return error_usage(
				"run",
				"[agent] host_label may use only letters, "
				"digits, '.', '-' and '_', not '%s'",
				s);
		free(o->host);
		o->host = xstrdup(s);
	}
	return 0;
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

	if (config_load_files(&o->config, user_config, registry_collectors,
			      &err) < 0) {
		error_msg("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	return 0;
}

static void select_collectors(struct run_opts *o, char **only, char **skip)
{
	size_t n = 0;

	for (const struct collector *const *c = registry_collectors; *c; c++)
		n++;
	o->selected = xcalloc(n + 1, sizeof(*o->selected));
	for (const struct collector *const *c = registry_collectors; *c; c++) {
		if (only ? !in_list(only, (*c)->name)
			 : ((*c)->flags & COLLECTOR_OPT_IN) != 0)
			continue;
		if (in_list(skip, (*c)->name))
			continue;
		o->selected[o->nselected++] = *c;
	}
}

int run_opts_parse(struct run_opts *o, int argc, char **argv)
{
	char **only = NULL, **skip = NULL;
	const char *user_config = NULL, *since = NULL;
	struct config flags;
	unsigned long long v;
	bool have_timeout = false, have_jobs = false, have_compress = false;
	unsigned timeout_s = 0, jobs = 0;
	enum bundle_compress compress = BUNDLE_GZIP;
	char *out_dir = NULL;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	config_init(&o->config);
	config_init(&flags);
	o->timeout_s = 120;
	o->min_free_mb = 64;
	o->out_dir = xstrdup(".");
	o->host = run_opts_host_label();
	o->command_line = join_argv(argc, argv);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qv", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
			free_list(only);
			only = NULL;
			if ((rc = name_list("--only", optarg, &only)))
				goto out;
			break;
		case OPT_SKIP:
			free_list(skip);
			skip = NULL;
			if ((rc = name_list("--skip", optarg, &skip)))
				goto out;
			break;
		case OPT_TICKET:
			if (!fs_name_ok(optarg, 64)) {
				rc = error_usage(
					"run",
					"--ticket may use only letters, "
					"digits, '.', '-' and '_' (at most "
					"64), "
					"not '%s'",
					optarg);
				goto out;
			}
			free(o->ticket);
			o->ticket = xstrdup(optarg);
			break;
		case OPT_OUT:
			free(out_dir);
			out_dir = xstrdup(optarg);
			break;
		case OPT_TIMEOUT:
			if ((rc = seconds("--timeout", optarg, 1, 86400, &v)))
				goto out;
			timeout_s = (unsigned)v;
			have_timeout = true;
			break;
		case OPT_JOBS:
			if ((rc = number("--jobs", optarg, 1, 64, &v)))
				goto out;
			jobs = (unsigned)v;
			have_jobs = true;
			break;
		case OPT_COMPRESS:
			if ((rc = compression("--compress", optarg, &compress)))
				goto out;
			have_compress = true;
			break;
		case OPT_CONFIG:
			user_config = optarg;
			break;
		case OPT_SINCE:
			since = optarg;
			break;
		case OPT_DB:
			config_add(&flags, "database", "url", optarg, "--db");
			break;
		case OPT_NAS:
			config_add(&flags, "nas", "path", optarg, "--nas");
			break;
		case OPT_AV_TEST:
			config_add(&flags, "antivirus", "av_test", "yes",
				   "--av-test");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_BUNDLE:
			o->no_bundle = true;
			break;
		case OPT_UPLOAD:
			free(o->upload_url);
			o->upload_url = xstrdup(optarg);
			break;
		case OPT_REMOVE_AFTER_UPLOAD:
			o->remove_after_upload = true;
			break;
		case OPT_SIGN:
			free(o->sign_key);
			o->sign_key = xstrdup(optarg);
			break;
		case OPT_ENCRYPT_TO:
			free(o->encrypt_to);
			o->encrypt_to = xstrdup(optarg);
			break;
		case OPT_REQUEST:
			free(o->request);
			o->request = xstrdup(optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_HELP:
			fputs(RUN_OPTS_USAGE, stdout);
			rc = -1;
			goto out;
		default:
			rc = cmd_getopt_error("run", c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = error_usage("run", "unexpected argument '%s'",
				 argv[optind]);
		goto out;
	}
	/* A request says what runs, for which ticket and where it goes. */
	if (o->request &&
	    (only || skip || o->ticket || o->upload_url || o->no_bundle)) {
		rc = error_usage("run", "--request decides the collectors, "
					"the ticket and the upload; drop "
					"--only, --skip, --ticket, "
					"--upload and --no-bundle");
		goto out;
	}
	if (o->upload_url && o->no_bundle) {
		rc = error_usage("run", "--upload needs a bundle; drop "
					"--no-bundle");
		goto out;
	}
	if ((o->sign_key || o->encrypt_to) && o->no_bundle) {
		rc = error_usage("run", "--sign and --encrypt-to need a "
					"bundle; drop --no-bundle");
		goto out;
	}
	if (since && run_opts_parse_since(since, time(NULL), &o->since) < 0) {
		rc = error_usage("run",
				 "--since must be a date (2026-11-27), a "
				 "date-time (2026-11-27T10:00:00) or an "
				 "age (30m, 24h, 7d), not '%s'",
				 since);
		goto out;
	}
	if ((rc = check_flags(&flags)))
		goto out;
	if ((rc = load_configs(o, user_config)))
		goto out;
	for (size_t i = 0; i < flags.n; i++)
		config_add(&o->config, flags.entries[i].section,
			   flags.entries[i].key, flags.entries[i].value,
			   flags.entries[i].origin);
	if ((rc = apply_agent_config(o)))
		goto out;
	if (out_dir) {
		free(o->out_dir);
		o->out_dir = out_dir;
		out_dir = NULL;
	}
	if (have_timeout)
		o->timeout_s = timeout_s;
	if (have_jobs)
		o->jobs = jobs;
	if (have_compress)
		o->compress = compress;
	select_collectors(o, only, skip);
	if (o->nselected == 0)
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
	config_release(&o->config);
	free(o->selected);
	free(o->ticket);
	free(o->out_dir);
	free(o->host);
	free(o->command_line);
	free(o->sign_key);
	free(o->encrypt_to);
	free(o->request);
	free(o->upload_url);
	memset(o, 0, sizeof(*o));
}
