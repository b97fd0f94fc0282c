/*
 * Pure parsers of the antivirus collector (see antivirus_parse.h). Every
 * input is treated as hostile: lengths are explicit, nothing is assumed
 * NUL-terminated, and numbers that do not fit are refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "antivirus_parse.h"
#include "rdiag/util.h"

#define LINE_MAX_LEN 4096

/* The next line of [*pos, len) into line (without '\n'); false at end. */
static bool next_line(const char *text, size_t len, size_t *pos,
		      const char **ret_line, size_t *ret_n)
{
	const char *nl;
	size_t start = *pos;

	if (start >= len)
		return false;
	nl = memchr(text + start, '\n', len - start);
	*ret_line = text + start;
	*ret_n = nl ? (size_t)(nl - (text + start)) : len - start;
	*pos = start + *ret_n + 1;
	return true;
}

/* Parse hex digits at s (up to n bytes) into *ret; the count consumed. */
static size_t scan_hex(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (v >> 60)
			return 0; /* would overflow 64 bits */
		v = v << 4 | d;
	}
	if (i > 0)
		*ret = v;
	return i;
}

/*
 * Find " name:HEX" (or "name:HEX" at the start) in a line of n bytes:
 * 1 and *ret when present and well-formed, 0 when absent, -1 when present
 * but malformed.
 */
static int field_hex(const char *line, size_t n, const char *name,
		     uint64_t *ret)
{
	size_t k = strlen(name);

	for (size_t i = 0; i + k < n; i++) {
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t') &&
		    memcmp(line + i, name, k) == 0 && line[i + k] == ':') {
			uint64_t v = 0;

			if (scan_hex(line + i + k + 1, n - i - k - 1, &v) == 0)
				return -1;
			*ret = v;
			return 1;
		}
	}
	return 0;
}

static void add_mark(struct av_fanotify *f, const struct av_mark *m,
		     size_t *cap)
{
	if (f->nmarks >= AV_FAN_MARKS_MAX) {
		f->nmarks_dropped++;
		return;
	}
	if (f->nmarks == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		f->marks = xreallocarray(f->marks, *cap, sizeof(*f->marks));
	}
	f->marks[f->nmarks++] = *m;
}

static void parse_mark(struct av_fanotify *f, const char *line, size_t n,
		       size_t *cap)
{
	struct av_mark m;
	uint64_t v = 0, mask = 0, ign = 0;
	int r;

	memset(&m, 0, sizeof(m));
	if (field_hex(line, n, "mask", &mask) != 1 || mask > UINT32_MAX ||
	    field_hex(line, n, "ignored_mask", &ign) < 0 || ign > UINT32_MAX) {
		f->nmarks_dropped++;
		return;
	}
	m.ignored = (uint32_t)ign;
	m.mask = (uint32_t)mask;
	if ((r = field_hex(line, n, "ino", &v)) != 0) {
		uint64_t dev = 0;

		m.type = AV_MARK_INODE;
		m.ino = v;
		if (r < 0 || field_hex(line, n, "sdev", &dev) != 1 ||
		    dev > UINT32_MAX) {
			f->nmarks_dropped++;
			return;
		}
		m.sdev = (uint32_t)dev;
	} else if ((r = field_hex(line, n, "mnt_id", &v)) != 0) {
		if (r < 0 || v > INT32_MAX) {
			f->nmarks_dropped++;
			return;
		}
		m.type = AV_MARK_MOUNT;
		m.mnt_id = (int)v;
	} else if (field_hex(line, n, "sdev", &v) == 1 && v <= UINT32_MAX) {
		m.type = AV_MARK_FILESYSTEM;
		m.sdev = (uint32_t)v;
	} else {
		f->nmarks_dropped++;
		return;
	}
	add_mark(f, &m, cap);
}

int av_fdinfo_parse(const char *text, size_t len, struct av_fanotify *ret)
{
	static const char prefix[] = "fanotify ";
	struct av_fanotify f;
	size_t pos = 0, n, cap = 0;
	const char *line;

	memset(&f, 0, sizeof(f));
	while (next_line(text, len, &pos, &line, &n)) {
		uint64_t v;

		if (n < sizeof(prefix) - 1 ||
		    memcmp(line, prefix, sizeof(prefix) - 1) != 0)
			continue;
		line += sizeof(prefix) - 1;
		n -= sizeof(prefix) - 1;
		if (n >= 6 && memcmp(line, "flags:", 6) == 0) {
			if (field_hex(line, n, "flags", &v) != 1 ||
			    v > UINT32_MAX)
				continue;
			f.is_fanotify = true;
			f.flags = (uint32_t)v;
			if (field_hex(line, n, "event-flags", &v) == 1 &&
			    v <= UINT32_MAX)
				f.event_flags = (uint32_t)v;
		} else {
			parse_mark(&f, line, n, &cap);
		}
	}
	if (!f.is_fanotify) {
		av_fanotify_release(&f);
		memset(ret, 0, sizeof(*ret));
		return -EINVAL;
	}
	*ret = f;
	return 0;
}

