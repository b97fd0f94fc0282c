/*
 * The POSIX names rdiag's portable code uses that mingw-w64's CRT lacks or
 * spells differently, for the Windows build only: CMake force-includes this
 * header into every file of rdiag.exe (-include), so no source file grows
 * an #ifdef for them. It does not include windows.h (its macros clash with
 * rdiag's names); the functions are in posix_compat.c, on wide-character
 * Windows APIs: open() understands O_NOFOLLOW (FILE_FLAG_OPEN_REPARSE_POINT;
 * a reparse point is refused with ELOOP), O_DIRECTORY and O_CLOEXEC; a
 * new file or directory made with a private mode (no group/other bits) gets
 * the owner + SYSTEM + Administrators DACL; the *at() calls resolve against
 * the path a directory descriptor was opened with; rename() replaces.
 */
#ifndef RDIAG_POSIX_COMPAT_H
#define RDIAG_POSIX_COMPAT_H
#ifdef _WIN32

/* Included first so that the macros below do not rename their prototypes. */
#include <direct.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define O_CLOEXEC   _O_NOINHERIT
#define O_NOFOLLOW  0x01000000
#define O_DIRECTORY 0x02000000
#define O_NONBLOCK  0x04000000
#define O_NOCTTY    0
#define O_SYNC      0

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

#define F_GETFD    1
#define F_SETFD    2
#define F_GETFL    3
#define F_SETFL    4
#define FD_CLOEXEC 1

#define POSIX_FADV_SEQUENTIAL 2

#ifndef EDQUOT
#define EDQUOT 190
#endif
#ifndef EMEDIUMTYPE
#define EMEDIUMTYPE 191
#endif

#ifndef S_IFLNK
#define S_IFLNK 0xA000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#endif
#ifndef S_IRWXG
#define S_IRWXG 0070
#define S_IRGRP 0040
#define S_IWGRP 0020
#define S_IXGRP 0010
#define S_IRWXO 0007
#define S_IROTH 0004
#define S_IWOTH 0002
#define S_IXOTH 0001
#endif

/* Signals: the C runtime knows SIGINT, SIGTERM, SIGABRT (signal()); the
 * rest exist as numbers so that portable code compiles, and sigaction()
 * installs what the runtime supports. */
#include <signal.h>
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
#ifndef SIGCHLD
#define SIGCHLD 17
#endif
#ifndef SIGQUIT
#define SIGQUIT 3
#endif
typedef _sigset_t sigset_t;
struct sigaction {
	void (*sa_handler)(int);
	sigset_t sa_mask;
	int sa_flags;
};
#define SA_RESTART  0x10000000
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
int sigaction(int sig, const struct sigaction *sa, struct sigaction *old);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);

int sigpending(sigset_t *set);
int sigismember(const sigset_t *set, int sig);
struct timespec;
int sigtimedwait(const sigset_t *set, void *info, const struct timespec *t);
/* winpthreads' pthread_sigmask is a macro that drops its arguments. */
#include <pthread.h>
#undef pthread_sigmask
#define pthread_sigmask(h, s, o) sigprocmask(h, s, o)

#ifndef EREMOTEIO
#define EREMOTEIO 192
#endif
#ifndef EAI_SYSTEM
#define EAI_SYSTEM (-11)
#endif
#define AT_EACCESS 0x200

/* fcntl() record locks (one writer for the whole file, as rdiag uses). */
#define F_RDLCK  0
#define F_WRLCK  1
#define F_UNLCK  2
#define F_SETLK  6
#define F_SETLKW 7
struct flock {
	short l_type;
	short l_whence;
	long long l_start;
	long long l_len;
	int l_pid;
};

/* Per-thread locales: rdiag.exe has no catalogs (include/libintl.h), so
 * the customer's locale is never made and lookups stay in "C". */
#include <locale.h>
typedef void *locale_t;
#define LC_GLOBAL_LOCALE ((locale_t)-1)
static inline locale_t duplocale(locale_t l)
{
	(void)l;
	return (locale_t)0;
}
static inline locale_t uselocale(locale_t l)
{
	return l;
}

