/*
 * /proc/self/mountinfo, parsed without touching any mount: which file system
 * a path lives on and whether it is a network or FUSE mount (where stat, open
 * and statfs may hang and must go through ctx_bounded()).
 */
#ifndef RDIAG_MOUNTINFO_H
#define RDIAG_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

struct mount_entry {
	int mount_id;
	int parent_id;
	unsigned major, minor;
	char *root;        /* root of the mount within its file system */
	char *mount_point; /* unescaped (\040 -> ' ') */
	char *mount_opts;  /* per-mount options, e.g. "rw,relatime" */
	char *fstype;      /* e.g. "ext4", "nfs4", "fuse.sshfs" */
	char *source;      /* e.g. "/dev/vda1", "nas:/export" */
	char *super_opts;  /* per-superblock options */
};

struct mount_table {
	struct mount_entry *v;
	size_t n;
};

/*
 * Parse mountinfo text (pure: no I/O). Malformed lines are skipped. Returns
 * 0 (even for an empty table) and fills *ret; the caller releases it.
 */
int mountinfo_parse(const char *text, size_t len, struct mount_table *ret);
/* Read and parse <root>/proc/self/mountinfo; 0 or a negative errno. */
int mountinfo_load(const char *root, struct mount_table *ret);
void mount_table_release(struct mount_table *t);

/* nfs*, cifs, smb3, 9p, ceph, glusterfs, fuse.*, davfs, afs ... */
bool mount_is_network(const struct mount_entry *e);
/* proc, sysfs, cgroup*, tmpfs-like pseudo and kernel file systems. */
bool mount_is_pseudo(const struct mount_entry *e);
/* autofs: never stat its mount points (that triggers a mount). */
bool mount_is_autofs(const struct mount_entry *e);

/*
 * The mount a path lives on: the longest mount point that is a path prefix
 * of the (absolute, already normalised) path; the last one mounted wins on a
 * tie. NULL when the table is empty. Does no I/O (symlinks not resolved).
 */
const struct mount_entry *mount_find(const struct mount_table *t,
				     const char *path);

/*
 * The mount a configured path really lands on, following symbolic links
 * (in the path and in its parents) without ever touching a network or
 * FUSE mount: links are read only where the lexical prefix lies on a
 * local file system, and the walk stops at the first component on a
 * network mount (what lies below it is on that mount, however it is
 * spelled). root prefixes every lstat/readlink (fixture trees in tests,
 * "" on a live system). Returns the mount (or NULL without a table) and
 * the resolved path as far as it is known in *ret_path (caller frees; may
 * still hold links below a network mount point). A link loop or a path
 * longer than PATH_MAX stops the walk where it is.
 */
const struct mount_entry *mount_resolve(const struct mount_table *t,
					const char *root, const char *path,
					char **ret_path);

#endif
