/*
 * Pure parsers of the antivirus collector: a fanotify group's
 * /proc/PID/fdinfo/FD text, clamd.conf, the output of `mdatp health` and
 * `mdatp exclusion list`, and the statistics of a timing run. Bytes in,
 * struct out, no I/O: unit-tested against fixtures and fuzzed.
 */
#ifndef RDIAG_ANTIVIRUS_PARSE_H
#define RDIAG_ANTIVIRUS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* fanotify_init() classes and permission event bits (linux/fanotify.h). */
#define AV_FAN_CLASS_MASK        0x0cu
#define AV_FAN_CLASS_NOTIF       0x00u
#define AV_FAN_CLASS_CONTENT     0x04u
#define AV_FAN_CLASS_PRE_CONTENT 0x08u
#define AV_FAN_OPEN_PERM         0x00010000u
#define AV_FAN_ACCESS_PERM       0x00020000u
#define AV_FAN_OPEN_EXEC_PERM    0x00040000u
#define AV_FAN_PERM_EVENTS       0x00070000u
#define AV_FAN_EVENT_ON_CHILD    0x08000000u

/* A group holds at most this many marks we keep; the rest are counted. */
#define AV_FAN_MARKS_MAX 4096

enum av_mark_type {
	AV_MARK_INODE,
	AV_MARK_MOUNT,
	AV_MARK_FILESYSTEM,
};

struct av_mark {
	enum av_mark_type type;
	uint64_t ino;     /* AV_MARK_INODE */
	uint32_t sdev;    /* INODE and FILESYSTEM: kernel dev_t */
	int mnt_id;       /* AV_MARK_MOUNT */
	uint32_t mask;    /* events the mark asks for */
	uint32_t ignored; /* ignored_mask */
};

struct av_fanotify {
	bool is_fanotify; /* a "fanotify flags:" line was seen */
	uint32_t flags;   /* fanotify_init() flags */
	uint32_t event_flags;
	struct av_mark *marks; /* owned; av_fanotify_release() frees */
	size_t nmarks;
	size_t nmarks_dropped; /* past AV_FAN_MARKS_MAX or malformed */
};

/*
 * Parse fdinfo text. Lines other than "fanotify ..." (pos:, flags:, the
 * fd's own mnt_id:) are ignored; numbers are hex as the kernel prints them.
 * Returns 0 and fills *ret (release it) when the text describes a fanotify
 * group, -EINVAL when it does not (*ret is then empty).
 */
int av_fdinfo_parse(const char *text, size_t len, struct av_fanotify *ret);
void av_fanotify_release(struct av_fanotify *f);
/* True when the group's class lets it hold opens until it answers. */
bool av_fanotify_can_block(const struct av_fanotify *f);

/* clamd.conf: the keys the collector reads; repeatable ones are lists. */
#define AV_CLAMD_LIST_MAX 256

struct av_strlist {
	char **v;
	size_t n;
};

struct av_clamd_conf {
	bool example;                    /* the "Example" line is still there */
	char *local_socket;              /* LocalSocket */
	char *tcp_socket;                /* TCPSocket (a port) */
	struct av_strlist tcp_addr;      /* TCPAddr */
	char *database_dir;              /* DatabaseDirectory */
	struct av_strlist include_path;  /* OnAccessIncludePath */
	struct av_strlist exclude_path;  /* OnAccessExcludePath */
	struct av_strlist exclude_uname; /* OnAccessExcludeUname */
	struct av_strlist mount_path;    /* OnAccessMountPath */
	int prevention;     /* OnAccessPrevention: -1 unset, 0, 1 */
	int extra_scanning; /* OnAccessExtraScanning: -1, 0, 1 */
	int exclude_root;   /* OnAccessExcludeRootUID: -1, 0, 1 */
	size_t nlines_bad;  /* lines without a value, over-long, ... */
};

/*
 * Parse clamd.conf text: "Key value" lines, '#' comments, keys matched
 * case-sensitively as clamd does, surrounding quotes of a value dropped.
 * Unknown keys are ignored. Always returns 0 and fills *ret (release it).
 */
int av_clamd_conf_parse(const char *text, size_t len,
			struct av_clamd_conf *ret);
void av_clamd_conf_release(struct av_clamd_conf *c);

/* Does path lie at or below dir (both absolute, no trailing-slash care)? */
bool av_path_under(const char *path, const char *dir);

enum av_clamd_watch {
	AV_CLAMD_NOT_WATCHED, /* outside every include and mount path */
	AV_CLAMD_WATCHED,     /* watched, not excluded */
	AV_CLAMD_EXCLUDED,    /* watched but an exclude path covers it */
};

/*
 * What clamonacc with this configuration does to path; *ret_rule (may be
 * NULL) points at the matching include/mount or exclude path.
 */
enum av_clamd_watch av_clamd_conf_watch(const struct av_clamd_conf *c,
					const char *path,
					const char **ret_rule);

/* `mdatp health` ("key : value" lines) — the fields the collector uses. */
struct av_mdatp_health {
	int healthy;   /* -1 unknown, 0, 1 */
	int real_time; /* real_time_protection_enabled */
	char app_version[64];
	char definitions_status[64];
	char definitions_version[64];
};

/* Returns 0, or -EINVAL when no known field was found. */
int av_mdatp_health_parse(const char *text, size_t len,
			  struct av_mdatp_health *ret);

/*
 * `mdatp exclusion list`: is path (or a parent folder) excluded? Folder
 * exclusions appear as `Path : "/srv/app/"` lines (older versions:
 * without the spaces or the quotes). Returns 1, 0, or -EINVAL for text
 * that looks like neither a list nor an empty list.
 */
int av_mdatp_excluded(const char *text, size_t len, const char *path);

/* Median and 95th percentile of v (n > 0, sorted in place), nearest rank. */
void av_stats(uint32_t *v, size_t n, uint32_t *ret_median, uint32_t *ret_p95);

#endif
