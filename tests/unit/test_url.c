/*
 * Unit tests for url_split (core/url.c): what libcurl's URL API returns
 * and the rules rdiag adds on top (userinfo to the last '@', no empty or
 * zero port, no host from "scheme:///x", the length cap, strict escapes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdiag/url.h"
#include "rdiag/util.h"

#define STR_EQ(a, b)                                   \
	do {                                           \
		if ((b) == NULL)                       \
			assert_null(a);                \
		else                                   \
			assert_string_equal((a), (b)); \
	} while (0)

static void test_split(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *scheme, *user;
		bool pw;
		const char *host, *zone;
		unsigned port;
		const char *path, *query, *fragment;
	} cases[] = {
		{ "https://h/x", 0, "https", NULL, false, "h", NULL, 0, "/x",
		  NULL, NULL },
		{ "HTTPS://H.example:8443", 0, "https", NULL, false,
		  "H.example", NULL, 8443, "/", NULL, NULL },
		{ "pg://a:b@c@db/x?q=1#f", 0, "pg", "a", true, "db", NULL, 0,
		  "/x", "q=1", "f" },
		{ "x+y://u%40v@[::1]:5/", 0, "x+y", "u@v", false, "::1", NULL,
		  5, "/", NULL, NULL },
		{ "s://[fe80::1%25eth0]/", 0, "s", NULL, false, "fe80::1",
		  "eth0", 0, "/", NULL, NULL },
		{ "s://@h/", 0, "s", "", false, "h", NULL, 0, "/", NULL, NULL },
		{ "s://h/../a", 0, "s", NULL, false, "h", NULL, 0, "/../a",
		  NULL, NULL }, /* PATH_AS_IS: not resolved */
		{ "sqlite:///a%20b.db?mode=ro", URL_AS_FILE, "sqlite", NULL,
		  false, NULL, NULL, 0, "/a%20b.db", "mode=ro", NULL },
		{ "file://localhost/srv", URL_AS_FILE, "file", NULL, false,
		  NULL, NULL, 0, "/srv", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct url_parts p;
		enum url_fault f = URL_FAULT_MALFORMED;

		if (url_split(cases[i].in, cases[i].flags, &p, &f) != 0)
			fail_msg("'%s': fault %d", cases[i].in, (int)f);
		assert_int_equal(f, URL_FAULT_NONE);
		STR_EQ(p.scheme, cases[i].scheme);
		STR_EQ(p.user, cases[i].user);
		assert_int_equal(p.has_password, cases[i].pw);
		STR_EQ(p.host, cases[i].host);
		STR_EQ(p.zone, cases[i].zone);
		assert_int_equal(p.port, cases[i].port);
		STR_EQ(p.path, cases[i].path);
		STR_EQ(p.query, cases[i].query);
		STR_EQ(p.fragment, cases[i].fragment);
		url_parts_release(&p);
	}
}

static void test_faults(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		enum url_fault f;
	} cases[] = {
		{ "h/x", 0, URL_FAULT_NO_SCHEME },
		{ "://h/x", 0, URL_FAULT_NO_SCHEME },
		{ "1x://h/x", 0, URL_FAULT_NO_SCHEME },
		{ "s:///x", 0, URL_FAULT_NO_HOST }, /* libcurl: host "x" */
		{ "s://u@/x", 0, URL_FAULT_NO_HOST },
		{ "s://:80/x", 0, URL_FAULT_NO_HOST },
		{ "s://h:/x", 0, URL_FAULT_PORT }, /* libcurl takes it */
		{ "s://h:0/x", 0, URL_FAULT_PORT },
		{ "s://h:65536/x", 0, URL_FAULT_PORT },
		{ "s://h:8a/x", 0, URL_FAULT_PORT },
		{ "s://[::1]x/", 0, URL_FAULT_PORT },
		{ "s://[::1/x", 0, URL_FAULT_IPV6 },
		{ "s://[h.example]/x", 0, URL_FAULT_IPV6 },
		{ "s://h$x/", 0, URL_FAULT_HOST },
		{ "s://d b/", 0, URL_FAULT_HOST },
		{ "s://u%zz@h/", 0, URL_FAULT_USER },
		{ "s://u%0A@h/", 0, URL_FAULT_USER },
		{ "s://host/x", URL_AS_FILE, URL_FAULT_FILE },
		{ "s://h/a b", 0, URL_FAULT_MALFORMED },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct url_parts p;
		enum url_fault f = URL_FAULT_NONE;

		if (url_split(cases[i].in, cases[i].flags, &p, &f) != -EINVAL ||
		    f != cases[i].f)
			fail_msg("'%s': fault %d, expected %d", cases[i].in,
				 (int)f, (int)cases[i].f);
	}
}

static void test_too_long(void **state)
{
	char *s = xmalloc(URL_MAX_LEN + 2);
	struct url_parts p;
	enum url_fault f;

	(void)state;
	memset(s, 'a', URL_MAX_LEN + 1);
	memcpy(s, "https://h/", 10);
	s[URL_MAX_LEN + 1] = '\0';
	assert_int_equal(url_split(s, 0, &p, &f), -EINVAL);
	assert_int_equal(f, URL_FAULT_TOO_LONG);
	s[URL_MAX_LEN] = '\0';
	assert_int_equal(url_split(s, 0, &p, &f), 0);
	url_parts_release(&p);
	free(s);
}

static void test_decode(void **state)
{
	char *d = NULL;

	(void)state;
	assert_int_equal(url_decode("a%20b%2F", 8, false, &d), 0);
	assert_string_equal(d, "a b/");
	free(d);
	assert_int_equal(url_decode("a%0Ab", 5, true, &d), 0);
	assert_string_equal(d, "a\nb");
	free(d);
	d = NULL;
	assert_int_equal(url_decode("a%0Ab", 5, false, &d), -EINVAL);
	assert_int_equal(url_decode("a%00b", 5, true, &d), -EINVAL);
	assert_int_equal(url_decode("a%4", 3, true, &d), -EINVAL);
	assert_int_equal(url_decode("a%zz", 4, true, &d), -EINVAL);
	assert_null(d);
	assert_true(url_escapes_valid("%41%62", 6));
	assert_false(url_escapes_valid("%4", 2));
	assert_true(url_host_is_name("db-1.example_x"));
	assert_false(url_host_is_name(""));
	assert_false(url_host_is_name("a:b"));
	assert_true(url_has_password("s://u:p@w@h/"));
	assert_false(url_has_password("s://u@h/x:y"));
	assert_false(url_has_password("s://h:1/"));
}

static void test_host_literal(void **state)
{
	struct url_parts p;
	enum url_fault f;
	char *h;

	(void)state;
	assert_int_equal(url_split("s://[fe80::1%25eth0]:9/", 0, &p, &f), 0);
	h = url_host_literal(&p);
	assert_string_equal(h, "[fe80::1%25eth0]");
	free(h);
	url_parts_release(&p);
	assert_int_equal(url_split("s://[::1]/", 0, &p, &f), 0);
	h = url_host_literal(&p);
	assert_string_equal(h, "[::1]");
	free(h);
	url_parts_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_host_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
