/*
 * The system collector: what kind of machine this is and whether it is
 * healthy enough for the application (OS, kernel, CPU, memory, load, local
 * disks, clock, name resolution, the largest processes). It reads host
 * files under ctx_root() and parses and judges them with the pure
 * functions of system_parse.c and system_judge.c. Anything that can hang
 * (statvfs, name lookups, walking /proc) runs through ctx_bounded(); network,
 * FUSE and autofs mounts are never touched (they are the nas collector's).
 */
#define _GNU_SOURCE /* ntp_adjtime() */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hostfile.h"
#include "mountinfo.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"
#include "system_judge.h"
#include "system_parse.h"

#define HOST_FILE_MAX       (4u * 1024 * 1024)
#define STATUS_FILE_MAX     (64u * 1024)
#define STATVFS_TIMEOUT_MS  2000
#define RESOLVE_TIMEOUT_MS  3000
#define PROCSCAN_TIMEOUT_MS 3000
#define SWAP_SAMPLE_MS      1000
#define MAX_FILESYSTEMS     64
#define MAX_PROCESSES       100000
#define TOP_PROCESSES       10

static const struct config_key system_keys[] = {
	{ "disk_warn_percent", 0,
	  "warn when a local file system is fuller than this", "90" },
	{ "disk_fail_percent", 0,
	  "fail when a local file system is fuller than this", "97" },
	{ NULL, 0, NULL, NULL },
};

/* Read ROOT/rel whole into b (up to HOST_FILE_MAX); 0 or -errno, logged. */
static int read_host_file(struct collector_ctx *ctx, const char *rel,
			  struct buf *b)
{
	char *path = xasprintf("%s/%s", ctx_root(ctx), rel);
	int r = hostfile_read(path, HOST_FILE_MAX, b);

	if (r < 0)
		ctx_log(ctx, "cannot read '%s': %s", path, strerror(-r));
	free(path);
	return r;
}

static void copy_artifact(struct collector_ctx *ctx, const char *name,
			  const struct buf *b)
{
	int r = ctx_artifact_write(ctx, name, b->data, b->len);

	if (r < 0)
		ctx_log(ctx, "cannot write artifact '%s': %s, ignoring", name,
			strerror(-r));
}

/* One "first wins" error: the run is partial if any check was. */
static void note(int *first, int r)
{
	if (r < 0 && *first == 0)
		*first = r;
}

static int check_os(struct collector_ctx *ctx)
{
	struct system_osinfo o;
	struct buf b;
	int r;

	if ((r = read_host_file(ctx, "etc/os-release", &b)) < 0) {
		buf_release(&b);
		r = read_host_file(ctx, "usr/lib/os-release", &b);
	}
	if (r < 0)
		goto out;
	copy_artifact(ctx, "os-release.txt", &b);
	if ((r = system_parse_os_release(b.data, b.len, &o)) < 0)
		goto out;
	if (o.pretty_name)
		ctx_fact(ctx, "os.pretty_name", "%s", o.pretty_name);
	if (o.name)
		ctx_fact(ctx, "os.name", "%s", o.name);
	if (o.id)
		ctx_fact(ctx, "os.id", "%s", o.id);
	if (o.version_id)
		ctx_fact(ctx, "os.version_id", "%s", o.version_id);
	system_osinfo_release(&o);
out:
	buf_release(&b);
	return r;
}

/* The first line of a one-line /proc file, without its newline. */
static int read_line_file(struct collector_ctx *ctx, const char *rel,
			  char **ret)
{
	struct buf b;
	int r;

	if ((r = read_host_file(ctx, rel, &b)) == 0) {
		*ret = xstrndup(b.data, strcspn(b.data, "\n"));
		if (**ret == '\0') {
			free(*ret);
			*ret = NULL;
			r = -ENODATA;
		}
	}
	buf_release(&b);
	return r;
}

