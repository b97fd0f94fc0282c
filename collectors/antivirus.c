/*
 * The antivirus collector: which antivirus or EDR products are on the host,
 * whether they watch the application's directories through fanotify (and
 * can block opens there), how much slower file access is under them, and,
 * with --av-test, whether they block a test file. ClamAV and Microsoft
 * Defender are asked about their own configuration, engine and exclusions.
 * See docs/collectors/antivirus.md.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "antivirus_io.h"
#include "antivirus_parse.h"
#include "antivirus_products.h"
#include "hostfile.h"
#include "mountinfo.h"
#include "probes/clamd.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"

#define DEFAULT_FILES         20
#define DEFAULT_FILE_KB       64
#define DEFAULT_WARN_PERCENT  100
#define DEFAULT_MIN_US        1000
#define DEFAULT_SIG_DAYS      7
#define DEFAULT_EICAR_WAIT_MS 2000
#define STAT_TIMEOUT_MS       5000
#define TIMING_TIMEOUT_MS     60000
#define CLAMD_TIMEOUT_MS      5000
#define MDATP_TIMEOUT_MS      15000
#define GROUPS_MAX            64
#define FILE_MAX              (1024 * 1024)
#define DPKG_STATUS_MAX       (64 * 1024 * 1024)
#define DETAIL_MAX            (16 * 1024)
#define MDATP_OUT_MAX         (256 * 1024)

static const struct config_key antivirus_keys[] = {
	{ "av_test", 0,
	  "yes: write the EICAR test string into each application directory "
	  "and watch the reaction (set by --av-test)",
	  NULL },
	{ "clamd_conf", 0,
	  "clamd.conf to read (default: the one a running clamonacc or clamd "
	  "was started with, else /etc/clamav/clamd.conf)",
	  NULL },
	{ "clamd_socket", 0,
	  "clamd's local (unix) socket, instead of clamd.conf's", NULL },
	{ "clamd_tcp", 0,
	  "clamd's TCP address as HOST:PORT, instead of clamd.conf's", NULL },
	{ "control_dir", 0,
	  "directory for the control timing (default: /dev/shm, /tmp or "
	  "/var/tmp on another file system)",
	  NULL },
	{ "eicar_wait_ms", 0,
	  "how long to watch the EICAR file for a reaction (2000)", NULL },
	{ "file_kb", 0, "size of each timing file in KiB (64)", NULL },
	{ "files", 0, "number of files timed per directory (20)", NULL },
	{ "path", CONFIG_KEY_REPEATABLE,
	  "an application directory to check besides [product] data_dir",
	  NULL },
	{ "signature_max_age_days", 0,
	  "signatures older than this are outdated (7)", NULL },
	{ "slowdown_min_us", 0,
	  "a slowdown also needs this many microseconds more per file (1000)",
	  NULL },
	{ "slowdown_warn_percent", 0,
	  "warn when files open this much slower than in the control directory "
	  "(100)",
	  NULL },
	{ NULL, 0, NULL, NULL },
};

struct av_dir {
	const char *path; /* as configured */
	char real[PATH_MAX];
	int err; /* why it could not be resolved, 0 when fine */
	uint64_t ino;
	uint32_t sdev; /* kernel dev_t, as fdinfo prints it */
	int mnt_id;
	char fstype[32];
	char mount_point[PATH_MAX];
	bool blocked; /* some product was seen blocking here */
	const struct av_product *watcher; /* for the timing hint */
};

struct av_group {
	pid_t pid;
	int fd;
	char comm[32];
	const struct av_product *product;
	struct av_fanotify fan;
};

struct av_state {
	bool running, realtime, installed;
	struct buf evidence;
	char version[64];
};

struct av {
	struct collector_ctx *ctx;
	struct av_dir *dirs;
	size_t ndirs;
	struct av_state *state; /* one per av_products row */
	struct av_group *groups;
	size_t ngroups, ngroups_dropped;
	bool fan_inspected;
	struct mount_table mounts;
	bool have_mounts;

	char *clamd_conf_path;  /* host path (without ctx_root) */
	char *clamd_conf_found; /* from a process command line */
	struct av_clamd_conf clamd;
	bool have_clamd_conf;
	bool clamonacc_running;
	bool clamd_running;

	bool have_mdatp;
	struct av_mdatp_health mdatp;
	struct buf mdatp_exclusions;
	bool have_mdatp_exclusions;

	unsigned files, file_kb, warn_percent, min_us, sig_days, eicar_wait;
	bool av_test;
	int rc;
};

static void finding(struct av *a, const char *id, enum severity sev,
		    enum support_level level, const char *title,
		    const char *detail, const char *hint)
{
	struct finding f = { id, sev, level, title, detail, hint, NULL };

	ctx_finding(a->ctx, &f);
}

static const struct av_product *product_by_id(const char *id)
{
	for (size_t i = 0; i < av_nproducts; i++)
		if (strcmp(av_products[i].id, id) == 0)
			return &av_products[i];
	return NULL;
}

static size_t product_index(const struct av_product *p)
{
	return (size_t)(p - av_products);
}

/* Read a whole small file into b (at most max bytes): 0 or -errno. */
static int read_file(const char *path, size_t max, struct buf *b)
{
	char chunk[8192];
	int fd, r = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (b->len + (size_t)n > max) {
			r = -EFBIG;
			break;
		}
		buf_append(b, chunk, (size_t)n);
	}
	close(fd);
	return r;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static unsigned setting(struct av *a, const char *key, unsigned def,
			unsigned min, unsigned max)
{
	const char *v = ctx_config_get(a->ctx, key);
	unsigned long long n;

	if (!v)
		return def;
	if (parse_config_uint(key, v, min, max, &n) < 0) {
		char *title = xasprintf(N_("[antivirus] %s = %s is not a "
					   "number in %u..%u; using %u"),
					key, v, min, max, def);
		char *where = ctx_config_where(a->ctx, key, NULL);
		char *hint = xasprintf(N_("correct the value at %s"), where);

		finding(a, "antivirus.setting.invalid", SEVERITY_WARN,
			LEVEL_SELF, title, NULL, hint);
		free(hint);
		free(where);
		free(title);
		return def;
	}
	return (unsigned)n;
}

static void load_settings(struct av *a)
{
	const char *t = ctx_config_get(a->ctx, "av_test");

	a->files = setting(a, "files", DEFAULT_FILES, 1, AV_TIMING_MAX);
	a->file_kb = setting(a, "file_kb", DEFAULT_FILE_KB, 1, 65536);
	a->warn_percent = setting(a, "slowdown_warn_percent",
				  DEFAULT_WARN_PERCENT, 1, 1000000);
	a->min_us = setting(a, "slowdown_min_us", DEFAULT_MIN_US, 0, 10000000);
	a->sig_days =
		setting(a, "signature_max_age_days", DEFAULT_SIG_DAYS, 1, 3650);
	a->eicar_wait =
		setting(a, "eicar_wait_ms", DEFAULT_EICAR_WAIT_MS, 0, 60000);
	a->av_test = t && (strcmp(t, "yes") == 0 || strcmp(t, "true") == 0 ||
			   strcmp(t, "1") == 0);
}

/* Directories. */

struct dir_stat {
	int err;
	char real[PATH_MAX];
	uint64_t ino;
	uint32_t sdev;
};

/* Bounded: realpath + stat of one directory (it may be on a hung NAS). */
static int dir_stat_fn(void *arg, void *out, size_t out_max)
{
	struct dir_stat *res = out;
	struct stat st;

	if (out_max < sizeof(*res))
		return -ENOBUFS;
	memset(res, 0, sizeof(*res));
	if (!realpath(arg, res->real) || stat(res->real, &st) < 0)
		res->err = errno;
	else if (!S_ISDIR(st.st_mode))
		res->err = ENOTDIR;
	else {
		res->ino = (uint64_t)st.st_ino;
		res->sdev =
			(uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));
	}
	return (int)sizeof(*res);
}

