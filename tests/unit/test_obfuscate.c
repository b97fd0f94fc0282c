/*
 * Tests for obfuscate.c: host names, user names and addresses become
 * stable placeholders everywhere; times, versions, loopback and words that
 * only contain a name stay; the map goes to a new 0600 file.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/obfuscate.h"
#include "core/redact.h"
#include "harness.h"
#include "rdiag/buf.h"

static char *apply(struct obfuscator *o, const char *in)
{
	struct buf b;
	size_t n;

	buf_init(&b, 0);
	assert_int_equal(obfuscator_apply(o, in, strlen(in), &b), 0);
	return buf_detach(&b, &n);
}

static void test_parse(void **state)
{
	unsigned f = 0;
	char *bad = NULL;

	(void)state;
	assert_int_equal(obfuscate_parse("hosts,ips,users", &f, &bad), 0);
	assert_int_equal(f, OBFUSCATE_HOSTS | OBFUSCATE_IPS | OBFUSCATE_USERS);
	assert_int_equal(obfuscate_parse("ips", &f, &bad), 0);
	assert_int_equal(f, OBFUSCATE_IPS);
	assert_int_equal(obfuscate_parse("hosts,macs", &f, &bad), -EINVAL);
	assert_string_equal(bad, "macs");
	free(bad);
	bad = NULL;
	assert_int_equal(obfuscate_parse("", &f, &bad), -EINVAL);
	free(bad);
}

static void test_local_names(void **state)
{
	struct obfuscator *o = obfuscator_new(OBFUSCATE_HOSTS | OBFUSCATE_IPS |
					      OBFUSCATE_USERS);
	char *root = harness_data_path("obfuscate");
	char *a, *b;

	(void)state;
	obfuscator_add_local(o, root);
	a = apply(o,
		  "2026-12-01 10:00:01 dms-srv01 sshd[4711]: Accepted key "
		  "for mmueller from 10.20.30.40 port 51234; db01.corp.example "
		  "resolves to 10.20.30.40 and fe80::1ff:fe23:4567:890a\n");
	b = apply(o, "backup of /home/mmueller to db01 by svc_dms, v1.2.3.4, "
		     "root on 127.0.0.1 and ::1, dms-srv01x stays\n");
	if (strstr(a, "dms-srv01") || strstr(a, "mmueller") ||
	    strstr(a, "10.20.30.40") || strstr(a, "db01") ||
	    strstr(a, "fe80::") || !strstr(a, "2026-12-01 10:00:01 ") ||
	    !strstr(a, "port 51234"))
		fail_msg("gave '%s'", a);
	/* The same name, the same placeholder, in another text. */
	if (!strstr(a, "for user-1 from ip-1") ||
	    !strstr(a, "to ip-1 and ip-2"))
		fail_msg("gave '%s'", a);
	if (!strstr(b, "/home/user-1 ") || strstr(b, "svc_dms") ||
	    !strstr(b, "v1.2.3.4") || !strstr(b, "root on 127.0.0.1 and ::1") ||
	    !strstr(b, "dms-srv01x stays"))
		fail_msg("gave '%s'", b);
	assert_true(obfuscator_replaced(o) >= 7);
	free(a);
	free(b);
	free(root);
	obfuscator_free(o);
}

static void test_with_redactor_and_map(void **state)
{
	struct obfuscator *o = obfuscator_new(OBFUSCATE_HOSTS | OBFUSCATE_IPS);
	struct redactor *r = redactor_new();
	char dir[] = "/tmp/rdiag-obf-XXXXXX", *path;
	const char *text;
	struct buf out;
	struct stat st;
	json_t *m;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	obfuscator_add_host(o, "nas01.corp.example");
	redactor_set_obfuscator(r, o);
	buf_init(&out, 0);
	text = "mount //nas01/dms password=FAKE-obf-1 from 192.168.7.9\n";
	assert_int_equal(redact_buf(r, text, strlen(text), &out), 0);
	assert_string_equal(out.data, "mount //host-1/dms "
				      "password=[REDACTED:key-value] from "
				      "ip-1\n");
	path = xasprintf("%s/map.json", dir);
	assert_int_equal(obfuscator_save_map(o, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never over an existing file. */
	assert_int_equal(obfuscator_save_map(o, path), -EEXIST);
	m = json_load_file(path, 0, NULL);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(m, "hosts"), "host-1")),
			    "nas01");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(m, "ips"), "ip-1")),
			    "192.168.7.9");
	json_decref(m);
	unlink(path);
	rmdir(dir);
	free(path);
	buf_release(&out);
	(void)n;
	redactor_free(r);
	obfuscator_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_local_names),
		cmocka_unit_test(test_with_redactor_and_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
