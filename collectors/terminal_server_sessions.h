/*
 * Sessions on a Linux terminal server, put together from what the collector
 * read: processes (/proc), their environments, and utmpx logins. xrdp often
 * writes no utmp entry, so a session is also a group of processes of one
 * user sharing an xrdp display (XRDP_SESSION, or DISPLAY at or above the
 * X11 display offset). Pure: the reading is done by terminal_server.c.
 */
#ifndef RDIAG_TERMINAL_SERVER_SESSIONS_H
#define RDIAG_TERMINAL_SERVER_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "terminal_server_judge.h"
#include "terminal_server_parse.h"

#define TERMINAL_SERVER_UID_UNKNOWN UINT32_MAX

/* One process as the /proc scan saw it. */
struct terminal_server_proc {
	int pid, ppid, sid;
	uint32_t uid;
	char name[16];
	unsigned threads;
	uint64_t rss_kb;
	uint64_t cpu_ticks;   /* utime + stime */
	uint64_t start_ticks; /* after boot */
	unsigned nfds;        /* open files (0 when not readable) */
	unsigned inotify_instances, inotify_watches;
	int env; /* index into the environment array, or -1 */
};

/* A USER_PROCESS entry of utmpx. */
struct terminal_server_login {
	int pid;
	char user[33];
	char line[33];
	char host[65];
	int64_t tv_sec;
};

struct terminal_server_session {
	uint32_t uid; /* TERMINAL_SERVER_UID_UNKNOWN for a login only */
	char user[33];
	bool xrdp;    /* a session of the RDP server */
	long display; /* -1 when none */
	int leader;   /* pid of the first process, or the login's pid */
	int env;      /* the leader's environment index, or -1 */
	bool from_utmp;
	char line[33]; /* utmp line, "" otherwise */
};

struct terminal_server_sessions {
	struct terminal_server_session *v;
	size_t n;
	struct terminal_server_user *users;
	size_t nusers;
	struct terminal_server_presence presence;
	unsigned stale_logins; /* utmp entries whose process is gone */
};

/*
 * Group procs (with envs) and logins into sessions and users. ticks_per_s
 * turns CPU ticks into milliseconds. A login whose pid is not among procs
 * is stale and not counted (unless nprocs is 0: nothing to check with).
 * Users are sorted by uid, and their limits are set to "no limit" for the
 * caller to fill in. Returns 0; release with
 * terminal_server_sessions_release().
 */
int terminal_server_sessions_build(const struct terminal_server_proc *procs,
				   size_t nprocs,
				   const struct terminal_server_env *envs,
				   size_t nenvs,
				   const struct terminal_server_login *logins,
				   size_t nlogins, long display_offset,
				   long ticks_per_s,
				   struct terminal_server_sessions *ret);
void terminal_server_sessions_release(struct terminal_server_sessions *s);

#endif
