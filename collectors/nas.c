/*
 * The nas collector: are the application's shares mounted, reachable,
 * writable, lockable and fast, and do their file servers answer? Mountinfo,
 * mountstats and the cifs counters are read without touching any mount;
 * every call on a mount (statfs, stat, readdir, open, write, fsync, lock,
 * unlink) runs in a bounded sub-worker with a short deadline of its own, one
 * at a time, and a mount that does not answer is never touched again in
 * this run. autofs mount points are never triggered. Server probes (SMB
 * NEGOTIATE, ONC RPC) have one absolute deadline each. See
 * docs/collectors/nas.md.
 */
#define _GNU_SOURCE /* F_OFD_SETLK; statfs() and its f_type */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hostfile.h"
#include "mountinfo.h"
#include "nas_judge.h"
#include "nas_parse.h"
#include "probes/net.h"
#include "probes/rpc.h"
#include "probes/smb.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"

#define DEFAULT_OP_TIMEOUT_MS    5000
#define DEFAULT_PROBE_TIMEOUT_MS 3000
#define PROBE_BYTES              (64 * 1024)
#define READDIR_MAX              1000000
#define PROC_FILE_MAX            (16u * 1024 * 1024)
#define MAX_ADDRS                4

static const struct config_key nas_keys[] = {
	{ "discover", 0,
	  "also check every network and FUSE mount found in mountinfo (yes)",
	  NULL },
	{ "host", CONFIG_KEY_REPEATABLE,
	  "a file server to probe (SMB and NFS), name or address", NULL },
	{ "nfs_port", 0, "TCP port of the NFS service (2049)", NULL },
	{ "op_timeout_ms", 0,
	  "give up on one operation on a mount after this long; the mount is "
	  "then reported hung (5000)",
	  NULL },
	{ "path", CONFIG_KEY_REPEATABLE,
	  "a directory the application uses on a share (checked for reading, "
	  "writing and locking)",
	  NULL },
	{ "probe_servers", 0,
	  "probe the file servers of the mounts found (SMB or NFS) (yes)",
	  NULL },
	{ "probe_timeout_ms", 0, "deadline of one server probe (3000)", NULL },
	{ "require_encryption", 0,
	  "yes: warn when an SMB server does not offer encryption (no)", NULL },
	{ "require_signing", 0,
	  "yes: warn when an SMB server does not require signing (no)", NULL },
	{ "rpcbind_port", 0, "TCP port of the portmapper (111)", NULL },
	{ "rtt_warn_ms", 0,
	  "warn when an NFS operation's average round trip reaches this (100)",
	  NULL },
	{ "smb_port", 0, "TCP port of the SMB service (445)", NULL },
	{ "space_fail_percent", 0, "fail at this much space used (98)", NULL },
	{ "space_warn_percent", 0, "warn at this much space used (90)", NULL },
	{ "throughput_mb", 0,
	  "write and read back this many MiB on each path; 0 = off (0)", NULL },
	{ "throughput_warn_mbs", 0,
	  "warn below this many MiB/s in the throughput test (10)", NULL },
	{ "write_warn_ms", 0,
	  "warn when create, write or fsync of the probe file takes this long "
	  "(1000)",
	  NULL },
	{ NULL, 0, NULL, NULL },
};

/* What a sub-worker is asked to do; copied into it by fork(). */
struct op_job {
	enum nas_op op;
	const char *path; /* the directory, or the probe file */
	unsigned mb;      /* throughput */
};

/* Plain data: it comes back from a sub-worker through a pipe. */
struct op_out {
	int err; /* 0 or a positive errno */
	int64_t ms;
	uint64_t count;
	bool truncated;
	unsigned mode;
	int64_t f_type;
	struct nas_space space;
	int64_t write_ms, read_ms;
};

enum host_proto {
	HOST_SMB = 1u << 0,
	HOST_NFS = 1u << 1,
};

struct host {
	char *name;
	unsigned protos;
	unsigned smb_port; /* 0: the configured one */
	bool v3_used;
	bool configured;
};

struct nas {
	struct collector_ctx *ctx;
	struct nas_thresholds th;
	unsigned op_timeout_ms, probe_timeout_ms;
	unsigned smb_port, nfs_port, rpcbind_port, throughput_mb;
	bool discover, probe_servers;

	struct mount_table mounts;
	bool have_mounts;
	struct nas_mountstats stats;
	bool have_stats;

	int *hung; /* mount ids never to touch again */
	size_t nhung;
	bool all_hung; /* a hang without a mount table: touch nothing */
	int *seen;     /* mount ids whose mount-level checks ran */
	size_t nseen;

	struct host *hosts;
	size_t nhosts;
	unsigned npaths;
	int rc;
};

/* Emit what a judgement decided and empty the list for the next one. */
static void emit(struct nas *n, struct verdict_list *l)
{
	verdict_emit(n->ctx, l);
	verdict_list_release(l);
}

/* Emit a finding whose title and detail were just allocated; frees both. */
static void emit_owned(struct nas *n, const char *id, enum severity sev,
		       enum support_level level, const char *hint, char *title,
		       char *detail)
{
	struct finding f = {
		.id = id,
		.severity = sev,
		.level = level,
		.title = title,
		.detail = detail,
		.hint = hint,
	};

	ctx_finding(n->ctx, &f);
	free(title);
	free(detail);
}

static void fact(struct nas *n, const char *group, unsigned idx,
		 const char *name, const char *fmt, ...) RDIAG_PRINTF(5, 6);

