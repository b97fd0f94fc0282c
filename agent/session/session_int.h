/*
 * Private to the session_*.c files: the audit log and recording writers,
 * PTY helpers, the relay client and the inner server's connection handler.
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef RDIAG_SESSION_INT_H
#define RDIAG_SESSION_INT_H

#include <libssh/libssh.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "session/session.h"

/* The append-only audit log (STATE/audit.jsonl), shared by every process
 * of the session: each record is one write() on an O_APPEND descriptor. */
struct session_audit {
	int fd;
	char id[48]; /* the session id: 20261128T071745Z-1234 */
	char *path;  /* STATE/audit.jsonl */
	/*
	 * The first record written through this struct (the parent's
	 * "start") and where it went: truncating the log and writing on
	 * shows as that record gone, even when the size looks right.
	 */
	char *first;
	size_t first_len;
	int64_t first_off;
};

int session_audit_open(struct session_audit *a, const char *dir,
		       const char *id);
void session_audit_event(struct session_audit *a, const char *event,
			 const struct session_field *fields, size_t n);
void session_audit_close(struct session_audit *a);
/*
 * Was the session's part of the audit log damaged behind our back (see
 * session_evidence_check)? NULL when intact, else what happened; a deleted
 * log is put back from our descriptor and reopened so later records land
 * in it.
 */
const char *session_audit_verify(struct session_audit *a);

/*
 * Check an evidence file this process writes through fd at path and of
 * which it wrote expect bytes: NULL when intact, else what happened to it
 * ("deleted (put back)", "truncated", "replaced by another file"). A file
 * deleted while fd stayed open is copied back to path from fd.
 */
const char *session_evidence_check(int fd, const char *path, uint64_t expect);

/*
 * Where the engineer's processes are kept: a cgroup v2 directory made for
 * the session when the cgroup file system lets us (root), and this process
 * as child subreaper so that a process that escapes with setsid, nohup or
 * a double fork is reparented to us rather than to init.
 */
struct session_jail {
	char *cgroup; /* NULL: no cgroup */
	bool subreaper;
};

/* Set up the jail (reap: become subreaper). Never fails: see the fields. */
void session_jail_open(struct session_jail *j, const char *id, bool reap);
/* Move the calling process into the jail's cgroup. */
int session_jail_enter(const struct session_jail *j);
/*
 * SIGKILL every process in the cgroup and every descendant of ours, reap,
 * until none is left; remove the cgroup. Returns how many were killed.
 * Call when our own children (the handlers) are gone.
 */
unsigned session_jail_kill(struct session_jail *j);

/*
 * key's fingerprint (session_fp_format()) into out, SESSION_FP_MAX bytes.
 * 0 or -EINVAL.
 */
int session_key_fp(ssh_key key, char *out);

/* An asciicast v2 file of what one PTY showed. */
struct session_cast {
	int fd;
	char *path;
	uint64_t written; /* bytes written to fd, header included */
	/* SHA-256 of those bytes: a rewrite in place keeping the length
	 * shows at close. */
	crypto_hash_sha256_state hash;
	int64_t start_ms;
	char carry[4]; /* an incomplete UTF-8 sequence from the last chunk */
	size_t ncarry;
	uint64_t bytes;
};

int session_cast_open(struct session_cast *c, const char *path, unsigned cols,
		      unsigned rows, const char *title, const char *term);
void session_cast_output(struct session_cast *c, const char *data, size_t len);
void session_cast_resize(struct session_cast *c, unsigned cols, unsigned rows);
/* Close; NULL, or what was done to the file (session_evidence_check). */
const char *session_cast_close(struct session_cast *c);

/*
 * Start argv[0] (path) with argv on a new PTY of the given size, as the
 * current user, in a new session with the PTY as controlling terminal and
 * TERM set. All descriptors but 0-2 are closed in the child and signal
 * dispositions reset. Returns the master (non-blocking, close-on-exec) in
 * *ret_master and the pid in *ret_pid.
 */
int session_pty_spawn(const char *path, char *const *argv, const char *term,
		      unsigned cols, unsigned rows, int *ret_master,
		      pid_t *ret_pid);
int session_pty_resize(int master, unsigned cols, unsigned rows);
/* The user's shell: $SHELL, else the passwd entry, else /bin/sh. */
const char *session_user_shell(void);
/* The name of the account running rdiag. */
const char *session_user_name(void);
/* Close every descriptor >= 3 not listed in keep. */
void session_close_fds(const int *keep, size_t nkeep);
int session_set_nonblock(int fd);

/* The connection to the relay. */
struct session_relay {
	ssh_session s;
	struct ssh_counter_struct rx, tx;
	char fp[SESSION_FP_MAX]; /* the relay's host key fingerprint */
	bool forwarding;
};

/*
 * Connect to the relay, check its host key against the pins (before
 * authenticating), log in with the agent's key and ask for the reverse
 * forward. Each step is bounded by o->connect_timeout_s. Errors:
 * -EHOSTUNREACH relay unreachable, -EPERM host key mismatch, -EACCES
 * authentication refused, -EADDRNOTAVAIL forward refused, -EINVAL bad key
 * file, -EINTR when *stop became set; *ret_err holds the message. On
 * success the session is left in non-blocking mode.
 */
int session_relay_open(struct session_relay *r, const struct session_opts *o,
		       const volatile sig_atomic_t *stop, char **ret_err);
/*
 * Ask the relay to drop the forward (when alive, within timeout_s) and
 * disconnect. Returns true when the relay confirmed the cancel.
 */
bool session_relay_close(struct session_relay *r, const struct session_opts *o,
			 bool alive, unsigned timeout_s);

/* What a forked engineer handler needs (all borrowed). */
struct session_inner {
	const struct session_opts *o;
	ssh_key host_key;
	struct session_audit *audit;
	unsigned conn; /* 1, 2, ... */
	int mirror_fd; /* read-only: the customer's PTY output, else -1 */
	const struct session_jail *jail;
};

/* Serve one engineer connection on fd (a socketpair end); never returns. */
RDIAG_NORETURN void session_inner_serve(const struct session_inner *in, int fd);

#endif
