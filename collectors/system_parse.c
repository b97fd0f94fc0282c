/*
 * Parsers for /proc and /etc text the system collector reads (see
 * system_parse.h). The input is the host's, so it is handled as untrusted:
 * bounded by len, no NUL terminator assumed, unknown lines ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"
#include "system_parse.h"

/* One line of text[0..len) starting at *pos; false at the end. */
static int next_line(const char *text, size_t len, size_t *pos,
		     const char **ret_line, size_t *ret_n)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
	*ret_line = text + *pos;
	*ret_n = n;
	*pos += n + (nl ? 1 : 0);
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The line with leading and trailing blanks cut off, as a new string. */
static char *trimmed(const char *s, size_t n)
{
	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Decimal digits at *s into *ret, advancing *s; -EINVAL / -ERANGE. */
static int scan_u64(const char **s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = *s;

	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*ret = v;
	return 0;
}

static void skip_blanks(const char **s, const char *end)
{
	while (*s < end && is_space(**s))
		(*s)++;
}

/* "12.34" (fraction optional, any length) as 1234; no locale involved. */
static int scan_x100(const char **s, const char *end, uint64_t *ret)
{
	uint64_t whole, frac = 0;
	int r;

	if ((r = scan_u64(s, end, &whole)) < 0)
		return r;
	if (whole > UINT64_MAX / 100 - 1)
		return -ERANGE;
	if (*s < end && **s == '.') {
		int digits = 0;

		for ((*s)++; *s < end && **s >= '0' && **s <= '9'; (*s)++)
			if (digits++ < 2)
				frac = frac * 10 + (uint64_t)(**s - '0');
		if (digits == 1)
			frac *= 10;
	}
	*ret = whole * 100 + frac;
	return 0;
}

/* os-release(5): KEY=value, value maybe "quoted" with \-escapes, or 'x'. */
static char *os_release_value(const char *v, size_t n)
{
	struct buf b;
	char q;

	while (n > 0 && is_space(v[n - 1]))
		n--;
	if (n == 0 || (v[0] != '"' && v[0] != '\''))
		return xstrndup(v, n);
	q = v[0];
	buf_init(&b, 0);
	for (size_t i = 1; i < n && v[i] != q; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n)
			i++;
		buf_putc(&b, v[i]);
	}
	return buf_detach(&b, NULL);
}

int system_parse_os_release(const char *text, size_t len,
			    struct system_osinfo *ret)
{
	static const char *const keys[] = { "NAME", "PRETTY_NAME", "ID",
					    "VERSION_ID" };
	struct system_osinfo o = { NULL, NULL, NULL, NULL };
	char **slots[] = { &o.name, &o.pretty_name, &o.id, &o.version_id };
	const char *line;
	size_t pos = 0, n;

	while (next_line(text, len, &pos, &line, &n)) {
		const char *eq = memchr(line, '=', n);

		if (!eq || line[0] == '#')
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if ((size_t)(eq - line) != strlen(keys[i]) ||
			    strncmp(line, keys[i], strlen(keys[i])) != 0)
				continue;
			free(*slots[i]);
			*slots[i] = os_release_value(
				eq + 1, n - (size_t)(eq - line) - 1);
		}
	}
	if (!o.name && !o.pretty_name && !o.id) {
		system_osinfo_release(&o);
		return -EINVAL;
	}
	*ret = o;
	return 0;
}

void system_osinfo_release(struct system_osinfo *o)
{
	free(o->name);
	free(o->pretty_name);
	free(o->id);
	free(o->version_id);
	memset(o, 0, sizeof(*o));
}

/* "Key:   1234 kB" → 1234 when the line is that key. */
static int kv_u64(const char *line, size_t n, const char *key, uint64_t *ret)
{
	size_t k = strlen(key);
	const char *p = line + k, *end = line + n;

	if (n <= k || strncmp(line, key, k) != 0 || line[k] != ':')
		return 0;
	p++;
	skip_blanks(&p, end);
	return scan_u64(&p, end, ret) == 0;
}

