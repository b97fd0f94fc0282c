/*
 * The product collector: copies the business application's configuration
 * files (whole, up to a cap) and log files (tail-first, within --since) into
 * the bundle, counts error lines in the logs, and says whether and where the
 * application's data directories exist. Anything that lives on a network or
 * FUSE mount, and every glob and data directory lookup, is touched only
 * inside a bounded sub-worker: a hung NAS costs one finding, not the run.
 * See docs/collectors/product.md.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountinfo.h"
#include "product_log.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"

#define DEFAULT_LOG_MAX_MB         20
#define DEFAULT_CONFIG_MAX_KB      1024
#define DEFAULT_TOTAL_MAX_MB       200
#define DEFAULT_MAX_FILES          200
#define DEFAULT_NETWORK_TIMEOUT_MS 30000

#define IO_CHUNK      (64 * 1024) /* also the longest line handled whole */
#define EXCERPT_MAX   200
#define GLOB_OUT_MAX  (256 * 1024)
#define DETAIL_MAX    (16 * 1024)
#define ARTPATH_ROOM  (RECORD_MAX_ARTPATH - 8)
#define FALLBACK_NAME 100

/*
 * Error levels and words in English, German and Russian logs (case folds by
 * Unicode, see product_log.h). Russian words are stems, so every case
 * ending matches: "ошибк" finds ОШИБКА, ошибки, ошибкой. Warnings are not
 * counted, in any language.
 */
static const char *const default_patterns[] = {
	"error",    "fatal",         "severe",    "exception", "fehler",
	"kritisch", "schwerwiegend", "ausnahme",  "ошибк",     "критическ",
	"критичн",  "фатальн",       "исключени",
};

static const struct config_key product_keys[] = {
	{ "config", CONFIG_KEY_REPEATABLE,
	  "glob of the application's configuration files, e.g. /etc/app/*.ini",
	  NULL },
	{ "config_max_kb", 0,
	  "copy at most this many KiB of each configuration file (1024)",
	  NULL },
	{ "data_dir", CONFIG_KEY_REPEATABLE,
	  "a data directory of the application (also used by other collectors)",
	  NULL },
	{ "error_pattern", CONFIG_KEY_REPEATABLE,
	  "case-insensitive text (Unicode case folding) that marks an error "
	  "line in a log (default: error, fatal, severe, exception and their "
	  "German and Russian words)",
	  NULL },
	{ "log", CONFIG_KEY_REPEATABLE,
	  "glob of the application's log files, rotated ones included, e.g. "
	  "/var/log/app/app.log*",
	  NULL },
	{ "log_max_mb", 0,
	  "copy at most the last this many MiB of each log file (20)", NULL },
	{ "max_files", 0, "copy at most this many files in all (200)", NULL },
	{ "network_timeout_ms", 0,
	  "give up on one file or glob on a network mount after this long "
	  "(30000)",
	  NULL },
	{ "total_max_mb", 0, "copy at most this many MiB of files in all (200)",
	  NULL },
	{ NULL, 0, NULL, NULL },
};

enum file_kind {
	FILE_CONFIG,
	FILE_LOG,
};

static const char *const kind_names[] = { "config", "log" };

/* What to copy; handed to a sub-worker as it is. */
struct copy_job {
	const char *path;
	int out_fd;
	enum file_kind kind;
	uint64_t max;
	time_t since, now;
	const struct product_log_matcher *matcher;
};

enum copy_error {
	COPY_OK,
	COPY_ERR_OPEN,
	COPY_ERR_TYPE,
	COPY_ERR_READ,
	COPY_ERR_WRITE,
};

/* Plain data only: it comes back from a sub-worker through a pipe. */
struct copy_result {
	enum copy_error error;
	int err; /* errno of the failed step */
	bool skipped_old;
	bool truncated;
	char compressed[8];
	int64_t size, start, copied;
	int64_t lines_dropped, matches;
	char first_match[EXCERPT_MAX];
};

struct product {
	struct collector_ctx *ctx;
	time_t now, since;
	uint64_t log_max, config_max, total_max;
	unsigned max_files, timeout_ms;
	const char *const *patterns;
	size_t npatterns;
	struct product_log_matcher *matcher;

	struct mount_table mounts;
	bool have_mounts;
	int *hung; /* mount ids never to touch again */
	size_t nhung;
	bool all_hung; /* a hang without a mount table: touch nothing more */
	char **seen;   /* files already copied (by real path) */
	size_t nseen;

	unsigned nfiles, ncopied[2], ntruncated, nskipped_old, nskipped_hung,
		nskipped_total, nskipped_limit, nlogs_scanned, nerror_files;
	uint64_t total_copied, error_lines;
	int rc;

	struct buf invalid, missing[2], unreadable, data_missing, errors;
	unsigned ninvalid, nmissing[2], nunreadable, ndata_missing, ndata_ok;
	bool unreadable_eacces;
};

/* Append one line to a finding's detail; a full detail ends in "...". */
static void detail_add(struct buf *b, const char *fmt, ...) RDIAG_PRINTF(2, 3);

static void detail_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *line;

	/* Once full, a detail stays full: no lines after the "...". */
	if (b->len >= 3 && strcmp(b->data + b->len - 3, "...") == 0)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->len + 1 + strlen(line) + 4 <= b->max) {
		if (b->len > 0)
			buf_putc(b, '\n');
		buf_puts(b, line);
	} else {
		buf_puts(b, b->len > 0 ? "\n..." : "...");
	}
	free(line);
}

/* A printable, valid UTF-8 copy of s for facts and details; caller frees. */
static char *clean(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n + 1);

	product_log_excerpt(s, n, out, n + 1);
	return out;
}

static void fact_indexed(struct product *p, const char *group, unsigned idx,
			 const char *name, const char *fmt, ...)
	RDIAG_PRINTF(5, 6);

