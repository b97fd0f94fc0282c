/*
 * The functions behind posix_compat.h: the POSIX file calls rdiag's
 * portable code makes, on Windows's wide-character APIs (UTF-8 names, long
 * paths). open() maps O_NOFOLLOW to FILE_FLAG_OPEN_REPARSE_POINT and refuses
 * a reparse point with ELOOP as Linux refuses a symlink; O_CREAT with a
 * private mode (no group or other bits) creates the file with the owner +
 * SYSTEM + Administrators DACL; a directory descriptor remembers its path so
 * that openat() and friends resolve against it.
 */
#include "platform/windows/win.h"

#include <aclapi.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/proc.h"
#include "rdiag/util.h"

#undef open
#undef fstat
#undef openat
#undef fstatat
#undef lstat
#undef unlinkat
#undef mkdirat
#undef mkdir
#undef renameat
#undef rename
#undef fdopendir
#undef mkdtemp
#undef fsync
#undef fchmod
#undef pread
#undef flock
#undef fcntl
#undef posix_fadvise
#undef realpath
#undef strptime
#undef strsignal
#undef readlink
#undef faccessat
#undef fclose
#undef strerror
#undef opendir
#undef closedir
#undef pipe

/* The path each open directory descriptor was opened with. */
#define DIRFD_MAX 4096
static char *dir_paths[DIRFD_MAX];
static SRWLOCK dir_lock = SRWLOCK_INIT;

static void dirfd_set(int fd, const char *path)
{
	if (fd < 0 || fd >= DIRFD_MAX)
		return;
	AcquireSRWLockExclusive(&dir_lock);
	free(dir_paths[fd]);
	dir_paths[fd] = path ? xstrdup(path) : NULL;
	ReleaseSRWLockExclusive(&dir_lock);
}

/* dirfd's path joined with path (newly allocated), or NULL (EBADF). */
static char *at_path(int dirfd, const char *path)
{
	char *r = NULL;

	if (dirfd == AT_FDCWD || (path[0] && path[1] == ':') ||
	    path[0] == '/' || path[0] == '\\')
		return xstrdup(path);
	if (dirfd < 0 || dirfd >= DIRFD_MAX) {
		errno = EBADF;
		return NULL;
	}
	AcquireSRWLockShared(&dir_lock);
	if (dir_paths[dirfd])
		r = xasprintf("%s\\%s", dir_paths[dirfd], path);
	ReleaseSRWLockShared(&dir_lock);
	if (!r)
		errno = EBADF;
	return r;
}

char *win_dirfd_path(int fd)
{
	char *r = NULL;

	if (fd < 0 || fd >= DIRFD_MAX)
		return NULL;
	AcquireSRWLockShared(&dir_lock);
	if (dir_paths[fd])
		r = xstrdup(dir_paths[fd]);
	ReleaseSRWLockShared(&dir_lock);
	return r;
}

static int set_errno(int neg)
{
	errno = -neg;
	return -1;
}