static void fact(struct nas *n, const char *group, unsigned idx,
		 const char *name, const char *fmt, ...)
{
	char key[RECORD_MAX_KEY];
	char *value;
	va_list ap;

	va_start(ap, fmt);
	value = xvasprintf(fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "%s.%u.%s", group, idx, name);
	ctx_fact(n->ctx, key, "%s", value);
	free(value);
}

static bool id_in(const int *v, size_t count, int id)
{
	for (size_t i = 0; i < count; i++)
		if (v[i] == id)
			return true;
	return false;
}

static bool nas_is_hung(struct nas *n, const struct mount_entry *m)
{
	return n->all_hung || (m && id_in(n->hung, n->nhung, m->mount_id));
}

static void nas_mark_hung(struct nas *n, const struct mount_entry *m)
{
	if (!m) {
		n->all_hung = true;
		return;
	}
	n->hung = xreallocarray(n->hung, n->nhung + 1, sizeof(*n->hung));
	n->hung[n->nhung++] = m->mount_id;
}

/* Sub-worker side: one operation, timed. Never touches the ctx. */

static int op_statfs(const struct op_job *j, struct op_out *o)
{
	struct statfs sf;

	if (statfs(j->path, &sf) < 0)
		return errno;
	o->f_type = (int64_t)sf.f_type;
	o->space.bsize = (uint64_t)sf.f_bsize;
	o->space.blocks = (uint64_t)sf.f_blocks;
	o->space.bfree = (uint64_t)sf.f_bfree;
	o->space.bavail = (uint64_t)sf.f_bavail;
	o->space.files = (uint64_t)sf.f_files;
	o->space.ffree = (uint64_t)sf.f_ffree;
	return 0;
}

static int op_readdir(const struct op_job *j, struct op_out *o)
{
	DIR *d = opendir(j->path);
	struct dirent *e;

	if (!d)
		return errno;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++o->count >= READDIR_MAX) {
			o->truncated = true;
			break;
		}
	}
	if (!e && errno) {
		int err = errno;

		closedir(d);
		return err;
	}
	closedir(d);
	return 0;
}

static void fill_pattern(unsigned char *p, size_t len, size_t off)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)((off + i) * 131u + 7u);
}

static int op_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);

	return fd < 0 ? -errno : fd;
}

static int op_write(const struct op_job *j, struct op_out *o)
{
	unsigned char *buf = xmalloc(PROBE_BYTES);
	int64_t t0;
	int fd, r = 0;

	if ((fd = op_open(j->path, O_WRONLY)) < 0) {
		free(buf);
		return -fd;
	}
	fill_pattern(buf, PROBE_BYTES, 0);
	t0 = now_ms();
	if (write_all(fd, buf, PROBE_BYTES) < 0)
		r = errno ? errno : EIO;
	o->ms = now_ms() - t0;
	if (close(fd) < 0 && r == 0)
		r = errno; /* NFS reports write errors at close */
	free(buf);
	return r;
}