static void add_dir(struct av *a, const char *path)
{
	struct av_dir *d;

	for (size_t i = 0; i < a->ndirs; i++)
		if (strcmp(a->dirs[i].path, path) == 0)
			return;
	a->dirs = xreallocarray(a->dirs, a->ndirs + 1, sizeof(*a->dirs));
	d = &a->dirs[a->ndirs++];
	memset(d, 0, sizeof(*d));
	d->path = path;
}

static void resolve_dir(struct av *a, struct av_dir *d, size_t idx)
{
	struct bounded_result br;
	struct dir_stat ds;
	char key[RECORD_MAX_KEY];
	int r;

	if (d->path[0] != '/') {
		d->err = EINVAL;
		return;
	}
	r = ctx_bounded(a->ctx, STAT_TIMEOUT_MS, dir_stat_fn, (void *)d->path,
			&ds, sizeof(ds), &br);
	if (r < 0)
		d->err = -r;
	else if (br.status != BOUNDED_DONE || br.out_len != sizeof(ds))
		d->err = ETIMEDOUT;
	else
		d->err = ds.err;
	if (d->err)
		return;
	memcpy(d->real, ds.real, sizeof(d->real));
	d->ino = ds.ino;
	d->sdev = ds.sdev;
	d->mnt_id = -1;
	if (a->have_mounts) {
		const struct mount_entry *e = mount_find(&a->mounts, d->real);

		if (e) {
			d->mnt_id = e->mount_id;
			snprintf(d->fstype, sizeof(d->fstype), "%s", e->fstype);
			snprintf(d->mount_point, sizeof(d->mount_point), "%s",
				 e->mount_point);
		}
	}
	snprintf(key, sizeof(key), "dir.%zu.path", idx);
	ctx_fact(a->ctx, key, "%s", d->real);
	snprintf(key, sizeof(key), "dir.%zu.mount", idx);
	ctx_fact(a->ctx, key, "%s (%s, mount id %d)",
		 d->mount_point[0] ? d->mount_point : "?",
		 d->fstype[0] ? d->fstype : "?", d->mnt_id);
}

/*
 * A directory that did not answer in time: name the share it really lands
 * on (links followed without touching it) and tell the same story as the
 * nas collector, at level 4 — not "create the directory". Returns false
 * when it is not on a network or FUSE mount (then it is not a share hang).
 */
static bool dir_on_hung_share(struct av *a, const struct av_dir *d)
{
	const struct mount_entry *m;
	char *real = NULL, *title, *detail;

	if (!a->have_mounts)
		return false;
	m = mount_resolve(&a->mounts, ctx_root(a->ctx), d->path, &real);
	if (!m || !mount_is_network(m)) {
		free(real);
		return false;
	}
	title = xasprintf(N_("application directory '%s' cannot be checked: it "
			     "is on %s mounted at %s, which does not answer"),
			  d->path, m->source, m->mount_point);
	detail = xasprintf("'%s' lands on '%s' (%s, mount id %d); looking at "
			   "it did not finish within %d ms, so the antivirus "
			   "check of this directory was not done (see "
			   "nas.mount.hung)",
			   d->path, real, m->fstype, m->mount_id,
			   STAT_TIMEOUT_MS);
	finding(a, "antivirus.dir.share_hung", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
		title, detail,
		N_("your IT checks the file server behind this share and the "
		   "network to it; the antivirus check runs again once the "
		   "share answers"));
	free(title);
	free(detail);
	free(real);
	return true;
}

static void load_dirs(struct av *a)
{
	const char *const *v;
	size_t n;

	n = ctx_config_section_values(a->ctx, "product", "data_dir", &v);
	for (size_t i = 0; i < n; i++)
		add_dir(a, v[i]);
	n = ctx_config_values(a->ctx, "path", &v);
	for (size_t i = 0; i < n; i++)
		add_dir(a, v[i]);
	if (a->ndirs == 0) {
		finding(a, "antivirus.dir.not_configured", SEVERITY_INFO,
			LEVEL_SELF,
			N_("no application directory configured: only the "
			   "products present are checked"),
			NULL,
			N_("set [product] data_dir (or [antivirus] path) to "
			   "the application's data directories"));
		return;
	}
	for (size_t i = 0; i < a->ndirs; i++) {
		struct av_dir *d = &a->dirs[i];
		char *title;

		resolve_dir(a, d, i);
		if (!d->err)
			continue;
		if (d->err == ETIMEDOUT && dir_on_hung_share(a, d))
			continue;
		title = xasprintf(
			N_("application directory '%s' cannot be checked: %s"),
			d->path, strerror(d->err));
		finding(a, "antivirus.dir.missing", SEVERITY_WARN, LEVEL_SELF,
			title, NULL,
			N_("correct [product] data_dir / [antivirus] path, or "
			   "create the directory"));
		free(title);
	}
}

/* Processes and fanotify groups. */

static void read_line_file(const char *path, char *out, size_t len)
{
	struct buf b;

	out[0] = '\0';
	buf_init(&b, 4096);
	if (read_file(path, 4096, &b) == 0) {
		char *nl = strchr(b.data, '\n');

		if (nl)
			*nl = '\0';
		snprintf(out, len, "%s", b.data);
	}
	buf_release(&b);
}

/* "-c FILE", "-cFILE", "--config-file=FILE", "--config-file FILE". */
static char *cmdline_config(const char *root, const char *pid)
{
	char *path = xasprintf("%s/proc/%s/cmdline", root, pid);
	char *found = NULL;
	struct buf b;

	buf_init(&b, 65536);
	if (read_file(path, 65536, &b) == 0 || b.len > 0) {
		const char *p = b.data, *end = b.data + b.len;
		const char *prev = "";

		while (p < end) {
			size_t n = strnlen(p, (size_t)(end - p));

			if (strncmp(p, "--config-file=", 14) == 0)
				found = xstrdup(p + 14);
			else if (strncmp(p, "-c", 2) == 0 && p[2])
				found = xstrdup(p + 2);
			else if (strcmp(prev, "-c") == 0 ||
				 strcmp(prev, "--config-file") == 0)
				found = xstrdup(p);
			if (found)
				break;
			prev = p;
			p += n + 1;
		}
	}
	buf_release(&b);
	free(path);
	return found;
}

static void inspect_fds(struct av *a, const char *pid, const char *comm,
			const struct av_product *p)
{
	const char *root = ctx_root(a->ctx);
	char *fddir = xasprintf("%s/proc/%s/fd", root, pid);
	DIR *dir = opendir(fddir);
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		char *link, target[64];
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		link = xasprintf("%s/%s", fddir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		free(link);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[fanotify]") != 0)
			continue;
		if (a->ngroups >= GROUPS_MAX) {
			a->ngroups_dropped++;
			continue;
		}
		{
			char *info = xasprintf("%s/proc/%s/fdinfo/%s", root,
					       pid, de->d_name);
			struct av_group g;
			struct buf b;

			memset(&g, 0, sizeof(g));
			buf_init(&b, FILE_MAX);
			if (read_file(info, FILE_MAX, &b) == 0 &&
			    av_fdinfo_parse(b.data, b.len, &g.fan) == 0) {
				g.pid = (pid_t)atoi(pid);
				g.fd = atoi(de->d_name);
				snprintf(g.comm, sizeof(g.comm), "%s", comm);
				g.product = p;
				a->groups =
					xreallocarray(a->groups, a->ngroups + 1,
						      sizeof(*a->groups));
				a->groups[a->ngroups++] = g;
			}
			buf_release(&b);
			free(info);
		}
	}
	if (dir)
		closedir(dir);
	free(fddir);
}

