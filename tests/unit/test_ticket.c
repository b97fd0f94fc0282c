/*
 * Unit tests for the pure parts of the ticket adapters: URL parsing, ticket
 * ids, size decisions, reply parsing, and the note in every markup with
 * hostile finding texts (escaping).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ticket/ticket.h"

static void test_url_parse(void **state)
{
	static const struct {
		const char *in;
		int r;
		enum ticket_system sys;
		const char *base;
	} cases[] = {
		{ "redmine+https://support.example.com", 0, TICKET_REDMINE,
		  "https://support.example.com" },
		{ "redmine+https://h:8443/redmine/", 0, TICKET_REDMINE,
		  "https://h:8443/redmine" },
		{ "rt+https://rt.example/rt", 0, TICKET_RT,
		  "https://rt.example/rt" },
		{ "jira+https://acme.atlassian.net/", 0, TICKET_JIRA,
		  "https://acme.atlassian.net" },
		{ "zendesk+https://acme.zendesk.com", 0, TICKET_ZENDESK,
		  "https://acme.zendesk.com" },
		{ "rt+https://[::1]:9443", 0, TICKET_RT, "https://[::1]:9443" },
		{ "jira+https://h/path", -EINVAL, 0, NULL },
		{ "redmine+http://h", -EINVAL, 0, NULL },
		{ "redmine+https://user:pw@h", -EINVAL, 0, NULL },
		{ "redmine+https://h?key=x", -EINVAL, 0, NULL },
		{ "redmine+https://", -EINVAL, 0, NULL },
		{ "redmine+https://h:0", -EINVAL, 0, NULL },
		{ "redmine+https://h:99999", -EINVAL, 0, NULL },
		{ "redmine+https://h x", -EINVAL, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ticket_url u;
		char *err = NULL;
		int r = ticket_url_parse(cases[i].in, &u, &err);

		assert_int_equal(r, cases[i].r);
		if (r == 0) {
			assert_int_equal(u.system, cases[i].sys);
			assert_string_equal(u.base, cases[i].base);
			ticket_url_release(&u);
		} else {
			assert_non_null(err);
			assert_null(strstr(err, "pw@"));
			free(err);
		}
	}
	assert_true(ticket_url_is("zendesk+https://x"));
	assert_false(ticket_url_is("https://x"));
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(ticket_id_valid(TICKET_REDMINE, "4711"));
	assert_false(ticket_id_valid(TICKET_REDMINE, "0"));
	assert_false(ticket_id_valid(TICKET_REDMINE, "SUP-1"));
	assert_false(ticket_id_valid(TICKET_RT, "1/../2"));
	assert_false(ticket_id_valid(TICKET_ZENDESK, ""));
	assert_true(ticket_id_valid(TICKET_JIRA, "SUP-4711"));
	assert_true(ticket_id_valid(TICKET_JIRA, "A1_B-2"));
	assert_true(ticket_id_valid(TICKET_JIRA, "10042"));
	assert_false(ticket_id_valid(TICKET_JIRA, "sup-1"));
	assert_false(ticket_id_valid(TICKET_JIRA, "SUP-"));
	assert_false(ticket_id_valid(TICKET_JIRA, "SUP-01"));
	assert_false(ticket_id_valid(TICKET_JIRA, "SUP-1?x=1"));
}

static void test_size_decide(void **state)
{
	static const struct {
		uint64_t size, limit;
		bool store;
		enum ticket_size_action want;
	} cases[] = {
		{ 10, 0, false, TICKET_ATTACH },
		{ 10, 10, false, TICKET_ATTACH },
		{ 11, 10, false, TICKET_TOO_LARGE },
		{ 11, 10, true, TICKET_STORE },
		{ 5ull << 30, 5ull << 20, true, TICKET_STORE },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(ticket_size_decide(cases[i].size,
						    cases[i].limit,
						    cases[i].store),
				 cases[i].want);
	assert_int_equal(ticket_default_limit(TICKET_REDMINE), 5u << 20);
	assert_int_equal(ticket_default_limit(TICKET_ZENDESK), 50u << 20);
}

static void test_replies(void **state)
{
	char *d = NULL, *s;
	bool en;
	uint64_t lim, size;
	json_t *arr;

	(void)state;
	assert_int_equal(ticket_redmine_token_digest(
				 "7.ed32257a2ab0f7526c0d72c32994c58b131bb2c0775"
				 "f7aa84aae01ea8397ea54",
				 &d),
			 0);
	assert_string_equal(d, "ed32257a2ab0f7526c0d72c32994c58b131bb2c0775f7a"
			       "a84aae01ea8397ea54");
	free(d);
	d = (char *)"x";
	assert_int_equal(ticket_redmine_token_digest("12", &d), 0);
	assert_null(d);
	assert_int_equal(ticket_redmine_token_digest(
				 "1.b8f3a2ff3e4c67bc2a7d5e43b1d8dbb6", &d),
			 0);
	assert_null(d); /* MD5 from an old Redmine: no digest to compare */
	assert_int_equal(ticket_redmine_token_digest("x.abc", &d), -EINVAL);
	assert_int_equal(ticket_redmine_token_digest("1.XYZ", &d), -EINVAL);

	assert_int_equal(ticket_jira_meta_parse(
				 "{\"enabled\":true,\"uploadLimit\":10485760}",
				 &en, &lim),
			 0);
	assert_true(en);
	assert_int_equal(lim, 10485760);
	assert_int_equal(
		ticket_jira_meta_parse("{\"enabled\":false}", &en, &lim), 0);
	assert_false(en);
	assert_int_equal(lim, 0);
	assert_int_equal(
		ticket_jira_meta_parse("{\"uploadLimit\":1}", &en, &lim),
		-EINVAL);
	assert_int_equal(ticket_jira_meta_parse("[", &en, &lim), -EINVAL);

	arr = json_loads("[{\"filename\":\"a\",\"size\":1},"
			 "{\"filename\":\"b\",\"size\":\"2\"},"
			 "{\"filename\":\"a\",\"size\":3}]",
			 0, NULL);
	assert_int_equal(
		ticket_find_attachment(arr, "filename", "size", "a", &size), 0);
	assert_int_equal(size, 3); /* the newest */
	assert_int_equal(
		ticket_find_attachment(arr, "filename", "size", "b", &size),
		-ENOENT); /* a size that is not a number */
	assert_int_equal(ticket_find_attachment(json_object_get(arr, "x"),
						"filename", "size", "a", &size),
			 -EINVAL);
	json_decref(arr);

	s = ticket_error_text("{\"errors\":[\"This file cannot be uploaded "
			      "because it exceeds the maximum allowed file "
			      "size (5242880)\"]}");
	assert_string_equal(s, "This file cannot be uploaded because it "
			       "exceeds the maximum allowed file size "
			       "(5242880)");
	free(s);
	s = ticket_error_text("{\"errorMessages\":[\"Issue does not "
			      "exist\"],\"errors\":{\"f\":\"bad\\nline\"}}");
	assert_string_equal(s, "Issue does not exist; bad line");
	free(s);
	s = ticket_error_text("{\"error\":\"RecordNotFound\","
			      "\"description\":\"Not found\"}");
	assert_string_equal(s, "RecordNotFound; Not found");
	free(s);
	assert_null(ticket_error_text("<html>"));
	assert_null(ticket_error_text("{}"));
}

