/*
 * clamd: PING and VERSION (see clamd.h). The version line carries the
 * signature database version and date only when official databases are
 * loaded, which is how outdated or missing signatures show without
 * reading clamd's database directory.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probes/clamd.h"
#include "probes/net.h"
#include "probes/wire.h"
#include "rdiag/util.h"

int clamd_ping_parse(const uint8_t *p, size_t n)
{
	static const char pong[] = "PONG";
	long len = wire_strnlen(p, n);

	if (len < 0) {
		/* Still a prefix of "PONG" (or "PONG\n" from a non-z peer)? */
		if (n < sizeof(pong) && memcmp(p, pong, n) == 0)
			return -EAGAIN;
		return -EBADMSG;
	}
	return len == 4 && memcmp(p, pong, 4) == 0 ? 0 : -EBADMSG;
}

static int month_index(const char *m)
{
	static const char *const names[] = { "Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec" };

	for (int i = 0; i < 12; i++)
		if (strcmp(m, names[i]) == 0)
			return i;
	return -1;
}

/* "Tue Oct  8 08:33:10 2024" as clamd's ctime-style date; 0 if not. */
static int64_t parse_date(const char *s)
{
	char wday[4], mon[4];
	int day, hh, mm, ss, year, m;

	if (sscanf(s, "%3s %3s %d %d:%d:%d %d", wday, mon, &day, &hh, &mm, &ss,
		   &year) != 7)
		return 0;
	m = month_index(mon);
	if (m < 0 || day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 60 || year < 1990 || year > 9999)
		return 0;
	return days_from_civil(year, (unsigned)m + 1, (unsigned)day) * 86400 +
	       hh * 3600 + mm * 60 + ss;
}

int clamd_version_parse(const uint8_t *p, size_t n, bool eof,
			struct clamd_version *ret)
{
	static const char prefix[] = "ClamAV ";
	char line[CLAMD_REPLY_MAX];
	struct clamd_version v;
	char *slash, *slash2;
	long len = wire_strnlen(p, n);
	size_t k, n_engine;

	memset(&v, 0, sizeof(v));
	if (len < 0) {
		if (!eof && n < CLAMD_REPLY_MAX)
			return -EAGAIN;
		len = (long)n;
	}
	k = (size_t)len;
	while (k > 0 && (p[k - 1] == '\n' || p[k - 1] == '\r'))
		k--;
	if (k < sizeof(prefix) || k >= sizeof(line) ||
	    memcmp(p, prefix, sizeof(prefix) - 1) != 0)
		return -EBADMSG;
	wire_copy_text(line, sizeof(line), p + sizeof(prefix) - 1,
		       k - (sizeof(prefix) - 1));
	slash = strchr(line, '/');
	if (slash)
		*slash = '\0';
	n_engine = strlen(line);
	if (n_engine == 0 || n_engine >= sizeof(v.engine))
		return -EBADMSG;
	memcpy(v.engine, line, n_engine + 1);
	if (slash) {
		unsigned long long db;

		slash2 = strchr(slash + 1, '/');
		if (!slash2)
			return -EBADMSG;
		*slash2 = '\0';
		if (parse_uint(slash + 1, 0, UINT32_MAX, &db) < 0)
			return -EBADMSG;
		v.has_db = db > 0;
		v.db_version = (uint32_t)db;
		snprintf(v.db_date, sizeof(v.db_date), "%.39s", slash2 + 1);
		v.db_time = parse_date(v.db_date);
	}
	*ret = v;
	return 0;
}

static int target_addr(const struct clamd_target *t,
		       struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *ai = NULL;
	int r;

	memset(ss, 0, sizeof(*ss));
	if (t->unix_path[0]) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		if (strlen(t->unix_path) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, t->unix_path, strlen(t->unix_path) + 1);
		*len = sizeof(*un);
		return 0;
	}
	if (!t->port[0])
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(t->host[0] ? t->host : "127.0.0.1", t->port, &hints,
			&ai);
	if (r != 0 || !ai)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* One z-command on a fresh connection; the reply into out (len *ret_n). */
static int exchange(const struct sockaddr_storage *ss, socklen_t sslen,
		    const char *cmd, int64_t deadline_ms, uint8_t *out,
		    size_t max, size_t *ret_n, bool *ret_eof)
{
	size_t got = 0;
	int fd = -1, r;

	*ret_eof = false;
	if ((r = net_connect((const struct sockaddr *)ss, sslen, deadline_ms,
			     &fd)) < 0)
		return r;
	if ((r = net_send_all(fd, cmd, strlen(cmd) + 1, deadline_ms)) < 0)
		goto out;
	while (got < max) {
		ssize_t n = net_recv(fd, out + got, max - got, deadline_ms);

		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0) {
			*ret_eof = true;
			break;
		}
		got += (size_t)n;
		if (memchr(out, '\0', got))
			break;
	}
	if (got > 0)
		r = 0;
out:
	*ret_n = got;
	net_close(fd);
	return r;
}

int clamd_probe(const struct clamd_target *t, int64_t deadline_ms,
		struct clamd_probe_result *ret)
{
	struct sockaddr_storage ss;
	uint8_t reply[CLAMD_REPLY_MAX];
	socklen_t sslen = 0;
	size_t n = 0;
	bool eof;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->version_rc = -ENOTCONN;
	if ((r = target_addr(t, &ss, &sslen)) < 0) {
		ret->ping_rc = r;
		return r == -EINVAL ? r : 0;
	}
	r = exchange(&ss, sslen, "zPING", deadline_ms, reply, sizeof(reply), &n,
		     &eof);
	if (r == 0) {
		r = clamd_ping_parse(reply, n);
		if (r == -EAGAIN)
			r = eof ? -EBADMSG : -ETIMEDOUT;
		if (r == -EBADMSG)
			wire_copy_text(ret->reply, sizeof(ret->reply), reply,
				       n);
	}
	ret->ping_rc = r;
	if (r < 0)
		return 0;
	r = exchange(&ss, sslen, "zVERSION", deadline_ms, reply, sizeof(reply),
		     &n, &eof);
	if (r == 0) {
		r = clamd_version_parse(reply, n, true, &ret->version);
		if (r == -EAGAIN)
			r = -ETIMEDOUT;
	}
	ret->version_rc = r;
	return 0;
}