static void scan_processes(struct av *a)
{
	const char *root = ctx_root(a->ctx);
	char *procdir = xasprintf("%s/proc", root);
	DIR *dir = opendir(procdir);
	struct dirent *de;

	a->fan_inspected = ctx_is_root(a->ctx);
	while (dir && (de = readdir(dir))) {
		const struct av_product *p;
		enum av_proc_role role;
		char comm[64], exe[PATH_MAX], *path;
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		path = xasprintf("%s/%s/comm", procdir, de->d_name);
		read_line_file(path, comm, sizeof(comm));
		free(path);
		path = xasprintf("%s/%s/exe", procdir, de->d_name);
		n = readlink(path, exe, sizeof(exe) - 1);
		free(path);
		exe[n > 0 ? n : 0] = '\0';
		p = av_product_match(comm[0] ? comm : NULL, exe[0] ? exe : NULL,
				     &role);
		if (p) {
			struct av_state *s = &a->state[product_index(p)];

			s->running = true;
			if (role == AV_PROC_REALTIME)
				s->realtime = true;
			if (s->evidence.len < 512)
				buf_printf(&s->evidence,
					   "%sprocess %s (pid %s)",
					   s->evidence.len ? ", " : "", comm,
					   de->d_name);
			if (strcmp(p->id, "clamav") == 0 &&
			    (strcmp(comm, "clamonacc") == 0 ||
			     strcmp(comm, "clamd") == 0)) {
				char *c = cmdline_config(root, de->d_name);

				if (strcmp(comm, "clamonacc") == 0)
					a->clamonacc_running = true;
				else
					a->clamd_running = true;
				if (c && (!a->clamd_conf_found ||
					  strcmp(comm, "clamonacc") == 0)) {
					free(a->clamd_conf_found);
					a->clamd_conf_found = c;
					c = NULL;
				}
				free(c);
			}
		}
		if (a->fan_inspected)
			inspect_fds(a, de->d_name, comm, p);
	}
	if (dir)
		closedir(dir);
	free(procdir);
}

/* Installations: directories, unit files, Debian packages. */

static void dpkg_record(struct av *a, const char *pkg, const char *status,
			const char *version)
{
	if (!strstr(status, " installed"))
		return;
	for (size_t i = 0; i < av_nproducts; i++) {
		const struct av_product *p = &av_products[i];

		for (size_t k = 0; k < AV_LIST_MAX && p->packages[k]; k++) {
			struct av_state *s = &a->state[i];

			if (strcmp(p->packages[k], pkg) != 0)
				continue;
			s->installed = true;
			if (!s->version[0])
				snprintf(s->version, sizeof(s->version), "%s",
					 version);
			if (s->evidence.len < 512)
				buf_printf(&s->evidence, "%spackage %s %s",
					   s->evidence.len ? ", " : "", pkg,
					   version);
		}
	}
}

static void scan_dpkg(struct av *a)
{
	char *path = xasprintf("%s/var/lib/dpkg/status", ctx_root(a->ctx));
	FILE *f = fopen(path, "re");
	char pkg[128] = "", status[128] = "", version[64] = "";
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;

	while (f && (n = getline(&line, &cap, f)) >= 0 &&
	       (total += (size_t)n) < DPKG_STATUS_MAX) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0) {
			if (pkg[0])
				dpkg_record(a, pkg, status, version);
			pkg[0] = status[0] = version[0] = '\0';
		} else if (strncmp(line, "Package: ", 9) == 0)
			snprintf(pkg, sizeof(pkg), "%s", line + 9);
		else if (strncmp(line, "Status: ", 8) == 0)
			snprintf(status, sizeof(status), "%s", line + 7);
		else if (strncmp(line, "Version: ", 9) == 0)
			snprintf(version, sizeof(version), "%s", line + 9);
	}
	if (pkg[0])
		dpkg_record(a, pkg, status, version);
	free(line);
	if (f)
		fclose(f);
	free(path);
}

static void scan_installs(struct av *a)
{
	static const char *const unit_dirs[] = { "/etc/systemd/system",
						 "/lib/systemd/system",
						 "/usr/lib/systemd/system" };
	const char *root = ctx_root(a->ctx);

	for (size_t i = 0; i < av_nproducts; i++) {
		const struct av_product *p = &av_products[i];
		struct av_state *s = &a->state[i];

		for (size_t k = 0; k < AV_LIST_MAX && p->dirs[k]; k++) {
			char *path = xasprintf("%s%s", root, p->dirs[k]);

			if (is_dir(path)) {
				s->installed = true;
				if (s->evidence.len < 512)
					buf_printf(&s->evidence,
						   "%sdirectory %s",
						   s->evidence.len ? ", " : "",
						   p->dirs[k]);
			}
			free(path);
		}
		for (size_t k = 0; k < AV_LIST_MAX && p->units[k]; k++) {
			for (size_t u = 0; u < ARRAY_SIZE(unit_dirs); u++) {
				char *path =
					xasprintf("%s%s/%s", root, unit_dirs[u],
						  p->units[k]);

				if (is_file(path)) {
					s->installed = true;
					if (s->evidence.len < 512)
						buf_printf(&s->evidence,
							   "%sunit %s/%s",
							   s->evidence.len
								   ? ", "
								   : "",
							   unit_dirs[u],
							   p->units[k]);
					u = ARRAY_SIZE(unit_dirs);
				}
				free(path);
			}
		}
	}
	scan_dpkg(a);
}

/* ClamAV. */

static void clamav_load_conf(struct av *a)
{
	const char *root = ctx_root(a->ctx);
	const char *conf = ctx_config_get(a->ctx, "clamd_conf");
	char *path;
	struct buf b;
	int r;

	if (conf)
		a->clamd_conf_path = xstrdup(conf);
	else if (a->clamd_conf_found)
		a->clamd_conf_path = xstrdup(a->clamd_conf_found);
	else
		a->clamd_conf_path = xstrdup("/etc/clamav/clamd.conf");
	path = xasprintf("%s%s", root, a->clamd_conf_path);
	buf_init(&b, FILE_MAX);
	r = read_file(path, FILE_MAX, &b);
	if (r == 0) {
		av_clamd_conf_parse(b.data, b.len, &a->clamd);
		a->have_clamd_conf = true;
		ctx_fact(a->ctx, "clamav.conf", "%s", a->clamd_conf_path);
		for (size_t i = 0; i < a->clamd.include_path.n; i++)
			ctx_fact(a->ctx, "clamav.on_access_include_path", "%s",
				 a->clamd.include_path.v[i]);
		for (size_t i = 0; i < a->clamd.exclude_path.n; i++)
			ctx_fact(a->ctx, "clamav.on_access_exclude_path", "%s",
				 a->clamd.exclude_path.v[i]);
		for (size_t i = 0; i < a->clamd.exclude_uname.n; i++)
			ctx_fact(a->ctx, "clamav.on_access_exclude_uname", "%s",
				 a->clamd.exclude_uname.v[i]);
		ctx_fact(a->ctx, "clamav.on_access_prevention", "%s",
			 a->clamd.prevention == 1 ? "yes" : "no");
	} else if (conf || a->clamd_conf_found) {
		char *title = xasprintf(N_("cannot read clamd.conf '%s': %s"),
					a->clamd_conf_path, strerror(-r));

		finding(a, "antivirus.clamav.conf_unreadable", SEVERITY_INFO,
			LEVEL_SELF, title, NULL,
			N_("check [antivirus] clamd_conf and run rdiag as "
			   "root"));
		free(title);
	}
	buf_release(&b);
	free(path);
}

