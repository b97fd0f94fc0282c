/*
 * Findings of the nas collector, decided from plain numbers: which errno
 * means what to a customer, when space, timings and counters are bad, and
 * what a file server's NEGOTIATE and RPC answers say. Findings about a
 * share go to level 4 (the customer's IT or the NAS vendor), about a local
 * disk or a setting to level 0 (the person running rdiag).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas_judge.h"

static const char *const op_names[NAS_OP_COUNT] = {
	[NAS_OP_STAT] = "stat",      [NAS_OP_STATFS] = "statfs",
	[NAS_OP_READDIR] = "list",   [NAS_OP_CREATE] = "create",
	[NAS_OP_WRITE] = "write",    [NAS_OP_FSYNC] = "fsync",
	[NAS_OP_READ] = "read back", [NAS_OP_LOCK] = "lock",
	[NAS_OP_UNLINK] = "delete",  [NAS_OP_THROUGHPUT] = "throughput",
};

const char *nas_op_name(enum nas_op op)
{
	return (unsigned)op < NAS_OP_COUNT ? op_names[op] : "?";
}

static const struct {
	int err;
	const char *words;
} errno_words[] = {
	{ ESTALE, "stale file handle: the file or export changed on the "
		  "server under the client" },
	{ EIO, "input/output error: the server failed the request or a soft "
	       "mount gave up waiting" },
	{ ENOTCONN, "not connected: the connection to the file server (or "
		    "the FUSE daemon) is gone" },
	{ EACCES, "permission denied" },
	{ EPERM, "operation not permitted" },
	{ EROFS, "the file system is read-only" },
	{ ENOSPC, "no space left on the file system" },
	{ EDQUOT, "the disk quota is used up" },
	{ ENOLCK, "no locks available: the server has no working lock "
		  "manager" },
	{ ENOENT, "does not exist" },
	{ ENOTDIR, "a part of the path is not a directory" },
	{ ETIMEDOUT, "the server did not answer in time" },
	{ EHOSTDOWN, "the server is down" },
	{ EHOSTUNREACH, "the server cannot be reached" },
	{ ECONNREFUSED, "the server refused the connection" },
	{ ECONNRESET, "the server closed the connection" },
	{ EBADMSG, "the answer was not in the expected protocol" },
	{ ENOTSUP, "not supported by this file system" },
	{ EINVAL, "not supported by this file system" },
	{ EAGAIN, "held by someone else" },
	{ EISDIR, "is a directory" },
};

const char *nas_errno_words(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_words); i++)
		if (errno_words[i].err == err)
			return errno_words[i].words;
	return "unexpected error";
}

static void fmt(char *dst, size_t max, const char *f, ...) RDIAG_PRINTF(3, 4);

static void fmt(char *dst, size_t max, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(dst, max, f, ap);
	va_end(ap);
}

static enum support_level who(const struct nas_where *w)
{
	return w->network ? LEVEL_THIRD_PARTY : LEVEL_SELF;
}

/* Where w is, for details; caller frees. */
static char *where_text(const struct nas_where *w)
{
	return xasprintf("%s (on %s, %s from %s)", w->path, w->mount_point,
			 w->fstype, w->source);
}

static bool is_write_op(enum nas_op op)
{
	return op == NAS_OP_CREATE || op == NAS_OP_WRITE ||
	       op == NAS_OP_FSYNC || op == NAS_OP_UNLINK ||
	       op == NAS_OP_THROUGHPUT;
}

void nas_judge_errno(const struct nas_where *w, enum nas_op op, int err,
		     struct verdict_list *ret)
{
	const char *words = nas_errno_words(err);
	char *where = where_text(w);
	struct verdict_item *v;

