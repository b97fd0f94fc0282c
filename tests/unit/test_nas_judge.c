/*
 * The nas collector's judgements: errno mapping, hangs, space and inode
 * thresholds, write timings, mount options, NFS and CIFS counters and the
 * SMB and NFS server verdicts, each as a table of inputs and the finding id,
 * severity and level they must give.
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

#include "nas_judge.h"
#include "rdiag/util.h"

static const struct nas_where share = { "/mnt/nas/app", "/mnt/nas", "nfs4",
					"nas:/export", true };
static const struct nas_where local = { "/srv/app", "/srv", "ext4", "/dev/sda1",
					false };

static bool has(const struct verdict_list *vs, const char *id)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].id, id) == 0)
			return true;
	return false;
}

static void test_errno(void **state)
{
	static const struct {
		const struct nas_where *w;
		enum nas_op op;
		int err;
		const char *id;
		enum support_level level;
		const char *words;
	} cases[] = {
		{ &share, NAS_OP_STAT, ESTALE, "nas.path.stale", 4, "stale" },
		{ &share, NAS_OP_READDIR, EIO, "nas.path.io_error", 4,
		  "input/output" },
		{ &share, NAS_OP_STAT, ENOTCONN, "nas.path.disconnected", 4,
		  "not connected" },
		{ &share, NAS_OP_READDIR, EACCES, "nas.path.denied", 4,
		  "permission" },
		{ &local, NAS_OP_CREATE, EACCES, "nas.write.denied", 0,
		  "permission" },
		{ &share, NAS_OP_CREATE, EROFS, "nas.write.read_only", 4,
		  "read-only" },
		{ &local, NAS_OP_WRITE, ENOSPC, "nas.write.no_space", 0,
		  "no space" },
		{ &share, NAS_OP_FSYNC, EDQUOT, "nas.write.no_space", 4,
		  "quota" },
		{ &share, NAS_OP_LOCK, ENOLCK, "nas.lock.unavailable", 4,
		  "lock manager" },
		{ &share, NAS_OP_LOCK, EINVAL, "nas.lock.failed", 4,
		  "not supported" },
		{ &share, NAS_OP_STAT, ENOENT, "nas.path.missing", 0,
		  "does not exist" },
		{ &share, NAS_OP_UNLINK, ENOENT, "nas.write.failed", 4,
		  "does not exist" },
		{ &local, NAS_OP_STATFS, ENOSYS, "nas.path.error", 0,
		  "unexpected" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list l = VERDICT_LIST_INIT;
		const struct verdict_item *v;
		char num[16];

		nas_judge_errno(cases[i].w, cases[i].op, cases[i].err, &l);
		assert_int_equal(l.n, 1);
		v = &l.v[0];
		assert_string_equal(v->id, cases[i].id);
		assert_int_equal(v->severity, SEVERITY_FAIL);
		assert_int_equal(v->level, cases[i].level);
		assert_non_null(strstr(v->detail, cases[i].words));
		snprintf(num, sizeof(num), "errno %d", cases[i].err);
		assert_non_null(strstr(v->detail, num));
		assert_true(strlen(v->title) > 0 && strlen(v->hint) > 0);
		verdict_list_release(&l);
	}
}

static void test_hang(void **state)
{
	struct verdict_list l = VERDICT_LIST_INIT;

	(void)state;
	nas_judge_hang(&share, NAS_OP_STAT, true, 4242,
		       "request_wait_answer (state D)", 1000, 2003, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "nas.mount.hung");
	assert_int_equal(l.v[0].severity, SEVERITY_FAIL);
	assert_int_equal(l.v[0].level, LEVEL_THIRD_PARTY);
	assert_non_null(strstr(l.v[0].detail, "process 4242"));
	assert_non_null(strstr(l.v[0].detail, "request_wait_answer (state D)"));
	assert_non_null(strstr(l.v[0].detail, "1000 ms deadline"));
	assert_non_null(strstr(l.v[0].hint, "umount -l /mnt/nas"));
	verdict_list_release(&l);
	nas_judge_hang(&share, NAS_OP_READDIR, false, 77, "", 500, 520, &l);
	assert_non_null(strstr(l.v[0].detail, "was killed"));
	assert_null(strstr(l.v[0].detail, "state D"));
	verdict_list_release(&l);
}

static void test_mismatch(void **state)
{
	struct verdict_list l = VERDICT_LIST_INIT;

	(void)state;
	nas_judge_mismatch(&share, NAS_OP_READ, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "nas.write.mismatch");
	assert_int_equal(l.v[0].severity, SEVERITY_FAIL);
	assert_int_equal(l.v[0].level, LEVEL_THIRD_PARTY);
	assert_string_equal(l.v[0].title, "What was written to /mnt/nas/app "
					  "is not what came back");
	assert_non_null(strstr(l.v[0].detail, "read back failed on"));
	assert_non_null(strstr(l.v[0].hint, "NAS vendor"));
	verdict_list_release(&l);
}

static void test_space(void **state)
{
	static const struct {
		struct nas_space s;
		const char *id1, *id2;
	} cases[] = {
		{ { 4096, 1000, 500, 450, 1000, 900 }, "nas.space.ok", NULL },
		{ { 4096, 1000, 80, 80, 1000, 900 }, "nas.space.low", NULL },
		{ { 4096, 1000, 10, 5, 1000, 900 }, "nas.space.full", NULL },
		{ { 4096, 1000, 50, 0, 1000, 900 }, "nas.space.full", NULL },
		{ { 4096, 1000, 500, 500, 1000, 50 }, "nas.inodes.low", NULL },
		{ { 4096, 1000, 500, 500, 1000, 0 }, "nas.inodes.full", NULL },
		{ { 4096, 1000, 0, 0, 1000, 0 },
		  "nas.space.full",
		  "nas.inodes.full" },
		/* FUSE and some NAS report no inodes at all: not full. */
		{ { 4096, 1000, 500, 500, 0, 0 }, "nas.space.ok", NULL },
	};
	struct nas_thresholds t;

	(void)state;
	nas_thresholds_default(&t);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list vs = VERDICT_LIST_INIT;

		nas_judge_space(&share, &cases[i].s, &t, &vs);
		assert_true(has(&vs, cases[i].id1));
		if (cases[i].id2)
			assert_true(has(&vs, cases[i].id2));
		assert_int_equal(vs.n, cases[i].id2 ? 2 : 1);
		assert_int_equal(vs.v[0].level, LEVEL_THIRD_PARTY);
		verdict_list_release(&vs);
	}
	{
		struct verdict_list vs = VERDICT_LIST_INIT;

		nas_judge_space(&local, &cases[2].s, &t, &vs);
		assert_int_equal(vs.v[0].level, LEVEL_SELF);
		assert_non_null(strstr(vs.v[0].detail, "100% used"));
		verdict_list_release(&vs);
	}
}

