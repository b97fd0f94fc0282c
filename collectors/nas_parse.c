/*
 * The nas collector's pure parsers: mount options of network shares,
 * /proc/self/mountstats and /proc/fs/cifs/Stats. All three come from the
 * kernel, but are parsed as if hostile (fixed caps, no trust in field
 * counts), since tests and fuzzers feed them anything.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas_parse.h"
#include "rdiag/util.h"

#define MOUNTSTATS_MAX_MOUNTS 4096

static void copy(char *dst, size_t max, const char *src, size_t n)
{
	if (n >= max)
		n = max - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Decimal digits at s as a bounded number; -1 when there are none. */
static long small_number(const char *s)
{
	unsigned long long v;
	char tmp[16];
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (parse_uint(tmp, 0, 1000000000ull, &v) < 0)
		return -1;
	return (long)v;
}

static void apply_option(const char *o, size_t n, struct nas_mount_opts *m)
{
	char opt[128];
	const char *v;

	copy(opt, sizeof(opt), o, n);
	v = strchr(opt, '=');
	if (v)
		v++;
	if (strcmp(opt, "ro") == 0)
		m->read_only = true;
	else if (strcmp(opt, "soft") == 0)
		m->soft = true;
	else if (strcmp(opt, "softerr") == 0)
		m->soft = m->softerr = true;
	else if (strcmp(opt, "hard") == 0)
		m->soft = m->softerr = false;
	else if (strcmp(opt, "nolock") == 0 || strcmp(opt, "nobrl") == 0)
		m->nolock = true;
	else if (starts_with(opt, "vers="))
		copy(m->vers, sizeof(m->vers), v, strlen(v));
	else if (starts_with(opt, "nfsvers="))
		copy(m->vers, sizeof(m->vers), v, strlen(v));
	else if (starts_with(opt, "proto="))
		copy(m->proto_name, sizeof(m->proto_name), v, strlen(v));
	else if (starts_with(opt, "sec="))
		copy(m->sec, sizeof(m->sec), v, strlen(v));
	else if (starts_with(opt, "cache="))
		copy(m->cache, sizeof(m->cache), v, strlen(v));
	else if (starts_with(opt, "lookupcache="))
		copy(m->lookupcache, sizeof(m->lookupcache), v, strlen(v));
	else if (starts_with(opt, "local_lock=")) {
		copy(m->local_lock, sizeof(m->local_lock), v, strlen(v));
		if (strcmp(v, "all") == 0 || strcmp(v, "posix") == 0)
			m->nolock = true;
	} else if (starts_with(opt, "addr="))
		copy(m->addr, sizeof(m->addr), v, strlen(v));
	else if (starts_with(opt, "timeo="))
		m->timeo = small_number(v);
	else if (starts_with(opt, "retrans="))
		m->retrans = small_number(v);
	else if (starts_with(opt, "port=")) {
		long p = small_number(v);

		m->port = p > 0 && p < 65536 ? (unsigned)p : 0;
	}
}

static void apply_options(const char *s, struct nas_mount_opts *m)
{
	while (s && *s) {
		size_t n = strcspn(s, ",");

		if (n > 0)
			apply_option(s, n, m);
		s += n;
		if (*s == ',')
			s++;
	}
}

/* "server:/export", "[v6]:/export", "//server/share", "\\server\share". */
static void server_from_source(const char *src, enum nas_proto proto, char *out,
			       size_t max)
{
	size_t n;

	out[0] = '\0';
	if (proto == NAS_PROTO_SMB) {
		if ((src[0] == '/' && src[1] == '/') ||
		    (src[0] == '\\' && src[1] == '\\'))
			src += 2;
		n = strcspn(src, "/\\");
		copy(out, max, src, n);
	} else if (proto == NAS_PROTO_NFS) {
		if (src[0] == '[') {
			const char *end = strchr(src, ']');

			if (end)
				copy(out, max, src + 1,
				     (size_t)(end - src - 1));
			return;
		}
		n = strcspn(src, ":");
		if (src[n] == ':')
			copy(out, max, src, n);
	}
}

void nas_mount_opts_parse(const struct mount_entry *e,
			  struct nas_mount_opts *ret)
{
	struct nas_mount_opts m;
	const char *t = e->fstype;

