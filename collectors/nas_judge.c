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

static void set(struct nas_verdict *v, const char *id, enum severity sev,
		enum support_level level)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->severity = sev;
	v->level = level;
}

static void fmt(char *dst, size_t max, const char *f, ...) RDIAG_PRINTF(3, 4);

static void fmt(char *dst, size_t max, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(dst, max, f, ap);
	va_end(ap);
}

static struct nas_verdict *add(struct nas_verdicts *vs)
{
	/* Callers add at most NAS_VERDICTS_MAX; a full list reuses the last. */
	if (vs->n < NAS_VERDICTS_MAX)
		vs->n++;
	return &vs->v[vs->n - 1];
}

static struct nas_verdict *push(struct nas_verdicts *vs, const char *id,
				enum severity sev, enum support_level level,
				const char *title, ...) RDIAG_PRINTF(5, 6);

/* The next verdict of vs, cleared and given id, sev, level and title. */
static struct nas_verdict *push(struct nas_verdicts *vs, const char *id,
				enum severity sev, enum support_level level,
				const char *title, ...)
{
	struct nas_verdict *v = add(vs);
	va_list ap;

	set(v, id, sev, level);
	va_start(ap, title);
	vsnprintf(v->title, sizeof(v->title), title, ap);
	va_end(ap);
	return v;
}

static enum support_level who(const struct nas_where *w)
{
	return w->network ? LEVEL_THIRD_PARTY : LEVEL_SELF;
}

static void where_text(const struct nas_where *w, char *dst, size_t max)
{
	fmt(dst, max, "%s (on %s, %s from %s)", w->path, w->mount_point,
	    w->fstype, w->source);
}

static bool is_write_op(enum nas_op op)
{
	return op == NAS_OP_CREATE || op == NAS_OP_WRITE ||
	       op == NAS_OP_FSYNC || op == NAS_OP_UNLINK ||
	       op == NAS_OP_THROUGHPUT;
}

void nas_judge_errno(const struct nas_where *w, enum nas_op op, int err,
		     struct nas_verdict *ret)
{
	const char *words = nas_errno_words(err);
	char where[600];
	struct nas_verdict *v = ret;

	where_text(w, where, sizeof(where));
	switch (err) {
	case ESTALE:
		set(v, "nas.path.stale", SEVERITY_FAIL, LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title), "Stale file handle on %s",
		    w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Unmount and mount the share again (umount -l %s, then "
		    "mount) and ask the NAS admin whether the export was "
		    "moved, restored or re-created.",
		    w->mount_point);
		break;
	case EIO:
	case ETIMEDOUT:
	case EHOSTDOWN:
	case EHOSTUNREACH:
		set(v, "nas.path.io_error", SEVERITY_FAIL, who(w));
		fmt(v->title, sizeof(v->title), "I/O error on %s", w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Check the file server's log and the network to it; a "
		    "soft mount turns a slow server into errors, mount it "
		    "'hard' instead.");
		break;
	case ENOTCONN:
		set(v, "nas.path.disconnected", SEVERITY_FAIL, who(w));
		fmt(v->title, sizeof(v->title),
		    "The share under %s is disconnected", w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Mount the share again (umount -l %s, then mount); for a "
		    "FUSE file system restart its daemon.",
		    w->mount_point);
		break;
	case EACCES:
	case EPERM:
		if (is_write_op(op) || op == NAS_OP_LOCK) {
			set(v, "nas.write.denied", SEVERITY_FAIL, who(w));
			fmt(v->title, sizeof(v->title),
			    "Cannot write to %s: permission denied", w->path);
		} else {
			set(v, "nas.path.denied", SEVERITY_FAIL, who(w));
			fmt(v->title, sizeof(v->title),
			    "Cannot read %s: permission denied", w->path);
		}
		fmt(v->hint, sizeof(v->hint),
		    "Give the account the application runs as read and "
		    "write permission on %s (on the share, ask the NAS "
		    "admin).",
		    w->path);
		break;
	case EROFS:
		set(v, "nas.write.read_only", SEVERITY_FAIL, who(w));
		fmt(v->title, sizeof(v->title),
		    "%s is read-only, but the application writes there",
		    w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Mount %s read-write (check the mount options and the "
		    "share's permissions on the server).",
		    w->mount_point);
		break;
	case ENOSPC:
	case EDQUOT:
		set(v, "nas.write.no_space", SEVERITY_FAIL, who(w));
		fmt(v->title, sizeof(v->title), "No space left to write to %s",
		    w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Free space on %s or enlarge it (or raise the quota).",
		    w->mount_point);
		break;
	case ENOLCK:
		set(v, "nas.lock.unavailable", SEVERITY_FAIL,
		    LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title), "File locks do not work on %s",
		    w->path);
		fmt(v->hint, sizeof(v->hint),
		    "Start the lock manager on the file server (NFSv3: "
		    "rpc.statd and nlockmgr registered with rpcbind), or mount "
		    "with NFSv4, which has locking built in.");
		break;
	case ENOENT:
	case ENOTDIR:
		if (op == NAS_OP_STAT) {
			set(v, "nas.path.missing", SEVERITY_FAIL, LEVEL_SELF);
			fmt(v->title, sizeof(v->title),
			    "The configured path %s does not exist", w->path);
			fmt(v->hint, sizeof(v->hint),
			    "Correct the path in the configuration, or mount "
			    "the share that should provide it.");
			break;
		}
		/* fall through */
	default:
		if (op == NAS_OP_LOCK)
			set(v, "nas.lock.failed", SEVERITY_FAIL, who(w));
		else if (is_write_op(op) || op == NAS_OP_READ)
			set(v, "nas.write.failed", SEVERITY_FAIL, who(w));
		else
			set(v, "nas.path.error", SEVERITY_FAIL, who(w));
		fmt(v->title, sizeof(v->title), "Cannot %s %s: %s",
		    nas_op_name(op), w->path, words);
		fmt(v->hint, sizeof(v->hint),
		    "Hand this finding to whoever runs %s; the errno in the "
		    "detail says what the kernel reported.",
		    w->network ? "the file server" : "this machine");
		break;
	}
	fmt(v->detail, sizeof(v->detail), "%s failed on %s: errno %d, %s",
	    nas_op_name(op), where, err, words);
}

