/*
 * Unit tests for the agent's pieces that need no server: the request
 * location for an id, the local policy (unattended, approval, upload
 * targets), the audit log's records, and the lock (a second holder is
 * refused, the lock goes with its process).
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/config_schema.h"
#include "platform/fsutil.h"
#include "rdiag/util.h"
#include "request/agentd.h"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = xstrdup("/tmp/rdiag-test-agentd-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

static void test_location(void **state)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
		{ "s3://bkt/requests/", "s3://bkt/requests/shop-01/" },
		{ "s3://bkt/", "s3://bkt/shop-01/" },
		{ "https://h/req/", "https://h/req/shop-01" },
		{ "https://h/req/all.txt", "https://h/req/all.txt" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = agentd_location(cases[i].url, "shop-01");

		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static char **list(const char *a, const char *b)
{
	char **l = xcalloc(3, sizeof(char *));

	if (a)
		l[0] = xstrdup(a);
	if (b)
		l[1] = xstrdup(b);
	return l;
}

static void test_policy(void **state)
{
	static const struct {
		const char *collectors[3];
		const char *upload;
		int want;
		const char *why;
	} cases[] = {
		{ { "system", NULL }, "s3://inbox/t/", 0, NULL },
		{ { "system", "nas" }, "s3://inbox/t/", 0, NULL },
		{ { "system", "antivirus" },
		  "s3://inbox/t/",
		  1,
		  "not allowed unattended: antivirus" },
		{ { "database", "antivirus" },
		  "s3://inbox/t/",
		  1,
		  "database,antivirus" },
		{ { "system", NULL },
		  "s3://elsewhere/t/",
		  -EPERM,
		  "allowed_upload" },
		/* A string prefix is not a place: userinfo, dot segments,
		 * encoded ones, another port, a host that only starts the
		 * same, a path that only starts the same. */
		{ { "system", NULL },
		  "https://up.vendor.example@evil.example/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "https://up.vendor.example.evil.example/t/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "https://up.vendor.example:8443/t/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "s3://inbox/../other/t/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "s3://inbox/t/%2e%2e/%2e%2e/x",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "s3://inboxes/t/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "HTTPS://UP.vendor.example:443/t/",
		  0,
		  NULL },
		/* The policy reads a URL as the upload does (url_split):
		 * the userinfo ends at the last '@'. */
		{ { "system", NULL },
		  "https://a@up.vendor.example@evil.example/t/",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "https://vendor@up.vendor.example/t/",
		  0,
		  NULL },
		{ { "system", NULL },
		  "https://up.vendor.example/t/x#frag",
		  -EPERM,
		  "allowed_upload" },
		{ { "system", NULL },
		  "https://up.vendor.example/t/%0Ax",
		  -EPERM,
		  "allowed_upload" },
		{ { "antivirus", NULL },
		  "https://up.vendor.example/t/",
		  1,
		  "antivirus" },
	};
	struct agentd_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.unattended = list("system", "nas");
	o.allowed_uploads = list("s3://inbox/", "https://up.vendor.example/");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct request rq;
		char *why = NULL;

		request_init(&rq);
		rq.collectors = (char **)cases[i].collectors;
		rq.ncollectors = cases[i].collectors[1] ? 2 : 1;
		rq.upload = (char *)cases[i].upload;
		if (agentd_policy(&o, &rq, &why) != cases[i].want)
			fail_msg("case %zu (%s): %s", i, cases[i].upload,
				 why ? why : "-");
		if (cases[i].why)
			assert_non_null(strstr(why, cases[i].why));
		else
			assert_null(why);
		free(why);
	}
	/* no allowed_upload: any target; no unattended: everything waits */
	free(o.allowed_uploads[0]);
	free(o.allowed_uploads[1]);
	free(o.allowed_uploads);
	o.allowed_uploads = NULL;
	free(o.unattended[0]);
	free(o.unattended[1]);
	o.unattended[0] = o.unattended[1] = NULL;
	{
		struct request rq;
		char *why = NULL, *cols[] = { (char *)"system", NULL };

		request_init(&rq);
		rq.collectors = cols;
		rq.ncollectors = 1;
		rq.upload = (char *)"s3://anywhere/";
		assert_int_equal(agentd_policy(&o, &rq, &why), 1);
		free(why);
	}
	free(o.unattended);
}