	switch (err) {
	case ESTALE:
		v = verdict_add(ret, "nas.path.stale", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY, "Stale file handle on %s",
				w->path);
		verdict_hint(
			v,
			"Unmount and mount the share again (umount -l %s, then "
			"mount) and ask the NAS admin whether the export was "
			"moved, restored or re-created.",
			w->mount_point);
		break;
	case EIO:
	case ETIMEDOUT:
	case EHOSTDOWN:
	case EHOSTUNREACH:
		v = verdict_add(ret, "nas.path.io_error", SEVERITY_FAIL, who(w),
				"I/O error on %s", w->path);
		verdict_hint(
			v,
			"Check the file server's log and the network to it; a "
			"soft mount turns a slow server into errors, mount it "
			"'hard' instead.");
		break;
	case ENOTCONN:
		v = verdict_add(ret, "nas.path.disconnected", SEVERITY_FAIL,
				who(w), "The share under %s is disconnected",
				w->path);
		verdict_hint(v,
			     "Mount the share again (umount -l %s, then "
			     "mount); for a "
			     "FUSE file system restart its daemon.",
			     w->mount_point);
		break;
	case EACCES:
	case EPERM:
		if (is_write_op(op) || op == NAS_OP_LOCK) {
			v = verdict_add(ret, "nas.write.denied", SEVERITY_FAIL,
					who(w),
					"Cannot write to %s: permission denied",
					w->path);
		} else {
			v = verdict_add(
				ret, "nas.path.denied", SEVERITY_FAIL, who(w),
				"Cannot read %s: permission denied", w->path);
		}
		verdict_hint(
			v,
			"Give the account the application runs as read and "
			"write permission on %s (on the share, ask the NAS "
			"admin).",
			w->path);
		break;
	case EROFS:
		v = verdict_add(
			ret, "nas.write.read_only", SEVERITY_FAIL, who(w),
			"%s is read-only, but the application writes there",
			w->path);
		verdict_hint(
			v,
			"Mount %s read-write (check the mount options and the "
			"share's permissions on the server).",
			w->mount_point);
		break;
	case ENOSPC:
	case EDQUOT:
		v = verdict_add(ret, "nas.write.no_space", SEVERITY_FAIL,
				who(w), "No space left to write to %s",
				w->path);
		verdict_hint(
			v,
			"Free space on %s or enlarge it (or raise the quota).",
			w->mount_point);
		break;
	case ENOLCK:
		v = verdict_add(ret, "nas.lock.unavailable", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"File locks do not work on %s", w->path);
		verdict_hint(
			v, "Start the lock manager on the file server (NFSv3: "
			   "rpc.statd and nlockmgr registered with rpcbind), "
			   "or mount "
			   "with NFSv4, which has locking built in.");
		break;
	case ENOENT:
	case ENOTDIR:
		if (op == NAS_OP_STAT) {
			v = verdict_add(ret, "nas.path.missing", SEVERITY_FAIL,
					LEVEL_SELF,
					"The configured path %s does not exist",
					w->path);
			verdict_hint(v, "Correct the path in the "
					"configuration, or mount "
					"the share that should provide it.");
			break;
		}
		/* fall through */
	default:
		v = verdict_add(ret,
				op == NAS_OP_LOCK ? "nas.lock.failed"
				: is_write_op(op) || op == NAS_OP_READ
					? "nas.write.failed"
					: "nas.path.error",
				SEVERITY_FAIL, who(w), "Cannot %s %s: %s",
				nas_op_name(op), w->path, words);
		verdict_hint(v,
			     "Hand this finding to whoever runs %s; the errno "
			     "in the "
			     "detail says what the kernel reported.",
			     w->network ? "the file server" : "this machine");
		break;
	}
	verdict_detail(v, "%s failed on %s: errno %d, %s", nas_op_name(op),
		       where, err, words);
	free(where);
}

void nas_judge_mismatch(const struct nas_where *w, enum nas_op op,
			struct verdict_list *ret)
{
	char *where = where_text(w);
	struct verdict_item *v;

	v = verdict_add(ret, "nas.write.mismatch", SEVERITY_FAIL, who(w),
			"What was written to %s is not what came back",
			w->path);
	verdict_hint(v, "The file server or a cache corrupts data: hand this "
			"to the NAS vendor at once.");
	verdict_detail(v, "%s failed on %s: errno %d, %s", nas_op_name(op),
		       where, EILSEQ, nas_errno_words(EILSEQ));
	free(where);
}

void nas_judge_hang(const struct nas_where *w, enum nas_op op, bool stuck,
		    int pid, const char *wchan, unsigned timeout_ms,
		    int64_t elapsed_ms, struct verdict_list *ret)
{
	char *where = where_text(w);
	struct verdict_item *v;

	v = verdict_add(ret, "nas.mount.hung", SEVERITY_FAIL,
			w->network ? LEVEL_THIRD_PARTY : LEVEL_SELF,
			"The file system under %s does not answer (hung)",
			w->path);
	if (stuck)
		verdict_detail(
			v,
			"%s on %s did not return within its %u ms deadline "
			"(given up after %lld ms); the checking process %d is "
			"stuck in the kernel at %s and cannot be killed. "
			"Nothing "
			"else touched this mount in this run.",
			nas_op_name(op), where, timeout_ms,
			(long long)elapsed_ms, pid,
			wchan && *wchan ? wchan : "? (state D)");
	else
		verdict_detail(
			v,
			"%s on %s did not return within its %u ms deadline "
			"(given up after %lld ms); the checking process %d was "
			"killed. Nothing else touched this mount in this run.",
			nas_op_name(op), where, timeout_ms,
			(long long)elapsed_ms, pid);
	verdict_hint(
		v,
		"Check that the file server behind %s is up and reachable; "
		"every program touching this mount hangs until it answers. If "
		"it stays hung, unmount it with umount -l %s (for FUSE, "
		"restart "
		"its daemon) and mount it again.",
		w->mount_point, w->mount_point);
	free(where);
}