static int op_read(const struct op_job *j, struct op_out *o)
{
	unsigned char *buf = xmalloc(PROBE_BYTES), *want = xmalloc(PROBE_BYTES);
	size_t got = 0;
	int64_t t0;
	int fd, r = 0;

	if ((fd = op_open(j->path, O_RDONLY)) < 0) {
		r = -fd;
		goto out;
	}
	t0 = now_ms();
	while (got < PROBE_BYTES) {
		ssize_t k = read(fd, buf + got, PROBE_BYTES - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = errno;
			break;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	o->ms = now_ms() - t0;
	close(fd);
	fill_pattern(want, PROBE_BYTES, 0);
	if (r == 0 && (got != PROBE_BYTES || memcmp(buf, want, got) != 0))
		r = EILSEQ; /* what was written is not what came back */
out:
	free(buf);
	free(want);
	return r;
}

static int op_lock(const struct op_job *j, struct op_out *o)
{
	struct flock fl;
	int64_t t0;
	int fd, r = 0;

	if ((fd = op_open(j->path, O_RDWR)) < 0)
		return -fd;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_len = 1;
	t0 = now_ms();
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		r = errno;
	} else {
		fl.l_type = F_UNLCK;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
			r = errno;
	}
	o->ms = now_ms() - t0;
	close(fd);
	return r;
}

static int op_throughput(const struct op_job *j, struct op_out *o)
{
	const size_t chunk = 1024 * 1024;
	unsigned char *buf = xmalloc(chunk);
	int64_t t0;
	int fd, r = 0;

	if ((fd = op_open(j->path, O_RDWR | O_TRUNC)) < 0) {
		free(buf);
		return -fd;
	}
	fill_pattern(buf, chunk, 0);
	t0 = now_ms();
	for (unsigned i = 0; i < j->mb && r == 0; i++)
		if (write_all(fd, buf, chunk) < 0)
			r = errno ? errno : EIO;
	if (r == 0 && fsync(fd) < 0)
		r = errno;
	o->write_ms = now_ms() - t0;
	/* Drop our cached copy so the read comes from the server. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	t0 = now_ms();
	for (unsigned i = 0; i < j->mb && r == 0; i++) {
		size_t got = 0;

		while (got < chunk) {
			ssize_t k = pread(fd, buf + got, chunk - got,
					  (off_t)i * (off_t)chunk + (off_t)got);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r = k < 0 ? errno : EIO;
				break;
			}
			got += (size_t)k;
		}
	}
	o->read_ms = now_ms() - t0;
	close(fd);
	free(buf);
	return r;
}

static int op_in_worker(void *arg, void *out, size_t out_max)
{
	const struct op_job *j = arg;
	struct op_out *o = out;
	struct stat st;
	int64_t t0 = now_ms();
	int fd;

	if (out_max < sizeof(*o))
		return -ENOBUFS;
	memset(o, 0, sizeof(*o));
	switch (j->op) {
	case NAS_OP_STAT:
		if (stat(j->path, &st) < 0)
			o->err = errno;
		else
			o->mode = (unsigned)st.st_mode;
		break;
	case NAS_OP_STATFS:
		o->err = op_statfs(j, o);
		break;
	case NAS_OP_READDIR:
		o->err = op_readdir(j, o);
		break;
	case NAS_OP_CREATE:
		fd = op_open(j->path, O_WRONLY | O_CREAT | O_EXCL);
		if (fd < 0)
			o->err = -fd;
		else if (close(fd) < 0)
			o->err = errno;
		break;
	case NAS_OP_WRITE:
		o->err = op_write(j, o);
		break;
	case NAS_OP_FSYNC:
		if ((fd = op_open(j->path, O_WRONLY)) < 0) {
			o->err = -fd;
			break;
		}
		t0 = now_ms();
		if (fsync(fd) < 0)
			o->err = errno;
		o->ms = now_ms() - t0;
		close(fd);
		return (int)sizeof(*o);
	case NAS_OP_READ:
		o->err = op_read(j, o);
		return (int)sizeof(*o);
	case NAS_OP_LOCK:
		o->err = op_lock(j, o);
		return (int)sizeof(*o);
	case NAS_OP_UNLINK:
		if (unlink(j->path) < 0)
			o->err = errno;
		break;
	case NAS_OP_THROUGHPUT:
		o->err = op_throughput(j, o);
		return (int)sizeof(*o);
	default:
		o->err = EINVAL;
		break;
	}
	if (j->op != NAS_OP_WRITE)
		o->ms = now_ms() - t0;
	return (int)sizeof(*o);
}

/* Parent side. */

/* A directory to check and what is known about it without I/O. */
struct target {
	const char *path; /* normalised */
	const char *origin;
	bool write_test;
	bool want_share; /* a [nas] path: expected to be on a share */
	unsigned idx;
	const struct mount_entry *m;
	struct nas_where w;
};

/* Room an operation needs: its deadline plus the reaping grace. */
static bool nas_have_time(struct nas *n, unsigned timeout_ms)
{
	return ctx_remaining_ms(n->ctx) > (int64_t)timeout_ms + 1500;
}

/*
 * Run one operation on t's mount in a sub-worker. Returns 0 when it
 * answered (o->err says how), -EDEADLK when the mount hung (reported, and
 * marked so nothing touches it again), -ETIME when there was no time left
 * to try, another negative errno when no sub-worker could be started.
 */
static int nas_op(struct nas *n, struct target *t, enum nas_op op,
		  const char *path, unsigned timeout_ms, struct op_out *o)
{
	struct op_job j = { .op = op, .path = path, .mb = n->throughput_mb };
	struct bounded_result br;
	struct verdict_list v = VERDICT_LIST_INIT;
	int r;

	if (nas_is_hung(n, t->m))
		return -EDEADLK;
	if (!nas_have_time(n, timeout_ms)) {
		fact(n, "path", t->idx, "skipped", "no time left for %s",
		     nas_op_name(op));
		n->rc = -ETIME;
		return -ETIME;
	}
	memset(o, 0, sizeof(*o));
	r = ctx_bounded(n->ctx, timeout_ms, op_in_worker, &j, o, sizeof(*o),
			&br);
	if (r < 0) {
		ctx_log(n->ctx, "cannot start a sub-worker for %s: %s",
			nas_op_name(op), strerror(-r));
		n->rc = r;
		return r;
	}
	switch (br.status) {
	case BOUNDED_DONE:
		if (br.result < 0 || br.out_len < sizeof(*o)) {
			memset(o, 0, sizeof(*o));
			o->err = br.result < 0 ? -br.result : EIO;
		}
		return 0;
	case BOUNDED_TIMEOUT:
	case BOUNDED_STUCK:
		nas_judge_hang(&t->w, op, br.status == BOUNDED_STUCK,
			       (int)br.pid, br.wchan, timeout_ms, br.elapsed_ms,
			       &v);
		emit(n, &v);
		nas_mark_hung(n, t->m);
		fact(n, "path", t->idx, "hung", "%s after %lld ms%s",
		     nas_op_name(op), (long long)br.elapsed_ms,
		     br.status == BOUNDED_STUCK ? " (stuck in D state)" : "");
		return -EDEADLK;
	case BOUNDED_CRASHED:
	default:
		memset(o, 0, sizeof(*o));
		o->err = ECHILD;
		return 0;
	}
}

static void nas_report_errno(struct nas *n, struct target *t, enum nas_op op,
			     int err)
{
	struct verdict_list v = VERDICT_LIST_INIT;

	nas_judge_errno(&t->w, op, err, &v);
	emit(n, &v);
	fact(n, "path", t->idx, "error", "%s: %s", nas_op_name(op),
	     strerror(err));
}

static void nas_add_host(struct nas *n, const char *name, unsigned protos,
			 unsigned smb_port, bool v3_used, bool configured)
{
	struct host *h;

	if (!name || !*name)
		return;
	for (size_t i = 0; i < n->nhosts; i++) {
		h = &n->hosts[i];
		if (strcmp(h->name, name) == 0) {
			h->protos |= protos;
			h->v3_used |= v3_used;
			h->configured |= configured;
			if (smb_port)
				h->smb_port = smb_port;
			return;
		}
	}
	n->hosts = xreallocarray(n->hosts, n->nhosts + 1, sizeof(*n->hosts));
	h = &n->hosts[n->nhosts++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->protos = protos;
	h->smb_port = smb_port;
	h->v3_used = v3_used;
	h->configured = configured;
}

/* Mount-level checks from mountinfo and the kernel counters: no I/O. */
static void nas_mount_static(struct nas *n, const struct mount_entry *m)
{
	struct nas_mount_opts o;
	struct verdict_list vs = VERDICT_LIST_INIT;
	struct nas_where w = {
		.path = m->mount_point,
		.mount_point = m->mount_point,
		.fstype = m->fstype,
		.source = m->source,
		.network = mount_is_network(m),
	};
	unsigned id = (unsigned)m->mount_id;

	fact(n, "mount", id, "point", "%s", m->mount_point);
	fact(n, "mount", id, "fstype", "%s", m->fstype);
	fact(n, "mount", id, "source", "%s", m->source);
	nas_mount_opts_parse(m, &o);
	fact(n, "mount", id, "read_only", "%s", o.read_only ? "yes" : "no");
	if (!w.network)
		return;
	if (o.server[0])
		fact(n, "mount", id, "server", "%s", o.server);
	if (o.proto == NAS_PROTO_NFS || o.proto == NAS_PROTO_SMB) {
		fact(n, "mount", id, "options",
		     "vers=%s proto=%s %s timeo=%ld retrans=%ld sec=%s "
		     "lookupcache=%s cache=%s locking=%s",
		     o.vers[0] ? o.vers : "-",
		     o.proto_name[0] ? o.proto_name : "-",
		     o.soft ? (o.softerr ? "softerr" : "soft") : "hard",
		     o.timeo, o.retrans, o.sec[0] ? o.sec : "-",
		     o.lookupcache[0] ? o.lookupcache : "-",
		     o.cache[0] ? o.cache : "-", o.nolock ? "local" : "server");
		nas_judge_mount_opts(&w, &o, &vs);
	}
	if (o.proto == NAS_PROTO_NFS && n->have_stats) {
		const struct nas_nfs_stats *s =
			nas_mountstats_find(&n->stats, m->mount_point);

		if (s) {
			struct nas_nfs_totals tot;

			nas_nfs_totals(s, &tot);
			fact(n, "mount", id, "nfs_ops", "%llu",
			     (unsigned long long)tot.ops);
			fact(n, "mount", id, "nfs_retrans", "%llu",
			     (unsigned long long)tot.retrans);
			fact(n, "mount", id, "nfs_timeouts", "%llu",
			     (unsigned long long)tot.timeouts);
			if (s->have_xprt)
				fact(n, "mount", id, "nfs_connects", "%llu",
				     (unsigned long long)s->connect_count);
			nas_judge_nfs_stats(&w, s, &n->th, &vs);
		}
	}
	emit(n, &vs);
	if (!n->probe_servers)
		return;
	if (o.proto == NAS_PROTO_NFS)
		nas_add_host(n, o.server, HOST_NFS, 0,
			     strncmp(o.vers, "3", 1) == 0, false);
	else if (o.proto == NAS_PROTO_SMB)
		nas_add_host(n, o.server, HOST_SMB, o.port, false, false);
}

/* statfs of a mount, once per mount, bounded. */
static int nas_mount_space(struct nas *n, struct target *t)
{
	struct verdict_list vs = VERDICT_LIST_INIT;
	struct nas_where w = t->w;
	struct op_out o;
	int r;

	if (!t->m || id_in(n->seen, n->nseen, t->m->mount_id))
		return 0;
	n->seen = xreallocarray(n->seen, n->nseen + 1, sizeof(*n->seen));
	n->seen[n->nseen++] = t->m->mount_id;
	if ((r = nas_op(n, t, NAS_OP_STATFS, t->path, n->op_timeout_ms, &o)) <
	    0)
		return r;
	if (o.err) {
		nas_report_errno(n, t, NAS_OP_STATFS, o.err);
		return 0;
	}
	fact(n, "mount", (unsigned)t->m->mount_id, "f_type", "0x%llx",
	     (unsigned long long)o.f_type);
	fact(n, "mount", (unsigned)t->m->mount_id, "statfs_ms", "%lld",
	     (long long)o.ms);
	w.path = t->m->mount_point;
	nas_judge_space(&w, &o.space, &n->th, &vs);
	emit(n, &vs);
	return 0;
}

static void probe_name(const struct target *t, char *buf, size_t len)
{
	char host[64] = "host";
	unsigned rnd = (unsigned)(now_ms() * 2654435761u) ^ (unsigned)getpid()
								    << 8;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == ' ')
			*c = '_';
	snprintf(buf, len, "%s/.rdiag-probe-%s-%d-%08x", t->path, host,
		 (int)getpid(), rnd);
}

/*
 * nas_op() on the probe file once it exists: a hang leaves the file behind,
 * and the facts say so.
 */
static int nas_probe_op(struct nas *n, struct target *t, enum nas_op op,
			const char *file, unsigned timeout_ms, struct op_out *o)
{
	int r = nas_op(n, t, op, file, timeout_ms, o);

	if (r == -EDEADLK)
		fact(n, "path", t->idx, "probe_file_left", "%s", file);
	return r;
}

/* create, write, fsync, read back, lock, (throughput), unlink. */
static void nas_write_test(struct nas *n, struct target *t)
{
	struct nas_write_times wt = { .bytes = PROBE_BYTES };
	struct verdict_list v = VERDICT_LIST_INIT;
	struct op_out o;
	char file[PATH_MAX + 128];
	static const enum nas_op steps[] = { NAS_OP_WRITE, NAS_OP_FSYNC,
					     NAS_OP_READ };
	int64_t *times[] = { &wt.write_ms, &wt.fsync_ms, &wt.read_ms };
	bool ok = true;
	int r;

	probe_name(t, file, sizeof(file));
	fact(n, "path", t->idx, "probe_file", "%s", file);
	if ((r = nas_op(n, t, NAS_OP_CREATE, file, n->op_timeout_ms, &o)) < 0)
		return;
	if (o.err) {
		nas_report_errno(n, t, NAS_OP_CREATE, o.err);
		return;
	}
	wt.create_ms = o.ms;
	for (size_t i = 0; i < ARRAY_SIZE(steps) && ok; i++) {
		if (nas_probe_op(n, t, steps[i], file, n->op_timeout_ms, &o) <
		    0)
			return;
		*times[i] = o.ms;
		if (o.err == EILSEQ) {
			nas_judge_mismatch(&t->w, steps[i], &v);
			emit(n, &v);
			ok = false;
		} else if (o.err) {
			nas_report_errno(n, t, steps[i], o.err);
			ok = false;
		}
	}
	if (ok) {
		if (nas_probe_op(n, t, NAS_OP_LOCK, file, n->op_timeout_ms,
				 &o) < 0)
			return;
		if (o.err) {
			nas_report_errno(n, t, NAS_OP_LOCK, o.err);
		} else {
			emit_owned(
				n, "nas.lock.ok", SEVERITY_OK,
				t->w.network ? LEVEL_THIRD_PARTY : LEVEL_SELF,
				NULL,
				xasprintf(N_("File locks work on %s"), t->path),
				xasprintf("an OFD write lock on the probe "
					  "file was taken and released in "
					  "%lld ms",
					  (long long)o.ms));
		}
	}
	if (ok && n->throughput_mb > 0) {
		unsigned tmo = n->op_timeout_ms + n->throughput_mb * 1000u;

		if (nas_probe_op(n, t, NAS_OP_THROUGHPUT, file, tmo, &o) < 0)
			return;
		if (o.err) {
			nas_report_errno(n, t, NAS_OP_THROUGHPUT, o.err);
		} else {
			nas_judge_throughput(&t->w, n->throughput_mb,
					     o.write_ms, o.read_ms, &n->th, &v);
			emit(n, &v);
		}
	}
	if (nas_probe_op(n, t, NAS_OP_UNLINK, file, n->op_timeout_ms, &o) < 0)
		return;
	if (o.err) {
		nas_report_errno(n, t, NAS_OP_UNLINK, o.err);
		fact(n, "path", t->idx, "probe_file_left", "%s", file);
		return;
	}
	wt.unlink_ms = o.ms;
	if (ok) {
		nas_judge_write(&t->w, &wt, &n->th, &v);
		emit(n, &v);
	}
}

static void nas_check_target(struct nas *n, struct target *t)
{
	struct op_out o;
	int64_t stat_ms;
	int r;

	fact(n, "path", t->idx, "path", "%s", t->path);
	fact(n, "path", t->idx, "origin", "%s", t->origin);
	if (!t->m) {
		/* No mount table: assume the worst, touch it bounded only. */
		t->w.mount_point = "?";
		t->w.fstype = "?";
		t->w.source = "?";
		t->w.network = true;
	} else {
		t->w.mount_point = t->m->mount_point;
		t->w.fstype = t->m->fstype;
		t->w.source = t->m->source;
		t->w.network = mount_is_network(t->m);
		fact(n, "path", t->idx, "mount", "%s", t->m->mount_point);
		fact(n, "path", t->idx, "fstype", "%s", t->m->fstype);
	}
	t->w.path = t->path;
	if (t->m && mount_is_autofs(t->m)) {
		emit_owned(n, "nas.path.autofs", SEVERITY_INFO, LEVEL_SELF,
			   N_("Open the path once (ls PATH) so the automounter "
			      "mounts it, then run rdiag again."),
			   xasprintf(N_("%s is not mounted yet (automounter); "
					"not checked"),
				     t->path),
			   xasprintf("%s lies under the autofs mount point %s "
				     "with nothing mounted there now; touching "
				     "it would trigger a mount, so rdiag "
				     "leaves it alone",
				     t->path, t->m->mount_point));
		fact(n, "path", t->idx, "skipped", "autofs");
		return;
	}
	if (t->want_share && t->m && !t->w.network &&
	    strcmp(t->m->mount_point, "/") == 0)
		emit_owned(
			n, "nas.path.not_mounted", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("Mount the share that should provide this path "
			   "(check /etc/fstab and the mount's credentials), "
			   "or correct [nas] path."),
			xasprintf(N_("%s is not on a mounted share"), t->path),
			xasprintf("%s lives on the root file system (%s "
				  "from %s), not on a network share; the "
				  "application writes to the local disk "
				  "instead of the NAS",
				  t->path, t->m->fstype, t->m->source));
	if (nas_is_hung(n, t->m)) {
		fact(n, "path", t->idx, "skipped", "mount hung");
		return;
	}
	if ((r = nas_op(n, t, NAS_OP_STAT, t->path, n->op_timeout_ms, &o)) < 0)
		return;
	if (o.err) {
		nas_report_errno(n, t, NAS_OP_STAT, o.err);
		return;
	}
	stat_ms = o.ms;
	if (!S_ISDIR(o.mode)) {
		const char *kind = S_ISFIFO(o.mode)   ? "a named pipe (FIFO)"
				   : S_ISREG(o.mode)  ? "a regular file"
				   : S_ISSOCK(o.mode) ? "a socket"
						      : "not a directory";

		emit_owned(
			n, "nas.path.not_dir", SEVERITY_FAIL, LEVEL_SELF,
			N_("Point the setting at the directory the "
			   "application stores its files in."),
			xasprintf(
				N_("The configured path %s is not a directory"),
				t->path),
			xasprintf("%s is %s (mode 0%o); it was not opened",
				  t->path, kind, o.mode));
		return;
	}
	if ((r = nas_mount_space(n, t)) < 0)
		return;
	if ((r = nas_op(n, t, NAS_OP_READDIR, t->path, n->op_timeout_ms, &o)) <
	    0)
		return;
	if (o.err) {
		nas_report_errno(n, t, NAS_OP_READDIR, o.err);
	} else {
		emit_owned(n, "nas.path.ok", SEVERITY_OK,
			   t->w.network ? LEVEL_THIRD_PARTY : LEVEL_SELF, NULL,
			   xasprintf(N_("%s is reachable and can be listed"),
				     t->path),
			   xasprintf("%s on %s (%s from %s): stat %lld ms, "
				     "listing %llu%s entries %lld ms",
				     t->path, t->w.mount_point, t->w.fstype,
				     t->w.source, (long long)stat_ms,
				     (unsigned long long)o.count,
				     o.truncated ? "+" : "", (long long)o.ms));
		fact(n, "path", t->idx, "entries", "%llu",
		     (unsigned long long)o.count);
		fact(n, "path", t->idx, "readdir_ms", "%lld", (long long)o.ms);
	}
	if (t->write_test)
		nas_write_test(n, t);
}

/* Host probes. */

static int nas_resolve(struct nas *n, const char *host,
		       struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct net_resolve_arg arg = { host, 0, 0, MAX_ADDRS };
	struct net_resolve_out *o;
	struct bounded_result br;
	int r;

	memset(ret, 0, sizeof(*ret));
	/* The port stays 0 here; the probes set their own. */
	if (net_addr_literal(host, 0, ret, ret_len))
		return 0;
	o = xcalloc(1, sizeof(*o));
	r = ctx_bounded(n->ctx, n->probe_timeout_ms, net_resolve_fn, &arg, o,
			sizeof(*o), &br);
	if (r == 0 && br.status != BOUNDED_DONE)
		r = -ETIMEDOUT;
	else if (r == 0 &&
		 (br.out_len < sizeof(*o) || o->eai != 0 || o->n == 0))
		r = -EHOSTUNREACH;
	if (r == 0) {
		memcpy(ret, &o->a[0], o->l[0]);
		*ret_len = o->l[0];
	}
	free(o);
	return r;
}

static void set_port(struct sockaddr_storage *sa, unsigned port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port =
			htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)(void *)sa)->sin6_port =
			htons((uint16_t)port);
}

