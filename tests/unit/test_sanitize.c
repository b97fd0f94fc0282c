/*
 * Tests for sanitize.c: nothing a terminal would interpret, and nothing
 * that would make it show other text than the bytes say, survives.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/sanitize.h"
#include "rdiag/util.h"

static void test_text(void **state)
{
	static const struct {
		const char *in, *out, *out_lines;
	} cases[] = {
		{ "plain", "plain", "plain" },
		{ "a\x1b[31mb", "a?[31mb", "a?[31mb" },
		{ "l1\nl2\tt\r", "l1?l2?t?", "l1\nl2\tt?" },
		/* C1 CSI */
		{ "\xc2\x9b"
		  "31m",
		  "?31m", "?31m" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac",
		  "caf\xc3\xa9 \xe2\x82\xac" },
		{ "bad\xff\xfe", "bad??", "bad??" },
		{ "\xed\xa0\x80", "???", "???" },
		{ "\x7f", "?", "?" },
		/* OSC 52 (clipboard) and OSC 0 (window title) */
		{ "\x1b]52;c;ZXZpbA==\x07", "?]52;c;ZXZpbA==?",
		  "?]52;c;ZXZpbA==?" },
		/* RLO U+202E, LRI U+2066, PDI U+2069 */
		{ "a\xe2\x80\xae"
		  "cba",
		  "a?cba", "a?cba" },
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "?x?", "?x?" },
		/* ZWSP U+200B, ZWJ U+200D, LRM U+200E, RLM U+200F */
		{ "p\xe2\x80\x8bw\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f",
		  "p?w???", "p?w???" },
		/* LINE SEPARATOR U+2028, BOM U+FEFF */
		{ "x\xe2\x80\xa8y\xef\xbb\xbf", "x?y?", "x?y?" },
		/* Ordinary non-Latin text stays. */
		{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *a = sanitize_text(cases[i].in, false);
		char *b = sanitize_text(cases[i].in, true);

		if (strcmp(a, cases[i].out) != 0 ||
		    strcmp(b, cases[i].out_lines) != 0)
			fail_msg("case %zu gave '%s' / '%s'", i, a, b);
		assert_true(sanitize_is_clean(a));
		assert_int_equal(sanitize_is_clean(cases[i].in),
				 strcmp(cases[i].in, cases[i].out) == 0);
		free(a);
		free(b);
	}
}

static void test_json(void **state)
{
	json_t *in = json_pack("{s:s, s:[s, i, {s:s}], s:b}", "host",
			       "h\x1b]0;pwned\x07", "list", "ok", 7,
			       "k\xe2\x80\xae", "v\x1b[2J", "flag", 1);
	char *text;

	sanitize_json(in);
	text = json_dumps(in, JSON_SORT_KEYS | JSON_COMPACT);

	(void)state;
	assert_string_equal(text, "{\"flag\":true,\"host\":\"h?]0;pwned?\","
				  "\"list\":[\"ok\",7,{\"k?\":\"v?[2J\"}]}");
	free(text);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
