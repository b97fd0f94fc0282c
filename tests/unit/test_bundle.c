/*
 * Unit tests for bundle: round trips in both compressions read back with
 * libarchive and checked against manifest.json and the sidecar; refusals of
 * unsafe sources and paths; what an aborted or SIGKILLed bundle leaves.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "core/bundle.h"
#include "core/redact.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "review/trailer.h"

#define SECRET "FAKE-pw-01"

struct entry {
	char *path;
	mode_t type;
	mode_t perm;
	int64_t uid, gid;
	char *uname, *gname;
	time_t mtime;
	char *data;
	size_t len;
};

struct readback {
	struct entry *e;
	size_t n;
	int filter; /* ARCHIVE_FILTER_* of the outer compression */
};

static char *tmpdir_new(void)
{
	char *d = xstrdup("/tmp/rdiag-test-bundle-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

/* Remove a tree this test made; it holds no links to follow. */
static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		d = opendir(path);
		assert_non_null(d);
		while ((de = readdir(d))) {
			char *sub;

			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			rm_rf(sub);
			free(sub);
		}
		closedir(d);
		assert_int_equal(rmdir(path), 0);
	} else {
		assert_int_equal(unlink(path), 0);
	}
}

/* Sorted, newline-joined names in dir: easy to compare as one string. */
static char *dir_listing(const char *dir)
{
	struct dirent **list = NULL;
	struct buf b;
	int n = scandir(dir, &list, NULL, alphasort);

	assert_true(n >= 0);
	buf_init(&b, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") &&
		    strcmp(list[i]->d_name, ".."))
			buf_printf(&b, "%s\n", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return buf_detach(&b, NULL);
}

static char *write_file(const char *dir, const char *name, const void *data,
			size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

static char *read_file(const char *path, size_t *ret_len)
{
	struct buf b;
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	buf_init(&b, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(&b, chunk, (size_t)n), 0);
	assert_int_equal(n, 0);
	close(fd);
	return buf_detach(&b, ret_len);
}

/* How many gzip members follow each other in p (zlib reads each). */
static unsigned gzip_members(const void *p, size_t len)
{
	unsigned char out[65536];
	unsigned members = 0;
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)len;
	while (z.avail_in > 0) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		zr = inflate(&z, Z_NO_FLUSH);
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
		if (zr == Z_STREAM_END) {
			members++;
			assert_int_equal(inflateReset(&z), Z_OK);
		}
	}
	inflateEnd(&z);
	return members;
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, p, n);
	sodium_bin2hex(hex, 65, d, sizeof(d));
}

static void bundle_read(const char *path, struct readback *rb)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r;

	memset(rb, 0, sizeof(*rb));
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		struct entry *e;
		struct buf data;
		char chunk[65536];
		la_ssize_t n;

		rb->e = xreallocarray(rb->e, rb->n + 1, sizeof(*rb->e));
		e = &rb->e[rb->n++];
		e->path = xstrdup(archive_entry_pathname(ae));
		e->type = archive_entry_filetype(ae);
		e->perm = archive_entry_perm(ae);
		e->uid = archive_entry_uid(ae);
		e->gid = archive_entry_gid(ae);
		e->uname = xstrdup(archive_entry_uname(ae));
		e->gname = xstrdup(archive_entry_gname(ae));
		e->mtime = archive_entry_mtime(ae);
		buf_init(&data, 0);
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			assert_int_equal(buf_append(&data, chunk, (size_t)n),
					 0);
		assert_int_equal(n, 0);
		e->data = buf_detach(&data, &e->len);
	}
	assert_int_equal(r, ARCHIVE_EOF);
	rb->filter = archive_filter_code(a, 0);
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
}

static void readback_release(struct readback *rb)
{
	for (size_t i = 0; i < rb->n; i++) {
		free(rb->e[i].path);
		free(rb->e[i].uname);
		free(rb->e[i].gname);
		free(rb->e[i].data);
	}
	free(rb->e);
}

static const struct entry *readback_find(const struct readback *rb,
					 const char *path)
{
	for (size_t i = 0; i < rb->n; i++)
		if (!strcmp(rb->e[i].path, path))
			return &rb->e[i];
	return NULL;
}

static bool mem_contains(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(p + i, needle, n))
			return true;
	return false;
}

/* A deterministic byte stream with NULs: certainly not text. */
static unsigned char *binary_blob(size_t len)
{
	unsigned char *p = xmalloc(len);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(i % 7 == 0 ? 0 : x);
	}
	return p;
}

