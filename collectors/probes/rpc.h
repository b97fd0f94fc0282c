/*
 * ONC RPC probe (RFC 5531, record marking over TCP) for NFS servers: NULL
 * calls that ask "is program P version V served here" and portmapper
 * GETPORT (RFC 1833, version 2) that asks "on which port". No credential
 * beyond AUTH_NONE is sent. The builders and the reply parser are pure and
 * take any bytes; rpc_null_call() and rpc_getport() are the thin I/O, each
 * with one absolute deadline. XDR integers are big-endian.
 */
#ifndef RDIAG_PROBES_RPC_H
#define RDIAG_PROBES_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Largest reply record the probe accepts (all fragments together). */
#define RPC_REPLY_MAX 4096

enum {
	RPC_PROG_PORTMAP = 100000,
	RPC_PROG_NFS = 100003,
	RPC_PROG_MOUNT = 100005,
	RPC_PROG_NLOCKMGR = 100021,
	RPC_PROG_STATUS = 100024,
};

enum rpc_accept_stat {
	RPC_SUCCESS = 0,
	RPC_PROG_UNAVAIL = 1,
	RPC_PROG_MISMATCH = 2,
	RPC_PROC_UNAVAIL = 3,
	RPC_GARBAGE_ARGS = 4,
	RPC_SYSTEM_ERR = 5,
};

struct rpc_reply {
	uint32_t xid;
	bool accepted;        /* MSG_ACCEPTED, else MSG_DENIED */
	uint32_t accept_stat; /* when accepted */
	uint32_t reject_stat; /* when denied: 0 RPC_MISMATCH, 1 AUTH_ERROR */
	uint32_t low, high;   /* versions, for PROG_MISMATCH / RPC_MISMATCH */
	uint32_t auth_stat;   /* when denied with AUTH_ERROR */
	uint8_t result[64];   /* the first bytes of a SUCCESS result */
	size_t result_len;
};

/*
 * Write a CALL record (record mark included) for prog/vers/proc with the
 * XDR-encoded args (a multiple of 4 bytes, may be empty) into out. Returns
 * the length or -ENOBUFS / -EINVAL.
 */
int rpc_call_build(uint8_t *out, size_t max, uint32_t xid, uint32_t prog,
		   uint32_t vers, uint32_t proc, const uint8_t *args,
		   size_t argslen);

/* A portmapper v2 GETPORT call for prog/vers over TCP; length or error. */
int rpc_getport_build(uint8_t *out, size_t max, uint32_t xid, uint32_t prog,
		      uint32_t vers);

/*
 * Parse a reply from the start of p (record marks included; fragments are
 * joined). Returns 0 with *ret filled when a whole record was parsed;
 * -EAGAIN when more bytes are needed; -EBADMSG when it is not an RPC reply
 * (or not to xid). *ret is written only on 0.
 */
int rpc_reply_parse(const uint8_t *p, size_t n, uint32_t xid,
		    struct rpc_reply *ret);

/* The port of a successful GETPORT reply: 0 and *ret_port, or -EBADMSG. */
int rpc_getport_result(const struct rpc_reply *r, unsigned *ret_port);

/* "success", "program unavailable", "version mismatch" ... */
const char *rpc_accept_stat_name(uint32_t stat);

struct rpc_call_result {
	int rc; /* 0 when a reply came; else the negative errno */
	bool connected;
	struct rpc_reply reply;
	int64_t ms; /* connect + call */
};

/*
 * A NULL call (proc 0) to prog/vers at sa before deadline_ms. Returns 0
 * when the call was attempted (outcome in *ret), a negative errno when it
 * could not start.
 */
int rpc_null_call(const struct sockaddr *sa, socklen_t salen, uint32_t prog,
		  uint32_t vers, int64_t deadline_ms,
		  struct rpc_call_result *ret);

/*
 * GETPORT for prog/vers (TCP) from the portmapper at sa. *ret_port is the
 * answer (0: not registered) when ret->rc is 0 and the reply accepted.
 */
int rpc_getport(const struct sockaddr *sa, socklen_t salen, uint32_t prog,
		uint32_t vers, int64_t deadline_ms, struct rpc_call_result *ret,
		unsigned *ret_port);

#endif
