/*
 * Non-blocking connect, bounded reads and writes and a connected-UDP
 * exchange for the wire probes; every wait is a poll() against one absolute
 * deadline so a silent peer can never hold a probe past its time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probes/net.h"
#include "rdiag/util.h"

/*
 * Where Windows differs: Winsock reports errors through WSAGetLastError()
 * (mapped to errno values here), a socket is made non-blocking with
 * ioctlsocket() and closed with closesocket(), and a connect in progress is
 * WSAEWOULDBLOCK.
 */
#ifdef _WIN32
static int sock_errno(void)
{
	switch (WSAGetLastError()) {
	case WSAEWOULDBLOCK:
		return EAGAIN;
	case WSAEINPROGRESS:
		return EINPROGRESS;
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAECONNRESET:
		return ECONNRESET;
	case WSAECONNABORTED:
		return ECONNABORTED;
	case WSAETIMEDOUT:
		return ETIMEDOUT;
	case WSAEHOSTUNREACH:
		return EHOSTUNREACH;
	case WSAENETUNREACH:
		return ENETUNREACH;
	case WSAENETDOWN:
		return ENETDOWN;
	case WSAEADDRNOTAVAIL:
		return EADDRNOTAVAIL;
	case WSAEADDRINUSE:
		return EADDRINUSE;
	case WSAEAFNOSUPPORT:
		return EAFNOSUPPORT;
	case WSAEINTR:
		return EINTR;
	case WSAEMSGSIZE:
		return EMSGSIZE;
	case WSAENOTSOCK:
		return EBADF;
	case WSANOTINITIALISED:
		return ENETDOWN;
	default:
		return EIO;
	}
}

/* Winsock needs WSAStartup once per process; it is reference counted. */
static void sock_init(void)
{
	static int done;
	WSADATA wd;

	if (!done && WSAStartup(MAKEWORD(2, 2), &wd) == 0)
		done = 1;
}

/* Winsock reports a socket error as a Winsock code in SO_ERROR. */
static int so_error_errno(int err)
{
	WSASetLastError(err);
	return sock_errno();
}

static int set_nonblock_cloexec(int fd)
{
	u_long on = 1;

	/* A Winsock socket is not inherited unless asked. */
	if (ioctlsocket((SOCKET)fd, FIONBIO, &on) != 0)
		return -sock_errno();
	return 0;
}

void net_close(int fd)
{
	closesocket((SOCKET)fd);
}
#else
static int sock_errno(void)
{
	return errno;
}

static void sock_init(void)
{
}

static int so_error_errno(int err)
{
	return err;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

void net_close(int fd)
{
	close(fd);
}
#endif

static int poll_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - now_ms();

	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

int net_wait(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = poll_left(deadline_ms), n, err = 0;
		socklen_t errlen = sizeof(err);

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n < 0 && sock_errno() == EINTR)
			continue;
		if (n < 0)
			return -sock_errno();
		if (n == 0)
			continue;
		if (p.revents & (POLLERR | POLLNVAL)) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (void *)&err,
				       &errlen) == 0 &&
			    err)
				return -so_error_errno(err);
			if (p.revents & POLLNVAL)
				return -EBADF;
		}
		/* POLLHUP with data pending still reads; let read decide. */
		return 0;
	}
}

int net_connect(const struct sockaddr *sa, socklen_t salen, int64_t deadline_ms,
		int *ret_fd)
{
	int fd, r, err = 0;
	socklen_t errlen = sizeof(err);

	sock_init();
	fd = (int)socket(sa->sa_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -sock_errno();
	if ((r = set_nonblock_cloexec(fd)) < 0)
		goto out;
	if (connect(fd, sa, salen) < 0) {
		int e = sock_errno();

		if (e != EINPROGRESS && e != EAGAIN) {
			r = -e;
			goto out;
		}
		if ((r = net_wait(fd, POLLOUT, deadline_ms)) < 0)
			goto out;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (void *)&err,
			       &errlen) < 0) {
			r = -sock_errno();
			goto out;
		}
		if (err) {
			r = -so_error_errno(err);
			goto out;
		}
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		net_close(fd);
	return r;
}