static void fact_indexed(struct product *p, const char *group, unsigned idx,
			 const char *name, const char *fmt, ...)
{
	char key[RECORD_MAX_KEY];
	char *raw, *value;
	va_list ap;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	value = clean(raw);
	snprintf(key, sizeof(key), "%s.%u.%s", group, idx, name);
	ctx_fact(p->ctx, key, "%s", value);
	free(value);
	free(raw);
}

/* Copying: shared by the direct path and the bounded sub-worker. */

static const struct {
	const char *name;
	unsigned char magic[6];
	size_t len;
} compressed_formats[] = {
	{ "gzip", { 0x1f, 0x8b }, 2 },
	{ "bzip2", { 'B', 'Z', 'h' }, 3 },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
};

static int copy_check(int fd, const struct copy_job *job,
		      struct copy_result *res)
{
	unsigned char head[6];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		res->error = COPY_ERR_READ;
		res->err = errno;
		return -res->err;
	}
	if (!S_ISREG(st.st_mode)) {
		res->error = COPY_ERR_TYPE;
		res->err = EINVAL;
		return -EINVAL;
	}
	res->size = st.st_size;
	/* Appended in time order: nothing in it can be newer than this. */
	if (job->kind == FILE_LOG && job->since != 0 &&
	    st.st_mtime < job->since) {
		res->skipped_old = true;
		return 0;
	}
	n = pread(fd, head, sizeof(head), 0);
	for (size_t i = 0; n > 0 && i < ARRAY_SIZE(compressed_formats); i++)
		if ((size_t)n >= compressed_formats[i].len &&
		    memcmp(head, compressed_formats[i].magic,
			   compressed_formats[i].len) == 0)
			snprintf(res->compressed, sizeof(res->compressed), "%s",
				 compressed_formats[i].name);
	return 0;
}

struct out_buf {
	int fd;
	char *data;
	size_t len;
};

static int out_flush(struct out_buf *o)
{
	int r = write_all(o->fd, o->data, o->len);

	o->len = 0;
	return r;
}

static int out_append(struct out_buf *o, const char *p, size_t n,
		      struct copy_result *res)
{
	int r;

	while (n > 0) {
		size_t k = IO_CHUNK - o->len < n ? IO_CHUNK - o->len : n;

		memcpy(o->data + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
		res->copied += (int64_t)k;
		if (o->len == IO_CHUNK && (r = out_flush(o)) < 0)
			return r;
	}
	return 0;
}

/* pread() that retries when a signal interrupts it. */
static ssize_t pread_retry(int fd, void *buf, size_t n, off_t off)
{
	ssize_t k;

	do
		k = pread(fd, buf, n, off);
	while (k < 0 && errno == EINTR);
	return k;
}

/* Copy bytes [0, len) as they are (configs, compressed logs). */
static void copy_head(int in, const struct copy_job *job, uint64_t len,
		      struct copy_result *res)
{
	char *chunk = xmalloc(IO_CHUNK);
	uint64_t off = 0;

	while (off < len) {
		size_t want = len - off < IO_CHUNK ? len - off : IO_CHUNK;
		ssize_t n = pread_retry(in, chunk, want, (off_t)off);
		int r;

		if (n < 0) {
			res->error = COPY_ERR_READ;
			res->err = errno;
			break;
		}
		if (n == 0)
			break; /* it shrank meanwhile */
		if ((r = write_all(job->out_fd, chunk, (size_t)n)) < 0) {
			res->error = COPY_ERR_WRITE;
			res->err = -r;
			break;
		}
		off += (uint64_t)n;
		res->copied += n;
	}
	free(chunk);
}

/*
 * The first line boundary at or after off: off itself when the byte before
 * it ends a line, else just past the next newline. When the window holds no
 * newline at all (one giant line) the raw offset is the best there is.
 */
static int64_t line_start(int in, int64_t off, int64_t end)
{
	char *chunk;
	int64_t pos;
	char c;

	if (off == 0 || (pread(in, &c, 1, (off_t)(off - 1)) == 1 && c == '\n'))
		return off;
	chunk = xmalloc(IO_CHUNK);
	for (pos = off; pos < end;) {
		size_t want =
			end - pos < IO_CHUNK ? (size_t)(end - pos) : IO_CHUNK;
		ssize_t n = pread_retry(in, chunk, want, (off_t)pos);
		char *nl;

		if (n <= 0)
			break;
		if ((nl = memchr(chunk, '\n', (size_t)n))) {
			pos += nl - chunk + 1;
			free(chunk);
			return pos;
		}
		pos += n;
	}
	free(chunk);
	return off;
}

struct line_state {
	const struct copy_job *job;
	struct copy_result *res;
	struct out_buf out;
	struct product_log_filter filter;
	bool keep, matched;
};

/* One line, or a piece of a line longer than IO_CHUNK (bol: its start). */
static int take_line(struct line_state *ls, const char *line, size_t len,
		     bool bol)
{
	const struct copy_job *job = ls->job;

	if (bol) {
		ls->keep = product_log_filter_line(&ls->filter, line, len);
		ls->matched = false;
		if (!ls->keep)
			ls->res->lines_dropped++;
	}
	if (!ls->keep)
		return 0;
	if (!ls->matched && product_log_match(job->matcher, line, len) >= 0) {
		ls->matched = true;
		if (ls->res->matches++ == 0) {
			/* Redact the whole line, then cut the excerpt. */
			char *red = ctx_redact(line, len);

			product_log_excerpt(red, strlen(red),
					    ls->res->first_match,
					    sizeof(ls->res->first_match));
			free(red);
		}
	}
	return out_append(&ls->out, line, len, ls->res);
}

/* Copy the text lines in [start, end), filtering and counting. */
static void copy_lines(int in, const struct copy_job *job, int64_t start,
		       int64_t end, struct copy_result *res)
{
	struct line_state ls = { .job = job, .res = res, .keep = true };
	char *chunk = xmalloc(IO_CHUNK);
	int64_t off = start;
	size_t have = 0;
	bool bol = true;
	int r = 0;

	ls.out.fd = job->out_fd;
	ls.out.data = xmalloc(IO_CHUNK);
	product_log_filter_init(&ls.filter, job->since, job->now);
	while (r == 0 && (off < end || have > 0)) {
		size_t used = 0;
		char *nl;

		if (off < end && have < IO_CHUNK) {
			size_t want = IO_CHUNK - have;
			ssize_t n;

			if ((int64_t)want > end - off)
				want = (size_t)(end - off);
			n = pread_retry(in, chunk + have, want, (off_t)off);
			if (n < 0) {
				res->error = COPY_ERR_READ;
				res->err = errno;
				break;
			}
			if (n == 0)
				end = off; /* it shrank meanwhile */
			off += n;
			have += (size_t)n;
		}
		while (r == 0 && used < have &&
		       (nl = memchr(chunk + used, '\n', have - used))) {
			size_t len = (size_t)(nl - (chunk + used)) + 1;

			r = take_line(&ls, chunk + used, len, bol);
			bol = true;
			used += len;
		}
		if (r == 0 && used == 0 && have == IO_CHUNK) {
			r = take_line(&ls, chunk, have, bol);
			bol = false;
			used = have;
		} else if (r == 0 && off >= end && used < have) {
			r = take_line(&ls, chunk + used, have - used, bol);
			used = have;
		}
		memmove(chunk, chunk + used, have - used);
		have -= used;
	}
	if (r == 0)
		r = out_flush(&ls.out);
	if (r < 0 && res->error == COPY_OK) {
		res->error = COPY_ERR_WRITE;
		res->err = -r;
	}
	free(ls.out.data);
	free(chunk);
}

static void copy_data(int in, const struct copy_job *job,
		      struct copy_result *res)
{
	uint64_t size = (uint64_t)res->size;

