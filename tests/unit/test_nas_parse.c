/*
 * The nas collector's pure parsers: mount options from mountinfo fixtures,
 * /proc/self/mountstats, /proc/fs/cifs/Stats and lexical path
 * normalisation.
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

#include "harness.h"
#include "mountinfo.h"
#include "nas_parse.h"
#include "rdiag/util.h"

static char *slurp(const char *rel, size_t *ret_len)
{
	char *d = xmalloc(1 << 20);
	size_t n = harness_read_data(rel, d, (1 << 20) - 1);

	d[n] = '\0';
	*ret_len = n;
	return d;
}

static void test_mount_opts(void **state)
{
	static const struct {
		const char *mnt;
		enum nas_proto proto;
		const char *server, *vers, *proto_name, *sec;
		bool ro, soft, nolock;
		long timeo, retrans;
		unsigned port;
	} cases[] = {
		{ "/mnt/app", NAS_PROTO_NFS, "nas1", "4.2", "tcp", "sys", false,
		  false, false, 600, 2, 0 },
		{ "/mnt/old", NAS_PROTO_NFS, "nas2", "3", "udp", "sys", true,
		  true, true, 11, 3, 0 },
		{ "/mnt/smb", NAS_PROTO_SMB, "srv", "3.1.1", "", "", false,
		  true, true, -1, -1, 0 },
		{ "/mnt/legacy", NAS_PROTO_SMB, "oldnas", "1.0", "", "", false,
		  false, false, -1, -1, 1445 },
		{ "/mnt/v6", NAS_PROTO_NFS, "fd00::8", "4.1", "tcp6", "krb5p",
		  false, false, false, 600, 2, 0 },
		{ "/", NAS_PROTO_OTHER, "", "", "", "", false, false, false, -1,
		  -1, 0 },
	};
	struct mount_table t;
	size_t len;
	char *text = slurp("nas/mountinfo.txt", &len);

	(void)state;
	assert_int_equal(mountinfo_parse(text, len, &t), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mount_entry *e = NULL;
		struct nas_mount_opts o;

		for (size_t k = 0; k < t.n; k++)
			if (strcmp(t.v[k].mount_point, cases[i].mnt) == 0)
				e = &t.v[k];
		assert_non_null(e);
		nas_mount_opts_parse(e, &o);
		assert_int_equal(o.proto, cases[i].proto);
		assert_string_equal(o.server, cases[i].server);
		assert_string_equal(o.vers, cases[i].vers);
		assert_string_equal(o.proto_name, cases[i].proto_name);
		assert_string_equal(o.sec, cases[i].sec);
		assert_int_equal(o.read_only, cases[i].ro);
		assert_int_equal(o.soft, cases[i].soft);
		assert_int_equal(o.nolock, cases[i].nolock);
		assert_int_equal(o.timeo, cases[i].timeo);
		assert_int_equal(o.retrans, cases[i].retrans);
		assert_int_equal(o.port, cases[i].port);
	}
	mount_table_release(&t);
	free(text);
}

static void test_mountstats(void **state)
{
	struct nas_mountstats s;
	struct nas_nfs_totals tot;
	const struct nas_nfs_stats *m;
	size_t len;
	char *text = slurp("nas/mountstats.txt", &len);

	(void)state;
	assert_int_equal(nas_mountstats_parse(text, len, &s), 0);
	assert_int_equal(s.n, 2); /* rootfs, proc and cifs are not NFS */
	m = nas_mountstats_find(&s, "/mnt/app");
	assert_non_null(m);
	assert_string_equal(m->device, "nas1:/export/app");
	assert_string_equal(m->fstype, "nfs4");
	assert_int_equal(m->age_s, 86400);
	assert_true(m->have_xprt);
	assert_int_equal(m->connect_count, 3);
	assert_int_equal(m->nops, 5);
	assert_string_equal(m->op[2].name, "WRITE");
	assert_int_equal(m->op[2].ops, 200);
	assert_int_equal(m->op[2].trans, 230);
	assert_int_equal(m->op[2].timeouts, 4);
	assert_int_equal(m->op[2].rtt_ms, 60000);
	assert_int_equal(m->op[2].errors, 2);
	nas_nfs_totals(m, &tot);
	assert_int_equal(tot.ops, 5621);
	assert_int_equal(tot.retrans, 30);
	assert_int_equal(tot.timeouts, 4);
	assert_string_equal(tot.slowest, "WRITE");
	assert_int_equal(tot.slowest_avg_ms, 300);

	m = nas_mountstats_find(&s, "/mnt/old");
	assert_non_null(m);
	assert_false(m->have_xprt); /* udp has no connect count */
	assert_int_equal(m->nops, 2);
	assert_int_equal(m->op[1].errors, 0); /* 8 columns: no errors */
	assert_null(nas_mountstats_find(&s, "/mnt/smb"));
	nas_mountstats_release(&s);

	/* Empty and junk input give empty tables. */
	assert_int_equal(nas_mountstats_parse("", 0, &s), 0);
	assert_int_equal(s.n, 0);
	nas_mountstats_release(&s);
	{
		static const char junk[] = "per-op statistics\nREAD: 1 2 3 4 5"
					   " 6 7 8\n";

		assert_int_equal(nas_mountstats_parse(junk, strlen(junk), &s),
				 0);
	}
	assert_int_equal(s.n, 0);
	nas_mountstats_release(&s);
	free(text);
}

static void test_cifs_stats(void **state)
{
	struct nas_cifs_stats *s = xcalloc(1, sizeof(*s));
	size_t len;
	char *text = slurp("nas/cifs-stats.txt", &len);

	(void)state;
	assert_int_equal(nas_cifs_stats_parse(text, len, s), 0);
	assert_true(s->have_reconnects);
	assert_int_equal(s->session_reconnects, 2);
	assert_int_equal(s->share_reconnects, 1);
	assert_int_equal(s->nshares, 2);
	assert_string_equal(s->share[0].name, "\\\\srv\\share");
	assert_int_equal(s->share[0].smbs, 117);
	assert_int_equal(s->share[0].failed, 4);
	assert_int_equal(s->share[0].total, 46);
	assert_int_equal(s->share[1].failed, 0);
	free(text);

	text = slurp("nas/cifs-stats-clean.txt", &len);
	assert_int_equal(nas_cifs_stats_parse(text, len, s), 0);
	assert_int_equal(s->session_reconnects, 0);
	assert_int_equal(s->nshares, 1);
	assert_int_equal(s->share[0].failed, 0);
	free(text);
	assert_int_equal(nas_cifs_stats_parse("", 0, s), 0);
	assert_false(s->have_reconnects);
	assert_int_equal(s->nshares, 0);
	free(s);
}

static void test_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/", "/" },
		{ "/mnt/share/", "/mnt/share" },
		{ "//mnt///share", "/mnt/share" },
		{ "/mnt/./share/.", "/mnt/share" },
		{ "/mnt/x/../share", "/mnt/share" },
		{ "/../..", "/" },
		{ "/a/b/../../..", "/" },
		{ "relative/path", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = nas_path_normalise(cases[i].in);

		if (!cases[i].out) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_opts),
		cmocka_unit_test(test_mountstats),
		cmocka_unit_test(test_cifs_stats),
		cmocka_unit_test(test_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