void nas_thresholds_default(struct nas_thresholds *t)
{
	memset(t, 0, sizeof(*t));
	t->space_warn_pct = 90;
	t->space_fail_pct = 98;
	t->write_warn_ms = 1000;
	t->rtt_warn_ms = 100;
	t->throughput_warn_mbs = 10;
}

/* Percent used, as df counts it (reserved blocks do not count as free). */
static unsigned used_pct(uint64_t total_usable, uint64_t avail)
{
	if (total_usable == 0)
		return 0;
	if (avail >= total_usable)
		return 0;
	return (unsigned)(((total_usable - avail) * 100 + total_usable - 1) /
			  total_usable);
}

void nas_judge_space(const struct nas_where *w, const struct nas_space *s,
		     const struct nas_thresholds *t, struct verdict_list *ret)
{
	uint64_t used = s->blocks >= s->bfree ? s->blocks - s->bfree : 0;
	uint64_t usable = used + s->bavail;
	unsigned pct = used_pct(usable, s->bavail);
	double avail_mib = (double)s->bavail * (double)s->bsize / 1048576.0;
	double total_mib = (double)usable * (double)s->bsize / 1048576.0;
	struct verdict_item *v;
	bool bad = false;

	if (s->blocks > 0 && (pct >= t->space_fail_pct || s->bavail == 0 ||
			      pct >= t->space_warn_pct)) {
		bool full = pct >= t->space_fail_pct || s->bavail == 0;

		v = verdict_add(ret, full ? "nas.space.full" : "nas.space.low",
				full ? SEVERITY_FAIL : SEVERITY_WARN, who(w),
				"%s is %s (%u%% used)", w->mount_point,
				full ? "full" : "nearly full", pct);
		verdict_detail(v,
			       "%.1f MiB free of %.1f MiB (%u%% used) on %s "
			       "(%s from %s); "
			       "warn at %u%%, fail at %u%%",
			       avail_mib, total_mib, pct, w->mount_point,
			       w->fstype, w->source, t->space_warn_pct,
			       t->space_fail_pct);
		verdict_hint(v, "Free space on %s or enlarge it%s.",
			     w->mount_point,
			     w->network ? " (ask the NAS admin)" : "");
		bad = true;
	}
	if (s->files > 0) {
		uint64_t iused = s->files >= s->ffree ? s->files - s->ffree : 0;
		unsigned ipct = used_pct(s->files, s->ffree);

		if (s->ffree == 0 || ipct >= t->space_warn_pct) {
			bool full = s->ffree == 0 || ipct >= t->space_fail_pct;

			v = verdict_add(
				ret,
				full ? "nas.inodes.full" : "nas.inodes.low",
				full ? SEVERITY_FAIL : SEVERITY_WARN, who(w),
				"%s is running out of file entries (%u%% of "
				"inodes used)",
				w->mount_point, ipct);
			verdict_detail(
				v, "%llu of %llu inodes used, %llu free on %s",
				(unsigned long long)iused,
				(unsigned long long)s->files,
				(unsigned long long)s->ffree, w->mount_point);
			verdict_hint(
				v,
				"Delete files no longer needed on %s (many "
				"small "
				"files use up inodes even with space left).",
				w->mount_point);
			bad = true;
		}
	}
	if (!bad) {
		v = verdict_add(ret, "nas.space.ok", SEVERITY_OK, who(w),
				"%s has space left (%u%% used)", w->mount_point,
				pct);
		verdict_detail(
			v,
			"%.1f MiB free of %.1f MiB; %llu of %llu inodes free",
			avail_mib, total_mib, (unsigned long long)s->ffree,
			(unsigned long long)s->files);
	}
}

