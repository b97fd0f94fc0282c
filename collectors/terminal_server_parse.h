/*
 * The Linux terminal-server collector's parsers: xrdp's sesman.ini and
 * xrdp.ini, /proc/PID/{stat,status,environ,limits,cgroup,fdinfo}, cgroup v2
 * interface files, /proc/sys/fs/file-nr, /etc/default/locale and CUPS's
 * printers.conf. Pure functions (text in, struct out) that take any bytes,
 * so they are unit-tested from fixtures and fuzzed. Private to
 * collectors/terminal_server*.c.
 */
#ifndef RDIAG_TERMINAL_SERVER_PARSE_H
#define RDIAG_TERMINAL_SERVER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A limit or maximum that is not set ("unlimited", "max"). */
#define TERMINAL_SERVER_UNLIMITED UINT64_MAX

/* sesman.ini, as xrdp 0.9 reads it; -1 where the file does not say. */
struct terminal_server_sesman {
	long max_sessions;
	int kill_disconnected;
	long disconnected_time_limit; /* seconds, 0 = never */
	long idle_time_limit;         /* seconds, 0 = never */
	long x11_display_offset;      /* default 10 */
	int enable_fuse_mount;        /* default 1 */
	char fuse_mount_name[256];    /* default "thinclient_drives" */
};

/*
 * Parse sesman.ini text; sections and keys are matched without regard to
 * case, as xrdp does. Missing keys keep xrdp's defaults. Returns 0.
 */
int terminal_server_parse_sesman(const char *text, size_t len,
				 struct terminal_server_sesman *ret);

/* xrdp.ini's [Globals] listener and security settings. */
struct terminal_server_xrdp {
	char listen_host[64]; /* the address to probe: "127.0.0.1" for any */
	unsigned port;        /* 0 when not a TCP listener */
	char security_layer[16];
	char certificate[256];
	char key_file[256];
};

/* Parse xrdp.ini text; missing keys keep xrdp's defaults. Returns 0. */
int terminal_server_parse_xrdp(const char *text, size_t len,
			       struct terminal_server_xrdp *ret);

/*
 * xrdp's port value ("3389", "tcp://.:3389", "tcp6://[::1]:3389",
 * "vsock://..." ...) with the older address= value, as a host to probe
 * locally and a port. Returns 0, -ENOTSUP for a non-TCP listener, or
 * -EINVAL.
 */
int terminal_server_parse_listen(const char *port_value, const char *address,
				 char *host, size_t hostlen,
				 unsigned *ret_port);

/*
 * An rdp_host value: "host", "host:port", "[v6]:port" or a bare IPv6
 * address. Returns 0, or -EINVAL for an empty host, a bad port or a host
 * longer than hostlen.
 */
int terminal_server_parse_target(const char *value, char *host, size_t hostlen,
				 unsigned *ret_port);

/* /proc/PID/stat: the fields the collector uses. */
struct terminal_server_stat {
	int pid, ppid, session;
	uint64_t utime, stime; /* clock ticks */
	uint64_t starttime;    /* clock ticks after boot */
};

/* 0, or -EBADMSG when the text is not a stat line. */
int terminal_server_parse_stat(const char *text, size_t len,
			       struct terminal_server_stat *ret);

/* /proc/PID/status: Name, the real Uid, Threads, VmRSS. */
struct terminal_server_status {
	char name[16];
	uint32_t uid;
	unsigned threads;
	uint64_t rss_kb; /* 0 for kernel threads */
};

/* 0, or -EBADMSG when Name or Uid is missing. */
int terminal_server_parse_status(const char *text, size_t len,
				 struct terminal_server_status *ret);

/* What a session process's environment says (truncated, never NULL). */
struct terminal_server_env {
	bool xrdp_session; /* XRDP_SESSION is set */
	char display[32];
	char user[33];
	char home[256];
	char tmpdir[256];
	char runtime_dir[256]; /* XDG_RUNTIME_DIR */
	char lang[64];         /* LC_ALL, else LC_CTYPE, else LANG */
};

/* /proc/PID/environ (NUL-separated); 0. */
int terminal_server_parse_environ(const char *p, size_t len,
				  struct terminal_server_env *ret);

/* The display number of a DISPLAY value (":10.0", "host:3"), or -1. */
long terminal_server_display_number(const char *display);

/* /proc/PID/limits: soft limits the collector judges. */
struct terminal_server_limits {
	uint64_t nofile; /* Max open files */
	uint64_t nproc;  /* Max processes */
};

/* 0, or -EBADMSG when neither limit is in the text. */
int terminal_server_parse_limits(const char *text, size_t len,
				 struct terminal_server_limits *ret);

/*
 * The cgroup v2 path in /proc/PID/cgroup (the "0::" line, e.g.
 * "/user.slice/user-1000.slice/session-3.scope"); 0, -ENOENT without one,
 * -ENAMETOOLONG.
 */
int terminal_server_parse_cgroup_path(const char *text, size_t len, char *path,
				      size_t pathlen);

/* A one-value cgroup file ("max" or a number); 0 or -EBADMSG. */
int terminal_server_parse_cgroup_value(const char *text, size_t len,
				       uint64_t *ret);

/*
 * The value of key in a flat keyed file ("oom_kill 3" in memory.events);
 * 0, -ENOENT, or -EBADMSG.
 */
int terminal_server_parse_keyed(const char *text, size_t len, const char *key,
				uint64_t *ret);

/* inotify watches in a /proc/PID/fdinfo/FD text ("inotify wd:" lines). */
unsigned terminal_server_parse_inotify_watches(const char *text, size_t len);

/* /proc/sys/fs/file-nr: allocated, unused, max; 0 or -EBADMSG. */
int terminal_server_parse_file_nr(const char *text, size_t len,
				  uint64_t *ret_allocated, uint64_t *ret_max);

/*
 * /etc/default/locale (shell assignments): LC_ALL, else LANG, quotes
 * removed, into lang ("" when neither is set); 0.
 */
int terminal_server_parse_locale(const char *text, size_t len, char *lang,
				 size_t langlen);

/* Printers defined in CUPS's printers.conf (<Printer>, <DefaultPrinter>). */
unsigned terminal_server_parse_printers_conf(const char *text, size_t len);

#endif
