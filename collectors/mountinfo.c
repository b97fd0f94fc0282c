/*
 * A parser for /proc/self/mountinfo (proc(5)) and the classification of the
 * mounts it lists. Nothing here stats, opens or lists a mount point: the
 * whole point is to learn which mounts are dangerous to touch (network,
 * FUSE, autofs) before anyone touches them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfile.h"
#include "mountinfo.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

/* A mountinfo of a busy container host is a few MiB at most. */
#define MOUNTINFO_MAX_BYTES (64u * 1024 * 1024)

static const char *const network_types[] = {
	"nfs",    "nfs4", "cifs",      "smb3",  "smbfs", "smb",
	"9p",     "ceph", "glusterfs", "davfs", "afs",   "sshfs",
	"lustre", "gpfs", "ncpfs",     "coda",  "fuse",
};

static const char *const pseudo_types[] = {
	"proc",        "sysfs",      "devtmpfs",   "devpts",  "cgroup",
	"cgroup2",     "securityfs", "debugfs",    "tracefs", "pstore",
	"bpf",         "configfs",   "fusectl",    "mqueue",  "hugetlbfs",
	"binfmt_misc", "autofs",     "rpc_pipefs", "nsfs",    "efivarfs",
	"selinuxfs",   "nfsd",       "sockfs",     "pipefs",  "devfs",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/*
 * Undo the kernel's mangling of " \t\n\\" as \ooo, in place. A backslash not
 * followed by three octal digits (or one that would decode to NUL) is kept
 * as it is: the text is not ours, so be lenient rather than lose the line.
 */
static void unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			int v = (r[1] - '0') * 64 + (r[2] - '0') * 8 +
				(r[3] - '0');

			if (v != 0) {
				*w++ = (char)v;
				r += 4;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

static int parse_int(const char *s, int *ret)
{
	unsigned long long v;
	int r;

	if ((r = parse_uint(s, 0, INT_MAX, &v)) < 0)
		return r;
	*ret = (int)v;
	return 0;
}

static int parse_dev(const char *s, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned long long ma, mi;
	const char *colon = strchr(s, ':');
	char *major;
	int r;

	if (!colon)
		return -EINVAL;
	major = xstrndup(s, (size_t)(colon - s));
	r = parse_uint(major, 0, UINT_MAX, &ma);
	free(major);
	if (r < 0)
		return r;
	if ((r = parse_uint(colon + 1, 0, UINT_MAX, &mi)) < 0)
		return r;
	*ret_major = (unsigned)ma;
	*ret_minor = (unsigned)mi;
	return 0;
}

static char *dup_field(const char *s)
{
	char *p = xstrdup(s);

	unescape(p);
	return p;
}

/*
 * One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE
 * SOURCE SUPEROPTS". Returns -EINVAL for anything else; e is untouched then.
 */
static int parse_line(char *line, struct mount_entry *e)
{
	char *f[6], *tail[3] = { NULL, NULL, NULL };
	char *save = NULL, *tok;
	size_t nf = 0, nt = 0;
	bool dash = false;
	struct mount_entry m;

	memset(&m, 0, sizeof(m));
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (nf < ARRAY_SIZE(f))
			f[nf++] = tok;
		else if (!dash && strcmp(tok, "-") == 0)
			dash = true;
		else if (dash && nt < ARRAY_SIZE(tail))
			tail[nt++] = tok;
		else if (dash)
			return -EINVAL; /* more than three after " - " */
		/* else: an optional field (shared:N, master:N ...) */
	}
	/* Some kernels leave the super options out when there are none. */
	if (nf < ARRAY_SIZE(f) || !dash || nt < 2)
		return -EINVAL;
	if (parse_int(f[0], &m.mount_id) < 0 ||
	    parse_int(f[1], &m.parent_id) < 0 ||
	    parse_dev(f[2], &m.major, &m.minor) < 0 || f[4][0] != '/')
		return -EINVAL;
	m.root = dup_field(f[3]);
	m.mount_point = dup_field(f[4]);
	m.mount_opts = dup_field(f[5]);
	m.fstype = dup_field(tail[0]);
	m.source = dup_field(tail[1]);
	m.super_opts = dup_field(tail[2] ? tail[2] : "");
	*e = m;
	return 0;
}

static void mount_entry_release(struct mount_entry *e)
{
	free(e->root);
	free(e->mount_point);
	free(e->mount_opts);
	free(e->fstype);
	free(e->source);
	free(e->super_opts);
	memset(e, 0, sizeof(*e));
}

int mountinfo_parse(const char *text, size_t len, struct mount_table *ret)
{
	struct mount_table t = { NULL, 0 };
	size_t cap = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line = xstrndup(text + pos, n);
		struct mount_entry e;

		pos += n + (nl ? 1 : 0);
		if (parse_line(line, &e) == 0) {
			if (t.n == cap) {
				cap = cap ? cap * 2 : 32;
				t.v = xreallocarray(t.v, cap, sizeof(*t.v));
			}
			t.v[t.n++] = e;
		}
		free(line);
	}
	*ret = t;
	return 0;
}

