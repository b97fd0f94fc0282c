/*
 * Unit tests for buf, util, record validation and config loading.
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
#include "core/run.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "rdiag/record.h"

static void test_buf_bounded(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_puts(&b, "6789"), -ENOBUFS);
	assert_string_equal(b.data, "12345");
	assert_int_equal(buf_printf(&b, "%d", 678), 0);
	assert_string_equal(b.data, "12345678");
	buf_consume(&b, 5);
	assert_string_equal(b.data, "678");
	buf_release(&b);
	assert_string_equal(b.data, "");
}

static void test_parse_uint(void **state)
{
	static const struct {
		const char *in;
		int r;
		unsigned long long v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "4x", -EINVAL, 0 },
		{ "101", -ERANGE, 0 },
		{ " 1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned long long v = 7;

		assert_int_equal(parse_uint(cases[i].in, 0, 100, &v),
				 cases[i].r);
		assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
	}
}

static void test_record_validation(void **state)
{
	static const struct {
		const char *line;
		int ok;
	} cases[] = {
		{ "{\"kind\":\"fact\",\"key\":\"a.b\",\"value\":\"1\"}", 1 },
		{ "{\"kind\":\"fact\",\"key\":\"a b\",\"value\":\"1\"}", 0 },
		{ "{\"kind\":\"fact\",\"key\":\"a\",\"value\":1}", 0 },
		{ "{\"kind\":\"finding\",\"id\":\"sys.disk.full\",\"severity\":"
		  "\"fail\",\"level\":0,\"title\":\"t\"}",
		  1 },
		{ "{\"kind\":\"finding\",\"id\":\"sys.disk.full\",\"severity\":"
		  "\"bad\",\"level\":0,\"title\":\"t\"}",
		  0 },
		{ "{\"kind\":\"finding\",\"id\":\"sys.disk.full\",\"severity\":"
		  "\"ok\",\"level\":5,\"title\":\"t\"}",
		  0 },
		{ "{\"kind\":\"finding\",\"id\":\"Sys..x\",\"severity\":"
		  "\"ok\",\"level\":1,\"title\":\"t\"}",
		  0 },
		{ "{\"kind\":\"artifact\",\"path\":\"a/b.txt\"}", 1 },
		{ "{\"kind\":\"artifact\",\"path\":\"../etc/passwd\"}", 0 },
		{ "{\"kind\":\"artifact\",\"path\":\"/etc/passwd\"}", 0 },
		{ "{\"kind\":\"artifact\",\"path\":\"a//b\"}", 0 },
		{ "{\"kind\":\"log\",\"msg\":\"hello\"}", 1 },
		{ "{\"kind\":\"evil\"}", 0 },
		{ "[1,2,3]", 0 },
		{ "\x01\x02garbage", 0 },
		{ "{\"kind\":\"fact\",\"kind\":\"log\",\"msg\":\"x\"}", 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *o = NULL;
		enum record_kind k;
		const char *err = NULL;
		int r = record_parse(cases[i].line, strlen(cases[i].line), &o,
				     &k, &err);

		if (cases[i].ok) {
			assert_int_equal(r, 0);
			json_decref(o);
		} else {
			assert_int_equal(r, -EBADMSG);
			assert_non_null(err);
		}
	}
}

static const struct config_key test_keys[] = {
	{ "url", CONFIG_KEY_REPEATABLE, "a target", NULL },
	{ "mode", 0, "a mode", NULL },
	{ NULL, 0, NULL, NULL },
};

/* The schema config.c is handed: [agent] and one collector's section. */
static const struct config_section test_table[] = {
	{ "agent", run_config_keys },
	{ "database", test_keys },
	{ NULL, NULL },
};

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/rdiag-conf-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, text, strlen(text)), 0);
	close(fd);
	return path;
}

static void test_config(void **state)
{
	static const struct {
		const char *text;
		const char *err; /* substring, NULL = loads */
	} cases[] = {
		{ "[database]\nurl = a\nurl = b\nmode = x\n", NULL },
		{ "[agent]\njobs = 2\n", NULL },
		{ "[nosuch]\nx = 1\n", ":2: unknown section [nosuch]" },
		{ "[database]\nurl = a\nbogus = 1\n",
		  ":3: unknown key 'bogus' in [database]" },
		{ "[database]\nmode = a\nmode = b\n", ":3: key 'mode'" },
		{ "url = a\n", ":1: key 'url' outside any section" },
		{ "[database\n", ":1:" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct config c;
		char *path = write_tmp(cases[i].text), *err = NULL;
		int r;

		config_init(&c);
		r = config_load(&c, path, false, test_table, &err);
		if (!cases[i].err) {
			assert_int_equal(r, 0);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_non_null(err);
			if (!strstr(err, cases[i].err))
				fprintf(stderr, "got: %s\n", err);
			assert_non_null(strstr(err, cases[i].err));
			assert_non_null(strstr(err, path));
			assert_int_equal(c.n, 0);
		}
		if (i == 0) {
			const char **v;

			assert_int_equal(
				config_values(&c, "database", "url", &v), 2);
			assert_string_equal(v[0], "a");
			assert_string_equal(v[1], "b");
			free(v);
		}
		free(err);
		config_release(&c);
		unlink(path);
		free(path);
	}
}

static void test_config_missing(void **state)
{
	struct config c;
	char *err = NULL;

	(void)state;
	config_init(&c);
	assert_int_equal(config_load(&c, "/nonexistent/rdiag.conf", true,
				     test_table, &err),
			 0);
	assert_int_equal(config_load(&c, "/nonexistent/rdiag.conf", false,
				     test_table, &err),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot read config '/nonexistent"));
	free(err);
	config_release(&c);
}

static void test_config_parse_size(void **state)
{
	static const struct {
		const char *in;
		int r;
		uint64_t v;
	} cases[] = {
		{ "1", 0, 1 },
		{ "8k", 0, 8192 },
		{ "5M", 0, 5ull << 20 },
		{ "2g", 0, 2ull << 30 },
		{ "1024G", 0, 1ull << 40 },
		{ "1025G", -EINVAL, 0 },
		/* Would wrap to 64 bytes if the product were not bounded. */
		{ "1099511627776G", -EINVAL, 0 },
		{ "0", -EINVAL, 0 },
		{ "k", -EINVAL, 0 },
		{ "12x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 7;

		assert_int_equal(config_parse_size(cases[i].in, &v),
				 cases[i].r);
		assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
	}
}

/*
 * fs_write_atomic() never writes through a link an attacker planted in a
 * directory others can write: not at the final name (rename replaces the
 * link itself) and not at a predictable temporary name (there is none).
 */
static void test_write_atomic(void **state)
{
	char dir[] = "/tmp/rdiag-atomic-XXXXXX";
	char *victim, *path, *tmp, buf[64];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	victim = xasprintf("%s/victim", dir);
	path = xasprintf("%s/b.tar.gz.receipt.json", dir);
	tmp = xasprintf("%s.tmp", path);
	f = fopen(victim, "w");
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(fs_write_atomic(path, "{}\n", 3, 0600), 0);
	f = fopen(victim, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A directory it cannot write: an error, nothing left behind. */
	assert_true(fs_write_atomic("/proc/rdiag-no/x", "x", 1, 0600) < 0);
	unlink(tmp);
	unlink(path);
	unlink(victim);
	rmdir(dir);
	free(victim);
	free(path);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_record_validation),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_missing),
		cmocka_unit_test(test_config_parse_size),
		cmocka_unit_test(test_write_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