static int check_kernel(struct collector_ctx *ctx)
{
	char *release = NULL, *version = NULL;
	struct utsname u;
	int r, have_uname = uname(&u) == 0;

	r = read_line_file(ctx, "proc/sys/kernel/osrelease", &release);
	if (release)
		ctx_fact(ctx, "kernel.release", "%s", release);
	else if (have_uname)
		ctx_fact(ctx, "kernel.release", "%s", u.release);
	if (read_line_file(ctx, "proc/sys/kernel/version", &version) == 0)
		ctx_fact(ctx, "kernel.version", "%s", version);
	if (have_uname)
		ctx_fact(ctx, "kernel.machine", "%s", u.machine);
	free(release);
	free(version);
	return r;
}

static int check_uptime(struct collector_ctx *ctx)
{
	uint64_t secs;
	struct buf b;
	int r;

	if ((r = read_host_file(ctx, "proc/uptime", &b)) == 0 &&
	    (r = system_parse_uptime(b.data, b.len, &secs)) == 0) {
		ctx_fact(ctx, "uptime.seconds", "%llu",
			 (unsigned long long)secs);
		ctx_fact(ctx, "uptime.days", "%llu",
			 (unsigned long long)(secs / 86400));
	}
	buf_release(&b);
	return r;
}

static int check_cpu(struct collector_ctx *ctx, unsigned *ret_cpus)
{
	struct system_cpuinfo c;
	struct buf b;
	int r;

	if ((r = read_host_file(ctx, "proc/cpuinfo", &b)) == 0 &&
	    (r = system_parse_cpuinfo(b.data, b.len, &c)) == 0) {
		ctx_fact(ctx, "cpu.count", "%u", c.count);
		ctx_fact(ctx, "cpu.model", "%s", c.model ? c.model : "unknown");
		*ret_cpus = c.count;
		system_cpuinfo_release(&c);
	}
	buf_release(&b);
	return r;
}

static int check_memory(struct collector_ctx *ctx)
{
	struct verdict_list l;
	struct system_meminfo m;
	struct buf b;
	int r;

	verdict_list_init(&l);
	if ((r = read_host_file(ctx, "proc/meminfo", &b)) < 0)
		goto out;
	copy_artifact(ctx, "meminfo.txt", &b);
	if ((r = system_parse_meminfo(b.data, b.len, &m)) < 0)
		goto out;
	ctx_fact(ctx, "mem.total_kb", "%llu", (unsigned long long)m.total_kb);
	ctx_fact(ctx, "mem.available_kb", "%llu",
		 (unsigned long long)m.available_kb);
	ctx_fact(ctx, "swap.total_kb", "%llu",
		 (unsigned long long)m.swap_total_kb);
	ctx_fact(ctx, "swap.free_kb", "%llu",
		 (unsigned long long)m.swap_free_kb);
	system_judge_memory(&m, &l);
	verdict_emit(ctx, &l);
out:
	verdict_list_release(&l);
	buf_release(&b);
	return r;
}

static int check_load(struct collector_ctx *ctx, unsigned cpus)
{
	struct verdict_list l;
	struct system_loadavg la;
	struct buf b;
	int r;

	verdict_list_init(&l);
	if ((r = read_host_file(ctx, "proc/loadavg", &b)) == 0 &&
	    (r = system_parse_loadavg(b.data, b.len, &la)) == 0) {
		ctx_fact(ctx, "load.1m", "%u.%02u", la.load1_x100 / 100,
			 la.load1_x100 % 100);
		ctx_fact(ctx, "load.5m", "%u.%02u", la.load5_x100 / 100,
			 la.load5_x100 % 100);
		ctx_fact(ctx, "load.15m", "%u.%02u", la.load15_x100 / 100,
			 la.load15_x100 % 100);
		ctx_fact(ctx, "load.runnable", "%u", la.running);
		ctx_fact(ctx, "load.tasks", "%u", la.total);
		system_judge_load(&la, cpus, &l);
		verdict_emit(ctx, &l);
	}
	verdict_list_release(&l);
	buf_release(&b);
	return r;
}

/* Sub-worker: statvfs(arg) into out. */
static int statvfs_fn(void *arg, void *out, size_t out_max)
{
	struct statvfs st;

	if (out_max < sizeof(st))
		return -ENOBUFS;
	if (statvfs(arg, &st) < 0)
		return -errno;
	memcpy(out, &st, sizeof(st));
	return (int)sizeof(st);
}