void nas_judge_hang(const struct nas_where *w, enum nas_op op, bool stuck,
		    int pid, const char *wchan, unsigned timeout_ms,
		    int64_t elapsed_ms, struct nas_verdict *ret)
{
	char where[600];

	where_text(w, where, sizeof(where));
	set(ret, "nas.mount.hung", SEVERITY_FAIL,
	    w->network ? LEVEL_THIRD_PARTY : LEVEL_SELF);
	fmt(ret->title, sizeof(ret->title),
	    "The file system under %s does not answer (hung)", w->path);
	if (stuck)
		fmt(ret->detail, sizeof(ret->detail),
		    "%s on %s did not return within its %u ms deadline "
		    "(given up after %lld ms); the checking process %d is "
		    "stuck in the kernel at %s and cannot be killed. Nothing "
		    "else touched this mount in this run.",
		    nas_op_name(op), where, timeout_ms, (long long)elapsed_ms,
		    pid, wchan && *wchan ? wchan : "? (state D)");
	else
		fmt(ret->detail, sizeof(ret->detail),
		    "%s on %s did not return within its %u ms deadline "
		    "(given up after %lld ms); the checking process %d was "
		    "killed. Nothing else touched this mount in this run.",
		    nas_op_name(op), where, timeout_ms, (long long)elapsed_ms,
		    pid);
	fmt(ret->hint, sizeof(ret->hint),
	    "Check that the file server behind %s is up and reachable; "
	    "every program touching this mount hangs until it answers. If "
	    "it stays hung, unmount it with umount -l %s (for FUSE, restart "
	    "its daemon) and mount it again.",
	    w->mount_point, w->mount_point);
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
		     const struct nas_thresholds *t, struct nas_verdicts *ret)
{
	uint64_t used = s->blocks >= s->bfree ? s->blocks - s->bfree : 0;
	uint64_t usable = used + s->bavail;
	unsigned pct = used_pct(usable, s->bavail);
	double avail_mib = (double)s->bavail * (double)s->bsize / 1048576.0;
	double total_mib = (double)usable * (double)s->bsize / 1048576.0;
	struct nas_verdict *v;
	bool bad = false;

	if (s->blocks > 0 && (pct >= t->space_fail_pct || s->bavail == 0 ||
			      pct >= t->space_warn_pct)) {
		bool full = pct >= t->space_fail_pct || s->bavail == 0;

		v = push(ret, full ? "nas.space.full" : "nas.space.low",
			 full ? SEVERITY_FAIL : SEVERITY_WARN, who(w),
			 "%s is %s (%u%% used)", w->mount_point,
			 full ? "full" : "nearly full", pct);
		fmt(v->detail, sizeof(v->detail),
		    "%.1f MiB free of %.1f MiB (%u%% used) on %s (%s from %s); "
		    "warn at %u%%, fail at %u%%",
		    avail_mib, total_mib, pct, w->mount_point, w->fstype,
		    w->source, t->space_warn_pct, t->space_fail_pct);
		fmt(v->hint, sizeof(v->hint),
		    "Free space on %s or enlarge it%s.", w->mount_point,
		    w->network ? " (ask the NAS admin)" : "");
		bad = true;
	}
	if (s->files > 0) {
		uint64_t iused = s->files >= s->ffree ? s->files - s->ffree : 0;
		unsigned ipct = used_pct(s->files, s->ffree);

		if (s->ffree == 0 || ipct >= t->space_warn_pct) {
			bool full = s->ffree == 0 || ipct >= t->space_fail_pct;

			v = push(ret,
				 full ? "nas.inodes.full" : "nas.inodes.low",
				 full ? SEVERITY_FAIL : SEVERITY_WARN, who(w),
				 "%s is running out of file entries (%u%% of "
				 "inodes used)",
				 w->mount_point, ipct);
			fmt(v->detail, sizeof(v->detail),
			    "%llu of %llu inodes used, %llu free on %s",
			    (unsigned long long)iused,
			    (unsigned long long)s->files,
			    (unsigned long long)s->ffree, w->mount_point);
			fmt(v->hint, sizeof(v->hint),
			    "Delete files no longer needed on %s (many small "
			    "files use up inodes even with space left).",
			    w->mount_point);
			bad = true;
		}
	}
	if (!bad) {
		v = push(ret, "nas.space.ok", SEVERITY_OK, who(w),
			 "%s has space left (%u%% used)", w->mount_point, pct);
		fmt(v->detail, sizeof(v->detail),
		    "%.1f MiB free of %.1f MiB; %llu of %llu inodes free",
		    avail_mib, total_mib, (unsigned long long)s->ffree,
		    (unsigned long long)s->files);
	}
}

