/*
 * Private to agent/platform/windows/: the one header that includes
 * windows.h, and the conversions every Windows call of the platform layer
 * needs at the seam: UTF-8 paths to UTF-16 (with the \\?\ prefix for long
 * absolute paths), UTF-16 back to UTF-8, Win32 error codes to negative errno
 * values, and an owner-and-Administrators-only security descriptor (what
 * mode 0600 / 0700 means on Windows).
 */
#ifndef RDIAG_PLATFORM_WIN_H
#define RDIAG_PLATFORM_WIN_H

#include <windows.h>

/* WIN32_NO_STATUS (set for every file: winnt.h's STATUS_TIMEOUT would
 * rename runner.h's) also hides the two codes WAIT_OBJECT_0 and
 * WAIT_ABANDONED are spelled with. */
#ifndef STATUS_WAIT_0
#define STATUS_WAIT_0 ((DWORD)0x00000000L)
#endif
#ifndef STATUS_ABANDONED_WAIT_0
#define STATUS_ABANDONED_WAIT_0 ((DWORD)0x00000080L)
#endif

#include <stdbool.h>
#include <stddef.h>

/*
 * path (UTF-8) as a newly allocated UTF-16 string, '/' turned into '\',
 * an absolute path longer than MAX_PATH prefixed with \\?\ (\\?\UNC\ for
 * \\server\share). NULL for invalid UTF-8 (errno EILSEQ).
 */
wchar_t *win_wpath(const char *path);

/* s (UTF-16, NUL-terminated) as newly allocated UTF-8; NULL if invalid. */
char *win_utf8(const wchar_t *s);

/* A Win32 error code as a negative errno value (-EIO for the rest). */
int win_errno(DWORD err);

/* -errno for GetLastError(). */
int win_last_errno(void);

/*
 * Security attributes whose DACL grants full control to the current user,
 * SYSTEM and Administrators only, and is protected from inheritance: the
 * Windows form of 0600/0700. *sa is ready to pass to CreateFileW or
 * CreateDirectoryW; win_private_sa_free() frees it. 0 or -errno.
 */
int win_private_sa(SECURITY_ATTRIBUTES *sa);
void win_private_sa_free(SECURITY_ATTRIBUTES *sa);

/* The path a directory descriptor was opened with (posix_compat.c),
 * newly allocated, or NULL when fd is not one. */
char *win_dirfd_path(int fd);

struct buf;

/* Append s to a command line, quoted as CommandLineToArgvW splits it. */
void win_quote_arg(struct buf *b, const char *s);

/* A job object that kills its processes when closed and lets none of
 * them open an error-report dialog; NULL on failure. */
HANDLE win_new_job(void);

/* Track a started worker process (and its job) under pid for
 * proc_try_reap(), proc_kill_group() and proc_kill_and_reap(). */
void win_child_add(DWORD pid, HANDLE process, HANDLE job);

#endif