void av_fanotify_release(struct av_fanotify *f)
{
	free(f->marks);
	memset(f, 0, sizeof(*f));
}

bool av_fanotify_can_block(const struct av_fanotify *f)
{
	return (f->flags & AV_FAN_CLASS_MASK) != AV_FAN_CLASS_NOTIF;
}

/* clamd.conf */

static void strlist_add(struct av_strlist *l, const char *s, size_t n,
			size_t *bad)
{
	if (l->n >= AV_CLAMD_LIST_MAX) {
		(*bad)++;
		return;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrndup(s, n);
}

static void strlist_release(struct av_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int parse_bool(const char *s, size_t n)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (n == strlen(yes[i]) && strncasecmp(s, yes[i], n) == 0)
			return 1;
		if (n == strlen(no[i]) && strncasecmp(s, no[i], n) == 0)
			return 0;
	}
	return -1;
}

static void set_str(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = xstrndup(s, n);
}

/* memmem() is a GNU extension. */
static bool contains(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return true;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int av_clamd_conf_parse(const char *text, size_t len, struct av_clamd_conf *ret)
{
	struct av_clamd_conf c;
	size_t pos = 0, n;
	const char *line;

	memset(&c, 0, sizeof(c));
	c.prevention = c.extra_scanning = c.exclude_root = -1;
	while (next_line(text, len, &pos, &line, &n)) {
		const char *key, *val;
		size_t kn, vn;

		while (n > 0 && is_space(*line)) {
			line++;
			n--;
		}
		while (n > 0 && is_space(line[n - 1]))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (n > LINE_MAX_LEN || memchr(line, '\0', n)) {
			c.nlines_bad++;
			continue;
		}
		key = line;
		for (kn = 0; kn < n && !is_space(key[kn]); kn++)
			;
		val = key + kn;
		vn = n - kn;
		while (vn > 0 && is_space(*val)) {
			val++;
			vn--;
		}
		if (vn >= 2 && val[0] == '"' && val[vn - 1] == '"') {
			val++;
			vn -= 2;
		}
#define KEY(s) (kn == sizeof(s) - 1 && memcmp(key, s, kn) == 0)
		if (KEY("Example")) {
			c.example = true;
			continue;
		}
		if (vn == 0) {
			c.nlines_bad++;
			continue;
		}
		if (KEY("LocalSocket"))
			set_str(&c.local_socket, val, vn);
		else if (KEY("TCPSocket"))
			set_str(&c.tcp_socket, val, vn);
		else if (KEY("TCPAddr"))
			strlist_add(&c.tcp_addr, val, vn, &c.nlines_bad);
		else if (KEY("DatabaseDirectory"))
			set_str(&c.database_dir, val, vn);
		else if (KEY("OnAccessIncludePath"))
			strlist_add(&c.include_path, val, vn, &c.nlines_bad);
		else if (KEY("OnAccessExcludePath"))
			strlist_add(&c.exclude_path, val, vn, &c.nlines_bad);
		else if (KEY("OnAccessExcludeUname"))
			strlist_add(&c.exclude_uname, val, vn, &c.nlines_bad);
		else if (KEY("OnAccessMountPath"))
			strlist_add(&c.mount_path, val, vn, &c.nlines_bad);
		else if (KEY("OnAccessPrevention"))
			c.prevention = parse_bool(val, vn);
		else if (KEY("OnAccessExtraScanning"))
			c.extra_scanning = parse_bool(val, vn);
		else if (KEY("OnAccessExcludeRootUID"))
			c.exclude_root = parse_bool(val, vn);
#undef KEY
	}
	*ret = c;
	return 0;
}

void av_clamd_conf_release(struct av_clamd_conf *c)
{
	free(c->local_socket);
	free(c->tcp_socket);
	free(c->database_dir);
	strlist_release(&c->tcp_addr);
	strlist_release(&c->include_path);
	strlist_release(&c->exclude_path);
	strlist_release(&c->exclude_uname);
	strlist_release(&c->mount_path);
	memset(c, 0, sizeof(*c));
}

bool av_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

/* The longest entry of l that path lies under, or NULL. */
static const char *longest_under(const struct av_strlist *l, const char *path)
{
	const char *best = NULL;

	for (size_t i = 0; i < l->n; i++)
		if (av_path_under(path, l->v[i]) &&
		    (!best || strlen(l->v[i]) > strlen(best)))
			best = l->v[i];
	return best;
}

enum av_clamd_watch av_clamd_conf_watch(const struct av_clamd_conf *c,
					const char *path, const char **ret_rule)
{
	const char *inc = longest_under(&c->include_path, path);
	const char *ex = longest_under(&c->exclude_path, path);

	if (!inc)
		inc = longest_under(&c->mount_path, path);
	if (!inc) {
		if (ret_rule)
			*ret_rule = NULL;
		return AV_CLAMD_NOT_WATCHED;
	}
	if (ex) {
		if (ret_rule)
			*ret_rule = ex;
		return AV_CLAMD_EXCLUDED;
	}
	if (ret_rule)
		*ret_rule = inc;
	return AV_CLAMD_WATCHED;
}

/* mdatp */

/* Copy a value, without surrounding spaces and quotes, into dst. */
static void copy_value(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0;

	while (n > 0 && (is_space(*s) || *s == '"')) {
		s++;
		n--;
	}
	while (n > 0 && (is_space(s[n - 1]) || s[n - 1] == '"'))
		n--;
	for (size_t i = 0; i < n && o + 1 < dstlen; i++)
		dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[o] = '\0';
}

int av_mdatp_health_parse(const char *text, size_t len,
			  struct av_mdatp_health *ret)
{
	struct av_mdatp_health h;
	size_t pos = 0, n;
	const char *line;
	bool any = false;

	memset(&h, 0, sizeof(h));
	h.healthy = h.real_time = -1;
	while (next_line(text, len, &pos, &line, &n)) {
		const char *colon = memchr(line, ':', n);
		char key[64], val[64];

		if (!colon)
			continue;
		copy_value(key, sizeof(key), line, (size_t)(colon - line));
		copy_value(val, sizeof(val), colon + 1,
			   n - (size_t)(colon - line) - 1);
		if (strcmp(key, "healthy") == 0) {
			h.healthy = parse_bool(val, strlen(val));
			any = true;
		} else if (strcmp(key, "real_time_protection_enabled") == 0) {
			h.real_time = parse_bool(val, strlen(val));
			any = true;
		} else if (strcmp(key, "app_version") == 0) {
			memcpy(h.app_version, val, sizeof(val));
			any = true;
		} else if (strcmp(key, "definitions_status") == 0) {
			memcpy(h.definitions_status, val, sizeof(val));
			any = true;
		} else if (strcmp(key, "definitions_version") == 0) {
			memcpy(h.definitions_version, val, sizeof(val));
			any = true;
		}
	}
	if (!any)
		return -EINVAL;
	*ret = h;
	return 0;
}

int av_mdatp_excluded(const char *text, size_t len, const char *path)
{
	size_t pos = 0, n;
	const char *line;
	bool listy = false;

	while (next_line(text, len, &pos, &line, &n)) {
		const char *colon = memchr(line, ':', n);
		char key[32], val[LINE_MAX_LEN];

		if (contains(line, n, "----"))
			listy = true; /* table rule of an empty or full list */
		if (!colon)
			continue;
		copy_value(key, sizeof(key), line, (size_t)(colon - line));
		if (strcasecmp(key, "path") != 0 &&
		    strcasecmp(key, "exclusion type") != 0)
			continue;
		listy = true;
		if (strcasecmp(key, "path") != 0)
			continue;
		copy_value(val, sizeof(val), colon + 1,
			   n - (size_t)(colon - line) - 1);
		if (val[0] == '/' && av_path_under(path, val))
			return 1;
	}
	if (!listy && !(len == 0 || contains(text, len, "No exclusions")))
		return -EINVAL;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void av_stats(uint32_t *v, size_t n, uint32_t *ret_median, uint32_t *ret_p95)
{
	size_t rank;

	qsort(v, n, sizeof(*v), cmp_u32);
	*ret_median =
		n % 2 ? v[n / 2]
		      : (uint32_t)(((uint64_t)v[n / 2 - 1] + v[n / 2]) / 2);
	/* nearest rank: ceil(0.95 n) */
	rank = (95 * n + 99) / 100;
	*ret_p95 = v[rank > 0 ? rank - 1 : 0];
}
