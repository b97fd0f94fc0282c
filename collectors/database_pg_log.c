/*
 * Reading a local PostgreSQL server's log for the reason behind a failed
 * password login (see database_pg_log.h). Only /proc and the server's own
 * files are read, in a bounded sub-worker; a server elsewhere, or a log
 * rdiag may not read, simply gives no answer.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "database_pg_log.h"
#include "probes/net.h"
#include "rdiag/util.h"

#define LOG_TAIL (256 * 1024)

static const struct {
	const char *needle;
	enum database_pg_log_reason reason;
} details[] = {
	{ "has an expired password", DATABASE_PG_LOG_EXPIRED },
	{ "has no password assigned", DATABASE_PG_LOG_NO_PASSWORD },
	{ "does not have a valid SCRAM secret",
	  DATABASE_PG_LOG_NO_SCRAM_SECRET },
	{ "does not exist", DATABASE_PG_LOG_ROLE_MISSING },
	{ "assword does not match", DATABASE_PG_LOG_WRONG_PASSWORD },
};

/* memmem() is a GNU extension. */
static const char *find(const char *p, size_t n, const char *s)
{
	size_t sl = strlen(s);

	for (size_t i = 0; sl <= n && i <= n - sl; i++)
		if (memcmp(p + i, s, sl) == 0)
			return p + i;
	return NULL;
}

/* The line starting at p (up to n bytes), without its newline. */
static size_t line_len(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);

	return nl ? (size_t)(nl - p) : n;
}

int database_pg_log_parse(const char *p, size_t n, const char *user,
			  struct database_pg_log_hit *ret)
{
	char needle[160];
	const char *hit = NULL, *end = p + n, *q;
	size_t nl = 0;

	memset(ret, 0, sizeof(*ret));
	snprintf(needle, sizeof(needle),
		 "authentication failed for user \"%s\"", user);
	nl = strlen(needle);
	for (q = p; (size_t)(end - q) >= nl;) {
		const char *f = memchr(q, needle[0], (size_t)(end - q));

		if (!f || (size_t)(end - f) < nl)
			break;
		if (memcmp(f, needle, nl) == 0)
			hit = f;
		q = f + 1;
	}
	if (!hit)
		return -ENOENT;
	/* The DETAIL follows within the next lines, tab-indented lines
	 * continue it; another FATAL/LOG line ends the search. */
	q = hit + line_len(hit, (size_t)(end - hit));
	for (int lines = 0; q < end && lines < 4; lines++) {
		size_t l;
		const char *d;

		q++; /* the newline */
		l = line_len(q, (size_t)(end - q));
		if (l > 0 && q[0] == '\t') {
			const char *c = find(q, l, "pg_hba.conf line");

			if (c && !ret->hba[0])
				snprintf(ret->hba, sizeof(ret->hba), "%.*s",
					 (int)(l - 1), q + 1);
		} else if ((d = find(q, l, "DETAIL:  ")) && !ret->detail[0]) {
			d += 9;
			snprintf(ret->detail, sizeof(ret->detail), "%.*s",
				 (int)(q + l - d), d);
		} else if (lines > 0 && ret->detail[0]) {
			break;
		}
		q += l;
	}
	/*
	 * A DETAIL that only names the pg_hba.conf line means the server had
	 * nothing else to say: the role, its secret and its validity are
	 * fine, so the password (the SCRAM proof) did not match.
	 */
	if (strncmp(ret->detail, "Connection matched", 18) == 0) {
		if (!ret->hba[0])
			memcpy(ret->hba, ret->detail, sizeof(ret->hba));
		snprintf(ret->detail, sizeof(ret->detail),
			 "no other reason logged: the password does not match");
		ret->reason = DATABASE_PG_LOG_WRONG_PASSWORD;
		return 0;
	}
	if (!ret->detail[0])
		return 0;
	ret->reason = DATABASE_PG_LOG_OTHER;
	for (size_t i = 0; i < ARRAY_SIZE(details); i++)
		if (strstr(ret->detail, details[i].needle)) {
			ret->reason = details[i].reason;
			break;
		}
	return 0;
}

