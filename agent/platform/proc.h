/*
 * Process helpers for workers and sub-workers: kill at a deadline, reap
 * without ever blocking, and describe a process that cannot be reaped.
 */
#ifndef RDIAG_PROC_H
#define RDIAG_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* How long a SIGKILLed child gets to be reaped before it is abandoned. */
#define PROC_REAP_GRACE_MS 1000

/*
 * SIGKILL pid, then try to reap it with WNOHANG for up to grace_ms.
 * Returns 0 and *ret_status (if not NULL) when reaped; -EBUSY when the
 * process could not be reaped (uninterruptible sleep) — it is abandoned and
 * its kernel wait channel is copied into wchan.
 */
int proc_kill_and_reap(pid_t pid, int grace_ms, int *ret_status, char *wchan,
		       size_t wchan_len);

/* What proc_exec() knows of the child beyond its result. */
struct proc_exec_info {
	pid_t pid;      /* -1 when none was started */
	bool reaped;    /* false: abandoned in uninterruptible sleep */
	bool truncated; /* stdout went past out's maximum */
	char wchan[64]; /* "wchan (state D)" of an abandoned child */
};

/*
 * Run argv[0] (a path: no PATH search, no shell) with argv in a new process
 * group; stdin and stderr are /dev/null and stdout is captured into out, up
 * to out's maximum (the rest is read and dropped). At timeout_ms the whole
 * group is killed; the child is reaped with WNOHANG only and abandoned
 * (wchan recorded) if it cannot die. Returns the exit status (0-255), or
 * -ETIMEDOUT (killed at the deadline), -EBUSY (killed but not reaped),
 * -ECHILD (died of a signal), -ENOBUFS (output past out's cap; what fit is
 * in out), or the errno of a failed pipe/fork. An exec failure is exit
 * status 127. ret_info, if not NULL, is always written.
 */
int proc_exec(const char *const *argv, unsigned timeout_ms, struct buf *out,
	      struct proc_exec_info *ret_info);

/*
 * Run fn(arg) in a new process (in the caller's process group, so a stop
 * signal reaches both) whose exit status is fn's return value; every
 * stdio stream is flushed first so that nothing buffered is written twice.
 * *ret_pid is the child. 0 or a negative errno. (Windows re-executes rdiag.exe
 * with a hidden worker argument instead: fn must be one the worker can name.)
 */
int proc_spawn_fn(int (*fn)(void *arg), void *arg, pid_t *ret_pid);

/* proc_spawn_pipe() flags */
#define PROC_NEW_GROUP 1u /* the child leads a process group of its own */

/*
 * Run fn(arg, fd) in a new process with signals reset to their defaults,
 * fd the write end of a pipe whose read end (close-on-exec) is *ret_fd;
 * the child exits with fn's return value. With PROC_NEW_GROUP it leads its
 * own process group (set on both sides of the fork, so kill(-pid) never
 * races it) and a deadline can kill everything it started; without, it
 * stays in the caller's group and dies with it. Stdio is flushed first.
 * 0 or a negative errno.
 */
int proc_spawn_pipe(unsigned flags, int (*fn)(void *arg, int fd), void *arg,
		    pid_t *ret_pid, int *ret_fd);

/*
 * Wait for the child pid to end, blocking: only for a child that does not
 * touch a possibly hung file system itself. *ret_code is its exit status
 * or 128 + the signal that ended it. 0 or a negative errno.
 */
int proc_wait(pid_t pid, int *ret_code);

/*
 * Reap the child pid if it has ended, never blocking: returns pid with
 * *ret_status (waitpid's) and *ret_peak_rss_kb (its peak resident set,
 * and that of any of its own children it reaped, in KiB; 0 when the
 * system does not say), 0 while it runs, or a negative errno.
 */
pid_t proc_reap_nohang(pid_t pid, int *ret_status, long *ret_peak_rss_kb);

/* This process's peak resident set so far, in KiB (0 when unknown). */
long proc_self_peak_rss_kb(void);

/* What a collector worker needs, for a platform that cannot fork. */
struct config;
struct proc_worker_spec {
	const char *collector;   /* its name in the registry */
	const char *staging_dir; /* its staging directory (exists) */
	const char *stderr_path; /* where its stdout and stderr go */
	const struct config *config;
	int64_t deadline_ms; /* absolute, on the now_ms() clock */
	int64_t since;       /* 0 = no window */
	const char *root;    /* "" or a fixture tree */
};

/*
 * Start a collector worker: fn(arg, fd) in a new process leading its own
 * process group, as proc_spawn_pipe(PROC_NEW_GROUP), with the read end
 * *ret_fd non-blocking (read it with proc_read_nb()). Where a process cannot
 * be forked (Windows) rdiag re-executes itself as a hidden worker rebuilt
 * from spec, and fn and arg are not used. 0 or a negative errno.
 */
int proc_spawn_worker(const struct proc_worker_spec *spec,
		      int (*fn)(void *arg, int fd), void *arg, pid_t *ret_pid,
		      int *ret_fd);

/* Kill pid's whole process group (a worker and its sub-workers) now. */
void proc_kill_group(pid_t pid);

/*
 * The exit code (0-255) of a reaped child's status, or -1 when it did not
 * exit but died (a signal; a crash on Windows), with why, if not NULL,
 * saying how: "killed by signal 9 (Killed)".
 */
int proc_status_code(int status, char *why, size_t why_len);

/*
 * Wait up to timeout_ms for one of the n pipe read ends in fds to have
 * data or be at EOF. >0 when one has, 0 at the timeout, or a negative
 * errno.
 */
int proc_poll_in(const int *fds, size_t n, int timeout_ms);

/* Read what the pipe fd holds now: bytes, 0 at EOF, -EAGAIN when empty. */
long proc_read_nb(int fd, void *buf, size_t len);

/* Read /proc/PID/wchan (and state) into buf as "wchan (state D)". */
void proc_describe_stuck(pid_t pid, char *buf, size_t len);

/*
 * Sleep ms milliseconds in one wait (no periodic wake-ups), or until a
 * stop signal (proc_catch_stop_signals) has set *stop: 1 then, else 0.
 */
int proc_sleep_unless(int64_t ms, const volatile sig_atomic_t *stop);

/* Reset signal dispositions and mask to defaults in a freshly forked child. */
void proc_child_reset_signals(void);

/*
 * Send SIGINT, SIGTERM and SIGHUP to handler, without SA_RESTART so that a
 * blocking call returns EINTR and a long-running command or the agent can
 * stop cleanly, and ignore SIGPIPE so that a peer going away is an error
 * return, not our death.
 */
void proc_catch_stop_signals(void (*handler)(int));

#endif
