/*
 * Unit tests for the product collector: configs copied whole or capped, logs
 * copied tail-first at a line boundary, error patterns counted, missing and
 * unreadable files reported, files on a (fixture) network mount copied
 * through a bounded sub-worker and a hanging one given up on; and the pure
 * --since helpers of product_log.h, which harness_run cannot reach.
 */
#define _XOPEN_SOURCE 700 /* realpath() */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "harness.h"
#include "product_log.h"
#include "rdiag/util.h"

extern const struct collector collector_product;

/* A scratch tree per test, by its real path (mountinfo names real paths). */
struct fixture {
	char *dir;
	struct config cfg;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/rdiag-product-XXXXXX";
	char real[4096];

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, real));
	fx->dir = xstrdup(real);
	config_init(&fx->cfg);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd =
		xasprintf("chmod -R u+rwx '%s'; rm -rf '%s'", fx->dir, fx->dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove '%s', ignoring\n", fx->dir);
	free(cmd);
	config_release(&fx->cfg);
	free(fx->dir);
	free(fx);
	return 0;
}

/* <fixture>/<rel>; caller frees. */
static char *fx_path(const struct fixture *fx, const char *rel)
{
	return xasprintf("%s/%s", fx->dir, rel);
}

static void fx_mkdir(const struct fixture *fx, const char *rel)
{
	char *p = fx_path(fx, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void fx_write(const struct fixture *fx, const char *rel,
		     const void *data, size_t len)
{
	char *p = fx_path(fx, rel);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void fx_set(struct fixture *fx, const char *key, const char *value)
{
	config_add(&fx->cfg, "product", key, value, "test");
}

/* Set key to <fixture>/<rel>. */
static void fx_set_path(struct fixture *fx, const char *key, const char *rel)
{
	char *p = fx_path(fx, rel);

	fx_set(fx, key, p);
	free(p);
}

/* A fixture root whose mountinfo puts <fixture>/nas on NFS. */
static char *fx_network_root(const struct fixture *fx)
{
	char *text = xasprintf("1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			       "50 1 0:50 /export %s/nas rw,relatime - nfs4 "
			       "nas:/export rw,vers=4.2\n",
			       fx->dir);

	fx_mkdir(fx, "root");
	fx_mkdir(fx, "root/proc");
	fx_mkdir(fx, "root/proc/self");
	fx_write(fx, "root/proc/self/mountinfo", text, strlen(text));
	free(text);
	return fx_path(fx, "root");
}

static char *read_whole(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	assert_non_null(f);
	do {
		if (len + 65536 > cap) {
			cap = len + 65536;
			data = xrealloc(data, cap + 1);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	data[len] = '\0';
	*ret_len = len;
	return data;
}

/* The staged copy behind artifact path rel (which must be recorded). */
static char *read_artifact(const struct harness_run *run, const char *rel,
			   size_t *ret_len)
{
	size_t i;
	json_t *r;
	bool recorded = false;
	char *path, *data;

	json_array_foreach(run->records, i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kind"));
		const char *v = json_string_value(json_object_get(r, "path"));

		if (k && v && strcmp(k, "artifact") == 0 && strcmp(v, rel) == 0)
			recorded = true;
	}
	assert_true(recorded);
	path = xasprintf("%s/%s", run->staging, rel);
	data = read_whole(path, ret_len);
	free(path);
	return data;
}

/* N of the file.N.path fact naming <fixture>/<rel>; fails if none. */
static unsigned file_index(const struct fixture *fx,
			   const struct harness_run *run, const char *rel)
{
	char *want = fx_path(fx, rel);
	size_t i;
	json_t *r;
	unsigned idx = 0;

	json_array_foreach(run->records, i, r)
	{
		const char *key = json_string_value(json_object_get(r, "key"));
		const char *v = json_string_value(json_object_get(r, "value"));
		unsigned n;
		char tail[8];

		if (key && v && sscanf(key, "file.%u.%7s", &n, tail) == 2 &&
		    strcmp(tail, "path") == 0 && strcmp(v, want) == 0)
			idx = n;
	}
	free(want);
	assert_int_not_equal(idx, 0);
	return idx;
}

static const char *file_fact(const struct harness_run *run, unsigned idx,
			     const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "file.%u.%s", idx, name);
	return harness_fact(run, key);
}

/* The staged copy behind artifact path rel holds exactly want. */
static void assert_artifact(const struct harness_run *run, const char *rel,
			    const void *want, size_t want_len)
{
	size_t len;
	char *data = read_artifact(run, rel, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(data, want, len);
	free(data);
}

static void assert_file_fact(const struct harness_run *run, unsigned idx,
			     const char *name, const char *want)
{
	const char *v = file_fact(run, idx, name);

	if (!v || strcmp(v, want) != 0)
		fprintf(stderr, "file.%u.%s = %s, want %s\n", idx, name,
			v ? v : "(none)", want);
	assert_non_null(v);
	assert_string_equal(v, want);
}

static const char *finding_str(json_t *f, const char *field)
{
	assert_non_null(f);
	return json_string_value(json_object_get(f, field));
}

static void assert_finding(const struct harness_run *run, const char *id,
			   const char *severity, int level)
{
	json_t *f = harness_finding(run, id);

	if (!f)
		fprintf(stderr, "no finding %s\n", id);
	assert_non_null(f);
	assert_string_equal(finding_str(f, "severity"), severity);
	assert_int_equal(json_integer_value(json_object_get(f, "level")),
			 level);
}

static void assert_detail_has(const struct harness_run *run, const char *id,
			      const char *needle)
{
	const char *d = finding_str(harness_finding(run, id), "detail");

	assert_non_null(d);
	if (!strstr(d, needle))
		fprintf(stderr, "%s detail: %s\nlacks: %s\n", id, d, needle);
	assert_non_null(strstr(d, needle));
}

/* "files/<fixture>/<rel>" as the collector names the copy. */
static char *artifact_name(const struct fixture *fx, const char *rel)
{
	return xasprintf("files%s/%s", fx->dir, rel);
}

static void test_not_configured(void **state)
{
	struct fixture *fx = *state;
	struct harness_run run;

	/* Caps alone are no configuration of what to collect. */
	fx_set(fx, "log_max_mb", "5");
	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "product.not_configured", "info", 0);
	assert_non_null(finding_str(
		harness_finding(&run, "product.not_configured"), "hint"));
	assert_int_equal(harness_count(&run, "finding"), 1);
	assert_int_equal(harness_count(&run, "artifact"), 0);
	assert_int_equal(harness_count(&run, "skip"), 1);
	harness_release(&run);
}

static void test_config_copy(void **state)
{
	struct fixture *fx = *state;
	static const char app[] = "[db]\nhost = db.example\nport = 5432\n";
	static const char spaced[] = "name = spaced\n";
	static const char under[] = "name = underscore\n";
	char big[3000];
	struct harness_run run;
	unsigned i_app, i_spaced, i_under, i_big;
	char *rel, num[32];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	fx_mkdir(fx, "etc");
	fx_write(fx, "etc/app.ini", app, strlen(app));
	fx_write(fx, "etc/a b.ini", spaced, strlen(spaced));
	fx_write(fx, "etc/a_b.ini", under, strlen(under));
	fx_write(fx, "etc/big.ini", big, sizeof(big));
	fx_set_path(fx, "config", "etc/*.ini");
	fx_set(fx, "config_max_kb", "1");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_string_equal(harness_fact(&run, "config.1.matches"), "4");

	/* Copied whole, under its absolute path. */
	i_app = file_index(fx, &run, "etc/app.ini");
	assert_file_fact(&run, i_app, "truncated", "false");
	snprintf(num, sizeof(num), "%zu", strlen(app));
	assert_file_fact(&run, i_app, "copied", num);
	assert_file_fact(&run, i_app, "kind", "config");
	rel = artifact_name(fx, "etc/app.ini");
	assert_file_fact(&run, i_app, "artifact", rel);
	assert_artifact(&run, rel, app, strlen(app));
	free(rel);

	/* Unsafe characters replaced; a name clash goes elsewhere. */
	i_spaced = file_index(fx, &run, "etc/a b.ini");
	rel = artifact_name(fx, "etc/a_b.ini");
	assert_file_fact(&run, i_spaced, "artifact", rel);
	assert_artifact(&run, rel, spaced, strlen(spaced));
	free(rel);
	i_under = file_index(fx, &run, "etc/a_b.ini");
	rel = xasprintf("other/%u-a_b.ini", i_under);
	assert_file_fact(&run, i_under, "artifact", rel);
	assert_artifact(&run, rel, under, strlen(under));
	free(rel);

	/* Over the cap: the head, and the truncation recorded. */
	i_big = file_index(fx, &run, "etc/big.ini");
	assert_file_fact(&run, i_big, "truncated", "true");
	assert_file_fact(&run, i_big, "size", "3000");
	assert_file_fact(&run, i_big, "copied", "1024");
	rel = artifact_name(fx, "etc/big.ini");
	assert_artifact(&run, rel, big, 1024);
	free(rel);

	assert_finding(&run, "product.files.ok", "ok", 0);
	assert_string_equal(
		finding_str(harness_finding(&run, "product.files.ok"), "title"),
		"copied 4 configuration and 0 log files");
	assert_null(harness_finding(&run, "product.config.missing"));
	assert_null(harness_finding(&run, "product.file.unreadable"));
	harness_release(&run);
}

#define TAIL_LINE_LEN 50
#define TAIL_LINES    ((3 * 1024 * 1024) / TAIL_LINE_LEN + 7)

static void test_log_tail(void **state)
{
	struct fixture *fx = *state;
	size_t size = (size_t)TAIL_LINES * TAIL_LINE_LEN, start, len;
	size_t cap = 1024 * 1024;
	char *log = xmalloc(size + 1), *rel, *data, want_offset[32];
	struct harness_run run;
	unsigned idx;

	for (size_t i = 0; i < TAIL_LINES; i++)
		assert_int_equal(snprintf(log + i * TAIL_LINE_LEN,
					  TAIL_LINE_LEN + 1,
					  "line %07zu of a generated log, all "
					  "fine........\n",
					  i),
				 TAIL_LINE_LEN);
	fx_mkdir(fx, "log");
	fx_write(fx, "log/app.log", log, size);
	fx_set_path(fx, "log", "log/app.log");
	fx_set(fx, "log_max_mb", "1");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	/* The first whole line inside the last MiB. */
	start = (size - cap + TAIL_LINE_LEN - 1) / TAIL_LINE_LEN *
		TAIL_LINE_LEN;
	assert_int_not_equal(start, size - cap); /* boundary logic exercised */

	idx = file_index(fx, &run, "log/app.log");
	assert_file_fact(&run, idx, "truncated", "true");
	snprintf(want_offset, sizeof(want_offset), "%zu", start);
	assert_file_fact(&run, idx, "offset", want_offset);
	assert_file_fact(&run, idx, "error_lines", "0");
	rel = artifact_name(fx, "log/app.log");
	data = read_artifact(&run, rel, &len);
	assert_true(len <= cap);
	assert_int_equal(len, size - start);
	assert_memory_equal(data, log + start, len);
	assert_memory_equal(data, "line ", 5);
	assert_memory_equal(data + len - TAIL_LINE_LEN,
			    log + size - TAIL_LINE_LEN, TAIL_LINE_LEN);
	assert_finding(&run, "product.log.no_errors", "ok", 2);
	assert_null(harness_finding(&run, "product.log.errors"));
	free(data);
	free(rel);
	free(log);
	harness_release(&run);
}

static void test_parse_time(void **state)
{
	/* TZ=EST5: local time is UTC-5 all year, so local results are known */
	static const struct {
		const char *line;
		time_t now;
		int r;
		time_t want;
	} cases[] = {
		{ "2024-03-01T12:00:00Z app started", 0, 0, 1709294400 },
		{ "2024-03-01 12:00:00.123+02:00 x", 0, 0, 1709287200 },
		{ "[2024-03-01 12:00:00,5-0130] x", 0, 0, 1709299800 },
		{ "2024-03-01 12:00:00 local", 0, 0, 1709312400 },
		{ "2024-03-01T12:00:00", 0, 0, 1709312400 },
		{ "2024-02-29 00:00:00Z leap", 0, 0, 1709164800 },
		{ "2023-02-29 00:00:00Z", 0, -EINVAL, 0 },
		{ "2024-03-01 24:00:00Z", 0, -EINVAL, 0 },
		{ "2024-13-01 12:00:00Z", 0, -EINVAL, 0 },
		{ "2024-03-01", 0, -EINVAL, 0 },
		{ "2024/03/01 12:00:00", 0, -EINVAL, 0 },
		{ " 2024-03-01 12:00:00Z", 0, -EINVAL, 0 },
		{ "", 0, -EINVAL, 0 },
		{ "at com.example.Foo(Foo.java:12)", 0, -EINVAL, 0 },
		/* syslog, in the year of now (2024-06-01) */
		{ "Mar  1 12:00:00 host app[1]: x", 1717200000, 0, 1709312400 },
		{ "Mar 01 12:00:00 host x", 1717200000, 0, 1709312400 },
		{ "Mar 1 12:00:00 host x", 1717200000, 0, 1709312400 },
		/* December read in January (now 2024-01-10): last year */
		{ "Dec 31 23:00:00 host x", 1704844800, 0, 1704081600 },
		{ "Mar 32 12:00:00 host", 1717200000, -EINVAL, 0 },
		{ "mar  1 12:00:00 host", 1717200000, -EINVAL, 0 },
		{ "Mar  1 12:0:00 host", 1717200000, -EINVAL, 0 },
		{ "Mar  1 12:00", 1717200000, -EINVAL, 0 },
	};

	(void)state;
	setenv("TZ", "EST5", 1);
	tzset();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		time_t t = 42;
		int r = product_log_parse_time(
			cases[i].line, strlen(cases[i].line), cases[i].now, &t);

		if (r != cases[i].r || (r == 0 && t != cases[i].want))
			fprintf(stderr, "case %zu '%s': r=%d t=%lld\n", i,
				cases[i].line, r, (long long)t);
		assert_int_equal(r, cases[i].r);
		assert_int_equal(t, r == 0 ? cases[i].want : 42);
	}
	/* len bounds the read: a cut timestamp is no timestamp. */
	{
		const char *s = "2024-03-01T12:00:00Z";
		time_t t;

		assert_int_equal(product_log_parse_time(s, 18, 0, &t), -EINVAL);
		assert_int_equal(product_log_parse_time(s, 19, 0, &t), 0);
	}
}

static void test_since_filter(void **state)
{
	static const struct {
		const char *line;
		bool keep;
	} lines[] = {
		{ "no timestamp before the first one", true },
		{ "2024-03-01T11:59:59Z old entry", false },
		{ "\tat old.stack.Frame(X.java:1)", false },
		{ "2024-03-01T12:00:00Z exactly at --since", true },
		{ "\tat new.stack.Frame(X.java:2)", true },
		{ "Mar  1 06:59:59 host old syslog line", false },
		{ "a continuation of it", false },
		{ "Mar  1 07:00:01 host new syslog line", true },
		{ "[2024-03-01 07:30:00] local, EST", true },
		{ "2024-03-01 06:00:00 local, before", false },
	};
	struct product_log_filter f;

	(void)state;
	setenv("TZ", "EST5", 1);
	tzset();
	product_log_filter_init(&f, 1709294400, 1717200000);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		bool keep = product_log_filter_line(&f, lines[i].line,
						    strlen(lines[i].line));

		if (keep != lines[i].keep)
			fprintf(stderr, "line %zu '%s'\n", i, lines[i].line);
		assert_int_equal(keep, lines[i].keep);
	}
	/* No --since: everything, even an old line. */
	product_log_filter_init(&f, 0, 1717200000);
	assert_true(product_log_filter_line(&f, lines[1].line,
					    strlen(lines[1].line)));
}

static void test_match_and_excerpt(void **state)
{
	static const char *const pats[] = { "fatal",  "error", "",
					    "fehler", "ошибк", "критическ",
					    "straße" };
	static const struct {
		const char *line;
		int want;
	} matches[] = {
		{ "an ERROR occurred", 1 },
		{ "FaTaL: disk gone, error", 0 },
		{ "ends in eRrOr", 1 },
		{ "err", -1 },
		{ "all fine", -1 },
		{ "", -1 },
		/* German and Russian levels, folded by Unicode. */
		{ "2026-12-01 14:00:00 FEHLER Verbindung abgebrochen", 3 },
		{ "2026-12-01 14:00:00 Fehler beim Speichern", 3 },
		{ "2026-12-01 14:00:00 ОШИБКА соединения с базой", 4 },
		{ "2026-12-01 14:00:00 Ошибкой считается", 4 },
		{ "[КРИТИЧЕСКАЯ] диск заполнен", 5 },
		{ "Критический сбой", 5 },
		{ "2026-12-01 ПРЕДУПРЕЖДЕНИЕ мало места", -1 },
		{ "2026-12-01 WARNUNG wenig Platz", -1 },
		{ "STRASSE", -1 }, /* simple folding: ß is not ss */
		{ "STRAẞE gesperrt", 6 },
		/* Invalid UTF-8 around a match does not hide it. */
		{ "\xff\xfe ОШИБКА \xc3", 4 },
		{ "\xff\xfe\xc3", -1 },
	};
	struct product_log_matcher *m;
	int bad;
	static const struct {
		const char *in;
		size_t outlen;
		const char *want;
	} excerpts[] = {
		{ "abc\r\n", 16, "abc" },
		{ "a\tb\x01", 16, "a b " },
		{ "caf\xc3\xa9 ok", 16, "caf\xc3\xa9 ok" },
		{ "a\xc3\xa9", 3, "a" },
		{ "bad \xff byte", 16, "bad ? byte" },
		{ "\xc0\xaf", 16, "??" },
		{ "\xed\xa0\x80", 16, "???" },
		{ "\xf0\x9f\x98\x80!", 16, "\xf0\x9f\x98\x80!" },
		{ "truncate me", 5, "trun" },
	};

	(void)state;
	m = product_log_matcher_new(pats, ARRAY_SIZE(pats), &bad);
	assert_int_equal(bad, -1);
	for (size_t i = 0; i < ARRAY_SIZE(matches); i++)
		assert_int_equal(product_log_match(m, matches[i].line,
						   strlen(matches[i].line)),
				 matches[i].want);
	/* len bounds the search too. */
	assert_int_equal(product_log_match(m, "x error", 5), -1);
	product_log_matcher_free(m);
	/* A pattern that is not UTF-8 is named and never matches. */
	{
		static const char *const badpats[] = { "ok", "\xff" };

		m = product_log_matcher_new(badpats, 2, &bad);
		assert_int_equal(bad, 1);
		assert_int_equal(product_log_match(m, "\xff ok", 4), 0);
		assert_int_equal(product_log_match(m, "\xff", 1), -1);
		product_log_matcher_free(m);
	}
	for (size_t i = 0; i < ARRAY_SIZE(excerpts); i++) {
		char out[16];

		memset(out, 'Z', sizeof(out));
		product_log_excerpt(excerpts[i].in, strlen(excerpts[i].in), out,
				    excerpts[i].outlen);
		assert_string_equal(out, excerpts[i].want);
	}
}

static void test_log_errors(void **state)
{
	struct fixture *fx = *state;
	static const char log[] = "2024-01-01 10:00:00 INFO start\n"
				  "2024-01-01 10:00:01 ERROR db timeout\n"
				  "2024-01-01 10:00:02 WARN retrying\n"
				  "2024-01-01 10:00:03 Fatal: disk full\n"
				  "error and FATAL on one line\n"
				  "no newline at the end, error";
	static const unsigned char gz[] = {
		0x1f, 0x8b, 0x08, 0x00, 'e',  'r',
		'r',  'o',  'r',  '\n', 0xff, 0x00
	};
	struct harness_run run;
	unsigned idx, igz;
	char *rel;

	fx_mkdir(fx, "log");
	fx_write(fx, "log/app.log", log, strlen(log));
	fx_write(fx, "log/app.log.1.gz", gz, sizeof(gz));
	fx_set_path(fx, "log", "log/app.log*");
	fx_set(fx, "error_pattern", "error");
	fx_set(fx, "error_pattern", "fatal");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	idx = file_index(fx, &run, "log/app.log");
	assert_file_fact(&run, idx, "error_lines", "4");
	assert_file_fact(&run, idx, "kind", "log");
	rel = artifact_name(fx, "log/app.log");
	assert_artifact(&run, rel, log, strlen(log));
	free(rel);

	/* Rotated and compressed: copied as it is, not scanned. */
	igz = file_index(fx, &run, "log/app.log.1.gz");
	assert_file_fact(&run, igz, "compressed", "gzip");
	assert_null(file_fact(&run, igz, "error_lines"));
	rel = artifact_name(fx, "log/app.log.1.gz");
	assert_artifact(&run, rel, gz, sizeof(gz));
	free(rel);

	assert_finding(&run, "product.log.errors", "info", 2);
	assert_string_equal(
		finding_str(harness_finding(&run, "product.log.errors"),
			    "title"),
		"4 error lines in 1 log file");
	assert_detail_has(&run, "product.log.errors",
			  "4 lines, first: 2024-01-01 10:00:01 ERROR db "
			  "timeout");
	assert_string_equal(
		finding_str(harness_finding(&run, "product.files.ok"), "title"),
		"copied 0 configuration and 2 log files");
	harness_release(&run);
}

/* The default patterns count German and Russian error lines too. */
static void test_log_errors_default_languages(void **state)
{
	struct fixture *fx = *state;
	static const char log[] =
		"2026-12-01 14:00:00 INFO gestartet\n"
		"2026-12-01 14:00:01 FEHLER Datenbank nicht erreichbar\n"
		"2026-12-01 14:00:02 WARNUNG wenig Speicher\n"
		"2026-12-01 14:00:03 KRITISCH Dienst beendet\n"
		"2026-12-01 14:00:04 SCHWERWIEGEND: Ablage gesperrt\n"
		"2026-12-01 14:00:05 ИНФО запуск\n"
		"2026-12-01 14:00:06 ОШИБКА соединения с базой данных\n"
		"2026-12-01 14:00:07 ПРЕДУПРЕЖДЕНИЕ мало места\n"
		"2026-12-01 14:00:08 КРИТИЧЕСКАЯ ошибка диска\n"
		"2026-12-01 14:00:09 Сервис: КРИТИЧНО\n"
		"2026-12-01 14:00:10 ERROR plain English\n";
	struct harness_run run;
	unsigned idx;

	fx_mkdir(fx, "log");
	fx_write(fx, "log/app.log", log, strlen(log));
	fx_set_path(fx, "log", "log/app.log");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	idx = file_index(fx, &run, "log/app.log");
	assert_file_fact(&run, idx, "error_lines", "7");
	assert_detail_has(&run, "product.log.errors",
			  "7 lines, first: 2026-12-01 14:00:01 FEHLER "
			  "Datenbank nicht erreichbar");
	harness_release(&run);
}

static void test_missing_and_invalid(void **state)
{
	struct fixture *fx = *state;
	struct harness_run run;
	char *nope_ini = fx_path(fx, "nope/*.ini");
	char *nope_log = fx_path(fx, "nope/*.log");
	char *nodir = fx_path(fx, "nodir");

	fx_mkdir(fx, "data");
	fx_set_path(fx, "data_dir", "data");
	fx_set_path(fx, "data_dir", "nodir");
	fx_set(fx, "config", nope_ini);
	fx_set(fx, "log", nope_log);
	fx_set(fx, "log", "relative/*.log");
	fx_set(fx, "log_max_mb", "lots");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "product.config.missing", "warn", 0);
	assert_detail_has(&run, "product.config.missing", nope_ini);
	assert_finding(&run, "product.log.missing", "warn", 0);
	assert_detail_has(&run, "product.log.missing", nope_log);
	assert_finding(&run, "product.data_dir.missing", "fail", 0);
	assert_detail_has(&run, "product.data_dir.missing", nodir);
	assert_null(harness_finding(&run, "product.data_dir.ok"));
	assert_string_equal(harness_fact(&run, "data_dir.1.exists"), "true");
	assert_string_equal(harness_fact(&run, "data_dir.1.network"), "false");
	assert_non_null(harness_fact(&run, "data_dir.1.fstype"));
	assert_string_equal(harness_fact(&run, "data_dir.2.exists"), "false");
	assert_finding(&run, "product.setting.invalid", "warn", 0);
	/* Each bad value names where it was set (here the fixture's
	 * origin "test"). */
	assert_detail_has(&run, "product.setting.invalid",
			  "relative/*.log (test): not an absolute path");
	assert_detail_has(&run, "product.setting.invalid", "log_max_mb = lots");
	assert_null(harness_finding(&run, "product.files.ok"));
	assert_int_equal(harness_count(&run, "artifact"), 0);
	harness_release(&run);
	free(nope_ini);
	free(nope_log);
	free(nodir);
}

static void test_limits_and_duplicates(void **state)
{
	struct fixture *fx = *state;
	struct harness_run run;

	fx_mkdir(fx, "log");
	fx_write(fx, "log/a.log", "a\n", 2);
	fx_write(fx, "log/b.log", "b\n", 2);
	fx_write(fx, "log/c.log", "c\n", 2);
	fx_set_path(fx, "log", "log/*.log");
	fx_set_path(fx, "log", "log/a.log"); /* again: copied once */
	fx_set(fx, "max_files", "2");

	harness_run(&collector_product, "", &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	assert_string_equal(harness_fact(&run, "log.2.matches"), "1");
	assert_int_equal(harness_count(&run, "artifact"), 2);
	assert_file_fact(&run, file_index(fx, &run, "log/a.log"), "copied",
			 "2");
	assert_file_fact(&run, file_index(fx, &run, "log/b.log"), "copied",
			 "2");
	assert_null(harness_fact(&run, "file.3.path"));
	assert_finding(&run, "product.files.limit", "info", 0);
	assert_detail_has(&run, "product.files.limit",
			  "0 beyond total_max_mb, 1 beyond max_files");
	assert_string_equal(
		finding_str(harness_finding(&run, "product.files.ok"), "title"),
		"copied 0 configuration and 2 log files");
	harness_release(&run);
}

/*
 * Unreadable files. Tests usually run as root, where chmod 000 stops
 * nothing: then that case is skipped and the other unreadable forms (a
 * dangling link, a FIFO, a path under a regular file) stand for it.
 */
static void test_unreadable(void **state)
{
	struct fixture *fx = *state;
	struct harness_run run;
	char *p, *under;
	int64_t start;

	fx_mkdir(fx, "u");
	fx_write(fx, "u/ok.log", "fine\n", 5);
	p = fx_path(fx, "u/dangling.log");
	assert_int_equal(symlink("/nonexistent/rdiag-target", p), 0);
	free(p);
	p = fx_path(fx, "u/fifo.log");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	if (geteuid() != 0) {
		fx_write(fx, "u/secret.log", "secret\n", 7);
		p = fx_path(fx, "u/secret.log");
		assert_int_equal(chmod(p, 0), 0);
		free(p);
	}
	fx_set_path(fx, "log", "u/*.log");
	/* A literal path below a regular file: ENOTDIR on lookup. */
	under = fx_path(fx, "u/ok.log/sub.log");
	fx_set(fx, "log", under);

	start = now_ms();
	harness_run(&collector_product, "", &fx->cfg, &run);
	/* A local FIFO is refused at open, never waited on. */
	assert_true(now_ms() - start < 10000);
	assert_int_equal(run.rc, 0);
	assert_finding(&run, "product.file.unreadable", "warn", 0);
	assert_detail_has(&run, "product.file.unreadable",
			  "dangling.log': cannot open: No such file");
	assert_detail_has(&run, "product.file.unreadable",
			  "fifo.log': not a regular file");
	if (geteuid() != 0)
		assert_detail_has(&run, "product.file.unreadable",
				  "secret.log': cannot open: Permission");
	assert_file_fact(&run, file_index(fx, &run, "u/ok.log"), "copied", "5");
	assert_string_equal(
		finding_str(harness_finding(&run, "product.files.ok"), "title"),
		"copied 0 configuration and 1 log files");
	/* glob(3) does not match a path under a file: a missing log. */
	assert_detail_has(&run, "product.log.missing", under);
	assert_int_equal(harness_count(&run, "artifact"), 1);
	harness_release(&run);
	free(under);
}

static void test_network_copy(void **state)
{
	struct fixture *fx = *state;
	static const char log[] = "2024-01-01 10:00:00 INFO on the NAS\n"
				  "2024-01-01 10:00:01 ERROR share slow\n";
	static const char ini[] = "local = yes\n";
	struct harness_run run;
	unsigned inet, iloc;
	char *root, *rel, *nas;

	fx_mkdir(fx, "nas");
	fx_mkdir(fx, "etc");
	fx_write(fx, "nas/app.log", log, strlen(log));
	fx_write(fx, "etc/app.ini", ini, strlen(ini));
	root = fx_network_root(fx);
	fx_set_path(fx, "data_dir", "nas");
	fx_set_path(fx, "config", "etc/*.ini");
	fx_set_path(fx, "log", "nas/*.log");

	harness_run(&collector_product, root, &fx->cfg, &run);
	assert_int_equal(run.rc, 0);
	nas = fx_path(fx, "nas");
	assert_string_equal(harness_fact(&run, "data_dir.1.exists"), "true");
	assert_string_equal(harness_fact(&run, "data_dir.1.fstype"), "nfs4");
	assert_string_equal(harness_fact(&run, "data_dir.1.network"), "true");
	assert_string_equal(harness_fact(&run, "data_dir.1.mount"), nas);
	assert_string_equal(harness_fact(&run, "data_dir.1.source"),
			    "nas:/export");
	assert_finding(&run, "product.data_dir.ok", "ok", 0);

	/* Through the sub-worker (only it times the copy), and intact. */
	inet = file_index(fx, &run, "nas/app.log");
	assert_file_fact(&run, inet, "network", "true");
	assert_file_fact(&run, inet, "fstype", "nfs4");
	assert_non_null(file_fact(&run, inet, "elapsed_ms"));
	assert_file_fact(&run, inet, "error_lines", "1");
	rel = artifact_name(fx, "nas/app.log");
	assert_artifact(&run, rel, log, strlen(log));
	free(rel);

	/* The local one directly. */
	iloc = file_index(fx, &run, "etc/app.ini");
	assert_file_fact(&run, iloc, "network", "false");
	assert_file_fact(&run, iloc, "fstype", "ext4");
	assert_null(file_fact(&run, iloc, "elapsed_ms"));
	assert_file_fact(&run, iloc, "copied", "12");
	assert_detail_has(&run, "product.log.errors", "ERROR share slow");
	assert_null(harness_finding(&run, "product.file.hung"));
	harness_release(&run);
	free(nas);
	free(root);
}

static void test_network_hung(void **state)
{
	struct fixture *fx = *state;
	struct collector quick = collector_product;
	struct harness_run run;
	unsigned ififo, iafter;
	char *root, *p, *nas;
	int64_t start, elapsed;

	fx_mkdir(fx, "nas");
	p = fx_path(fx, "nas/a-fifo.log");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	fx_write(fx, "nas/b.log", "never read\n", 11);
	root = fx_network_root(fx);
	fx_set_path(fx, "log", "nas/*.log");
	fx_set(fx, "network_timeout_ms", "300");
	quick.deadline_ms = 20000;

	start = now_ms();
	harness_run(&quick, root, &fx->cfg, &run);
	elapsed = now_ms() - start;
	assert_true(elapsed < 10000);
	assert_int_equal(run.rc, 0);
	nas = fx_path(fx, "nas");
	assert_finding(&run, "product.file.hung", "fail", 4);
	assert_detail_has(&run, "product.file.hung", "a-fifo.log");
	assert_detail_has(&run, "product.file.hung", "nas:/export");
	assert_detail_has(&run, "product.file.hung", nas);
	assert_detail_has(&run, "product.file.hung", "sub-worker");
	ififo = file_index(fx, &run, "nas/a-fifo.log");
	assert_file_fact(&run, ififo, "error", "hung");
	/* The mount is not touched again. */
	iafter = file_index(fx, &run, "nas/b.log");
	assert_file_fact(&run, iafter, "skipped", "mount hung");
	assert_null(file_fact(&run, iafter, "copied"));
	assert_null(harness_finding(&run, "product.files.ok"));
	harness_release(&run);
	free(nas);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_not_configured, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_config_copy, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_log_tail, fixture_setup,
						fixture_teardown),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_since_filter),
		cmocka_unit_test(test_match_and_excerpt),
		cmocka_unit_test_setup_teardown(test_log_errors, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_log_errors_default_languages, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_invalid,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_duplicates,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_network_copy, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_network_hung, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
