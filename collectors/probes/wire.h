/*
 * Byte-level helpers shared by the pure wire parsers: fixed-width integer
 * reads in both byte orders and a bounded copy of untrusted text into a
 * fixed buffer as valid, printable UTF-8.
 */
#ifndef RDIAG_PROBES_WIRE_H
#define RDIAG_PROBES_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t wire_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t wire_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t wire_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t wire_le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static inline uint32_t wire_le32(const uint8_t *p)
{
	return wire_le24(p) | (uint32_t)p[3] << 24;
}

/*
 * Copy n bytes of untrusted text into dst (dstlen > 0, always
 * NUL-terminated, truncated on a character boundary). Control characters
 * and bytes that are not valid UTF-8 become '?', so the result can go into
 * a JSON record as it is. Returns dst.
 */
char *wire_copy_text(char *dst, size_t dstlen, const uint8_t *src, size_t n);

/*
 * The length of the NUL-terminated string at p within n bytes (without the
 * NUL), or -1 when there is no NUL before n.
 */
long wire_strnlen(const uint8_t *p, size_t n);

#endif