static void measure_fs(struct collector_ctx *ctx, const char *path,
		       struct system_fs *fs)
{
	struct bounded_result res;
	struct statvfs st;
	int r;

	r = ctx_bounded(ctx, STATVFS_TIMEOUT_MS, statvfs_fn, (void *)path, &st,
			sizeof(st), &res);
	if (r < 0) {
		fs->error = r;
		ctx_log(ctx, "cannot check '%s': %s", path, strerror(-r));
		return;
	}
	if (res.status != BOUNDED_DONE) {
		ctx_log(ctx, "statvfs '%s' did not answer (pid %ld, %s)", path,
			(long)res.pid, res.wchan);
		fs->error = res.status == BOUNDED_CRASHED ? -EIO : 0;
		return;
	}
	if (res.result < 0 || res.out_len != sizeof(st)) {
		fs->error = res.result < 0 ? res.result : -EIO;
		ctx_log(ctx, "cannot statvfs '%s': %s", path,
			strerror(-fs->error));
		return;
	}
	fs->responded = 1;
	fs->size = (uint64_t)st.f_blocks * st.f_frsize;
	fs->used = (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize;
	fs->avail = (uint64_t)st.f_bavail * st.f_frsize;
	fs->files = st.f_files;
	fs->files_free = st.f_ffree;
	fs->files_avail = st.f_favail;
}

static void fs_facts(struct collector_ctx *ctx, size_t i,
		     const struct mount_entry *e, const struct system_fs *f,
		     struct buf *table)
{
	char key[64];
	unsigned pct = 0, ipct = 0;

