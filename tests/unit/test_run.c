/*
 * run_execute() (core/run.c) and its observer contract: the core never
 * prints; it tells the observer that the run started, each collector's
 * start and end, that the bundle is being written, the verdict, and every
 * problem, and hands the bundle to the upload hooks. A recording observer
 * checks the order and the exit codes, with one quick real collector.
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

#include "core/run.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "registry.h"

/* Every call, one letter each, and what came with it. */
struct recorder {
	struct run_observer ob;
	char calls[64];
	size_t ncalls;
	char *errors;     /* "\n"-joined */
	int verdict_code; /* verdict_exit_code() in finished */
	char *bundle;     /* path finished saw, or NULL */
	char *uploaded;   /* path the upload hook got, or NULL */
	int prepare_rc;   /* what upload_prepare returns */
	int upload_rc;    /* what upload returns */
};

static struct recorder *rec_of(struct run_observer *ob)
{
	return (struct recorder *)((char *)ob - offsetof(struct recorder, ob));
}

static void note(struct recorder *r, char c)
{
	if (r->ncalls + 1 < sizeof(r->calls))
		r->calls[r->ncalls++] = c;
}

static void on_started(struct run_observer *ob, const struct run_plan *p)
{
	(void)p;
	note(rec_of(ob), 'S');
}

static void on_collector(struct run_observer *ob, const struct run_plan *p,
			 const struct collector_result *r, bool done)
{
	(void)p;
	(void)r;
	note(rec_of(ob), done ? 'd' : 's');
}

static void on_writing(struct run_observer *ob, const struct run_plan *p)
{
	(void)p;
	note(rec_of(ob), 'W');
}

static void on_error(struct run_observer *ob, const char *msg)
{
	struct recorder *r = rec_of(ob);
	char *old = r->errors;

	note(r, 'E');
	r->errors = old ? xasprintf("%s\n%s", old, msg) : xstrdup(msg);
	free(old);
}

static void on_finished(struct run_observer *ob, const struct run_plan *p,
			const struct verdict *v)
{
	struct recorder *r = rec_of(ob);

	(void)p;
	note(r, 'F');
	r->verdict_code = verdict_exit_code(v);
	r->bundle = v->bundle_path ? xstrdup(v->bundle_path) : NULL;
}

static int on_prepare(struct run_observer *ob, const struct run_plan *p)
{
	(void)p;
	note(rec_of(ob), 'P');
	return rec_of(ob)->prepare_rc;
}

static int on_upload(struct run_observer *ob, const struct run_plan *p,
		     const char *bundle)
{
	struct recorder *r = rec_of(ob);

	(void)p;
	note(r, 'U');
	r->uploaded = xstrdup(bundle);
	return r->upload_rc;
}

static void recorder_init(struct recorder *r)
{
	memset(r, 0, sizeof(*r));
	r->ob = (struct run_observer){
		.started = on_started,
		.collector = on_collector,
		.writing_bundle = on_writing,
		.error = on_error,
		.finished = on_finished,
		.upload_prepare = on_prepare,
		.upload = on_upload,
	};
	r->verdict_code = -1;
}

static void recorder_release(struct recorder *r)
{
	free(r->errors);
	free(r->bundle);
	free(r->uploaded);
}

/* A plan running only the database collector (skipped: no URL given). */
static void plan_init(struct run_plan *p, struct recorder *r, const char *out)
{
	static const char *const only[] = { "database", NULL };

	run_plan_init(p);
	run_plan_select(p, registry_collectors, (char *const *)only, NULL);
	assert_int_equal(p->nselected, 1);
	p->command_line = xstrdup("rdiag run --only database");
	p->timeout_s = 30;
	p->min_free_mb = 0;
	free(p->out_dir);
	p->out_dir = xstrdup(out);
	p->observer = &r->ob;
}

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/rdiag-test-run-XXXXXX");

	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	fs_remove_tree(*state);
	free(*state);
	return 0;
}

static void test_verdict_only(void **state)
{
	struct recorder r;
	struct run_plan p;
	int rc;

	recorder_init(&r);
	plan_init(&p, &r, *state);
	p.no_bundle = true;
	rc = run_execute(&p);
	assert_string_equal(r.calls, "SsdF");
	assert_int_equal(rc, r.verdict_code);
	assert_null(r.bundle);
	assert_null(r.errors);
	run_plan_release(&p);
	recorder_release(&r);
}

static void test_bundle_and_upload(void **state)
{
	struct recorder r;
	struct run_plan p;
	struct stat sb;
	int rc;

	recorder_init(&r);
	plan_init(&p, &r, *state);
	p.upload_url = xstrdup("test://nowhere");
	r.upload_rc = 69;
	rc = run_execute(&p);
	/* Checked before collecting, sent after the verdict. */
	assert_string_equal(r.calls, "PSsdWFU");
	assert_non_null(r.bundle);
	assert_string_equal(r.bundle, r.uploaded);
	assert_int_equal(stat(r.bundle, &sb), 0);
	assert_true(strncmp(r.bundle, *state, strlen(*state)) == 0);
	/* The upload's failure is the run's exit code. */
	assert_int_equal(rc, 69);
	assert_null(r.errors);
	run_plan_release(&p);
	recorder_release(&r);
}

static void test_upload_refused_first(void **state)
{
	struct recorder r;
	struct run_plan p;

	recorder_init(&r);
	plan_init(&p, &r, *state);
	p.upload_url = xstrdup("test://nowhere");
	r.prepare_rc = 64;
	assert_int_equal(run_execute(&p), 64);
	/* Nothing ran. */
	assert_string_equal(r.calls, "P");
	run_plan_release(&p);
	recorder_release(&r);
}

static void test_no_upload_hook(void **state)
{
	struct recorder r;
	struct run_plan p;

	recorder_init(&r);
	r.ob.upload = NULL;
	plan_init(&p, &r, *state);
	p.upload_url = xstrdup("test://nowhere");
	assert_int_equal(run_execute(&p), 70);
	assert_string_equal(r.calls, "E");
	assert_string_equal(r.errors, "no upload step for 'test://nowhere'");
	run_plan_release(&p);
	recorder_release(&r);
}

static void test_bad_out_dir(void **state)
{
	struct recorder r;
	struct run_plan p;

	(void)state;
	recorder_init(&r);
	plan_init(&p, &r, "/nonexistent/out");
	assert_int_equal(run_execute(&p), 73);
	assert_string_equal(r.calls, "E");
	assert_string_equal(r.errors,
			    "output directory '/nonexistent/out' does not "
			    "exist");
	run_plan_release(&p);
	recorder_release(&r);
}

static void test_silent_without_observer(void **state)
{
	struct recorder r;
	struct run_plan p;

	(void)state;
	recorder_init(&r);
	plan_init(&p, &r, "/nonexistent/out");
	p.observer = NULL;
	assert_int_equal(run_execute(&p), 73);
	run_plan_release(&p);
	recorder_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_only),
		cmocka_unit_test(test_bundle_and_upload),
		cmocka_unit_test(test_upload_refused_first),
		cmocka_unit_test(test_no_upload_hook),
		cmocka_unit_test(test_bad_out_dir),
		cmocka_unit_test(test_silent_without_observer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