static void test_write(void **state)
{
	static const struct {
		struct nas_write_times wt;
		const char *id;
	} cases[] = {
		{ { 1, 2, 3, 1, 1, 65536 }, "nas.write.ok" },
		{ { 1, 2, 1500, 1, 1, 65536 }, "nas.write.slow" },
		{ { 1200, 2, 3, 1, 1, 65536 }, "nas.write.slow" },
		{ { 1, 999, 3, 1, 1, 65536 }, "nas.write.ok" },
	};
	struct nas_thresholds t;

	(void)state;
	nas_thresholds_default(&t);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list l = VERDICT_LIST_INIT;

		nas_judge_write(&share, &cases[i].wt, &t, &l);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].id, cases[i].id);
		assert_non_null(strstr(l.v[0].detail, "65536 bytes"));
		verdict_list_release(&l);
	}
}

static void test_throughput(void **state)
{
	struct nas_thresholds t;
	struct verdict_list l = VERDICT_LIST_INIT;

	(void)state;
	nas_thresholds_default(&t);
	nas_judge_throughput(&share, 100, 1000, 500, &t, &l);
	assert_string_equal(l.v[0].id, "nas.throughput.ok");
	assert_non_null(strstr(l.v[0].detail, "100.0 MiB/s"));
	verdict_list_release(&l);
	nas_judge_throughput(&share, 10, 2000, 100, &t, &l);
	assert_string_equal(l.v[0].id, "nas.throughput.slow");
	assert_int_equal(l.v[0].severity, SEVERITY_WARN);
	verdict_list_release(&l);
}