/* "0100007F:1538" as the kernel prints addr:port of a socket. */
static void proc_net_addr(const char *addr, unsigned port, bool v6, char *buf,
			  size_t len)
{
	unsigned char a[16];
	size_t o = 0;

	memset(a, 0, sizeof(a));
	inet_pton(v6 ? AF_INET6 : AF_INET, addr, a);
	for (int w = 0; w < (v6 ? 4 : 1); w++) {
		uint32_t x;

		memcpy(&x, a + 4 * w, 4); /* the raw word, printed natively */
		o += (size_t)snprintf(buf + o, len - o, "%08X", x);
	}
	snprintf(buf + o, len - o, ":%04X", port);
}

/*
 * Is addr one of this host's addresses? Only then is a local listener on
 * the port the server rdiag talked to (a remote server's port may well be
 * in use here too, by another server).
 */
static bool address_is_local(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;
	bool ok;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr,
		      &((struct sockaddr_in *)(void *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(
			   AF_INET6, addr,
			   &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr) ==
		   1) {
		ss.ss_family = AF_INET6;
		len = sizeof(struct sockaddr_in6);
	} else {
		return false;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	net_close(fd);
	return ok;
}

/* The inode of a socket listening on addr:port (or the wildcard). */
static unsigned long listen_inode(const char *addr, unsigned port)
{
	bool v6 = strchr(addr, ':') != NULL;
	const char *files[2] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char want[64], any[64], line[512];

	if (!address_is_local(addr))
		return 0;
	proc_net_addr(addr, port, v6, want, sizeof(want));
	proc_net_addr(v6 ? "::" : "0.0.0.0", port, v6, any, sizeof(any));
	for (int i = v6 ? 1 : 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64], st[8];
			unsigned long inode;

			if (sscanf(line,
				   "%*s %63s %*s %7s %*s %*s %*s %*s %*s "
				   "%lu",
				   local, st, &inode) != 3 ||
			    strcmp(st, "0A") != 0)
				continue;
			/* tcp6 also lists v4 wildcards as ::, fine either way
			 */
			if (strcmp(local, want) == 0 ||
			    strcmp(local, any) == 0) {
				fclose(f);
				return inode;
			}
		}
		fclose(f);
	}
	return 0;
}