void nas_judge_write(const struct nas_where *w,
		     const struct nas_write_times *wt,
		     const struct nas_thresholds *t, struct verdict_list *ret)
{
	int64_t worst = wt->create_ms;
	const char *worst_name = "create";
	struct verdict_item *v;
	char *where;

	if (wt->write_ms > worst) {
		worst = wt->write_ms;
		worst_name = "write";
	}
	if (wt->fsync_ms > worst) {
		worst = wt->fsync_ms;
		worst_name = "fsync";
	}
	where = where_text(w);
	if (worst >= (int64_t)t->write_warn_ms) {
		v = verdict_add(ret, "nas.write.slow", SEVERITY_WARN, who(w),
				"Writing to %s is slow (%s took %lld ms)",
				w->path, worst_name, (long long)worst);
		verdict_hint(v, "Check the load and the network of the file "
				"server; the "
				"application waits this long for every save.");
	} else {
		v = verdict_add(ret, "nas.write.ok", SEVERITY_OK, who(w),
				"%s is writable (create, write, fsync, read "
				"back, delete)",
				w->path);
	}
	verdict_detail(
		v,
		"%s: create %lld ms, write %zu bytes %lld ms, fsync %lld ms, "
		"read back %lld ms, delete %lld ms; warn at %u ms",
		where, (long long)wt->create_ms, wt->bytes,
		(long long)wt->write_ms, (long long)wt->fsync_ms,
		(long long)wt->read_ms, (long long)wt->unlink_ms,
		t->write_warn_ms);
	free(where);
}

static double mbs(unsigned mb, int64_t ms)
{
	return (double)mb * 1000.0 / (double)(ms > 0 ? ms : 1);
}

void nas_judge_throughput(const struct nas_where *w, unsigned mb,
			  int64_t write_ms, int64_t read_ms,
			  const struct nas_thresholds *t,
			  struct verdict_list *ret)
{
	double wr = mbs(mb, write_ms), rd = mbs(mb, read_ms);
	struct verdict_item *v;

	if (wr < t->throughput_warn_mbs || rd < t->throughput_warn_mbs) {
		v = verdict_add(
			ret, "nas.throughput.slow", SEVERITY_WARN, who(w),
			"Throughput to %s is low (write %.1f MiB/s, read %.1f "
			"MiB/s)",
			w->path, wr, rd);
		verdict_hint(
			v,
			"Check the link speed and duplex to the file server "
			"and "
			"its load; large documents will open and save slowly.");
	} else {
		v = verdict_add(
			ret, "nas.throughput.ok", SEVERITY_OK, who(w),
			"Throughput to %s: write %.1f MiB/s, read %.1f MiB/s",
			w->path, wr, rd);
	}
	verdict_detail(
		v,
		"%u MiB written with fsync in %lld ms (%.1f MiB/s), read back "
		"in %lld ms (%.1f MiB/s) on %s (%s from %s); warn below %u "
		"MiB/s",
		mb, (long long)write_ms, wr, (long long)read_ms, rd,
		w->mount_point, w->fstype, w->source, t->throughput_warn_mbs);
}

void nas_judge_mount_opts(const struct nas_where *w,
			  const struct nas_mount_opts *o,
			  struct verdict_list *ret)
{
	struct verdict_item *v;
	size_t before = ret->n;