/* Where clamd listens: settings first, then clamd.conf. */
static bool clamav_target(struct av *a, struct clamd_target *t, char *desc,
			  size_t desclen)
{
	const char *sock = ctx_config_get(a->ctx, "clamd_socket");
	const char *tcp = ctx_config_get(a->ctx, "clamd_tcp");

	memset(t, 0, sizeof(*t));
	if (!sock && !tcp && a->have_clamd_conf) {
		if (a->clamd.local_socket)
			sock = a->clamd.local_socket;
		else if (a->clamd.tcp_socket) {
			snprintf(t->host, sizeof(t->host), "%s",
				 a->clamd.tcp_addr.n ? a->clamd.tcp_addr.v[0]
						     : "127.0.0.1");
			snprintf(t->port, sizeof(t->port), "%s",
				 a->clamd.tcp_socket);
		}
	}
	if (sock) {
		snprintf(t->unix_path, sizeof(t->unix_path), "%s%s",
			 ctx_config_get(a->ctx, "clamd_socket")
				 ? ""
				 : ctx_root(a->ctx),
			 sock);
		snprintf(desc, desclen, "unix socket %s", sock);
		return true;
	}
	if (tcp) {
		const char *colon = strrchr(tcp, ':');

		if (!colon || colon == tcp ||
		    (size_t)(colon - tcp) >= sizeof(t->host) ||
		    strlen(colon + 1) >= sizeof(t->port))
			return false;
		memcpy(t->host, tcp, (size_t)(colon - tcp));
		t->host[colon - tcp] = '\0';
		if (t->host[0] == '[' && t->host[strlen(t->host) - 1] == ']') {
			memmove(t->host, t->host + 1, strlen(t->host));
			t->host[strlen(t->host) - 1] = '\0';
		}
		snprintf(t->port, sizeof(t->port), "%s", colon + 1);
	}
	if (!t->port[0])
		return false;
	snprintf(desc, desclen, "TCP %s:%s", t->host, t->port);
	return true;
}

/*
 * Why clamd should answer here, or NULL when ClamAV is only installed:
 * no clamd or clamonacc runs, nothing names its socket, its clamd.conf
 * sets no on-access scanning and no ClamAV unit starts at boot. Caller
 * frees.
 */
static char *clamav_expected(struct av *a)
{
	static const char *const units[] = { "clamav-daemon.service",
					     "clamav-clamonacc.service", NULL };
	static const char *const sysv[] = { "clamav-daemon", NULL };
	char *link;

	if (ctx_config_get(a->ctx, "clamd_socket") ||
	    ctx_config_get(a->ctx, "clamd_tcp"))
		return xstrdup("[antivirus] names its socket");
	if (a->clamd_running)
		return xstrdup("a clamd process runs");
	if (a->clamonacc_running)
		return xstrdup("clamonacc runs and scans through it");
	if (a->have_clamd_conf &&
	    (a->clamd.include_path.n > 0 || a->clamd.mount_path.n > 0))
		return xasprintf("%s configures on-access scanning "
				 "(OnAccessIncludePath or OnAccessMountPath)",
				 a->clamd_conf_path);
	/* The units start clamd with the system's clamd.conf. */
	if (strcmp(a->clamd_conf_path, "/etc/clamav/clamd.conf") == 0 &&
	    (link = hostfile_boot_link(ctx_root(a->ctx), units, sysv))) {
		char *why = xasprintf("ClamAV is enabled at boot (%s)", link);

		free(link);
		return why;
	}
	return NULL;
}

/*
 * clamd does not answer (title says how): a warning when it should run,
 * information when ClamAV is only installed.
 */
static void clamav_not_answering(struct av *a, const char *title,
				 const char *reply)
{
	char *why = clamav_expected(a), *detail;

	if (!why) {
		detail = xasprintf("%s; no clamd or clamonacc runs, %s sets no "
				   "on-access scanning and no ClamAV unit is "
				   "enabled at boot",
				   title, a->clamd_conf_path);
		finding(a, "antivirus.clamav.not_used", SEVERITY_INFO,
			LEVEL_THIRD_PARTY,
			N_("ClamAV is installed but not in use"), detail,
			N_("nothing to do if this host relies on another "
			   "antivirus; to use ClamAV, your IT enables and "
			   "starts clamav-daemon (and clamonacc for on-access "
			   "scanning)"));
		free(detail);
		return;
	}
	detail = xasprintf("it should run: %s%s%s", why,
			   reply ? "; clamd said: " : "", reply ? reply : "");
	finding(a, "antivirus.clamav.engine_down", SEVERITY_WARN,
		LEVEL_THIRD_PARTY, title, detail,
		N_("your IT (who runs the antivirus) starts clamd ('systemctl "
		   "start clamav-daemon') and checks its log; while it is down "
		   "nothing is scanned, and clamonacc with OnAccessPrevention "
		   "may hold or deny opens"));
	free(detail);
	free(why);
}

static void clamav_engine(struct av *a)
{
	struct av_state *s = &a->state[product_index(product_by_id("clamav"))];
	struct clamd_probe_result res;
	struct clamd_target t;
	char desc[160], *title;
	int64_t left = ctx_remaining_ms(a->ctx);
	int64_t deadline =
		now_ms() + (left < CLAMD_TIMEOUT_MS ? left : CLAMD_TIMEOUT_MS);

	if (!ctx_config_get(a->ctx, "clamd_socket") &&
	    !ctx_config_get(a->ctx, "clamd_tcp") && !a->have_clamd_conf &&
	    !s->running)
		return;
	if (!clamav_target(a, &t, desc, sizeof(desc))) {
		clamav_not_answering(a,
				     "clamd has no socket to ask: clamd.conf "
				     "sets neither LocalSocket nor TCPSocket",
				     NULL);
		return;
	}
	clamd_probe(&t, deadline, &res);
	ctx_fact(a->ctx, "clamav.clamd", "%s", desc);
	if (res.ping_rc < 0) {
		title = xasprintf(N_("clamd does not answer on %s: %s"), desc,
				  res.ping_rc == -EBADMSG
					  ? "unexpected reply"
					  : strerror(-res.ping_rc));
		clamav_not_answering(a, title, res.reply[0] ? res.reply : NULL);
		free(title);
		return;
	}
	title = xasprintf(N_("clamd answers PING on %s"), desc);
	finding(a, "antivirus.clamav.engine_ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
		title, NULL, NULL);
	free(title);
	if (res.version_rc < 0)
		return;
	snprintf(s->version, sizeof(s->version), "%s", res.version.engine);
	ctx_fact(a->ctx, "clamav.engine_version", "%s", res.version.engine);
	if (!res.version.has_db) {
		finding(a, "antivirus.clamav.signatures_missing", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("clamd runs without the official signature "
			   "databases"),
			"VERSION reports no database version: only local "
			"signatures (if any) are loaded",
			N_("your IT (who runs the antivirus) runs freshclam "
			   "(or the company's mirror) so that "
			   "main.cvd/daily.cvd are in DatabaseDirectory, then "
			   "reloads clamd"));
		return;
	}
	ctx_fact(a->ctx, "clamav.db_version", "%u", res.version.db_version);
	ctx_fact(a->ctx, "clamav.db_date", "%s", res.version.db_date);
	if (res.version.db_time > 0 &&
	    (int64_t)time(NULL) - res.version.db_time >
		    (int64_t)a->sig_days * 86400) {
		title = xasprintf(N_("ClamAV signatures are %lld days old "
				     "(database %u of %s)"),
				  (long long)(((int64_t)time(NULL) -
					       res.version.db_time) /
					      86400),
				  res.version.db_version, res.version.db_date);
		finding(a, "antivirus.clamav.signatures_old", SEVERITY_WARN,
			LEVEL_THIRD_PARTY, title, NULL,
			N_("your IT (who runs the antivirus) checks freshclam "
			   "(its log, proxy and mirror settings) and reloads "
			   "clamd"));
		free(title);
		return;
	}
	title = xasprintf(
		N_("ClamAV signatures are current (database %u of %s)"),
		res.version.db_version, res.version.db_date);
	finding(a, "antivirus.clamav.signatures_ok", SEVERITY_OK,
		LEVEL_THIRD_PARTY, title, NULL, NULL);
	free(title);
}