	memset(&m, 0, sizeof(m));
	m.timeo = m.retrans = -1;
	if (strcmp(t, "nfs") == 0 || strcmp(t, "nfs4") == 0)
		m.proto = NAS_PROTO_NFS;
	else if (strcmp(t, "cifs") == 0 || strcmp(t, "smb3") == 0 ||
		 strcmp(t, "smbfs") == 0)
		m.proto = NAS_PROTO_SMB;
	else if (starts_with(t, "fuse"))
		m.proto = NAS_PROTO_FUSE;
	/* The superblock's options carry vers=, addr=; the mount's carry ro. */
	apply_options(e->super_opts, &m);
	apply_options(e->mount_opts, &m);
	server_from_source(e->source, m.proto, m.server, sizeof(m.server));
	if (m.server[0] == '\0' && m.addr[0])
		copy(m.server, sizeof(m.server), m.addr, strlen(m.addr));
	*ret = m;
}

/* mountstats */

static void parse_op(const char *line, struct nas_nfs_stats *s)
{
	uint64_t v[9] = { 0 };
	const char *colon = strchr(line, ':');
	size_t nv = 0;
	struct nas_nfs_op *op;
	const char *p;

	if (!colon || colon == line || s->nops >= NAS_NFS_OPS_MAX)
		return;
	for (p = line; p < colon; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '_')
			return;
	for (p = colon + 1; nv < ARRAY_SIZE(v);) {
		char *end;
		unsigned long long x;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		x = strtoull(p, &end, 10);
		if (errno)
			x = UINT64_MAX;
		v[nv++] = x;
		p = end;
	}
	if (nv < 8)
		return;
	op = &s->op[s->nops++];
	copy(op->name, sizeof(op->name), line, (size_t)(colon - line));
	op->ops = v[0];
	op->trans = v[1];
	op->timeouts = v[2];
	op->rtt_ms = v[6];
	op->exe_ms = v[7];
	op->errors = nv > 8 ? v[8] : 0;
}

static void parse_xprt(const char *line, struct nas_nfs_stats *s)
{
	char proto[8];
	unsigned long long f[3];

	if (sscanf(line, "xprt: %7s %llu %llu %llu", proto, &f[0], &f[1],
		   &f[2]) == 4 &&
	    (strcmp(proto, "tcp") == 0 || strcmp(proto, "rdma") == 0)) {
		s->have_xprt = true;
		s->connect_count = f[2];
	}
}

/* "device SRC mounted on MNT with fstype TYPE [statvers=X]" */
static bool parse_device(const char *line, struct nas_nfs_stats *s)
{
	const char *on = strstr(line, " mounted on "), *with, *type;
	size_t n;

	if (!starts_with(line, "device ") || !on)
		return false;
	with = strstr(on, " with fstype ");
	if (!with)
		return false;
	memset(s, 0, sizeof(*s));
	copy(s->device, sizeof(s->device), line + 7, (size_t)(on - line - 7));
	on += strlen(" mounted on ");
	copy(s->mount_point, sizeof(s->mount_point), on, (size_t)(with - on));
	type = with + strlen(" with fstype ");
	n = strcspn(type, " ");
	copy(s->fstype, sizeof(s->fstype), type, n);
	return strcmp(s->fstype, "nfs") == 0 || strcmp(s->fstype, "nfs4") == 0;
}

int nas_mountstats_parse(const char *text, size_t len,
			 struct nas_mountstats *ret)
{
	struct nas_mountstats out = { NULL, 0 };
	struct nas_nfs_stats cur;
	bool in_nfs = false, per_op = false;
	size_t off = 0;
	char *line = xmalloc(1024);
	int r = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		const char *l;

		copy(line, 1024, text + off, n);
		/* An embedded NUL ends the line early: harmless. */
		off += n + 1;
		l = line;
		if (starts_with(l, "device ")) {
			if (in_nfs) {
				if (out.n >= MOUNTSTATS_MAX_MOUNTS) {
					r = -E2BIG;
					goto fail;
				}
				out.v = xreallocarray(out.v, out.n + 1,
						      sizeof(*out.v));
				out.v[out.n++] = cur;
			}
			in_nfs = parse_device(l, &cur);
			per_op = false;
			continue;
		}
		if (!in_nfs)
			continue;
		while (*l == ' ' || *l == '\t')
			l++;
		if (starts_with(l, "age:"))
			cur.age_s = strtoull(l + 4, NULL, 10);
		else if (starts_with(l, "xprt:"))
			parse_xprt(l, &cur);
		else if (starts_with(l, "per-op statistics"))
			per_op = true;
		else if (per_op)
			parse_op(l, &cur);
	}
	if (in_nfs) {
		if (out.n >= MOUNTSTATS_MAX_MOUNTS) {
			r = -E2BIG;
			goto fail;
		}
		out.v = xreallocarray(out.v, out.n + 1, sizeof(*out.v));
		out.v[out.n++] = cur;
	}
	free(line);
	*ret = out;
	return 0;