static void nas_probe_nfs(struct nas *n, const struct host *h,
			  struct sockaddr_storage *sa, socklen_t salen,
			  struct nas_nfs_probe *p)
{
	struct rpc_call_result c;
	unsigned port = 0;

	memset(p, 0, sizeof(*p));
	p->rpcbind_port = n->rpcbind_port;
	p->nfs_port = n->nfs_port;
	p->v3_used = h->v3_used;
	set_port(sa, n->rpcbind_port);
	rpc_getport((struct sockaddr *)sa, salen, RPC_PROG_NFS, 3,
		    now_ms() + n->probe_timeout_ms, &c, &port);
	p->portmap_rc = c.rc;
	if (c.rc == 0) {
		p->nfs_port_v3 = port;
		port = 0;
		rpc_getport((struct sockaddr *)sa, salen, RPC_PROG_NLOCKMGR, 4,
			    now_ms() + n->probe_timeout_ms, &c, &port);
		p->nlm_asked = c.rc == 0;
		p->nlm_port = port;
		port = 0;
		rpc_getport((struct sockaddr *)sa, salen, RPC_PROG_MOUNT, 3,
			    now_ms() + n->probe_timeout_ms, &c, &port);
		p->mountd_asked = c.rc == 0;
		p->mountd_port = port;
	}
	set_port(sa, n->nfs_port);
	rpc_null_call((struct sockaddr *)sa, salen, RPC_PROG_NFS, 3,
		      now_ms() + n->probe_timeout_ms, &p->null_v3);
	rpc_null_call((struct sockaddr *)sa, salen, RPC_PROG_NFS, 4,
		      now_ms() + n->probe_timeout_ms, &p->null_v4);
}

