/*
 * Unit tests for the pure parts of `rdiag session`: fingerprints, durations,
 * key lines, the consent text, JSON/asciicast/audit encoding and the
 * [session] configuration.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/config.h"
#include "session/session.h"

/* The schema config.c is handed: only [session] exists here. */
static const struct config_section session_schema[] = {
	{ "session", session_config_keys },
	{ NULL, NULL },
};

/* A real key made with ssh-keygen; its fingerprint as ssh-keygen -l says. */
#define ALICE_KEY                                                              \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJosKSpwWc+kFkd2rx4DUEwySIv7WrKD" \
	"o6VAC9XwjlDT alice@vendor"
#define ALICE_FP "SHA256:iGLrRJOfmjwB4S63l/GOWin3RMK4HAKUxUwKTQdl+QI"

static void test_fp_format(void **state)
{
	/* SHA-256 of the empty string. */
	static const unsigned char empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	char fp[SESSION_FP_MAX];

	(void)state;
	session_fp_format(empty, sizeof(empty), fp);
	assert_string_equal(
		fp, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
}

static void test_fp_match(void **state)
{
	static const struct {
		const char *pin, *actual;
		bool match;
	} cases[] = {
		{ ALICE_FP, ALICE_FP, true },
		{ "iGLrRJOfmjwB4S63l/GOWin3RMK4HAKUxUwKTQdl+QI", ALICE_FP,
		  true },
		{ ALICE_FP "=", ALICE_FP, true },
		{ "SHA256:igLrRJOfmjwB4S63l/GOWin3RMK4HAKUxUwKTQdl+QI",
		  ALICE_FP, false },
		{ "SHA256:iGLrRJOfmjwB4S63l/GOWin3RMK4HAKUxUwKTQdl+Q", ALICE_FP,
		  false },
		{ "SHA256:", ALICE_FP, false },
		{ "", ALICE_FP, false },
		{ NULL, ALICE_FP, false },
		{ "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
		  ALICE_FP, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			session_fp_match(cases[i].pin, cases[i].actual),
			cases[i].match);
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		int r;
		unsigned s;
		const char *shown;
	} cases[] = {
		{ "90", 0, 90, "1m30s" },      { "90s", 0, 90, "1m30s" },
		{ "15m", 0, 900, "15m" },      { "1h", 0, 3600, "1h" },
		{ "1h30m", 0, 5400, "1h30m" }, { "2h0m5s", 0, 7205, "2h5s" },
		{ "0", -ERANGE, 0, NULL },     { "", -EINVAL, 0, NULL },
		{ "1x", -EINVAL, 0, NULL },    { "1h30", -EINVAL, 0, NULL },
		{ "-5", -EINVAL, 0, NULL },    { "h", -EINVAL, 0, NULL },
		{ "8000h", -ERANGE, 0, NULL }, { "169h", -ERANGE, 0, NULL },
		{ "2d", 0, 172800, "48h" },    { "7d", 0, 604800, "168h" },
		{ "7d1s", -ERANGE, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned v = 4242;
		char out[32];

		assert_int_equal(session_duration_parse(cases[i].in, &v),
				 cases[i].r);
		if (cases[i].r < 0) {
			assert_int_equal(v, 4242);
			continue;
		}
		assert_int_equal(v, cases[i].s);
		session_duration_format(v, out, sizeof(out));
		assert_string_equal(out, cases[i].shown);
	}
}

static void test_bool(void **state)
{
	bool v = false;

	(void)state;
	assert_int_equal(session_bool_parse("yes", &v), 0);
	assert_true(v);
	assert_int_equal(session_bool_parse("off", &v), 0);
	assert_false(v);
	v = true;
	assert_int_equal(session_bool_parse("maybe", &v), -EINVAL);
	assert_true(v);
}

static void test_key_line(void **state)
{
	static const struct {
		const char *line;
		int r;
		const char *type, *comment;
	} cases[] = {
		{ ALICE_KEY "\n", 0, "ssh-ed25519", "alice@vendor" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJosKSpwWc+kFkd2", 0,
		  "ssh-ed25519", "" },
		{ "  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJosKSpwWc+kFkd2 "
		  "bob at vendor \r\n",
		  0, "ssh-ed25519", "bob at vendor" },
		{ "# a comment\n", 1, NULL, NULL },
		{ "   \n", 1, NULL, NULL },
		{ "restrict " ALICE_KEY, -EINVAL, NULL, NULL },
		{ "ssh-ed25519\n", -EINVAL, NULL, NULL },
		{ "ssh-ed25519 short", -EINVAL, NULL, NULL },
		{ "ssh-ed25519 AAAA$$$$zaC1lZDI1NTE5AAAAIJ", -EINVAL, NULL,
		  NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct session_key k;

		memset(&k, 0, sizeof(k));
		assert_int_equal(session_key_parse_line(cases[i].line, &k),
				 cases[i].r);
		if (cases[i].r != 0)
			continue;
		assert_string_equal(k.type, cases[i].type);
		assert_string_equal(k.comment, cases[i].comment);
		assert_true(strncmp(k.base64, "AAAAC3", 6) == 0);
		session_key_release(&k);
	}
}

static void test_consent_text(void **state)
{
	struct session_key keys[2] = {
		{ .fp = (char *)ALICE_FP, .comment = (char *)"alice@vendor" },
		{ .fp = (char *)"SHA256:bbbb", .comment = (char *)"" },
	};
	struct session_consent c = {
		.relay = "relay.example:22",
		.relay_user = "agent7",
		.user = "admin",
		.state_dir = "/var/lib/rdiag/sessions",
		.keys = keys,
		.nkeys = 2,
		.ttl_s = 3600,
		.idle_s = 900,
	};
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	session_consent_text(&c, &b);
	assert_non_null(strstr(b.data, "relay.example:22 (as agent7)"));
	assert_non_null(strstr(b.data, "2 keys may connect"));
	assert_non_null(strstr(b.data, ALICE_FP " alice@vendor\n"));
	assert_non_null(strstr(b.data, "SHA256:bbbb (no comment)\n"));
	assert_non_null(strstr(b.data, "at most 1h, ended after 15m"));
	assert_non_null(strstr(b.data, "a full shell as 'admin'"));
	assert_non_null(strstr(b.data, "/var/lib/rdiag/sessions"));
	assert_non_null(strstr(b.data, "Ctrl-C"));
	assert_null(strstr(b.data, "read-only"));

	buf_reset(&b);
	c.read_only = true;
	c.nkeys = 1;
	c.ttl_s = 90;
	session_consent_text(&c, &b);
	assert_non_null(strstr(b.data, "1 key may connect"));
	assert_null(strstr(b.data, "SHA256:bbbb"));
	assert_non_null(strstr(b.data, "at most 1m30s"));
	assert_non_null(strstr(b.data, "read-only"));
	assert_non_null(strstr(b.data, "Ctrl-]"));
	assert_null(strstr(b.data, "full shell"));

	buf_reset(&b);
	c.read_only = false;
	c.command = "/opt/app/bin/diag";
	session_consent_text(&c, &b);
	assert_non_null(strstr(b.data, "runs '/opt/app/bin/diag' as 'admin'"));
	buf_release(&b);
}

static void test_json_string(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		bool keep;
		const char *out;
		size_t used;
	} cases[] = {
		{ "plain", 5, false, "\"plain\"", 5 },
		{ "a\"b\\c", 5, false, "\"a\\\"b\\\\c\"", 5 },
		{ "\r\n\t\x1b[0m", 7, false, "\"\\r\\n\\t\\u001b[0m\"", 7 },
		{ "\x7f", 1, false, "\"\\u007f\"", 1 },
		{ "caf\xc3\xa9", 5, false, "\"caf\xc3\xa9\"", 5 },
		{ "\xff"
		  "a",
		  2, false,
		  "\"\xef\xbf\xbd"
		  "a\"",
		  2 },
		/* overlong and surrogate encodings are not UTF-8 */
		{ "\xc0\xaf", 2, false, "\"\xef\xbf\xbd\xef\xbf\xbd\"", 2 },
		{ "\xed\xa0\x80", 3, false,
		  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", 3 },
		/* a sequence cut by the chunk end: kept for the next one */
		{ "ab\xe2\x82", 4, true, "\"ab\"", 2 },
		{ "ab\xe2\x82", 4, false, "\"ab\xef\xbf\xbd\xef\xbf\xbd\"", 4 },
		{ "nul\0x", 5, false, "\"nul\\u0000x\"", 5 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b;

		buf_init(&b, 0);
		assert_int_equal(session_json_string(&b, cases[i].in,
						     cases[i].len,
						     cases[i].keep),
				 cases[i].used);
		assert_string_equal(b.data, cases[i].out);
		buf_release(&b);
	}
}

static void test_cast_lines(void **state)
{
	struct buf b;
	json_error_t jerr;
	json_t *j;

	(void)state;
	buf_init(&b, 0);
	session_cast_header(&b, 120, 40, 1700000000, "rdiag \"x\"", "xterm");
	assert_string_equal(b.data,
			    "{\"version\":2,\"width\":120,\"height\":40,"
			    "\"timestamp\":1700000000,\"title\":\"rdiag "
			    "\\\"x\\\"\",\"env\":{\"TERM\":\"xterm\"}}\n");
	j = json_loads(b.data, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
	json_decref(j);

	buf_reset(&b);
	assert_int_equal(session_cast_event(&b, 1.5, 'o', "hi\r\n", 4, true),
			 4);
	assert_string_equal(b.data, "[1.500000,\"o\",\"hi\\r\\n\"]\n");
	buf_reset(&b);
	assert_int_equal(session_cast_event(&b, 2.25, 'r', "80x24", 5, false),
			 5);
	assert_string_equal(b.data, "[2.250000,\"r\",\"80x24\"]\n");
	buf_reset(&b);
	/* The euro sign split over two reads is written whole, later. */
	assert_int_equal(session_cast_event(&b, 0, 'o', "x\xe2\x82", 3, true),
			 1);
	assert_string_equal(b.data, "[0.000000,\"o\",\"x\"]\n");
	buf_release(&b);
}

static void test_audit_format(void **state)
{
	struct session_field f[] = {
		{ "conn", NULL, 3 },
		{ "key", ALICE_FP, 0 },
		{ "comment", "evil\"\n{\"event\":\"end\"}", 0 },
	};
	json_error_t jerr;
	struct buf b;
	json_t *j;

	(void)state;
	buf_init(&b, 0);
	session_audit_format(&b, "2026-11-28T07:17:45Z", "S1", "join", f,
			     ARRAY_SIZE(f));
	assert_string_equal(
		b.data,
		"{\"time\":\"2026-11-28T07:17:45Z\",\"session\":"
		"\"S1\",\"event\":\"join\",\"conn\":3,\"key\":\"" ALICE_FP
		"\",\"comment\":\"evil\\\"\\n{\\\"event\\\":"
		"\\\"end\\\"}\"}\n");
	/* One line, valid JSON, the hostile comment stays a string. */
	assert_null(memchr(b.data, '\n', b.len - 1));
	j = json_loads(b.data, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "join");
	assert_int_equal(json_integer_value(json_object_get(j, "conn")), 3);
	json_decref(j);
	buf_release(&b);
}

static char *write_temp(const char *text)
{
	char *path = xstrdup("/tmp/rdiag-test-session-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, text, strlen(text)), 0);
	close(fd);
	return path;
}

#define GOOD_CONFIG                          \
	"[session]\n"                        \
	"relay_host = relay.example\n"       \
	"relay_user = agent7\n"              \
	"relay_host_key = " ALICE_FP "\n"    \
	"key = /etc/rdiag/session_ed25519\n" \
	"listen_port = 4711\n"               \
	"engineer_key = /etc/rdiag/engineers.pub\n"

static void test_config(void **state)
{
	static const struct {
		const char *text;
		int load; /* config_load */
		int opts; /* session_opts_load */
		const char *err;
	} cases[] = {
		{ GOOD_CONFIG, 0, 0, NULL },
		{ GOOD_CONFIG "ttl = 2h\nidle = 5m\nallow_unattended = yes\n"
			      "engineer_key = /b.pub\n",
		  0, 0, NULL },
		{ GOOD_CONFIG "colour = blue\n", -EINVAL, 0,
		  "unknown key 'colour' in [session]" },
		{ GOOD_CONFIG "ttl = forever\n", 0, -EINVAL, "ttl" },
		{ GOOD_CONFIG "listen_port = 70000\n", -EINVAL, 0,
		  "given twice" },
		{ GOOD_CONFIG "relay_port = 0\n", 0, -EINVAL, "relay_port" },
		{ GOOD_CONFIG "allow_unattended = sure\n", 0, -EINVAL,
		  "allow_unattended" },
		{ "[session]\nrelay_host = r\nrelay_user = u\nkey = k\n"
		  "listen_port = 1\nengineer_key = e\n",
		  0, -EINVAL, "never trusted on first use" },
		{ "[session]\nrelay_user = u\n", 0, -EINVAL, "no relay" },
		{ "[session]\nrelay_host = r\nrelay_user = u\n"
		  "relay_host_key = SHA256:x\nkey = k\nlisten_port = 1\n",
		  0, -EINVAL, "--engineer-key" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *path = write_temp(cases[i].text), *err = NULL;
		struct session_opts o;
		struct config cfg;
		int r;

		config_init(&cfg);
		session_opts_init(&o);
		r = config_load(&cfg, path, false, session_schema, &err);
		assert_int_equal(r, cases[i].load);
		if (r == 0) {
			/* allow_unattended counts from the system file. */
			setenv("RDIAG_SYSTEM_CONFIG", path, 1);
			r = session_opts_load(&o, &cfg, &err);
			assert_int_equal(r, cases[i].opts);
		}
		if (cases[i].err) {
			assert_non_null(err);
			if (!strstr(err, cases[i].err))
				fail_msg("case %zu: '%s' lacks '%s'", i, err,
					 cases[i].err);
		} else {
			assert_null(err);
		}
		if (i == 0) {
			assert_string_equal(o.relay_host, "relay.example");
			assert_int_equal(o.relay_port, 22);
			assert_int_equal(o.listen_port, 4711);
			assert_string_equal(o.listen_address, "127.0.0.1");
			assert_int_equal(o.ttl_s, 3600);
			assert_int_equal(o.idle_s, 900);
			assert_false(o.allow_unattended);
			assert_string_equal(o.engineer_key_files[0],
					    "/etc/rdiag/engineers.pub");
			assert_null(o.engineer_key_files[1]);
		}
		if (i == 1) {
			assert_int_equal(o.ttl_s, 7200);
			assert_int_equal(o.idle_s, 300);
			assert_true(o.allow_unattended);
			assert_string_equal(o.engineer_key_files[1], "/b.pub");
			/* The same "yes" from a user's --config is ignored. */
			session_opts_release(&o);
			session_opts_init(&o);
			setenv("RDIAG_SYSTEM_CONFIG", "", 1);
			assert_int_equal(session_opts_load(&o, &cfg, &err), 0);
			assert_false(o.allow_unattended);
			assert_non_null(o.unattended_why);
			assert_non_null(
				strstr(o.unattended_why,
				       "only the system configuration"));
		}
		free(err);
		session_opts_release(&o);
		config_release(&cfg);
		unlink(path);
		free(path);
	}
}

static void test_flags_override(void **state)
{
	char *path = write_temp(GOOD_CONFIG "ttl = 2h\n"), *err = NULL;
	struct session_opts o;
	struct config cfg;

	(void)state;
	config_init(&cfg);
	session_opts_init(&o);
	assert_int_equal(config_load(&cfg, path, false, session_schema, &err),
			 0);
	config_add(&cfg, "session", "ttl", "10m", "--ttl");
	config_add(&cfg, "session", "state_dir", "/srv/s", "--state-dir");
	assert_int_equal(session_opts_load(&o, &cfg, &err), 0);
	assert_int_equal(o.ttl_s, 600);
	assert_string_equal(o.state_dir, "/srv/s");
	session_opts_release(&o);
	config_release(&cfg);
	unlink(path);
	free(path);
}

static void test_state_dir(void **state)
{
	char *d;

	(void)state;
	setenv("XDG_STATE_HOME", "/x/state", 1);
	d = session_state_dir(NULL);
	assert_string_equal(d, "/x/state/rdiag/sessions");
	free(d);
	setenv("XDG_STATE_HOME", "relative", 1);
	d = session_state_dir(NULL);
	assert_string_not_equal(d, "relative/rdiag/sessions");
	free(d);
	unsetenv("XDG_STATE_HOME");
}

static void test_keys_load(void **state)
{
	char *good = write_temp("# engineers\n" ALICE_KEY "\n\n");
	char *bad = write_temp("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJosKSpw "
			       "broken\n");
	char *empty = write_temp("# nobody\n");
	char *files[2] = { NULL, NULL };
	struct session_opts o;
	char *err = NULL;

	(void)state;
	session_opts_init(&o);
	o.engineer_key_files = files;
	files[0] = good;
	assert_int_equal(session_keys_load(&o, &err), 0);
	assert_int_equal(o.nkeys, 1);
	assert_string_equal(o.keys[0].fp, ALICE_FP);
	assert_string_equal(o.keys[0].comment, "alice@vendor");
	session_key_release(&o.keys[0]);
	free(o.keys);
	o.keys = NULL;
	o.nkeys = 0;

	files[0] = bad;
	assert_int_equal(session_keys_load(&o, &err), -EINVAL);
	assert_non_null(strstr(err, ":1:"));
	free(err);
	err = NULL;
	assert_int_equal(o.nkeys, 0);

	files[0] = empty;
	assert_int_equal(session_keys_load(&o, &err), -EINVAL);
	assert_non_null(strstr(err, "holds no key"));
	free(err);
	err = NULL;

	files[0] = (char *)"/nonexistent/keys.pub";
	assert_int_equal(session_keys_load(&o, &err), -ENOENT);
	free(err);

	unlink(good);
	unlink(bad);
	unlink(empty);
	free(good);
	free(bad);
	free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fp_format),
		cmocka_unit_test(test_fp_match),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_key_line),
		cmocka_unit_test(test_consent_text),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_cast_lines),
		cmocka_unit_test(test_audit_format),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_flags_override),
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_keys_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