int rdiag_open(const char *path, int flags, ...);
int rdiag_fstat(int fd, struct stat *st);
int rdiag_openat(int dirfd, const char *path, int flags, ...);
int rdiag_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int rdiag_lstat(const char *path, struct stat *st);
int rdiag_unlinkat(int dirfd, const char *path, int flags);
int rdiag_mkdirat(int dirfd, const char *path, int mode);
int rdiag_mkdir(const char *path, int mode);
int rdiag_renameat(int olddirfd, const char *oldpath, int newdirfd,
		   const char *newpath);
int rdiag_rename(const char *oldpath, const char *newpath);
DIR *rdiag_fdopendir(int fd);
char *rdiag_mkdtemp(char *tmpl);
int rdiag_fsync(int fd);
int rdiag_fchmod(int fd, int mode);
ssize_t rdiag_pread(int fd, void *buf, size_t len, long long off);
int rdiag_flock(int fd, int op);
int rdiag_fcntl(int fd, int cmd, ...);
int rdiag_posix_fadvise(int fd, long long off, long long len, int advice);
char *rdiag_realpath(const char *path, char *resolved);
char *rdiag_strptime(const char *s, const char *fmt, struct tm *tm);
const char *rdiag_strsignal(int sig);
ssize_t rdiag_readlink(const char *path, char *buf, size_t len);
int rdiag_faccessat(int dirfd, const char *path, int mode, int flags);
int link(const char *oldpath, const char *newpath);
int rdiag_pipe(int fds[2]);
int kill(pid_t pid, int sig);
ssize_t getline(char **line, size_t *cap, FILE *f);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);
FILE *open_memstream(char **ptr, size_t *size);
int rdiag_fclose(FILE *f);
#include <string.h>
const char *rdiag_strerror(int e);
DIR *rdiag_opendir(const char *path);
int rdiag_closedir(DIR *d);
int dirfd(DIR *d);

#define open(...)                  rdiag_open(__VA_ARGS__)
#define openat(...)                rdiag_openat(__VA_ARGS__)
#define fstat(fd, s)               rdiag_fstat(fd, s)
#define fstatat(d, p, s, f)        rdiag_fstatat(d, p, s, f)
#define lstat(p, s)                rdiag_lstat(p, s)
#define unlinkat(d, p, f)          rdiag_unlinkat(d, p, f)
#define mkdirat(d, p, m)           rdiag_mkdirat(d, p, m)
#define mkdir(p, m)                rdiag_mkdir(p, m)
#define renameat(a, b, c, d)       rdiag_renameat(a, b, c, d)
#define rename(a, b)               rdiag_rename(a, b)
#define fdopendir(fd)              rdiag_fdopendir(fd)
#define mkdtemp(t)                 rdiag_mkdtemp(t)
#define fsync(fd)                  rdiag_fsync(fd)
#define fchmod(fd, m)              rdiag_fchmod(fd, m)
#define pread(fd, b, l, o)         rdiag_pread(fd, b, l, o)
#define flock(fd, op)              rdiag_flock(fd, op)
#define fcntl(...)                 rdiag_fcntl(__VA_ARGS__)
#define posix_fadvise(fd, o, l, a) rdiag_posix_fadvise(fd, o, l, a)
#define realpath(p, r)             rdiag_realpath(p, r)
#define strptime(s, f, t)          rdiag_strptime(s, f, t)
#define strsignal(s)               rdiag_strsignal(s)
#define readlink(p, b, l)          rdiag_readlink(p, b, l)
#define faccessat(d, p, m, f)      rdiag_faccessat(d, p, m, f)
#define fclose(f)                  rdiag_fclose(f)
#define strerror(e)                rdiag_strerror(e)
#define opendir(p)                 rdiag_opendir(p)
#define closedir(d)                rdiag_closedir(d)
#define pipe(fds)                  rdiag_pipe(fds)

#endif
#endif
