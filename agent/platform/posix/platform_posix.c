/*
 * The POSIX (Linux) implementation of platform.h's own calls: host, time,
 * users, secure creation, file-system facts and terminals. Processes and
 * bounded calls are in proc.c and bounded.c beside it.
 */
#define _GNU_SOURCE /* struct winsize, TIOCGWINSZ; O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "rdiag/util.h"

struct platform_term {
	int fd;
	struct termios saved;
};

int platform_hostname(char *buf, size_t len)
{
	char name[256];

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	/* POSIX leaves a name longer than the buffer unspecified: ask with
	 * room to spare and cut it ourselves. */
	if (gethostname(name, sizeof(name) - 1) < 0)
		return -errno;
	name[sizeof(name) - 1] = '\0';
	snprintf(buf, len, "%s", name);
	return 0;
}

int64_t platform_monotonic_ms(void)
{
	return now_ms();
}

int64_t platform_utc_seconds(void)
{
	return (int64_t)time(NULL);
}

bool platform_is_root(void)
{
	return geteuid() == 0;
}

long platform_uid(void)
{
	return (long)getuid();
}

int platform_file_private(int fd, bool allow_own, char *why, size_t why_len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		if (why)
			snprintf(why, why_len, "not a regular file");
		return -EPERM;
	}
	if (st.st_uid != 0 && !(allow_own && st.st_uid == geteuid())) {
		if (why)
			snprintf(why, why_len, "owned by uid %ld",
				 (long)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		if (why)
			snprintf(why, why_len, "writable by %s",
				 st.st_mode & S_IWOTH ? "others" : "its group");
		return -EPERM;
	}
	return 0;
}

int platform_create_new(const char *path, unsigned mode, int *ret_fd)
{
	int fd =
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     (mode_t)mode);

	if (fd < 0)
		return -errno;
	/* The mode is exact, whatever the umask (as fs_write_atomic). */
	if (fchmod(fd, (mode_t)mode) < 0) {
		int r = -errno;

		close(fd);
		unlink(path);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int platform_create_unnamed(int dirfd, int *ret_fd)
{
	char name[32];
	int fd;

#ifdef O_TMPFILE
	fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	/* Older kernels and some file systems: a name, unlinked at once. */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
#endif
	for (unsigned i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), ".unnamed-%ld-%u", (long)getpid(),
			 i);
		fd = openat(dirfd, name,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		if (unlinkat(dirfd, name, 0) < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		*ret_fd = fd;
		return 0;
	}
	return -EEXIST;
}

int platform_fs_info(const char *path, struct platform_fs_info *ret)
{
	struct statvfs sv;
	uint64_t frsize;

	if (statvfs(path, &sv) < 0)
		return -errno;
	frsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	*ret = (struct platform_fs_info){
		.size_bytes = (uint64_t)sv.f_blocks * frsize,
		.free_bytes = (uint64_t)sv.f_bfree * frsize,
		.avail_bytes = (uint64_t)sv.f_bavail * frsize,
		.files = sv.f_files,
		.files_free = sv.f_ffree,
		.read_only = (sv.f_flag & ST_RDONLY) != 0,
	};
	return 0;
}

bool platform_isatty(int fd)
{
	return isatty(fd) == 1;
}

int platform_term_size(int fd, unsigned *ret_cols, unsigned *ret_rows)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	if (!ws.ws_col || !ws.ws_row)
		return -EINVAL;
	*ret_cols = ws.ws_col;
	*ret_rows = ws.ws_row;
	return 0;
}

int platform_term_raw(int fd, struct platform_term **ret_saved)
{
	struct platform_term *pt = xcalloc(1, sizeof(*pt));
	struct termios t;

	pt->fd = fd;
	if (tcgetattr(fd, &pt->saved) < 0) {
		int r = -errno;

		free(pt);
		return r;
	}
	t = pt->saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0) {
		int r = -errno;

		free(pt);
		return r;
	}
	*ret_saved = pt;
	return 0;
}

int platform_term_restore(struct platform_term *saved)
{
	int r = 0;

	if (!saved)
		return 0;
	if (tcsetattr(saved->fd, TCSAFLUSH, &saved->saved) < 0)
		r = -errno;
	free(saved);
	return r;
}

unsigned platform_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* <linux/ioprio.h> is not in every libc's headers; the ABI is fixed. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_IDLE  3
#define IOPRIO_CLASS_SHIFT 13

int platform_lower_priority(void)
{
	int r = 0, cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (cur == -1 && errno != 0)
		r = -errno;
	else if (cur < PLATFORM_GENTLE_NICE &&
		 setpriority(PRIO_PROCESS, 0, PLATFORM_GENTLE_NICE) < 0)
		r = -errno;
#ifdef SYS_ioprio_set
	/* who 0: the calling thread; threads and children inherit it. */
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) < 0 &&
	    r == 0)
		r = -errno;
#endif
	return r;
}
