/*
 * UTF-8 for every part of rdiag: what collectors read from the host (file
 * and share names in Latin-1 or CP1251, logs, wire replies) is not always
 * UTF-8, but records, bundles and reports must be. One decoder, one repair
 * rule and one way to cut text short without splitting a character.
 *
 * Repair rule: every byte that does not start a valid, shortest-form
 * sequence becomes U+FFFD (the replacement character, 3 bytes), one per
 * byte, so the length of what was lost stays visible and the result is
 * still valid JSON text.
 */
#ifndef RDIAG_UTF8_H
#define RDIAG_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The replacement character U+FFFD, UTF-8 encoded. */
#define UTF8_REPLACEMENT     "\xef\xbf\xbd"
#define UTF8_REPLACEMENT_LEN 3

/*
 * The sequence at s (len bytes available, len > 0): returns its length
 * 1..4 and its code point in *ret_cp (if not NULL) when it is valid and
 * shortest-form (no surrogates, nothing past U+10FFFF); 0 when s does not
 * start a valid sequence; -1 when len ends inside a sequence that is valid
 * so far (more bytes could complete it).
 */
int utf8_decode(const void *s, size_t len, uint32_t *ret_cp);

/* utf8_decode() without the code point. */
int utf8_seq(const void *s, size_t len);

/* True when s[0..len) is entirely valid UTF-8. */
bool utf8_valid(const void *s, size_t len);

/*
 * A valid UTF-8 copy of s[0..len) made with the repair rule above,
 * NUL-terminated; *ret_len (if not NULL) gets its length. Caller frees.
 */
char *utf8_repair(const void *s, size_t len, size_t *ret_len);

/*
 * The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a character: where to cut valid UTF-8 text short.
 */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Cut the string s in place to at most max bytes at a character boundary. */
void utf8_truncate(char *s, size_t max);

/*
 * Copy the string src into dst (dstlen > 0 bytes, NUL included), cut at a
 * character boundary when it does not fit: what snprintf(dst, dstlen,
 * "%s", src) does, without splitting a character. Returns dst.
 */
char *utf8_copy(char *dst, size_t dstlen, const char *src);

/*
 * UTF-16 (host-order code units, as Windows APIs return them) to UTF-8:
 * s[0..n) is converted up to its first NUL unit or n, whichever comes
 * first; a lone or reversed surrogate becomes U+FFFD, as in the repair
 * rule above, so a name that is not valid UTF-16 stays visible. The result
 * is cut at a character boundary to at most max bytes (max > 0).
 * NUL-terminated; *ret_len (if not NULL) gets its length. Caller frees.
 */
char *utf8_from_utf16(const uint16_t *s, size_t n, size_t max, size_t *ret_len);

#endif