/* The pid holding socket inode, or 0. */
static pid_t socket_owner(unsigned long inode)
{
	char want[64], path[300], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (e = readdir(proc))) {
		DIR *fds;
		struct dirent *fe;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", e->d_name);
		if (!(fds = opendir(path)))
			continue;
		while ((fe = readdir(fds))) {
			char fp[600];
			ssize_t l;

			snprintf(fp, sizeof(fp), "%s/%s", path, fe->d_name);
			l = readlink(fp, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			if (strcmp(link, want) == 0) {
				found = (pid_t)atol(e->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/*
 * The server's log: current_logfiles in its data directory (the
 * postmaster's working directory) when the logging collector runs, else
 * its standard error when that is a regular file.
 */
static int server_log(pid_t pid, char *path, size_t len)
{
	char p[64], line[PATH_MAX + 32], cwd[PATH_MAX];
	struct stat st;
	ssize_t l;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%ld/cwd", (long)pid);
	l = readlink(p, cwd, sizeof(cwd) - 1);
	if (l > 0) {
		cwd[l] = '\0';
		snprintf(line, sizeof(line), "%s/current_logfiles", cwd);
		if ((f = fopen(line, "re"))) {
			char kind[16], rel[400];
			int w;
			bool ok = false;

			while (!ok && fgets(line, sizeof(line), f))
				if (sscanf(line, "%15s %399s", kind, rel) ==
					    2 &&
				    strcmp(kind, "stderr") == 0)
					ok = true;
			fclose(f);
			if (ok) {
				w = rel[0] == '/'
					    ? snprintf(path, len, "%s", rel)
					    : snprintf(path, len, "%s/%s", cwd,
						       rel);
				return w > 0 && (size_t)w < len ? 0
								: -ENAMETOOLONG;
			}
		}
	}
	snprintf(p, sizeof(p), "/proc/%ld/fd/2", (long)pid);
	l = readlink(p, line, sizeof(line) - 1);
	if (l <= 0 || line[0] != '/')
		return -ENOENT;
	line[l] = '\0';
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	l = snprintf(path, len, "%s", line);
	return l > 0 && (size_t)l < len ? 0 : -ENAMETOOLONG;
}

int database_pg_log_fn(void *arg, void *out, size_t out_max)
{
	const struct database_pg_log_arg *a = arg;
	struct database_pg_log_out *o = out;
	unsigned long inode;
	struct stat st;
	char *buf = NULL;
	pid_t pid;
	ssize_t n;
	off_t from;
	int fd, r = -ENOENT;

	if (out_max < sizeof(*o))
		return -ENOBUFS;
	memset(o, 0, sizeof(*o));
	if (!(inode = listen_inode(a->addr, a->port)) ||
	    !(pid = socket_owner(inode)) ||
	    server_log(pid, o->path, sizeof(o->path)) < 0)
		return -ENOENT;
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* The backend logs before it answers; the collector may lag. */
	for (int tries = 0; tries < 5 && r < 0; tries++) {
		if (tries) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (fstat(fd, &st) < 0)
			break;
		from = st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0;
		free(buf);
		buf = xmalloc(LOG_TAIL);
		n = pread(fd, buf, LOG_TAIL, from);
		if (n > 0)
			r = database_pg_log_parse(buf, (size_t)n, a->user,
						  &o->hit);
	}
	free(buf);
	close(fd);
	return r < 0 ? r : (int)sizeof(*o);
}

/* One whitespace-separated field of a pg_hba.conf line. */
struct hba_token {
	char text[256];
	bool quoted;
};

/* Split a line into fields; comments and quotes as the server reads them. */
static size_t hba_split(const char *line, size_t len, struct hba_token *tok,
			size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		size_t o = 0;
		bool q = false;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '#')
			break;
		tok[n].quoted = false;
		while (i < len && (q || (line[i] != ' ' && line[i] != '\t' &&
					 line[i] != '#'))) {
			if (line[i] == '"') {
				q = !q;
				tok[n].quoted = true;
			} else if (o + 1 < sizeof(tok[n].text)) {
				tok[n].text[o++] = line[i];
			}
			i++;
		}
		tok[n].text[o] = '\0';
		n++;
	}
	return n;
}

enum hba_result { HBA_NO, HBA_YES, HBA_UNSURE };

/* A comma-separated database or user list against name. */
static enum hba_result hba_list(const struct hba_token *t, const char *name,
				const char *user, bool is_db)
{
	enum hba_result r = HBA_NO;
	const char *p = t->text;

	while (*p) {
		size_t l = strcspn(p, ",");
		char item[256];

		snprintf(item, sizeof(item), "%.*s", (int)l, p);
		p += l + (p[l] == ',');
		if (!t->quoted && strcmp(item, "all") == 0)
			return HBA_YES;
		if (is_db && !t->quoted && strcmp(item, "sameuser") == 0) {
			if (strcmp(name, user) == 0)
				return HBA_YES;
			continue;
		}
		if (is_db && !t->quoted && strcmp(item, "replication") == 0)
			continue;
		if (!t->quoted &&
		    (item[0] == '@' || item[0] == '/' ||
		     (!is_db && item[0] == '+') ||
		     (is_db && (strcmp(item, "samerole") == 0 ||
				strcmp(item, "samegroup") == 0)))) {
			r = HBA_UNSURE;
			continue;
		}
		if (strcmp(item, name) == 0)
			return HBA_YES;
	}
	return r;
}

/* Does client lie in addr/bits (or addr with mask)? */
static enum hba_result hba_address(const char *spec, const char *mask,
				   const struct database_pg_hba_conn *c,
				   bool *ret_used_mask)
{
	unsigned char a[16], m[16], cl[16];
	char host[256];
	const char *slash = strchr(spec, '/');
	int fam = strchr(c->client, ':') ? AF_INET6 : AF_INET;
	size_t len = fam == AF_INET6 ? 16 : 4;
	long bits = -1;

	*ret_used_mask = false;
	if (strcmp(spec, "all") == 0)
		return HBA_YES;
	if (strcmp(spec, "samehost") == 0)
		return c->local_client ? HBA_YES : HBA_UNSURE;
	if (strcmp(spec, "samenet") == 0)
		return c->local_client ? HBA_YES : HBA_UNSURE;
	snprintf(host, sizeof(host), "%.*s",
		 (int)(slash ? (size_t)(slash - spec) : strlen(spec)), spec);
	if (inet_pton(fam, c->client, cl) != 1)
		return HBA_UNSURE;
	if (inet_pton(fam, host, a) != 1) {
		/* The other address family, or a host name. */
		unsigned char other[16];

		if (inet_pton(fam == AF_INET ? AF_INET6 : AF_INET, host,
			      other) == 1)
			return HBA_NO;
		return HBA_UNSURE;
	}
	if (slash) {
		char *end;

		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > (long)len * 8)
			return HBA_NO;
		memset(m, 0, sizeof(m));
		for (long b = 0; b < bits; b++)
			m[b / 8] |= (unsigned char)(0x80 >> (b % 8));
	} else {
		if (!mask || inet_pton(fam, mask, m) != 1)
			return HBA_NO;
		*ret_used_mask = true;
	}
	for (size_t i = 0; i < len; i++)
		if ((a[i] & m[i]) != (cl[i] & m[i]))
			return HBA_NO;
	return HBA_YES;
}

static enum hba_result hba_line_match(const struct hba_token *t, size_t n,
				      const struct database_pg_hba_conn *c)
{
	enum hba_result r = HBA_YES, x;
	bool used_mask;

	if (n < 4)
		return HBA_NO;
	if (strcmp(t[0].text, "host") == 0 ||
	    strcmp(t[0].text, "hostnogssenc") == 0)
		;
	else if (strcmp(t[0].text, "hostssl") == 0) {
		if (!c->tls)
			return HBA_NO;
	} else if (strcmp(t[0].text, "hostnossl") == 0) {
		if (c->tls)
			return HBA_NO;
	} else {
		return HBA_NO; /* local, hostgssenc (rdiag disables GSS) */
	}
	if ((x = hba_list(&t[1], c->database, c->user, true)) == HBA_NO)
		return HBA_NO;
	if (x == HBA_UNSURE)
		r = HBA_UNSURE;
	if ((x = hba_list(&t[2], c->user, c->user, false)) == HBA_NO)
		return HBA_NO;
	if (x == HBA_UNSURE)
		r = HBA_UNSURE;
	x = hba_address(t[3].text, n > 4 ? t[4].text : NULL, c, &used_mask);
	if (x == HBA_NO)
		return HBA_NO;
	return x == HBA_UNSURE ? HBA_UNSURE : r;
}

void database_pg_hba_first_match(const char *p, size_t n,
				 const struct database_pg_hba_conn *c,
				 struct database_pg_hba_match *ret)
{
	struct hba_token tok[8];
	unsigned lineno = 0;
	const char *end = p + n;

	memset(ret, 0, sizeof(*ret));
	while (p < end) {
		size_t l = line_len(p, (size_t)(end - p)), nt;
		enum hba_result r;

		lineno++;
		nt = hba_split(p, l, tok, ARRAY_SIZE(tok));
		r = hba_line_match(tok, nt, c);
		if (r == HBA_UNSURE && !ret->unsure) {
			ret->unsure = lineno;
			snprintf(ret->unsure_line, sizeof(ret->unsure_line),
				 "%.*s", (int)l, p);
		} else if (r == HBA_YES) {
			ret->lineno = lineno;
			snprintf(ret->line, sizeof(ret->line), "%.*s", (int)l,
				 p);
			return;
		}
		p += l + (p + l < end);
	}
}

/* The value of "key = 'value'" in a postgresql.conf text, or false. */
static bool conf_value(const char *text, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	bool found = false;

	for (const char *p = text; *p;) {
		size_t l = strcspn(p, "\n");
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, key, kl) == 0 &&
		    (q[kl] == ' ' || q[kl] == '\t' || q[kl] == '=')) {
			q += kl;
			while (*q == ' ' || *q == '\t' || *q == '=')
				q++;
			if (*q == '\'')
				q++;
			/* The last setting wins, as in the server. */
			snprintf(out, len, "%.*s", (int)strcspn(q, "'#\n"), q);
			found = true;
		}
		p += l + (p[l] == '\n');
	}
	return found && out[0];
}

