/*
 * What keeps the engineer bound by the session: every process they start
 * is ended with the session (a cgroup v2 subtree where one can be made,
 * plus the session parent as child subreaper so that a setsid/nohup/double
 * fork escapee stays its descendant and is found through /proc), and the
 * evidence files are checked when they are closed: deleted, replaced or
 * truncated behind the writer's back is detected, a deleted file is put
 * back from the descriptor the writer still holds, and the caller reports
 * it. docs/session.md ("Threat model") says what this does and does not
 * stop.
 */
#define _GNU_SOURCE /* O_CLOEXEC, PR_SET_CHILD_SUBREAPER */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/platform.h"
#include "session/session_int.h"

/* The cgroup v2 mount point, from /proc/self/mounts; NULL when none. */
static char *cgroup2_mount(void)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], dev[256], dir[512], type[64];
	char *ret = NULL;

	if (!f)
		return NULL;
	while (!ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0)
			ret = xstrdup(dir);
	fclose(f);
	return ret;
}

/* Our own cgroup v2 path ("/" or "/a/b"), from /proc/self/cgroup. */
static char *cgroup2_self(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024], *ret = NULL;

	if (!f)
		return NULL;
	while (!ret && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			ret = xstrdup(line + 3);
		}
	fclose(f);
	return ret;
}

void session_jail_open(struct session_jail *j, const char *id, bool reap)
{
	char *mnt = cgroup2_mount(), *self = cgroup2_self();

	j->cgroup = NULL;
	j->subreaper = false;
	if (mnt && self) {
		char *dir = xasprintf("%s%s/rdiag-session-%s", mnt,
				      strcmp(self, "/") ? self : "", id);

		if (mkdir(dir, 0700) == 0)
			j->cgroup = dir;
		else
			free(dir);
	}
	free(mnt);
	free(self);
	if (reap && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
		j->subreaper = true;
}

int session_jail_enter(const struct session_jail *j)
{
	char *path;
	int fd, r = 0;

	if (!j->cgroup)
		return -ENOENT;
	path = xasprintf("%s/cgroup.procs", j->cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	/* "0" is the writing process itself. */
	if (write(fd, "0\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

/* Is the cgroup empty? */
static bool cgroup_empty(const char *dir)
{
	char *path = xasprintf("%s/cgroup.procs", dir), buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	free(path);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n <= 0;
}

/* SIGKILL everything in the cgroup; how many were listed. */
static unsigned cgroup_kill(const char *dir)
{
	char *path = xasprintf("%s/cgroup.kill", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	unsigned n = 0;
	FILE *f;
	long pid;

	free(path);
	path = xasprintf("%s/cgroup.procs", dir);
	if ((f = fopen(path, "re"))) {
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				n++;
		fclose(f);
	}
	free(path);
	/* What forked meanwhile: cgroup.kill takes it all at once. */
	if (fd >= 0) {
		(void)!write(fd, "1\n", 2);
		close(fd);
	}
	return n;
}

/* The parent of pid from /proc/PID/stat; 0 when unknown. */
static pid_t proc_ppid(pid_t pid, char *state)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	long ppid;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold anything: the fields follow the last ')'.
	 */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %ld", state, &ppid) != 2)
		return 0;
	return (pid_t)ppid;
}

/*
 * SIGKILL every live descendant of this process found in /proc; returns how
 * many. Being child subreaper, an orphan is reparented to us, not to init.
 */
static unsigned kill_descendants(void)
{
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atol(e->d_name), p = pid;
		char state = '?';
		int depth = 0;

		if (pid <= 0 || pid == self)
			continue;
		if (proc_ppid(pid, &state) == 0 || state == 'Z')
			continue;
		while (p > 1 && p != self && depth++ < 4096) {
			char st;

			p = proc_ppid(p, &st);
		}
		if (p == self && kill(pid, SIGKILL) == 0)
			n++;
	}
	closedir(d);
	return n;
}

unsigned session_jail_kill(struct session_jail *j)
{
	unsigned total = 0;

	for (int round = 0; round < 50; round++) {
		unsigned n = 0;

		if (j->cgroup)
			n += cgroup_kill(j->cgroup);
		if (j->subreaper)
			n += kill_descendants();
		/* Reap what we adopted (our own children are all gone). */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		total += n;
		if (n == 0 && (!j->cgroup || cgroup_empty(j->cgroup)))
			break;
		poll(NULL, 0, 20);
	}
	if (j->cgroup) {
		(void)rmdir(j->cgroup);
		free(j->cgroup);
		j->cgroup = NULL;
	}
	return total;
}

/* Copy what the open descriptor fd still holds to a new file at path. */
static int restore_from_fd(int fd, const char *path)
{
	char proc[64], buf[8192];
	int in, out = -1, r = 0;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((in = open(proc, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((r = platform_create_new(path, 0600, &out)) < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0) {
			r = -errno;
			goto out;
		}
	if (n < 0)
		r = -errno;
	else if (fsync(out) < 0)
		r = -errno;
out:
	if (out >= 0)
		close(out);
	close(in);
	return r;
}

const char *session_evidence_check(int fd, const char *path, uint64_t expect)
{
	struct stat have, named;

	if (fd < 0 || !path || fstat(fd, &have) < 0)
		return NULL;
	if (have.st_nlink == 0 || stat(path, &named) < 0) {
		/* Put it back where the customer will look for it. */
		if (restore_from_fd(fd, path) == 0)
			return (uint64_t)have.st_size < expect
				       ? "deleted and truncated (the rest "
					 "was put back)"
				       : "deleted (put back)";
		return "deleted";
	}
	if (named.st_dev != have.st_dev || named.st_ino != have.st_ino)
		return "replaced by another file";
	if ((uint64_t)have.st_size < expect)
		return "truncated";
	return NULL;
}