	res->truncated = size > job->max;
	if (job->kind == FILE_CONFIG || res->compressed[0]) {
		/* A compressed stream's head still decompresses; a tail not. */
		copy_head(in, job, res->truncated ? job->max : size, res);
		return;
	}
	res->start = res->truncated ? res->size - (int64_t)job->max : 0;
	res->start = line_start(in, res->start, res->size);
	copy_lines(in, job, res->start, res->size, res);
}

/*
 * The sub-worker for a file on a network mount: open, check and copy it
 * all here. The open is the application's own (no O_NONBLOCK): whatever
 * blocks, blocks in this process, where the deadline catches it.
 */
static int copy_in_worker(void *arg, void *out, size_t out_max)
{
	const struct copy_job *job = arg;
	struct copy_result res;
	int fd;

	memset(&res, 0, sizeof(res));
	fd = open(job->path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		res.error = COPY_ERR_OPEN;
		res.err = errno;
	} else {
		if (copy_check(fd, job, &res) == 0 && !res.skipped_old)
			copy_data(fd, job, &res);
		close(fd);
	}
	if (out_max < sizeof(res))
		return -ENOBUFS;
	memcpy(out, &res, sizeof(res));
	return (int)sizeof(res);
}

/* Globs run in a sub-worker too: listing a directory can hang as well. */

struct glob_job {
	const char *pattern;
	size_t max_matches;
};

/* Followed by max_matches "path\0realpath\0" pairs (realpath may be ""). */
struct glob_head {
	int rc;
	int err;
	size_t nfound, nreturned;
	char err_path[256];
};

/* glob(3)'s error callback takes no argument; this lives in the child. */
static struct glob_head *glob_child_head;

static int glob_on_error(const char *path, int err)
{
	if (glob_child_head && glob_child_head->err == 0) {
		glob_child_head->err = err;
		snprintf(glob_child_head->err_path,
			 sizeof(glob_child_head->err_path), "%s", path);
	}
	return 0; /* carry on with the rest */
}

static int glob_in_worker(void *arg, void *out, size_t out_max)
{
	const struct glob_job *job = arg;
	struct glob_head head;
	size_t off = sizeof(head);
	glob_t g;

	if (out_max < sizeof(head))
		return -ENOBUFS;
	memset(&head, 0, sizeof(head));
	memset(&g, 0, sizeof(g));
	glob_child_head = &head;
	head.rc = glob(job->pattern, 0, glob_on_error, &g);
	glob_child_head = NULL;
	if (head.rc == 0) {
		head.nfound = g.gl_pathc;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *path = g.gl_pathv[i];
			char *real = realpath(path, NULL);
			const char *rp = real ? real : "";
			size_t a = strlen(path) + 1, b = strlen(rp) + 1;

			if (head.nreturned == job->max_matches ||
			    off + a + b > out_max) {
				free(real);
				break;
			}
			memcpy((char *)out + off, path, a);
			memcpy((char *)out + off + a, rp, b);
			off += a + b;
			head.nreturned++;
			free(real);
		}
	}
	globfree(&g);
	memcpy(out, &head, sizeof(head));
	return (int)off;
}

struct probe_result {
	int err;
	bool is_dir;
	char real[PATH_MAX];
};

static int probe_in_worker(void *arg, void *out, size_t out_max)
{
	const char *path = arg;
	struct probe_result res;
	struct stat st;

	if (out_max < sizeof(res))
		return -ENOBUFS;
	memset(&res, 0, sizeof(res));
	if (stat(path, &st) < 0) {
		res.err = errno;
	} else {
		res.is_dir = S_ISDIR(st.st_mode);
		if (!realpath(path, res.real))
			res.real[0] = '\0';
	}
	memcpy(out, &res, sizeof(res));
	return (int)sizeof(res);
}

/* Mounts */

/* NULL without a mount table: then every path counts as a network path. */
static const struct mount_entry *product_mount(struct product *p,
					       const char *path)
{
	const struct mount_entry *m;
	char *real = NULL;

	if (!p->have_mounts)
		return NULL;
	/* Links followed without touching a share (see mount_resolve). */
	m = mount_resolve(&p->mounts, ctx_root(p->ctx), path, &real);
	free(real);
	return m;
}

static bool product_is_network(struct product *p, const struct mount_entry *m)
{
	return !p->have_mounts || (m && mount_is_network(m));
}