int system_parse_meminfo(const char *text, size_t len,
			 struct system_meminfo *ret)
{
	struct system_meminfo m;
	const char *line;
	size_t pos = 0, n;
	int has_total = 0;

	memset(&m, 0, sizeof(m));
	while (next_line(text, len, &pos, &line, &n)) {
		if (kv_u64(line, n, "MemTotal", &m.total_kb))
			has_total = 1;
		else if (kv_u64(line, n, "MemAvailable", &m.available_kb))
			m.has_available = 1;
		else if (kv_u64(line, n, "MemFree", &m.free_kb) ||
			 kv_u64(line, n, "Buffers", &m.buffers_kb) ||
			 kv_u64(line, n, "Cached", &m.cached_kb) ||
			 kv_u64(line, n, "SwapTotal", &m.swap_total_kb) ||
			 kv_u64(line, n, "SwapFree", &m.swap_free_kb))
			continue;
	}
	if (!has_total || m.total_kb == 0)
		return -EINVAL;
	/* Old kernels: what the free(1) of their day called "available". */
	if (!m.has_available)
		m.available_kb = m.free_kb + m.buffers_kb + m.cached_kb;
	if (m.available_kb > m.total_kb)
		m.available_kb = m.total_kb;
	*ret = m;
	return 0;
}

int system_parse_loadavg(const char *text, size_t len,
			 struct system_loadavg *ret)
{
	const char *p = text, *end = text + len;
	uint64_t l[3], running, total;

	for (size_t i = 0; i < 3; i++) {
		skip_blanks(&p, end);
		if (scan_x100(&p, end, &l[i]) < 0 || l[i] > UINT_MAX)
			return -EINVAL;
	}
	skip_blanks(&p, end);
	if (scan_u64(&p, end, &running) < 0 || p >= end || *p != '/')
		return -EINVAL;
	p++;
	if (scan_u64(&p, end, &total) < 0 || running > UINT_MAX ||
	    total > UINT_MAX)
		return -EINVAL;
	ret->load1_x100 = (unsigned)l[0];
	ret->load5_x100 = (unsigned)l[1];
	ret->load15_x100 = (unsigned)l[2];
	ret->running = (unsigned)running;
	ret->total = (unsigned)total;
	return 0;
}

int system_parse_uptime(const char *text, size_t len, uint64_t *ret_seconds)
{
	const char *p = text, *end = text + len;
	uint64_t x100;

	skip_blanks(&p, end);
	if (scan_x100(&p, end, &x100) < 0)
		return -EINVAL;
	*ret_seconds = x100 / 100;
	return 0;
}

/* "key<blanks>: value" → value, when the line's key is key. */
static const char *colon_value(const char *line, size_t n, const char *key,
			       size_t *ret_n)
{
	size_t k = strlen(key);
	const char *p = line + k, *end = line + n;

	if (n < k || strncmp(line, key, k) != 0)
		return NULL;
	skip_blanks(&p, end);
	if (p >= end || *p != ':')
		return NULL;
	p++;
	skip_blanks(&p, end);
	*ret_n = (size_t)(end - p);
	return p;
}

int system_parse_cpuinfo(const char *text, size_t len,
			 struct system_cpuinfo *ret)
{
	/* x86 and most others, then ARM boards, then MIPS. */
	static const char *const model_keys[] = { "model name", "Model",
						  "cpu model" };
	struct system_cpuinfo c = { 0, NULL };
	size_t rank = ARRAY_SIZE(model_keys);
	const char *line, *v;
	size_t pos = 0, n, vn;

