/*
 * The thin I/O under every wire probe: a non-blocking TCP connect, bounded
 * sends and reads, and a connected-UDP exchange, each against one absolute
 * deadline on the now_ms() clock. Nothing here parses a reply; the pure
 * parsers beside this file do that, so they can be unit-tested and fuzzed
 * without a network.
 *
 * Functions return 0 (or a byte count) on success and a negative errno:
 * -ETIMEDOUT when the deadline passed, -ECONNREFUSED, -EHOSTUNREACH,
 * -ENETUNREACH and the like as the kernel reported them.
 */
#ifndef RDIAG_PROBES_NET_H
#define RDIAG_PROBES_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Longest numeric address text, "[v6]:port" included. */
#define NET_ADDR_MAX 64

/*
 * Connect a TCP socket to sa before deadline_ms. On success *ret_fd is a
 * connected, non-blocking, close-on-exec socket the caller closes.
 */
int net_connect(const struct sockaddr *sa, socklen_t salen, int64_t deadline_ms,
		int *ret_fd);

/* Close a socket from net_connect() (closesocket on Windows). */
void net_close(int fd);

/* Send all of p before the deadline. */
int net_send_all(int fd, const void *p, size_t n, int64_t deadline_ms);

/*
 * Read what is available, at most max bytes, waiting until the deadline for
 * the first byte. Returns the count, 0 at end of stream, or a negative errno.
 */
ssize_t net_recv(int fd, void *p, size_t max, int64_t deadline_ms);

/*
 * A pure parser as net_recv_reply() calls it: 0 (or another final result)
 * when p[0..n) holds a whole reply, -EAGAIN while more bytes are needed.
 */
typedef int (*net_parse_fn)(const uint8_t *p, size_t n, void *arg);

/*
 * Receive into in[0..max) before the deadline until parse(in, got, arg)
 * stops returning -EAGAIN, and return what it returned last. Otherwise
 * -ECONNRESET when the peer closed first, -EBADMSG when max bytes were not
 * enough for a whole reply, or the receive error.
 */
int net_recv_reply(int fd, uint8_t *in, size_t max, int64_t deadline_ms,
		   net_parse_fn parse, void *arg);

/*
 * Wait until fd is readable (POLLIN) or writable (POLLOUT) before the
 * deadline: 0, -ETIMEDOUT, or the socket's pending error.
 */
int net_wait(int fd, short events, int64_t deadline_ms);

/*
 * Send req over a connected UDP socket to sa and wait for one datagram of
 * at most max bytes. *ret_len is its size. -ECONNREFUSED when the host said
 * nothing listens there (ICMP port unreachable), -ETIMEDOUT when no answer
 * came: filtered, or the service is stopped on a host that drops silently.
 */
int net_udp_exchange(const struct sockaddr *sa, socklen_t salen,
		     const void *req, size_t reqlen, void *out, size_t max,
		     int64_t deadline_ms, size_t *ret_len);

/* Most addresses one net_resolve_fn() lookup keeps. */
#define NET_RESOLVE_MAX 8

struct net_resolve_arg {
	const char *host;
	unsigned port; /* 0: no service, the ports stay 0 */
	int flags;     /* getaddrinfo() hints.ai_flags */
	size_t max;    /* addresses kept, at most NET_RESOLVE_MAX */
};

struct net_resolve_out {
	int eai;       /* getaddrinfo()'s result */
	int sys_errno; /* errno when eai is EAI_SYSTEM */
	size_t n;
	struct sockaddr_storage a[NET_RESOLVE_MAX];
	socklen_t l[NET_RESOLVE_MAX];
};

/*
 * A bounded_fn for ctx_bounded() (getaddrinfo can hang on a dead resolver):
 * arg is a struct net_resolve_arg, out a struct net_resolve_out filled with
 * the TCP addresses of host in the resolver's order. Returns
 * sizeof(struct net_resolve_out), or -ENOBUFS when out_max is smaller.
 */
int net_resolve_fn(void *arg, void *out, size_t out_max);

/*
 * host as an IPv4 or IPv6 literal with port: true and *ret, *ret_len
 * filled; false (nothing written) when host is a name.
 */
bool net_addr_literal(const char *host, unsigned port,
		      struct sockaddr_storage *ret, socklen_t *ret_len);

/* "127.0.0.1:5432" or "[::1]:5432" into buf (NET_ADDR_MAX bytes). */
void net_addr_format(const struct sockaddr *sa, char *buf, size_t len);
/* Only the address, "127.0.0.1" or "::1". */
void net_addr_host(const struct sockaddr *sa, char *buf, size_t len);

/* The local address of a connected socket, as net_addr_host(). */
void net_local_host(int fd, char *buf, size_t len);

#endif
