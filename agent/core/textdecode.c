/*
 * Turning customers' files into UTF-8 text for redaction (see
 * textdecode.h). Decompression is libarchive's raw reader (the same library
 * that writes the bundle); transcoding is iconv from libc. What is written
 * here by hand is only the guessing of an encoding from a file's head,
 * because no Debian library does that for the handful of encodings this
 * vendor's customers use: a BOM, the NUL pattern of UTF-16, strict UTF-8,
 * the lead/trail structure of Shift-JIS, and the length of runs of high
 * bytes that tells CP1251 words from CP1252's scattered accents.
 */
#include <archive.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/textdecode.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"

/* How much of the (decoded) head the guess looks at. */
#define HEAD_SIZE (64 * 1024)
#define IO_SIZE   (64 * 1024)

const char *textdecode_compression(const unsigned char *p, size_t n)
{
	static const struct {
		const char *name;
		const char *magic;
		size_t len;
	} magics[] = {
		{ "gzip", "\x1f\x8b", 2 },
		{ "zstd", "\x28\xb5\x2f\xfd", 4 },
		{ "xz",
		  "\xfd"
		  "7zXZ\x00",
		  6 },
		{ "bzip2", "BZh", 3 },
	};

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len &&
		    memcmp(p, magics[i].magic, magics[i].len) == 0)
			return magics[i].name;
	return NULL;
}

/* A control byte that text does not hold (NUL is counted apart). */
static bool is_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' &&
		c != '\v' && c != 0x1b && c != 0) ||
	       c == 0x7f;
}

/* UTF-16 without a BOM: one byte of every pair is (nearly) always low. */
static const char *sniff_utf16(const unsigned char *p, size_t n)
{
	size_t m = 0, lo_even = 0, lo_odd = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		if (p[i] == 0 && p[i + 1] == 0)
			continue;
		m++;
		lo_even += p[i] <= 0x07;
		lo_odd += p[i + 1] <= 0x07;
	}
	if (m < 4)
		return NULL;
	if (lo_odd * 10 >= m * 9 && lo_even * 10 <= m * 2)
		return "UTF-16LE";
	if (lo_even * 10 >= m * 9 && lo_odd * 10 <= m * 2)
		return "UTF-16BE";
	return NULL;
}

/*
 * Shift-JIS: every high byte is a half-width kana or a valid lead/trail
 * pair, and the pairs are led mostly by 0x81-0x9F (kana and common kanji),
 * which CP1251 and CP1252 text almost never produce in that shape.
 */
static bool looks_sjis(const unsigned char *p, size_t n)
{
	size_t dbl = 0, lead_low = 0, kana = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];

		if (c < 0x80) {
			i++;
		} else if (c >= 0xa1 && c <= 0xdf) {
			kana++;
			i++;
		} else if ((c >= 0x81 && c <= 0x9f) ||
			   (c >= 0xe0 && c <= 0xef)) {
			if (i + 1 >= n)
				break;
			if (!((p[i + 1] >= 0x40 && p[i + 1] <= 0x7e) ||
			      (p[i + 1] >= 0x80 && p[i + 1] <= 0xfc)))
				return false;
			dbl++;
			lead_low += c <= 0x9f;
			i += 2;
		} else {
			return false;
		}
	}
	return dbl > 0 && lead_low * 3 >= dbl && kana * 4 <= dbl;
}

const char *textdecode_sniff(const unsigned char *p, size_t n,
			     bool *ret_nul_gaps)
{
	size_t ctrl = 0, nul = 0, high = 0, runs = 0, counted = 0;
	bool valid = true;
	const char *enc;

	*ret_nul_gaps = false;
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return "UTF-16LE";
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		return "UTF-16BE";
	if ((enc = sniff_utf16(p, n)))
		return enc;
	for (size_t i = 0; i < n;) {
		int len;

		if (p[i] == 0) {
			nul++;
			i++;
			continue;
		}
		counted++;
		ctrl += is_ctrl(p[i]);
		if (p[i] >= 0x80) {
			high++;
			runs += i == 0 || p[i - 1] < 0x80;
		}
		len = valid ? utf8_seq(p + i, n - i) : 1;
		if (len < 0)
			break;
		if (len == 0) {
			valid = false;
			len = 1;
		}
		i += (size_t)len;
	}
	*ret_nul_gaps = nul > 0;
	if (counted == 0)
		return nul > 0 ? NULL : "UTF-8";
	if (valid && ctrl * 10 <= counted)
		return "UTF-8";
	/* Legacy 8-bit text has no control bytes besides layout ones. */
	if (ctrl * 50 > counted)
		return NULL;
	if (looks_sjis(p, n))
		return "SHIFT_JIS";
	/* Cyrillic words are runs of high bytes; Western accents stand
	 * alone or in pairs ("Größe"). */
	return high * 2 >= runs * 5 ? "CP1251" : "CP1252";
}