static const char text_log[] =
	"2026-11-28 07:17:45 INFO app: connected to db01\n"
	"2026-11-28 07:17:45 DEBUG config: password = " SECRET "\n"
	"2026-11-28 07:17:46 WARN app: slow query (812 ms)\n";

/*
 * Small plain text is redacted in memory, larger text through scratch
 * files: both give the same bytes (the small file is the large one's
 * head, cut at a line), and small files that are not plain UTF-8 (UTF-16,
 * gzip, binary) still take the general path.
 */
static void test_small_files(void **state)
{
	char *src = tmpdir_new(), *out = tmpdir_new(), *err = NULL;
	char *path = NULL, *small_path, *large_path, *u16_path, *bin_path;
	const struct entry *s, *l, *u;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	struct readback rb;
	struct buf text;
	char sha[65];
	uint64_t size;
	size_t cut = 0;

	(void)state;
	buf_init(&text, 0);
	while (text.len < 200 * 1024) {
		if (text.len < 60 * 1024)
			cut = text.len;
		buf_puts(&text, text_log);
	}
	small_path = write_file(src, "small.log", text.data, cut);
	large_path = write_file(src, "large.log", text.data, text.len);
	u16_path = write_file(src, "u16.log", "\xff\xfeo\0k\0\n\0", 8);
	bin_path = write_file(src, "bin.log",
			      "\x7f"
			      "ELF\0\0\1\2\3",
			      9);
	assert_int_equal(bundle_open(out, "rdiag-h-1-20261128T071745Z",
				     BUNDLE_GZIP, red, &b, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "s.log", small_path, true, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "l.log", large_path, true, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "u.log", u16_path, true, &err), 0);
	assert_int_equal(bundle_add_file(b, "b.log", bin_path, true, &err), 0);
	assert_int_equal(bundle_close(b, &(struct bundle_manifest){ 0 }, &path,
				      &size, sha, &err),
			 0);
	bundle_read(path, &rb);
	s = readback_find(&rb, "rdiag-h-1-20261128T071745Z/s.log");
	l = readback_find(&rb, "rdiag-h-1-20261128T071745Z/l.log");
	u = readback_find(&rb, "rdiag-h-1-20261128T071745Z/u.log");
	assert_non_null(s);
	assert_non_null(l);
	assert_true(s->len > 0 && s->len < l->len);
	assert_memory_equal(s->data, l->data, s->len);
	assert_null(strstr(s->data, SECRET));
	assert_non_null(strstr(s->data, "[REDACTED:"));
	/* decoded by the general path, and the binary one left out */
	assert_non_null(u);
	assert_int_equal(u->len, 3);
	assert_memory_equal(u->data, "ok\n", 3);
	assert_null(readback_find(&rb, "rdiag-h-1-20261128T071745Z/b.log"));
	readback_release(&rb);
	redactor_free(red);
	buf_release(&text);
	rm_rf(src);
	rm_rf(out);
	free(small_path);
	free(large_path);
	free(u16_path);
	free(bin_path);
	free(path);
	free(src);
	free(out);
}

