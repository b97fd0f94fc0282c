/*
 * Process helpers for workers and sub-workers: kill at a deadline, reap
 * without ever blocking, and describe a process that cannot be reaped.
 */
#ifndef RDIAG_PROC_H
#define RDIAG_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* Read /proc/PID/wchan (and state) into buf as "wchan (state D)". */
void proc_describe_stuck(pid_t pid, char *buf, size_t len);

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