/* Microsoft Defender for Endpoint. */

static void mdatp_run(struct av *a)
{
	char *bin = xasprintf("%s/usr/bin/mdatp", ctx_root(a->ctx));
	const char *health[] = { bin, "health", NULL };
	const char *excl[] = { bin, "exclusion", "list", NULL };
	int64_t left;
	struct buf out;
	int r;

	if (access(bin, X_OK) != 0) {
		free(bin);
		return;
	}
	buf_init(&out, MDATP_OUT_MAX);
	left = ctx_remaining_ms(a->ctx);
	r = ctx_exec(
		a->ctx, health,
		(unsigned)(left < MDATP_TIMEOUT_MS ? left : MDATP_TIMEOUT_MS),
		&out);
	if (r != 0 || av_mdatp_health_parse(out.data, out.len, &a->mdatp) < 0) {
		char *title =
			xasprintf(N_("'mdatp health' failed (%s)"),
				  r < 0 ? strerror(-r) : "no health data");

		finding(a, "antivirus.mdatp.tool_failed", SEVERITY_INFO,
			LEVEL_THIRD_PARTY, title, NULL,
			N_("run 'mdatp health' as root and send its output"));
		free(title);
	} else {
		struct av_state *s =
			&a->state[product_index(product_by_id("mdatp"))];

		a->have_mdatp = true;
		s->installed = true;
		if (a->mdatp.real_time == 1)
			s->realtime = true;
		if (a->mdatp.app_version[0])
			snprintf(s->version, sizeof(s->version), "%s",
				 a->mdatp.app_version);
		ctx_fact(a->ctx, "mdatp.healthy", "%d", a->mdatp.healthy);
		ctx_fact(a->ctx, "mdatp.real_time_protection", "%d",
			 a->mdatp.real_time);
		ctx_fact(a->ctx, "mdatp.definitions_status", "%s",
			 a->mdatp.definitions_status);
		if (a->mdatp.healthy == 0)
			finding(a, "antivirus.mdatp.unhealthy", SEVERITY_WARN,
				LEVEL_THIRD_PARTY,
				N_("Microsoft Defender reports itself "
				   "unhealthy"),
				NULL,
				N_("your IT runs 'mdatp health' and follows "
				   "Microsoft's troubleshooting for the "
				   "failing fields"));
		if (a->mdatp.definitions_status[0] &&
		    strcmp(a->mdatp.definitions_status, "up_to_date") != 0) {
			char *title = xasprintf(
				N_("Microsoft Defender definitions are %s"),
				a->mdatp.definitions_status);

			finding(a, "antivirus.mdatp.definitions_outdated",
				SEVERITY_WARN, LEVEL_THIRD_PARTY, title,
				a->mdatp.definitions_version,
				N_("your IT runs 'mdatp definitions update' "
				   "and checks the update source"));
			free(title);
		}
	}
	buf_reset(&out);
	r = ctx_exec(a->ctx, excl, MDATP_TIMEOUT_MS, &out);
	if (r == 0) {
		a->mdatp_exclusions = out;
		a->have_mdatp_exclusions = true;
		ctx_artifact_write(a->ctx, "mdatp-exclusions.txt", out.data,
				   out.len);
	} else {
		buf_release(&out);
	}
	free(bin);
}

/* Verdicts on products. */

static bool group_blocks(const struct av_group *g)
{
	return av_fanotify_can_block(&g->fan);
}

static void report_products(struct av *a)
{
	struct buf rt;
	size_t nfound = 0, nrt = 0;

	buf_init(&rt, DETAIL_MAX);
	/* Holding a blocking fanotify group is real-time scanning too. */
	for (size_t i = 0; i < a->ngroups; i++)
		if (a->groups[i].product && group_blocks(&a->groups[i]))
			a->state[product_index(a->groups[i].product)].realtime =
				true;
	for (size_t i = 0; i < av_nproducts; i++) {
		const struct av_product *p = &av_products[i];
		struct av_state *s = &a->state[i];
		char key[RECORD_MAX_KEY], *title;

		if (!s->running && !s->installed && !s->realtime)
			continue;
		nfound++;
		snprintf(key, sizeof(key), "product.%s.evidence", p->id);
		ctx_fact(a->ctx, key, "%s", s->evidence.data);
		snprintf(key, sizeof(key), "product.%s.running", p->id);
		ctx_fact(a->ctx, key, "%s", s->running ? "yes" : "no");
		snprintf(key, sizeof(key), "product.%s.realtime", p->id);
		ctx_fact(a->ctx, key, "%s", s->realtime ? "yes" : "no");
		if (s->version[0]) {
			snprintf(key, sizeof(key), "product.%s.version", p->id);
			ctx_fact(a->ctx, key, "%s", s->version);
		}
		title = xasprintf(
			N_("%s%s%s is %s%s"), p->name, s->version[0] ? " " : "",
			s->version, s->running ? "running" : "installed",
			s->realtime ? " with real-time scanning" : "");
		finding(a, "antivirus.product.present", SEVERITY_INFO,
			LEVEL_THIRD_PARTY, title, s->evidence.data, NULL);
		free(title);
		if (s->realtime && p->kind != AV_KIND_POLICY) {
			nrt++;
			buf_printf(&rt, "%s%s", rt.len ? ", " : "", p->name);
		}
	}
	ctx_fact(a->ctx, "products", "%zu", nfound);
	if (nfound == 0)
		finding(a, "antivirus.product.none", SEVERITY_OK,
			LEVEL_THIRD_PARTY,
			N_("no known antivirus or EDR product found"), NULL,
			NULL);
	if (nrt >= 2) {
		char *title = xasprintf(
			N_("%zu products scan files in real time at once: %s"),
			nrt, rt.data);

		finding(a, "antivirus.product.conflict", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY, title,
			"two on-access scanners intercept every open in turn: "
			"slow file access, time-outs and deadlocks between "
			"them are common",
			N_("your IT keeps one real-time scanner and uninstalls "
			   "or disables the real-time part of the others (with "
			   "their vendors)"));
		free(title);
	}
	buf_release(&rt);
}

/* fanotify groups. */

static const char *class_name(uint32_t flags)
{
	switch (flags & AV_FAN_CLASS_MASK) {
	case AV_FAN_CLASS_NOTIF:
		return "notification";
	case AV_FAN_CLASS_CONTENT:
		return "content";
	case AV_FAN_CLASS_PRE_CONTENT:
		return "pre-content";
	default:
		return "unknown";
	}
}

static void report_groups(struct av *a)
{
	if (!a->fan_inspected) {
		finding(a, "antivirus.fanotify.not_root", SEVERITY_INFO,
			LEVEL_SELF,
			N_("fanotify watchers not inspected: reading other "
			   "processes' /proc/PID/fdinfo needs root"),
			"which process can block opens of the application's "
			"files is unknown; products, settings and timings "
			"were still checked",
			N_("run rdiag as root to see every fanotify watcher "
			   "and its marks"));
		return;
	}
	ctx_fact(a->ctx, "fanotify.groups", "%zu", a->ngroups);
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct av_group *g = &a->groups[i];
		char key[RECORD_MAX_KEY];
		size_t nino = 0, nmnt = 0, nfs = 0;

		for (size_t k = 0; k < g->fan.nmarks; k++) {
			if (g->fan.marks[k].type == AV_MARK_INODE)
				nino++;
			else if (g->fan.marks[k].type == AV_MARK_MOUNT)
				nmnt++;
			else
				nfs++;
		}
		snprintf(key, sizeof(key), "fanotify.%zu", i);
		ctx_fact(a->ctx, key,
			 "pid %d (%s, %s) fd %d class %s flags 0x%x; marks: "
			 "%zu inode, %zu mount, %zu filesystem",
			 (int)g->pid, g->comm,
			 g->product ? g->product->name : "unknown product",
			 g->fd, class_name(g->fan.flags), g->fan.flags, nino,
			 nmnt, nfs);
	}
	if (a->ngroups_dropped)
		ctx_fact(a->ctx, "fanotify.groups_left_out", "%zu",
			 a->ngroups_dropped);
}

