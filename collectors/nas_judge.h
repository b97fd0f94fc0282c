/*
 * The nas collector's judgements: facts in, findings out (id, severity,
 * level, plain-words title, numbers in the detail, a concrete hint). Pure
 * functions, so every threshold and every errno mapping is unit-tested
 * without a mount or a server. docs/collectors/nas.md lists the ids.
 */
#ifndef RDIAG_NAS_JUDGE_H
#define RDIAG_NAS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nas_parse.h"
#include "probes/rpc.h"
#include "probes/smb.h"
#include "rdiag/collector.h"

/* What one operation on a path does; names for details and facts. */
enum nas_op {
	NAS_OP_STAT,
	NAS_OP_STATFS,
	NAS_OP_READDIR,
	NAS_OP_CREATE,
	NAS_OP_WRITE,
	NAS_OP_FSYNC,
	NAS_OP_READ,
	NAS_OP_LOCK,
	NAS_OP_UNLINK,
	NAS_OP_THROUGHPUT,
	NAS_OP_COUNT,
};

const char *nas_op_name(enum nas_op op);

/* errno in plain words ("stale file handle: ..."); never NULL. */
const char *nas_errno_words(int err);

/*
 * Where a path lives, for every judgement about it: the path, its mount
 * point, file system type and source, and whether it is a network or FUSE
 * share (findings about a share go to level 4, about a local disk to 0).
 */
struct nas_where {
	const char *path;
	const char *mount_point;
	const char *fstype;
	const char *source;
	bool network;
};

/*
 * Every judgement appends its verdicts to ret: one for the single-verdict
 * judgements (errno, hang, write, throughput, mismatch), one or more for
 * the others.
 */

/* An operation failed with errno err (positive). */
void nas_judge_errno(const struct nas_where *w, enum nas_op op, int err,
		     struct verdict_list *ret);

/* What was read back from the probe file differs from what was written. */
void nas_judge_mismatch(const struct nas_where *w, enum nas_op op,
			struct verdict_list *ret);

/*
 * An operation did not finish within timeout_ms: stuck (D state, pid and
 * wchan known, e.g. "request_wait_answer (state D)") or killed at the
 * deadline; elapsed_ms is the time spent on it, the reaping included.
 */
void nas_judge_hang(const struct nas_where *w, enum nas_op op, bool stuck,
		    int pid, const char *wchan, unsigned timeout_ms,
		    int64_t elapsed_ms, struct verdict_list *ret);

struct nas_space {
	uint64_t bsize, blocks, bfree, bavail;
	uint64_t files, ffree;
};

struct nas_thresholds {
	unsigned space_warn_pct, space_fail_pct; /* 90, 98 */
	unsigned write_warn_ms;                  /* 1000 */
	unsigned rtt_warn_ms;                    /* 100 */
	unsigned throughput_warn_mbs;            /* 10 */
	bool require_signing, require_encryption;
};

void nas_thresholds_default(struct nas_thresholds *t);

/* Space and inodes: a full/low/ok verdict for each that applies. */
void nas_judge_space(const struct nas_where *w, const struct nas_space *s,
		     const struct nas_thresholds *t, struct verdict_list *ret);

/* The write test's step times; slow or ok. */
struct nas_write_times {
	int64_t create_ms, write_ms, fsync_ms, read_ms, unlink_ms;
	size_t bytes;
};
void nas_judge_write(const struct nas_where *w,
		     const struct nas_write_times *wt,
		     const struct nas_thresholds *t, struct verdict_list *ret);

/* The optional throughput test: mb MiB written (+fsync) and read back. */
void nas_judge_throughput(const struct nas_where *w, unsigned mb,
			  int64_t write_ms, int64_t read_ms,
			  const struct nas_thresholds *t,
			  struct verdict_list *ret);

/* Mount options from mountinfo: soft, no locking, SMB1, UDP; or ok. */
void nas_judge_mount_opts(const struct nas_where *w,
			  const struct nas_mount_opts *o,
			  struct verdict_list *ret);

/* NFS kernel counters of one mount. */
void nas_judge_nfs_stats(const struct nas_where *w,
			 const struct nas_nfs_stats *s,
			 const struct nas_thresholds *t,
			 struct verdict_list *ret);

/* CIFS counters: reconnects (global) and one share's failed operations. */
void nas_judge_cifs_stats(const struct nas_cifs_stats *s,
			  struct verdict_list *ret);

/* An SMB server probe; other_ok: the host answered NFS (downgrades). */
void nas_judge_smb(const char *host, unsigned port,
		   const struct smb_probe_result *r,
		   const struct nas_thresholds *t, bool other_ok,
		   struct verdict_list *ret);

/* What the NFS probes of one host found. */
struct nas_nfs_probe {
	unsigned rpcbind_port;
	int portmap_rc; /* GETPORT of NFS v3 via the portmapper */
	unsigned nfs_port_v3, mountd_port, nlm_port;
	bool nlm_asked, mountd_asked;
	unsigned nfs_port; /* where the NULL calls went */
	struct rpc_call_result null_v3, null_v4;
	bool v3_used; /* a mount of this host uses NFSv3 */
};

/* other_ok: the host answered SMB (downgrades "unreachable"). */
void nas_judge_nfs(const char *host, const struct nas_nfs_probe *p,
		   bool other_ok, struct verdict_list *ret);

/* True when the NFS probe reached an NFS server at all. */
bool nas_nfs_probe_reached(const struct nas_nfs_probe *p);
/* True when the SMB probe reached an SMB server at all. */
bool nas_smb_probe_reached(const struct smb_probe_result *r);

#endif