/* Where the bytes come from: the file itself or libarchive's raw reader. */
struct src {
	int fd;
	off_t off;
	struct archive *a;
};

static ssize_t src_read(struct src *s, void *buf, size_t len)
{
	ssize_t n;

	if (s->a) {
		n = archive_read_data(s->a, buf, len);
		return n < 0 ? -EILSEQ : n;
	}
	do
		n = pread(s->fd, buf, len, s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	s->off += n;
	return n;
}

/* Fill buf as far as the source allows (short only at its end). */
static ssize_t src_fill(struct src *s, unsigned char *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = src_read(s, buf + have, len - have);

		if (n < 0)
			return have > 0 ? (ssize_t)have : n;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

static int src_open_archive(struct src *s, int fd)
{
	struct archive_entry *e;

	s->a = archive_read_new();
	if (!s->a)
		return -ENOMEM;
	archive_read_support_filter_gzip(s->a);
	archive_read_support_filter_zstd(s->a);
	archive_read_support_filter_xz(s->a);
	archive_read_support_filter_bzip2(s->a);
	archive_read_support_format_raw(s->a);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	if (archive_read_open_fd(s->a, fd, IO_SIZE) != ARCHIVE_OK ||
	    archive_read_next_header(s->a, &e) != ARCHIVE_OK)
		return -EILSEQ;
	return 0;
}

/* Output with a cap; what passes the cap is dropped and noted. */
struct sink {
	int fd;
	uint64_t written, max;
	bool full;
};

static int sink_write(struct sink *k, const void *p, size_t n)
{
	int r;

	if (k->full)
		return 0;
	if (k->written + n > k->max) {
		n = (size_t)(k->max - k->written);
		k->full = true;
	}
	if (n > 0 && (r = write_all(k->fd, p, n)) < 0)
		return r;
	k->written += n;
	return 0;
}

/*
 * Copy the rest of the source to the sink through iconv (cd) or as it is
 * (cd == NULL), starting with the head already read. A byte iconv cannot
 * map becomes U+FFFD; a sequence cut by the end of a read waits for the
 * next one.
 */
static int pump(struct src *s, iconv_t cd, size_t unit, unsigned char *in,
		size_t have, struct sink *k)
{
	static const char replacement[] = "\xef\xbf\xbd";
	char out[IO_SIZE * 4];
	bool eof = false;
	int r = 0;

	for (;;) {
		char *ip = (char *)in;
		size_t ileft = have;

		if (!cd) {
			if ((r = sink_write(k, in, have)) < 0)
				return r;
			ileft = 0;
		}
		while (cd && ileft > 0 && !k->full) {
			char *op = out;
			size_t oleft = sizeof(out);
			size_t rc = iconv(cd, &ip, &ileft, &op, &oleft);
			int e = errno;

			if ((r = sink_write(k, out, sizeof(out) - oleft)) < 0)
				return r;
			if (rc != (size_t)-1)
				continue;
			if (e == E2BIG)
				continue;
			if (e == EINVAL && !eof)
				break; /* cut sequence: wait for more */
			/* EILSEQ, or a sequence cut by the end of the file. */
			if ((r = sink_write(k, replacement, 3)) < 0)
				return r;
			{
				size_t skip = ileft < unit ? ileft : unit;

				ip += skip;
				ileft -= skip;
			}
		}
		if (eof || k->full)
			return 0;
		memmove(in, ip, ileft);
		have = ileft;
		{
			ssize_t n = src_read(s, in + have, IO_SIZE - have);

			if (n < 0)
				return (int)n;
			if (n == 0)
				eof = true;
			else
				have += (size_t)n;
		}
		if (eof && have == 0)
			return 0;
	}
}

int textdecode_fd(int src_fd, uint64_t size, int out_fd, struct textdecode *ret,
		  char **ret_reason)
{
	unsigned char *head = xmalloc(HEAD_SIZE + IO_SIZE);
	struct src s = { .fd = src_fd };
	struct sink k = { .fd = out_fd, .max = TEXTDECODE_MAX_OUT };
	const char *comp, *enc;
	iconv_t cd = (iconv_t)-1;
	size_t unit = 1, skip = 0;
	ssize_t n;
	bool nul_gaps;
	int r;

	memset(ret, 0, sizeof(*ret));
	n = src_fill(&s, head, 16);
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	comp = textdecode_compression(head, (size_t)n);
	if (comp) {
		snprintf(ret->compression, sizeof(ret->compression), "%s",
			 comp);
		if (size < TEXTDECODE_MAX_OUT / TEXTDECODE_RATIO &&
		    size * TEXTDECODE_RATIO < k.max)
			k.max = size * TEXTDECODE_RATIO;
		if ((r = src_open_archive(&s, src_fd)) < 0) {
			*ret_reason =
				xasprintf("%s data that libarchive cannot "
					  "read",
					  comp);
			r = -EMEDIUMTYPE;
			goto out;
		}
		n = 0;
	}
	{
		ssize_t m = src_fill(&s, head + n, HEAD_SIZE - (size_t)n);

		if (m < 0 && !(comp && n == 0 && m == -EILSEQ)) {
			if (comp) {
				*ret_reason =
					xasprintf("damaged %s data", comp);
				r = -EMEDIUMTYPE;
			} else {
				r = (int)m;
			}
			goto out;
		}
		n += m > 0 ? m : 0;
	}
	enc = textdecode_sniff(head, (size_t)n, &nul_gaps);
	if (!enc) {
		*ret_reason = xasprintf(
			"%s%snot text in UTF-8, UTF-16, CP1251, CP1252 or "
			"Shift-JIS",
			comp ? comp : "",
			comp ? " data, decompressed, is " : "");
		r = -EMEDIUMTYPE;
		goto out;
	}
	snprintf(ret->encoding, sizeof(ret->encoding), "%s", enc);
	ret->nul_gaps = nul_gaps;
	if (!comp && strcmp(enc, "UTF-8") == 0) {
		r = TEXTDECODE_AS_IS;
		goto out;
	}
	if (strcmp(enc, "UTF-8") != 0) {
		cd = iconv_open("UTF-8", enc);
		if (cd == (iconv_t)-1) {
			*ret_reason = xasprintf("no converter from %s to UTF-8 "
						"(iconv: %s)",
						enc, strerror(errno));
			r = -EMEDIUMTYPE;
			goto out;
		}
		if (strncmp(enc, "UTF-16", 6) == 0) {
			unit = 2;
			/* The BOM says the byte order; it is not text. */
			if (n >= 2 && ((head[0] == 0xff && head[1] == 0xfe) ||
				       (head[0] == 0xfe && head[1] == 0xff)))
				skip = 2;
		}
	}
	r = pump(&s, cd == (iconv_t)-1 ? NULL : cd, unit, head + skip,
		 (size_t)n - skip, &k);
	if (r == -EILSEQ && comp) {
		/* A damaged or cut stream: keep what decompressed. */
		r = 0;
		ret->truncated = true;
	}
	if (r < 0)
		goto out;
	if (k.full) {
		ret->truncated = true;
		k.full = false;
		k.max += 128;
	}
	if (ret->truncated) {
		char note[128];
		int len = snprintf(note, sizeof(note),
				   "\n[rdiag: text cut after %llu bytes]\n",
				   (unsigned long long)k.written);

		if ((r = sink_write(&k, note, (size_t)len)) < 0)
			goto out;
	}
	r = TEXTDECODE_DECODED;
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (s.a)
		archive_read_free(s.a);
	free(head);
	return r;
}