void nas_judge_write(const struct nas_where *w,
		     const struct nas_write_times *wt,
		     const struct nas_thresholds *t, struct nas_verdict *ret)
{
	int64_t worst = wt->create_ms;
	const char *worst_name = "create";
	char where[600];

	if (wt->write_ms > worst) {
		worst = wt->write_ms;
		worst_name = "write";
	}
	if (wt->fsync_ms > worst) {
		worst = wt->fsync_ms;
		worst_name = "fsync";
	}
	where_text(w, where, sizeof(where));
	if (worst >= (int64_t)t->write_warn_ms) {
		set(ret, "nas.write.slow", SEVERITY_WARN, who(w));
		fmt(ret->title, sizeof(ret->title),
		    "Writing to %s is slow (%s took %lld ms)", w->path,
		    worst_name, (long long)worst);
		fmt(ret->hint, sizeof(ret->hint),
		    "Check the load and the network of the file server; the "
		    "application waits this long for every save.");
	} else {
		set(ret, "nas.write.ok", SEVERITY_OK, who(w));
		fmt(ret->title, sizeof(ret->title),
		    "%s is writable (create, write, fsync, read back, delete)",
		    w->path);
	}
	fmt(ret->detail, sizeof(ret->detail),
	    "%s: create %lld ms, write %zu bytes %lld ms, fsync %lld ms, "
	    "read back %lld ms, delete %lld ms; warn at %u ms",
	    where, (long long)wt->create_ms, wt->bytes, (long long)wt->write_ms,
	    (long long)wt->fsync_ms, (long long)wt->read_ms,
	    (long long)wt->unlink_ms, t->write_warn_ms);
}

static double mbs(unsigned mb, int64_t ms)
{
	return (double)mb * 1000.0 / (double)(ms > 0 ? ms : 1);
}