	if (o->proto == NAS_PROTO_NFS && o->soft) {
		long timeo = o->timeo >= 0 ? o->timeo : 600;
		long retrans = o->retrans >= 0 ? o->retrans : 2;
		/* Linear backoff capped at 600 s per try (nfs(5)). */
		double secs = 0;

		for (long i = 0; i <= retrans && i < 100; i++) {
			double try = (double)timeo / 10.0 * (double)(i + 1);

			secs += try > 600 ? 600 : try;
		}
		v = verdict_add(
			ret, "nas.mount.soft", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"%s is mounted 'soft': writes can be lost silently "
			"when the server is slow",
			w->mount_point);
		verdict_detail(
			v,
			"%s from %s: %s, timeo=%ld (%.1f s), retrans=%ld; the "
			"client gives up after about %.0f s and returns EIO to "
			"the "
			"application",
			w->mount_point, w->source,
			o->softerr ? "softerr" : "soft", timeo,
			(double)timeo / 10.0, retrans, secs);
		verdict_hint(v,
			     "Mount %s with 'hard' (the default) so a slow "
			     "server makes "
			     "the application wait instead of losing data.",
			     w->mount_point);
	} else if (o->proto == NAS_PROTO_SMB && o->soft) {
		v = verdict_add(
			ret, "nas.mount.soft", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"%s is mounted 'soft': operations fail when the "
			"server is slow",
			w->mount_point);
		verdict_detail(v, "%s from %s: soft", w->mount_point,
			       w->source);
		verdict_hint(
			v,
			"Mount %s with 'hard' so the client retries instead of "
			"failing the application's writes.",
			w->mount_point);
	}
	if ((o->proto == NAS_PROTO_NFS || o->proto == NAS_PROTO_SMB) &&
	    o->nolock) {
		v = verdict_add(ret, "nas.mount.no_locking", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"File locks on %s are not sent to the server",
				w->mount_point);
		verdict_detail(
			v,
			"%s from %s is mounted with %s: locks are local to "
			"this "
			"machine, other clients do not see them",
			w->mount_point, w->source,
			o->proto == NAS_PROTO_SMB
				? "nobrl"
				: (o->local_lock[0] ? "local_lock" : "nolock"));
		verdict_hint(v,
			     "Remove %s from the mount options of %s if more "
			     "than one "
			     "machine uses the data.",
			     o->proto == NAS_PROTO_SMB ? "nobrl"
						       : "nolock/local_lock",
			     w->mount_point);
	}
	if (o->proto == NAS_PROTO_SMB && o->vers[0] &&
	    (strcmp(o->vers, "1.0") == 0 || strcmp(o->vers, "1") == 0)) {
		v = verdict_add(
			ret, "nas.mount.smb1", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			"%s is mounted with SMB1, an obsolete and insecure "
			"protocol",
			w->mount_point);
		verdict_detail(v, "%s from %s: vers=%s", w->mount_point,
			       w->source, o->vers);
		verdict_hint(
			v,
			"Enable SMB2/3 on the NAS and mount with vers=3.0 or "
			"newer.");
	}
	if (o->proto == NAS_PROTO_NFS && strcmp(o->proto_name, "udp") == 0) {
		v = verdict_add(
			ret, "nas.mount.udp", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"%s uses NFS over UDP, which can corrupt data on a "
			"busy network",
			w->mount_point);
		verdict_detail(v, "%s from %s: proto=udp", w->mount_point,
			       w->source);
		verdict_hint(v, "Mount %s with proto=tcp.", w->mount_point);
	}
	if (ret->n == before &&
	    (o->proto == NAS_PROTO_NFS || o->proto == NAS_PROTO_SMB)) {
		v = verdict_add(ret, "nas.mount.ok", SEVERITY_OK,
				LEVEL_THIRD_PARTY,
				"%s has safe mount options (hard, locking on)",
				w->mount_point);
		verdict_detail(v, "%s from %s: vers=%s%s%s", w->mount_point,
			       w->source, o->vers[0] ? o->vers : "?",
			       o->sec[0] ? ", sec=" : "", o->sec);
	}
}

void nas_judge_nfs_stats(const struct nas_where *w,
			 const struct nas_nfs_stats *s,
			 const struct nas_thresholds *t,
			 struct verdict_list *ret)
{
	struct nas_nfs_totals tot;
	struct verdict_item *v;
	size_t before = ret->n;

