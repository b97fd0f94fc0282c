/*
 * The terminal_server collector for Linux multi-user hosts (xrdp and
 * similar): is this a terminal server, who has sessions and what they use,
 * which per-user limits are close, how xrdp is set up, whether redirected
 * drives answer, which security RDP servers negotiate, session locales and
 * printing. This file only reads the host (through ctx_root(), anything
 * that can hang through ctx_bounded()) and emits; terminal_server_parse.c
 * parses, terminal_server_sessions.c groups, and the platform-neutral
 * terminal_server_judge.c decides the findings.
 */
#define _GNU_SOURCE /* utmpxname() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmpx.h>

#include "hostfile.h"
#include "mountinfo.h"
#include "probes/net.h"
#include "probes/rdp.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"
#include "rdiag/utf8.h"
#include "terminal_server_judge.h"
#include "terminal_server_parse.h"
#include "terminal_server_sessions.h"

#define FILE_MAX           (1024u * 1024)
#define ENVIRON_MAX        (256u * 1024)
#define MAX_PROCS          16384
#define MAX_ENVS           2048
#define MAX_LOGINS         1024
#define MAX_FDS_READ       65536
#define MAX_DIRS           64
#define MAX_DRIVES         64
#define MAX_ADDRS          4
#define SCAN_TIMEOUT_MS    6000
#define UTMP_TIMEOUT_MS    2000
#define STATVFS_TIMEOUT_MS 2000
#define DRIVE_TIMEOUT_MS   1500
#define LPSTAT_TIMEOUT_S   3
#define LPSTAT_OUT_MAX     (1u << 20)
#define RESOLVE_TIMEOUT_MS 3000
#define RDP_TIMEOUT_MS     5000

static const struct config_key terminal_server_keys[] = {
	{ "cert_warn_days", 0,
	  "warn when an RDP certificate expires within this many days", "30" },
	{ "rdp_host", CONFIG_KEY_REPEATABLE,
	  "an RDP server to probe, host[:port] (default port 3389)", NULL },
	{ "rdp_timeout_ms", 0,
	  "time allowed for the whole probe of one RDP server", "5000" },
	{ "sesman_ini", 0, "xrdp's sesman.ini", "/etc/xrdp/sesman.ini" },
	{ "utmp", 0, "the utmpx file of sessions", "/run/utmp" },
	{ "xrdp_ini", 0, "xrdp's xrdp.ini; its listener is probed",
	  "/etc/xrdp/xrdp.ini" },
	{ NULL, 0, NULL, NULL },
};

/* What the /proc scan sends back: this header, procs, then envs. */
struct scan_header {
	uint32_t nprocs, nenvs;
	uint32_t total; /* processes seen, the kept ones included */
	uint32_t environ_denied;
};

struct scan_arg {
	const char *root;
	const int *login_pids;
	size_t nlogin_pids;
};

struct state {
	struct collector_ctx *ctx;
	unsigned cert_warn_days;
	unsigned rdp_timeout_ms;
	bool have_sesman, have_xrdp, xrdp_configured;
	char *xrdp_ini; /* the xrdp.ini that was read */
	bool rdp_down;  /* the expected local RDP service is down */
	struct terminal_server_sesman sesman;
	struct terminal_server_xrdp xrdp;
	struct terminal_server_login *logins;
	size_t nlogins;
	struct terminal_server_proc *procs;
	size_t nprocs;
	struct terminal_server_env *envs;
	size_t nenvs;
	bool scanned;
	unsigned environ_denied;
	struct terminal_server_sessions sessions;
	struct mount_table mounts;
};

static void note(int *first, int r)
{
	if (r < 0 && *first == 0)
		*first = r;
}

static int read_rootf(const char *root, struct buf *b, size_t max,
		      const char *fmt, ...) RDIAG_PRINTF(4, 5);

static int read_rootf(const char *root, struct buf *b, size_t max,
		      const char *fmt, ...)
{
	va_list ap;
	char *rel, *path;
	int r;

	va_start(ap, fmt);
	rel = xvasprintf(fmt, ap);
	va_end(ap);
	path = xasprintf("%s%s", root, rel);
	r = hostfile_read(path, max, b);
	free(path);
	free(rel);
	return r;
}

/*
 * The path of a file the collector reads: the configured value as given,
 * or the default under ctx_root(). A configured file that does not exist is
 * a mistake in rdiag's own settings, said at level 0.
 */
static char *setting_path(struct state *st, const char *key,
			  const char *default_rel, bool *ret_configured)
{
	const char *v = ctx_config_get(st->ctx, key);
	char *path;

	*ret_configured = v != NULL;
	if (!v)
		return xasprintf("%s%s", ctx_root(st->ctx), default_rel);
	path = xstrdup(v);
	if (access(path, F_OK) < 0) {
		char *title =
			xasprintf(N_("The file set as %s does not exist"), key);
		char *detail = xasprintf("[terminal_server] %s = %s: %s", key,
					 v, strerror(errno));
		char *where = ctx_config_where(st->ctx, key, NULL);
		char *hint = xasprintf(N_("Correct the path at %s, or remove "
					  "the line to use the default."),
				       where);
		struct finding f = {
			.id = "terminal_server.config.path_missing",
			.severity = SEVERITY_WARN,
			.level = LEVEL_SELF,
			.title = title,
			.detail = detail,
			.hint = hint,
		};

		ctx_finding(st->ctx, &f);
		free(hint);
		free(where);
		free(title);
		free(detail);
	}
	return path;
}

static void config_invalid(struct state *st, const char *key, const char *value,
			   const char *need)
{
	char *detail =
		xasprintf("[terminal_server] %s = %s; %s", key, value, need);
	char *where = ctx_config_where(st->ctx, key, value);
	char *hint = xasprintf(N_("Correct the value at %s."),
			       where ? where : "rdiag's configuration");
	struct finding f = {
		.id = "terminal_server.config.invalid",
		.severity = SEVERITY_WARN,
		.level = LEVEL_SELF,
		.title = N_("A value in the [terminal_server] settings is not "
			    "valid"),
		.detail = detail,
		.hint = hint,
	};

	ctx_finding(st->ctx, &f);
	free(hint);
	free(where);
	free(detail);
}