	snprintf(key, sizeof(key), "fs.%zu.mount", i);
	ctx_fact(ctx, key, "%s", e->mount_point);
	snprintf(key, sizeof(key), "fs.%zu.type", i);
	ctx_fact(ctx, key, "%s", e->fstype);
	snprintf(key, sizeof(key), "fs.%zu.source", i);
	ctx_fact(ctx, key, "%s", e->source);
	if (!f->responded) {
		buf_printf(table, "%-30s %-10s %s\n", e->mount_point, e->fstype,
			   "no answer");
		return;
	}
	pct = system_percent_x100(f->used, f->avail);
	ipct = system_percent_x100(f->files - f->files_free, f->files_avail);
	snprintf(key, sizeof(key), "fs.%zu.size_kb", i);
	ctx_fact(ctx, key, "%llu", (unsigned long long)(f->size / 1024));
	snprintf(key, sizeof(key), "fs.%zu.avail_kb", i);
	ctx_fact(ctx, key, "%llu", (unsigned long long)(f->avail / 1024));
	snprintf(key, sizeof(key), "fs.%zu.used_percent", i);
	ctx_fact(ctx, key, "%u.%02u", pct / 100, pct % 100);
	if (f->files > 0) {
		snprintf(key, sizeof(key), "fs.%zu.inodes_used_percent", i);
		ctx_fact(ctx, key, "%u.%02u", ipct / 100, ipct % 100);
	}
	buf_printf(table, "%-30s %-10s %14llu %14llu %6u.%02u %6u.%02u  %s\n",
		   e->mount_point, e->fstype,
		   (unsigned long long)(f->size / 1024),
		   (unsigned long long)(f->avail / 1024), pct / 100, pct % 100,
		   ipct / 100, ipct % 100, e->source);
}

static int check_disks(struct collector_ctx *ctx, unsigned warn, unsigned fail)
{
	struct mount_table t = { NULL, 0 };
	struct system_fs fs[MAX_FILESYSTEMS];
	size_t idx[MAX_FILESYSTEMS], n, skipped_net = 0;
	struct verdict_list l;
	struct buf raw, table;
	int r;

	verdict_list_init(&l);
	buf_init(&table, 0);
	if ((r = read_host_file(ctx, "proc/self/mountinfo", &raw)) < 0)
		goto out;
	copy_artifact(ctx, "mountinfo.txt", &raw);
	if ((r = mountinfo_parse(raw.data, raw.len, &t)) < 0)
		goto out;
	for (size_t i = 0; i < t.n; i++)
		if (mount_is_network(&t.v[i]))
			skipped_net++;
	n = system_mounts_select(&t, idx, ARRAY_SIZE(idx));
	ctx_fact(ctx, "fs.count", "%zu", n);
	ctx_fact(ctx, "fs.network_skipped", "%zu", skipped_net);
	buf_printf(&table, "%-30s %-10s %14s %14s %9s %9s  %s\n", "MOUNT",
		   "TYPE", "SIZE_KB", "AVAIL_KB", "USED_%", "INODES_%",
		   "SOURCE");
	for (size_t i = 0; i < n; i++) {
		const struct mount_entry *e = &t.v[idx[i]];
		char *path = xasprintf("%s%s", ctx_root(ctx), e->mount_point);

		memset(&fs[i], 0, sizeof(fs[i]));
		fs[i].mount_point = e->mount_point;
		fs[i].fstype = e->fstype;
		measure_fs(ctx, path, &fs[i]);
		fs_facts(ctx, i, e, &fs[i], &table);
		free(path);
	}
	copy_artifact(ctx, "filesystems.txt", &table);
	system_judge_disk(fs, n, warn, fail, &l);
	verdict_emit(ctx, &l);
out:
	verdict_list_release(&l);
	mount_table_release(&t);
	buf_release(&table);
	buf_release(&raw);
	return r;
}

static void check_clock(struct collector_ctx *ctx)
{
	struct verdict_list l;
	struct system_clock c;
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	memset(&c, 0, sizeof(c));
	verdict_list_init(&l);
	/* modes = 0: read only, allowed without privileges. */
	state = ntp_adjtime(&tx);
	if (state < 0) {
		ctx_log(ctx, "ntp_adjtime: %s", strerror(errno));
		return;
	}
	c.available = 1;
	c.state = state;
	c.status = tx.status;
	c.maxerror_us = tx.maxerror;
	c.esterror_us = tx.esterror;
	/* With STA_NANO the offset is in nanoseconds. */
	c.offset_us = (tx.status & STA_NANO) ? tx.offset / 1000 : tx.offset;
	ctx_fact(ctx, "clock.synced", "%s",
		 (state == TIME_ERROR || (tx.status & STA_UNSYNC)) ? "no"
								   : "yes");
	ctx_fact(ctx, "clock.maxerror_us", "%ld", c.maxerror_us);
	ctx_fact(ctx, "clock.status", "0x%04x", (unsigned)c.status);
	system_judge_clock(&c, &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
}

/* Sub-worker: getaddrinfo(arg), answer in system_parse_resolve()'s form. */
static int resolve_fn(void *arg, void *out, size_t out_max)
{
	struct addrinfo hints, *res = NULL;
	const char *name = arg;
	struct buf b;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	buf_init(&b, out_max);
	r = getaddrinfo(name, NULL, &hints, &res);
	if (r != 0) {
		buf_printf(&b, "error\n%s\n",
			   r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	} else {
		buf_printf(&b, "ok\n%s\n",
			   res->ai_canonname ? res->ai_canonname : name);
		for (struct addrinfo *a = res; a; a = a->ai_next) {
			char s[INET6_ADDRSTRLEN];
			const void *p =
				a->ai_family == AF_INET6
					? (const void *)&(
						  (struct sockaddr_in6 *)
							  a->ai_addr)
						  ->sin6_addr
					: (const void *)&((struct sockaddr_in *)
								  a->ai_addr)
						  ->sin_addr;

			if (inet_ntop(a->ai_family, p, s, sizeof(s)))
				buf_printf(&b, "%s%s", a == res ? "" : " ", s);
		}
		buf_putc(&b, '\n');
		freeaddrinfo(res);
	}
	memcpy(out, b.data, b.len);
	r = (int)b.len;
	buf_release(&b);
	return r;
}

static int check_hostname(struct collector_ctx *ctx)
{
	struct system_resolve res, *rp = NULL;
	struct bounded_result br;
	struct verdict_list l;
	struct utsname u;
	char *host = NULL, out[2048];
	int r;

	verdict_list_init(&l);
	if (read_line_file(ctx, "proc/sys/kernel/hostname", &host) < 0) {
		if (uname(&u) < 0)
			return -errno;
		host = xstrdup(u.nodename);
	}
	ctx_fact(ctx, "host.name", "%s", host);
	if ((r = ctx_bounded(ctx, RESOLVE_TIMEOUT_MS, resolve_fn, host, out,
			     sizeof(out), &br)) < 0)
		goto out;
	if (br.status == BOUNDED_DONE && br.result > 0 &&
	    system_parse_resolve(out, br.out_len, &res) == 0)
		rp = &res;
	else if (br.status == BOUNDED_DONE || br.status == BOUNDED_CRASHED)
		ctx_log(ctx, "name lookup of '%s' gave no usable answer", host);
	if (rp && rp->ok) {
		ctx_fact(ctx, "host.fqdn", "%s", rp->canonical);
		ctx_fact(ctx, "host.addresses", "%s", rp->addresses);
	}
	system_judge_hostname(host, rp, RESOLVE_TIMEOUT_MS, &l);
	verdict_emit(ctx, &l);
	if (rp)
		system_resolve_release(rp);
out:
	verdict_list_release(&l);
	free(host);
	return r;
}

static int check_dns(struct collector_ctx *ctx)
{
	struct system_resolvconf rc;
	struct verdict_list l;
	struct buf b, list;
	int r;

	verdict_list_init(&l);
	buf_init(&list, 0);
	r = read_host_file(ctx, "etc/resolv.conf", &b);
	if (r < 0 && r != -ENOENT)
		goto out;
	if (r == 0)
		copy_artifact(ctx, "resolv.conf.txt", &b);
	/* A missing file is what the resolver sees as "no servers". */
	system_parse_resolv_conf(b.data, b.len, &rc);
	for (size_t i = 0; i < rc.n_nameservers; i++)
		buf_printf(&list, "%s%s", i ? " " : "", rc.nameservers[i]);
	ctx_fact(ctx, "dns.nameservers", "%s", list.data);
	if (rc.search)
		ctx_fact(ctx, "dns.search", "%s", rc.search);
	system_judge_dns(&rc, &l);
	verdict_emit(ctx, &l);
	system_resolvconf_release(&rc);
	r = 0;
out:
	verdict_list_release(&l);
	buf_release(&list);
	buf_release(&b);
	return r;
}

/* What the /proc walk sends back through the bounded-call pipe. */
struct procscan {
	unsigned long total; /* processes seen */
	unsigned long n;     /* entries in top */
	struct system_proc top[TOP_PROCESSES];
};

static int is_pid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * Sub-worker: the largest processes by RSS. Reading /proc/PID/status can
 * block behind a process stuck in the kernel, hence the separate worker.
 */
static int procscan_fn(void *arg, void *out, size_t out_max)
{
	char *dir = xasprintf("%s/proc", (const char *)arg);
	struct system_proc *v = NULL;
	size_t n = 0, cap = 0;
	struct procscan s;
	struct dirent *de;
	DIR *d;

	if (out_max < sizeof(s)) {
		free(dir);
		return -ENOBUFS;
	}
	if (!(d = opendir(dir))) {
		int r = -errno;

		free(dir);
		return r;
	}
	memset(&s, 0, sizeof(s));
	while ((de = readdir(d)) && n < MAX_PROCESSES) {
		struct system_proc p;
		struct buf b;
		char *path;

		if (!is_pid_name(de->d_name))
			continue;
		path = xasprintf("%s/%s/status", dir, de->d_name);
		if (hostfile_read(path, STATUS_FILE_MAX, &b) == 0 &&
		    system_parse_status(b.data, b.len, &p) == 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] = p;
		}
		buf_release(&b);
		free(path);
	}
	closedir(d);
	s.total = n;
	s.n = system_top_select(v, n, TOP_PROCESSES);
	if (s.n > 0)
		memcpy(s.top, v, s.n * sizeof(*v));
	memcpy(out, &s, sizeof(s));
	free(v);
	free(dir);
	return (int)sizeof(s);
}

static int check_processes(struct collector_ctx *ctx)
{
	struct bounded_result br;
	struct procscan s;
	struct buf table;
	int r;

	buf_init(&table, 0);
	if ((r = ctx_bounded(ctx, PROCSCAN_TIMEOUT_MS, procscan_fn,
			     (void *)ctx_root(ctx), &s, sizeof(s), &br)) < 0)
		goto out;
	if (br.status != BOUNDED_DONE || br.result < 0 ||
	    br.out_len != sizeof(s) || s.n > TOP_PROCESSES) {
		ctx_log(ctx, "process scan gave no answer (status %d, %d)",
			(int)br.status, br.result);
		r = br.result < 0 ? br.result : -ETIME;
		goto out;
	}
	ctx_fact(ctx, "proc.count", "%lu", s.total);
	if (s.n > 0) {
		ctx_fact(ctx, "proc.largest.pid", "%d", s.top[0].pid);
		ctx_fact(ctx, "proc.largest.name", "%s", s.top[0].name);
		ctx_fact(ctx, "proc.largest.rss_kb", "%llu",
			 (unsigned long long)s.top[0].rss_kb);
	}
	system_top_format(s.top, s.n, &table);
	copy_artifact(ctx, "top-processes.txt", &table);
out:
	buf_release(&table);
	return r;
}

static int sample_vmstat(struct collector_ctx *ctx, struct system_vmstat *v)
{
	struct buf b;
	int r;

	if ((r = read_host_file(ctx, "proc/vmstat", &b)) == 0)
		r = system_parse_vmstat(b.data, b.len, v);
	buf_release(&b);
	return r;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * ROOT/proc/pressure/NAME parsed into *ret; 0, or a negative errno when
 * the file is missing (no CONFIG_PSI), refused (EOPNOTSUPP with psi=0) or
 * not what we know.
 */
static int read_pressure(struct collector_ctx *ctx, const char *name,
			 struct system_pressure *ret)
{
	char *path = xasprintf("%s/proc/pressure/%s", ctx_root(ctx), name);
	struct buf b;
	int r;

	if ((r = hostfile_read(path, STATUS_FILE_MAX, &b)) == 0 &&
	    (r = system_parse_pressure(b.data, b.len, ret)) < 0)
		ctx_log(ctx, "'%s' is not pressure-stall information, ignoring",
			path);
	buf_release(&b);
	free(path);
	return r;
}

static void fact_pressure(struct collector_ctx *ctx, const char *name,
			  const struct system_pressure *p)
{
	const struct system_psi_line *l[2] = { &p->some, &p->full };
	const char *kind[2] = { "some", "full" };

	for (int i = 0; i < (p->has_full ? 2 : 1); i++) {
		char *key = xasprintf("pressure.%s.%s", name, kind[i]);

		ctx_fact(ctx, key, "avg10=%u.%02u avg60=%u.%02u total=%llu",
			 l[i]->avg10_x100 / 100, l[i]->avg10_x100 % 100,
			 l[i]->avg60_x100 / 100, l[i]->avg60_x100 % 100,
			 (unsigned long long)l[i]->total_us);
		free(key);
	}
}

/*
 * Thrashing, I/O and CPU starvation from pressure-stall information: the
 * kernel's own averages, so nothing to wait for. Returns -ENOENT (or the
 * reading error) when memory pressure is not available, so the caller
 * falls back to sampling /proc/vmstat.
 */
static int check_pressure(struct collector_ctx *ctx)
{
	static const char *const names[] = { "memory", "io", "cpu" };
	struct system_pressure ps[3];
	const struct system_pressure *have[3] = { NULL, NULL, NULL };
	struct verdict_list l;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (read_pressure(ctx, names[i], &ps[i]) == 0)
			have[i] = &ps[i];
	if (!have[0])
		return -ENOENT;
	ctx_fact(ctx, "pressure.source", "psi");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (have[i])
			fact_pressure(ctx, names[i], have[i]);
	verdict_list_init(&l);
	system_judge_pressure(have[0], have[1], have[2], &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	return 0;
}

/* Without PSI: two /proc/vmstat samples about SWAP_SAMPLE_MS apart. */
static int check_swap(struct collector_ctx *ctx,
		      const struct system_vmstat *first, int64_t first_ms)
{
	struct system_vmstat second;
	struct verdict_list l;
	int64_t left = SWAP_SAMPLE_MS - (now_ms() - first_ms);
	int r;

	/* The other checks usually took the second already. */
	if (left > 0 && left < ctx_remaining_ms(ctx))
		sleep_ms(left);
	if ((r = sample_vmstat(ctx, &second)) < 0)
		return r;
	ctx_fact(ctx, "pressure.source", "vmstat sample (no PSI)");
	ctx_fact(ctx, "swap.sample_ms", "%lld",
		 (long long)(now_ms() - first_ms));
	verdict_list_init(&l);
	system_judge_swap(first, &second, now_ms() - first_ms, &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	return 0;
}

/* [system] disk thresholds; bad values are reported, defaults used. */
static void read_thresholds(struct collector_ctx *ctx, unsigned *ret_warn,
			    unsigned *ret_fail)
{
	const char *w = ctx_config_get(ctx, "disk_warn_percent");
	const char *f = ctx_config_get(ctx, "disk_fail_percent");
	unsigned long long wv = SYSTEM_DISK_WARN_PERCENT,
			   fv = SYSTEM_DISK_FAIL_PERCENT;
	char *detail, *hint, *ww, *fw;

	if ((w && parse_uint(w, 1, 99, &wv) < 0) ||
	    (f && parse_uint(f, 1, 100, &fv) < 0) || wv >= fv) {
		struct finding fi = {
			.id = "system.config.invalid",
			.severity = SEVERITY_WARN,
			.level = LEVEL_SELF,
			.title = N_("A disk threshold in the [system] settings "
				    "is not valid"),
		};

		detail = xasprintf(
			"disk_warn_percent = %s, disk_fail_percent = %s; need "
			"whole numbers with 1 <= warn < fail <= 100; using %d "
			"and %d",
			w ? w : "(unset)", f ? f : "(unset)",
			SYSTEM_DISK_WARN_PERCENT, SYSTEM_DISK_FAIL_PERCENT);
		fi.detail = detail;
		/* Send the reader to the lines that set them. */
		ww = ctx_config_where(ctx, "disk_warn_percent", NULL);
		fw = ctx_config_where(ctx, "disk_fail_percent", NULL);
		hint = xasprintf(
			N_("Correct the values in the [system] section: "
			   "%s%s%s%s%s%s."),
			ww ? "disk_warn_percent at " : "", ww ? ww : "",
			ww && fw ? ", " : "", fw ? "disk_fail_percent at " : "",
			fw ? fw : "",
			!ww && !fw ? RDIAG_SYSCONFDIR "/rdiag.conf" : "");
		fi.hint = hint;
		ctx_finding(ctx, &fi);
		free(hint);
		free(ww);
		free(fw);
		free(detail);
		wv = SYSTEM_DISK_WARN_PERCENT;
		fv = SYSTEM_DISK_FAIL_PERCENT;
	}
	*ret_warn = (unsigned)wv;
	*ret_fail = (unsigned)fv;
}

static int system_run(struct collector_ctx *ctx)
{
	struct system_vmstat vm1;
	unsigned warn, fail, cpus = 0;
	int64_t vm1_ms = now_ms();
	int r = 0, have_vm1;

	have_vm1 = sample_vmstat(ctx, &vm1) == 0;
	read_thresholds(ctx, &warn, &fail);
	note(&r, check_os(ctx));
	note(&r, check_kernel(ctx));
	note(&r, check_uptime(ctx));
	note(&r, check_cpu(ctx, &cpus));
	note(&r, check_memory(ctx));
	note(&r, check_load(ctx, cpus));
	note(&r, check_disks(ctx, warn, fail));
	check_clock(ctx);
	note(&r, check_dns(ctx));
	note(&r, check_hostname(ctx));
	note(&r, check_processes(ctx));
	/* The kernel's stall averages need no waiting; sample without. */
	if (check_pressure(ctx) < 0)
		note(&r, have_vm1 ? check_swap(ctx, &vm1, vm1_ms) : -ENODATA);
	return r;
}

const struct collector collector_system = {
	.name = "system",
	.summary = N_("OS, kernel, CPU, memory, load, local disks, clock, DNS "
		      "and the largest processes"),
	.flags = 0,
	.deadline_ms = 10000,
	.platforms = RDIAG_LINUX,
	.keys = system_keys,
	.run = system_run,
};