	nas_nfs_totals(s, &tot);
	if (tot.timeouts > 0) {
		v = verdict_add(
			ret, "nas.nfs.timeouts", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"The NFS server behind %s did not answer in time %llu "
			"times",
			w->mount_point, (unsigned long long)tot.timeouts);
		verdict_detail(
			v,
			"%llu major timeouts, %llu retransmissions in %llu "
			"operations since mounted %llu s ago",
			(unsigned long long)tot.timeouts,
			(unsigned long long)tot.retrans,
			(unsigned long long)tot.ops,
			(unsigned long long)s->age_s);
		verdict_hint(v,
			     "Check the NAS load and the network path (drops, "
			     "duplex, "
			     "MTU) between this machine and %s.",
			     w->source);
	}
	if (tot.retrans > 0 && tot.retrans * 100 > tot.ops) {
		v = verdict_add(
			ret, "nas.nfs.retransmissions", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"NFS requests to %s had to be sent again (%.1f%%)",
			w->source,
			tot.ops ? 100.0 * (double)tot.retrans / (double)tot.ops
				: 100.0);
		verdict_detail(v,
			       "%llu retransmissions in %llu operations on %s",
			       (unsigned long long)tot.retrans,
			       (unsigned long long)tot.ops, w->mount_point);
		verdict_hint(v, "Packets are lost or the server is overloaded: "
				"check the "
				"network path and the NAS.");
	}
	if (tot.slowest_avg_ms >= t->rtt_warn_ms) {
		v = verdict_add(
			ret, "nas.nfs.slow", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			"The NFS server behind %s answers slowly (%s %llu ms "
			"on average)",
			w->mount_point, tot.slowest,
			(unsigned long long)tot.slowest_avg_ms);
		verdict_detail(
			v,
			"average round trip of %s is %llu ms (warn at %u ms); "
			"%llu operations in all",
			tot.slowest, (unsigned long long)tot.slowest_avg_ms,
			t->rtt_warn_ms, (unsigned long long)tot.ops);
		verdict_hint(v,
			     "Check the NAS load (disks, CPU) and the latency "
			     "of the "
			     "network to %s.",
			     w->source);
	}
	if (ret->n == before) {
		v = verdict_add(ret, "nas.nfs.counters_ok", SEVERITY_OK,
				LEVEL_THIRD_PARTY,
				"NFS counters of %s show no timeouts or "
				"retransmissions",
				w->mount_point);
		verdict_detail(
			v,
			"%llu operations, %llu retransmissions, %llu timeouts; "
			"slowest average %s %llu ms",
			(unsigned long long)tot.ops,
			(unsigned long long)tot.retrans,
			(unsigned long long)tot.timeouts,
			tot.slowest[0] ? tot.slowest : "-",
			(unsigned long long)tot.slowest_avg_ms);
	}
}

void nas_judge_cifs_stats(const struct nas_cifs_stats *s,
			  struct verdict_list *ret)
{
	struct verdict_item *v;
	uint64_t failed = 0, total = 0;
	size_t before = ret->n;
	const char *worst = NULL;
	uint64_t worst_failed = 0;

	if (s->session_reconnects + s->share_reconnects > 0) {
		v = verdict_add(
			ret, "nas.cifs.reconnects", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"SMB connections to the file server dropped and were "
			"re-established");
		verdict_detail(
			v,
			"%llu session and %llu share reconnects since the cifs "
			"module loaded",
			(unsigned long long)s->session_reconnects,
			(unsigned long long)s->share_reconnects);
		verdict_hint(v, "Check the network to the NAS and the NAS's "
				"SMB service "
				"log; open files can fail during a reconnect.");
	}
	for (size_t i = 0; i < s->nshares; i++) {
		failed += s->share[i].failed;
		total += s->share[i].total;
		if (s->share[i].failed > worst_failed) {
			worst_failed = s->share[i].failed;
			worst = s->share[i].name;
		}
	}
	if (failed > 0) {
		v = verdict_add(ret, "nas.cifs.failed_ops", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"The SMB server failed %llu operations",
				(unsigned long long)failed);
		verdict_detail(
			v,
			"%llu of %llu counted operations failed on %zu shares; "
			"most on %s (%llu)",
			(unsigned long long)failed, (unsigned long long)total,
			s->nshares, worst ? worst : "?",
			(unsigned long long)worst_failed);
		verdict_hint(
			v, "Compare with the NAS's SMB log; failed creates and "
			   "opens are often permissions or a full share.");
	}
	if (ret->n == before && (s->have_reconnects || s->nshares > 0)) {
		v = verdict_add(
			ret, "nas.cifs.counters_ok", SEVERITY_OK,
			LEVEL_THIRD_PARTY,
			"SMB client counters show no reconnects or failures");
		verdict_detail(v, "%zu shares, %llu counted operations",
			       s->nshares, (unsigned long long)total);
	}
}

bool nas_smb_probe_reached(const struct smb_probe_result *r)
{
	return r->connect_rc == 0 && (r->outcome == SMB_PROBE_SMB2 ||
				      r->outcome == SMB_PROBE_SMB1_ONLY);
}

static bool smb_encrypts(const struct smb_reply *s)
{
	if (s->dialect == SMB_DIALECT_311)
		return s->have_cipher_context && s->cipher != 0;
	if (s->dialect == SMB_DIALECT_300 || s->dialect == SMB_DIALECT_302)
		return (s->capabilities & SMB2_CAP_ENCRYPTION) != 0;
	return false;
}

void nas_judge_smb(const char *host, unsigned port,
		   const struct smb_probe_result *r,
		   const struct nas_thresholds *t, bool other_ok,
		   struct verdict_list *ret)
{
	struct verdict_item *v;
	const struct smb_reply *s = &r->smb2;

