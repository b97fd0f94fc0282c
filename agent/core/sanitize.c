/*
 * Untrusted text made safe to show (see sanitize.h). Every caller that
 * prints text from a bundle, a token, a server or a peer goes through
 * here, so the list of dangerous characters lives in one place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "rdiag/buf.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"

/*
 * Code points that change what a terminal shows without being shown:
 * C1 controls (CSI U+009B acts like ESC [ on some terminals), zero-width
 * characters and marks (U+200B-U+200F), line and paragraph separators
 * (U+2028, U+2029), bidi embeddings and overrides (U+202A-U+202E), bidi
 * isolates (U+2066-U+2069), the BOM / zero-width no-break space (U+FEFF).
 */
static bool invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp < 0xa0) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/*
 * Length of the safe character at p, or 0 when it must be replaced; then
 * *ret_skip is how many bytes the one '?' stands for (a whole character,
 * or a single byte of invalid UTF-8).
 */
static size_t safe_len(const unsigned char *p, size_t avail, bool keep_lines,
		       size_t *ret_skip)
{
	uint32_t cp;
	int n = utf8_decode(p, avail, &cp);

	*ret_skip = n > 0 ? (size_t)n : 1;
	if (n <= 0 || invisible(cp))
		return 0;
	if (cp < 0x20 || cp == 0x7f)
		return keep_lines && (cp == '\n' || cp == '\t') ? 1 : 0;
	return (size_t)n;
}

char *sanitize_text(const char *s, bool keep_lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	struct buf b;

	buf_init(&b, 0);
	while (i < len) {
		size_t skip, n = safe_len(p + i, len - i, keep_lines, &skip);

		if (n == 0) {
			buf_putc(&b, '?');
			i += skip;
			continue;
		}
		buf_append(&b, p + i, n);
		i += n;
	}
	return buf_detach(&b, NULL);
}

bool sanitize_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t skip, n = safe_len(p + i, len - i, false, &skip);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

json_t *sanitize_json(const json_t *j)
{
	json_t *out, *v;
	const char *k;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_STRING: {
		char *s = sanitize_text(json_string_value(j), true);

		out = json_string(s);
		free(s);
		return out;
	}
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(j, i, v)
			json_array_append_new(out, sanitize_json(v));
		return out;
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach((json_t *)j, k, v)
		{
			char *key = sanitize_text(k, false);

			if (!json_object_get(out, key))
				json_object_set_new(out, key, sanitize_json(v));
			free(key);
		}
		return out;
	default:
		return json_deep_copy(j);
	}
}
