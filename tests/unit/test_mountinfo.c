/*
 * Unit tests for the mountinfo parser: field splitting, optional fields,
 * octal unescaping, malformed lines, classification and mount_find().
 */
#include <errno.h>
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

#include "mountinfo.h"
#include "rdiag/util.h"

static void test_parse_lines(void **state)
{
	static const struct {
		const char *line;
		int id, parent;
		unsigned major, minor;
		const char *root, *mp, *opts, *fstype, *source, *super;
	} cases[] = {
		{ "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root "
		  "rw,errors=continue",
		  36, 35, 98, 0, "/mnt1", "/mnt2", "rw,noatime", "ext3",
		  "/dev/root", "rw,errors=continue" },
		/* no optional fields at all */
		{ "22 1 0:21 / /proc rw,nosuid - proc proc rw", 22, 1, 0, 21,
		  "/", "/proc", "rw,nosuid", "proc", "proc", "rw" },
		/* several optional fields */
		{ "29 1 254:1 / / rw,relatime shared:1 master:2 "
		  "propagate_from:3 unbindable - ext4 /dev/vda1 rw",
		  29, 1, 254, 1, "/", "/", "rw,relatime", "ext4", "/dev/vda1",
		  "rw" },
		/* escapes in mount point, root and source */
		{ "40 29 0:50 /a\\040b /mnt/my\\040share\\011tab\\012nl\\134bs "
		  "rw shared:9 - cifs //nas/docs\\040x rw,vers=3.1.1",
		  40, 29, 0, 50, "/a b", "/mnt/my share\ttab\nnl\\bs", "rw",
		  "cifs", "//nas/docs x", "rw,vers=3.1.1" },
		/* a stray backslash and an escape of NUL are kept verbatim */
		{ "41 29 0:51 / /mnt/x\\9y\\000 rw - tmpfs tmpfs rw", 41, 29, 0,
		  51, "/", "/mnt/x\\9y\\000", "rw", "tmpfs", "tmpfs", "rw" },
		/* super options missing (older kernels) */
		{ "42 29 0:52 / /mnt/n rw - nfs4 nas:/export", 42, 29, 0, 52,
		  "/", "/mnt/n", "rw", "nfs4", "nas:/export", "" },
	};
	static const char *const bad[] = {
		"",
		"garbage",
		"36 35 98:0 /mnt1 /mnt2 rw ext3 /dev/root rw",
		"36 35 98:0 /mnt1 /mnt2 rw -",
		"36 35 98:0 /mnt1 /mnt2 rw - ext3",
		"x 35 98:0 / /m rw - ext3 /dev/root rw",
		"-1 35 98:0 / /m rw - ext3 /dev/root rw",
		"36 35 98 / /m rw - ext3 /dev/root rw",
		"36 35 98:z / /m rw - ext3 /dev/root rw",
		"36 35 98:0 / relative rw - ext3 /dev/root rw",
		"36 35 98:0 / /m rw - ext3 /dev/root rw extra",
		"99999999999 35 98:0 / /m rw - ext3 /dev/root rw",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mount_table t;
		const struct mount_entry *e;

		assert_int_equal(mountinfo_parse(cases[i].line,
						 strlen(cases[i].line), &t),
				 0);
		assert_int_equal(t.n, 1);
		e = &t.v[0];
		assert_int_equal(e->mount_id, cases[i].id);
		assert_int_equal(e->parent_id, cases[i].parent);
		assert_int_equal(e->major, cases[i].major);
		assert_int_equal(e->minor, cases[i].minor);
		assert_string_equal(e->root, cases[i].root);
		assert_string_equal(e->mount_point, cases[i].mp);
		assert_string_equal(e->mount_opts, cases[i].opts);
		assert_string_equal(e->fstype, cases[i].fstype);
		assert_string_equal(e->source, cases[i].source);
		assert_string_equal(e->super_opts, cases[i].super);
		mount_table_release(&t);
		assert_int_equal(t.n, 0);
		assert_null(t.v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mount_table t;

		assert_int_equal(mountinfo_parse(bad[i], strlen(bad[i]), &t),
				 0);
		if (t.n != 0)
			fprintf(stderr, "parsed: %s\n", bad[i]);
		assert_int_equal(t.n, 0);
		mount_table_release(&t);
	}
}

/* Good lines survive among bad ones; no trailing newline needed. */
static void test_parse_mixed(void **state)
{
	static const char text[] = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
				   "broken line\n"
				   "\n"
				   "2 1 0:5 / /proc rw - proc proc rw\n"
				   "3 1 0:6 / /mnt/nas rw - nfs4 nas:/e rw";
	struct mount_table t;

	(void)state;
	assert_int_equal(mountinfo_parse(text, strlen(text), &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.v[0].mount_point, "/");
	assert_string_equal(t.v[1].mount_point, "/proc");
	assert_string_equal(t.v[2].fstype, "nfs4");
	mount_table_release(&t);

	/* len bounds the text: the third line is cut off */
	assert_int_equal(mountinfo_parse(text, 36, &t), 0);
	assert_int_equal(t.n, 1);
	mount_table_release(&t);

	assert_int_equal(mountinfo_parse("", 0, &t), 0);
	assert_int_equal(t.n, 0);
	mount_table_release(&t);
}

static void test_classify(void **state)
{
	static const struct {
		const char *fstype;
		int network, pseudo, autofs;
	} cases[] = {
		{ "ext4", 0, 0, 0 },       { "xfs", 0, 0, 0 },
		{ "btrfs", 0, 0, 0 },      { "tmpfs", 0, 0, 0 },
		{ "overlay", 0, 0, 0 },    { "fuseblk", 0, 0, 0 },
		{ "nfs", 1, 0, 0 },        { "nfs4", 1, 0, 0 },
		{ "cifs", 1, 0, 0 },       { "smb3", 1, 0, 0 },
		{ "smbfs", 1, 0, 0 },      { "9p", 1, 0, 0 },
		{ "ceph", 1, 0, 0 },       { "glusterfs", 1, 0, 0 },
		{ "davfs", 1, 0, 0 },      { "afs", 1, 0, 0 },
		{ "fuse.sshfs", 1, 0, 0 }, { "fuse.gvfsd-fuse", 1, 0, 0 },
		{ "fuse", 1, 0, 0 },       { "sshfs", 1, 0, 0 },
		{ "lustre", 1, 0, 0 },     { "gpfs", 1, 0, 0 },
		{ "proc", 0, 1, 0 },       { "sysfs", 0, 1, 0 },
		{ "devtmpfs", 0, 1, 0 },   { "devpts", 0, 1, 0 },
		{ "cgroup", 0, 1, 0 },     { "cgroup2", 0, 1, 0 },
		{ "securityfs", 0, 1, 0 }, { "debugfs", 0, 1, 0 },
		{ "tracefs", 0, 1, 0 },    { "pstore", 0, 1, 0 },
		{ "bpf", 0, 1, 0 },        { "configfs", 0, 1, 0 },
		{ "fusectl", 0, 1, 0 },    { "mqueue", 0, 1, 0 },
		{ "hugetlbfs", 0, 1, 0 },  { "binfmt_misc", 0, 1, 0 },
		{ "autofs", 0, 1, 1 },     { "rpc_pipefs", 0, 1, 0 },
		{ "nsfs", 0, 1, 0 },       { "nfsd", 0, 1, 0 },
		{ "nfs4x", 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mount_entry e;

		memset(&e, 0, sizeof(e));
		e.fstype = xstrdup(cases[i].fstype);
		if (mount_is_network(&e) != !!cases[i].network ||
		    mount_is_pseudo(&e) != !!cases[i].pseudo)
			fprintf(stderr, "wrong class for %s\n",
				cases[i].fstype);
		assert_int_equal(mount_is_network(&e), !!cases[i].network);
		assert_int_equal(mount_is_pseudo(&e), !!cases[i].pseudo);
		assert_int_equal(mount_is_autofs(&e), !!cases[i].autofs);
		free(e.fstype);
	}
}

static void test_find(void **state)
{
	static const char text[] =
		"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"2 1 8:2 / /mnt/a rw - ext4 /dev/sda2 rw\n"
		"3 1 8:3 / /mnt/ab rw - ext4 /dev/sda3 rw\n"
		"4 2 8:4 / /mnt/a/deep rw - xfs /dev/sda4 rw\n"
		"5 1 0:40 / /srv/my\\040docs rw - cifs //nas/d rw\n"
		/* mounted over /mnt/ab later: the later one wins */
		"6 3 8:6 / /mnt/ab rw - btrfs /dev/sda6 rw\n";
	static const struct {
		const char *path;
		const char *source;
	} cases[] = {
		{ "/", "/dev/sda1" },
		{ "/etc/passwd", "/dev/sda1" },
		{ "/mnt", "/dev/sda1" },
		{ "/mnt/a", "/dev/sda2" },
		{ "/mnt/a/", "/dev/sda2" },
		{ "/mnt/a/file", "/dev/sda2" },
		{ "/mnt/ab", "/dev/sda6" },
		{ "/mnt/abc", "/dev/sda1" },
		{ "/mnt/ab/x", "/dev/sda6" },
		{ "/mnt/a/deep/er", "/dev/sda4" },
		{ "/mnt/a/deeper", "/dev/sda2" },
		{ "/srv/my docs/x", "//nas/d" },
		{ "/srv/my", "/dev/sda1" },
	};
	struct mount_table t, empty;

	(void)state;
	assert_int_equal(mountinfo_parse(text, strlen(text), &t), 0);
	assert_int_equal(t.n, 6);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mount_entry *e = mount_find(&t, cases[i].path);

		assert_non_null(e);
		if (strcmp(e->source, cases[i].source) != 0)
			fprintf(stderr, "%s -> %s\n", cases[i].path, e->source);
		assert_string_equal(e->source, cases[i].source);
	}
	mount_table_release(&t);

	assert_int_equal(mountinfo_parse("", 0, &empty), 0);
	assert_null(mount_find(&empty, "/"));
	mount_table_release(&empty);
}

static void test_load(void **state)
{
	char tmpl[] = "/tmp/rdiag-mi-XXXXXX";
	char *dir, *path, *cmd;
	struct mount_table t;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	dir = xasprintf("%s/proc/self", tmpl);
	cmd = xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	path = xasprintf("%s/mountinfo", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", f);
	fclose(f);

	assert_int_equal(mountinfo_load(tmpl, &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.v[0].fstype, "ext4");
	mount_table_release(&t);

	unlink(path);
	assert_int_equal(mountinfo_load(tmpl, &t), -ENOENT);

	cmd = xasprintf("rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
	free(dir);
}

/* The real one: whatever this host has, "/" must be found. */
static void test_load_self(void **state)
{
	struct mount_table t;

	(void)state;
	assert_int_equal(mountinfo_load("", &t), 0);
	assert_true(t.n > 0);
	assert_non_null(mount_find(&t, "/"));
	mount_table_release(&t);
}

/* Make ROOT/rel: a directory, or a symbolic link to target. */
static void in_root(const char *root, const char *rel, const char *target)
{
	char *path = xasprintf("%s%s", root, rel);

	if (target)
		assert_int_equal(symlink(target, path), 0);
	else
		assert_int_equal(mkdir(path, 0700), 0);
	free(path);
}

/*
 * mount_resolve() follows links on local file systems only: a link into
 * a share names the share, relative links and linked parents too, a loop
 * ends, and nothing below a network mount point is ever looked at (the
 * fixture has no such directory at all: touching it would fail).
 */
static void test_resolve(void **state)
{
	static const char table[] =
		"20 1 8:1 / / rw - ext4 /dev/vda1 rw\n"
		"30 20 0:40 /export /mnt/nas rw - nfs4 nas:/export rw\n"
		"31 30 0:41 / /mnt/nas/inner rw - fuse.sshfs h:/x rw\n";
	static const struct {
		const char *path, *mount, *real;
	} cases[] = {
		{ "/data/app", "/", "/data/app" },
		{ "/links/a/file", "/mnt/nas", "/mnt/nas/x/file" },
		{ "/links/b", "/mnt/nas", "/mnt/nas/x" },
		{ "/links/parent/x/y", "/mnt/nas", "/mnt/nas/x/y" },
		{ "/links/inner", "/mnt/nas/inner", "/mnt/nas/inner/z" },
		{ "/mnt/nas/x/../y", "/mnt/nas", "/mnt/nas/x/../y" },
		{ "/data/./app/", "/", "/data/app" },
	};
	char root[] = "/tmp/rdiag-resolve-XXXXXX";
	struct mount_table t;
	char *real, *p;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(mountinfo_parse(table, strlen(table), &t), 0);
	p = xasprintf("%s/data/app", root);
	in_root(root, "/data", NULL);
	in_root(root, "/data/app", NULL);
	in_root(root, "/links", NULL);
	in_root(root, "/links/a", "/mnt/nas/x");
	in_root(root, "/links/b", "a");
	in_root(root, "/links/parent", "/mnt/nas");
	in_root(root, "/links/inner", "../mnt/nas/inner/z");
	in_root(root, "/links/loop1", "loop2");
	in_root(root, "/links/loop2", "loop1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mount_entry *m =
			mount_resolve(&t, root, cases[i].path, &real);

		if (!m || strcmp(m->mount_point, cases[i].mount) != 0 ||
		    strcmp(real, cases[i].real) != 0)
			fail_msg("case %zu: %s -> %s on %s", i, cases[i].path,
				 real, m ? m->mount_point : "(none)");
		free(real);
	}
	/* A loop ends, on the local file system. */
	assert_non_null(mount_resolve(&t, root, "/links/loop1/x", &real));
	free(real);
	/* Without a table nothing is resolved or touched. */
	assert_null(mount_resolve(NULL, root, "/links/a", &real));
	free(real);
	mount_table_release(&t);
	free(p);
	p = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_parse_mixed),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_self),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