static bool null_answered(const struct rpc_call_result *c)
{
	return c->rc == 0 && c->reply.accepted && c->reply.accept_stat == 0;
}

static void nas_probe_host(struct nas *n, unsigned idx, const struct host *h)
{
	struct sockaddr_storage sa;
	struct smb_probe_result smb;
	struct nas_nfs_probe nfs;
	struct verdict_list vs = VERDICT_LIST_INIT;
	unsigned smb_port = h->smb_port ? h->smb_port : n->smb_port;
	bool smb_ok = false, nfs_ok = false;
	socklen_t salen = 0;
	char addr[NET_ADDR_MAX];
	int r;

	fact(n, "host", idx, "name", "%s", h->name);
	if (!nas_have_time(n, 3 * n->probe_timeout_ms)) {
		fact(n, "host", idx, "skipped", "no time left");
		n->rc = -ETIME;
		return;
	}
	if ((r = nas_resolve(n, h->name, &sa, &salen)) < 0) {
		emit_owned(n, "nas.host.unresolved", SEVERITY_FAIL, LEVEL_SELF,
			   N_("Correct the server name in the configuration or "
			      "fix the DNS entry for it."),
			   xasprintf(N_("The file server name %s cannot be "
					"resolved"),
				     h->name),
			   xasprintf("looking up %s: %s", h->name,
				     r == -ETIMEDOUT
					     ? "no answer from the resolver"
					     : "no such host"));
		return;
	}
	net_addr_host((struct sockaddr *)&sa, addr, sizeof(addr));
	fact(n, "host", idx, "address", "%s", addr);
	memset(&smb, 0, sizeof(smb));
	if (h->protos & HOST_SMB) {
		set_port(&sa, smb_port);
		smb_probe((struct sockaddr *)&sa, salen,
			  now_ms() + n->probe_timeout_ms, &smb);
		smb_ok = nas_smb_probe_reached(&smb);
		if (smb.outcome == SMB_PROBE_SMB2)
			fact(n, "host", idx, "smb_dialect", "%s",
			     smb_dialect_name(smb.smb2.dialect));
	}
	if (h->protos & HOST_NFS) {
		nas_probe_nfs(n, h, &sa, salen, &nfs);
		nfs_ok = nas_nfs_probe_reached(&nfs);
		fact(n, "host", idx, "nfs_v3", "%s",
		     null_answered(&nfs.null_v3) ? "yes" : "no");
		fact(n, "host", idx, "nfs_v4", "%s",
		     null_answered(&nfs.null_v4) ? "yes" : "no");
	}
	/* A configured host is probed for both: one missing is no fault. */
	if (h->protos & HOST_SMB)
		nas_judge_smb(h->name, smb_port, &smb, &n->th,
			      h->configured && nfs_ok, &vs);
	if (h->protos & HOST_NFS)
		nas_judge_nfs(h->name, &nfs, h->configured && smb_ok, &vs);
	emit(n, &vs);
}