/* Read at most max bytes of a file into a NUL-terminated buffer. */
static char *read_small(const char *path, size_t max, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = xmalloc(max + 1);
	n = read(fd, buf, max);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	return buf;
}

/* Where the server reads pg_hba.conf from. */
static int hba_path(pid_t pid, char *path, size_t len)
{
	char p[64], cwd[PATH_MAX], v[PATH_MAX], *cmd, *conf = NULL;
	const char *confs[2] = { "postgresql.conf", "postgresql.auto.conf" };
	bool have = false;
	size_t n = 0;
	ssize_t l;
	int w;

	snprintf(p, sizeof(p), "/proc/%ld/cwd", (long)pid);
	l = readlink(p, cwd, sizeof(cwd) - 1);
	if (l <= 0)
		return -ENOENT;
	cwd[l] = '\0';
	snprintf(p, sizeof(p), "/proc/%ld/cmdline", (long)pid);
	if ((cmd = read_small(p, 16384, &n))) {
		/* NUL-separated arguments, made one per line. */
		for (size_t i = 0; i + 1 < n; i++)
			if (!cmd[i])
				cmd[i] = '\n';
		for (char *c = cmd; (c = strstr(c, "hba_file=")); c++)
			have = conf_value(c, "hba_file", v, sizeof(v));
		if (!have)
			for (char *c = cmd; (c = strstr(c, "config_file="));
			     c++)
				if (conf_value(c, "config_file", v,
					       sizeof(v))) {
					free(conf);
					conf = read_small(v, 1 << 20, NULL);
				}
		free(cmd);
	}
	if (!have && conf) {
		have = conf_value(conf, "hba_file", v, sizeof(v));
	}
	free(conf);
	for (size_t i = 0; !have && i < ARRAY_SIZE(confs); i++) {
		char cp[PATH_MAX + 32];

		snprintf(cp, sizeof(cp), "%s/%s", cwd, confs[i]);
		if ((conf = read_small(cp, 1 << 20, NULL))) {
			have = conf_value(conf, "hba_file", v, sizeof(v));
			free(conf);
		}
	}
	if (!have)
		w = snprintf(path, len, "%s/pg_hba.conf", cwd);
	else if (v[0] == '/')
		w = snprintf(path, len, "%s", v);
	else
		w = snprintf(path, len, "%s/%s", cwd, v);
	return w > 0 && (size_t)w < len ? 0 : -ENAMETOOLONG;
}

int database_pg_hba_fn(void *arg, void *out, size_t out_max)
{
	const struct database_pg_hba_arg *a = arg;
	struct database_pg_hba_out *o = out;
	unsigned long inode;
	char *text;
	pid_t pid;

	if (out_max < sizeof(*o))
		return -ENOBUFS;
	memset(o, 0, sizeof(*o));
	if (!(inode = listen_inode(a->addr, a->port)) ||
	    !(pid = socket_owner(inode)) ||
	    hba_path(pid, o->path, sizeof(o->path)) < 0 ||
	    !(text = read_small(o->path, 1 << 20, NULL)))
		return -ENOENT;
	database_pg_hba_first_match(text, strlen(text), &a->conn, &o->match);
	free(text);
	return (int)sizeof(*o);
}