int rdiag_open(const char *path, int flags, ...)
{
	SECURITY_ATTRIBUTES sa = { .nLength = sizeof(sa) };
	DWORD access = 0, disp, attrs = FILE_ATTRIBUTE_NORMAL;
	int mode = 0666, acc = flags & (_O_RDONLY | _O_WRONLY | _O_RDWR);
	int crt = 0, fd, r;
	BY_HANDLE_FILE_INFORMATION info;
	wchar_t *w;
	HANDLE h;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (acc == _O_RDONLY) {
		access = GENERIC_READ;
		crt = _O_RDONLY;
	} else if (acc == _O_WRONLY) {
		access = GENERIC_WRITE;
		crt = _O_WRONLY;
	} else {
		access = GENERIC_READ | GENERIC_WRITE;
		crt = _O_RDWR;
	}
	if (flags & O_APPEND) {
		access = (access & ~(DWORD)GENERIC_WRITE) | FILE_APPEND_DATA;
		crt |= _O_APPEND;
	}
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = CREATE_NEW;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = CREATE_ALWAYS;
	else if (flags & O_CREAT)
		disp = OPEN_ALWAYS;
	else if (flags & O_TRUNC)
		disp = TRUNCATE_EXISTING;
	else
		disp = OPEN_EXISTING;
	/* Directories open only with backup semantics. */
	attrs |= FILE_FLAG_BACKUP_SEMANTICS;
	if (flags & O_NOFOLLOW)
		attrs |= FILE_FLAG_OPEN_REPARSE_POINT;
	if (!(w = win_wpath(path)))
		return -1;
	if ((flags & O_CREAT) && !(mode & 077)) {
		if ((r = win_private_sa(&sa)) < 0) {
			free(w);
			return set_errno(r);
		}
	}
	sa.bInheritHandle = FALSE;
	h = CreateFileW(w, access,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			&sa, disp, attrs, NULL);
	r = h == INVALID_HANDLE_VALUE ? win_last_errno() : 0;
	win_private_sa_free(&sa);
	free(w);
	if (r < 0)
		return set_errno(r);
	if (GetFileInformationByHandle(h, &info)) {
		bool dir = info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY;

		if ((flags & O_NOFOLLOW) &&
		    (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
			CloseHandle(h);
			return set_errno(-ELOOP);
		}
		if ((flags & O_DIRECTORY) && !dir) {
			CloseHandle(h);
			return set_errno(-ENOTDIR);
		}
		if (!(flags & O_DIRECTORY) && dir && acc != _O_RDONLY) {
			CloseHandle(h);
			return set_errno(-EISDIR);
		}
	}
	fd = _open_osfhandle((intptr_t)h, crt | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		return set_errno(-EMFILE);
	}
	dirfd_set(fd, (flags & O_DIRECTORY) ? path : NULL);
	return fd;
}

int rdiag_openat(int dirfd, const char *path, int flags, ...)
{
	char *p = at_path(dirfd, path);
	int mode = 0, fd;

	if (!p)
		return -1;
	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	fd = rdiag_open(p, flags, mode);
	free(p);
	return fd;
}

int rdiag_lstat(const char *path, struct stat *st)
{
	WIN32_FILE_ATTRIBUTE_DATA a;
	wchar_t *w = win_wpath(path);
	int r;

	if (!w)
		return -1;
	if (!GetFileAttributesExW(w, GetFileExInfoStandard, &a)) {
		free(w);
		return set_errno(win_last_errno());
	}
	free(w);
	if ((r = stat(path, st)) < 0 &&
	    !(a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
		return r;
	if (a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		if (r < 0)
			memset(st, 0, sizeof(*st));
		st->st_mode = (st->st_mode & ~S_IFMT) | S_IFLNK;
	}
	return 0;
}

int rdiag_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	char *p = at_path(dirfd, path);
	int r;

	if (!p)
		return -1;
	r = (flags & AT_SYMLINK_NOFOLLOW) ? rdiag_lstat(p, st) : stat(p, st);
	free(p);
	return r;
}

/*
 * Delete a file the POSIX way: its name goes at once even while it is open
 * (rdiag unlinks a scratch file it keeps open, then removes its directory).
 * FILE_DISPOSITION_FLAG_POSIX_SEMANTICS (Windows 10 1709, NTFS); elsewhere
 * the classic delete-on-last-close. (21 is FileDispositionInfoEx, which
 * mingw-w64 declares only for _WIN32_WINNT >= 0x0A00.)
 */
static int delete_posix(const wchar_t *w)
{
	FILE_DISPOSITION_INFO_EX ex = {
		.Flags = FILE_DISPOSITION_FLAG_DELETE |
			 FILE_DISPOSITION_FLAG_POSIX_SEMANTICS |
			 FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE,
	};
	FILE_DISPOSITION_INFO classic = { .DeleteFile = TRUE };
	HANDLE h = CreateFileW(
		w, DELETE,
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
		OPEN_EXISTING,
		FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
		NULL);
	int r = 0;

	if (h == INVALID_HANDLE_VALUE)
		return win_last_errno();
	if (SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)21, &ex,
				       sizeof(ex))) {
		CloseHandle(h);
		return 0;
	}
	/* Without POSIX semantics a name stays until the last handle closes,
	 * and its directory cannot be removed: first move the name up one
	 * level (same volume), under a hidden random one. */
	{
		size_t n = wcslen(w), cut = 0, cut2 = 0;
		wchar_t *to = xcalloc(n + 40, sizeof(*to));
		unsigned char rnd[8];

		for (size_t i = 0; i < n; i++)
			if (w[i] == L'\\') {
				cut2 = cut;
				cut = i;
			}
		randombytes_buf(rnd, sizeof(rnd));
		if (cut2 > 0) {
			wcsncpy(to, w, cut2 + 1);
			_snwprintf(to + cut2 + 1, 39,
				   L".rdiag-deleted-%02x%02x%02x%02x%02x%02x%"
				   L"02x%02x",
				   rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
				   rnd[5], rnd[6], rnd[7]);
		}
		if (cut2 > 0) {
			FILE_RENAME_INFO *ri;
			size_t len = wcslen(to) * sizeof(wchar_t);

			ri = xcalloc(1, sizeof(*ri) + len);
			ri->ReplaceIfExists = FALSE;
			ri->FileNameLength = (DWORD)len;
			memcpy(ri->FileName, to, len);
			SetFileInformationByHandle(h, FileRenameInfo, ri,
						   (DWORD)(sizeof(*ri) + len));
			free(ri);
		}
		free(to);
	}
	if (!SetFileInformationByHandle(h, FileDispositionInfo, &classic,
					sizeof(classic)))
		r = win_last_errno();
	CloseHandle(h);
	return r;
}

