/*
 * Parallel gzip members (core/gzpar.c) and the trailer check that reads
 * them (review/trailer.c): every size around the block boundary, with and
 * without threads, comes back byte for byte through zlib, gzip(1) and
 * libarchive; the trailer check accepts every member and still refuses a
 * flipped checksum in a later member and junk after the last.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "core/gzpar.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "review/trailer.h"

struct sink {
	unsigned char *p;
	size_t len, cap;
	int fail_after; /* calls before returning -ENOSPC; < 0 never */
	unsigned calls;
};

static int sink_fn(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	if (s->fail_after >= 0 && s->calls >= (unsigned)s->fail_after)
		return -ENOSPC;
	s->calls++;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->p = xrealloc(s->p, s->cap);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	return 0;
}

/* Text-like data that compresses but not to nothing. */
static unsigned char *make_input(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = 4711;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)("abcdefgh 0123\n"[(x >> 16) % 14]);
	}
	return p;
}

/* Inflate every member of gz; returns the members counted. */
static unsigned inflate_all(const unsigned char *gz, size_t len,
			    unsigned char *out, size_t cap, size_t *ret_len)
{
	z_stream z;
	unsigned members = 0;
	size_t pos = 0, olen = 0;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	while (pos < len) {
		int zr;

		z.next_in = (unsigned char *)gz + pos;
		z.avail_in = (uInt)(len - pos);
		z.next_out = out + olen;
		z.avail_out = (uInt)(cap - olen);
		zr = inflate(&z, Z_FINISH);
		assert_int_equal(zr, Z_STREAM_END);
		olen = cap - z.avail_out;
		pos = len - z.avail_in;
		members++;
		assert_int_equal(inflateReset(&z), Z_OK);
	}
	inflateEnd(&z);
	*ret_len = olen;
	return members;
}

static void compress_into(struct sink *s, const unsigned char *in, size_t n,
			  unsigned threads, size_t chunk)
{
	struct gzpar *g;

	memset(s, 0, sizeof(*s));
	s->fail_after = -1;
	assert_int_equal(gzpar_new(6, threads, sink_fn, s, &g), 0);
	for (size_t off = 0; off < n; off += chunk)
		assert_int_equal(gzpar_write(g, in + off,
					     n - off < chunk ? n - off : chunk),
				 0);
	assert_int_equal(gzpar_finish(g), 0);
	gzpar_free(g);
}

static int trailer_check(const unsigned char *p, size_t n, size_t step)
{
	struct trailer *t = trailer_new(UINT64_MAX);
	char *err = NULL;
	int r;

	for (size_t off = 0; off < n; off += step)
		trailer_feed(t, p + off, n - off < step ? n - off : step);
	r = trailer_finish(t, &err);
	free(err);
	trailer_free(t);
	return r;
}

static void test_roundtrip(void **state)
{
	const size_t B = GZPAR_BLOCK_SIZE;
	const size_t sizes[] = { 0, 1, B - 1, B, B + 1, 3 * B + 17, 9 * B };
	const unsigned threads[] = { 0, 1, 2, 4, 9 };
	const size_t chunks[] = { 7, 65536, 1000000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *in = make_input(sizes[i]);
		unsigned char *out = xmalloc(sizes[i] + 1);

		for (size_t t = 0; t < ARRAY_SIZE(threads); t++) {
			size_t chunk = chunks[(i + t) % ARRAY_SIZE(chunks)];
			unsigned want =
				sizes[i] ? (unsigned)((sizes[i] + B - 1) / B)
					 : 1;
			struct sink s;
			size_t olen;

			compress_into(&s, in, sizes[i], threads[t], chunk);
			/* one member per block, in order */
			assert_int_equal(inflate_all(s.p, s.len, out,
						     sizes[i] + 1, &olen),
					 want);
			assert_int_equal(olen, sizes[i]);
			assert_memory_equal(out, in, sizes[i]);
			assert_int_equal(trailer_check(s.p, s.len, 4096), 0);
			free(s.p);
		}
		free(in);
		free(out);
	}
}

/* Member boundaries fed byte by byte; damage in a later member. */
static void test_trailer_members(void **state)
{
	const size_t n = 2 * GZPAR_BLOCK_SIZE + 100;
	unsigned char *in = make_input(n);
	struct sink s;

	(void)state;
	compress_into(&s, in, n, 2, 65536);
	assert_int_equal(trailer_check(s.p, s.len, 1), 0);
	assert_int_equal(trailer_check(s.p, s.len, 3), 0);
	/* the last member's CRC-32 (8 bytes from the end) */
	s.p[s.len - 8] ^= 1;
	assert_int_equal(trailer_check(s.p, s.len, 65536), -EBADMSG);
	s.p[s.len - 8] ^= 1;
	/* junk after the last member, and a second header cut short */
	s.p = xrealloc(s.p, s.len + 4);
	memcpy(s.p + s.len, "junk", 4);
	assert_int_equal(trailer_check(s.p, s.len + 4, 4096), -EBADMSG);
	memcpy(s.p + s.len, "\x1f\x8b\x08", 3);
	assert_int_equal(trailer_check(s.p, s.len + 3, 4096), -EBADMSG);
	free(s.p);
	free(in);
}

/* gzip(1) and libarchive read the members as one stream. */
static void test_readers(void **state)
{
	const size_t n = 5 * GZPAR_BLOCK_SIZE + 3;
	char dir[] = "/tmp/rdiag-gzpar.XXXXXX", *path, *cmd;
	unsigned char *in = make_input(n), *out = xmalloc(n + 1);
	struct archive *a;
	struct archive_entry *e;
	struct sink s;
	size_t got = 0;
	la_ssize_t r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/x.gz", dir);
	compress_into(&s, in, n, 3, 100000);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s.p, 1, s.len, f), s.len);
	assert_int_equal(fclose(f), 0);
	cmd = xasprintf(
		"gzip -t '%s' && test \"$(gzip -dc '%s' | wc -c)\" = %zu", path,
		path, n);
	assert_int_equal(system(cmd), 0);
	free(cmd);

	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	assert_int_equal(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	while ((r = archive_read_data(a, out + got, n + 1 - got)) > 0)
		got += (size_t)r;
	assert_int_equal(r, 0);
	assert_int_equal(got, n);
	assert_memory_equal(out, in, n);
	archive_read_free(a);

	unlink(path);
	rmdir(dir);
	free(path);
	free(s.p);
	free(in);
	free(out);
}

/* The sink's error comes back and sticks, with threads or without. */
static void test_sink_error(void **state)
{
	const size_t n = 4 * GZPAR_BLOCK_SIZE;
	unsigned char *in = make_input(n);

	(void)state;
	for (unsigned threads = 0; threads <= 2; threads += 2) {
		struct sink s;
		struct gzpar *g;
		int r = 0;

		memset(&s, 0, sizeof(s));
		s.fail_after = 1;
		assert_int_equal(gzpar_new(6, threads, sink_fn, &s, &g), 0);
		for (size_t off = 0; off < n && r == 0; off += 65536)
			r = gzpar_write(g, in + off, 65536);
		if (r == 0)
			r = gzpar_finish(g);
		assert_int_equal(r, -ENOSPC);
		assert_int_equal(gzpar_write(g, in, 1), -ENOSPC);
		assert_int_equal(gzpar_finish(g), -ENOSPC);
		assert_int_equal(s.calls, 1);
		gzpar_free(g);
		free(s.p);
	}
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_trailer_members),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_sink_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