static json_t *hostile(void)
{
	return json_loads(
		"[{\"id\":\"db.pg.no_hba\",\"severity\":\"fail\",\"level\":4,"
		"\"title\":\"*bold* <script>x</script> [[W]] {{toc}} #1 "
		"\\\\x\",\"detail\":\"a & b \\\"q\\\" 'x'\\nline\","
		"\"hint\":\"http://evil/\"},"
		"{\"id\":\"sys.disk\",\"severity\":\"warn\",\"level\":0,"
		"\"title\":\"Disk\"},"
		"{\"id\":\"ok1\",\"severity\":\"ok\",\"level\":0,\"title\":"
		"\"A\"},"
		"{\"id\":\"i1\",\"severity\":\"info\",\"level\":0,"
		"\"title\":\"I\"}]",
		0, NULL);
}

static void note_init(struct ticket_note *n, json_t *f)
{
	memset(n, 0, sizeof(*n));
	n->findings = f;
	n->host = "host<1>";
	n->ticket = "4711";
	n->version = "0.1.0";
	n->bundle = "rdiag-host-4711.tar.gz";
	n->size = 2048;
	n->sha256 = "ab12";
}

static void test_note_markups(void **state)
{
	static const struct {
		enum ticket_markup m;
		const char *must[6];
		const char *never[4];
	} cases[] = {
		{ TICKET_MARKUP_TEXTILE,
		  { "h3. rdiag verdict for host&#60;1&#62;, ticket 4711\n",
		    "* *FAIL* &#42;bold&#42; &#60;script&#62;",
		    "&#91;&#91;W&#93;&#93; &#123;&#123;toc&#125;&#125; &#35;1",
		    "a &#38; b &#34;q&#34; &#39;x&#39; line",
		    "1 check passed, 2 problems found.", "SHA&#45;256" },
		  { "<script>", "{{toc}}", "[[W]]", "http://" } },
		{ TICKET_MARKUP_HTML,
		  { "<h3>rdiag verdict for host&lt;1&gt;, ticket 4711</h3>",
		    "<li><strong>FAIL</strong> *bold* &lt;script&gt;x&lt;/"
		    "script&gt;",
		    "a &amp; b &quot;q&quot; &#39;x&#39; line",
		    "<code>db.pg.no_hba</code>", "<p>1 check passed",
		    "<code>ab12</code>" },
		  { "<script>", "\"q\"", NULL, NULL } },
		{ TICKET_MARKUP_JIRA,
		  { "h3. rdiag verdict for host\\<1\\>, ticket 4711\n",
		    "* *FAIL* \\*bold\\* \\<script\\>x\\</script\\>",
		    "\\[\\[W\\]\\] \\{\\{toc\\}\\} \\#1 \\\\x",
		    "db.pg.no\\_hba", "1 check passed", "SHA\\-256: ab12" },
		  { "[[W]]", "{{toc}}", "*bold*", NULL } },
		{ TICKET_MARKUP_PLAIN,
		  { "rdiag verdict for host<1>, ticket 4711\n",
		    "FAIL  *bold* <script>x</script>",
		    "Bundle:  rdiag-host-4711.tar.gz (2.0 KiB, 2048 bytes)",
		    "SHA-256: ab12", "1 check passed, 2 problems found.",
		    "Posted by rdiag 0.1.0" },
		  { "\nline", NULL, NULL, NULL } },
	};
	json_t *f = hostile();
	struct ticket_note n;

	(void)state;
	note_init(&n, f);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = ticket_note_render(&n, cases[i].m);

		for (size_t k = 0; k < 6; k++)
			if (cases[i].must[k] && !strstr(s, cases[i].must[k]))
				fail_msg("markup %d lacks '%s' in:\n%s",
					 (int)cases[i].m, cases[i].must[k], s);
		for (size_t k = 0; k < 4; k++)
			if (cases[i].never[k] && strstr(s, cases[i].never[k]))
				fail_msg("markup %d has '%s' in:\n%s",
					 (int)cases[i].m, cases[i].never[k], s);
		free(s);
	}
	json_decref(f);
}