	if (r->connect_rc != 0) {
		int err = -r->connect_rc;

		v = verdict_add(ret, "nas.smb.unreachable",
				other_ok ? SEVERITY_INFO : SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"No SMB service on %s port %u", host, port);
		verdict_detail(v, "TCP connect to %s port %u: errno %d, %s%s",
			       host, port, err, nas_errno_words(err),
			       other_ok ? " (the host answered NFS)" : "");
		verdict_hint(v,
			     "If the application uses SMB shares of %s, check "
			     "that the "
			     "SMB service runs and no firewall blocks port %u.",
			     host, port);
		return;
	}
	if (r->outcome == SMB_PROBE_SMB1_ONLY) {
		v = verdict_add(ret, "nas.smb.smb1_only", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"%s speaks only SMB1, an obsolete and insecure "
				"protocol",
				host);
		verdict_detail(
			v,
			"%s port %u refused SMB2/3 (%s) and answered an SMB1 "
			"NEGOTIATE with dialect '%s', security mode 0x%02x",
			host, port,
			r->smb2_rc == 0 ? "error status"
					: nas_errno_words(-r->smb2_rc),
			smb1_dialects[0], r->smb1.smb1_security_mode);
		verdict_hint(
			v,
			"Enable SMB2 and SMB3 on the NAS (update its firmware "
			"if "
			"it cannot); current Windows and Linux clients refuse "
			"SMB1.");
		return;
	}
	if (r->outcome != SMB_PROBE_SMB2) {
		int err = r->smb1_rc ? -r->smb1_rc : -r->smb2_rc;

		v = verdict_add(ret, "nas.smb.not_smb", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				"Something answers on %s port %u, but not SMB",
				host, port);
		verdict_detail(v,
			       "SMB2 NEGOTIATE: %s (status 0x%08x); SMB1 "
			       "NEGOTIATE: %s",
			       r->smb2_rc ? nas_errno_words(-r->smb2_rc)
					  : "error reply",
			       (unsigned)s->status,
			       err ? nas_errno_words(err) : "no usable answer");
		verdict_hint(
			v,
			"Check that %s port %u is the file server's SMB port.",
			host, port);
		return;
	}
	v = verdict_add(ret, "nas.smb.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			"SMB server %s answers with SMB %s", host,
			smb_dialect_name(s->dialect));
	verdict_detail(
		v,
		"%s port %u: dialect %s (0x%04x), signing %s, encryption %s, "
		"max read %u, max write %u bytes; connect %lld ms, negotiate "
		"%lld ms",
		host, port, smb_dialect_name(s->dialect), s->dialect,
		s->security_mode & SMB2_SIGNING_REQUIRED ? "required"
							 : "not required",
		smb_encrypts(s)
			? (s->have_cipher_context ? smb_cipher_name(s->cipher)
						  : "supported")
			: "off",
		s->max_read, s->max_write, (long long)r->connect_ms,
		(long long)r->negotiate_ms);
	if (s->dialect < SMB_DIALECT_300 || s->dialect == SMB_DIALECT_2FF) {
		v = verdict_add(ret, "nas.smb.old_dialect", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				"%s offers at most SMB %s (no SMB3)", host,
				smb_dialect_name(s->dialect));
		verdict_detail(
			v, "offered 2.0.2 to 3.1.1, the server chose 0x%04x",
			s->dialect);
		verdict_hint(v, "Enable SMB3 on the NAS (update its firmware): "
				"SMB2 has "
				"no encryption and weaker signing.");
	}
	if (t->require_signing && !(s->security_mode & SMB2_SIGNING_REQUIRED)) {
		v = verdict_add(
			ret, "nas.smb.signing_off", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"%s does not require SMB signing, but the policy "
			"wants it",
			host);
		verdict_detail(
			v,
			"security mode 0x%04x (signing enabled, not required); "
			"[nas] require_signing = yes",
			s->security_mode);
		verdict_hint(
			v, "Set signing to mandatory on the NAS (Samba: server "
			   "signing = mandatory).");
	}
	if (t->require_encryption && !smb_encrypts(s)) {
		v = verdict_add(
			ret, "nas.smb.encryption_off", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"%s does not offer SMB encryption, but the policy "
			"wants it",
			host);
		verdict_detail(
			v,
			"dialect %s, cipher %s, capabilities 0x%08x; [nas] "
			"require_encryption = yes",
			smb_dialect_name(s->dialect),
			smb_cipher_name(s->cipher), s->capabilities);
		verdict_hint(
			v,
			"Enable SMB3 encryption on the NAS (Samba: server smb "
			"encrypt = desired or required).");
	}
}