static void test_mount_opts(void **state)
{
	struct nas_mount_opts base;
	static const struct {
		enum nas_proto proto;
		bool soft, nolock;
		const char *vers, *proto_name;
		const char *ids[3];
	} cases[] = {
		{ NAS_PROTO_NFS,
		  false,
		  false,
		  "4.2",
		  "tcp",
		  { "nas.mount.ok" } },
		{ NAS_PROTO_NFS,
		  true,
		  false,
		  "3",
		  "tcp",
		  { "nas.mount.soft" } },
		{ NAS_PROTO_NFS,
		  false,
		  true,
		  "3",
		  "udp",
		  { "nas.mount.no_locking", "nas.mount.udp" } },
		{ NAS_PROTO_SMB,
		  true,
		  true,
		  "1.0",
		  "",
		  { "nas.mount.soft", "nas.mount.no_locking",
		    "nas.mount.smb1" } },
		{ NAS_PROTO_SMB,
		  false,
		  false,
		  "3.1.1",
		  "",
		  { "nas.mount.ok" } },
		{ NAS_PROTO_FUSE, true, true, "", "", { NULL } },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list vs = VERDICT_LIST_INIT;
		size_t want = 0;

		memset(&base, 0, sizeof(base));
		base.timeo = base.retrans = -1;
		base.proto = cases[i].proto;
		base.soft = cases[i].soft;
		base.nolock = cases[i].nolock;
		snprintf(base.vers, sizeof(base.vers), "%s", cases[i].vers);
		snprintf(base.proto_name, sizeof(base.proto_name), "%s",
			 cases[i].proto_name);
		nas_judge_mount_opts(&share, &base, &vs);
		for (size_t k = 0; k < 3 && cases[i].ids[k]; k++, want++)
			assert_true(has(&vs, cases[i].ids[k]));
		assert_int_equal(vs.n, want);
		for (size_t k = 0; k < vs.n; k++)
			assert_int_equal(vs.v[k].level, LEVEL_THIRD_PARTY);
		verdict_list_release(&vs);
	}
	/* soft with timeo=10 (1 s), retrans=1: gives up after 1+2 s. */
	{
		struct verdict_list vs = VERDICT_LIST_INIT;

		memset(&base, 0, sizeof(base));
		base.proto = NAS_PROTO_NFS;
		base.soft = true;
		base.timeo = 10;
		base.retrans = 1;
		nas_judge_mount_opts(&share, &base, &vs);
		assert_non_null(strstr(vs.v[0].detail, "after about 3 s"));
		verdict_list_release(&vs);
	}
}