static void read_settings(struct state *st)
{
	const char *v;
	unsigned long long x;

	st->cert_warn_days = TERMINAL_SERVER_CERT_WARN_DAYS;
	st->rdp_timeout_ms = RDP_TIMEOUT_MS;
	if ((v = ctx_config_get(st->ctx, "cert_warn_days"))) {
		if (parse_uint(v, 0, 3650, &x) == 0)
			st->cert_warn_days = (unsigned)x;
		else
			config_invalid(st, "cert_warn_days", v,
				       "need a whole number of days 0-3650; "
				       "using 30");
	}
	if ((v = ctx_config_get(st->ctx, "rdp_timeout_ms"))) {
		if (parse_duration_ms(v, 100, 60000, &x) == 0)
			st->rdp_timeout_ms = (unsigned)x;
		else
			config_invalid(st, "rdp_timeout_ms", v,
				       "need milliseconds 100-60000; using "
				       "5000");
	}
}

static void load_xrdp_configs(struct state *st)
{
	bool configured;
	char *path;
	struct buf b;

	path = setting_path(st, "sesman_ini", "/etc/xrdp/sesman.ini",
			    &configured);
	if (hostfile_read(path, FILE_MAX, &b) == 0) {
		st->have_sesman = true;
		terminal_server_parse_sesman(b.data, b.len, &st->sesman);
		if (ctx_artifact_write(st->ctx, "sesman.ini", b.data, b.len) <
		    0)
			ctx_log(st->ctx, "cannot keep sesman.ini, ignoring");
		ctx_fact(st->ctx, "xrdp.sesman_ini", "%s", path);
	} else {
		terminal_server_parse_sesman("", 0, &st->sesman);
	}
	buf_release(&b);
	free(path);

	path = setting_path(st, "xrdp_ini", "/etc/xrdp/xrdp.ini",
			    &st->xrdp_configured);
	if (hostfile_read(path, FILE_MAX, &b) == 0) {
		st->have_xrdp = true;
		terminal_server_parse_xrdp(b.data, b.len, &st->xrdp);
		ctx_fact(st->ctx, "xrdp.xrdp_ini", "%s", path);
		st->xrdp_ini = xstrdup(path);
		ctx_fact(st->ctx, "xrdp.security_layer", "%s",
			 st->xrdp.security_layer);
		if (st->xrdp.port)
			ctx_fact(st->ctx, "xrdp.listen", "%s port %u",
				 st->xrdp.listen_host, st->xrdp.port);
	}
	buf_release(&b);
	free(path);
}

/* A fixed-size utmpx field (not always NUL-terminated) into dst. */
static void copy_field(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t len = utf8_cut(src, strnlen(src, n), dstlen - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Sub-worker: the USER_PROCESS entries of the utmpx file arg. */
static int utmp_fn(void *arg, void *out, size_t out_max)
{
	struct terminal_server_login *v = out;
	size_t n = 0, max = out_max / sizeof(*v);
	struct utmpx *u;

	if (utmpxname(arg) < 0)
		return -errno;
	setutxent();
	while (n < max && (u = getutxent())) {
		struct terminal_server_login *l;

		if (u->ut_type != USER_PROCESS)
			continue;
		l = &v[n++];
		memset(l, 0, sizeof(*l));
		l->pid = u->ut_pid;
		copy_field(l->user, sizeof(l->user), u->ut_user,
			   sizeof(u->ut_user));
		copy_field(l->line, sizeof(l->line), u->ut_line,
			   sizeof(u->ut_line));
		copy_field(l->host, sizeof(l->host), u->ut_host,
			   sizeof(u->ut_host));
		l->tv_sec = u->ut_tv.tv_sec;
	}
	endutxent();
	return (int)(n * sizeof(*v));
}

static int read_logins(struct state *st)
{
	struct bounded_result br;
	bool configured;
	char *path = setting_path(st, "utmp", "/run/utmp", &configured);
	size_t max = MAX_LOGINS * sizeof(struct terminal_server_login);
	int r = 0;

	if (access(path, R_OK) < 0) {
		ctx_fact(st->ctx, "sessions.utmp", "%s (%s)", path,
			 strerror(errno));
		goto out;
	}
	ctx_fact(st->ctx, "sessions.utmp", "%s", path);
	st->logins = xcalloc(1, max);
	if ((r = ctx_bounded(st->ctx, UTMP_TIMEOUT_MS, utmp_fn, path,
			     st->logins, max, &br)) < 0)
		goto out;
	if (br.status != BOUNDED_DONE || br.result < 0) {
		ctx_log(st->ctx, "reading '%s' gave no answer (status %d, %d)",
			path, (int)br.status, br.result);
		r = br.result < 0 ? br.result : -ETIME;
		goto out;
	}
	st->nlogins = br.out_len / sizeof(*st->logins);
out:
	free(path);
	return r;
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool wanted_pid(const struct scan_arg *a, int pid)
{
	for (size_t i = 0; i < a->nlogin_pids; i++)
		if (a->login_pids[i] == pid)
			return true;
	return false;
}

/* Open files of one process, and its inotify instances and watches. */
static void scan_fds(const char *root, const char *pid,
		     struct terminal_server_proc *p)
{
	char *dir = xasprintf("%s/proc/%s/fd", root, pid);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) && p->nfds < MAX_FDS_READ) {
		char link[64], *path;
		ssize_t n;

		if (!is_pid_name(de->d_name))
			continue;
		p->nfds++;
		path = xasprintf("%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		free(path);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:inotify") == 0) {
			struct buf b;

			p->inotify_instances++;
			if (read_rootf(root, &b, FILE_MAX, "/proc/%s/fdinfo/%s",
				       pid, de->d_name) == 0)
				p->inotify_watches +=
					terminal_server_parse_inotify_watches(
						b.data, b.len);
			buf_release(&b);
		}
	}
	closedir(d);
	free(dir);
}

/*
 * Sub-worker: every process with what the collector needs, and the
 * environment of those that belong to a session. Reading /proc/PID/environ
 * waits for a process's memory lock, which a process stuck in the kernel
 * holds: hence the separate worker.
 */
