/*
 * The terminal-server collector's judgement, platform-neutral: numbers and
 * states in, verdicts (the findings to emit) out. A Linux reader
 * (terminal_server.c) or a later Windows RDS reader fills the structs below
 * and emits what these pure functions decide, so both give the same finding
 * ids, levels and hints. Every id is documented in
 * docs/collectors/terminal-server.md.
 */
#ifndef RDIAG_TERMINAL_SERVER_JUDGE_H
#define RDIAG_TERMINAL_SERVER_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/rdp.h"
#include "rdiag/collector.h"

/* A limit or maximum that is not set. */
#define TERMINAL_SERVER_NO_LIMIT UINT64_MAX
/* Use at or above this share of a limit is "near" it. */
#define TERMINAL_SERVER_NEAR_PERCENT   90
#define TERMINAL_SERVER_CERT_WARN_DAYS 30

/* Is this a terminal server? (Windows: TermService, RD Session Host.) */
struct terminal_server_presence {
	bool rdp_service_running;     /* xrdp */
	bool session_manager_running; /* xrdp-sesman */
	unsigned remote_sessions;     /* sessions of the RDP server */
	unsigned sessions;            /* all sessions, logins included */
	unsigned users;               /* users with a session */
	/* terminal_server_judge_service() found it down: say nothing more */
	bool rdp_service_down;
};

/*
 * terminal_server.detected (info) or terminal_server.not_detected (ok).
 * Returns whether it is one: an RDP service or session manager runs,
 * remote sessions exist, or two or more users have sessions.
 */
bool terminal_server_judge_presence(const struct terminal_server_presence *p,
				    struct verdict_list *out);

/* One user with at least one session, and what they use and may use. */
struct terminal_server_user {
	uint32_t uid;
	char name[33];
	unsigned sessions, processes, threads;
	uint64_t rss_kb, cpu_ms;
	int leader_pid; /* the session leader whose limits were read, or 0 */
	/* per-process limits of the session leader (NO_LIMIT: none/unknown) */
	uint64_t nofile_limit, nproc_limit;
	unsigned max_fds; /* most open files of one of the user's processes */
	int max_fds_pid;
	/* cgroup v2: the tightest level from the session up to the root */
	char cgroup[160];
	uint64_t mem_max, mem_current, oom_kills;
	uint64_t pids_max, pids_current, pids_max_hits;
	/* inotify in use (needs root to count other users' processes) */
	unsigned inotify_instances;
	uint64_t inotify_watches;
	/* the per-user runtime directory (/run/user/UID) */
	bool runtime_measured;
	uint64_t runtime_size, runtime_avail;
};

/* Host-wide limits that apply per user or to all. */
struct terminal_server_host {
	uint64_t inotify_max_user_watches;   /* NO_LIMIT when unknown */
	uint64_t inotify_max_user_instances; /* idem */
	bool counted_inotify;                /* fdinfo was readable */
};

/*
 * Users against their limits: terminal_server.limits.open_files,
 * .processes, .cgroup_memory, .cgroup_pids, terminal_server.runtime_dir.full,
 * terminal_server.inotify.watches, .instances (one finding per id naming
 * every user it applies to), or terminal_server.limits.ok.
 */
void terminal_server_judge_users(const struct terminal_server_user *u, size_t n,
				 const struct terminal_server_host *h,
				 struct verdict_list *out);

/* Open files of the whole host: terminal_server.files.near_max or .ok. */
void terminal_server_judge_files(uint64_t allocated, uint64_t max,
				 struct verdict_list *out);

/* Space of a session directory (HOME, TMPDIR), measured with a deadline. */
enum terminal_server_measure {
	TERMINAL_SERVER_MEASURED,
	TERMINAL_SERVER_HUNG,   /* no answer before the deadline */
	TERMINAL_SERVER_FAILED, /* an error; see error */
};

struct terminal_server_space {
	char what[64]; /* "HOME", "TMPDIR" */
	char path[256];
	char users[128]; /* who uses it, comma-separated */
	enum terminal_server_measure state;
	int error; /* negative errno when FAILED */
	uint64_t size, avail;
};

/*
 * terminal_server.space.low (warn below 10 % or 256 MiB free, fail below
 * 2 % or 32 MiB), terminal_server.space.unresponsive, or .ok.
 */
void terminal_server_judge_space(const struct terminal_server_space *s,
				 size_t n, struct verdict_list *out);

/* Sessions against the session manager's maximum (max < 0: unknown, 0:
 * none): terminal_server.sessions.at_limit, .near_limit (80 %), or .ok. */
void terminal_server_judge_max_sessions(unsigned in_use, long max,
					struct verdict_list *out);

/* Session policy of the session manager (-1: not set). */
struct terminal_server_policy {
	int kill_disconnected;
	long disconnected_time_limit; /* seconds, 0 never */
	long idle_time_limit;         /* seconds, 0 never */
};

/* terminal_server.policy.disconnected_kept (info) or .ok. */
void terminal_server_judge_policy(const struct terminal_server_policy *p,
				  struct verdict_list *out);

/* A drive-redirection mount of one session. */
struct terminal_server_drive {
	char user[33];
	char path[256];
	enum terminal_server_measure state;
	int error; /* -ENOTCONN: the redirection process is gone */
};

/*
 * terminal_server.drive_redirection.hung, .broken, or .ok (nothing when n
 * is 0).
 */
void terminal_server_judge_drives(const struct terminal_server_drive *d,
				  size_t n, struct verdict_list *out);

/* The character-set locale of one session. */
struct terminal_server_locale {
	char user[33];
	char lang[64]; /* "" when the session sets none */
};

/*
 * Sessions against the system default locale: terminal_server.locale.missing
 * (a session runs in C/POSIX or without one), .mismatch (info), or .ok.
 */
void terminal_server_judge_locale(const char *system_lang,
				  const struct terminal_server_locale *v,
				  size_t n, struct verdict_list *out);

/*
 * Printing for sessions (printers < 0: unknown):
 * terminal_server.printing.no_cups, .no_printers (info), or .ok.
 */
void terminal_server_judge_printing(bool spooler_present, long printers,
				    struct verdict_list *out);

/*
 * What an RDP probe of target found: terminal_server.rdp.unreachable,
 * .not_rdp, .plain_security, .nla_not_required (info), .tls_failed, .ok,
 * and for the certificate its trust (.cert_self_signed or .cert_untrusted,
 * .cert_name_mismatch) and dates (.cert_expired, .cert_expiring), or
 * .cert_ok when all is well.
 */
void terminal_server_judge_rdp(const char *target,
			       const struct rdp_probe_result *r,
			       unsigned cert_warn_days,
			       struct verdict_list *out);

/*
 * The local RDP service: expected when its config was named (xrdp_ini) or
 * it is installed and enabled at boot; connect_rc is how a TCP connect to
 * its listener ended (0: something accepted it).
 */
struct terminal_server_service {
	bool expected;
	const char *why;    /* "xrdp.service is enabled at boot" */
	const char *target; /* the listener, "127.0.0.1:3389" */
	int connect_rc;
	bool process_running; /* an xrdp process runs (on another port) */
};

/*
 * terminal_server.rdp.service_down (fail, level 4) when the service is
 * expected and nothing accepts connections on its listener; returns
 * whether it is down (then presence says nothing more).
 */
bool terminal_server_judge_service(const struct terminal_server_service *svc,
				   struct verdict_list *out);

/* used / size in whole percent, 0 when size is 0 (no overflow). */
unsigned terminal_server_percent(uint64_t used, uint64_t size);

#endif