enum cover {
	COVER_NONE,
	COVER_NOTIFY,
	COVER_BLOCK,
};

/* Does group g see (or hold) opens of files directly in dir d? */
static enum cover group_covers(const struct av_group *g, const struct av_dir *d,
			       bool *ret_ignored, struct buf *how)
{
	enum cover c = COVER_NONE;

	*ret_ignored = false;
	for (size_t k = 0; k < g->fan.nmarks; k++) {
		const struct av_mark *m = &g->fan.marks[k];
		uint32_t mask = m->mask & ~m->ignored;
		bool hit = false;

		if (m->type == AV_MARK_INODE && m->ino == d->ino &&
		    m->sdev == d->sdev) {
			if (m->ignored & AV_FAN_PERM_EVENTS)
				*ret_ignored = true;
			hit = (mask & AV_FAN_EVENT_ON_CHILD) != 0;
			if (hit)
				buf_printf(how, "inode mark on %s (mask 0x%x)",
					   d->real, m->mask);
		} else if (m->type == AV_MARK_MOUNT && m->mnt_id == d->mnt_id) {
			hit = true;
			buf_printf(how,
				   "mount mark on %s (mount id %d, mask "
				   "0x%x)",
				   d->mount_point, d->mnt_id, m->mask);
		} else if (m->type == AV_MARK_FILESYSTEM &&
			   m->sdev == d->sdev) {
			hit = true;
			buf_printf(how, "filesystem mark on %u:%u (mask 0x%x)",
				   d->sdev >> 20, d->sdev & 0xfffff, m->mask);
		}
		if (!hit || (mask & ~AV_FAN_EVENT_ON_CHILD) == 0)
			continue;
		if (group_blocks(g) && (mask & AV_FAN_PERM_EVENTS))
			c = COVER_BLOCK;
		else if (c == COVER_NONE)
			c = COVER_NOTIFY;
	}
	if (*ret_ignored)
		c = COVER_NONE;
	return c;
}

/* The exclusion to ask for, for people: caller frees. */
static char *exclusion_text(struct av *a, const struct av_product *p,
			    const struct av_dir *d)
{
	char *line, *out;

	if (!p)
		return xasprintf("with the vendor's technical support, your "
				 "IT asks the owner of the process that holds "
				 "the fanotify group to exclude %s",
				 d->real);
	if (strcmp(p->id, "clamav") == 0) {
		line = xasprintf("OnAccessExcludePath %s", d->real);
		out = xasprintf("with the vendor's technical support, your "
				"IT adds the line '%s' to %s and restarts "
				"clamonacc",
				line, a->clamd_conf_path);
		free(line);
		return out;
	}
	line = av_product_exclusion(p, d->real);
	out = xasprintf("with the vendor's technical support, your IT (the "
			"%s administrator) sets an exclusion: %s",
			p->name, line);
	free(line);
	return out;
}

/* The product's own word on whether d is excluded: 1, 0, -1 unknown. */
static int product_excludes(struct av *a, const struct av_product *p,
			    const struct av_dir *d, const char **ret_rule)
{
	*ret_rule = NULL;
	if (!p)
		return -1;
	if (strcmp(p->id, "clamav") == 0 && a->have_clamd_conf) {
		enum av_clamd_watch w =
			av_clamd_conf_watch(&a->clamd, d->real, ret_rule);

		if (w == AV_CLAMD_EXCLUDED)
			return 1;
		return w == AV_CLAMD_WATCHED ? 0 : -1;
	}
	if (strcmp(p->id, "mdatp") == 0 && a->have_mdatp_exclusions) {
		int r = av_mdatp_excluded(a->mdatp_exclusions.data,
					  a->mdatp_exclusions.len, d->real);

		*ret_rule = "mdatp exclusion list";
		return r < 0 ? -1 : r;
	}
	return -1;
}

static void watch_verdict(struct av *a, struct av_dir *d,
			  const struct av_product *p, const char *who,
			  enum cover c, const char *how)
{
	const char *name = p ? p->name : "an unknown program";
	const char *rule;
	char *title, *hint, *detail;
	int ex = product_excludes(a, p, d, &rule);

	if (ex == 1) {
		title = xasprintf(N_("%s excludes %s (%s)"), name, d->real,
				  rule);
		finding(a, "antivirus.watch.excluded", SEVERITY_OK,
			LEVEL_SUPPORT, title, how, NULL);
		free(title);
		return;
	}
	hint = exclusion_text(a, p, d);
	detail = xasprintf("%s%s%s", who, how[0] ? "; " : "", how);
	if (c == COVER_BLOCK) {
		title = xasprintf(N_("%s of %s can block opens under %s"), who,
				  name, d->real);
		finding(a, "antivirus.watch.no_exclusion", SEVERITY_WARN,
			LEVEL_SUPPORT, title, detail, hint);
		d->watcher = p;
	} else {
		title = xasprintf(N_("%s of %s sees opens under %s but cannot "
				     "block them"),
				  who, name, d->real);
		finding(a, "antivirus.watch.notify_only", SEVERITY_INFO,
			LEVEL_SUPPORT, title, detail, hint);
	}
	free(detail);
	free(title);
	free(hint);
}

static void report_watch(struct av *a, struct av_dir *d)
{
	bool *done = xcalloc(av_nproducts + 1, sizeof(*done));
	const char *rule;
	bool any = false;

	for (size_t i = 0; i < a->ngroups; i++) {
		const struct av_group *g = &a->groups[i];
		size_t slot =
			g->product ? product_index(g->product) : av_nproducts;
		struct buf how;
		bool ignored;
		enum cover c;

		buf_init(&how, DETAIL_MAX);
		c = group_covers(g, d, &ignored, &how);
		if (c != COVER_NONE || ignored)
			any = true;
		if (ignored) {
			char *title = xasprintf(N_("%s (pid %d) ignores %s "
						   "with an ignore mark"),
						g->comm, (int)g->pid, d->real);

			finding(a, "antivirus.watch.excluded", SEVERITY_OK,
				LEVEL_SUPPORT, title, NULL, NULL);
			free(title);
		} else if (c != COVER_NONE && (!done[slot] || !g->product)) {
			char *who = xasprintf("process %s (pid %d)", g->comm,
					      (int)g->pid);

			done[slot] = true;
			watch_verdict(a, d, g->product, who, c, how.data);
			free(who);
		}
		buf_release(&how);
	}
	/* Without fdinfo, the products' own settings are all there is. */
	if (!a->fan_inspected) {
		const struct av_product *clam = product_by_id("clamav");
		const struct av_product *md = product_by_id("mdatp");

		if (a->clamonacc_running && a->have_clamd_conf &&
		    av_clamd_conf_watch(&a->clamd, d->real, &rule) !=
			    AV_CLAMD_NOT_WATCHED) {
			char *how =
				xasprintf("from %s: OnAccessIncludePath "
					  "or OnAccessMountPath covers it%s",
					  a->clamd_conf_path,
					  a->clamd.prevention == 1
						  ? ", OnAccessPrevention yes"
						  : "");

			watch_verdict(a, d, clam, "clamonacc",
				      a->clamd.prevention == 1 ? COVER_BLOCK
							       : COVER_NOTIFY,
				      how);
			free(how);
			any = true;
		}
		if (a->have_mdatp && a->mdatp.real_time == 1) {
			watch_verdict(a, d, md, "wdavdaemon", COVER_BLOCK,
				      "real-time protection is on");
			any = true;
		}
	}
	/* Excluded by the product's own settings, with no watcher left. */
	if (!any && a->have_clamd_conf &&
	    av_clamd_conf_watch(&a->clamd, d->real, &rule) ==
		    AV_CLAMD_EXCLUDED) {
		char *title = xasprintf(
			N_("ClamAV excludes %s (OnAccessExcludePath %s in %s)"),
			d->real, rule, a->clamd_conf_path);

		finding(a, "antivirus.watch.excluded", SEVERITY_OK,
			LEVEL_SUPPORT, title, NULL, NULL);
		free(title);
		any = true;
	}
	if (!any && a->fan_inspected) {
		char *title = xasprintf(
			N_("no fanotify watcher sees opens under %s"), d->real);

		finding(a, "antivirus.watch.none", SEVERITY_OK, LEVEL_SUPPORT,
			title, NULL, NULL);
		free(title);
	}
	free(done);
}