static int scan_fn(void *arg, void *out, size_t out_max)
{
	const struct scan_arg *a = arg;
	struct scan_header *h = out;
	struct terminal_server_proc *procs = (void *)(h + 1);
	struct terminal_server_env *envs = (void *)(procs + MAX_PROCS);
	char *dir = xasprintf("%s/proc", a->root);
	struct dirent *de;
	DIR *d;

	if (out_max < sizeof(*h) + MAX_PROCS * sizeof(*procs) +
			      MAX_ENVS * sizeof(*envs)) {
		free(dir);
		return -ENOBUFS;
	}
	if (!(d = opendir(dir))) {
		int r = -errno;

		free(dir);
		return r;
	}
	memset(h, 0, sizeof(*h));
	while ((de = readdir(d)) && h->nprocs < MAX_PROCS) {
		struct terminal_server_proc *p = &procs[h->nprocs];
		struct terminal_server_status status;
		struct terminal_server_stat stat;
		struct terminal_server_env env;
		struct buf b;
		int r;

		if (!is_pid_name(de->d_name))
			continue;
		h->total++;
		memset(p, 0, sizeof(*p));
		p->env = -1;
		r = read_rootf(a->root, &b, FILE_MAX, "/proc/%s/status",
			       de->d_name);
		if (r == 0)
			r = terminal_server_parse_status(b.data, b.len,
							 &status);
		buf_release(&b);
		if (r < 0)
			continue;
		r = read_rootf(a->root, &b, FILE_MAX, "/proc/%s/stat",
			       de->d_name);
		if (r == 0)
			r = terminal_server_parse_stat(b.data, b.len, &stat);
		buf_release(&b);
		if (r < 0)
			continue;
		p->pid = stat.pid;
		p->ppid = stat.ppid;
		p->sid = stat.session;
		p->uid = status.uid;
		memcpy(p->name, status.name, sizeof(p->name));
		p->threads = status.threads;
		p->rss_kb = status.rss_kb;
		p->cpu_ticks = stat.utime + stat.stime;
		p->start_ticks = stat.starttime;
		r = read_rootf(a->root, &b, ENVIRON_MAX, "/proc/%s/environ",
			       de->d_name);
		if (r == -EACCES || r == -EPERM)
			h->environ_denied++;
		if (r == 0 && h->nenvs < MAX_ENVS) {
			terminal_server_parse_environ(b.data, b.len, &env);
			if (env.xrdp_session || env.display[0] ||
			    wanted_pid(a, p->pid)) {
				envs[h->nenvs] = env;
				p->env = (int)h->nenvs++;
			}
		}
		buf_release(&b);
		scan_fds(a->root, de->d_name, p);
		h->nprocs++;
	}
	closedir(d);
	free(dir);
	memmove(procs + h->nprocs, envs, h->nenvs * sizeof(*envs));
	return (int)(sizeof(*h) + h->nprocs * sizeof(*procs) +
		     h->nenvs * sizeof(*envs));
}

static int scan_processes(struct state *st)
{
	size_t max = sizeof(struct scan_header) +
		     MAX_PROCS * sizeof(struct terminal_server_proc) +
		     MAX_ENVS * sizeof(struct terminal_server_env);
	int *pids = xcalloc(st->nlogins + 1, sizeof(*pids));
	struct scan_arg arg = { ctx_root(st->ctx), pids, st->nlogins };
	struct bounded_result br;
	struct scan_header h;
	char *out = xmalloc(max);
	size_t need;
	int r;

	for (size_t i = 0; i < st->nlogins; i++)
		pids[i] = st->logins[i].pid;
	if ((r = ctx_bounded(st->ctx, SCAN_TIMEOUT_MS, scan_fn, &arg, out, max,
			     &br)) < 0)
		goto out;
	if (br.status != BOUNDED_DONE || br.result < 0 ||
	    br.out_len < sizeof(h)) {
		ctx_log(st->ctx, "process scan gave no answer (status %d, %d)",
			(int)br.status, br.result);
		r = br.result < 0 ? br.result : -ETIME;
		goto out;
	}
	memcpy(&h, out, sizeof(h));
	need = sizeof(h) + h.nprocs * sizeof(*st->procs) +
	       h.nenvs * sizeof(*st->envs);
	if (h.nprocs > MAX_PROCS || h.nenvs > MAX_ENVS || br.out_len != need) {
		r = -EBADMSG;
		goto out;
	}
	st->nprocs = h.nprocs;
	st->nenvs = h.nenvs;
	st->procs = xcalloc(st->nprocs + 1, sizeof(*st->procs));
	st->envs = xcalloc(st->nenvs + 1, sizeof(*st->envs));
	memcpy(st->procs, out + sizeof(h), st->nprocs * sizeof(*st->procs));
	memcpy(st->envs, out + sizeof(h) + st->nprocs * sizeof(*st->procs),
	       st->nenvs * sizeof(*st->envs));
	st->environ_denied = h.environ_denied;
	st->scanned = true;
	ctx_fact(st->ctx, "proc.count", "%u", h.total);
	if (h.environ_denied > 0)
		ctx_fact(st->ctx, "proc.environ_denied", "%u",
			 h.environ_denied);
out:
	free(out);
	free(pids);
	return r;
}