void nas_judge_throughput(const struct nas_where *w, unsigned mb,
			  int64_t write_ms, int64_t read_ms,
			  const struct nas_thresholds *t,
			  struct nas_verdict *ret)
{
	double wr = mbs(mb, write_ms), rd = mbs(mb, read_ms);

	if (wr < t->throughput_warn_mbs || rd < t->throughput_warn_mbs) {
		set(ret, "nas.throughput.slow", SEVERITY_WARN, who(w));
		fmt(ret->title, sizeof(ret->title),
		    "Throughput to %s is low (write %.1f MiB/s, read %.1f "
		    "MiB/s)",
		    w->path, wr, rd);
		fmt(ret->hint, sizeof(ret->hint),
		    "Check the link speed and duplex to the file server and "
		    "its load; large documents will open and save slowly.");
	} else {
		set(ret, "nas.throughput.ok", SEVERITY_OK, who(w));
		fmt(ret->title, sizeof(ret->title),
		    "Throughput to %s: write %.1f MiB/s, read %.1f MiB/s",
		    w->path, wr, rd);
	}
	fmt(ret->detail, sizeof(ret->detail),
	    "%u MiB written with fsync in %lld ms (%.1f MiB/s), read back "
	    "in %lld ms (%.1f MiB/s) on %s (%s from %s); warn below %u MiB/s",
	    mb, (long long)write_ms, wr, (long long)read_ms, rd, w->mount_point,
	    w->fstype, w->source, t->throughput_warn_mbs);
}

void nas_judge_mount_opts(const struct nas_where *w,
			  const struct nas_mount_opts *o,
			  struct nas_verdicts *ret)
{
	struct nas_verdict *v;
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
		v = push(ret, "nas.mount.soft", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "%s is mounted 'soft': writes can be lost silently "
			 "when the server is slow",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail),
		    "%s from %s: %s, timeo=%ld (%.1f s), retrans=%ld; the "
		    "client gives up after about %.0f s and returns EIO to the "
		    "application",
		    w->mount_point, w->source, o->softerr ? "softerr" : "soft",
		    timeo, (double)timeo / 10.0, retrans, secs);
		fmt(v->hint, sizeof(v->hint),
		    "Mount %s with 'hard' (the default) so a slow server makes "
		    "the application wait instead of losing data.",
		    w->mount_point);
	} else if (o->proto == NAS_PROTO_SMB && o->soft) {
		v = push(ret, "nas.mount.soft", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "%s is mounted 'soft': operations fail when the "
			 "server is slow",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail), "%s from %s: soft",
		    w->mount_point, w->source);
		fmt(v->hint, sizeof(v->hint),
		    "Mount %s with 'hard' so the client retries instead of "
		    "failing the application's writes.",
		    w->mount_point);
	}
	if ((o->proto == NAS_PROTO_NFS || o->proto == NAS_PROTO_SMB) &&
	    o->nolock) {
		v = push(ret, "nas.mount.no_locking", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "File locks on %s are not sent to the server",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail),
		    "%s from %s is mounted with %s: locks are local to this "
		    "machine, other clients do not see them",
		    w->mount_point, w->source,
		    o->proto == NAS_PROTO_SMB
			    ? "nobrl"
			    : (o->local_lock[0] ? "local_lock" : "nolock"));
		fmt(v->hint, sizeof(v->hint),
		    "Remove %s from the mount options of %s if more than one "
		    "machine uses the data.",
		    o->proto == NAS_PROTO_SMB ? "nobrl" : "nolock/local_lock",
		    w->mount_point);
	}
	if (o->proto == NAS_PROTO_SMB && o->vers[0] &&
	    (strcmp(o->vers, "1.0") == 0 || strcmp(o->vers, "1") == 0)) {
		v = push(ret, "nas.mount.smb1", SEVERITY_FAIL,
			 LEVEL_THIRD_PARTY,
			 "%s is mounted with SMB1, an obsolete and insecure "
			 "protocol",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail), "%s from %s: vers=%s",
		    w->mount_point, w->source, o->vers);
		fmt(v->hint, sizeof(v->hint),
		    "Enable SMB2/3 on the NAS and mount with vers=3.0 or "
		    "newer.");
	}
	if (o->proto == NAS_PROTO_NFS && strcmp(o->proto_name, "udp") == 0) {
		v = push(ret, "nas.mount.udp", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			 "%s uses NFS over UDP, which can corrupt data on a "
			 "busy network",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail), "%s from %s: proto=udp",
		    w->mount_point, w->source);
		fmt(v->hint, sizeof(v->hint), "Mount %s with proto=tcp.",
		    w->mount_point);
	}
	if (ret->n == before &&
	    (o->proto == NAS_PROTO_NFS || o->proto == NAS_PROTO_SMB)) {
		v = push(ret, "nas.mount.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 "%s has safe mount options (hard, locking on)",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail), "%s from %s: vers=%s%s%s",
		    w->mount_point, w->source, o->vers[0] ? o->vers : "?",
		    o->sec[0] ? ", sec=" : "", o->sec);
	}
}