/* Timing. */

struct timing {
	bool ok;
	unsigned n;
	uint32_t median, p95;
	int err;
	char step[16];
	unsigned left;
};

static void time_dir(struct av *a, const char *dir, struct timing *t)
{
	struct av_timing_job job;
	struct av_timing_out *out = xcalloc(1, sizeof(*out));
	struct bounded_result br;
	int r;

	memset(t, 0, sizeof(*t));
	memset(&job, 0, sizeof(job));
	snprintf(job.dir, sizeof(job.dir), "%s", dir);
	job.files = a->files;
	job.file_kb = a->file_kb;
	r = ctx_bounded(a->ctx, TIMING_TIMEOUT_MS, av_timing_run, &job, out,
			sizeof(*out), &br);
	if (r < 0) {
		t->err = -r;
		snprintf(t->step, sizeof(t->step), "fork");
	} else if (br.status != BOUNDED_DONE || br.out_len != sizeof(*out)) {
		t->err = ETIMEDOUT;
		snprintf(t->step, sizeof(t->step), "timing");
	} else {
		t->err = out->err;
		snprintf(t->step, sizeof(t->step), "%s", out->step);
		t->left = out->left;
		t->n = out->n;
		if (out->n > 0 && out->err == 0) {
			av_stats(out->us, out->n, &t->median, &t->p95);
			t->ok = true;
		}
	}
	free(out);
}