int mountinfo_load(const char *root, struct mount_table *ret)
{
	char *path = xasprintf("%s/proc/self/mountinfo", root);
	struct buf b;
	int r;

	if ((r = hostfile_read(path, MOUNTINFO_MAX_BYTES, &b)) < 0)
		goto out;
	r = mountinfo_parse(b.data, b.len, ret);
out:
	buf_release(&b);
	free(path);
	return r;
}

void mount_table_release(struct mount_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		mount_entry_release(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

bool mount_is_network(const struct mount_entry *e)
{
	/* fuseblk is a local block device (ntfs-3g, exfat) behind FUSE. */
	if (strncmp(e->fstype, "fuse.", 5) == 0)
		return true;
	return in_list(e->fstype, network_types, ARRAY_SIZE(network_types));
}

bool mount_is_pseudo(const struct mount_entry *e)
{
	return in_list(e->fstype, pseudo_types, ARRAY_SIZE(pseudo_types));
}

bool mount_is_autofs(const struct mount_entry *e)
{
	return strcmp(e->fstype, "autofs") == 0;
}

const struct mount_entry *mount_find(const struct mount_table *t,
				     const char *path)
{
	const struct mount_entry *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < t->n; i++) {
		const char *mp = t->v[i].mount_point;
		size_t n = strlen(mp);

		/* "/" is a prefix of everything; "/mnt/a" is not of "/mnt/ab"
		 */
		if (strcmp(mp, "/") == 0)
			n = 0;
		else if (strncmp(path, mp, n) != 0 ||
			 (path[n] != '\0' && path[n] != '/'))
			continue;
		if (!best || n >= best_len) {
			best = &t->v[i];
			best_len = n;
		}
	}
	return best;
}

/* path + "/" + comp, normalising "." and ".." lexically. */
static void path_push(char *buf, size_t cap, const char *comp, size_t n)
{
	size_t len = strlen(buf);

	if (n == 0 || (n == 1 && comp[0] == '.'))
		return;
	if (n == 2 && comp[0] == '.' && comp[1] == '.') {
		char *slash = strrchr(buf, '/');

		if (slash)
			*(slash == buf ? slash + 1 : slash) = '\0';
		return;
	}
	if (len + 1 + n + 1 > cap)
		return;
	if (len > 1)
		buf[len++] = '/';
	memcpy(buf + len, comp, n);
	buf[len + n] = '\0';
}

const struct mount_entry *mount_resolve(const struct mount_table *t,
					const char *root, const char *path,
					char **ret_path)
{
	char done[PATH_MAX] = "/", todo[PATH_MAX * 2];
	const struct mount_entry *m = NULL;
	unsigned links = 0;
	char *p;

	snprintf(todo, sizeof(todo), "%s", path);
	p = todo;
	while (*p) {
		char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char full[PATH_MAX * 2], target[PATH_MAX];
		struct stat st;
		ssize_t k;

		if (n == 0) {
			p++;
			continue;
		}
		path_push(done, sizeof(done), p, n);
		p += n;
		m = t ? mount_find(t, done) : NULL;
		/* Below a network or FUSE mount point nothing is touched. */
		if (!t || !m || mount_is_network(m) || mount_is_autofs(m))
			break;
		snprintf(full, sizeof(full), "%s%s", root, done);
		if (lstat(full, &st) < 0 || !S_ISLNK(st.st_mode))
			continue;
		k = readlink(full, target, sizeof(target) - 1);
		if (k <= 0 || ++links > 40)
			break;
		target[k] = '\0';
		/* The link's target, then what was left of the path. */
		{
			char rest[PATH_MAX * 2];

			snprintf(rest, sizeof(rest), "%s/%s", target, p);
			snprintf(todo, sizeof(todo), "%s", rest);
			p = todo;
		}
		if (target[0] == '/')
			snprintf(done, sizeof(done), "/");
		else {
			char *s = strrchr(done, '/');

			if (s)
				*(s == done ? s + 1 : s) = '\0';
		}
	}
	/* What is left below a network mount point stays as written (one
	 * slash between components). */
	while (*p) {
		size_t n = strcspn(p, "/"), len = strlen(done);

		if (n > 0 && len + 1 + n < sizeof(done)) {
			if (len > 1)
				done[len++] = '/';
			memcpy(done + len, p, n);
			done[len + n] = '\0';
		}
		p += n + (p[n] == '/');
	}
	if (t)
		m = mount_find(t, done);
	*ret_path = xstrdup(done);
	return m;
}
