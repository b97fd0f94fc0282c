/*
 * Parsers for the files the Linux terminal-server collector reads. Input is
 * untrusted text of a given length (not necessarily NUL-terminated); every
 * copy is bounded and truncated, never overflowed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "rdiag/utf8.h"
#include "rdiag/util.h"
#include "terminal_server_parse.h"

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, const char **ret,
		      size_t *ret_len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return false;
	nl = memchr(s, '\n', (size_t)(end - s));
	*ret = s;
	*ret_len = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return true;
}

/* Copy at most n bytes of s into dst (dstlen > 0), NUL-terminated. */
static void copy_text(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	/* Embedded NULs would cut the value silently; keep it visible. */
	for (size_t i = 0; i < n; i++)
		if (dst[i] == '\0' || dst[i] == '\r')
			dst[i] = '?';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* A whole number for a setting; -1 when it is not one. */
static long number_or_unset(const char *v)
{
	unsigned long long x;

	if (parse_uint(v, 0, 1000000000ULL, &x) < 0)
		return -1;
	return (long)x;
}

static int text_bool(const char *v)
{
	return strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

typedef void (*ini_fn)(void *arg, const char *section, const char *key,
		       const char *value);

/* The text inih reads, a line at a time, and where the entries go. */
struct ini_text {
	const char *p, *end;
	ini_fn fn;
	void *arg;
};

/*
 * inih's line reader over [p, end): one whole line per call, trimmed (xrdp
 * has no continuation lines, so an indented key stays a key), cut at num - 1
 * bytes with the rest of the line skipped (never read as a line of its own) and
 * embedded NULs shown as '?'.
 */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct ini_text *t = stream;
	const char *l;
	size_t n;

	if (!next_line(&t->p, t->end, &l, &n))
		return NULL;
	trim(&l, &n);
	copy_text(str, (size_t)num, l, n);
	return str;
}

static int ini_entry(void *user, const char *section, const char *name,
		     const char *value)
{
	struct ini_text *t = user;

	t->fn(t->arg, section, name, value);
	return 1;
}

/*
 * xrdp's INI dialect, parsed by inih: [section], key=value, ';' and '#'
 * comments. Malformed lines are skipped, as xrdp does.
 */
static void ini_each(const char *text, size_t len, ini_fn fn, void *arg)
{
	struct ini_text t = { text, text + len, fn, arg };

	(void)ini_parse_stream(ini_read_line, &t, ini_entry, &t);
}

static void sesman_entry(void *arg, const char *section, const char *key,
			 const char *value)
{
	struct terminal_server_sesman *s = arg;

	if (strcasecmp(section, "Sessions") == 0) {
		if (strcasecmp(key, "MaxSessions") == 0)
			s->max_sessions = number_or_unset(value);
		else if (strcasecmp(key, "KillDisconnected") == 0)
			s->kill_disconnected = text_bool(value);
		else if (strcasecmp(key, "DisconnectedTimeLimit") == 0)
			s->disconnected_time_limit = number_or_unset(value);
		else if (strcasecmp(key, "IdleTimeLimit") == 0)
			s->idle_time_limit = number_or_unset(value);
		else if (strcasecmp(key, "X11DisplayOffset") == 0)
			s->x11_display_offset = number_or_unset(value);
	} else if (strcasecmp(section, "Chansrv") == 0) {
		if (strcasecmp(key, "FuseMountName") == 0)
			snprintf(s->fuse_mount_name, sizeof(s->fuse_mount_name),
				 "%s", value);
		else if (strcasecmp(key, "EnableFuseMount") == 0)
			s->enable_fuse_mount = text_bool(value);
	}
}

int terminal_server_parse_sesman(const char *text, size_t len,
				 struct terminal_server_sesman *ret)
{
	struct terminal_server_sesman s = {
		.max_sessions = -1,
		.kill_disconnected = -1,
		.disconnected_time_limit = -1,
		.idle_time_limit = -1,
		.x11_display_offset = 10,
		.enable_fuse_mount = 1,
		.fuse_mount_name = "thinclient_drives",
	};

	ini_each(text, len, sesman_entry, &s);
	if (s.x11_display_offset < 0)
		s.x11_display_offset = 10;
	*ret = s;
	return 0;
}

struct xrdp_raw {
	char port[256];
	char address[64];
	struct terminal_server_xrdp *x;
};

static void xrdp_entry(void *arg, const char *section, const char *key,
		       const char *value)
{
	struct xrdp_raw *raw = arg;
	struct terminal_server_xrdp *x = raw->x;

	if (strcasecmp(section, "Globals") != 0)
		return;
	if (strcasecmp(key, "port") == 0)
		utf8_copy(raw->port, sizeof(raw->port), value);
	else if (strcasecmp(key, "address") == 0)
		utf8_copy(raw->address, sizeof(raw->address), value);
	else if (strcasecmp(key, "security_layer") == 0)
		utf8_copy(x->security_layer, sizeof(x->security_layer), value);
	else if (strcasecmp(key, "certificate") == 0)
		utf8_copy(x->certificate, sizeof(x->certificate), value);
	else if (strcasecmp(key, "key_file") == 0)
		utf8_copy(x->key_file, sizeof(x->key_file), value);
}

int terminal_server_parse_xrdp(const char *text, size_t len,
			       struct terminal_server_xrdp *ret)
{
	struct terminal_server_xrdp x;
	struct xrdp_raw raw = { "3389", "", &x };

	memset(&x, 0, sizeof(x));
	snprintf(x.security_layer, sizeof(x.security_layer), "negotiate");
	ini_each(text, len, xrdp_entry, &raw);
	if (terminal_server_parse_listen(raw.port, raw.address, x.listen_host,
					 sizeof(x.listen_host), &x.port) < 0) {
		x.listen_host[0] = '\0';
		x.port = 0;
	}
	*ret = x;
	return 0;
}

/* A host that listens on every address is probed on loopback. */
static void local_host(const char *h, size_t n, bool v6, char *host,
		       size_t hostlen)
{
	if (n == 0 || (n == 1 && h[0] == '.') ||
	    (n == 7 && memcmp(h, "0.0.0.0", 7) == 0) ||
	    (n == 2 && memcmp(h, "::", 2) == 0)) {
		snprintf(host, hostlen, "%s", v6 ? "::1" : "127.0.0.1");
		return;
	}
	if (n >= 2 && ((h[0] == '{' && h[n - 1] == '}') ||
		       (h[0] == '[' && h[n - 1] == ']'))) {
		h++;
		n -= 2;
	}
	copy_text(host, hostlen, h, n);
}

int terminal_server_parse_listen(const char *port_value, const char *address,
				 char *host, size_t hostlen, unsigned *ret_port)
{
	const char *v = port_value, *colon;
	unsigned long long port;
	char num[16];
	bool v6 = false;
	size_t n;

	/* Several listeners (xrdp 0.10): the first one is probed. */
	n = strcspn(v, " \t,");
	if (strncmp(v, "tcp6://", 7) == 0) {
		v6 = true;
		v += 7;
		n -= 7;
	} else if (strncmp(v, "tcp://", 6) == 0) {
		v += 6;
		n -= 6;
	} else if (strstr(v, "://") || v[0] == '/') {
		return -ENOTSUP;
	} else {
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, v, n);
		num[n] = '\0';
		if (parse_uint(num, 1, 65535, &port) < 0)
			return -EINVAL;
		local_host(address ? address : "",
			   address ? strlen(address) : 0,
			   address && strchr(address, ':'), host, hostlen);
		*ret_port = (unsigned)port;
		return 0;
	}
	/* The port follows the last ':' (IPv6 hosts are in {} or []). */
	colon = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ':')
			colon = v + i;
	if (!colon || (size_t)(v + n - colon - 1) >= sizeof(num))
		return -EINVAL;
	memcpy(num, colon + 1, (size_t)(v + n - colon - 1));
	num[v + n - colon - 1] = '\0';
	if (parse_uint(num, 1, 65535, &port) < 0)
		return -EINVAL;
	local_host(v, (size_t)(colon - v), v6, host, hostlen);
	*ret_port = (unsigned)port;
	return 0;
}