	while (next_line(text, len, &pos, &line, &n)) {
		if (colon_value(line, n, "processor", &vn)) {
			c.count++;
			continue;
		}
		for (size_t i = 0; i < rank; i++) {
			v = colon_value(line, n, model_keys[i], &vn);
			if (!v || vn == 0)
				continue;
			free(c.model);
			c.model = trimmed(v, vn);
			rank = i;
			break;
		}
	}
	if (c.count == 0) {
		system_cpuinfo_release(&c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

void system_cpuinfo_release(struct system_cpuinfo *c)
{
	free(c->model);
	memset(c, 0, sizeof(*c));
}

/* "key 1234" → 1234 when the line is that key. */
static int space_u64(const char *line, size_t n, const char *key, uint64_t *ret)
{
	size_t k = strlen(key);
	const char *p = line + k, *end = line + n;

	if (n <= k || strncmp(line, key, k) != 0 || line[k] != ' ')
		return 0;
	skip_blanks(&p, end);
	return scan_u64(&p, end, ret) == 0;
}

int system_parse_vmstat(const char *text, size_t len, struct system_vmstat *ret)
{
	struct system_vmstat v = { 0, 0 };
	const char *line;
	size_t pos = 0, n;
	int seen = 0;

	while (next_line(text, len, &pos, &line, &n)) {
		if (space_u64(line, n, "pswpin", &v.pswpin))
			seen |= 1;
		else if (space_u64(line, n, "pswpout", &v.pswpout))
			seen |= 2;
	}
	if (seen != 3)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * "avg10=0.12 avg60=0.00 avg300=0.00 total=1234" after "some"/"full":
 * every one of the four keys once, in any order; unknown keys are
 * skipped so a later kernel's additions do not break us.
 */
static int psi_fields(const char *p, const char *end,
		      struct system_psi_line *ret)
{
	static const char *const keys[] = { "avg10", "avg60", "avg300",
					    "total" };
	uint64_t v[4] = { 0, 0, 0, 0 };
	unsigned seen = 0;

	for (;;) {
		const char *key, *eq;
		size_t i;

		skip_blanks(&p, end);
		if (p >= end)
			break;
		key = p;
		while (p < end && !is_space(*p) && *p != '=')
			p++;
		if (p >= end || *p != '=')
			return -EINVAL;
		eq = p++;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if ((size_t)(eq - key) == strlen(keys[i]) &&
			    strncmp(key, keys[i], strlen(keys[i])) == 0)
				break;
		if (i == ARRAY_SIZE(keys)) {
			while (p < end && !is_space(*p))
				p++;
			continue;
		}
		if ((i < 3 ? scan_x100(&p, end, &v[i])
			   : scan_u64(&p, end, &v[i])) < 0)
			return -EINVAL;
		/* a percentage of wall time is at most 100 */
		if (i < 3 && v[i] > 100 * 100)
			return -EINVAL;
		if (p < end && !is_space(*p))
			return -EINVAL;
		seen |= 1u << i;
	}
	if (seen != 0xf)
		return -EINVAL;
	ret->avg10_x100 = (unsigned)v[0];
	ret->avg60_x100 = (unsigned)v[1];
	ret->avg300_x100 = (unsigned)v[2];
	ret->total_us = v[3];
	return 0;
}

int system_parse_pressure(const char *text, size_t len,
			  struct system_pressure *ret)
{
	struct system_pressure ps;
	const char *line;
	size_t pos = 0, n;
	int seen_some = 0;

	memset(&ps, 0, sizeof(ps));
	while (next_line(text, len, &pos, &line, &n)) {
		const char *end = line + n;

		if (n > 5 && strncmp(line, "some ", 5) == 0) {
			if (psi_fields(line + 5, end, &ps.some) < 0)
				return -EINVAL;
			seen_some = 1;
		} else if (n > 5 && strncmp(line, "full ", 5) == 0) {
			if (psi_fields(line + 5, end, &ps.full) < 0)
				return -EINVAL;
			ps.has_full = 1;
		}
	}
	if (!seen_some)
		return -EINVAL;
	*ret = ps;
	return 0;
}

/* The first blank-separated word after a keyword, or NULL. */
static const char *keyword(const char *line, size_t n, const char *kw,
			   size_t *ret_n)
{
	size_t k = strlen(kw);
	const char *p = line + k, *end = line + n;

	if (n <= k || strncmp(line, kw, k) != 0 || !is_space(line[k]))
		return NULL;
	skip_blanks(&p, end);
	*ret_n = (size_t)(end - p);
	return p;
}

int system_parse_resolv_conf(const char *text, size_t len,
			     struct system_resolvconf *ret)
{
	struct system_resolvconf r;
	const char *line, *v;
	size_t pos = 0, n, vn;

	memset(&r, 0, sizeof(r));
	while (next_line(text, len, &pos, &line, &n)) {
		if ((v = keyword(line, n, "nameserver", &vn))) {
			size_t w = 0;

			while (w < vn && !is_space(v[w]) && v[w] != '#' &&
			       v[w] != ';')
				w++;
			if (w == 0)
				continue;
			if (r.n_nameservers == SYSTEM_MAX_NAMESERVERS)
				r.n_ignored++;
			else
				r.nameservers[r.n_nameservers++] =
					xstrndup(v, w);
		} else if ((v = keyword(line, n, "search", &vn)) ||
			   (v = keyword(line, n, "domain", &vn))) {
			free(r.search);
			r.search = trimmed(v, vn);
		}
	}
	*ret = r;
	return 0;
}

void system_resolvconf_release(struct system_resolvconf *r)
{
	for (size_t i = 0; i < r->n_nameservers; i++)
		free(r->nameservers[i]);
	free(r->search);
	memset(r, 0, sizeof(*r));
}

int system_parse_status(const char *text, size_t len, struct system_proc *ret)
{
	struct system_proc p;
	const char *line, *v;
	size_t pos = 0, n, vn;
	uint64_t x;
	int has_name = 0;

	memset(&p, 0, sizeof(p));
	while (next_line(text, len, &pos, &line, &n)) {
		if ((v = colon_value(line, n, "Name", &vn))) {
			size_t w = vn < sizeof(p.name) - 1 ? vn
							   : sizeof(p.name) - 1;

			memcpy(p.name, v, w);
			p.name[w] = '\0';
			has_name = 1;
		} else if ((v = colon_value(line, n, "Pid", &vn))) {
			if (scan_u64(&v, v + vn, &x) == 0 && x <= INT_MAX)
				p.pid = (int)x;
		} else if ((v = colon_value(line, n, "Uid", &vn))) {
			if (scan_u64(&v, v + vn, &x) == 0 && x <= UINT_MAX)
				p.uid = (unsigned)x;
		} else if ((v = colon_value(line, n, "VmRSS", &vn))) {
			if (scan_u64(&v, v + vn, &x) == 0)
				p.rss_kb = x;
		}
	}
	if (!has_name || p.pid <= 0)
		return -EINVAL;
	*ret = p;
	return 0;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct system_proc *x = a, *y = b;

	if (x->rss_kb != y->rss_kb)
		return x->rss_kb > y->rss_kb ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

size_t system_top_select(struct system_proc *v, size_t n, size_t k)
{
	if (n > 0)
		qsort(v, n, sizeof(*v), proc_cmp);
	return n < k ? n : k;
}

int system_top_format(const struct system_proc *v, size_t n, struct buf *b)
{
	int r;

	if ((r = buf_printf(b, "%8s %8s %12s  %s\n", "PID", "UID", "RSS_KB",
			    "NAME")) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = buf_printf(b, "%8d %8u %12llu  %s\n", v[i].pid,
				    v[i].uid, (unsigned long long)v[i].rss_kb,
				    v[i].name)) < 0)
			return r;
	return 0;
}

int system_parse_resolve(const char *text, size_t len,
			 struct system_resolve *ret)
{
	struct system_resolve r = { 0, NULL, NULL, NULL };
	const char *line;
	size_t pos = 0, n;

	if (!next_line(text, len, &pos, &line, &n))
		return -EINVAL;
	if (n == 2 && strncmp(line, "ok", 2) == 0) {
		if (!next_line(text, len, &pos, &line, &n) || n == 0)
			return -EINVAL;
		r.ok = 1;
		r.canonical = xstrndup(line, n);
		r.addresses = next_line(text, len, &pos, &line, &n)
				      ? xstrndup(line, n)
				      : xstrdup("");
	} else if (n == 5 && strncmp(line, "error", 5) == 0) {
		r.error = next_line(text, len, &pos, &line, &n)
				  ? xstrndup(line, n)
				  : xstrdup("unknown error");
	} else {
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

void system_resolve_release(struct system_resolve *r)
{
	free(r->canonical);
	free(r->addresses);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