int rdiag_unlinkat(int dirfd, const char *path, int flags)
{
	char *p = at_path(dirfd, path);
	wchar_t *w;
	int r = 0;

	if (!p)
		return -1;
	w = win_wpath(p);
	free(p);
	if (!w)
		return -1;
	if (flags & AT_REMOVEDIR)
		r = RemoveDirectoryW(w) ? 0 : win_last_errno();
	else
		r = delete_posix(w);
	free(w);
	return r < 0 ? set_errno(r) : 0;
}

int rdiag_mkdir(const char *path, int mode)
{
	SECURITY_ATTRIBUTES sa = { .nLength = sizeof(sa) };
	wchar_t *w = win_wpath(path);
	int r = 0;

	if (!w)
		return -1;
	if (!(mode & 077))
		r = win_private_sa(&sa);
	if (r == 0 && !CreateDirectoryW(w, &sa))
		r = win_last_errno();
	win_private_sa_free(&sa);
	free(w);
	return r < 0 ? set_errno(r) : 0;
}

int rdiag_mkdirat(int dirfd, const char *path, int mode)
{
	char *p = at_path(dirfd, path);
	int r;

	if (!p)
		return -1;
	r = rdiag_mkdir(p, mode);
	free(p);
	return r;
}

int rdiag_rename(const char *oldpath, const char *newpath)
{
	wchar_t *a = win_wpath(oldpath), *b = win_wpath(newpath);
	int r = 0;

	if (!a || !b)
		r = -EILSEQ;
	else if (!MoveFileExW(a, b,
			      MOVEFILE_REPLACE_EXISTING |
				      MOVEFILE_WRITE_THROUGH))
		r = win_last_errno();
	free(a);
	free(b);
	return r < 0 ? set_errno(r) : 0;
}

int rdiag_renameat(int olddirfd, const char *oldpath, int newdirfd,
		   const char *newpath)
{
	char *a = at_path(olddirfd, oldpath), *b = at_path(newdirfd, newpath);
	int r = -1;

	if (a && b)
		r = rdiag_rename(a, b);
	free(a);
	free(b);
	return r;
}

/* Each open DIR's descriptor (for dirfd) and whether closedir closes it. */
struct dir_fd {
	DIR *d;
	int fd;
	char *path;
	struct dir_fd *next;
};

static struct dir_fd *dir_fds;
static SRWLOCK dir_fds_lock = SRWLOCK_INIT;

static DIR *dir_track(DIR *d, int fd, const char *path)
{
	struct dir_fd *e;

	if (!d)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->d = d;
	e->fd = fd;
	e->path = xstrdup(path);
	AcquireSRWLockExclusive(&dir_fds_lock);
	e->next = dir_fds;
	dir_fds = e;
	ReleaseSRWLockExclusive(&dir_fds_lock);
	return d;
}

DIR *rdiag_opendir(const char *path)
{
	return dir_track(opendir(path), -1, path);
}

DIR *rdiag_fdopendir(int fd)
{
	char *p = at_path(fd, ".");
	DIR *d;

	if (!p)
		return NULL;
	/* POSIX: the DIR owns fd from now on; closedir closes it. */
	d = dir_track(opendir(p), fd, p);
	free(p);
	return d;
}