static bool product_is_hung(struct product *p, const struct mount_entry *m)
{
	if (p->all_hung)
		return true;
	for (size_t i = 0; m && i < p->nhung; i++)
		if (p->hung[i] == m->mount_id)
			return true;
	return false;
}

static void product_finding(struct product *p, const char *id,
			    enum severity sev, enum support_level level,
			    const char *title, const char *detail,
			    const char *hint)
{
	struct finding f = {
		.id = id,
		.severity = sev,
		.level = level,
		.title = title,
		.detail = detail,
		.hint = hint,
	};

	ctx_finding(p->ctx, &f);
}

static void product_report_hung(struct product *p, const struct mount_entry *m,
				const char *what, const char *path,
				const struct bounded_result *br)
{
	char *detail, *title, *hint, *where, *cpath = clean(path);

	if (m && mount_is_network(m)) {
		p->hung =
			xreallocarray(p->hung, p->nhung + 1, sizeof(*p->hung));
		p->hung[p->nhung++] = m->mount_id;
	} else if (!p->have_mounts) {
		p->all_hung = true;
	}
	where = m ? xasprintf("%s (%s from %s)", m->mount_point, m->fstype,
			      m->source)
		  : xstrdup("an unknown mount");
	title = xasprintf(N_("the file store at %s does not answer"),
			  m ? m->mount_point : cpath);
	if (br->status == BOUNDED_STUCK)
		detail = xasprintf(
			"%s '%s' on %s did not finish within %lld ms; "
			"sub-worker %d is stuck in the kernel at '%s' and was "
			"abandoned",
			what, cpath, where, (long long)br->elapsed_ms,
			(int)br->pid, br->wchan[0] ? br->wchan : "?");
	else
		detail = xasprintf("%s '%s' on %s did not finish within %lld "
				   "ms; sub-worker %d was killed",
				   what, cpath, where,
				   (long long)br->elapsed_ms, (int)br->pid);
	hint = xasprintf(N_("ask your IT to check the server behind %s and the "
			    "network path to it; rdiag did not touch this "
			    "mount again in this run"),
			 m ? m->mount_point : "this path");
	product_finding(p, "product.file.hung", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY, title, detail, hint);
	free(hint);
	free(detail);
	free(title);
	free(where);
	free(cpath);
}

/* Artifacts */

static bool artifact_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("._+,=@~-", c);
}

static void artifact_put_component(struct buf *b, const char *s, size_t n)
{
	/* "." and ".." may not be components of an artifact path. */
	bool dots = (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.');

	for (size_t k = 0; k < n; k++)
		buf_putc(b, dots || !artifact_char_ok(s[k]) ? '_' : s[k]);
}

/* files/<absolute path, each unsafe byte replaced by '_'>; caller frees. */
static char *artifact_relpath(const char *path)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "files");
	for (const char *s = path; *s;) {
		size_t n;

		while (*s == '/')
			s++;
		if ((n = strcspn(s, "/")) == 0)
			break;
		buf_putc(&b, '/');
		artifact_put_component(&b, s, n);
		s += n;
	}
	return buf_detach(&b, NULL);
}

/*
 * For a path too long, or one whose cleaned name is already taken ("a b"
 * and "a_b"): other/<index>-<basename>, unique by the index. The fact
 * file.N.artifact says where each file went.
 */
static char *artifact_fallback(const char *path, unsigned idx)
{
	const char *base = strrchr(path, '/');
	size_t n;
	struct buf b;

	base = base ? base + 1 : path;
	n = strlen(base) > FALLBACK_NAME ? FALLBACK_NAME : strlen(base);
	buf_init(&b, 0);
	buf_printf(&b, "other/%u-", idx);
	artifact_put_component(&b, base, n);
	return buf_detach(&b, NULL);
}

static int product_artifact_open(struct product *p, const char *path,
				 unsigned idx, char **ret_rel, int *ret_fd)
{
	char *rel = artifact_relpath(path);
	int fd, r = -ENAMETOOLONG;

	if (strlen(rel) <= ARTPATH_ROOM &&
	    (r = ctx_artifact_create(p->ctx, rel, &fd)) == 0) {
		*ret_rel = rel;
		*ret_fd = fd;
		return 0;
	}
	ctx_log(p->ctx, "cannot create artifact '%s' (%s), using another name",
		rel, strerror(-r));
	free(rel);
	rel = artifact_fallback(path, idx);
	if ((r = ctx_artifact_create(p->ctx, rel, &fd)) < 0) {
		free(rel);
		return r;
	}
	*ret_rel = rel;
	*ret_fd = fd;
	return 0;
}

/* One file */

static const char *copy_error_text(const struct copy_result *res)
{
	switch (res->error) {
	case COPY_ERR_OPEN:
		return "cannot open";
	case COPY_ERR_TYPE:
		return "not a regular file";
	case COPY_ERR_READ:
		return "cannot read";
	case COPY_ERR_WRITE:
		return "cannot write the copy";
	case COPY_OK:
		break;
	}
	return "ok";
}

static void product_unreadable(struct product *p, const char *path,
			       const char *why, int err)
{
	char *cpath = clean(path);

	if (err == EACCES || err == EPERM)
		p->unreadable_eacces = true;
	if (err && err != EINVAL)
		detail_add(&p->unreadable, "'%s': %s: %s", cpath, why,
			   strerror(err));
	else
		detail_add(&p->unreadable, "'%s': %s", cpath, why);
	p->nunreadable++;
	free(cpath);
}

