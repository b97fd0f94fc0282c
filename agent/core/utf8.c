/*
 * The UTF-8 decoder, repair and cut of rdiag/utf8.h. Table 3-7 of the
 * Unicode standard ("well-formed UTF-8 byte sequences") is the rule: the
 * second byte's range depends on the first, which excludes overlong forms,
 * surrogates and code points past U+10FFFF in one check.
 */
#include <string.h>

#include "rdiag/buf.h"
#include "rdiag/utf8.h"

int utf8_decode(const void *p, size_t len, uint32_t *ret_cp)
{
	const unsigned char *s = p;
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		if (ret_cp)
			*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++) {
		if (i >= len)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (ret_cp)
		*ret_cp = cp;
	return (int)n;
}

int utf8_seq(const void *s, size_t len)
{
	return utf8_decode(s, len, NULL);
}

bool utf8_valid(const void *p, size_t len)
{
	const char *s = p;

	for (size_t i = 0; i < len;) {
		int n = utf8_seq(s + i, len - i);

		if (n <= 0)
			return false;
		i += (size_t)n;
	}
	return true;
}

char *utf8_repair(const void *p, size_t len, size_t *ret_len)
{
	const char *s = p;
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < len;) {
		int n = utf8_seq(s + i, len - i);

		if (n <= 0) {
			buf_append(&b, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
			i++;
			continue;
		}
		buf_append(&b, s + i, (size_t)n);
		i += (size_t)n;
	}
	return buf_detach(&b, ret_len);
}

size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len <= max)
		return len;
	/* Back up over continuation bytes to the start of the character. */
	i = max;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80 && max - i < 3)
		i--;
	/* s[i] starts the character that max falls into, or is a lone byte. */
	if (i < max && utf8_seq(s + i, len - i) > (int)(max - i))
		return i;
	return max;
}

void utf8_truncate(char *s, size_t max)
{
	s[utf8_cut(s, strlen(s), max)] = '\0';
}

char *utf8_copy(char *dst, size_t dstlen, const char *src)
{
	size_t len = utf8_cut(src, strlen(src), dstlen - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
	return dst;
}

/* Append code point cp to b as UTF-8 unless that would pass its maximum. */
static bool put_cp(struct buf *b, uint32_t cp)
{
	char e[4];
	size_t n;

	if (cp < 0x80) {
		e[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		e[0] = (char)(0xc0 | cp >> 6);
		e[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		e[0] = (char)(0xe0 | cp >> 12);
		e[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		e[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		e[0] = (char)(0xf0 | cp >> 18);
		e[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		e[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		e[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, e, n) == 0;
}

char *utf8_from_utf16(const uint16_t *s, size_t n, size_t max, size_t *ret_len)
{
	struct buf b;
	uint32_t cp;

	buf_init(&b, max);
	for (size_t i = 0; i < n && s[i] != 0; i++) {
		cp = s[i];
		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n &&
		    s[i + 1] >= 0xdc00 && s[i + 1] <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			     (s[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		if (!put_cp(&b, cp))
			break;
	}
	return buf_detach(&b, ret_len);
}