int dirfd(DIR *d)
{
	struct dir_fd *e;
	int fd = -1;

	AcquireSRWLockExclusive(&dir_fds_lock);
	for (e = dir_fds; e && e->d != d; e = e->next)
		;
	if (e && e->fd < 0)
		e->fd = rdiag_open(e->path, O_RDONLY | O_DIRECTORY);
	if (e)
		fd = e->fd;
	ReleaseSRWLockExclusive(&dir_fds_lock);
	if (fd < 0)
		errno = EBADF;
	return fd;
}

int rdiag_closedir(DIR *d)
{
	struct dir_fd **pp, *e = NULL;

	AcquireSRWLockExclusive(&dir_fds_lock);
	for (pp = &dir_fds; *pp; pp = &(*pp)->next) {
		if ((*pp)->d == d) {
			e = *pp;
			*pp = e->next;
			break;
		}
	}
	ReleaseSRWLockExclusive(&dir_fds_lock);
	if (e) {
		if (e->fd >= 0)
			close(e->fd);
		free(e->path);
		free(e);
	}
	return closedir(d);
}

char *rdiag_mkdtemp(char *tmpl)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(tmpl);

	if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return NULL;
	}
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[6];
		int r;

		randombytes_buf(rnd, sizeof(rnd));
		for (int i = 0; i < 6; i++)
			tmpl[n - 6 + i] = chars[rnd[i] % (sizeof(chars) - 1)];
		if ((r = rdiag_mkdir(tmpl, 0700)) == 0)
			return tmpl;
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

int rdiag_fsync(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE)
		return set_errno(-EBADF);
	/* A read-only or directory handle cannot be flushed: nothing to do. */
	if (!FlushFileBuffers(h) && GetLastError() != ERROR_ACCESS_DENIED &&
	    GetLastError() != ERROR_INVALID_HANDLE)
		return set_errno(win_last_errno());
	return 0;
}

int rdiag_fchmod(int fd, int mode)
{
	/* The DACL was set when the file was created private. */
	(void)fd;
	(void)mode;
	return 0;
}

ssize_t rdiag_pread(int fd, void *buf, size_t len, long long off)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov = { .Offset = (DWORD)off,
			  .OffsetHigh =
				  (DWORD)((unsigned long long)off >> 32) };
	DWORD n = 0;

	LARGE_INTEGER zero = { 0 }, cur;
	BOOL ok;

	if (h == INVALID_HANDLE_VALUE)
		return set_errno(-EBADF);
	if (len > 1u << 30)
		len = 1u << 30;
	/* ReadFile at an offset moves a synchronous handle's file pointer;
	 * pread() must not. */
	if (!SetFilePointerEx(h, zero, &cur, FILE_CURRENT))
		return set_errno(win_last_errno());
	ok = ReadFile(h, buf, (DWORD)len, &n, &ov);
	if (!ok && GetLastError() != ERROR_HANDLE_EOF) {
		int r = win_last_errno();

		SetFilePointerEx(h, cur, NULL, FILE_BEGIN);
		return set_errno(r);
	}
	SetFilePointerEx(h, cur, NULL, FILE_BEGIN);
	return ok ? (ssize_t)n : 0;
}

int rdiag_flock(int fd, int op)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov = { 0 };
	DWORD fl = 0;

	if (h == INVALID_HANDLE_VALUE)
		return set_errno(-EBADF);
	if (op & LOCK_UN)
		return UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov)
			       ? 0
			       : set_errno(win_last_errno());
	if (op & LOCK_EX)
		fl |= LOCKFILE_EXCLUSIVE_LOCK;
	if (op & LOCK_NB)
		fl |= LOCKFILE_FAIL_IMMEDIATELY;
	if (LockFileEx(h, fl, 0, MAXDWORD, MAXDWORD, &ov))
		return 0;
	if (GetLastError() == ERROR_LOCK_VIOLATION ||
	    GetLastError() == ERROR_IO_PENDING)
		return set_errno(-EWOULDBLOCK);
	return set_errno(win_last_errno());
}