static void product_file_report(struct product *p, unsigned idx,
				enum file_kind kind, const char *path,
				const struct copy_result *res)
{
	if (res->error != COPY_OK) {
		fact_indexed(p, "file", idx, "error", "%s: %s",
			     copy_error_text(res),
			     res->error == COPY_ERR_TYPE ? "not a regular file"
							 : strerror(res->err));
		if (res->error == COPY_ERR_WRITE) {
			ctx_log(p->ctx, "cannot write the copy of '%s': %s",
				path, strerror(res->err));
			p->rc = -res->err;
		} else {
			product_unreadable(p, path, copy_error_text(res),
					   res->err);
		}
		if (res->error == COPY_ERR_OPEN || res->error == COPY_ERR_TYPE)
			return;
	}
	if (res->skipped_old) {
		fact_indexed(p, "file", idx, "skipped", "older than --since");
		p->nskipped_old++;
		return;
	}
	fact_indexed(p, "file", idx, "size", "%lld", (long long)res->size);
	fact_indexed(p, "file", idx, "copied", "%lld", (long long)res->copied);
	fact_indexed(p, "file", idx, "truncated", "%s",
		     res->truncated ? "true" : "false");
	if (res->start > 0)
		fact_indexed(p, "file", idx, "offset", "%lld",
			     (long long)res->start);
	if (res->compressed[0])
		fact_indexed(p, "file", idx, "compressed", "%s",
			     res->compressed);
	p->total_copied += (uint64_t)res->copied;
	if (res->truncated)
		p->ntruncated++;
	if (res->error == COPY_OK)
		p->ncopied[kind]++;
	if (kind != FILE_LOG || res->compressed[0])
		return;
	p->nlogs_scanned++;
	if (p->since)
		fact_indexed(p, "file", idx, "lines_before_since", "%lld",
			     (long long)res->lines_dropped);
	fact_indexed(p, "file", idx, "error_lines", "%lld",
		     (long long)res->matches);
	if (res->matches > 0) {
		char *cpath = clean(path);

		p->error_lines += (uint64_t)res->matches;
		p->nerror_files++;
		detail_add(&p->errors, "'%s': %lld lines, first: %s", cpath,
			   (long long)res->matches, res->first_match);
		free(cpath);
	}
}

/* Copy a file on a local mount directly. */
static void product_copy_local(struct product *p, unsigned idx,
			       struct copy_job *job)
{
	struct copy_result res;
	char *rel = NULL;
	int in, r;

	memset(&res, 0, sizeof(res));
	/* O_NONBLOCK: a FIFO or device in the glob must not block the open. */
	in = open(job->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0) {
		res.error = COPY_ERR_OPEN;
		res.err = errno;
		product_file_report(p, idx, job->kind, job->path, &res);
		return;
	}
	if (copy_check(in, job, &res) < 0 || res.skipped_old) {
		product_file_report(p, idx, job->kind, job->path, &res);
		close(in);
		return;
	}
	if ((r = product_artifact_open(p, job->path, idx, &rel, &job->out_fd)) <
	    0) {
		ctx_log(p->ctx, "cannot create an artifact for '%s': %s",
			job->path, strerror(-r));
		p->rc = r;
		close(in);
		return;
	}
	copy_data(in, job, &res);
	close(in);
	if ((r = ctx_artifact_close(p->ctx, rel, job->out_fd)) < 0)
		p->rc = r;
	fact_indexed(p, "file", idx, "artifact", "%s", rel);
	product_file_report(p, idx, job->kind, job->path, &res);
	free(rel);
}

/* Copy a file on a network mount, all of it inside a sub-worker. */
static int product_copy_bounded(struct product *p, unsigned idx,
				struct copy_job *job,
				const struct mount_entry *m)
{
	struct copy_result res;
	struct bounded_result br;
	char *rel = NULL;
	int r;

	if ((r = product_artifact_open(p, job->path, idx, &rel, &job->out_fd)) <
	    0) {
		ctx_log(p->ctx, "cannot create an artifact for '%s': %s",
			job->path, strerror(-r));
		p->rc = r;
		return 0;
	}
	r = ctx_bounded(p->ctx, p->timeout_ms, copy_in_worker, job, &res,
			sizeof(res), &br);
	/* The sub-worker wrote what it could; the record must match. */
	ctx_artifact_close(p->ctx, rel, job->out_fd);
	fact_indexed(p, "file", idx, "artifact", "%s", rel);
	free(rel);
	if (r < 0)
		return r;
	fact_indexed(p, "file", idx, "elapsed_ms", "%lld",
		     (long long)br.elapsed_ms);
	switch (br.status) {
	case BOUNDED_DONE:
		if (br.out_len == sizeof(res)) {
			product_file_report(p, idx, job->kind, job->path, &res);
			break;
		}
		product_unreadable(p, job->path, "the copy failed", 0);
		break;
	case BOUNDED_TIMEOUT:
	case BOUNDED_STUCK:
		fact_indexed(p, "file", idx, "error", "hung");
		product_report_hung(p, m, "reading", job->path, &br);
		break;
	case BOUNDED_CRASHED:
		fact_indexed(p, "file", idx, "error", "sub-worker crashed");
		product_unreadable(p, job->path, "the copy crashed", 0);
		break;
	}
	return 0;
}

static bool product_seen(struct product *p, const char *key)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i], key) == 0)
			return true;
	p->seen = xreallocarray(p->seen, p->nseen + 1, sizeof(*p->seen));
	p->seen[p->nseen++] = xstrdup(key);
	return false;
}

