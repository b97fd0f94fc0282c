/*
 * The POSIX (Linux) implementation of platform.h's own calls: host, time,
 * users, secure creation, file-system facts and terminals. Processes and
 * bounded calls are in proc.c and bounded.c beside it.
 */
#define _GNU_SOURCE /* struct winsize, TIOCGWINSZ; O_TMPFILE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The number after key ("oom_kill ") on a line of path; -ENOENT without. */
static int file_key_u64(const char *path, const char *key, uint64_t *ret)
{
	FILE *f = fopen(path, "re");
	size_t klen = strlen(key);
	char line[256];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (strncmp(line, key, klen) == 0 &&
		    sscanf(line + klen, "%llu", &v) == 1) {
			*ret = v;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/*
 * This process's memory cgroup directories from /proc/self/cgroup: the
 * cgroup v2 one ("0::/path") and the v1 memory controller's
 * ("N:memory:/path"), each NULL when absent; the caller frees both.
 */
static void memory_cgroups(char **ret_v2, char **ret_v1)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];

	*ret_v2 = *ret_v1 = NULL;
	while (f && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *c = strchr(line, ':');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "0::", 3) == 0 && !*ret_v2)
			*ret_v2 = xasprintf("/sys/fs/cgroup%s", line + 3);
		else if (c && strncmp(c, ":memory:", 8) == 0 && !*ret_v1)
			*ret_v1 = xasprintf("/sys/fs/cgroup/memory%s", c + 8);
	}
	if (f)
		fclose(f);
}

int platform_oom_kills(uint64_t *ret)
{
	char *v2, *v1, *path;
	int r = -ENOENT;

	memory_cgroups(&v2, &v1);
	if (v2) {
		path = xasprintf("%s/memory.events", v2);
		r = file_key_u64(path, "oom_kill ", ret);
		free(path);
	}
	if (r < 0 && v1) {
		path = xasprintf("%s/memory.oom_control", v1);
		r = file_key_u64(path, "oom_kill ", ret);
		free(path);
	}
	free(v2);
	free(v1);
	return r < 0 ? -ENOENT : 0;
}

int platform_oom_prefer_self(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "500", 3) != 3)
		r = -errno;
	close(fd);
	return r;
}

/* The first line of path as a number; "max" is UINT64_MAX. */
static int read_limit(const char *path, uint64_t *ret)
{
	FILE *f = fopen(path, "re");
	char line[64];
	unsigned long long v;
	int r = -EINVAL;

	if (!f)
		return -errno;
	if (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "max", 3) == 0) {
			*ret = UINT64_MAX;
			r = 0;
		} else if (sscanf(line, "%llu", &v) == 1) {
			*ret = v;
			r = 0;
		}
	}
	fclose(f);
	return r;
}

/* v2: the smallest memory.max from the cgroup dir up to the root. */
static int memory_limit_v2(const char *dir, uint64_t *ret)
{
	char *path = xstrdup(dir);
	uint64_t min = UINT64_MAX;
	bool any = false;

	for (;;) {
		char *file = xasprintf("%s/memory.max", path);
		char *slash = strrchr(path, '/');
		uint64_t v = UINT64_MAX;

		if (read_limit(file, &v) == 0) {
			any = true;
			if (v < min)
				min = v;
		}
		free(file);
		if (!slash || slash == path + strlen("/sys/fs/cgroup"))
			break;
		*slash = '\0';
	}
	free(path);
	if (!any)
		return -ENOENT;
	*ret = min;
	return 0;
}

int platform_memory_limit(uint64_t *ret)
{
	char *v2, *v1, *path;
	int r = -ENOENT;

	memory_cgroups(&v2, &v1);
	if (v2)
		r = memory_limit_v2(v2, ret);
	if (r < 0 && v1) {
		/* v1 has the whole hierarchy's limit in memory.stat. */
		path = xasprintf("%s/memory.stat", v1);
		r = file_key_u64(path, "hierarchical_memory_limit ", ret);
		free(path);
	}
	free(v2);
	free(v1);
	return r < 0 ? -ENOENT : 0;
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

int platform_background_cpu(bool on)
{
#ifdef SCHED_IDLE
	struct sched_param sp = { .sched_priority = 0 };
	struct dirent *e;
	DIR *d;
	int r = 0;

	/* pid 0: the calling thread; threads it creates inherit it. */
	if (on)
		return sched_setscheduler(0, SCHED_IDLE, &sp) < 0 ? -errno : 0;
	/* Back: every thread (Linux schedules threads, /proc lists them). */
	if (!(d = opendir("/proc/self/task")))
		return sched_setscheduler(0, SCHED_OTHER, &sp) < 0 ? -errno : 0;
	while ((e = readdir(d))) {
		long tid = strtol(e->d_name, NULL, 10);

		if (tid > 0 && sched_getscheduler((pid_t)tid) == SCHED_IDLE &&
		    sched_setscheduler((pid_t)tid, SCHED_OTHER, &sp) < 0 &&
		    errno != ESRCH && r == 0)
			r = -errno;
	}
	closedir(d);
	return r;
#else
	(void)on;
	return -ENOSYS;
#endif
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