/* Collectors from the manifest that did not finish are named. */
static void test_note_unfinished(void **state)
{
	static const struct bundle_manifest_collector cols[] = {
		{ .name = "system", .status = STATUS_OK },
		{ .name = "nas", .status = STATUS_TIMEOUT },
		{ .name = "antivirus", .status = STATUS_SKIPPED },
		{ .name = "database", .status = STATUS_CRASHED },
	};
	json_t *f = hostile();
	struct ticket_note n;
	char *s;

	(void)state;
	note_init(&n, f);
	n.collectors = cols;
	n.ncollectors = ARRAY_SIZE(cols);
	s = ticket_note_render(&n, TICKET_MARKUP_HTML);
	assert_non_null(strstr(s, "Collectors that did not finish: "
				  "<code>nas</code> (timeout) "
				  "<code>database</code> (crashed)"));
	assert_null(strstr(s, "(ok)"));
	assert_null(strstr(s, "(skipped)"));
	free(s);
	n.ncollectors = 1;
	s = ticket_note_render(&n, TICKET_MARKUP_HTML);
	assert_null(strstr(s, "did not finish"));
	free(s);
	json_decref(f);
}

static void test_note_adf_and_link(void **state)
{
	json_t *f = hostile(), *doc;
	struct ticket_note n;
	char *s;

	(void)state;
	note_init(&n, f);
	n.link = "https://store.example/in/rdiag-host-4711.tar.gz";
	n.attached = "findings.json";
	s = ticket_note_render(&n, TICKET_MARKUP_ADF);
	doc = json_loads(s, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "type")),
			    "doc");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")),
			 1);
	/* Text nodes carry the raw text; the link is a link mark. */
	assert_non_null(strstr(s, "\"text\":\"*bold* <script>x</script>"));
	assert_non_null(strstr(s, "\"href\":\"https://store.example/in/"));
	assert_null(strstr(s, "\"text\":\"\"")); /* ADF refuses empty text */
	json_decref(doc);
	free(s);
	s = ticket_note_render(&n, TICKET_MARKUP_HTML);
	assert_non_null(strstr(s, "<a href=\"https://store.example/in/"));
	assert_non_null(strstr(s, "Attached instead: <code>findings.json"));
	free(s);
	n.link = "https://x/\"><script>";
	s = ticket_note_render(&n, TICKET_MARKUP_HTML);
	assert_null(strstr(s, "<a href")); /* not a safe link: text only */
	assert_null(strstr(s, "<script>"));
	free(s);
	json_decref(f);
}