static void test_roundtrip(void **state)
{
	const enum bundle_compress c = *(const enum bundle_compress *)*state;
	static const char findings[] = "[{\"id\":\"system.disk.full\"}]\n";
	char *src = tmpdir_new(), *out = tmpdir_new();
	char *log_path, *bin_path, *raw_path, *big_path, *empty_path;
	char *path = NULL, *err = NULL, *name, *expect, *side, *list, *bytes;
	unsigned char *bin = binary_blob(300 * 1024);
	struct buf big;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	struct readback rb;
	struct stat st;
	const struct entry *e, *me;
	struct bundle_manifest man = { 0 };
	json_t *base, *m, *files, *f, *redactions, *v;
	json_error_t jerr;
	char sha[65], hex[65], prefix[64];
	const char *key;
	uint64_t size = 0, fired = 0;
	size_t len, i, regular = 0;
	time_t t0, t1;

	buf_init(&big, 0);
	for (i = 0; big.len < 1536 * 1024; i++)
		buf_printf(&big, "%zu the quick brown fox jumps over it\n", i);
	log_path = write_file(src, "app.log", text_log, strlen(text_log));
	bin_path = write_file(src, "blob.bin", bin, 300 * 1024);
	raw_path = write_file(src, "raw.txt", text_log, strlen(text_log));
	big_path = write_file(src, "big.txt", big.data, big.len);
	empty_path = write_file(src, "empty.txt", "", 0);

	t0 = time(NULL);
	assert_int_equal(bundle_open(out, "rdiag-h-4711-20261128T071745Z", c,
				     red, &b, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "collectors/system/app.log",
					 log_path, true, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "collectors/system/blob.bin",
					 bin_path, true, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "collectors/nas/raw.txt", raw_path,
					 false, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "collectors/nas/big.txt", big_path,
					 false, &err),
			 0);
	assert_int_equal(
		bundle_add_file(b, "empty.txt", empty_path, true, &err), 0);
	assert_int_equal(bundle_add_data(b, "findings.json", findings,
					 strlen(findings), &err),
			 0);
	/* The schema's keys cannot be overridden through extra. */
	base = json_pack("{s:s, s:s}", "format", "bogus", "files", "bogus");
	man.agent_version = "0.1.0";
	man.host = "h";
	man.extra = base;
	assert_int_equal(bundle_close(b, &man, &path, &size, sha, &err), 0);
	json_decref(base);
	t1 = time(NULL);

	/* The file, its mode and its sidecar. */
	name = xasprintf("rdiag-h-4711-20261128T071745Z.%s", bundle_suffix(c));
	expect = xasprintf("%s/%s", out, name);
	assert_string_equal(path, expect);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal((uint64_t)st.st_size, size);
	list = dir_listing(out);
	free(expect);
	expect = xasprintf("%s\n%s.sha256\n", name, name);
	assert_string_equal(list, expect);
	bytes = read_file(path, &len);
	sha256_hex(bytes, len, hex);
	if (c == BUNDLE_GZIP) {
		/* 1.8 MiB of entries: several gzip members, each checked */
		struct trailer *t = trailer_new(UINT64_MAX);

		assert_true(gzip_members(bytes, len) >= 3);
		trailer_feed(t, bytes, len);
		assert_int_equal(trailer_finish(t, NULL), 0);
		trailer_free(t);
	}
	free(bytes);
	assert_string_equal(sha, hex);
	free(expect);
	expect = xasprintf("%s  %s\n", hex, name);
	side = xasprintf("%s.sha256", path);
	bytes = read_file(side, NULL);
	assert_string_equal(bytes, expect);
	free(bytes);

	/* The entries. */
	bundle_read(path, &rb);
	assert_int_equal(rb.filter, c == BUNDLE_ZSTD ? ARCHIVE_FILTER_ZSTD
						     : ARCHIVE_FILTER_GZIP);
	assert_true(rb.n > 0);
	assert_string_equal(rb.e[0].path, "rdiag-h-4711-20261128T071745Z/");
	snprintf(prefix, sizeof(prefix), "%s", rb.e[0].path);
	for (i = 0; i < rb.n; i++) {
		e = &rb.e[i];
		assert_memory_equal(e->path, prefix, strlen(prefix));
		assert_int_equal(e->uid, 0);
		assert_int_equal(e->gid, 0);
		assert_string_equal(e->uname, "rdiag");
		assert_string_equal(e->gname, "rdiag");
		assert_true(e->mtime >= t0 && e->mtime <= t1);
		if (e->type == AE_IFDIR) {
			assert_int_equal(e->perm, 0700);
		} else {
			assert_int_equal(e->type, AE_IFREG);
			assert_int_equal(e->perm, 0600);
			regular++;
		}
	}
	me = &rb.e[rb.n - 1];
	assert_string_equal(me->path, "rdiag-h-4711-20261128T071745Z/"
				      "manifest.json");
	assert_false(mem_contains(me->data, me->len, SECRET));

	/* manifest.json against what was read back. */
	m = json_loadb(me->data, me->len, 0, &jerr);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "format")),
			    BUNDLE_FORMAT);
	assert_string_equal(json_string_value(json_object_get(m, "host")), "h");
	assert_true(json_is_null(json_object_get(m, "ticket")));
	assert_true(json_is_array(json_object_get(m, "collectors")));
	files = json_object_get(m, "files");
	assert_int_equal(json_array_size(files), regular - 1);
	json_array_foreach(files, i, f)
	{
		char *full = xasprintf(
			"%s%s", prefix,
			json_string_value(json_object_get(f, "path")));

		e = readback_find(&rb, full);
		assert_non_null(e);
		free(full);
		assert_int_equal(json_integer_value(json_object_get(f, "size")),
				 e->len);
		sha256_hex(e->data, e->len, hex);
		assert_string_equal(
			json_string_value(json_object_get(f, "sha256")), hex);
	}

	/* Contents: redacted, byte-identical, untouched. */
	e = readback_find(&rb, "rdiag-h-4711-20261128T071745Z/collectors/"
			       "system/app.log");
	assert_non_null(e);
	assert_false(mem_contains(e->data, e->len, SECRET));
	assert_true(mem_contains(e->data, e->len, "[REDACTED:"));
	assert_true(mem_contains(e->data, e->len, "slow query (812 ms)"));
	/* A file that cannot be made text is never shipped unredacted: it
	 * is left out and listed with the reason. */
	assert_null(readback_find(&rb, "rdiag-h-4711-20261128T071745Z/"
				       "collectors/system/blob.bin"));
	v = json_array_get(json_object_get(m, "omitted"), 0);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "path")),
			    "collectors/system/blob.bin");
	assert_int_equal(json_integer_value(json_object_get(v, "size")),
			 300 * 1024);
	assert_non_null(strstr(json_string_value(json_object_get(v, "reason")),
			       "not text"));
	e = readback_find(&rb, "rdiag-h-4711-20261128T071745Z/collectors/nas/"
			       "raw.txt");
	assert_non_null(e);
	assert_int_equal(e->len, strlen(text_log));
	assert_memory_equal(e->data, text_log, e->len);
	e = readback_find(&rb, "rdiag-h-4711-20261128T071745Z/collectors/nas/"
			       "big.txt");
	assert_non_null(e);
	assert_int_equal(e->len, big.len);
	assert_memory_equal(e->data, big.data, big.len);
	e = readback_find(&rb, "rdiag-h-4711-20261128T071745Z/findings.json");
	assert_non_null(e);
	assert_int_equal(e->len, strlen(findings));
	assert_memory_equal(e->data, findings, e->len);
	assert_non_null(readback_find(&rb, "rdiag-h-4711-20261128T071745Z/"
					   "collectors/nas/"));
	e = readback_find(&rb, "rdiag-h-4711-20261128T071745Z/empty.txt");
	assert_non_null(e);
	assert_int_equal(e->len, 0);

	/* Counts only, for rules that fired. */
	redactions = json_object_get(m, "redactions");
	assert_true(json_is_object(redactions));
	json_object_foreach(redactions, key, v)
	{
		assert_true(json_integer_value(v) > 0);
		fired += (uint64_t)json_integer_value(v);
	}
	assert_true(fired >= 1);

	json_decref(m);
	readback_release(&rb);
	redactor_free(red);
	free(side);
	free(expect);
	free(list);
	free(name);
	free(path);
	free(bin);
	buf_release(&big);
	free(log_path);
	free(bin_path);
	free(raw_path);
	free(big_path);
	free(empty_path);
	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
}