int rdiag_fcntl(int fd, int cmd, ...)
{
	struct flock *fl;
	va_list ap;

	/* Close-on-exec is the default (handles are not inherited unless
	 * asked), and pipes are read through the platform layer; locks are
	 * whole-file LockFileEx locks. */
	if (cmd != F_SETLK && cmd != F_SETLKW)
		return 0;
	va_start(ap, cmd);
	fl = va_arg(ap, struct flock *);
	va_end(ap);
	if (fl->l_type == F_UNLCK)
		return rdiag_flock(fd, LOCK_UN);
	return rdiag_flock(fd, (fl->l_type == F_WRLCK ? LOCK_EX : LOCK_SH) |
				       (cmd == F_SETLK ? LOCK_NB : 0));
}

int rdiag_posix_fadvise(int fd, long long off, long long len, int advice)
{
	(void)fd;
	(void)off;
	(void)len;
	(void)advice;
	return 0;
}

char *rdiag_realpath(const char *path, char *resolved)
{
	wchar_t *w = win_wpath(path), full[32768];
	HANDLE h;
	DWORD n;
	char *u;

	if (!w)
		return NULL;
	h = CreateFileW(w, 0,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		errno = -win_last_errno();
		return NULL;
	}
	n = GetFinalPathNameByHandleW(h, full, ARRAY_SIZE(full),
				      FILE_NAME_NORMALIZED);
	CloseHandle(h);
	if (n == 0 || n >= ARRAY_SIZE(full)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* Drop the \\?\ GetFinalPathNameByHandleW puts in front. */
	u = win_utf8(wcsncmp(full, L"\\\\?\\", 4) == 0 ? full + 4 : full);
	if (!u) {
		errno = EILSEQ;
		return NULL;
	}
	if (!resolved)
		return u;
	snprintf(resolved, 260, "%s", u);
	free(u);
	return resolved;
}

/* The two formats rdiag parses: %Y-%m-%d and %Y-%m-%dT%H:%M:%S. */
char *rdiag_strptime(const char *s, const char *fmt, struct tm *tm)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;

	if (strcmp(fmt, "%Y-%m-%d") == 0) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
			return NULL;
	} else if (strcmp(fmt, "%Y-%m-%dT%H:%M:%S") == 0) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
			   &se, &n) != 6)
			return NULL;
	} else {
		return NULL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return NULL;
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	return (char *)(uintptr_t)(s + n);
}

const char *rdiag_strsignal(int sig)
{
	switch (sig) {
	case 2:
		return "Interrupt";
	case 6:
		return "Aborted";
	case 9:
		return "Killed";
	case 11:
		return "Segmentation fault";
	case 15:
		return "Terminated";
	default:
		return "Unknown signal";
	}
}

ssize_t rdiag_readlink(const char *path, char *buf, size_t len)
{
	/* Only /proc's links are read, and Windows has no /proc. */
	(void)path;
	(void)buf;
	(void)len;
	return set_errno(-ENOENT);
}

int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	void (*prev)(int) = SIG_DFL;

	/* Only what the C runtime can deliver; the others are accepted and
	 * have no Windows counterpart (SIGPIPE: send() returns an error). */
	if (sig == SIGINT || sig == SIGTERM || sig == SIGABRT) {
		if (sa) {
			prev = signal(sig, sa->sa_handler);
			if (prev == SIG_ERR)
				return set_errno(-EINVAL);
		} else {
			prev = signal(sig, SIG_DFL);
			signal(sig, prev);
		}
	}
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = prev;
	}
	return 0;
}

int sigemptyset(sigset_t *set)
{
	*set = 0;
	return 0;
}

int sigfillset(sigset_t *set)
{
	*set = ~(sigset_t)0;
	return 0;
}

int sigaddset(sigset_t *set, int sig)
{
	*set |= (sigset_t)1 << (sig & 63);
	return 0;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	(void)how;
	(void)set;
	if (old)
		*old = 0;
	return 0;
}

int sigpending(sigset_t *set)
{
	*set = 0;
	return 0;
}

int sigismember(const sigset_t *set, int sig)
{
	return (*set >> (sig & 63)) & 1;
}

int sigtimedwait(const sigset_t *set, void *info, const struct timespec *t)
{
	(void)set;
	(void)info;
	(void)t;
	return set_errno(-EAGAIN);
}