int terminal_server_parse_target(const char *value, char *host, size_t hostlen,
				 unsigned *ret_port)
{
	unsigned long long port = 3389;
	const char *h = value, *colon = strrchr(value, ':');
	size_t n = strlen(value);

	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (!close)
			return -EINVAL;
		h = value + 1;
		n = (size_t)(close - h);
		if (close[1] == ':') {
			if (parse_uint(close + 2, 1, 65535, &port) < 0)
				return -EINVAL;
		} else if (close[1] != '\0') {
			return -EINVAL;
		}
	} else if (colon && strchr(value, ':') == colon) {
		/* exactly one ':' : host:port (more is a bare IPv6 address) */
		n = (size_t)(colon - value);
		if (parse_uint(colon + 1, 1, 65535, &port) < 0)
			return -EINVAL;
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] == '/' || (unsigned char)h[i] >= 0x7f)
			return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*ret_port = (unsigned)port;
	return 0;
}

/* Split [s, s+n) at spaces into at most max fields. */
static size_t split_fields(const char *s, size_t n, const char **f, size_t *fl,
			   size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		f[k] = s + i;
		while (i < n && s[i] != ' ')
			i++;
		fl[k] = (size_t)(s + i - f[k]);
		k++;
	}
	return k;
}

static int field_u64(const char *s, size_t n, uint64_t *ret)
{
	char tmp[24];
	unsigned long long v;

	if (n == 0 || n >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (parse_uint(tmp, 0, UINT64_MAX, &v) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int terminal_server_parse_stat(const char *text, size_t len,
			       struct terminal_server_stat *ret)
{
	/* pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime: after the comm, field 3 is index 0. */
	const char *f[20], *rp = NULL, *end = text + len;
	struct terminal_server_stat s;
	uint64_t pid, ppid, sid;
	size_t fl[20], nf;

	for (const char *q = text; q < end; q++)
		if (*q == ')')
			rp = q;
	if (!rp || rp + 2 > end)
		return -EBADMSG;
	{
		const char *sp = memchr(text, ' ', (size_t)(rp - text));

		if (!sp || field_u64(text, (size_t)(sp - text), &pid) < 0)
			return -EBADMSG;
	}
	nf = split_fields(rp + 1, (size_t)(end - rp - 1), f, fl, 20);
	if (nf < 20)
		return -EBADMSG;
	if (field_u64(f[1], fl[1], &ppid) < 0 ||
	    field_u64(f[3], fl[3], &sid) < 0 ||
	    field_u64(f[11], fl[11], &s.utime) < 0 ||
	    field_u64(f[12], fl[12], &s.stime) < 0 ||
	    field_u64(f[19], fl[19] - (f[19][fl[19] - 1] == '\n'),
		      &s.starttime) < 0)
		return -EBADMSG;
	if (pid > INT32_MAX || ppid > INT32_MAX || sid > INT32_MAX)
		return -EBADMSG;
	s.pid = (int)pid;
	s.ppid = (int)ppid;
	s.session = (int)sid;
	*ret = s;
	return 0;
}

int terminal_server_parse_status(const char *text, size_t len,
				 struct terminal_server_status *ret)
{
	const char *p = text, *end = text + len, *l;
	struct terminal_server_status s;
	bool have_name = false, have_uid = false;
	size_t n;

	memset(&s, 0, sizeof(s));
	while (next_line(&p, end, &l, &n)) {
		const char *f[2];
		size_t fl[2];
		uint64_t v;

		if (n > 5 && memcmp(l, "Name:", 5) == 0) {
			const char *v0 = l + 5;
			size_t vn = n - 5;

			trim(&v0, &vn);
			copy_text(s.name, sizeof(s.name), v0, vn);
			have_name = true;
		} else if (n > 4 && memcmp(l, "Uid:", 4) == 0) {
			/* tabs separate the four uids */
			char tmp[64];

			copy_text(tmp, sizeof(tmp), l + 4, n - 4);
			for (char *c = tmp; *c; c++)
				if (*c == '\t')
					*c = ' ';
			if (split_fields(tmp, strlen(tmp), f, fl, 1) == 1 &&
			    field_u64(f[0], fl[0], &v) == 0 &&
			    v <= UINT32_MAX) {
				s.uid = (uint32_t)v;
				have_uid = true;
			}
		} else if (n > 8 && memcmp(l, "Threads:", 8) == 0) {
			const char *v0 = l + 8;
			size_t vn = n - 8;

			trim(&v0, &vn);
			if (field_u64(v0, vn, &v) == 0 && v <= UINT32_MAX)
				s.threads = (unsigned)v;
		} else if (n > 6 && memcmp(l, "VmRSS:", 6) == 0) {
			const char *v0 = l + 6;
			size_t vn = n - 6;

			trim(&v0, &vn);
			if (split_fields(v0, vn, f, fl, 1) == 1 &&
			    field_u64(f[0], fl[0], &v) == 0)
				s.rss_kb = v;
		}
	}
	if (!have_name || !have_uid)
		return -EBADMSG;
	*ret = s;
	return 0;
}

static bool env_is(const char *e, size_t n, const char *name, size_t *ret_off)
{
	size_t k = strlen(name);

	if (n > k && memcmp(e, name, k) == 0 && e[k] == '=') {
		*ret_off = k + 1;
		return true;
	}
	return false;
}

int terminal_server_parse_environ(const char *p, size_t len,
				  struct terminal_server_env *ret)
{
	struct terminal_server_env e;
	char lc_all[64] = "", lc_ctype[64] = "", lang[64] = "";
	const char *end = p + len;

	memset(&e, 0, sizeof(e));
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = (size_t)((z ? z : end) - p), off;

		if (env_is(p, n, "XRDP_SESSION", &off))
			e.xrdp_session = true;
		else if (env_is(p, n, "DISPLAY", &off))
			copy_text(e.display, sizeof(e.display), p + off,
				  n - off);
		else if (env_is(p, n, "USER", &off))
			copy_text(e.user, sizeof(e.user), p + off, n - off);
		else if (env_is(p, n, "HOME", &off))
			copy_text(e.home, sizeof(e.home), p + off, n - off);
		else if (env_is(p, n, "TMPDIR", &off))
			copy_text(e.tmpdir, sizeof(e.tmpdir), p + off, n - off);
		else if (env_is(p, n, "XDG_RUNTIME_DIR", &off))
			copy_text(e.runtime_dir, sizeof(e.runtime_dir), p + off,
				  n - off);
		else if (env_is(p, n, "LC_ALL", &off))
			copy_text(lc_all, sizeof(lc_all), p + off, n - off);
		else if (env_is(p, n, "LC_CTYPE", &off))
			copy_text(lc_ctype, sizeof(lc_ctype), p + off, n - off);
		else if (env_is(p, n, "LANG", &off))
			copy_text(lang, sizeof(lang), p + off, n - off);
		p = z ? z + 1 : end;
	}
	/* The locale that decides the character set, as setlocale() picks
	 * it. */
	utf8_copy(e.lang, sizeof(e.lang),
		  lc_all[0]     ? lc_all
		  : lc_ctype[0] ? lc_ctype
				: lang);
	*ret = e;
	return 0;
}

long terminal_server_display_number(const char *display)
{
	const char *c = strrchr(display, ':');
	unsigned long long v;
	char num[16];
	size_t n;

	if (!c)
		return -1;
	c++;
	n = strcspn(c, ".");
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, c, n);
	num[n] = '\0';
	if (parse_uint(num, 0, 65535, &v) < 0)
		return -1;
	return (long)v;
}

/* "Max open files            1024                 524288    files" */
static bool limit_line(const char *l, size_t n, const char *name, uint64_t *ret)
{
	size_t k = strlen(name);
	const char *f[1];
	size_t fl[1];

	if (n <= k || memcmp(l, name, k) != 0 || l[k] != ' ')
		return false;
	if (split_fields(l + k, n - k, f, fl, 1) != 1)
		return false;
	if (fl[0] == 9 && memcmp(f[0], "unlimited", 9) == 0) {
		*ret = TERMINAL_SERVER_UNLIMITED;
		return true;
	}
	return field_u64(f[0], fl[0], ret) == 0;
}

int terminal_server_parse_limits(const char *text, size_t len,
				 struct terminal_server_limits *ret)
{
	struct terminal_server_limits lim = { TERMINAL_SERVER_UNLIMITED,
					      TERMINAL_SERVER_UNLIMITED };
	const char *p = text, *end = text + len, *l;
	bool found = false;
	size_t n;

	while (next_line(&p, end, &l, &n)) {
		if (limit_line(l, n, "Max open files", &lim.nofile) ||
		    limit_line(l, n, "Max processes", &lim.nproc))
			found = true;
	}
	if (!found)
		return -EBADMSG;
	*ret = lim;
	return 0;
}

int terminal_server_parse_cgroup_path(const char *text, size_t len, char *path,
				      size_t pathlen)
{
	const char *p = text, *end = text + len, *l;
	size_t n;

	while (next_line(&p, end, &l, &n)) {
		if (n < 4 || memcmp(l, "0::", 3) != 0 || l[3] != '/')
			continue;
		if (n - 3 >= pathlen || memchr(l + 3, '\0', n - 3))
			return -ENAMETOOLONG;
		memcpy(path, l + 3, n - 3);
		path[n - 3] = '\0';
		return 0;
	}
	return -ENOENT;
}

int terminal_server_parse_cgroup_value(const char *text, size_t len,
				       uint64_t *ret)
{
	const char *s = text;
	size_t n = len;

	trim(&s, &n);
	if (n == 3 && memcmp(s, "max", 3) == 0) {
		*ret = TERMINAL_SERVER_UNLIMITED;
		return 0;
	}
	return field_u64(s, n, ret);
}

int terminal_server_parse_keyed(const char *text, size_t len, const char *key,
				uint64_t *ret)
{
	const char *p = text, *end = text + len, *l;
	size_t n, k = strlen(key);

	while (next_line(&p, end, &l, &n)) {
		const char *v;
		size_t vn;

		if (n <= k || memcmp(l, key, k) != 0 || l[k] != ' ')
			continue;
		v = l + k;
		vn = n - k;
		trim(&v, &vn);
		return field_u64(v, vn, ret);
	}
	return -ENOENT;
}

unsigned terminal_server_parse_inotify_watches(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *l;
	unsigned count = 0;
	size_t n;

	while (next_line(&p, end, &l, &n))
		if (n >= 11 && memcmp(l, "inotify wd:", 11) == 0)
			count++;
	return count;
}

int terminal_server_parse_file_nr(const char *text, size_t len,
				  uint64_t *ret_allocated, uint64_t *ret_max)
{
	char tmp[128];
	const char *f[3];
	size_t fl[3];
	uint64_t a, m;

	copy_text(tmp, sizeof(tmp), text, len);
	for (char *c = tmp; *c; c++)
		if (*c == '\t' || *c == '\n')
			*c = ' ';
	if (split_fields(tmp, strlen(tmp), f, fl, 3) != 3 ||
	    field_u64(f[0], fl[0], &a) < 0 || field_u64(f[2], fl[2], &m) < 0)
		return -EBADMSG;
	*ret_allocated = a;
	*ret_max = m;
	return 0;
}

int terminal_server_parse_locale(const char *text, size_t len, char *lang,
				 size_t langlen)
{
	const char *p = text, *end = text + len, *l;
	char all[64] = "", plain[64] = "";
	size_t n;

	while (next_line(&p, end, &l, &n)) {
		char *dst;
		size_t off;

		trim(&l, &n);
		if (n > 7 && memcmp(l, "export ", 7) == 0) {
			l += 7;
			n -= 7;
		}
		if (env_is(l, n, "LC_ALL", &off))
			dst = all;
		else if (env_is(l, n, "LANG", &off))
			dst = plain;
		else
			continue;
		l += off;
		n -= off;
		if (n >= 2 && (l[0] == '"' || l[0] == '\'') &&
		    l[n - 1] == l[0]) {
			l++;
			n -= 2;
		}
		copy_text(dst, 64, l, n);
	}
	snprintf(lang, langlen, "%s", all[0] ? all : plain);
	return 0;
}

unsigned terminal_server_parse_printers_conf(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *l;
	unsigned count = 0;
	size_t n;

	while (next_line(&p, end, &l, &n)) {
		trim(&l, &n);
		if ((n > 9 && memcmp(l, "<Printer ", 9) == 0) ||
		    (n > 16 && memcmp(l, "<DefaultPrinter ", 16) == 0))
			count++;
	}
	return count;
}