fail:
	free(line);
	nas_mountstats_release(&out);
	return r;
}

void nas_mountstats_release(struct nas_mountstats *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const struct nas_nfs_stats *nas_mountstats_find(const struct nas_mountstats *s,
						const char *mount_point)
{
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->v[i].mount_point, mount_point) == 0)
			return &s->v[i];
	return NULL;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void nas_nfs_totals(const struct nas_nfs_stats *s, struct nas_nfs_totals *ret)
{
	struct nas_nfs_totals t;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < s->nops; i++) {
		const struct nas_nfs_op *op = &s->op[i];

		t.ops = sat_add(t.ops, op->ops);
		if (op->trans > op->ops)
			t.retrans = sat_add(t.retrans, op->trans - op->ops);
		t.timeouts = sat_add(t.timeouts, op->timeouts);
		t.errors = sat_add(t.errors, op->errors);
		t.rtt_ms = sat_add(t.rtt_ms, op->rtt_ms);
		if (op->ops >= 10 && op->rtt_ms / op->ops > t.slowest_avg_ms) {
			t.slowest_avg_ms = op->rtt_ms / op->ops;
			copy(t.slowest, sizeof(t.slowest), op->name,
			     strlen(op->name));
		}
	}
	*ret = t;
}

/* /proc/fs/cifs/Stats */

int nas_cifs_stats_parse(const char *text, size_t len,
			 struct nas_cifs_stats *ret)
{
	struct nas_cifs_stats *s = xcalloc(1, sizeof(*s));
	struct nas_cifs_share *cur = NULL;
	char line[512];
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		unsigned long long a, b;
		const char *l, *paren;
		int consumed = 0;

		copy(line, sizeof(line), text + off, n);
		off += n + 1;
		l = line;
		while (*l == ' ')
			l++;
		if (sscanf(l, "%llu session %llu share reconnects%n", &a, &b,
			   &consumed) == 2 &&
		    consumed > 0) {
			s->have_reconnects = true;
			s->session_reconnects = a;
			s->share_reconnects = b;
			continue;
		}
		/* "1) \\server\share" starts a share's block. */
		paren = strstr(l, ") \\\\");
		if (paren && paren > l &&
		    strspn(l, "0123456789") == (size_t)(paren - l)) {
			if (s->nshares >= NAS_CIFS_SHARES_MAX) {
				cur = NULL;
				continue;
			}
			cur = &s->share[s->nshares++];
			copy(cur->name, sizeof(cur->name), paren + 2,
			     strlen(paren + 2));
			continue;
		}
		if (!cur)
			continue;
		if (sscanf(l, "SMBs: %llu", &a) == 1) {
			cur->smbs = a;
			continue;
		}
		{
			const char *colon = strchr(l, ':');

			if (colon &&
			    sscanf(colon + 1, " %llu total %llu failed", &a,
				   &b) == 2) {
				cur->total = sat_add(cur->total, a);
				cur->failed = sat_add(cur->failed, b);
			}
		}
	}
	*ret = *s;
	free(s);
	return 0;
}

char *nas_path_normalise(const char *path)
{
	size_t n = strlen(path), len = 0;
	char *out;

	if (path[0] != '/' || n >= PATH_MAX)
		return NULL;
	out = xmalloc(n + 2);
	for (const char *p = path; *p;) {
		size_t c;

		while (*p == '/')
			p++;
		c = strcspn(p, "/");
		if (c == 0)
			break;
		if (c == 1 && p[0] == '.') {
			/* nothing */
		} else if (c == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' before the dropped part */
		} else {
			out[len++] = '/';
			memcpy(out + len, p, c);
			len += c;
		}
		p += c;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}
