/*
 * Helpers for the wire parsers: text from the network is hostile, so it is
 * copied bounded and made safe for JSON records here, in one place.
 */
#include <string.h>

#include "probes/wire.h"
#include "rdiag/utf8.h"

char *wire_copy_text(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n) {
		int r = utf8_seq(src + i, n - i);
		size_t l = r > 0 ? (size_t)r : 0;

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
