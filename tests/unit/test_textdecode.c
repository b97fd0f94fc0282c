/*
 * Tests for textdecode.c: compressed logs, UTF-16, legacy 8-bit encodings
 * and NUL gaps become UTF-8 text; binary data and damaged streams are
 * named, never passed through.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/textdecode.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static int memfile(const void *p, size_t n)
{
	char path[] = "/tmp/rdiag-textdecode-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	if (n > 0)
		assert_int_equal(write_all(fd, p, n), 0);
	return fd;
}

static char *slurp(int fd, size_t *ret_len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *p = xmalloc((size_t)end + 1);

	assert_int_equal(pread(fd, p, (size_t)end, 0), end);
	p[end] = '\0';
	*ret_len = (size_t)end;
	return p;
}

/* Compress p with libarchive's raw writer and the named filter. */
static unsigned char *compress_raw(const char *filter, const void *p, size_t n,
				   size_t *ret_len)
{
	size_t cap = n + 4096, used = 0;
	unsigned char *out = xmalloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_add_filter_by_name(a, filter),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, out, cap, &used),
			 ARCHIVE_OK);
	archive_entry_set_pathname(e, "x");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, p, n), (la_ssize_t)n);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	*ret_len = used;
	return out;
}

/* iconv UTF-8 → enc, for building fixtures in foreign encodings. */
static char *encode(const char *enc, const char *utf8, size_t *ret_len)
{
	iconv_t cd = iconv_open(enc, "UTF-8");
	size_t il = strlen(utf8), ol = il * 4 + 8;
	char *out = xmalloc(ol), *ip = (char *)utf8, *op = out;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	*ret_len = (size_t)(op - out);
	return out;
}

struct run {
	int rc;
	struct textdecode td;
	char *text;
	size_t len;
	char *reason;
};

static void decode(const void *p, size_t n, struct run *r)
{
	int src = memfile(p, n), out = memfile(NULL, 0);

	memset(r, 0, sizeof(*r));
	r->rc = textdecode_fd(src, n, out, &r->td, &r->reason);
	if (r->rc == TEXTDECODE_DECODED)
		r->text = slurp(out, &r->len);
	close(src);
	close(out);
}

static void run_free(struct run *r)
{
	free(r->text);
	free(r->reason);
}

static const char sample[] =
	"2026-12-04 10:00:01 ERROR Verbindung fehlgeschlagen: Größe "
	"überschritten\n"
	"2026-12-04 10:00:02 INFO password=Xq7-not-a-real-one\n";

static void test_compressed(void **state)
{
	static const char *const filters[][2] = {
		{ "gzip", "gzip" },
		{ "zstd", "zstd" },
		{ "xz", "xz" },
		{ "bzip2", "bzip2" },
	};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		size_t n;
		unsigned char *z =
			compress_raw(filters[i][0], sample, strlen(sample), &n);
		struct run r;

		decode(z, n, &r);
		assert_int_equal(r.rc, TEXTDECODE_DECODED);
		assert_string_equal(r.td.compression, filters[i][1]);
		assert_string_equal(r.td.encoding, "UTF-8");
		assert_false(r.td.truncated);
		assert_int_equal(r.len, strlen(sample));
		assert_memory_equal(r.text, sample, r.len);
		run_free(&r);
		free(z);
	}
}

static void test_compressed_cut_and_bomb(void **state)
{
	size_t n, big = 4 * 1024 * 1024;
	char *zeros = xcalloc(1, big);
	unsigned char *z;
	struct run r;

	(void)state;
	/* A rotated log cut by the copy cap: what decompressed is kept. */
	for (size_t i = 0; i < 20000; i++)
		snprintf(zeros + i * 40, 41,
			 "%08zu line of a rotated log, all ok.\n", i);
	z = compress_raw("gzip", zeros, 20000 * 40, &n);
	decode(z, n / 2, &r);
	assert_int_equal(r.rc, TEXTDECODE_DECODED);
	assert_true(r.td.truncated);
	assert_non_null(strstr(r.text, "[rdiag: text cut after"));
	assert_memory_equal(r.text, zeros, 4000);
	run_free(&r);
	free(z);

	/* 4 MiB of one letter compress ~1000:1: stopped at 250:1. */
	memset(zeros, 'a', big);
	z = compress_raw("gzip", zeros, big, &n);
	decode(z, n, &r);
	assert_int_equal(r.rc, TEXTDECODE_DECODED);
	assert_true(r.td.truncated);
	assert_true(r.len <= n * TEXTDECODE_RATIO + 128);
	run_free(&r);
	free(z);

	/* Garbage behind a gzip magic is named, not passed. */
	decode("\x1f\x8b\x08\x00garbage", 12, &r);
	assert_int_equal(r.rc, -EMEDIUMTYPE);
	assert_non_null(strstr(r.reason, "gzip"));
	run_free(&r);
	free(zeros);
}