static void test_nfs_stats(void **state)
{
	struct nas_nfs_stats s;
	struct nas_thresholds t;
	static const struct {
		uint64_t ops, trans, timeouts, rtt;
		const char *ids[3];
	} cases[] = {
		{ 1000, 1000, 0, 5000, { "nas.nfs.counters_ok" } },
		{ 1000, 1005, 0, 5000, { "nas.nfs.counters_ok" } }, /* 0.5% */
		{ 1000, 1050, 0, 5000, { "nas.nfs.retransmissions" } },
		{ 1000, 1000, 3, 5000, { "nas.nfs.timeouts" } },
		{ 1000, 1000, 0, 200000, { "nas.nfs.slow" } },
		{ 5, 5, 0, 5000, { "nas.nfs.counters_ok" } }, /* too few */
	};

	(void)state;
	nas_thresholds_default(&t);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct verdict_list vs = VERDICT_LIST_INIT;
		size_t want = 0;

		memset(&s, 0, sizeof(s));
		s.nops = 1;
		snprintf(s.op[0].name, sizeof(s.op[0].name), "WRITE");
		s.op[0].ops = cases[i].ops;
		s.op[0].trans = cases[i].trans;
		s.op[0].timeouts = cases[i].timeouts;
		s.op[0].rtt_ms = cases[i].rtt;
		nas_judge_nfs_stats(&share, &s, &t, &vs);
		for (size_t k = 0; k < 3 && cases[i].ids[k]; k++, want++)
			assert_true(has(&vs, cases[i].ids[k]));
		assert_int_equal(vs.n, want);
		verdict_list_release(&vs);
	}
}

static void test_cifs(void **state)
{
	struct nas_cifs_stats *s = xcalloc(1, sizeof(*s));
	struct verdict_list vs = VERDICT_LIST_INIT;

	(void)state;
	nas_judge_cifs_stats(s, &vs);
	assert_int_equal(vs.n, 0); /* nothing known, nothing said */
	s->have_reconnects = true;
	s->nshares = 1;
	s->share[0].total = 10;
	nas_judge_cifs_stats(s, &vs);
	assert_true(has(&vs, "nas.cifs.counters_ok"));
	verdict_list_release(&vs);
	s->session_reconnects = 2;
	s->share[0].failed = 3;
	nas_judge_cifs_stats(s, &vs);
	assert_true(has(&vs, "nas.cifs.reconnects"));
	assert_true(has(&vs, "nas.cifs.failed_ops"));
	assert_int_equal(vs.n, 2);
	free(s);
	verdict_list_release(&vs);
}

static void test_smb(void **state)
{
	struct smb_probe_result r;
	struct nas_thresholds t;
	struct verdict_list vs = VERDICT_LIST_INIT;

	(void)state;
	nas_thresholds_default(&t);

	memset(&r, 0, sizeof(r));
	r.connect_rc = -ECONNREFUSED;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_string_equal(vs.v[0].id, "nas.smb.unreachable");
	assert_int_equal(vs.v[0].severity, SEVERITY_FAIL);
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, true, &vs);
	assert_int_equal(vs.v[0].severity, SEVERITY_INFO);

	memset(&r, 0, sizeof(r));
	r.outcome = SMB_PROBE_SMB1_ONLY;
	r.smb2_rc = -ECONNRESET;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, true, &vs);
	assert_string_equal(vs.v[0].id, "nas.smb.smb1_only");
	assert_int_equal(vs.v[0].severity, SEVERITY_FAIL);
	assert_int_equal(vs.v[0].level, LEVEL_THIRD_PARTY);

	memset(&r, 0, sizeof(r));
	r.outcome = SMB_PROBE_NO_SMB;
	r.smb2_rc = -EBADMSG;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_string_equal(vs.v[0].id, "nas.smb.not_smb");

	/* 3.1.1, signing required, AES-128-GCM, policy on: only ok. */
	memset(&r, 0, sizeof(r));
	r.outcome = SMB_PROBE_SMB2;
	r.smb2.kind = SMB_REPLY_SMB2;
	r.smb2.dialect = SMB_DIALECT_311;
	r.smb2.security_mode = 3;
	r.smb2.have_cipher_context = true;
	r.smb2.cipher = 2;
	t.require_signing = t.require_encryption = true;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_int_equal(vs.n, 1);
	assert_string_equal(vs.v[0].id, "nas.smb.ok");
	assert_non_null(strstr(vs.v[0].detail, "AES-128-GCM"));

	/* 2.1, signing optional, no encryption, policy on: three. */
	r.smb2.dialect = SMB_DIALECT_210;
	r.smb2.security_mode = 1;
	r.smb2.have_cipher_context = false;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_true(has(&vs, "nas.smb.ok"));
	assert_true(has(&vs, "nas.smb.old_dialect"));
	assert_true(has(&vs, "nas.smb.signing_off"));
	assert_true(has(&vs, "nas.smb.encryption_off"));
	/* The same without a policy: no signing or encryption complaint. */
	t.require_signing = t.require_encryption = false;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_int_equal(vs.n, 2);
	/* 3.0.2 advertises encryption in its capabilities. */
	t.require_encryption = true;
	r.smb2.dialect = SMB_DIALECT_302;
	r.smb2.capabilities = SMB2_CAP_ENCRYPTION;
	verdict_list_release(&vs);
	nas_judge_smb("nas", 445, &r, &t, false, &vs);
	assert_false(has(&vs, "nas.smb.encryption_off"));
	verdict_list_release(&vs);
}