int rdiag_faccessat(int dirfd, const char *path, int mode, int flags)
{
	char *p = at_path(dirfd, path);
	wchar_t *w;
	DWORD attr;

	(void)flags;
	if (!p)
		return -1;
	w = win_wpath(p);
	free(p);
	if (!w)
		return -1;
	attr = GetFileAttributesW(w);
	free(w);
	if (attr == INVALID_FILE_ATTRIBUTES)
		return set_errno(win_last_errno());
	/* The read-only attribute; the DACL is the open's to judge. */
	if ((mode & W_OK) && (attr & FILE_ATTRIBUTE_READONLY) &&
	    !(attr & FILE_ATTRIBUTE_DIRECTORY))
		return set_errno(-EACCES);
	return 0;
}

int link(const char *oldpath, const char *newpath)
{
	wchar_t *a = win_wpath(oldpath), *b = win_wpath(newpath);
	int r = 0;

	if (!a || !b)
		r = -EILSEQ;
	else if (!CreateHardLinkW(b, a, NULL))
		r = win_last_errno();
	free(a);
	free(b);
	return r < 0 ? set_errno(r) : 0;
}

int rdiag_pipe(int fds[2])
{
	return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT);
}

int kill(pid_t pid, int sig)
{
	/* A stop signal for a worker is its job's termination; rdiag sends
	 * nothing else. */
	(void)sig;
	proc_kill_group(pid);
	return 0;
}

/*
 * open_memstream(): a private temporary file (deleted on close) whose
 * contents rdiag_fclose() hands back as the malloc'd buffer.
 */
struct memstream {
	FILE *f;
	char **ptr;
	size_t *size;
	struct memstream *next;
};

static struct memstream *memstreams;
static SRWLOCK memstreams_lock = SRWLOCK_INIT;

FILE *open_memstream(char **ptr, size_t *size)
{
	wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 16];
	struct memstream *m;
	HANDLE h;
	FILE *f;
	int fd;

	if (!GetTempPathW(ARRAY_SIZE(dir), dir) ||
	    !GetTempFileNameW(dir, L"rdg", 0, name))
		return NULL;
	h = CreateFileW(
		name, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
		FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		return NULL;
	}
	if (!(f = _fdopen(fd, "w+b"))) {
		close(fd);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->f = f;
	m->ptr = ptr;
	m->size = size;
	*ptr = NULL;
	*size = 0;
	AcquireSRWLockExclusive(&memstreams_lock);
	m->next = memstreams;
	memstreams = m;
	ReleaseSRWLockExclusive(&memstreams_lock);
	return f;
}

int rdiag_fclose(FILE *f)
{
	struct memstream **pp, *m = NULL;

	AcquireSRWLockExclusive(&memstreams_lock);
	for (pp = &memstreams; *pp; pp = &(*pp)->next) {
		if ((*pp)->f == f) {
			m = *pp;
			*pp = m->next;
			break;
		}
	}
	ReleaseSRWLockExclusive(&memstreams_lock);
	if (m) {
		long n;
		char *p;

		fflush(f);
		n = ftell(f);
		p = xmalloc(n > 0 ? (size_t)n + 1 : 1);
		rewind(f);
		if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n)
			n = 0;
		p[n > 0 ? n : 0] = '\0';
		*m->ptr = p;
		*m->size = n > 0 ? (size_t)n : 0;
		free(m);
	}
	return fclose(f);
}

