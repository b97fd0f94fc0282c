/*
 * The platform contract: everything rdiag needs from the operating system
 * that is not plain C11, in one place, so that the core, the subsystems and
 * (through the ctx API) the collectors never spell a POSIX or Linux call
 * themselves. agent/platform/posix/ implements it for Linux; a Windows
 * implementation (job objects, CreateProcessW, wide-character paths) goes
 * beside it and CMake's RDIAG_PLATFORM compiles exactly one of them.
 * docs/platform.md says call by call what each implementation must do.
 *
 * Conventions, as in the rest of rdiag: 0 or a negative errno (a Windows
 * implementation maps its error codes onto errno values: ERROR_ACCESS_DENIED
 * is -EACCES, ERROR_FILE_EXISTS -EEXIST, WAIT_TIMEOUT -ETIMEDOUT); ret_
 * parameters are written only on success; paths are UTF-8 (converted to
 * UTF-16 at the boundary on Windows); nothing returned needs freeing unless
 * its comment says so.
 *
 * Parts that live in their own headers and belong to the contract:
 *   platform/proc.h    children: run a program or a function in a new
 *                      process group with a deadline and captured output,
 *                      kill the group, reap without blocking, abandon and
 *                      describe one stuck in the kernel; stop signals
 *   platform/fsutil.h  private trees, atomic file replacement
 *                      (fs_write_atomic), free space
 *   rdiag/collector.h  bounded_call/ctx_bounded (a hang-prone call in a
 *                      killable sub-process) and ctx_exec
 *   rdiag/util.h       now_ms (monotonic), utc_stamp, pipe_cloexec
 */
#ifndef RDIAG_PLATFORM_H
#define RDIAG_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/fsutil.h"
#include "platform/platform.h"
#include "platform/proc.h"

/* Host and time */

/*
 * This machine's name, NUL-terminated (cut to fit) into buf of len > 0.
 * 0, or a negative errno with buf left "".
 */
int platform_hostname(char *buf, size_t len);

/* Milliseconds of a clock that never jumps (for deadlines only). */
int64_t platform_monotonic_ms(void);

/* Seconds since 1970-01-01 UTC, from the wall clock. */
int64_t platform_utc_seconds(void);

/* Users and permissions */

/* Does rdiag run with full privileges (euid 0; an elevated token)? */
bool platform_is_root(void);

/* The effective user's id, for messages ("uid 1000"). */
long platform_uid(void);

/*
 * Is the open file fd safe to take settings from that only its owner may
 * give: owned by root (or by us when allow_own), a regular file, and not
 * writable by group or others? 0 when it is; -EPERM when not (why, if not
 * NULL, gets a lowercase reason: "owned by uid 1000", "writable by others");
 * another negative errno when it could not be checked.
 */
int platform_file_private(int fd, bool allow_own, char *why, size_t why_len);

/* Secure file creation */

/*
 * Create path as a new file with mode (0600 for anything rdiag writes next
 * to a bundle), opened for writing: O_CREAT | O_EXCL | O_NOFOLLOW, so an
 * existing file or a link planted at path is never followed or reused
 * (-EEXIST); the mode is exact, whatever the umask. *ret_fd is the new
 * descriptor (the caller closes it). Replacing an existing file is
 * fs_write_atomic(), or write a temporary name made here and rename it; never
 * open an existing name for writing.
 */
int platform_create_new(const char *path, unsigned mode, int *ret_fd);

/*
 * A new file with no name in the directory dirfd, open for reading and
 * writing (mode 0600): it is gone with its last descriptor, so a process
 * killed while the file holds data it must not leave behind (an unredacted
 * copy) leaves nothing any later reader can open. -EOPNOTSUPP when the file
 * system can do neither an unnamed file nor an unlink of an open one.
 */
int platform_create_unnamed(int dirfd, int *ret_fd);

/* Memory */

/*
 * How many processes the kernel's OOM killer has killed so far in this
 * process's memory cgroup (cgroup v2 memory.events, or v1
 * memory.oom_control: "oom_kill N"), into *ret. -ENOENT when there is no
 * such counter (no memory controller, or an older kernel). Compare two
 * readings to tell an OOM kill from another SIGKILL without dmesg.
 */
int platform_oom_kills(uint64_t *ret);

/*
 * Make the calling process the OOM killer's first choice over its parent
 * (oom_score_adj raised; an unprivileged process may raise its own), so
 * that a worker that runs out of memory dies rather than the run that
 * reports on it. Best effort: 0 or a negative errno.
 */
int platform_oom_prefer_self(void);

/*
 * The most memory this process's cgroup and its ancestors allow (the
 * smallest cgroup v2 memory.max on the path, or v1's
 * hierarchical_memory_limit), in bytes, into *ret; UINT64_MAX when no
 * limit is set. -ENOENT when there is no memory controller to ask.
 */
int platform_memory_limit(uint64_t *ret);

/* File systems */

/* What statvfs says of the file system holding path. */
struct platform_fs_info {
	uint64_t size_bytes;  /* total */
	uint64_t free_bytes;  /* free for root */
	uint64_t avail_bytes; /* free for an unprivileged writer */
	uint64_t files;       /* inodes (0 when the file system has none) */
	uint64_t files_free;
	bool read_only;
};

/*
 * Facts about the file system that holds path, into *ret. May block on a
 * hung network mount: call it inside bounded_call() for such paths.
 */
int platform_fs_info(const char *path, struct platform_fs_info *ret);

/* Terminals */

/* Is fd a terminal (a console on Windows)? */
bool platform_isatty(int fd);

/*
 * The window size of the terminal on fd into *ret_cols and *ret_rows.
 * -ENOTTY when fd is not a terminal, -EINVAL when it reports 0 x 0.
 */
int platform_term_size(int fd, unsigned *ret_cols, unsigned *ret_rows);

/* A terminal's saved mode, opaque; platform_term_restore() frees it. */
struct platform_term;

/*
 * Put the terminal on fd into raw mode (no echo, no line editing, no
 * signals from keys, 8-bit clean) and give back its previous mode in
 * *ret_saved (allocated).
 */
int platform_term_raw(int fd, struct platform_term **ret_saved);

/* Restore and free a mode platform_term_raw() saved; NULL is a no-op. */
int platform_term_restore(struct platform_term *saved);

/*
 * Be gentle with the host: the calling thread, and every thread and child
 * it starts from now on, run at nice PLATFORM_GENTLE_NICE (never raised
 * when already nicer) and in the idle I/O class, which gets the disk only
 * when nobody else wants it. Returns 0 or the first failure as a negative
 * errno (the rest is still tried).
 */
#define PLATFORM_GENTLE_NICE 10
int platform_lower_priority(void);

/*
 * The bundle step's CPU work (redaction, hashing, compression: seconds of
 * every processor for large logs) yields to all other work on the host.
 * On Linux the calling thread and the threads it starts from now on run
 * in SCHED_IDLE, which gets a processor only when it would otherwise be
 * idle (nice 10 alone still takes a tenth of a busy one); on Windows the
 * process runs in background mode. on = false puts every thread of the
 * process back in the normal class at the nice value set before (any
 * thread may call it: core/idlewatch.c does when the idle class starves
 * the run). 0 or a negative errno.
 */
int platform_background_cpu(bool on);

/* Processors this process may run on now; at least 1. */
unsigned platform_cpu_count(void);

#endif