int net_send_all(int fd, const void *p, size_t n, int64_t deadline_ms)
{
	const char *s = p;
	int r;

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		int e = w < 0 ? sock_errno() : 0;

		if (e == EINTR)
			continue;
		if (e == EAGAIN || e == EWOULDBLOCK) {
			if ((r = net_wait(fd, POLLOUT, deadline_ms)) < 0)
				return r;
			continue;
		}
		if (w < 0)
			return -e;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t net_recv(int fd, void *p, size_t max, int64_t deadline_ms)
{
	int r;

	for (;;) {
		ssize_t n = recv(fd, p, max, 0);
		int e;

		if (n >= 0)
			return n;
		e = sock_errno();
		if (e == EINTR)
			continue;
		if (e != EAGAIN && e != EWOULDBLOCK)
			return -e;
		if ((r = net_wait(fd, POLLIN, deadline_ms)) < 0)
			return r;
	}
}

int net_recv_reply(int fd, uint8_t *in, size_t max, int64_t deadline_ms,
		   net_parse_fn parse, void *arg)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = net_recv(fd, in + got, max - got, deadline_ms);
		int r;

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET; /* closed without (a whole) reply */
		got += (size_t)n;
		r = parse(in, got, arg);
		if (r != -EAGAIN)
			return r;
		if (got == max)
			return -EBADMSG;
	}
}

int net_udp_exchange(const struct sockaddr *sa, socklen_t salen,
		     const void *req, size_t reqlen, void *out, size_t max,
		     int64_t deadline_ms, size_t *ret_len)
{
	int fd, r;
	ssize_t n;

	sock_init();
	fd = (int)socket(sa->sa_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -sock_errno();
	if ((r = set_nonblock_cloexec(fd)) < 0)
		goto out;
	/* Connected, so an ICMP port unreachable comes back as an error. */
	if (connect(fd, sa, salen) < 0) {
		r = -sock_errno();
		goto out;
	}
	if (send(fd, req, reqlen, 0) < 0) {
		r = -sock_errno();
		goto out;
	}
	n = net_recv(fd, out, max, deadline_ms);
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	*ret_len = (size_t)n;
	r = 0;
out:
	net_close(fd);
	return r;
}

void net_addr_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void net_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[NET_ADDR_MAX];
	unsigned port = 0;

	net_addr_host(sa, host, sizeof(host));
	if (sa->sa_family == AF_INET) {
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)
				     ->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else {
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)
				     ->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

void net_local_host(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	net_addr_host((const struct sockaddr *)&ss, buf, len);
}

int net_resolve_fn(void *arg, void *out, size_t out_max)
{
	const struct net_resolve_arg *a = arg;
	struct net_resolve_out *o = out;
	struct addrinfo hints, *res = NULL;
	size_t max = a->max < NET_RESOLVE_MAX ? a->max : NET_RESOLVE_MAX;
	char port[8];

	if (out_max < sizeof(*o))
		return -ENOBUFS;
	sock_init();
	memset(o, 0, sizeof(*o));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = a->flags;
	snprintf(port, sizeof(port), "%u", a->port);
	o->eai = getaddrinfo(a->host, a->port ? port : NULL, &hints, &res);
	if (o->eai == EAI_SYSTEM)
		o->sys_errno = errno;
	for (struct addrinfo *ai = res; ai && o->n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(o->a[0]))
			continue;
		memcpy(&o->a[o->n], ai->ai_addr, ai->ai_addrlen);
		o->l[o->n++] = ai->ai_addrlen;
	}
	if (res)
		freeaddrinfo(res);
	return (int)sizeof(*o);
}

bool net_addr_literal(const char *host, unsigned port,
		      struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof(*a6);
	} else {
		return false;
	}
	*ret = ss;
	*ret_len = len;
	return true;
}