ssize_t getline(char **line, size_t *cap, FILE *f)
{
	size_t n = 0;
	int c;

	if (!*line || *cap == 0) {
		*cap = 128;
		*line = xrealloc(*line, *cap);
	}
	while ((c = getc(f)) != EOF) {
		if (n + 2 > *cap) {
			*cap *= 2;
			*line = xrealloc(*line, *cap);
		}
		(*line)[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return -1;
	(*line)[n] = '\0';
	return (ssize_t)n;
}

/*
 * Files and the standard streams in binary mode, as on Linux: a bundle, a
 * report or JSON written by rdiag.exe has the same bytes as one written by
 * rdiag (no CR inserted before each LF). Runs before main().
 */
__attribute__((constructor)) static void binary_mode(void)
{
	_fmode = _O_BINARY;
	_setmode(0, _O_BINARY);
	_setmode(1, _O_BINARY);
	_setmode(2, _O_BINARY);
}

int setenv(const char *name, const char *value, int overwrite)
{
	if (!overwrite && getenv(name))
		return 0;
	return _putenv_s(name, value) == 0 ? 0 : set_errno(-EINVAL);
}

int unsetenv(const char *name)
{
	return _putenv_s(name, "") == 0 ? 0 : set_errno(-EINVAL);
}

/*
 * strerror() with glibc's words, so that rdiag.exe's messages read as
 * rdiag's: msvcrt knows only the C89 errno values and says "Unknown error"
 * for the network ones.
 */
const char *rdiag_strerror(int e)
{
	static const struct {
		int e;
		const char *text;
	} texts[] = {
		{ EPERM, "Operation not permitted" },
		{ ENOENT, "No such file or directory" },
		{ EINTR, "Interrupted system call" },
		{ EIO, "Input/output error" },
		{ EBADF, "Bad file descriptor" },
		{ EAGAIN, "Resource temporarily unavailable" },
		{ ENOMEM, "Cannot allocate memory" },
		{ EACCES, "Permission denied" },
		{ EEXIST, "File exists" },
		{ ENOTDIR, "Not a directory" },
		{ EISDIR, "Is a directory" },
		{ EINVAL, "Invalid argument" },
		{ EMFILE, "Too many open files" },
		{ ENOSPC, "No space left on device" },
		{ EPIPE, "Broken pipe" },
		{ ERANGE, "Numerical result out of range" },
		{ ENAMETOOLONG, "File name too long" },
		{ ENOSYS, "Function not implemented" },
		{ ENOTEMPTY, "Directory not empty" },
		{ ELOOP, "Too many levels of symbolic links" },
		{ EILSEQ, "Invalid or incomplete multibyte or wide character" },
		{ ENODATA, "No data available" },
		{ ETIMEDOUT, "Connection timed out" },
		{ ECONNREFUSED, "Connection refused" },
		{ ECONNRESET, "Connection reset by peer" },
		{ ECONNABORTED, "Software caused connection abort" },
		{ EHOSTUNREACH, "No route to host" },
		{ ENETUNREACH, "Network is unreachable" },
		{ ENETDOWN, "Network is down" },
		{ EADDRINUSE, "Address already in use" },
		{ EADDRNOTAVAIL, "Cannot assign requested address" },
		{ EAFNOSUPPORT, "Address family not supported by protocol" },
		{ EINPROGRESS, "Operation now in progress" },
		{ EMSGSIZE, "Message too long" },
		{ ENOBUFS, "No buffer space available" },
		{ EBADMSG, "Bad message" },
		{ EPROTO, "Protocol error" },
		{ ENOTSUP, "Operation not supported" },
		{ ECHILD, "No child processes" },
		{ EBUSY, "Device or resource busy" },
		{ ENOTTY, "Inappropriate ioctl for device" },
		{ EDQUOT, "Disk quota exceeded" },
		{ EMEDIUMTYPE, "Wrong medium type" },
		{ EREMOTEIO, "Remote I/O error" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (texts[i].e == e)
			return texts[i].text;
	return strerror(e);
}

/*
 * fstat() whose group and other bits say what the DACL says: 0 when only
 * the owner, SYSTEM and Administrators are allowed in (what rdiag's secret
 * key and config checks ask, "mode 0600"), the CRT's when anyone else is,
 * the DACL is NULL or cannot be read.
 */
int rdiag_fstat(int fd, struct stat *st)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	PSID owner = NULL;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	bool others = false;

	if (fstat(fd, st) < 0)
		return -1;
	if (h == INVALID_HANDLE_VALUE || GetFileType(h) != FILE_TYPE_DISK ||
	    GetSecurityInfo(h, SE_FILE_OBJECT,
			    OWNER_SECURITY_INFORMATION |
				    DACL_SECURITY_INFORMATION,
			    &owner, NULL, &dacl, NULL, &sd) != ERROR_SUCCESS)
		return 0;
	if (!dacl)
		others = true;
	for (DWORD i = 0; dacl && i < dacl->AceCount && !others; i++) {
		ACCESS_ALLOWED_ACE *a;
		PSID sid;

		if (!GetAce(dacl, i, (void **)&a) ||
		    a->Header.AceType != ACCESS_ALLOWED_ACE_TYPE)
			continue;
		sid = &a->SidStart;
		if ((owner && EqualSid(sid, owner)) ||
		    IsWellKnownSid(sid, WinLocalSystemSid) ||
		    IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
		    IsWellKnownSid(sid, WinCreatorOwnerSid))
			continue;
		others = true;
	}
	LocalFree(sd);
	if (!others)
		st->st_mode &= ~(unsigned)077;
	return 0;
}
