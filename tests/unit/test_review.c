/*
 * Unit tests for review: archives built in memory with libarchive, a good
 * one and, table-driven, one bad thing at a time (links, devices, unsafe
 * names, duplicates, manifest lies, JSON depth, caps and ratio); signatures;
 * the verdict rebuilt from a bundle; sanitising for terminals. Files:
 * SSHSIG beside and inside, age and rdiag 0.1 encryption, both signatures
 * by one key.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/age.h"
#include "core/bundle_format.h"
#include "core/sign.h"
#include "core/sshsig.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "review/review.h"

#define TOP "rdiag-t-1-20261128T000000Z"

struct ent {
	const char *name; /* below TOP unless it starts with '!' (raw) */
	const char *data;
	mode_t type; /* 0: regular */
	const char *link;
	bool hardlink;
	bool unlisted; /* not in the manifest */
	const char *lie_sha, *lie_size;
	int64_t claim_size; /* header size when > 0 */
};

static const char good_findings[] =
	"[{\"id\":\"system.disk.low\",\"collector\":\"system\",\"severity\":"
	"\"warn\",\"level\":0,\"title\":\"disk \\u001b[2Jnearly full\","
	"\"detail\":\"91%\\nused\"},{\"id\":\"nas.ok\",\"collector\":\"nas\","
	"\"severity\":\"ok\",\"level\":4,\"title\":\"share mounted\"}]\n";
static const char sys_records[] =
	"{\"kind\":\"fact\",\"collector\":\"system\",\"key\":\"os\",\"value\":"
	"\"Debian\"}\n{\"kind\":\"fact\",\"collector\":\"system\",\"key\":"
	"\"cpus\",\"value\":4}\n";

static struct ent base[] = {
	{ .name = "collectors/system/records.jsonl", .data = sys_records },
	{ .name = "findings.json", .data = good_findings },
	{ .name = "report.txt", .data = "verdict\n" },
};

static void add_entry(struct archive *a, const char *name, mode_t type,
		      const void *data, size_t len, const char *link,
		      bool hardlink, int64_t claim)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, type ? type : AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, claim > 0 ? claim : (int64_t)len);
	if (link && hardlink)
		archive_entry_copy_hardlink(e, link);
	else if (link)
		archive_entry_copy_symlink(e, link);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	if (len)
		archive_write_data(a, data, len);
	archive_entry_free(e);
}

static char *manifest_for(const struct ent *ents, size_t n, const char *fmt)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b,
		   "{\"format\":\"%s\",\"host\":\"h\",\"ticket\":\"1\","
		   "\"collectors\":[{\"name\":\"system\",\"status\":\"ok\","
		   "\"duration_ms\":3,\"records\":2},{\"name\":\"nas\","
		   "\"status\":\"timeout\",\"reason\":\"deadline\"}],"
		   "\"redactions\":{\"key-value\":1},\"files\":[",
		   fmt);
	for (size_t i = 0, k = 0; i < n; i++) {
		unsigned char d[32];
		char hex[65], size[32];

		if (ents[i].unlisted || ents[i].type || !ents[i].data)
			continue;
		crypto_hash_sha256(d, (const unsigned char *)ents[i].data,
				   strlen(ents[i].data));
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		snprintf(size, sizeof(size), "%zu", strlen(ents[i].data));
		buf_printf(&b,
			   "%s{\"path\":\"%s\",\"size\":%s,\"sha256\":\"%s\"}",
			   k++ ? "," : "", ents[i].name,
			   ents[i].lie_size ? ents[i].lie_size : size,
			   ents[i].lie_sha ? ents[i].lie_sha : hex);
	}
	buf_puts(&b, "]}\n");
	return buf_detach(&b, NULL);
}

/*
 * A gzip'd tar of TOP/ + ents + manifest (or man when not NULL) + the
 * optional manifest.sig text.
 */
static void *build(const struct ent *ents, size_t n, const char *man,
		   const char *sig, size_t *ret_len)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 22, used = 0;
	void *mem = xmalloc(cap);
	char *m = man ? xstrdup(man) : manifest_for(ents, n, BUNDLE_FORMAT);

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, mem, cap, &used);
	add_entry(a, TOP "/", AE_IFDIR, NULL, 0, NULL, false, 0);
	for (size_t i = 0; i < n; i++) {
		char *name = ents[i].name[0] == '!'
				     ? xstrdup(ents[i].name + 1)
				     : xasprintf(TOP "/%s", ents[i].name);

		add_entry(a, name, ents[i].type, ents[i].data,
			  ents[i].data ? strlen(ents[i].data) : 0, ents[i].link,
			  ents[i].hardlink, ents[i].claim_size);
		free(name);
	}
	add_entry(a, TOP "/manifest.json", 0, m, strlen(m), NULL, false, 0);
	if (sig)
		add_entry(a, TOP "/manifest.sig", 0, sig, strlen(sig), NULL,
			  false, 0);
	archive_write_close(a);
	archive_write_free(a);
	free(m);
	*ret_len = used;
	return mem;
}

