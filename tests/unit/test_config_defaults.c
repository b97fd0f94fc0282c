/*
 * A key's default is written once, in its key table (config_schema()), and
 * `rdiag list` and the man page test print it from there. The code that
 * reads the key has its own fallback; this test keeps the two equal: for
 * every key with a default, a config that sets the key to that default
 * must load exactly like an empty one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/config_schema.h"
#include "core/run.h"
#include "rdiag/buf.h"
#include "request/agentd.h"
#include "session/session.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

/*
 * What section's loader makes of c, as text (NULL: this test has no
 * loader for the section). Only values that have defaults are printed.
 */
static char *fingerprint(const char *section, const struct config *c)
{
	char *err = NULL, *s = NULL;

	if (strcmp(section, "agent") == 0) {
		struct run_plan p;

		run_plan_init(&p);
		for (size_t i = 0; i < c->n; i++)
			config_add(&p.config, c->entries[i].section,
				   c->entries[i].key, c->entries[i].value,
				   c->entries[i].origin);
		assert_int_equal(run_plan_apply_config(&p, &err), 0);
		s = xasprintf("out_dir=%s timeout=%u jobs=%u compress=%d "
			      "min_free_mb=%llu",
			      p.out_dir, p.timeout_s, p.jobs, (int)p.compress,
			      (unsigned long long)p.min_free_mb);
		run_plan_release(&p);
	} else if (strcmp(section, "upload") == 0) {
		struct upload_opts o;

		assert_int_equal(upload_opts_load(&o, c, &err), 0);
		s = xasprintf("s3_path_style=%d part_size=%llu "
			      "multipart_threshold=%llu connect=%u stall=%u "
			      "retries=%u retry_max_ms=%u retry_base_ms=%u",
			      o.s3_path_style, (unsigned long long)o.part_size,
			      (unsigned long long)o.multipart_threshold,
			      o.connect_timeout_s, o.stall_timeout_s, o.retries,
			      o.retry_max_ms, o.retry_base_ms);
	} else if (strcmp(section, "session") == 0) {
		struct session_opts o;

		/* Without a relay the load fails, after the values. */
		session_opts_init(&o);
		(void)session_opts_load(&o, c, &err);
		s = xasprintf("relay_port=%u unattended=%d read_only=%d "
			      "ttl=%u idle=%u keepalive=%u connect=%u "
			      "engineers=%u",
			      o.relay_port, o.allow_unattended, o.read_only,
			      o.ttl_s, o.idle_s, o.keepalive_s,
			      o.connect_timeout_s, o.max_engineers);
		session_opts_release(&o);
	} else if (strcmp(section, "agentd") == 0) {
		/* The agent reads its config from a file, as installed. */
		char *path = xstrdup("/tmp/rdiag-defaults-XXXXXX");
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");
		struct agentd_opts o;

		assert_non_null(f);
		fputs("[agentd]\n", f);
		for (size_t i = 0; i < c->n; i++)
			fprintf(f, "%s = %s\n", c->entries[i].key,
				c->entries[i].value);
		fclose(f);
		setenv("RDIAG_SYSTEM_CONFIG", "", 1);
		assert_int_equal(agentd_opts_load(&o, path, config_schema(),
						  false, &err),
				 0);
		s = xasprintf("interval=%u max_interval=%u", o.interval_s,
			      o.max_interval_s);
		agentd_opts_release(&o);
		unlink(path);
		free(path);
	} else if (strcmp(section, "ticket") == 0) {
		struct ticket_opts o;

		assert_int_equal(ticket_opts_load(&o, c, &err), 0);
		s = xasprintf("public=%d jira_api=%u rt_plain=%d",
			      o.public_note, o.jira_api, o.rt_plain);
	}
	free(err);
	return s;
}

static void test_code_defaults_are_the_tables(void **state)
{
	const struct config_section *sec = config_schema();
	size_t checked = 0;

	(void)state;
	unsetenv("AWS_REGION");
	for (; sec->name; sec++) {
		for (const struct config_key *k = sec->keys; k && k->name;
		     k++) {
			struct config empty, set;
			char *a, *b;

			if (!k->def)
				continue;
			config_init(&empty);
			config_init(&set);
			config_add(&set, sec->name, k->name, k->def, "--test");
			a = fingerprint(sec->name, &empty);
			b = fingerprint(sec->name, &set);
			if (a && strcmp(a, b) != 0)
				fail_msg("[%s] %s: the table says %s, the code "
					 "does otherwise:\n  unset: %s\n  "
					 "set:   %s",
					 sec->name, k->name, k->def, a, b);
			checked += a != NULL;
			free(a);
			free(b);
			config_release(&empty);
			config_release(&set);
		}
	}
	/* [agent], [upload], [session], [ticket], [agentd] have defaults. */
	assert_true(checked >= 20);
}

/* The fingerprints notice a value other than the default. */
static void test_fingerprint_sees_a_change(void **state)
{
	static const struct {
		const char *section, *key, *value;
	} cases[] = {
		{ "agent", "timeout", "121" },
		{ "upload", "retries", "6" },
		{ "session", "ttl", "2h" },
		{ "ticket", "public", "yes" },
		{ "agentd", "poll_interval", "61" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config empty, set;
		char *a, *b;

		config_init(&empty);
		config_init(&set);
		config_add(&set, cases[i].section, cases[i].key, cases[i].value,
			   "--test");
		a = fingerprint(cases[i].section, &empty);
		b = fingerprint(cases[i].section, &set);
		assert_string_not_equal(a, b);
		free(a);
		free(b);
		config_release(&empty);
		config_release(&set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_defaults_are_the_tables),
		cmocka_unit_test(test_fingerprint_sees_a_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