enum src_kind {
	SRC_FILE,
	SRC_SYMLINK,
	SRC_DIR,
	SRC_FIFO,
	SRC_MISSING,
};

static void test_refusals(void **state)
{
	static const struct {
		const char *arcpath;
		enum src_kind kind;
		int r;
		bool names_src; /* else the message names the arcpath */
	} cases[] = {
		{ "link.txt", SRC_SYMLINK, -EINVAL, true },
		{ "dir", SRC_DIR, -EINVAL, true },
		{ "fifo", SRC_FIFO, -EINVAL, true },
		{ "missing.txt", SRC_MISSING, -ENOENT, true },
		{ "../x", SRC_FILE, -EINVAL, false },
		{ "/etc/passwd", SRC_FILE, -EINVAL, false },
		{ "a//b", SRC_FILE, -EINVAL, false },
		{ "a/./b", SRC_FILE, -EINVAL, false },
		{ "a/../../b", SRC_FILE, -EINVAL, false },
		{ "a/", SRC_FILE, -EINVAL, false },
		{ "", SRC_FILE, -EINVAL, false },
		{ "bad\nname", SRC_FILE, -EINVAL, false },
		{ "latin1-\xe9", SRC_FILE, -EINVAL, false },
		{ "manifest.json", SRC_FILE, -EEXIST, false },
		{ "ok.txt", SRC_FILE, -EEXIST, false },     /* duplicate */
		{ "ok.txt/sub", SRC_FILE, -EEXIST, false }, /* under a file */
	};
	char *src = tmpdir_new(), *out = tmpdir_new(), *ok, *link_path,
	     *fifo_path, *list, *err = NULL;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;

	(void)state;
	ok = write_file(src, "ok.txt", "hello\n", 6);
	link_path = xasprintf("%s/link.txt", src);
	assert_int_equal(symlink(ok, link_path), 0);
	fifo_path = xasprintf("%s/fifo", src);
	assert_int_equal(mkfifo(fifo_path, 0600), 0);

	assert_int_equal(
		bundle_open(out, "refusals", BUNDLE_GZIP, red, &b, &err), 0);
	assert_int_equal(bundle_add_file(b, "ok.txt", ok, true, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p;
		const char *named;

		switch (cases[i].kind) {
		case SRC_SYMLINK:
			p = xstrdup(link_path);
			break;
		case SRC_DIR:
			p = xstrdup(src);
			break;
		case SRC_FIFO:
			p = xstrdup(fifo_path);
			break;
		case SRC_MISSING:
			p = xasprintf("%s/missing.txt", src);
			break;
		default:
			p = xstrdup(ok);
			break;
		}
		err = NULL;
		assert_int_equal(
			bundle_add_file(b, cases[i].arcpath, p, true, &err),
			cases[i].r);
		assert_non_null(err);
		named = cases[i].names_src ? p : cases[i].arcpath;
		if (!strstr(err, named))
			fprintf(stderr, "case %zu: %s\n", i, err);
		assert_non_null(strstr(err, named));
		free(err);
		free(p);
	}
	err = NULL;
	assert_int_equal(bundle_add_data(b, "../evil", "x", 1, &err), -EINVAL);
	free(err);

	/* Refusals leave nothing but the .partial, and abort removes it. */
	list = dir_listing(out);
	assert_string_equal(list, "refusals.tar.gz.partial\n");
	free(list);
	bundle_abort(b);
	list = dir_listing(out);
	assert_string_equal(list, "");
	free(list);

	redactor_free(red);
	free(ok);
	free(link_path);
	free(fifo_path);
	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
}

/* A refused file does not spoil the bundle: it closes with the rest. */
static void test_usable_after_refusal(void **state)
{
	char *src = tmpdir_new(), *out = tmpdir_new(), *ok, *missing,
	     *path = NULL, *err = NULL;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	struct readback rb;
	const struct entry *e;
	json_t *m;
	uint64_t size;
	char sha[65];

	(void)state;
	ok = write_file(src, "ok.txt", "hello\n", 6);
	missing = xasprintf("%s/missing", src);
	assert_int_equal(bundle_open(out, "after", BUNDLE_ZSTD, red, &b, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "missing", missing, true, &err),
			 -ENOENT);
	assert_non_null(strstr(err, missing));
	free(err);
	err = NULL;
	assert_int_equal(bundle_add_file(b, "ok.txt", ok, true, &err), 0);
	assert_int_equal(bundle_close(b, NULL, &path, &size, sha, &err), 0);

	bundle_read(path, &rb);
	e = readback_find(&rb, "after/manifest.json");
	assert_non_null(e);
	m = json_loadb(e->data, e->len, 0, NULL);
	assert_non_null(m);
	assert_int_equal(json_array_size(json_object_get(m, "files")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(m, "files"), 0),
			"path")),
		"ok.txt");
	json_decref(m);
	readback_release(&rb);
	redactor_free(red);
	free(path);
	free(ok);
	free(missing);
	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
}