void nas_judge_nfs_stats(const struct nas_where *w,
			 const struct nas_nfs_stats *s,
			 const struct nas_thresholds *t,
			 struct nas_verdicts *ret)
{
	struct nas_nfs_totals tot;
	struct nas_verdict *v;
	size_t before = ret->n;

	nas_nfs_totals(s, &tot);
	if (tot.timeouts > 0) {
		v = push(ret, "nas.nfs.timeouts", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "The NFS server behind %s did not answer in time %llu "
			 "times",
			 w->mount_point, (unsigned long long)tot.timeouts);
		fmt(v->detail, sizeof(v->detail),
		    "%llu major timeouts, %llu retransmissions in %llu "
		    "operations since mounted %llu s ago",
		    (unsigned long long)tot.timeouts,
		    (unsigned long long)tot.retrans,
		    (unsigned long long)tot.ops, (unsigned long long)s->age_s);
		fmt(v->hint, sizeof(v->hint),
		    "Check the NAS load and the network path (drops, duplex, "
		    "MTU) between this machine and %s.",
		    w->source);
	}
	if (tot.retrans > 0 && tot.retrans * 100 > tot.ops) {
		v = push(ret, "nas.nfs.retransmissions", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "NFS requests to %s had to be sent again (%.1f%%)",
			 w->source,
			 tot.ops ? 100.0 * (double)tot.retrans / (double)tot.ops
				 : 100.0);
		fmt(v->detail, sizeof(v->detail),
		    "%llu retransmissions in %llu operations on %s",
		    (unsigned long long)tot.retrans,
		    (unsigned long long)tot.ops, w->mount_point);
		fmt(v->hint, sizeof(v->hint),
		    "Packets are lost or the server is overloaded: check the "
		    "network path and the NAS.");
	}
	if (tot.slowest_avg_ms >= t->rtt_warn_ms) {
		v = push(ret, "nas.nfs.slow", SEVERITY_WARN, LEVEL_THIRD_PARTY,
			 "The NFS server behind %s answers slowly (%s %llu ms "
			 "on average)",
			 w->mount_point, tot.slowest,
			 (unsigned long long)tot.slowest_avg_ms);
		fmt(v->detail, sizeof(v->detail),
		    "average round trip of %s is %llu ms (warn at %u ms); "
		    "%llu operations in all",
		    tot.slowest, (unsigned long long)tot.slowest_avg_ms,
		    t->rtt_warn_ms, (unsigned long long)tot.ops);
		fmt(v->hint, sizeof(v->hint),
		    "Check the NAS load (disks, CPU) and the latency of the "
		    "network to %s.",
		    w->source);
	}
	if (ret->n == before) {
		v = push(ret, "nas.nfs.counters_ok", SEVERITY_OK,
			 LEVEL_THIRD_PARTY,
			 "NFS counters of %s show no timeouts or "
			 "retransmissions",
			 w->mount_point);
		fmt(v->detail, sizeof(v->detail),
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
			  struct nas_verdicts *ret)
{
	struct nas_verdict *v;
	uint64_t failed = 0, total = 0;
	size_t before = ret->n;
	const char *worst = NULL;
	uint64_t worst_failed = 0;

	if (s->session_reconnects + s->share_reconnects > 0) {
		v = push(ret, "nas.cifs.reconnects", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "SMB connections to the file server dropped and were "
			 "re-established");
		fmt(v->detail, sizeof(v->detail),
		    "%llu session and %llu share reconnects since the cifs "
		    "module loaded",
		    (unsigned long long)s->session_reconnects,
		    (unsigned long long)s->share_reconnects);
		fmt(v->hint, sizeof(v->hint),
		    "Check the network to the NAS and the NAS's SMB service "
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
		v = push(ret, "nas.cifs.failed_ops", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "The SMB server failed %llu operations",
			 (unsigned long long)failed);
		fmt(v->detail, sizeof(v->detail),
		    "%llu of %llu counted operations failed on %zu shares; "
		    "most on %s (%llu)",
		    (unsigned long long)failed, (unsigned long long)total,
		    s->nshares, worst ? worst : "?",
		    (unsigned long long)worst_failed);
		fmt(v->hint, sizeof(v->hint),
		    "Compare with the NAS's SMB log; failed creates and "
		    "opens are often permissions or a full share.");
	}
	if (ret->n == before && (s->have_reconnects || s->nshares > 0)) {
		v = push(ret, "nas.cifs.counters_ok", SEVERITY_OK,
			 LEVEL_THIRD_PARTY,
			 "SMB client counters show no reconnects or failures");
		fmt(v->detail, sizeof(v->detail),
		    "%zu shares, %llu counted operations", s->nshares,
		    (unsigned long long)total);
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
		   struct nas_verdicts *ret)
{
	struct nas_verdict *v = add(ret);
	const struct smb_reply *s = &r->smb2;

	if (r->connect_rc != 0) {
		int err = -r->connect_rc;

		set(v, "nas.smb.unreachable",
		    other_ok ? SEVERITY_INFO : SEVERITY_FAIL,
		    LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title), "No SMB service on %s port %u",
		    host, port);
		fmt(v->detail, sizeof(v->detail),
		    "TCP connect to %s port %u: errno %d, %s%s", host, port,
		    err, nas_errno_words(err),
		    other_ok ? " (the host answered NFS)" : "");
		fmt(v->hint, sizeof(v->hint),
		    "If the application uses SMB shares of %s, check that the "
		    "SMB service runs and no firewall blocks port %u.",
		    host, port);
		return;
	}
	if (r->outcome == SMB_PROBE_SMB1_ONLY) {
		set(v, "nas.smb.smb1_only", SEVERITY_FAIL, LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title),
		    "%s speaks only SMB1, an obsolete and insecure protocol",
		    host);
		fmt(v->detail, sizeof(v->detail),
		    "%s port %u refused SMB2/3 (%s) and answered an SMB1 "
		    "NEGOTIATE with dialect '%s', security mode 0x%02x",
		    host, port,
		    r->smb2_rc == 0 ? "error status"
				    : nas_errno_words(-r->smb2_rc),
		    smb1_dialects[0], r->smb1.smb1_security_mode);
		fmt(v->hint, sizeof(v->hint),
		    "Enable SMB2 and SMB3 on the NAS (update its firmware if "
		    "it cannot); current Windows and Linux clients refuse "
		    "SMB1.");
		return;
	}
	if (r->outcome != SMB_PROBE_SMB2) {
		int err = r->smb1_rc ? -r->smb1_rc : -r->smb2_rc;

		set(v, "nas.smb.not_smb", SEVERITY_FAIL, LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title),
		    "Something answers on %s port %u, but not SMB", host, port);
		fmt(v->detail, sizeof(v->detail),
		    "SMB2 NEGOTIATE: %s (status 0x%08x); SMB1 NEGOTIATE: %s",
		    r->smb2_rc ? nas_errno_words(-r->smb2_rc) : "error reply",
		    (unsigned)s->status,
		    err ? nas_errno_words(err) : "no usable answer");
		fmt(v->hint, sizeof(v->hint),
		    "Check that %s port %u is the file server's SMB port.",
		    host, port);
		return;
	}
	set(v, "nas.smb.ok", SEVERITY_OK, LEVEL_THIRD_PARTY);
	fmt(v->title, sizeof(v->title), "SMB server %s answers with SMB %s",
	    host, smb_dialect_name(s->dialect));
	fmt(v->detail, sizeof(v->detail),
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
		v = push(ret, "nas.smb.old_dialect", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "%s offers at most SMB %s (no SMB3)", host,
			 smb_dialect_name(s->dialect));
		fmt(v->detail, sizeof(v->detail),
		    "offered 2.0.2 to 3.1.1, the server chose 0x%04x",
		    s->dialect);
		fmt(v->hint, sizeof(v->hint),
		    "Enable SMB3 on the NAS (update its firmware): SMB2 has "
		    "no encryption and weaker signing.");
	}
	if (t->require_signing && !(s->security_mode & SMB2_SIGNING_REQUIRED)) {
		v = push(ret, "nas.smb.signing_off", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "%s does not require SMB signing, but the policy "
			 "wants it",
			 host);
		fmt(v->detail, sizeof(v->detail),
		    "security mode 0x%04x (signing enabled, not required); "
		    "[nas] require_signing = yes",
		    s->security_mode);
		fmt(v->hint, sizeof(v->hint),
		    "Set signing to mandatory on the NAS (Samba: server "
		    "signing = mandatory).");
	}
	if (t->require_encryption && !smb_encrypts(s)) {
		v = push(ret, "nas.smb.encryption_off", SEVERITY_WARN,
			 LEVEL_THIRD_PARTY,
			 "%s does not offer SMB encryption, but the policy "
			 "wants it",
			 host);
		fmt(v->detail, sizeof(v->detail),
		    "dialect %s, cipher %s, capabilities 0x%08x; [nas] "
		    "require_encryption = yes",
		    smb_dialect_name(s->dialect), smb_cipher_name(s->cipher),
		    s->capabilities);
		fmt(v->hint, sizeof(v->hint),
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
		   bool other_ok, struct nas_verdicts *ret)
{
	struct nas_verdict *v = add(ret);
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
		set(v, "nas.nfs.unreachable",
		    other_ok ? SEVERITY_INFO : SEVERITY_FAIL,
		    LEVEL_THIRD_PARTY);
		fmt(v->title, sizeof(v->title), "No NFS service on %s", host);
		fmt(v->detail, sizeof(v->detail),
		    "portmapper %s; NULL call to NFS port %u: v3 %s, v4 %s%s",
		    pm, p->nfs_port, v3, v4,
		    other_ok ? " (the host answered SMB)" : "");
		fmt(v->hint, sizeof(v->hint),
		    "If the application uses NFS exports of %s, check that "
		    "the NFS service runs and no firewall blocks ports %u and "
		    "%u.",
		    host, p->rpcbind_port, p->nfs_port);
		return;
	}
	set(v, "nas.nfs.ok", SEVERITY_OK, LEVEL_THIRD_PARTY);
	fmt(v->title, sizeof(v->title), "NFS server %s answers", host);
	fmt(v->detail, sizeof(v->detail),
	    "portmapper %s; NFS port %u: v3 %s, v4 %s; mountd port %u; lock "
	    "manager port %u",
	    pm, p->nfs_port, v3, v4, p->mountd_port, p->nlm_port);
	if ((v3_ok || p->v3_used) && pm_ok && p->nlm_asked &&
	    p->nlm_port == 0) {
		v = push(ret, "nas.nfs.no_lock_manager", SEVERITY_FAIL,
			 LEVEL_THIRD_PARTY,
			 "NFS server %s has no lock manager: NFSv3 file locks "
			 "will fail",
			 host);
		fmt(v->detail, sizeof(v->detail),
		    "the portmapper on port %u has no nlockmgr (program "
		    "100021 v4, TCP) registered (port 0); NFS v3 %s",
		    p->rpcbind_port, v3);
		fmt(v->hint, sizeof(v->hint),
		    "Enable the lock manager (NLM) on the NAS, or mount with "
		    "NFSv4 which has locking built in; otherwise locks fail "
		    "with ENOLCK.");
	}
	if (v3_ok && pm_ok && p->mountd_asked && p->mountd_port == 0) {
		v = push(
			ret, "nas.nfs.no_mountd", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			"NFS server %s has no mount service: NFSv3 mounts will "
			"fail",
			host);
		fmt(v->detail, sizeof(v->detail),
		    "the portmapper on port %u has no mountd (program 100005 "
		    "v3) registered",
		    p->rpcbind_port);
		fmt(v->hint, sizeof(v->hint),
		    "Start mountd on the NAS, or mount with NFSv4.");
	}
}