static void session_facts(struct state *st)
{
	const struct terminal_server_sessions *s = &st->sessions;
	struct buf t;

	buf_init(&t, 0);
	ctx_fact(st->ctx, "sessions.count", "%zu", s->n);
	ctx_fact(st->ctx, "sessions.remote", "%u", s->presence.remote_sessions);
	ctx_fact(st->ctx, "sessions.logins", "%zu", st->nlogins);
	ctx_fact(st->ctx, "sessions.stale_logins", "%u", s->stale_logins);
	ctx_fact(st->ctx, "users.count", "%zu", s->nusers);
	ctx_fact(st->ctx, "xrdp.running", "%s",
		 s->presence.rdp_service_running ? "yes" : "no");
	ctx_fact(st->ctx, "xrdp.sesman_running", "%s",
		 s->presence.session_manager_running ? "yes" : "no");
	buf_printf(&t, "%-20s %-6s %-8s %8s %8s\n", "USER", "KIND", "DISPLAY",
		   "LEADER", "LINE");
	for (size_t i = 0; i < s->n; i++) {
		const struct terminal_server_session *x = &s->v[i];

		buf_printf(&t, "%-20s %-6s %-8ld %8d %8s\n",
			   x->user[0] ? x->user : "?",
			   x->xrdp ? "xrdp" : "login", x->display, x->leader,
			   x->line[0] ? x->line : "-");
	}
	buf_printf(&t, "\n%-20s %10s %8s %10s %12s %12s\n", "USER", "UID",
		   "SESSIONS", "PROCESSES", "RSS_KB", "CPU_MS");
	for (size_t i = 0; i < s->nusers; i++) {
		const struct terminal_server_user *u = &s->users[i];
		char key[64];

		buf_printf(&t, "%-20s %10lu %8u %10u %12llu %12llu\n", u->name,
			   (unsigned long)u->uid, u->sessions, u->processes,
			   (unsigned long long)u->rss_kb,
			   (unsigned long long)u->cpu_ms);
		snprintf(key, sizeof(key), "user.%zu.name", i);
		ctx_fact(st->ctx, key, "%s", u->name);
		snprintf(key, sizeof(key), "user.%zu.uid", i);
		ctx_fact(st->ctx, key, "%lu", (unsigned long)u->uid);
		snprintf(key, sizeof(key), "user.%zu.sessions", i);
		ctx_fact(st->ctx, key, "%u", u->sessions);
		snprintf(key, sizeof(key), "user.%zu.processes", i);
		ctx_fact(st->ctx, key, "%u", u->processes);
		snprintf(key, sizeof(key), "user.%zu.rss_kb", i);
		ctx_fact(st->ctx, key, "%llu", (unsigned long long)u->rss_kb);
		snprintf(key, sizeof(key), "user.%zu.cpu_ms", i);
		ctx_fact(st->ctx, key, "%llu", (unsigned long long)u->cpu_ms);
	}
	if (ctx_artifact_write(st->ctx, "sessions.txt", t.data, t.len) < 0)
		ctx_log(st->ctx, "cannot keep sessions.txt, ignoring");
	buf_release(&t);
}

static int read_u64_file(const char *root, const char *rel, uint64_t *ret)
{
	struct buf b;
	int r = read_rootf(root, &b, 4096, "%s", rel);

	if (r == 0)
		r = terminal_server_parse_cgroup_value(b.data, b.len, ret);
	buf_release(&b);
	return r;
}

static int read_keyed(const char *root, const char *rel, const char *key,
		      uint64_t *ret)
{
	struct buf b;
	int r = read_rootf(root, &b, 65536, "%s", rel);

	if (r == 0)
		r = terminal_server_parse_keyed(b.data, b.len, key, ret);
	buf_release(&b);
	return r;
}