static int product_file(struct product *p, enum file_kind kind,
			const char *path, const char *real)
{
	const char *where = real[0] ? real : path;
	const struct mount_entry *m = product_mount(p, where);
	uint64_t max = kind == FILE_LOG ? p->log_max : p->config_max;
	struct copy_job job = {
		.path = path,
		.out_fd = -1,
		.kind = kind,
		.since = p->since,
		.now = p->now,
		.matcher = p->matcher,
	};
	unsigned idx;

	if (product_seen(p, where)) {
		ctx_log(p->ctx, "'%s' matched twice, copied once", path);
		return 0;
	}
	if (p->nfiles >= p->max_files) {
		p->nskipped_limit++;
		return 0;
	}
	idx = ++p->nfiles;
	fact_indexed(p, "file", idx, "path", "%s", path);
	fact_indexed(p, "file", idx, "kind", "%s", kind_names[kind]);
	if (strcmp(where, path) != 0)
		fact_indexed(p, "file", idx, "realpath", "%s", where);
	if (m)
		fact_indexed(p, "file", idx, "fstype", "%s", m->fstype);
	fact_indexed(p, "file", idx, "network", "%s",
		     product_is_network(p, m) ? "true" : "false");
	if (product_is_hung(p, m)) {
		fact_indexed(p, "file", idx, "skipped", "mount hung");
		p->nskipped_hung++;
		return 0;
	}
	if (p->total_copied >= p->total_max) {
		fact_indexed(p, "file", idx, "skipped", "total_max_mb reached");
		p->nskipped_total++;
		return 0;
	}
	job.max = p->total_max - p->total_copied < max
			  ? p->total_max - p->total_copied
			  : max;
	if (product_is_network(p, m))
		return product_copy_bounded(p, idx, &job, m);
	product_copy_local(p, idx, &job);
	return 0;
}

/* The directory part of a glob before its first wildcard. */
static char *glob_prefix(const char *pattern)
{
	size_t n = strcspn(pattern, "*?[");
	char *s = xstrndup(pattern, n);
	char *slash;

	if (pattern[n] != '\0' && (slash = strrchr(s, '/')))
		slash[slash == s ? 1 : 0] = '\0';
	return s;
}

static void product_invalid(struct product *p, const char *key,
			    const char *value, const char *why)
{
	char *cvalue = clean(value),
	     *where = ctx_config_where(p->ctx, key, value);

	/* Each line names where its value was written. */
	if (where)
		detail_add(&p->invalid, "%s = %s (%s): %s", key, cvalue, where,
			   why);
	else
		detail_add(&p->invalid, "%s = %s: %s", key, cvalue, why);
	p->ninvalid++;
	free(where);
	free(cvalue);
}

static int product_glob(struct product *p, enum file_kind kind, unsigned idx,
			const char *pattern)
{
	const char *group = kind_names[kind];
	struct glob_job job = { .pattern = pattern };
	const struct mount_entry *m;
	struct bounded_result br;
	struct glob_head head;
	char *prefix, *out;
	size_t off;
	int r = 0;

	fact_indexed(p, group, idx, "pattern", "%s", pattern);
	if (pattern[0] != '/') {
		product_invalid(p, group, pattern, "not an absolute path");
		return 0;
	}
	prefix = glob_prefix(pattern);
	m = product_mount(p, prefix);
	free(prefix);
	if (product_is_hung(p, m)) {
		fact_indexed(p, group, idx, "skipped", "mount hung");
		return 0;
	}
	job.max_matches = p->max_files;
	out = xmalloc(GLOB_OUT_MAX);
	if ((r = ctx_bounded(p->ctx, p->timeout_ms, glob_in_worker, &job, out,
			     GLOB_OUT_MAX, &br)) < 0)
		goto out;
	if (br.status == BOUNDED_TIMEOUT || br.status == BOUNDED_STUCK) {
		fact_indexed(p, group, idx, "error", "hung");
		product_report_hung(p, m, "listing", pattern, &br);
		goto out;
	}
	if (br.status != BOUNDED_DONE || br.out_len < sizeof(head)) {
		product_unreadable(p, pattern, "listing failed", 0);
		goto out;
	}
	memcpy(&head, out, sizeof(head));
	fact_indexed(p, group, idx, "matches", "%zu", head.nfound);
	/* A directory of the pattern that does not exist: nothing matches. */
	if (head.rc == GLOB_NOMATCH &&
	    (head.err == 0 || head.err == ENOENT || head.err == ENOTDIR)) {
		char *cpattern = clean(pattern);
		char *where = ctx_config_where(p->ctx, group, pattern);

		if (where)
			detail_add(&p->missing[kind], "%s (%s)", cpattern,
				   where);
		else
			detail_add(&p->missing[kind], "%s", cpattern);
		p->nmissing[kind]++;
		free(where);
		free(cpattern);
		goto out;
	}
	if (head.rc != 0) {
		char *msg = xasprintf("cannot list '%s'",
				      head.err ? head.err_path : pattern);

		product_unreadable(p, pattern, msg, head.err);
		free(msg);
		goto out;
	}
	if (head.err)
		ctx_log(p->ctx, "listing '%s' for '%s': %s, ignoring",
			head.err_path, pattern, strerror(head.err));
	if (head.nreturned < head.nfound) {
		fact_indexed(p, group, idx, "listed", "%zu", head.nreturned);
		p->nskipped_limit += (unsigned)(head.nfound - head.nreturned);
	}
	off = sizeof(head);
	for (size_t i = 0; i < head.nreturned && off < br.out_len; i++) {
		const char *path = out + off;
		const char *real = path + strlen(path) + 1;

		off += strlen(path) + strlen(real) + 2;
		if (ctx_remaining_ms(p->ctx) == 0) {
			r = -ETIME;
			break;
		}
		if ((r = product_file(p, kind, path, real)) < 0)
			break;
	}
out:
	free(out);
	return r;
}