static void test_open_refusals(void **state)
{
	char *out = tmpdir_new(), *err = NULL, *list, *p;
	struct bundle *b = NULL;

	(void)state;
	assert_int_equal(bundle_open(out, "a/b", BUNDLE_GZIP, NULL, &b, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "a/b"));
	free(err);
	err = NULL;
	assert_int_equal(bundle_open(out, "", BUNDLE_GZIP, NULL, &b, &err),
			 -EINVAL);
	free(err);
	err = NULL;
	assert_int_equal(bundle_open("/nonexistent/dir", "x", BUNDLE_GZIP, NULL,
				     &b, &err),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/dir"));
	free(err);
	err = NULL;
	/* An existing bundle is never replaced. */
	p = write_file(out, "taken.tar.gz", "old", 3);
	assert_int_equal(bundle_open(out, "taken", BUNDLE_GZIP, NULL, &b, &err),
			 -EEXIST);
	assert_non_null(strstr(err, "taken.tar.gz"));
	free(err);
	err = NULL;
	list = dir_listing(out);
	assert_string_equal(list, "taken.tar.gz\n");
	free(list);
	free(p);
	rm_rf(out);
	free(out);
}

static void test_abort(void **state)
{
	char *src = tmpdir_new(), *out = tmpdir_new(), *p, *list, *err = NULL;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;

	(void)state;
	p = write_file(src, "app.log", text_log, strlen(text_log));
	assert_int_equal(
		bundle_open(out, "aborted", BUNDLE_GZIP, red, &b, &err), 0);
	assert_int_equal(bundle_add_file(b, "x/app.log", p, true, &err), 0);
	assert_int_equal(bundle_add_data(b, "y", "data", 4, &err), 0);
	bundle_abort(b);
	bundle_abort(NULL);
	list = dir_listing(out);
	assert_string_equal(list, "");
	free(list);
	redactor_free(red);
	free(p);
	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
}

/* ~100 MB of log-like text in 20 files: random words, no secrets. */
static void make_big_tree(const char *dir)
{
	static const char *const words[] = {
		"connect", "timeout", "retry",  "share",    "lock",  "query",
		"user",    "session", "commit", "rollback", "index", "scan",
		"cache",   "miss",    "disk",   "latency",  "ok",    "warn",
	};
	char *chunk = xmalloc(1 << 20);
	uint32_t x = 88172645u;

	for (int f = 0; f < 20; f++) {
		char *name = xasprintf("%s/f%02d.log", dir, f);
		char *p;
		int fd;

		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		for (int mb = 0; mb < 5; mb++) {
			size_t len = 0;

			while (len < (1 << 20) - 64) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				p = chunk + len;
				len += (size_t)snprintf(
					p, 64, "%u %s %s\n", x % 100000,
					words[x % ARRAY_SIZE(words)],
					words[(x >> 8) % ARRAY_SIZE(words)]);
			}
			assert_int_equal(write_all(fd, chunk, len), 0);
		}
		close(fd);
		free(name);
	}
	free(chunk);
}