/* Reading kernel-side files: safe, bounded in size. */
static int read_proc(const char *root, const char *rel, struct buf *b)
{
	char *path = xasprintf("%s%s", root, rel);
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(path);
	if (fd < 0)
		return -errno;
	r = hostfile_read_fd(fd, b);
	close(fd);
	return r;
}

static unsigned config_uint(struct nas *n, const char *key,
			    unsigned long long min, unsigned long long max,
			    unsigned def)
{
	const char *v = ctx_config_get(n->ctx, key);
	unsigned long long x;

	if (!v)
		return def;
	if (parse_config_uint(key, v, min, max, &x) < 0) {
		char *where = ctx_config_where(n->ctx, key, NULL);
		char *hint = xasprintf(N_("Correct the value at %s."), where);

		emit_owned(n, "nas.config.invalid", SEVERITY_WARN, LEVEL_SELF,
			   hint,
			   xasprintf(N_("[nas] %s = %s is not valid; using %u"),
				     key, v, def),
			   xasprintf("expected a whole number from %llu to "
				     "%llu",
				     min, max));
		free(hint);
		free(where);
		return def;
	}
	return (unsigned)x;
}

static bool config_bool(struct nas *n, const char *key, bool def)
{
	const char *v = ctx_config_get(n->ctx, key);

	if (!v)
		return def;
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	       strcmp(v, "1") == 0 || strcmp(v, "on") == 0;
}

