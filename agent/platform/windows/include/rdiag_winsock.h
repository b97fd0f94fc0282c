/*
 * The BSD socket headers rdiag's portable code includes (sys/socket.h,
 * netinet/in.h, arpa/inet.h, netdb.h, poll.h) are, in the Windows build,
 * the files of this directory, each of which includes this one: Winsock 2
 * (ws2tcpip.h) with the few POSIX spellings it lacks. Only the Windows
 * build has this directory on its include path.
 */
#ifndef RDIAG_WINSOCK_H
#define RDIAG_WINSOCK_H

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
/* windef.h's near/far would eat identifiers of that name. */
#undef near
#undef far

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* Winsock raises no SIGPIPE */
#endif
#ifndef SHUT_RD
#define SHUT_RD   SD_RECEIVE
#define SHUT_WR   SD_SEND
#define SHUT_RDWR SD_BOTH
#endif
typedef unsigned long nfds_t;
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0 /* Winsock sockets are not inherited unless asked */
#endif
#define poll(fds, n, ms) WSAPoll(fds, (ULONG)(n), ms)

#endif
