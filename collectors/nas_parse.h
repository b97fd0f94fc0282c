/*
 * Pure parsers of the nas collector: the mount options that matter for a
 * network share, /proc/self/mountstats (NFS per-operation counters) and
 * /proc/fs/cifs/Stats. Text in, structs out; no I/O, any bytes accepted.
 */
#ifndef RDIAG_NAS_PARSE_H
#define RDIAG_NAS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"

enum nas_proto {
	NAS_PROTO_OTHER = 0,
	NAS_PROTO_NFS,
	NAS_PROTO_SMB,
	NAS_PROTO_FUSE,
};

/* What mountinfo says about a share, without touching it. */
struct nas_mount_opts {
	enum nas_proto proto;
	char server[256];    /* host name or address, "" when unknown */
	char addr[64];       /* addr= from the options, "" when absent */
	char vers[16];       /* NFS vers= / CIFS vers=, "" when absent */
	char proto_name[16]; /* NFS proto= (tcp, udp, rdma) */
	char sec[32];        /* NFS sec= / CIFS sec= */
	char cache[16];      /* CIFS cache= */
	char lookupcache[16];
	char local_lock[16]; /* NFS local_lock= */
	bool read_only;
	bool soft;     /* soft (or CIFS soft) */
	bool softerr;  /* NFS softerr */
	bool nolock;   /* NFS nolock / CIFS nobrl */
	long timeo;    /* NFS timeo= in deciseconds, -1 when absent */
	long retrans;  /* NFS retrans=, -1 when absent */
	unsigned port; /* port= from the options, 0 when absent */
};

/* Fill *ret from a mountinfo entry (options of mount and superblock). */
void nas_mount_opts_parse(const struct mount_entry *e,
			  struct nas_mount_opts *ret);

/* Per-operation NFS counters of one mount (mountstats "per-op"). */
struct nas_nfs_op {
	char name[24];
	uint64_t ops, trans, timeouts;
	uint64_t rtt_ms, exe_ms; /* cumulative */
	uint64_t errors;         /* statvers 1.1 with errors column, else 0 */
};

#define NAS_NFS_OPS_MAX 64

struct nas_nfs_stats {
	char device[256];
	char mount_point[256];
	char fstype[16];
	uint64_t age_s;
	uint64_t connect_count; /* xprt tcp/rdma: reconnects + 1 */
	bool have_xprt;
	struct nas_nfs_op op[NAS_NFS_OPS_MAX];
	size_t nops;
};

struct nas_mountstats {
	struct nas_nfs_stats *v;
	size_t n;
};

/*
 * Parse /proc/self/mountstats text; only nfs/nfs4 devices are kept. Lines
 * that do not fit are skipped. Returns 0 and fills *ret (release it), or
 * -E2BIG when there are more than 4096 NFS mounts.
 */
int nas_mountstats_parse(const char *text, size_t len,
			 struct nas_mountstats *ret);
void nas_mountstats_release(struct nas_mountstats *s);
const struct nas_nfs_stats *nas_mountstats_find(const struct nas_mountstats *s,
						const char *mount_point);

/* Totals over the operations of one mount. */
struct nas_nfs_totals {
	uint64_t ops, retrans, timeouts, errors;
	uint64_t rtt_ms;
	/* the op with the worst average round trip (ops >= 10) */
	char slowest[24];
	uint64_t slowest_avg_ms;
};
void nas_nfs_totals(const struct nas_nfs_stats *s, struct nas_nfs_totals *ret);

/* /proc/fs/cifs/Stats */
struct nas_cifs_share {
	char name[256]; /* \\server\share */
	uint64_t smbs;
	uint64_t failed; /* sum of the "N total M failed" lines */
	uint64_t total;
};

#define NAS_CIFS_SHARES_MAX 256

struct nas_cifs_stats {
	bool have_reconnects;
	uint64_t session_reconnects, share_reconnects;
	struct nas_cifs_share share[NAS_CIFS_SHARES_MAX];
	size_t nshares;
};

/*
 * Normalise an absolute path lexically (no I/O: the path may be on a hung
 * mount): collapse "//", drop "." and trailing '/', resolve "..". Returns a
 * new string, or NULL when path is not absolute or too long (PATH_MAX).
 */
char *nas_path_normalise(const char *path);

/* Parse /proc/fs/cifs/Stats text; 0 (even when empty) and *ret filled. */
int nas_cifs_stats_parse(const char *text, size_t len,
			 struct nas_cifs_stats *ret);

#endif