static void test_note_cap(void **state)
{
	json_t *f = json_array();
	struct ticket_note n;
	char *s, want[64];

	(void)state;
	for (int i = 0; i < TICKET_NOTE_MAX_FINDINGS + 5; i++)
		json_array_append_new(f, json_pack("{s:s, s:s, s:i, s:s}", "id",
						   "x", "severity", "warn",
						   "level", 0, "title", "t"));
	note_init(&n, f);
	s = ticket_note_render(&n, TICKET_MARKUP_HTML);
	snprintf(want, sizeof(want), "5 more not listed here");
	assert_non_null(strstr(s, want));
	free(s);
	json_decref(f);
}

static void test_opts(void **state)
{
	struct config c;
	struct ticket_opts o;
	char *err = NULL;

	(void)state;
	config_init(&c);
	config_add(&c, "ticket", "max_attachment", "20M", "--test");
	config_add(&c, "ticket", "public", "yes", "--test");
	config_add(&c, "ticket", "jira_api", "3", "--test");
	assert_int_equal(ticket_opts_load(&o, &c, &err), 0);
	assert_int_equal(o.max_attachment, 20u << 20);
	assert_true(o.public_note);
	assert_int_equal(o.jira_api, 3);
	config_add(&c, "ticket", "jira_api", "4", "--test");
	assert_int_equal(ticket_opts_load(&o, &c, &err), -EINVAL);
	assert_non_null(strstr(err, "jira_api"));
	free(err);
	err = NULL;
	config_release(&c);
	config_init(&c);
	config_add(&c, "ticket", "store", "redmine+https://x", "--test");
	assert_int_equal(ticket_opts_load(&o, &c, &err), -EINVAL);
	free(err);
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_size_decide),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_note_markups),
		cmocka_unit_test(test_note_unfinished),
		cmocka_unit_test(test_note_adf_and_link),
		cmocka_unit_test(test_note_cap),
		cmocka_unit_test(test_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