static RDIAG_NORETURN void bundle_tree_child(const char *src, const char *out)
{
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	char *err = NULL;

	if (bundle_open(out, "killed", BUNDLE_GZIP, red, &b, &err) < 0)
		_exit(2);
	for (int f = 0; f < 20; f++) {
		char *p = xasprintf("%s/f%02d.log", src, f);
		char *arc = xasprintf("logs/f%02d.log", f);

		if (bundle_add_file(b, arc, p, true, &err) < 0)
			_exit(3);
		free(p);
		free(arc);
	}
	if (bundle_close(b, NULL, NULL, NULL, NULL, &err) < 0)
		_exit(4);
	_exit(0);
}

static void test_sigkill(void **state)
{
	char *src = tmpdir_new(), *out = tmpdir_new(), *partial, *list, *p,
	     *err = NULL, *path = NULL;
	struct redactor *red = redactor_new();
	struct bundle *b = NULL;
	struct stat st;
	int status, i;
	pid_t pid;

	(void)state;
	make_big_tree(src);
	partial = xasprintf("%s/killed.tar.gz.partial", out);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		bundle_tree_child(src, out);

	/* Kill it mid-stream: once the .partial holds some output. */
	for (i = 0; i < 60000; i++) {
		if (stat(partial, &st) == 0 && st.st_size >= 256 * 1024)
			break;
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	assert_true(i < 60000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* Only the .partial may remain: no final name, no scratch dir. */
	list = dir_listing(out);
	assert_string_equal(list, "killed.tar.gz.partial\n");
	free(list);

	/* A later bundle in the same place is not disturbed by it. */
	p = write_file(src, "small.txt", "small\n", 6);
	assert_int_equal(bundle_open(out, "next", BUNDLE_GZIP, red, &b, &err),
			 0);
	assert_int_equal(bundle_add_file(b, "small.txt", p, true, &err), 0);
	assert_int_equal(bundle_close(b, NULL, &path, NULL, NULL, &err), 0);
	list = dir_listing(out);
	assert_string_equal(list, "killed.tar.gz.partial\nnext.tar.gz\n"
				  "next.tar.gz.sha256\n");
	free(list);

	redactor_free(red);
	free(path);
	free(p);
	free(partial);
	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
}

int main(void)
{
	static const enum bundle_compress gzip = BUNDLE_GZIP,
					  zstd = BUNDLE_ZSTD;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_roundtrip, (void *)&gzip),
		cmocka_unit_test_prestate(test_roundtrip, (void *)&zstd),
		cmocka_unit_test(test_small_files),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_usable_after_refusal),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_sigkill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
