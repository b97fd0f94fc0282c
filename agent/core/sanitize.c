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

static bool is_clean(const char *s, bool keep_lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t skip, n = safe_len(p + i, len - i, keep_lines, &skip);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

bool sanitize_is_clean(const char *s)
{
	return is_clean(s, false);
}

static bool sanitize_is_clean_lines(const char *s)
{
	return is_clean(s, true);
}

void sanitize_json(json_t *j)
{
	json_t *v, *dirty;
	const char *k;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_STRING:
		if (!sanitize_is_clean_lines(json_string_value(j))) {
			char *s = sanitize_text(json_string_value(j), true);

			json_string_set(j, s);
			free(s);
		}
		return;
	case JSON_ARRAY:
		json_array_foreach(j, i, v) sanitize_json(v);
		return;
	case JSON_OBJECT:
		/* Keys cannot change in place: move the few dirty ones. */
		dirty = NULL;
		json_object_foreach(j, k, v)
		{
			sanitize_json(v);
			if (!sanitize_is_clean(k)) {
				if (!dirty)
					dirty = json_array();
				json_array_append_new(dirty, json_string(k));
			}
		}
		json_array_foreach(dirty, i, v)
		{
			const char *old = json_string_value(v);
			char *key = sanitize_text(old, false);
			json_t *val = json_incref(json_object_get(j, old));

			json_object_del(j, old);
			if (!json_object_get(j, key))
				json_object_set(j, key, val);
			json_decref(val);
			free(key);
		}
		json_decref(dirty);
		return;
	default:
		return;
	}
}