static int product_data_dir(struct product *p, unsigned idx, const char *path)
{
	const struct mount_entry *m = product_mount(p, path);
	struct bounded_result br;
	struct probe_result res;
	char *cpath = clean(path);
	int r = 0;

	fact_indexed(p, "data_dir", idx, "path", "%s", path);
	if (path[0] != '/') {
		product_invalid(p, "data_dir", path, "not an absolute path");
		goto out;
	}
	if (product_is_hung(p, m)) {
		fact_indexed(p, "data_dir", idx, "skipped", "mount hung");
		goto out;
	}
	/* stat() too: a local-looking path may lead onto a share. */
	if ((r = ctx_bounded(p->ctx, p->timeout_ms, probe_in_worker,
			     (void *)path, &res, sizeof(res), &br)) < 0)
		goto out;
	if (br.status == BOUNDED_TIMEOUT || br.status == BOUNDED_STUCK) {
		fact_indexed(p, "data_dir", idx, "exists", "unknown");
		product_report_hung(p, m, "looking up", path, &br);
		goto out;
	}
	if (br.status != BOUNDED_DONE || br.out_len != sizeof(res)) {
		product_unreadable(p, path, "lookup failed", 0);
		goto out;
	}
	if (res.err == EACCES || res.err == EPERM) {
		fact_indexed(p, "data_dir", idx, "exists", "unknown");
		product_unreadable(p, path, "cannot look up", res.err);
		goto out;
	}
	if (res.err != 0 || !res.is_dir) {
		fact_indexed(p, "data_dir", idx, "exists", "false");
		detail_add(&p->data_missing, "'%s': %s", cpath,
			   res.err ? strerror(res.err) : "not a directory");
		p->ndata_missing++;
		goto out;
	}
	fact_indexed(p, "data_dir", idx, "exists", "true");
	if (res.real[0] && strcmp(res.real, path) != 0) {
		fact_indexed(p, "data_dir", idx, "realpath", "%s", res.real);
		m = product_mount(p, res.real);
	}
	if (m) {
		fact_indexed(p, "data_dir", idx, "mount", "%s", m->mount_point);
		fact_indexed(p, "data_dir", idx, "fstype", "%s", m->fstype);
		fact_indexed(p, "data_dir", idx, "source", "%s", m->source);
	}
	fact_indexed(p, "data_dir", idx, "network", "%s",
		     product_is_network(p, m) ? "true" : "false");
	p->ndata_ok++;
out:
	free(cpath);
	return r;
}

static unsigned long long product_setting(struct product *p, const char *key,
					  unsigned long long def,
					  unsigned long long max)
{
	const char *v = ctx_config_get(p->ctx, key);
	unsigned long long n;

	if (!v)
		return def;
	if (parse_config_uint(key, v, 1, max, &n) < 0) {
		char *why = xasprintf("not a number from 1 to %llu, using %llu",
				      max, def);

		product_invalid(p, key, v, why);
		free(why);
		return def;
	}
	return n;
}

static void product_summary(struct product *p)
{
	char *title, *detail;

	if (p->ninvalid)
		product_finding(p, "product.setting.invalid", SEVERITY_WARN,
				LEVEL_SELF,
				N_("some [product] settings in rdiag's "
				   "configuration are invalid"),
				p->invalid.data,
				N_("correct them where each line says (see "
				   "`rdiag list --verbose`)"));
	if (p->ndata_missing) {
		product_finding(p, "product.data_dir.missing", SEVERITY_FAIL,
				LEVEL_SELF,
				N_("a data directory of the application does "
				   "not exist"),
				p->data_missing.data,
				N_("check that [product] data_dir in rdiag's "
				   "configuration is the directory the "
				   "application uses; if it is on a share, "
				   "check that the share is mounted"));
	} else if (p->ndata_ok) {
		title = xasprintf(
			p->ndata_ok == 1
				? N_("%u data directory of the application "
				     "exist")
				: N_("%u data directories of the application "
				     "exist"),
			p->ndata_ok);
		product_finding(p, "product.data_dir.ok", SEVERITY_OK,
				LEVEL_SELF, title, NULL, NULL);
		free(title);
	}
	for (int k = FILE_CONFIG; k <= FILE_LOG; k++) {
		if (!p->nmissing[k])
			continue;
		product_finding(
			p,
			k == FILE_CONFIG ? "product.config.missing"
					 : "product.log.missing",
			SEVERITY_WARN, LEVEL_SELF,
			k == FILE_CONFIG
				? N_("no configuration file matches a "
				     "pattern in rdiag's configuration")
				: N_("no log file matches a pattern in "
				     "rdiag's configuration"),
			p->missing[k].data,
			k == FILE_CONFIG
				? N_("correct [product] config (where each "
				     "line says) to where the application "
				     "keeps its configuration")
				: N_("correct [product] log (where each line "
				     "says) to where the application writes "
				     "its logs"));
	}
	if (p->nunreadable) {
		title = xasprintf(p->nunreadable == 1
					  ? N_("%u product file could not be "
					       "read")
					  : N_("%u product files could not be "
					       "read"),
				  p->nunreadable);
		product_finding(p, "product.file.unreadable", SEVERITY_WARN,
				LEVEL_SELF, title, p->unreadable.data,
				p->unreadable_eacces
					? N_("run rdiag as root, or give the "
					     "user running it read access to "
					     "these files")
					: N_("narrow the [product] patterns in "
					     "rdiag's configuration to regular "
					     "files, or repair the links they "
					     "match"));
		free(title);
	}
	if (p->ncopied[FILE_CONFIG] + p->ncopied[FILE_LOG] > 0) {
		title = xasprintf(N_("copied %u configuration and %u log "
				     "files"),
				  p->ncopied[FILE_CONFIG],
				  p->ncopied[FILE_LOG]);
		detail = xasprintf("%u truncated to their cap, %u logs older "
				   "than --since left out, %llu bytes in all",
				   p->ntruncated, p->nskipped_old,
				   (unsigned long long)p->total_copied);
		product_finding(p, "product.files.ok", SEVERITY_OK, LEVEL_SELF,
				title, detail, NULL);
		free(title);
		free(detail);
	}
	if (p->nskipped_total || p->nskipped_limit) {
		title = xasprintf(N_("%u product files were not copied: the "
				     "bundle's limits were reached"),
				  p->nskipped_total + p->nskipped_limit);
		detail = xasprintf("%u beyond total_max_mb, %u beyond "
				   "max_files",
				   p->nskipped_total, p->nskipped_limit);
		product_finding(p, "product.files.limit", SEVERITY_INFO,
				LEVEL_SELF, title, detail,
				N_("raise total_max_mb or max_files in "
				   "[product], or narrow the patterns, if "
				   "support needs these files"));
		free(title);
		free(detail);
	}
	if (p->error_lines) {
		title = xasprintf(
			p->nerror_files == 1 ? N_("%llu error lines in %u log "
						  "file")
					     : N_("%llu error lines in %u log "
						  "files"),
			(unsigned long long)p->error_lines, p->nerror_files);
		/* Within a --since window they are this problem's errors. */
		product_finding(p, "product.log.errors",
				p->since ? SEVERITY_WARN : SEVERITY_INFO,
				LEVEL_SUPPORT, title, p->errors.data,
				N_("the vendor's support reads these lines in "
				   "the bundle's files/ directory"));
		free(title);
	} else if (p->nlogs_scanned) {
		title = xasprintf(
			p->nlogs_scanned == 1
				? N_("no error lines in %u log file")
				: N_("no error lines in %u log files"),
			p->nlogs_scanned);
		product_finding(p, "product.log.no_errors", SEVERITY_OK,
				LEVEL_SUPPORT, title, NULL, NULL);
		free(title);
	}
}

