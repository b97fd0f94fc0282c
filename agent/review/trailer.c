/*
 * Checks the compression trailer of a bundle (see trailer.h): gzip's CRC-32
 * and ISIZE of every member through zlib (inflate with gzip decoding
 * verifies both), zstd's content checksum through libzstd. Output is thrown
 * away; only its amount is counted against a cap.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "core/error.h"
#include "rdiag/util.h"
#include "review/trailer.h"

enum trailer_kind { TRAILER_UNKNOWN, TRAILER_GZIP, TRAILER_ZSTD };

struct trailer {
	enum trailer_kind kind;
	uint64_t max_out, out;
	unsigned char magic[4];
	size_t nmagic;
	z_stream z;
	bool z_init;
	ZSTD_DStream *zs;
	bool ended; /* the stream (gzip member, zstd frame) ended cleanly */
	int err;    /* sticky: 0, -EBADMSG or -EFBIG */
	char *msg;
	unsigned char *out_buf;
};

#define TRAILER_OUT 65536

struct trailer *trailer_new(uint64_t max_out)
{
	struct trailer *t = xcalloc(1, sizeof(*t));

	t->max_out = max_out;
	t->out_buf = xmalloc(TRAILER_OUT);
	return t;
}

static void trailer_fail(struct trailer *t, int err, const char *msg)
{
	if (t->err)
		return;
	t->err = err;
	t->msg = xstrdup(msg);
}

static bool trailer_count(struct trailer *t, size_t n)
{
	t->out += n;
	if (t->out > t->max_out) {
		trailer_fail(t, -EFBIG, "archive unpacks to more than allowed");
		return false;
	}
	return true;
}

static void feed_gzip(struct trailer *t, const unsigned char *p, size_t n)
{
	t->z.next_in = (unsigned char *)p;
	t->z.avail_in = (uInt)n;
	while (!t->err && (t->z.avail_in > 0 || !t->ended)) {
		int zr;

		if (t->ended) {
			/*
			 * rdiag writes its gzip as independent members, one
			 * after another (RFC 1952 2.2); anything else after a
			 * member's end is damage.
			 */
			if (t->z.next_in[0] != 0x1f ||
			    inflateReset(&t->z) != Z_OK) {
				trailer_fail(t, -EBADMSG,
					     "data after the end of the gzip "
					     "stream");
				return;
			}
			t->ended = false;
		}
		t->z.next_out = t->out_buf;
		t->z.avail_out = TRAILER_OUT;
		zr = inflate(&t->z, Z_NO_FLUSH);
		if (!trailer_count(t, TRAILER_OUT - t->z.avail_out))
			return;
		if (zr == Z_STREAM_END) {
			t->ended = true;
		} else if (zr == Z_BUF_ERROR ||
			   (zr == Z_OK && t->z.avail_in == 0 &&
			    t->z.avail_out > 0)) {
			return; /* wants more input */
		} else if (zr != Z_OK) {
			trailer_fail(t, -EBADMSG,
				     t->z.msg ? t->z.msg : "corrupt gzip data");
			return;
		}
	}
}

static void feed_zstd(struct trailer *t, const unsigned char *p, size_t n)
{
	ZSTD_inBuffer in = { p, n, 0 };

	while (!t->err && in.pos < in.size) {
		ZSTD_outBuffer out = { t->out_buf, TRAILER_OUT, 0 };
		size_t zr = ZSTD_decompressStream(t->zs, &out, &in);

		if (ZSTD_isError(zr)) {
			trailer_fail(t, -EBADMSG, ZSTD_getErrorName(zr));
			return;
		}
		if (!trailer_count(t, out.pos))
			return;
		/* 0: a frame ended and its checksum (if any) matched. */
		t->ended = zr == 0;
	}
}

static void trailer_start(struct trailer *t)
{
	static const unsigned char gz[2] = { 0x1f, 0x8b };
	static const unsigned char zst[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (memcmp(t->magic, gz, 2) == 0) {
		t->kind = TRAILER_GZIP;
		/* 16 + MAX_WBITS: gzip wrapper, CRC-32 and ISIZE checked. */
		if (inflateInit2(&t->z, 16 + MAX_WBITS) != Z_OK) {
			trailer_fail(t, -EBADMSG, "cannot start zlib");
			return;
		}
		t->z_init = true;
	} else if (memcmp(t->magic, zst, 4) == 0) {
		t->kind = TRAILER_ZSTD;
		t->zs = ZSTD_createDStream();
		if (!t->zs || ZSTD_isError(ZSTD_initDStream(t->zs)))
			trailer_fail(t, -EBADMSG, "cannot start zstd");
	} else {
		/* Not ours to judge: the reader refuses other formats. */
		t->err = 1;
	}
}

static void trailer_feed_kind(struct trailer *t, const unsigned char *p,
			      size_t n)
{
	if (t->kind == TRAILER_GZIP)
		feed_gzip(t, p, n);
	else if (t->kind == TRAILER_ZSTD)
		feed_zstd(t, p, n);
}

void trailer_feed(struct trailer *t, const void *data, size_t n)
{
	const unsigned char *p = data;

	if (t->err || n == 0)
		return;
	if (t->kind == TRAILER_UNKNOWN) {
		size_t take = 4 - t->nmagic < n ? 4 - t->nmagic : n;

		memcpy(t->magic + t->nmagic, p, take);
		t->nmagic += take;
		if (t->nmagic < 4)
			return;
		trailer_start(t);
		if (t->err)
			return;
		/* The magic bytes were held back; give them first. */
		trailer_feed_kind(t, t->magic, 4);
		p += take;
		n -= take;
	}
	trailer_feed_kind(t, p, n);
}

int trailer_finish(struct trailer *t, char **ret_err)
{
	if (t->err == 1 || t->kind == TRAILER_UNKNOWN)
		return 0;
	if (t->err)
		return error_set(ret_err, t->err, "damaged %s compression: %s",
				 t->kind == TRAILER_GZIP ? "gzip" : "zstd",
				 t->msg);
	if (!t->ended)
		return error_set(ret_err, -EBADMSG,
				 "damaged %s compression: the stream is cut "
				 "short",
				 t->kind == TRAILER_GZIP ? "gzip" : "zstd");
	return 0;
}

void trailer_free(struct trailer *t)
{
	if (!t)
		return;
	if (t->z_init)
		inflateEnd(&t->z);
	ZSTD_freeDStream(t->zs);
	free(t->msg);
	free(t->out_buf);
	free(t);
}