/* Walk the leader's cgroup to the root; keep the tightest limits. */
static void read_cgroup(struct state *st, struct terminal_server_user *u)
{
	const char *root = ctx_root(st->ctx);
	unsigned best_mem = 0, best_pids = 0;
	char path[160];
	struct buf b;
	int r;

	r = read_rootf(root, &b, 65536, "/proc/%d/cgroup", u->leader_pid);
	if (r == 0)
		r = terminal_server_parse_cgroup_path(b.data, b.len, path,
						      sizeof(path));
	buf_release(&b);
	if (r < 0)
		return;
	utf8_copy(u->cgroup, sizeof(u->cgroup), path);
	while (strcmp(path, "/") != 0 && path[0]) {
		char *rel, *slash;
		uint64_t max, cur, ev;

		rel = xasprintf("/sys/fs/cgroup%s/memory.max", path);
		if (read_u64_file(root, rel, &max) == 0 &&
		    max != TERMINAL_SERVER_UNLIMITED) {
			free(rel);
			rel = xasprintf("/sys/fs/cgroup%s/memory.current",
					path);
			if (read_u64_file(root, rel, &cur) == 0 &&
			    terminal_server_percent(cur, max) >= best_mem) {
				best_mem = terminal_server_percent(cur, max);
				u->mem_max = max;
				u->mem_current = cur;
				utf8_copy(u->cgroup, sizeof(u->cgroup), path);
			}
		}
		free(rel);
		rel = xasprintf("/sys/fs/cgroup%s/memory.events", path);
		if (read_keyed(root, rel, "oom_kill", &ev) == 0 &&
		    ev > u->oom_kills)
			u->oom_kills = ev;
		free(rel);
		rel = xasprintf("/sys/fs/cgroup%s/pids.max", path);
		if (read_u64_file(root, rel, &max) == 0 &&
		    max != TERMINAL_SERVER_UNLIMITED) {
			free(rel);
			rel = xasprintf("/sys/fs/cgroup%s/pids.current", path);
			if (read_u64_file(root, rel, &cur) == 0 &&
			    terminal_server_percent(cur, max) >= best_pids) {
				best_pids = terminal_server_percent(cur, max);
				u->pids_max = max;
				u->pids_current = cur;
			}
		}
		free(rel);
		rel = xasprintf("/sys/fs/cgroup%s/pids.events", path);
		if (read_keyed(root, rel, "max", &ev) == 0 &&
		    ev > u->pids_max_hits)
			u->pids_max_hits = ev;
		free(rel);
		if (!(slash = strrchr(path, '/')))
			break;
		if (slash == path)
			path[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Sub-worker: statvfs(arg) into out. */
static int statvfs_fn(void *arg, void *out, size_t out_max)
{
	struct statvfs sv;

	if (out_max < sizeof(sv))
		return -ENOBUFS;
	if (statvfs(arg, &sv) < 0)
		return -errno;
	memcpy(out, &sv, sizeof(sv));
	return (int)sizeof(sv);
}

/* statvfs through a sub-worker; MEASURED with size/avail, or why not. */
static enum terminal_server_measure measure(struct state *st, const char *path,
					    int *ret_error, uint64_t *ret_size,
					    uint64_t *ret_avail)
{
	struct bounded_result br;
	struct statvfs sv;
	int r;

	r = ctx_bounded(st->ctx, STATVFS_TIMEOUT_MS, statvfs_fn, (void *)path,
			&sv, sizeof(sv), &br);
	if (r < 0) {
		*ret_error = r;
		return TERMINAL_SERVER_FAILED;
	}
	if (br.status == BOUNDED_TIMEOUT || br.status == BOUNDED_STUCK) {
		ctx_log(st->ctx, "statvfs '%s' did not answer (pid %ld, %s)",
			path, (long)br.pid, br.wchan);
		return TERMINAL_SERVER_HUNG;
	}
	if (br.status != BOUNDED_DONE || br.result < 0 ||
	    br.out_len != sizeof(sv)) {
		*ret_error = br.result < 0 ? br.result : -EIO;
		return TERMINAL_SERVER_FAILED;
	}
	*ret_size = (uint64_t)sv.f_blocks * sv.f_frsize;
	*ret_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return TERMINAL_SERVER_MEASURED;
}

static void read_host_limits(struct state *st, struct terminal_server_host *h)
{
	const char *root = ctx_root(st->ctx);
	uint64_t allocated, max;
	struct verdict_list l;
	struct buf b;

	h->inotify_max_user_watches = TERMINAL_SERVER_NO_LIMIT;
	h->inotify_max_user_instances = TERMINAL_SERVER_NO_LIMIT;
	h->counted_inotify = ctx_is_root(st->ctx) || root[0];
	if (read_u64_file(root, "/proc/sys/fs/inotify/max_user_watches",
			  &h->inotify_max_user_watches) == 0)
		ctx_fact(st->ctx, "inotify.max_user_watches", "%llu",
			 (unsigned long long)h->inotify_max_user_watches);
	if (read_u64_file(root, "/proc/sys/fs/inotify/max_user_instances",
			  &h->inotify_max_user_instances) == 0)
		ctx_fact(st->ctx, "inotify.max_user_instances", "%llu",
			 (unsigned long long)h->inotify_max_user_instances);
	verdict_list_init(&l);
	if (read_rootf(root, &b, 4096, "/proc/sys/fs/file-nr") == 0 &&
	    terminal_server_parse_file_nr(b.data, b.len, &allocated, &max) ==
		    0) {
		ctx_fact(st->ctx, "files.allocated", "%llu",
			 (unsigned long long)allocated);
		ctx_fact(st->ctx, "files.max", "%llu", (unsigned long long)max);
		terminal_server_judge_files(allocated, max, &l);
		verdict_emit(st->ctx, &l);
	}
	buf_release(&b);
	verdict_list_release(&l);
}

static void check_users(struct state *st)
{
	struct terminal_server_sessions *s = &st->sessions;
	const char *root = ctx_root(st->ctx);
	struct verdict_list l;
	struct terminal_server_host h;

	read_host_limits(st, &h);
	for (size_t i = 0; i < s->nusers; i++) {
		struct terminal_server_user *u = &s->users[i];
		struct terminal_server_limits lim;
		struct buf b;
		int err = 0;
		char *path;
		char key[64];

		if (u->leader_pid > 0 &&
		    read_rootf(root, &b, 65536, "/proc/%d/limits",
			       u->leader_pid) == 0 &&
		    terminal_server_parse_limits(b.data, b.len, &lim) == 0) {
			u->nofile_limit = lim.nofile;
			u->nproc_limit = lim.nproc;
		}
		buf_release(&b);
		if (u->leader_pid > 0)
			read_cgroup(st, u);
		if (u->uid == TERMINAL_SERVER_UID_UNKNOWN)
			continue;
		path = xasprintf("%s/run/user/%lu", root,
				 (unsigned long)u->uid);
		if (access(path, F_OK) == 0 &&
		    measure(st, path, &err, &u->runtime_size,
			    &u->runtime_avail) == TERMINAL_SERVER_MEASURED) {
			u->runtime_measured = true;
			snprintf(key, sizeof(key), "user.%zu.runtime_avail_kb",
				 i);
			ctx_fact(st->ctx, key, "%llu",
				 (unsigned long long)(u->runtime_avail / 1024));
		}
		free(path);
		snprintf(key, sizeof(key), "user.%zu.inotify_watches", i);
		ctx_fact(st->ctx, key, "%llu",
			 (unsigned long long)u->inotify_watches);
		if (u->cgroup[0]) {
			snprintf(key, sizeof(key), "user.%zu.cgroup", i);
			ctx_fact(st->ctx, key, "%s", u->cgroup);
		}
	}
	verdict_list_init(&l);
	terminal_server_judge_users(s->users, s->nusers, &h, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
}

static const struct terminal_server_env *
session_env(const struct state *st, const struct terminal_server_session *x)
{
	return x->env >= 0 && (size_t)x->env < st->nenvs ? &st->envs[x->env]
							 : NULL;
}

/* Add a directory to measure, or its user to one already listed. */
static void space_add(struct terminal_server_space *v, size_t *n,
		      const char *what, const char *path, const char *user)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(v[i].path, path) == 0) {
			size_t len = strlen(v[i].users);

			if (!strstr(v[i].users, user))
				snprintf(v[i].users + len,
					 sizeof(v[i].users) - len, ", %s",
					 user);
			return;
		}
	}
	if (*n >= MAX_DIRS)
		return;
	memset(&v[*n], 0, sizeof(v[*n]));
	utf8_copy(v[*n].what, sizeof(v[*n].what), what);
	utf8_copy(v[*n].path, sizeof(v[*n].path), path);
	utf8_copy(v[*n].users, sizeof(v[*n].users), user);
	(*n)++;
}

static void check_space(struct state *st)
{
	struct terminal_server_space *v = xcalloc(MAX_DIRS, sizeof(*v));
	const struct mount_entry *hung[MAX_DIRS];
	struct verdict_list l;
	size_t n = 0, nhung = 0;

	for (size_t i = 0; i < st->sessions.n; i++) {
		const struct terminal_server_session *x = &st->sessions.v[i];
		const struct terminal_server_env *e = session_env(st, x);
		const char *user = x->user[0] ? x->user : "?";

		if (!e)
			continue;
		if (e->home[0] == '/')
			space_add(v, &n, "HOME", e->home, user);
		space_add(v, &n, "TMPDIR",
			  e->tmpdir[0] == '/' ? e->tmpdir : "/tmp", user);
	}
	for (size_t i = 0; i < n; i++) {
		const struct mount_entry *m =
			mount_find(&st->mounts, v[i].path);
		char *path = xasprintf("%s%s", ctx_root(st->ctx), v[i].path);
		bool skip = false;

		for (size_t k = 0; m && k < nhung; k++)
			skip |= hung[k] == m;
		/* One hang per mount is enough to know. */
		if (skip || (m && mount_is_autofs(m)))
			v[i].state = skip ? TERMINAL_SERVER_HUNG
					  : TERMINAL_SERVER_FAILED;
		else
			v[i].state = measure(st, path, &v[i].error, &v[i].size,
					     &v[i].avail);
		if (v[i].state == TERMINAL_SERVER_HUNG && m && nhung < MAX_DIRS)
			hung[nhung++] = m;
		free(path);
	}
	verdict_list_init(&l);
	terminal_server_judge_space(v, n, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
	free(v);
}

static void check_policy(struct state *st)
{
	struct terminal_server_policy p = {
		st->sesman.kill_disconnected,
		st->sesman.disconnected_time_limit,
		st->sesman.idle_time_limit,
	};
	struct verdict_list l;

	if (!st->have_sesman)
		return;
	ctx_fact(st->ctx, "xrdp.max_sessions", "%ld", st->sesman.max_sessions);
	ctx_fact(st->ctx, "xrdp.kill_disconnected", "%d", p.kill_disconnected);
	ctx_fact(st->ctx, "xrdp.disconnected_time_limit", "%ld",
		 p.disconnected_time_limit);
	ctx_fact(st->ctx, "xrdp.idle_time_limit", "%ld", p.idle_time_limit);
	ctx_fact(st->ctx, "xrdp.display_offset", "%ld",
		 st->sesman.x11_display_offset);
	verdict_list_init(&l);
	terminal_server_judge_max_sessions(
		st->sessions.presence.remote_sessions, st->sesman.max_sessions,
		&l);
	terminal_server_judge_policy(&p, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
}

/* Sub-worker: does the directory arg answer (stat and one readdir)? */
static int drive_fn(void *arg, void *out, size_t out_max)
{
	struct stat sb;
	DIR *d;

	(void)out;
	(void)out_max;
	if (stat(arg, &sb) < 0)
		return -errno;
	if (!(d = opendir(arg)))
		return -errno;
	errno = 0;
	if (!readdir(d) && errno != 0) {
		int r = -errno;

		closedir(d);
		return r;
	}
	closedir(d);
	return 0;
}

/* FuseMountName: relative to HOME, or absolute with %u (uid), %U (user). */
static char *drive_path(const char *name, const char *home, uint32_t uid,
			const char *user)
{
	struct buf b;

	buf_init(&b, 4096);
	if (name[0] != '/')
		buf_printf(&b, "%s/", home);
	for (const char *c = name; *c; c++) {
		if (c[0] == '%' && c[1] == 'u') {
			buf_printf(&b, "%lu", (unsigned long)uid);
			c++;
		} else if (c[0] == '%' && c[1] == 'U') {
			buf_puts(&b, user);
			c++;
		} else {
			buf_putc(&b, *c);
		}
	}
	return buf_detach(&b, NULL);
}

static void check_drives(struct state *st)
{
	struct terminal_server_drive *v = xcalloc(MAX_DRIVES, sizeof(*v));
	struct verdict_list l;
	size_t n = 0;

	if (!st->sesman.enable_fuse_mount || !st->sesman.fuse_mount_name[0])
		goto out;
	for (size_t i = 0; i < st->sessions.n && n < MAX_DRIVES; i++) {
		const struct terminal_server_session *x = &st->sessions.v[i];
		const struct terminal_server_env *e = session_env(st, x);
		const struct mount_entry *m;
		struct bounded_result br;
		char *path, *full;
		bool dup = false;

		if (!x->xrdp || !e || e->home[0] != '/')
			continue;
		path = drive_path(st->sesman.fuse_mount_name, e->home, x->uid,
				  x->user);
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(v[k].path, path) == 0;
		m = mount_find(&st->mounts, path);
		/* Only a mounted redirection is asked; it runs through a
		 * sub-worker because a dead client makes it hang. */
		if (dup || !m || strcmp(m->mount_point, path) != 0) {
			free(path);
			continue;
		}
		utf8_copy(v[n].user, sizeof(v[n].user), x->user);
		utf8_copy(v[n].path, sizeof(v[n].path), path);
		full = xasprintf("%s%s", ctx_root(st->ctx), path);
		if (ctx_bounded(st->ctx, DRIVE_TIMEOUT_MS, drive_fn, full, NULL,
				0, &br) < 0 ||
		    br.status == BOUNDED_CRASHED) {
			v[n].state = TERMINAL_SERVER_FAILED;
			v[n].error = -EIO;
		} else if (br.status != BOUNDED_DONE) {
			v[n].state = TERMINAL_SERVER_HUNG;
		} else if (br.result < 0) {
			v[n].state = TERMINAL_SERVER_FAILED;
			v[n].error = br.result;
		}
		n++;
		free(full);
		free(path);
	}
	ctx_fact(st->ctx, "drive_redirection.mounts", "%zu", n);
	verdict_list_init(&l);
	terminal_server_judge_drives(v, n, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
out:
	free(v);
}

static void check_locale(struct state *st)
{
	struct terminal_server_locale *v =
		xcalloc(st->sessions.n + 1, sizeof(*v));
	struct verdict_list l;
	char lang[64] = "";
	struct buf b;
	size_t n = 0;

	if (read_rootf(ctx_root(st->ctx), &b, 65536, "/etc/default/locale") ==
	    0)
		terminal_server_parse_locale(b.data, b.len, lang, sizeof(lang));
	buf_release(&b);
	ctx_fact(st->ctx, "locale.default", "%s", lang[0] ? lang : "(none)");
	for (size_t i = 0; i < st->sessions.n; i++) {
		const struct terminal_server_session *x = &st->sessions.v[i];
		const struct terminal_server_env *e = session_env(st, x);
		bool dup = false;

		if (!e)
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(v[k].user, x->user) == 0 &&
			       strcmp(v[k].lang, e->lang) == 0;
		if (dup)
			continue;
		utf8_copy(v[n].user, sizeof(v[n].user),
			  x->user[0] ? x->user : "?");
		utf8_copy(v[n].lang, sizeof(v[n].lang), e->lang);
		n++;
	}
	verdict_list_init(&l);
	terminal_server_judge_locale(lang, v, n, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
	free(v);
}

/* Destinations `lpstat -e` lists, one a line; -1 when it could not run. */
static long lpstat_count(struct collector_ctx *ctx, const char *lpstat,
			 bool *ret_no_scheduler)
{
	const char *argv[] = { lpstat, "-e", NULL };
	long count = 0;
	struct buf out;
	int r;

	buf_init(&out, LPSTAT_OUT_MAX);
	r = ctx_exec(ctx, argv, LPSTAT_TIMEOUT_S * 1000, &out);
	/* A scheduler that does not answer in time is no scheduler. */
	*ret_no_scheduler = r != 0 && r != -ENOBUFS;
	if (r < 0 && r != -ETIMEDOUT && r != -ECHILD && r != -ENOBUFS)
		count = -1;
	else
		for (size_t i = 0; i < out.len; i++)
			count += out.data[i] == '\n';
	buf_release(&out);
	return count;
}

static void check_printing(struct state *st)
{
	const char *root = ctx_root(st->ctx);
	char *lpstat = xasprintf("%s/usr/bin/lpstat", root);
	char *cups = xasprintf("%s/etc/cups", root);
	struct verdict_list l;
	bool present = access(lpstat, X_OK) == 0 || access(cups, F_OK) == 0;
	long printers = -1;
	struct buf b;
	int r;

	r = read_rootf(root, &b, FILE_MAX, "/etc/cups/printers.conf");
	if (r == 0) {
		printers = terminal_server_parse_printers_conf(b.data, b.len);
		ctx_fact(st->ctx, "printing.source", "printers.conf");
	} else if (present && !root[0] && access(lpstat, X_OK) == 0) {
		bool none;
		long n;

		/* printers.conf is root's only: ask the scheduler. */
		n = lpstat_count(st->ctx, lpstat, &none);
		if (n >= 0) {
			printers = none ? 0 : n;
			ctx_fact(st->ctx, "printing.source", "lpstat%s",
				 none ? " (no scheduler)" : "");
		}
	} else if (present && r == -ENOENT) {
		printers = 0;
	}
	buf_release(&b);
	ctx_fact(st->ctx, "printing.cups", "%s", present ? "yes" : "no");
	if (printers >= 0)
		ctx_fact(st->ctx, "printing.printers", "%ld", printers);
	verdict_list_init(&l);
	terminal_server_judge_printing(present, printers, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
	free(lpstat);
	free(cups);
}

static void rdp_facts(struct state *st, const char *tag,
		      const struct rdp_probe_result *r)
{
	struct rdp_security s;
	char key[64];

	rdp_probe_summarize(r, &s);
	snprintf(key, sizeof(key), "rdp.%s.selected", tag);
	if (s.selected >= 0)
		ctx_fact(st->ctx, key, "%s",
			 rdp_protocol_name((uint32_t)s.selected));
	snprintf(key, sizeof(key), "rdp.%s.nla_required", tag);
	ctx_fact(st->ctx, key, "%s",
		 s.nla_required < 0 ? "unknown"
		 : s.nla_required   ? "yes"
				    : "no");
	snprintf(key, sizeof(key), "rdp.%s.plain_accepted", tag);
	ctx_fact(st->ctx, key, "%s",
		 s.plain_accepted < 0 ? "unknown"
		 : s.plain_accepted   ? "yes"
				      : "no");
	snprintf(key, sizeof(key), "rdp.%s.failure_code", tag);
	if (r->plain.rc == 0 && r->plain.reply.kind == RDP_REPLY_FAILURE)
		ctx_fact(st->ctx, key, "%u", (unsigned)r->plain.reply.value);
	else if (r->tls_only.rc == 0 &&
		 r->tls_only.reply.kind == RDP_REPLY_FAILURE)
		ctx_fact(st->ctx, key, "%u", (unsigned)r->tls_only.reply.value);
	else if (r->best.rc == 0 && r->best.reply.kind == RDP_REPLY_FAILURE)
		ctx_fact(st->ctx, key, "%u", (unsigned)r->best.reply.value);
	if (r->tls_done && r->tls.have_cert) {
		snprintf(key, sizeof(key), "rdp.%s.cert_subject", tag);
		ctx_fact(st->ctx, key, "%s", r->tls.subject);
		snprintf(key, sizeof(key), "rdp.%s.cert_not_after", tag);
		ctx_fact(st->ctx, key, "%s", r->tls.not_after);
		snprintf(key, sizeof(key), "rdp.%s.cert_days_left", tag);
		ctx_fact(st->ctx, key, "%d", r->tls.days_left);
		snprintf(key, sizeof(key), "rdp.%s.tls_protocol", tag);
		ctx_fact(st->ctx, key, "%s", r->tls.protocol);
	}
}

/* Where the rdp_host value naming host was written, or NULL. */
static char *rdp_host_where(struct state *st, const char *host)
{
	const char *const *v;
	size_t n = ctx_config_values(st->ctx, "rdp_host", &v);

	for (size_t i = n; i-- > 0;)
		if (strstr(v[i], host))
			return ctx_config_where(st->ctx, "rdp_host", v[i]);
	return NULL;
}

static void probe_rdp(struct state *st, const char *tag, const char *host,
		      unsigned port)
{
	struct net_resolve_arg arg = { host, port, 0, MAX_ADDRS };
	struct verdict_list l;
	struct rdp_probe_result r;
	struct bounded_result br;
	struct net_resolve_out o;
	int64_t deadline;
	char target[NET_ADDR_MAX + 80], key[64];

	snprintf(target, sizeof(target), "%s%s%s:%u",
		 strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port);
	snprintf(key, sizeof(key), "rdp.%s.target", tag);
	ctx_fact(st->ctx, key, "%s", target);
	if (ctx_bounded(st->ctx, RESOLVE_TIMEOUT_MS, net_resolve_fn, &arg, &o,
			sizeof(o), &br) < 0 ||
	    br.status != BOUNDED_DONE || br.out_len != sizeof(o) ||
	    o.eai != 0 || o.n == 0 || o.n > MAX_ADDRS) {
		char *detail = xasprintf("%s: %s", target,
					 br.status != BOUNDED_DONE
						 ? "no answer from the resolver"
					 : o.eai != 0 ? gai_strerror(o.eai)
						      : "no address");
		char *where = rdp_host_where(st, host);
		char *hint =
			xasprintf(N_("Check the rdp_host setting at %s and the "
				     "name resolution of this host."),
				  where ? where : "rdiag's configuration");
		struct finding f = {
			.id = "terminal_server.rdp.unresolved",
			.severity = SEVERITY_WARN,
			.level = LEVEL_SELF,
			.title = N_("The RDP server's name does not resolve"),
			.detail = detail,
			.hint = hint,
		};

		ctx_finding(st->ctx, &f);
		free(hint);
		free(where);
		free(detail);
		return;
	}
	deadline = now_ms() + st->rdp_timeout_ms;
	for (size_t i = 0; i < o.n; i++) {
		rdp_probe((struct sockaddr *)&o.a[i], o.l[i], host, deadline,
			  &r);
		if (r.best.rc != -ECONNREFUSED && r.best.rc != -EHOSTUNREACH &&
		    r.best.rc != -ENETUNREACH)
			break;
	}
	rdp_facts(st, tag, &r);
	verdict_list_init(&l);
	terminal_server_judge_rdp(target, &r, st->cert_warn_days, &l);
	verdict_emit(st->ctx, &l);
	verdict_list_release(&l);
}

/* How a TCP connect to host:port ends: 0 when something accepts it. */
static int try_connect(struct state *st, const char *host, unsigned port)
{
	struct net_resolve_arg arg = { host, port, 0, MAX_ADDRS };
	struct bounded_result br;
	struct net_resolve_out o;
	int64_t deadline;
	int r = -EHOSTUNREACH, fd;

	if (ctx_bounded(st->ctx, RESOLVE_TIMEOUT_MS, net_resolve_fn, &arg, &o,
			sizeof(o), &br) < 0 ||
	    br.status != BOUNDED_DONE || br.out_len != sizeof(o) ||
	    o.eai != 0 || o.n == 0 || o.n > MAX_ADDRS)
		return -EHOSTUNREACH;
	deadline = now_ms() + st->rdp_timeout_ms;
	for (size_t i = 0; i < o.n; i++) {
		r = net_connect((struct sockaddr *)&o.a[i], o.l[i], deadline,
				&fd);
		if (r == 0) {
			close(fd);
			break;
		}
	}
	return r;
}

/*
 * xrdp configured here (xrdp_ini named) or installed and enabled at boot,
 * but nothing accepts connections on its listener: the RDP service is
 * down, whatever else the host looks like.
 */
static void check_service(struct state *st, struct verdict_list *l)
{
	static const char *const units[] = { "xrdp.service", NULL };
	static const char *const sysv[] = { "xrdp", NULL };
	struct terminal_server_service svc = { 0 };
	char *link = NULL, *why = NULL, *target;

	if (!st->have_xrdp || !st->xrdp.port)
		return;
	if (st->xrdp_configured)
		why = xasprintf("xrdp is configured ([terminal_server] "
				"xrdp_ini = %s)",
				st->xrdp_ini);
	else if ((link = hostfile_boot_link(ctx_root(st->ctx), units, sysv)))
		why = xasprintf("xrdp is installed and enabled at boot (%s)",
				link);
	if (!why)
		return;
	target = xasprintf(
		"%s%s%s:%u", strchr(st->xrdp.listen_host, ':') ? "[" : "",
		st->xrdp.listen_host,
		strchr(st->xrdp.listen_host, ':') ? "]" : "", st->xrdp.port);
	svc.expected = true;
	svc.why = why;
	svc.target = target;
	svc.connect_rc = try_connect(st, st->xrdp.listen_host, st->xrdp.port);
	svc.process_running = st->sessions.presence.rdp_service_running;
	st->rdp_down = terminal_server_judge_service(&svc, l);
	st->sessions.presence.rdp_service_down = st->rdp_down;
	free(link);
	free(why);
	free(target);
}

static void check_rdp(struct state *st, bool is_ts)
{
	const char *const *hosts;
	size_t n = ctx_config_values(st->ctx, "rdp_host", &hosts);

	/* The local listener, when xrdp runs here or its config was named. */
	if (is_ts && st->have_xrdp && st->xrdp.port && !st->rdp_down &&
	    (st->sessions.presence.rdp_service_running || st->xrdp_configured))
		probe_rdp(st, "local", st->xrdp.listen_host, st->xrdp.port);
	for (size_t i = 0; i < n; i++) {
		char host[256], tag[24];
		unsigned port;

		if (terminal_server_parse_target(hosts[i], host, sizeof(host),
						 &port) < 0) {
			config_invalid(st, "rdp_host", hosts[i],
				       "need host or host:port ([v6]:port "
				       "for IPv6)");
			continue;
		}
		snprintf(tag, sizeof(tag), "%zu", i + 1);
		probe_rdp(st, tag, host, port);
	}
}

static int terminal_server_run(struct collector_ctx *ctx)
{
	struct verdict_list l;
	struct state st;
	struct buf mi;
	bool is_ts;
	long tck = sysconf(_SC_CLK_TCK);
	int r = 0;

	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	read_settings(&st);
	load_xrdp_configs(&st);
	note(&r, read_logins(&st));
	note(&r, scan_processes(&st));
	if (read_rootf(ctx_root(ctx), &mi, 4u * 1024 * 1024,
		       "/proc/self/mountinfo") == 0)
		mountinfo_parse(mi.data, mi.len, &st.mounts);
	buf_release(&mi);
	terminal_server_sessions_build(st.procs, st.nprocs, st.envs, st.nenvs,
				       st.logins, st.nlogins,
				       st.sesman.x11_display_offset,
				       tck > 0 ? tck : 100, &st.sessions);
	session_facts(&st);
	verdict_list_init(&l);
	check_service(&st, &l);
	is_ts = terminal_server_judge_presence(&st.sessions.presence, &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	if (is_ts) {
		if (st.environ_denied > 0 && !ctx_is_root(ctx))
			ctx_log(ctx,
				"%u session environments not readable "
				"without root",
				st.environ_denied);
		check_users(&st);
		check_space(&st);
		check_policy(&st);
		check_drives(&st);
		check_locale(&st);
		check_printing(&st);
	}
	check_rdp(&st, is_ts);
	terminal_server_sessions_release(&st.sessions);
	mount_table_release(&st.mounts);
	free(st.logins);
	free(st.procs);
	free(st.envs);
	free(st.xrdp_ini);
	return r;
}

const struct collector collector_terminal_server = {
	.name = "terminal_server",
	.summary =
		N_("multi-user host health: sessions, per-user limits, xrdp "
		   "policy, redirected drives, RDP security, locale, printing"),
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 45000,
	.platforms = RDIAG_LINUX,
	.keys = terminal_server_keys,
	.run = terminal_server_run,
};