static bool null_ok(const struct rpc_call_result *c)
{
	return c->rc == 0 && c->reply.accepted &&
	       c->reply.accept_stat == RPC_SUCCESS;
}

bool nas_nfs_probe_reached(const struct nas_nfs_probe *p)
{
	return null_ok(&p->null_v3) || null_ok(&p->null_v4);
}

static void null_text(const struct rpc_call_result *c, char *dst, size_t max)
{
	if (null_ok(c))
		fmt(dst, max, "yes (%lld ms)", (long long)c->ms);
	else if (c->rc == 0 && c->reply.accepted &&
		 c->reply.accept_stat == RPC_PROG_MISMATCH)
		fmt(dst, max, "no (server offers versions %u to %u)",
		    (unsigned)c->reply.low, (unsigned)c->reply.high);
	else if (c->rc == 0 && c->reply.accepted)
		fmt(dst, max, "no (%s)",
		    rpc_accept_stat_name(c->reply.accept_stat));
	else if (c->rc == 0)
		fmt(dst, max, "no (call denied)");
	else
		fmt(dst, max, "no (%s)", nas_errno_words(-c->rc));
}

void nas_judge_nfs(const char *host, const struct nas_nfs_probe *p,
		   bool other_ok, struct verdict_list *ret)
{
	struct verdict_item *v;
	char v3[80], v4[80], pm[120];
	bool v3_ok = null_ok(&p->null_v3);
	bool pm_ok = p->portmap_rc == 0;

	null_text(&p->null_v3, v3, sizeof(v3));
	null_text(&p->null_v4, v4, sizeof(v4));
	if (pm_ok)
		fmt(pm, sizeof(pm), "port %u answers, NFS v3 registered on %u",
		    p->rpcbind_port, p->nfs_port_v3);
	else
		fmt(pm, sizeof(pm), "port %u: %s", p->rpcbind_port,
		    nas_errno_words(-p->portmap_rc));
	if (!nas_nfs_probe_reached(p)) {
		v = verdict_add(ret, "nas.nfs.unreachable",
				other_ok ? SEVERITY_INFO : SEVERITY_FAIL,
				LEVEL_THIRD_PARTY, "No NFS service on %s",
				host);
		verdict_detail(v,
			       "portmapper %s; NULL call to NFS port %u: v3 "
			       "%s, v4 %s%s",
			       pm, p->nfs_port, v3, v4,
			       other_ok ? " (the host answered SMB)" : "");
		verdict_hint(
			v,
			"If the application uses NFS exports of %s, check that "
			"the NFS service runs and no firewall blocks ports %u "
			"and "
			"%u.",
			host, p->rpcbind_port, p->nfs_port);
		return;
	}
	v = verdict_add(ret, "nas.nfs.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			"NFS server %s answers", host);
	verdict_detail(v,
		       "portmapper %s; NFS port %u: v3 %s, v4 %s; mountd port "
		       "%u; lock "
		       "manager port %u",
		       pm, p->nfs_port, v3, v4, p->mountd_port, p->nlm_port);
	if ((v3_ok || p->v3_used) && pm_ok && p->nlm_asked &&
	    p->nlm_port == 0) {
		v = verdict_add(
			ret, "nas.nfs.no_lock_manager", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			"NFS server %s has no lock manager: NFSv3 file locks "
			"will fail",
			host);
		verdict_detail(
			v,
			"the portmapper on port %u has no nlockmgr (program "
			"100021 v4, TCP) registered (port 0); NFS v3 %s",
			p->rpcbind_port, v3);
		verdict_hint(v, "Enable the lock manager (NLM) on the NAS, or "
				"mount with "
				"NFSv4 which has locking built in; otherwise "
				"locks fail "
				"with ENOLCK.");
	}
	if (v3_ok && pm_ok && p->mountd_asked && p->mountd_port == 0) {
		v = verdict_add(
			ret, "nas.nfs.no_mountd", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"NFS server %s has no mount service: NFSv3 mounts will "
			"fail",
			host);
		verdict_detail(v,
			       "the portmapper on port %u has no mountd "
			       "(program 100005 "
			       "v3) registered",
			       p->rpcbind_port);
		verdict_hint(v,
			     "Start mountd on the NAS, or mount with NFSv4.");
	}
}