static int open_ents(const struct ent *ents, size_t n,
		     const struct review_limits *lim, char **ret_err)
{
	size_t len;
	void *mem = build(ents, n, NULL, NULL, &len);
	struct review_opts o = { .limits = lim };
	struct review *r = NULL;
	int ret = review_open_memory(mem, len, &o, &r, ret_err);

	review_free(r);
	free(mem);
	return ret;
}

static void test_good(void **state)
{
	size_t len;
	void *mem = build(base, ARRAY_SIZE(base), NULL, NULL, &len);
	struct review_opts o = { 0 };
	struct review *r = NULL;
	const struct review_collector *c;
	struct verdict v;
	char *err = NULL;

	(void)state;
	assert_int_equal(review_open_memory(mem, len, &o, &r, &err), 0);
	assert_string_equal(r->top, TOP);
	assert_int_equal(r->nfiles, 3);
	assert_false(r->is_signed);
	assert_int_equal(r->ncollectors, 2);
	c = review_collector_find(r, "system");
	assert_non_null(c);
	assert_int_equal(json_array_size(c->facts), 2);
	/* A number value becomes its JSON text. */
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(c->facts, 1), "value")),
			    "4");
	/* The escape in the title is defanged; the detail keeps its line. */
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(r->findings, 0), "title")),
			    "disk ?[2Jnearly full");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(r->findings, 0), "detail")),
			    "91%\nused");
	review_verdict(r, &v);
	assert_int_equal(verdict_exit_code(&v), 1);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.results[1].status, STATUS_TIMEOUT);
	assert_string_equal(v.results[1].reason, "deadline");
	review_free(r);
	free(mem);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *what;
		struct ent extra;
		int r;
		const char *msg;
	} cases[] = {
		{ "symlink",
		  { .name = "l", .type = AE_IFLNK, .link = "/etc/passwd" },
		  -EBADMSG,
		  "symbolic link" },
		{ "hardlink",
		  { .name = "h",
		    .data = "",
		    .link = TOP "/report.txt",
		    .hardlink = true },
		  -EBADMSG,
		  "hard link" },
		{ "fifo", { .name = "f", .type = AE_IFIFO }, -EBADMSG, "FIFO" },
		{ "chardev",
		  { .name = "c", .type = AE_IFCHR },
		  -EBADMSG,
		  "character device" },
		{ "absolute",
		  { .name = "!/etc/x", .data = "x" },
		  -EBADMSG,
		  "absolute path" },
		{ "dotdot",
		  { .name = "a/../../x", .data = "x" },
		  -EBADMSG,
		  "'..' component" },
		{ "dot",
		  { .name = "a/./x", .data = "x" },
		  -EBADMSG,
		  "'.' component" },
		{ "outside top",
		  { .name = "!other/x", .data = "x" },
		  -EBADMSG,
		  "outside the top directory" },
		{ "control char",
		  { .name = "a\tb", .data = "x" },
		  -EBADMSG,
		  "not printable UTF-8" },
		{ "not utf-8",
		  { .name = "a\xff", .data = "x" },
		  -EBADMSG,
		  "not printable UTF-8" },
		{ "duplicate",
		  { .name = "report.txt", .data = "again\n" },
		  -EBADMSG,
		  "duplicate entry" },
		{ "below a file",
		  { .name = "report.txt/x", .data = "x" },
		  -EBADMSG,
		  "below a file" },
		{ "unlisted",
		  { .name = "extra.txt", .data = "x", .unlisted = true },
		  -EBADMSG,
		  "not in the manifest" },
		{ "hash lie",
		  { .name = "x.txt",
		    .data = "x",
		    .lie_sha = "000000000000000000000000000000000000000000000"
			       "0000000000000000000" },
		  -EBADMSG,
		  "does not match its SHA-256" },
		{ "size lie",
		  { .name = "x.txt", .data = "x", .lie_size = "2" },
		  -EBADMSG,
		  "the manifest says 2" },
		{ "deep json",
		  { .name = "collectors/system/records.jsonl",
		    .data = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
			    "[[["
			    "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
			    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n" },
		  -EBADMSG,
		  "nested deeper" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ent ents[ARRAY_SIZE(base) + 1];
		size_t n = ARRAY_SIZE(base);
		char *err = NULL;
		int r;

		memcpy(ents, base, sizeof(base));
		/* The deep-JSON case replaces the records. */
		if (strcmp(cases[i].what, "deep json") == 0)
			ents[0] = cases[i].extra;
		else
			ents[n++] = cases[i].extra;
		r = open_ents(ents, n, NULL, &err);
		print_message("%s: %d %s\n", cases[i].what, r, err ? err : "");
		assert_int_equal(r, cases[i].r);
		assert_non_null(err);
		assert_non_null(strstr(err, cases[i].msg));
		free(err);
	}
}

static void test_caps(void **state)
{
	struct review_limits lim;
	struct ent big[ARRAY_SIZE(base) + 1];
	char *zeros = xcalloc(1, 300001), *err = NULL;

	(void)state;
	review_limits_default(&lim);
	lim.max_entries = 4;
	assert_int_equal(open_ents(base, ARRAY_SIZE(base), &lim, &err), -E2BIG);
	assert_non_null(strstr(err, "more than 4 entries"));
	free(err);
	err = NULL;

	review_limits_default(&lim);
	lim.max_entry_size = 5;
	assert_int_equal(open_ents(base, ARRAY_SIZE(base), &lim, &err), -EFBIG);
	assert_non_null(strstr(err, "claims"));
	free(err);
	err = NULL;

	/* 300 kB of one byte: far beyond 10:1 once past 100 kB. */
	memset(zeros, 'a', 300000);
	memcpy(big, base, sizeof(base));
	big[ARRAY_SIZE(base)] = (struct ent){ .name = "z", .data = zeros };
	review_limits_default(&lim);
	lim.max_ratio = 10;
	lim.ratio_floor = 100000;
	assert_int_equal(open_ents(big, ARRAY_SIZE(big), &lim, &err), -EFBIG);
	assert_non_null(strstr(err, "compression bomb"));
	free(err);
	err = NULL;
	/* The same bundle with the default ratio is fine. */
	assert_int_equal(open_ents(big, ARRAY_SIZE(big), NULL, &err), 0);

	review_limits_default(&lim);
	lim.max_json = 20;
	assert_int_equal(open_ents(base, ARRAY_SIZE(base), &lim, &err), -EFBIG);
	free(err);
	err = NULL;

	/* An entry claiming more than it holds: a truncated archive. */
	big[ARRAY_SIZE(base)] = (struct ent){ .name = "claim",
					      .data = "x",
					      .claim_size = 1000 };
	assert_true(open_ents(big, ARRAY_SIZE(big), NULL, &err) < 0);
	free(err);
	free(zeros);
}

static void test_format_and_garbage(void **state)
{
	char *m = manifest_for(base, ARRAY_SIZE(base), "rdiag-bundle/2");
	struct review_opts o = { 0 };
	struct review *r = NULL;
	char *err = NULL;
	size_t len;
	void *mem = build(base, ARRAY_SIZE(base), m, NULL, &len);

	(void)state;
	assert_int_equal(review_open_memory(mem, len, &o, &r, &err), -EBADMSG);
	assert_non_null(strstr(err, "unknown bundle format 'rdiag-bundle/2'"));
	free(err);
	err = NULL;
	/* Cut anywhere: refused, never crashes. */
	for (size_t cut = 0; cut < len; cut += len / 17 + 1) {
		assert_true(review_open_memory(mem, cut, &o, &r, &err) < 0);
		free(err);
		err = NULL;
	}
	assert_true(review_open_memory("hello", 5, &o, &r, &err) < 0);
	free(err);
	free(mem);
	free(m);
}

static void test_signed(void **state)
{
	struct sign_key sec, pub, sec2, pub2;
	char *m = manifest_for(base, ARRAY_SIZE(base), BUNDLE_FORMAT), *sig;
	struct review *r = NULL;
	char *err = NULL;
	size_t len;
	void *mem;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	sign_keypair_new(false, &sec2, &pub2);
	sig = sign_manifest(&sec, m, strlen(m));
	mem = build(base, ARRAY_SIZE(base), m, sig, &len);
	{
		struct review_opts o = { .trust = &pub };

		assert_int_equal(review_open_memory(mem, len, &o, &r, &err), 0);
		assert_true(r->is_signed);
		assert_true(r->trusted);
		review_free(r);
		r = NULL;
	}
	{
		struct review_opts o = { .trust = &pub2 };

		assert_int_equal(review_open_memory(mem, len, &o, &r, &err),
				 -EPERM);
		free(err);
		err = NULL;
	}
	free(mem);
	/* Unsigned with --trust. */
	mem = build(base, ARRAY_SIZE(base), m, NULL, &len);
	{
		struct review_opts o = { .trust = &pub };

		assert_int_equal(review_open_memory(mem, len, &o, &r, &err),
				 -EPERM);
		assert_non_null(strstr(err, "not signed"));
		free(err);
		err = NULL;
	}
	free(mem);
	free(sig);
	free(m);
}

/* Write len bytes to path (0600). */
static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	close(fd);
}

