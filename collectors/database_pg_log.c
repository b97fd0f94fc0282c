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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "database_pg_log.h"
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

/* The inode of a socket listening on addr:port (or the wildcard). */
static unsigned long listen_inode(const char *addr, unsigned port)
{
	bool v6 = strchr(addr, ':') != NULL;
	const char *files[2] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char want[64], any[64], line[512];

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