static void test_audit(void **state)
{
	char *path = xasprintf("%s/audit.jsonl", tmpdir);
	json_t *rec, *j;
	json_error_t e;
	struct stat sb;
	FILE *f;
	char line[512];
	int n = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		rec = json_pack("{s:s, s:i}", "event", "refused", "n", i);
		assert_int_equal(agentd_audit(tmpdir, rec), 0);
		json_decref(rec);
	}
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		j = json_loads(line, 0, &e);
		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "n")),
				 n);
		assert_non_null(json_string_value(json_object_get(j, "time")));
		json_decref(j);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 3);
	free(path);
}

static void test_lock(void **state)
{
	char *dir = xasprintf("%s/st", tmpdir), *err = NULL;
	int fd, status;
	pid_t pid;

	(void)state;
	fd = agentd_lock(dir, &err);
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *e = NULL;
		int r = agentd_lock(dir, &e);

		_exit(r == -EAGAIN && strstr(e, "another rdiag agent") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	/* released with its holder: another process gets it now */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *e = NULL;

		_exit(agentd_lock(dir, &e) >= 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(dir);
}

/* The poll intervals are durations ("5m", "1h"); 1 s to a day. */
static void test_opts_intervals(void **state)
{
	static const struct {
		const char *lines;
		int r;
		unsigned interval_s, max_s;
		const char *err;
	} cases[] = {
		{ "", 0, 60, 900, NULL },
		{ "poll_interval = 30\n", 0, 30, 900, NULL },
		{ "poll_interval = 5m\npoll_max_interval = 1h\n", 0, 300, 3600,
		  NULL },
		{ "poll_interval = 1h30m\n", 0, 5400, 5400, NULL },
		{ "poll_interval = 2d\n", -EINVAL, 0, 0,
		  "[agentd] poll_interval must be a duration from 1 to 86400 "
		  "seconds (90s, 15m, 1h30m, 2d), not '2d'" },
		{ "poll_max_interval = soon\n", -EINVAL, 0, 0,
		  "[agentd] poll_max_interval must be a duration from 1 to "
		  "86400 seconds (90s, 15m, 1h30m, 2d), not 'soon'" },
	};
	char *path = xasprintf("%s/agent.conf", tmpdir);

	(void)state;
	setenv("RDIAG_SYSTEM_CONFIG", "", 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct agentd_opts o;
		char *err = NULL;
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fprintf(f,
			"[agentd]\npoll_url = https://example.invalid/r/\n%s",
			cases[i].lines);
		fclose(f);
		assert_int_equal(
			agentd_opts_load(&o, path, config_schema(), true, &err),
			cases[i].r);
		if (cases[i].r == 0) {
			assert_int_equal(o.interval_s, cases[i].interval_s);
			assert_int_equal(o.max_interval_s, cases[i].max_s);
		} else {
			/* The file and line of the value come first. */
			char *want = xasprintf("--config %s line 3: %s", path,
					       cases[i].err);

			assert_string_equal(err, want);
			free(want);
		}
		free(err);
		agentd_opts_release(&o);
	}
	unlink(path);
	free(path);
}

/* A token bound to another agent is refused, whatever else it asks. */
static void test_policy_audience(void **state)
{
	struct agentd_opts o;
	struct request rq;
	char *why = NULL, *cols[] = { (char *)"system", NULL };

	(void)state;
	memset(&o, 0, sizeof(o));
	o.id = (char *)"agent-7";
	o.unattended = list("system", NULL);
	request_init(&rq);
	rq.collectors = cols;
	rq.ncollectors = 1;
	rq.upload = (char *)"s3://inbox/t/";
	rq.audience = (char *)"agent-8";
	assert_int_equal(agentd_policy(&o, &rq, &why), -EPERM);
	assert_non_null(strstr(why, "is for 'agent-8'"));
	free(why);
	why = NULL;
	rq.audience = (char *)"agent-7";
	assert_int_equal(agentd_policy(&o, &rq, &why), 0);
	free(o.unattended[0]);
	free(o.unattended);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_location),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_audience),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_opts_intervals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