static void test_utf16(void **state)
{
	static const char *const encs[] = { "UTF-16LE", "UTF-16BE" };
	const char *text =
		"[Settings]\r\nServer=db01\r\nPassword=Kw9-not-real\r\n"
		"Пользователь=Иван\r\n";

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		for (int bom = 0; bom < 2; bom++) {
			size_t n;
			char *e = encode(encs[i], text, &n);
			struct buf b;
			struct run r;

			buf_init(&b, 0);
			if (bom)
				buf_append(&b, i == 0 ? "\xff\xfe" : "\xfe\xff",
					   2);
			buf_append(&b, e, n);
			decode(b.data, b.len, &r);
			assert_int_equal(r.rc, TEXTDECODE_DECODED);
			assert_string_equal(r.td.encoding, encs[i]);
			assert_string_equal(r.text, text);
			run_free(&r);
			buf_release(&b);
			free(e);
		}
	}
}

static void test_legacy(void **state)
{
	static const struct {
		const char *enc;
		const char *text;
	} cases[] = {
		{ "CP1251", "2026-12-04 ОШИБКА: не удалось подключиться к "
			    "серверу базы данных, пароль=секрет1\n" },
		{ "CP1252", "2026-12-04 FEHLER: Verbindung für Größe "
			    "überschritten, Kennwort=geheim\n" },
		{ "SHIFT_JIS",
		  "2026-12-04 エラー: データベースに接続できません "
		  "パスワード=ひみつ\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		char *e = encode(cases[i].enc, cases[i].text, &n);
		struct run r;

		decode(e, n, &r);
		assert_int_equal(r.rc, TEXTDECODE_DECODED);
		assert_string_equal(r.td.encoding, cases[i].enc);
		assert_string_equal(r.text, cases[i].text);
		run_free(&r);
		free(e);
	}
}

static void test_plain_and_gaps(void **state)
{
	char gaps[300];
	struct run r;
	bool nul;

	(void)state;
	decode(sample, strlen(sample), &r);
	assert_int_equal(r.rc, TEXTDECODE_AS_IS);
	assert_string_equal(r.td.encoding, "UTF-8");
	run_free(&r);

	/* A log preallocated with NULs, written over in part. */
	memset(gaps, 0, sizeof(gaps));
	memcpy(gaps, "start ok\n", 9);
	memcpy(gaps + 200, "token=abc\n", 10);
	decode(gaps, sizeof(gaps), &r);
	assert_int_equal(r.rc, TEXTDECODE_AS_IS);
	assert_true(r.td.nul_gaps);
	run_free(&r);

	/* Binary: NULs and control bytes everywhere. */
	{
		unsigned char bin[4096];
		uint32_t x = 2463534242u;

		for (size_t i = 0; i < sizeof(bin); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			bin[i] = (unsigned char)x;
		}
		decode(bin, sizeof(bin), &r);
		assert_int_equal(r.rc, -EMEDIUMTYPE);
		assert_non_null(strstr(r.reason, "not text"));
		run_free(&r);
		assert_null(textdecode_sniff(bin, sizeof(bin), &nul));
	}
}

static void test_sniff(void **state)
{
	static const struct {
		const char *head;
		size_t len;
		const char *enc; /* NULL: binary */
	} cases[] = {
		{ "", 0, "UTF-8" },
		{ "plain ascii log line\n", 21, "UTF-8" },
		{ "gr\xc3\xbc\xc3\x9f dich, \xe2\x82\xac 5\n", 19, "UTF-8" },
		/* Latin-1 umlauts in a Windows log are still text. */
		{ "Datei f\xfcr Benutzer gel\xf6scht, alles ok\n", 37,
		  "CP1252" },
		/* A UTF-8 sequence cut at the end of the head is fine. */
		{ "abcdefghij\xe2\x82", 12, "UTF-8" },
		/* A NUL gap is not binary. */
		{ "ab\0cd", 5, "UTF-8" },
		{ "\x7f"
		  "ELF\x02\x01\x01",
		  7, NULL },
		{ "\x01\x02\x03\x04\x05\x06\x07 abc", 11, NULL },
	};
	bool nul;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *enc =
			textdecode_sniff((const unsigned char *)cases[i].head,
					 cases[i].len, &nul);

		if (!cases[i].enc ? enc != NULL
				  : !enc || strcmp(enc, cases[i].enc) != 0)
			fail_msg("case %zu: %s", i, enc ? enc : "binary");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_compressed_cut_and_bomb),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_plain_and_gaps),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