/* Encrypt the file at in to out with age (or rdiag 0.1's format). */
static void encrypt_file(const struct sign_key *pub, const char *in,
			 const char *out, bool legacy)
{
	int i = open(in, O_RDONLY),
	    o = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	char *err = NULL;

	assert_true(i >= 0 && o >= 0);
	assert_int_equal(legacy ? sign_encrypt_fd(pub, i, o, &err)
				: age_encrypt_fd(pub, i, o, &err),
			 0);
	close(i);
	close(o);
}

static void test_files_and_formats(void **state)
{
	struct sign_key sec, pub, sec2, pub2, esec, epub;
	char *m = manifest_for(base, ARRAY_SIZE(base), BUNDLE_FORMAT), *msig;
	char dir[] = "/tmp/rdiag-test-review-XXXXXX", *p, *q, *err = NULL;
	struct review *r = NULL;
	size_t len;
	void *mem;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sign_keypair_new(false, &sec, &pub);
	sign_keypair_new(false, &sec2, &pub2);
	sign_keypair_new(true, &esec, &epub);
	/* SSHSIG in manifest.sig, NAME.sig beside; encrypted with age. */
	msig = sshsig_sign_buf(&sec, m, strlen(m));
	mem = build(base, ARRAY_SIZE(base), m, msig, &len);
	p = xasprintf("%s/b.tar.gz", dir);
	q = xasprintf("%s/b.tar.gz.age", dir);
	put_file(p, mem, len);
	{
		char *sig = bundle_sig_path(p);

		assert_int_equal(sshsig_write_file(&sec, p, sig, &err), 0);
		free(sig);
	}
	encrypt_file(&epub, p, q, false);
	{
		struct review_opts o = { .trust = &pub, .key = &esec };

		/* b.tar.gz.age finds b.tar.gz.sig: the plain archive's. */
		assert_int_equal(review_open(q, &o, &r, &err), 0);
		assert_true(r->encrypted && r->is_signed && r->trusted);
		assert_int_equal(strncmp(r->signer, "SHA256:", 7), 0);
		review_free(r);
		r = NULL;
	}
	{
		struct review_opts o = { .trust = &pub2, .key = &esec };

		assert_int_equal(review_open(q, &o, &r, &err), -EPERM);
		free(err), err = NULL;
	}
	/* A signature beside by another key than the one inside. */
	{
		char *sig = bundle_sig_path(p);
		struct review_opts o = { 0 };

		unlink(sig);
		assert_int_equal(sshsig_write_file(&sec2, p, sig, &err), 0);
		assert_int_equal(review_open(p, &o, &r, &err), -EBADMSG);
		assert_non_null(strstr(err, "two signatures are by different"));
		free(err), err = NULL;
		unlink(sig);
		free(sig);
	}
	unlink(q);
	/* rdiag 0.1: rdiag-sig/1 inside, RDIAGENC1 around (NAME.enc). */
	free(mem);
	free(msig);
	msig = sign_manifest(&sec, m, strlen(m));
	mem = build(base, ARRAY_SIZE(base), m, msig, &len);
	unlink(p);
	put_file(p, mem, len);
	free(q);
	q = xasprintf("%s/b.tar.gz.enc", dir);
	encrypt_file(&epub, p, q, true);
	{
		struct review_opts o = { .trust = &pub, .key = &esec };

		assert_int_equal(review_open(q, &o, &r, &err), 0);
		assert_true(r->encrypted && r->is_signed && r->trusted);
		assert_int_equal(strlen(r->signer), SIGN_FPR_LEN);
		review_free(r);
		r = NULL;
	}
	fs_remove_tree(dir);
	free(p);
	free(q);
	free(mem);
	free(msig);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_format_and_garbage),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_files_and_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