static void nas_load_config(struct nas *n)
{
	nas_thresholds_default(&n->th);
	n->op_timeout_ms = config_uint(n, "op_timeout_ms", 100, 600000,
				       DEFAULT_OP_TIMEOUT_MS);
	n->probe_timeout_ms = config_uint(n, "probe_timeout_ms", 100, 60000,
					  DEFAULT_PROBE_TIMEOUT_MS);
	n->smb_port = config_uint(n, "smb_port", 1, 65535, 445);
	n->nfs_port = config_uint(n, "nfs_port", 1, 65535, 2049);
	n->rpcbind_port = config_uint(n, "rpcbind_port", 1, 65535, 111);
	n->throughput_mb = config_uint(n, "throughput_mb", 0, 4096, 0);
	n->th.write_warn_ms =
		config_uint(n, "write_warn_ms", 1, 600000, n->th.write_warn_ms);
	n->th.rtt_warn_ms =
		config_uint(n, "rtt_warn_ms", 1, 600000, n->th.rtt_warn_ms);
	n->th.space_warn_pct = config_uint(n, "space_warn_percent", 1, 100,
					   n->th.space_warn_pct);
	n->th.space_fail_pct = config_uint(n, "space_fail_percent", 1, 100,
					   n->th.space_fail_pct);
	n->th.throughput_warn_mbs = config_uint(
		n, "throughput_warn_mbs", 0, 100000, n->th.throughput_warn_mbs);
	n->th.require_signing = config_bool(n, "require_signing", false);
	n->th.require_encryption = config_bool(n, "require_encryption", false);
	n->discover = config_bool(n, "discover", true);
	n->probe_servers = config_bool(n, "probe_servers", true);
}

static void nas_load_kernel(struct nas *n)
{
	const char *root = ctx_root(n->ctx);
	struct buf b;
	int r;

	buf_init(&b, PROC_FILE_MAX);
	if ((r = mountinfo_load(root, &n->mounts)) == 0)
		n->have_mounts = true;
	else
		ctx_log(n->ctx,
			"cannot read mountinfo: %s; every path is "
			"treated as a share",
			strerror(-r));
	if (read_proc(root, "/proc/self/mountinfo", &b) == 0)
		ctx_artifact_write(n->ctx, "mountinfo.txt", b.data, b.len);
	buf_reset(&b);
	if (read_proc(root, "/proc/self/mountstats", &b) == 0) {
		ctx_artifact_write(n->ctx, "mountstats.txt", b.data, b.len);
		if (nas_mountstats_parse(b.data, b.len, &n->stats) == 0)
			n->have_stats = true;
	}
	buf_reset(&b);
	if (read_proc(root, "/proc/fs/cifs/Stats", &b) == 0) {
		struct nas_cifs_stats *cs = xcalloc(1, sizeof(*cs));
		struct verdict_list vs = VERDICT_LIST_INIT;

		ctx_artifact_write(n->ctx, "cifs-stats.txt", b.data, b.len);
		if (nas_cifs_stats_parse(b.data, b.len, cs) == 0) {
			nas_judge_cifs_stats(cs, &vs);
			emit(n, &vs);
		}
		free(cs);
	}
	buf_release(&b);
}

