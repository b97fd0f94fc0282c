/*
 * Terminals for `rdiag session`: a PTY running the customer's shell for an
 * engineer (or, read-only, for the customer to be mirrored) and descriptor
 * hygiene for forked children (raw mode is platform_term_raw()).
 */
#define _XOPEN_SOURCE   700
#define _DEFAULT_SOURCE /* TIOCSCTTY, struct winsize */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include "platform/platform.h"
#include "session/session_int.h"

int session_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void session_close_fds(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd, max = (int)sysconf(_SC_OPEN_MAX);

	if (!d) {
		for (int fd = 3; fd < (max > 0 ? max : 1024); fd++) {
			bool kept = false;

			for (size_t i = 0; i < nkeep; i++)
				kept |= keep[i] == fd;
			if (!kept)
				close(fd);
		}
		return;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		bool kept = fd < 3 || fd == dfd || e->d_name[0] == '.';

		for (size_t i = 0; i < nkeep; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close(fd);
	}
	closedir(d);
}

const char *session_user_shell(void)
{
	const char *s = getenv("SHELL");
	struct passwd *pw;

	if (s && *s == '/' && access(s, X_OK) == 0)
		return s;
	pw = getpwuid(getuid());
	if (pw && pw->pw_shell && *pw->pw_shell == '/' &&
	    access(pw->pw_shell, X_OK) == 0)
		return pw->pw_shell;
	return "/bin/sh";
}

const char *session_user_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw && pw->pw_name ? pw->pw_name : "?";
}

int session_pty_resize(int master, unsigned cols, unsigned rows)
{
	struct winsize ws = { .ws_col = (unsigned short)cols,
			      .ws_row = (unsigned short)rows };

	if (!cols || !rows)
		return -EINVAL;
	return ioctl(master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* What the shell's process is given. */
struct pty_job {
	const char *slave, *path, *term;
	char *const *argv;
};

/* The shell's side: a new session with the PTY as its terminal. */
static int pty_child(void *arg)
{
	const struct pty_job *job = arg;
	const char *slave = job->slave, *path = job->path, *term = job->term;
	char *const *argv = job->argv;
	static const int sigs[] = { SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
				    SIGPIPE, SIGCHLD, SIGWINCH, SIGALRM,
				    SIGTSTP, SIGTTIN, SIGTTOU };
	sigset_t none;
	int fd;

	/* SIG_IGN survives exec: give the shell ordinary signals. */
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		_exit(126);
	if ((fd = open(slave, O_RDWR)) < 0)
		_exit(126);
	(void)ioctl(fd, TIOCSCTTY, 0);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	session_close_fds(NULL, 0);
	if (term && *term)
		setenv("TERM", term, 1);
	execv(path, argv);
	dprintf(2, "rdiag: cannot run '%s': %s\r\n", path, strerror(errno));
	_exit(127);
}

int session_pty_spawn(const char *path, char *const *argv, const char *term,
		      unsigned cols, unsigned rows, int *ret_master,
		      pid_t *ret_pid)
{
	struct pty_job job;
	char *slave = NULL;
	const char *name;
	pid_t pid;
	int m, r;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
		r = -errno;
		goto fail;
	}
	slave = xstrdup(name);
	(void)session_pty_resize(m, cols ? cols : 80, rows ? rows : 24);
	job = (struct pty_job){ slave, path, term, argv };
	if ((r = proc_spawn_fn(pty_child, &job, &pid)) < 0)
		goto fail;
	free(slave);
	(void)fcntl(m, F_SETFD, FD_CLOEXEC);
	(void)session_set_nonblock(m);
	*ret_master = m;
	*ret_pid = pid;
	return 0;
fail:
	free(slave);
	close(m);
	return r;
}