static void product_init(struct product *p, struct collector_ctx *ctx)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	buf_init(&p->invalid, DETAIL_MAX);
	buf_init(&p->missing[FILE_CONFIG], DETAIL_MAX);
	buf_init(&p->missing[FILE_LOG], DETAIL_MAX);
	buf_init(&p->unreadable, DETAIL_MAX);
	buf_init(&p->data_missing, DETAIL_MAX);
	buf_init(&p->errors, DETAIL_MAX);
}

static void product_release(struct product *p)
{
	buf_release(&p->invalid);
	buf_release(&p->missing[FILE_CONFIG]);
	buf_release(&p->missing[FILE_LOG]);
	buf_release(&p->unreadable);
	buf_release(&p->data_missing);
	buf_release(&p->errors);
	for (size_t i = 0; i < p->nseen; i++)
		free(p->seen[i]);
	free(p->seen);
	free(p->hung);
	if (p->have_mounts)
		mount_table_release(&p->mounts);
	product_log_matcher_free(p->matcher);
}

static int product_not_configured(struct collector_ctx *ctx)
{
	struct finding f = {
		.id = "product.not_configured",
		.severity = SEVERITY_INFO,
		.level = LEVEL_SELF,
		.title = N_("the application's files are not configured for "
			    "rdiag"),
		.hint = N_("add a [product] section to /etc/rdiag/rdiag.conf "
			   "with data_dir, config and log (globs such as "
			   "/var/log/app/*.log) so its files go into the "
			   "bundle"),
	};

	ctx_finding(ctx, &f);
	ctx_skip(ctx, "no [product] data_dir, config or log configured");
	return 0;
}

static int product_run(struct collector_ctx *ctx)
{
	const char *const *data_dirs, *const *configs, *const *logs;
	size_t ndata, nconfigs, nlogs, n;
	struct product p;
	int r = 0;

	ndata = ctx_config_values(ctx, "data_dir", &data_dirs);
	nconfigs = ctx_config_values(ctx, "config", &configs);
	nlogs = ctx_config_values(ctx, "log", &logs);
	if (ndata + nconfigs + nlogs == 0)
		return product_not_configured(ctx);

	product_init(&p, ctx);
	p.now = time(NULL);
	p.since = ctx_since(ctx);
	p.log_max = product_setting(&p, "log_max_mb", DEFAULT_LOG_MAX_MB,
				    64 * 1024) *
		    1024 * 1024;
	p.config_max = product_setting(&p, "config_max_kb",
				       DEFAULT_CONFIG_MAX_KB, 1024 * 1024) *
		       1024;
	p.total_max = product_setting(&p, "total_max_mb", DEFAULT_TOTAL_MAX_MB,
				      1024 * 1024) *
		      1024 * 1024;
	p.max_files = (unsigned)product_setting(&p, "max_files",
						DEFAULT_MAX_FILES, 100000);
	p.timeout_ms = (unsigned)product_setting(&p, "network_timeout_ms",
						 DEFAULT_NETWORK_TIMEOUT_MS,
						 3600 * 1000);
	n = ctx_config_values(ctx, "error_pattern", &p.patterns);
	for (size_t i = 0; i < n; i++)
		if (p.patterns[i][0] == '\0')
			product_invalid(&p, "error_pattern", "",
					"empty, never matches");
	p.npatterns = n;
	if (n == 0) {
		p.patterns = default_patterns;
		p.npatterns = ARRAY_SIZE(default_patterns);
	}
	{
		int bad;

		p.matcher =
			product_log_matcher_new(p.patterns, p.npatterns, &bad);
		if (bad >= 0)
			product_invalid(&p, "error_pattern", p.patterns[bad],
					"not valid UTF-8 text, never matches");
	}
	if (p.since) {
		char iso[32];

		utc_iso8601(p.since, iso, sizeof(iso));
		ctx_fact(ctx, "since", "%s", iso);
	}

	if ((r = mountinfo_load(ctx_root(ctx), &p.mounts)) == 0)
		p.have_mounts = true;
	else
		ctx_log(ctx,
			"cannot load the mount table (%s): every path "
			"counts as a network path",
			strerror(-r));
	r = 0;

	for (size_t i = 0; r == 0 && i < ndata; i++)
		r = product_data_dir(&p, (unsigned)i + 1, data_dirs[i]);
	for (size_t i = 0; r == 0 && i < nconfigs; i++)
		r = product_glob(&p, FILE_CONFIG, (unsigned)i + 1, configs[i]);
	for (size_t i = 0; r == 0 && i < nlogs; i++)
		r = product_glob(&p, FILE_LOG, (unsigned)i + 1, logs[i]);
	if (r < 0)
		ctx_log(ctx, "stopped early: %s", strerror(-r));
	product_summary(&p);
	if (r == 0)
		r = p.rc;
	product_release(&p);
	return r;
}

const struct collector collector_product = {
	.name = "product",
	.summary = N_("the application's configuration and logs, error lines, "
		      "data directories"),
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 120000,
	.staging_mb = DEFAULT_TOTAL_MAX_MB,
	.staging_mb_key = "total_max_mb",
	.keys = product_keys,
	.run = product_run,
};