static bool pick_control(struct av *a, char *out, size_t len, char *shown,
			 size_t shownlen)
{
	static const char *const cands[] = { "/dev/shm", "/tmp", "/var/tmp" };
	const char *conf = ctx_config_get(a->ctx, "control_dir");
	char *tmpl;

	if (conf) {
		tmpl = xasprintf("%s/.rdiag-av-ctl-XXXXXX", conf);
		snprintf(shown, shownlen, "%s", conf);
		if (mkdtemp(tmpl)) {
			snprintf(out, len, "%s", tmpl);
			free(tmpl);
			return true;
		}
		free(tmpl);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		struct stat st;
		bool other = true;
		uint32_t sdev;

		if (stat(cands[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		sdev = (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));
		for (size_t k = 0; k < a->ndirs; k++)
			if (!a->dirs[k].err && a->dirs[k].sdev == sdev)
				other = false;
		if (!other)
			continue;
		tmpl = xasprintf("%s/.rdiag-av-ctl-XXXXXX", cands[i]);
		snprintf(shown, shownlen, "%s", cands[i]);
		if (mkdtemp(tmpl)) {
			snprintf(out, len, "%s", tmpl);
			free(tmpl);
			return true;
		}
		free(tmpl);
	}
	/* Nothing on another file system: the staging directory's. */
	tmpl = xasprintf("%s/.rdiag-av-ctl-XXXXXX", ctx_staging_dir(a->ctx));
	snprintf(shown, shownlen, "%s", "the staging directory");
	if (mkdtemp(tmpl)) {
		snprintf(out, len, "%s", tmpl);
		free(tmpl);
		return true;
	}
	free(tmpl);
	return false;
}

static void fact_timing(struct av *a, const char *prefix,
			const struct timing *t)
{
	char key[RECORD_MAX_KEY];

	snprintf(key, sizeof(key), "%s.median_us", prefix);
	ctx_fact(a->ctx, key, "%u", t->median);
	snprintf(key, sizeof(key), "%s.p95_us", prefix);
	ctx_fact(a->ctx, key, "%u", t->p95);
	snprintf(key, sizeof(key), "%s.files", prefix);
	ctx_fact(a->ctx, key, "%u", t->n);
}

static void timing_failed(struct av *a, struct av_dir *d, const char *dir,
			  const struct timing *t)
{
	char *title;

	if (d && (t->err == EPERM || t->err == EACCES) &&
	    strcmp(t->step, "create") != 0 && strcmp(t->step, "write") != 0) {
		title = xasprintf(N_("a freshly written file under %s could "
				     "not be read back (%s at %s): something "
				     "blocks the application's files"),
				  d->real, strerror(t->err), t->step);
		finding(a, "antivirus.blocks", SEVERITY_FAIL, LEVEL_SUPPORT,
			title, "the file had random content, nothing to detect",
			d->watcher ? N_("with the vendor's technical support, "
					"your IT sets an exclusion of the "
					"directory (see "
					"antivirus.watch.no_exclusion)")
				   : N_("your IT checks the antivirus "
					"product's log for the denied file; "
					"the vendor's technical support helps "
					"set the exclusion"));
		d->blocked = true;
	} else {
		title = xasprintf(
			N_("cannot time file access under %s (%s at %s)"), dir,
			strerror(t->err), t->step);
		finding(a, "antivirus.timing.failed", SEVERITY_INFO, LEVEL_SELF,
			title, NULL,
			N_("run rdiag as a user that may write into the "
			   "directory"));
	}
	free(title);
}

static void left_behind(struct av *a, const char *dir, unsigned n)
{
	char *title;

	if (n == 0)
		return;
	title = xasprintf(N_("%u test files could not be removed from %s"), n,
			  dir);
	finding(a, "antivirus.cleanup_failed", SEVERITY_WARN, LEVEL_SELF, title,
		"their names start with .rdiag-av-", N_("remove them by hand"));
	free(title);
}

static void run_timing(struct av *a)
{
	char ctl[PATH_MAX], shown[PATH_MAX];
	struct timing c;
	bool any = false;

	for (size_t i = 0; i < a->ndirs; i++)
		any |= a->dirs[i].err == 0;
	if (!any)
		return;
	if (!pick_control(a, ctl, sizeof(ctl), shown, sizeof(shown))) {
		finding(a, "antivirus.timing.failed", SEVERITY_INFO, LEVEL_SELF,
			N_("no control directory for the timing could be made"),
			NULL, N_("set [antivirus] control_dir"));
		return;
	}
	time_dir(a, ctl, &c);
	if (rmdir(ctl) < 0)
		left_behind(a, ctl, c.left ? c.left : 1);
	ctx_fact(a->ctx, "timing.control.path", "%s", shown);
	if (!c.ok) {
		timing_failed(a, NULL, ctl, &c);
		return;
	}
	fact_timing(a, "timing.control", &c);
	for (size_t i = 0; i < a->ndirs; i++) {
		struct av_dir *d = &a->dirs[i];
		char prefix[64], *title, *detail;
		struct timing t;
		uint64_t limit;

		if (d->err)
			continue;
		time_dir(a, d->real, &t);
		left_behind(a, d->real, t.left);
		if (!t.ok) {
			timing_failed(a, d, d->real, &t);
			continue;
		}
		snprintf(prefix, sizeof(prefix), "timing.%zu", i);
		fact_timing(a, prefix, &t);
		detail = xasprintf("open+read+close of %u fresh %u KiB files: "
				   "median %.3f ms, p95 %.3f ms under %s; "
				   "median %.3f ms, p95 %.3f ms under %s",
				   t.n, a->file_kb, t.median / 1000.0,
				   t.p95 / 1000.0, d->real, c.median / 1000.0,
				   c.p95 / 1000.0, shown);
		limit = (uint64_t)c.median * (100u + a->warn_percent) / 100u;
		if (t.median > limit && t.median - c.median >= a->min_us) {
			char *hint = d->watcher
					     ? exclusion_text(a, d->watcher, d)
					     : NULL;

			title = xasprintf(N_("file access under %s is %.1fx "
					     "slower than under %s (median "
					     "%.3f ms vs %.3f ms per file)"),
					  d->real,
					  c.median ? (double)t.median / c.median
						   : (double)t.median,
					  shown, t.median / 1000.0,
					  c.median / 1000.0);
			finding(a, "antivirus.timing.slow", SEVERITY_WARN,
				LEVEL_SUPPORT, title, detail,
				hint ? hint
				     : N_("with the vendor's technical "
					  "support, your IT (the antivirus "
					  "administrator) sets an exclusion of "
					  "the directory"));
			free(hint);
		} else {
			title = xasprintf(N_("file access under %s is not "
					     "markedly slower than under %s "
					     "(median %.3f ms vs %.3f ms)"),
					  d->real, shown, t.median / 1000.0,
					  c.median / 1000.0);
			finding(a, "antivirus.timing.ok", SEVERITY_OK,
				LEVEL_SUPPORT, title, detail, NULL);
		}
		free(title);
		free(detail);
	}
}

/* --av-test. */

static const char *const outcome_names[] = { "allowed", "denied",
					     "removed or quarantined",
					     "changed" };

static void run_eicar(struct av *a)
{
	if (!a->av_test) {
		ctx_fact(a->ctx, "av_test", "not run (use --av-test)");
		return;
	}
	ctx_fact(a->ctx, "av_test",
		 "writing the EICAR test string into %zu application "
		 "director%s and removing it afterwards",
		 a->ndirs, a->ndirs == 1 ? "y" : "ies");
	ctx_log(a->ctx, "--av-test: writing the EICAR test file into the "
			"application directories");
	for (size_t i = 0; i < a->ndirs; i++) {
		struct av_dir *d = &a->dirs[i];
		struct av_eicar_job job;
		struct av_eicar_out out;
		struct bounded_result br;
		char *title, *hint;
		int r;

		if (d->err)
			continue;
		memset(&job, 0, sizeof(job));
		snprintf(job.dir, sizeof(job.dir), "%s", d->real);
		job.wait_ms = a->eicar_wait;
		ctx_log(a->ctx, "--av-test: EICAR test file in %s", d->real);
		r = ctx_bounded(a->ctx, a->eicar_wait + STAT_TIMEOUT_MS,
				av_eicar_run, &job, &out, sizeof(out), &br);
		if (r < 0 || br.status != BOUNDED_DONE ||
		    br.out_len != sizeof(out)) {
			title = xasprintf(
				N_("the EICAR test in %s did not finish"),
				d->real);
			finding(a, "antivirus.eicar.failed", SEVERITY_WARN,
				LEVEL_SELF, title,
				"a file named .rdiag-eicar-* may be left in it",
				N_("remove .rdiag-eicar-* from the directory"));
			free(title);
			continue;
		}
		if (out.cleanup_failed)
			left_behind(a, d->real, 1);
		if (out.write_err) {
			title = xasprintf(N_("cannot write the EICAR test file "
					     "into %s (%s at %s)"),
					  d->real, strerror(out.write_err),
					  out.step);
			/* EPERM, not EACCES: a security product said no. */
			if (out.write_err == EPERM)
				finding(a, "antivirus.eicar.failed",
					SEVERITY_FAIL, LEVEL_SUPPORT, title,
					NULL,
					N_("the antivirus (or another security "
					   "product) denied writing the test "
					   "file: your IT checks its log, and "
					   "with the vendor's technical "
					   "support sets an exclusion of the "
					   "directory"));
			else
				finding(a, "antivirus.eicar.failed",
					SEVERITY_INFO, LEVEL_SELF, title, NULL,
					N_("run rdiag as a user that may write "
					   "into the directory"));
			free(title);
			continue;
		}
		if (out.outcome == AV_EICAR_ALLOWED) {
			title = xasprintf(
				N_("the EICAR test file in %s was neither "
				   "blocked nor removed within %u ms"),
				d->real, a->eicar_wait);
			finding(a, "antivirus.eicar.not_blocked", SEVERITY_OK,
				LEVEL_SUPPORT, title, NULL, NULL);
			free(title);
			continue;
		}
		d->blocked = true;
		title = xasprintf(
			N_("the antivirus blocks files under %s: the EICAR "
			   "test file was %s%s%s after %lld ms"),
			d->real, outcome_names[out.outcome],
			out.err ? " with " : "",
			out.err ? strerror(out.err) : "",
			(long long)out.after_ms);
		hint = d->watcher ? exclusion_text(a, d->watcher, d)
				  : xstrdup("a file the product finds "
					    "suspicious will fail the same "
					    "way: with the vendor's technical "
					    "support, your IT sets an "
					    "exclusion of the directory");
		finding(a, "antivirus.eicar.blocked", SEVERITY_FAIL,
			LEVEL_SUPPORT, title,
			"the test file was removed again by rdiag", hint);
		free(hint);
		free(title);
	}
}

static int antivirus_run(struct collector_ctx *ctx)
{
	struct av a;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.state = xcalloc(av_nproducts, sizeof(*a.state));
	for (size_t i = 0; i < av_nproducts; i++)
		buf_init(&a.state[i].evidence, 4096);
	buf_init(&a.mdatp_exclusions, MDATP_OUT_MAX);
	a.have_mounts = mountinfo_load(ctx_root(ctx), &a.mounts) == 0;

	load_settings(&a);
	load_dirs(&a);
	scan_processes(&a);
	scan_installs(&a);
	clamav_load_conf(&a);
	clamav_engine(&a);
	mdatp_run(&a);
	report_products(&a);
	report_groups(&a);
	for (size_t i = 0; i < a.ndirs; i++)
		if (!a.dirs[i].err)
			report_watch(&a, &a.dirs[i]);
	run_timing(&a);
	run_eicar(&a);

	for (size_t i = 0; i < a.ngroups; i++)
		av_fanotify_release(&a.groups[i].fan);
	free(a.groups);
	for (size_t i = 0; i < av_nproducts; i++)
		buf_release(&a.state[i].evidence);
	free(a.state);
	free(a.dirs);
	if (a.have_clamd_conf)
		av_clamd_conf_release(&a.clamd);
	free(a.clamd_conf_path);
	free(a.clamd_conf_found);
	buf_release(&a.mdatp_exclusions);
	if (a.have_mounts)
		mount_table_release(&a.mounts);
	return a.rc;
}

const struct collector collector_antivirus = {
	.name = "antivirus",
	.summary = N_(
		"which antivirus/EDR is present, whether it watches, slows or "
		"blocks the application's files, and the exclusion to ask for"),
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 120000,
	.platforms = RDIAG_LINUX,
	.keys = antivirus_keys,
	.run = antivirus_run,
};