static void nas_path_target(struct nas *n, struct target *t, const char *raw,
			    const char *origin, bool want_share)
{
	char *norm = nas_path_normalise(raw);

	memset(t, 0, sizeof(*t));
	t->origin = origin;
	t->idx = n->npaths++;
	t->want_share = want_share;
	t->write_test = true;
	if (!norm) {
		char *where = want_share ? ctx_config_where(n->ctx, "path", raw)
					 : NULL;

		emit_owned(n, "nas.config.invalid_path", SEVERITY_FAIL,
			   LEVEL_SELF,
			   N_("Use an absolute path such as /mnt/share/app in "
			      "the configuration."),
			   xasprintf(N_("The configured path '%s' is not an "
					"absolute path"),
				     raw),
			   where ? xasprintf("%s gives '%s' (%s)", origin, raw,
					     where)
				 : xasprintf("%s gives '%s'", origin, raw));
		free(where);
		return;
	}
	t->path = norm;
	/* The mount the path really lands on, links followed without
	 * touching a share: a link into a hung mount must name that mount,
	 * never the root file system it is written on. */
	if (n->have_mounts) {
		char *real = NULL;

		t->m = mount_resolve(&n->mounts, ctx_root(n->ctx), norm, &real);
		if (strcmp(real, norm) != 0)
			ctx_fact(n->ctx, "path.resolved", "%s -> %s", norm,
				 real);
		free(real);
	} else {
		t->m = NULL;
	}
}

static int nas_run(struct collector_ctx *ctx)
{
	struct nas n;
	const char *const *paths, *const *dirs, *const *hosts;
	size_t npaths, ndirs, nhosts, ntargets = 0;
	struct target *targets;

	memset(&n, 0, sizeof(n));
	n.ctx = ctx;
	nas_load_config(&n);
	npaths = ctx_config_values(ctx, "path", &paths);
	ndirs = ctx_config_section_values(ctx, "product", "data_dir", &dirs);
	nhosts = ctx_config_values(ctx, "host", &hosts);
	nas_load_kernel(&n);

	targets = xcalloc(npaths + ndirs + n.mounts.n + 1, sizeof(*targets));
	for (size_t i = 0; i < npaths; i++)
		nas_path_target(&n, &targets[ntargets++], paths[i],
				"[nas] path", true);
	for (size_t i = 0; i < ndirs; i++)
		nas_path_target(&n, &targets[ntargets++], dirs[i],
				"[product] data_dir", false);
	for (size_t i = 0; i < nhosts; i++)
		nas_add_host(&n, hosts[i], HOST_SMB | HOST_NFS, 0, false, true);

	/* Mount-level facts first: no I/O, so nothing can hang here. */
	for (size_t i = 0; i < n.mounts.n; i++) {
		const struct mount_entry *m = &n.mounts.v[i];
		bool used = false;

		for (size_t k = 0; k < ntargets; k++)
			used |= targets[k].m == m;
		if (mount_is_autofs(m) ||
		    !(used || (n.discover && mount_is_network(m))))
			continue;
		nas_mount_static(&n, m);
		if (!used && n.discover && mount_is_network(m)) {
			struct target *t = &targets[ntargets++];

			t->path = xstrdup(m->mount_point);
			t->origin = "discovered";
			t->idx = n.npaths++;
			t->m = m;
		}
	}
	if (ntargets == 0 && n.nhosts == 0) {
		struct finding f = {
			.id = "nas.config.none",
			.severity = SEVERITY_INFO,
			.level = LEVEL_SELF,
			.title = N_("No NAS path, file server or network mount "
				    "to check"),
			.hint = N_("Name the application's share in the "
				   "configuration ([nas] path = /mnt/share, "
				   "[nas] host = nas.example) or run rdiag run "
				   "--nas PATH."),
		};

		ctx_finding(ctx, &f);
		ctx_skip(ctx, "no NAS path, host or network mount");
		goto out;
	}
	for (size_t i = 0; i < n.nhosts; i++)
		nas_probe_host(&n, (unsigned)i, &n.hosts[i]);
	for (size_t i = 0; i < ntargets; i++)
		if (targets[i].path)
			nas_check_target(&n, &targets[i]);
out:
	for (size_t i = 0; i < ntargets; i++)
		free((char *)targets[i].path);
	free(targets);
	for (size_t i = 0; i < n.nhosts; i++)
		free(n.hosts[i].name);
	free(n.hosts);
	free(n.hung);
	free(n.seen);
	if (n.have_mounts)
		mount_table_release(&n.mounts);
	if (n.have_stats)
		nas_mountstats_release(&n.stats);
	return n.rc;
}

/* --nas PATH: a path that can never be checked is a usage error now. */
static int nas_check(const char *key, const char *value, char **ret_err)
{
	char *norm;

	if (strcmp(key, "path") != 0)
		return 0;
	if (!(norm = nas_path_normalise(value))) {
		*ret_err = xasprintf("'%s' is not an absolute path (such as "
				     "/mnt/share/app)",
				     value);
		return -EINVAL;
	}
	free(norm);
	return 0;
}

const struct collector collector_nas = {
	.name = "nas",
	.summary = N_("are the application's shares mounted, reachable, "
		      "writable, lockable and fast; SMB and NFS server probes"),
	.flags = 0,
	.deadline_ms = 120000,
	.platforms = RDIAG_LINUX,
	.keys = nas_keys,
	.check = nas_check,
	.run = nas_run,
};