static void test_nfs(void **state)
{
	struct nas_nfs_probe p;
	struct verdict_list vs = VERDICT_LIST_INIT;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.rpcbind_port = 111;
	p.nfs_port = 2049;
	p.portmap_rc = -ECONNREFUSED;
	p.null_v3.rc = p.null_v4.rc = -ECONNREFUSED;
	verdict_list_release(&vs);
	nas_judge_nfs("nas", &p, false, &vs);
	assert_string_equal(vs.v[0].id, "nas.nfs.unreachable");
	assert_int_equal(vs.v[0].severity, SEVERITY_FAIL);
	assert_false(nas_nfs_probe_reached(&p));

	/* v4 only, no portmapper: ok, no lock manager complaint. */
	p.null_v4.rc = 0;
	p.null_v4.reply.accepted = true;
	verdict_list_release(&vs);
	nas_judge_nfs("nas", &p, false, &vs);
	assert_int_equal(vs.n, 1);
	assert_string_equal(vs.v[0].id, "nas.nfs.ok");

	/* v3 answers, portmapper says nlockmgr 0 and mountd 0. */
	p.portmap_rc = 0;
	p.null_v3 = p.null_v4;
	p.nlm_asked = p.mountd_asked = true;
	verdict_list_release(&vs);
	nas_judge_nfs("nas", &p, false, &vs);
	assert_true(has(&vs, "nas.nfs.ok"));
	assert_true(has(&vs, "nas.nfs.no_lock_manager"));
	assert_true(has(&vs, "nas.nfs.no_mountd"));
	p.nlm_port = 4045;
	p.mountd_port = 20048;
	verdict_list_release(&vs);
	nas_judge_nfs("nas", &p, false, &vs);
	assert_int_equal(vs.n, 1);

	/* v3 PROG_MISMATCH is named with the versions offered. */
	p.null_v3.reply.accept_stat = RPC_PROG_MISMATCH;
	p.null_v3.reply.low = p.null_v3.reply.high = 4;
	verdict_list_release(&vs);
	nas_judge_nfs("nas", &p, false, &vs);
	assert_non_null(strstr(vs.v[0].detail, "versions 4 to 4"));
	verdict_list_release(&vs);
}

static void test_words(void **state)
{
	(void)state;
	assert_non_null(strstr(nas_errno_words(ESTALE), "stale"));
	assert_non_null(strstr(nas_errno_words(ENOLCK), "lock"));
	assert_string_equal(nas_errno_words(12345), "unexpected error");
	assert_string_equal(nas_op_name(NAS_OP_FSYNC), "fsync");
	assert_string_equal(nas_op_name(NAS_OP_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_mount_opts),
		cmocka_unit_test(test_nfs_stats),
		cmocka_unit_test(test_cifs),
		cmocka_unit_test(test_smb),
		cmocka_unit_test(test_nfs),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
