/*
 * Helpers for the wire parsers: text from the network is hostile, so it is
 * copied bounded and made safe for JSON records here, in one place.
 */
#include <string.h>

#include "probes/wire.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

char *wire_copy_text(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n) {
		size_t l = utf8_seq(src + i, n - i);

		if (l == 0 || (l == 1 && (src[i] < 0x20 || src[i] == 0x7F))) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + l >= dstlen)
			break;
		memcpy(dst + o, src + i, l);
		o += l;
		i += l;
	}
	dst[o] = '\0';
	return dst;
}

long wire_strnlen(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (long)(z - p) : -1;
}
