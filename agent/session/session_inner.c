/*
 * The inner SSH server, one forked process per engineer connection. The
 * parent bridges the relay's forwarded channel to a socketpair; this side
 * runs a libssh server session on the other end: only the listed engineer
 * keys get in, each gets a PTY running the customer's shell (or [session]
 * command) as the user who started rdiag, or, read-only, the customer's own
 * shell mirrored with the engineer's keystrokes dropped. Port, agent and
 * X11 forwarding are refused: libssh answers every request we have no
 * callback for with a failure. The parent enforces the session's limits and
 * ends this process with SIGTERM (then SIGKILL).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "core/sanitize.h"
#include "session/session_int.h"

/* A connection that has not started a shell by then is dropped. */
#define INNER_LOGIN_GRACE_S 30

static volatile sig_atomic_t inner_stop;

struct inner {
	const struct session_inner *in;
	ssh_session s;
	ssh_channel chan;
	ssh_event ev;
	ssh_key *allowed; /* o->nkeys imported engineer keys */
	struct session_cast cast;
	char fp[SESSION_FP_MAX];
	const char *comment;
	char *user;
	char *term;
	char *exec_cmd;
	unsigned cols, rows;
	bool pty, started, joined, banner, shell_done, closed;
	int master;
	pid_t pid;
	int status;
	uint64_t in_bytes, out_bytes, dropped;
};

static void on_term(int sig)
{
	(void)sig;
	inner_stop = 1;
}

/* A line on the customer's terminal (raw in read-only mode). */
static void say(const struct inner *st, const char *fmt, ...)
	RDIAG_PRINTF(2, 3);
static void say(const struct inner *st, const char *fmt, ...)
{
	va_list ap;
	char *msg, *raw;
	char *line;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* The engineer's command and key comment are the peer's words. */
	msg = sanitize_text(raw, false);
	free(raw);
	line = xasprintf(st->in->o->read_only ? "\r\n[rdiag] %s\r\n"
					      : "rdiag: %s\n",
			 msg);
	(void)write_all(1, line, strlen(line));
	free(line);
	free(msg);
}

static int on_auth_pubkey(ssh_session s, const char *user,
			  struct ssh_key_struct *pubkey, char state, void *ud)
{
	struct inner *st = ud;
	const struct session_opts *o = st->in->o;
	char fp[SESSION_FP_MAX] = "?";

	(void)s;
	for (size_t i = 0; i < o->nkeys; i++) {
		if (!st->allowed[i] || ssh_key_cmp(st->allowed[i], pubkey,
						   SSH_KEY_CMP_PUBLIC) != 0)
			continue;
		if (state == SSH_PUBLICKEY_STATE_NONE)
			return SSH_AUTH_SUCCESS; /* "this key would do" */
		if (state != SSH_PUBLICKEY_STATE_VALID)
			return SSH_AUTH_DENIED;
		snprintf(st->fp, sizeof(st->fp), "%s", o->keys[i].fp);
		st->comment = o->keys[i].comment;
		free(st->user);
		st->user = xstrdup(user ? user : "");
		return SSH_AUTH_SUCCESS;
	}
	if (state == SSH_PUBLICKEY_STATE_NONE ||
	    state == SSH_PUBLICKEY_STATE_VALID) {
		struct session_field f[] = {
			{ "conn", NULL, st->in->conn },
			{ "key", fp, 0 },
			{ "user", user ? user : "", 0 },
		};

		(void)session_key_fp(pubkey, fp);
		session_audit_event(st->in->audit, "auth_refused", f,
				    ARRAY_SIZE(f));
	}
	return SSH_AUTH_DENIED;
}

static int on_pty(ssh_session s, ssh_channel c, const char *term, int cols,
		  int rows, int px, int py, void *ud)
{
	struct inner *st = ud;

	(void)s;
	(void)c;
	(void)px;
	(void)py;
	if (st->started || cols < 0 || rows < 0 || cols > 4096 || rows > 4096)
		return -1;
	free(st->term);
	st->term = xstrdup(term && *term ? term : "xterm");
	st->cols = (unsigned)cols;
	st->rows = (unsigned)rows;
	st->pty = true;
	return 0;
}

static int on_window(ssh_session s, ssh_channel c, int cols, int rows, int px,
		     int py, void *ud)
{
	struct inner *st = ud;

	(void)s;
	(void)c;
	(void)px;
	(void)py;
	if (cols <= 0 || rows <= 0 || cols > 4096 || rows > 4096)
		return -1;
	st->cols = (unsigned)cols;
	st->rows = (unsigned)rows;
	/* Read-only: the customer's terminal decides the size. */
	if (st->in->mirror_fd < 0 && st->master >= 0) {
		(void)session_pty_resize(st->master, st->cols, st->rows);
		session_cast_resize(&st->cast, st->cols, st->rows);
	}
	return 0;
}

static int on_pty_output(socket_t fd, int revents, void *ud)
{
	struct inner *st = ud;
	char buf[16384];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		if (st->chan && ssh_channel_is_open(st->chan))
			(void)ssh_channel_write(st->chan, buf, (uint32_t)n);
		st->out_bytes += (uint64_t)n;
		if (st->in->mirror_fd < 0)
			session_cast_output(&st->cast, buf, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* EOF or EIO: every holder of the PTY's other side is gone. */
	st->shell_done = true;
	ssh_event_remove_fd(st->ev, fd);
	return 0;
}

static int start(struct inner *st, const char *cmd)
{
	const struct session_opts *o = st->in->o;
	const char *shell = session_user_shell(), *base;
	char *argv0 = NULL, *path = NULL, *castpath = NULL, *title = NULL;
	char *argv[4] = { NULL, NULL, NULL, NULL };
	const char *mode;
	int r = -1;

	if (st->started)
		return -1;
	if (!st->pty) {
		struct session_field f[] = {
			{ "conn", NULL, st->in->conn },
			{ "key", st->fp, 0 },
			{ "reason", "no pty requested", 0 },
		};

		session_audit_event(st->in->audit, "refused", f, ARRAY_SIZE(f));
		return -1;
	}
	free(st->exec_cmd);
	st->exec_cmd = cmd ? xstrdup(cmd) : NULL;
	if (st->in->mirror_fd >= 0) {
		st->master = st->in->mirror_fd;
		mode = "read-only";
	} else {
		if (o->command) {
			path = xstrdup("/bin/sh");
			argv[0] = xstrdup("sh");
			argv[1] = xstrdup("-c");
			argv[2] = xstrdup(o->command);
		} else if (cmd) {
			path = xstrdup(shell);
			argv[0] = xstrdup(shell);
			argv[1] = xstrdup("-c");
			argv[2] = xstrdup(cmd);
		} else {
			base = strrchr(shell, '/');
			path = xstrdup(shell);
			argv0 = xasprintf("-%s", base ? base + 1 : shell);
			argv[0] = argv0;
			argv0 = NULL;
		}
		if (session_pty_spawn(path, argv, st->term, st->cols, st->rows,
				      &st->master, &st->pid) < 0)
			goto out;
		castpath = xasprintf("%s/%s-e%u.cast", o->state_dir,
				     st->in->audit->id, st->in->conn);
		title = xasprintf("rdiag session %s, engineer %s",
				  st->in->audit->id, st->fp);
		if (session_cast_open(&st->cast, castpath, st->cols, st->rows,
				      title, st->term) < 0)
			say(st,
			    "cannot write the recording '%s', continuing "
			    "without it",
			    castpath);
		mode = "shell";
	}
	st->started = true;
	st->banner = true;
	ssh_event_add_fd(st->ev, st->master, POLLIN, on_pty_output, st);
	alarm(0);
	{
		struct session_field f[] = {
			{ "conn", NULL, st->in->conn },
			{ "key", st->fp, 0 },
			{ "comment", st->comment ? st->comment : "", 0 },
			{ "user", st->user ? st->user : "", 0 },
			{ "local_user", session_user_name(), 0 },
			{ "mode", mode, 0 },
			{ "command", cmd ? cmd : "", 0 },
			{ "recording", castpath ? castpath : "", 0 },
		};

		session_audit_event(st->in->audit, "join", f, ARRAY_SIZE(f));
	}
	st->joined = true;
	say(st, "engineer joined (connection %u): %s %s%s%s", st->in->conn,
	    st->fp, st->comment ? st->comment : "", cmd ? ", running: " : "",
	    cmd ? cmd : "");
	r = 0;
out:
	free(path);
	for (size_t i = 0; i < ARRAY_SIZE(argv); i++)
		free(argv[i]);
	free(castpath);
	free(title);
	return r;
}

static int on_shell(ssh_session s, ssh_channel c, void *ud)
{
	(void)s;
	(void)c;
	return start(ud, NULL);
}

static int on_exec(ssh_session s, ssh_channel c, const char *cmd, void *ud)
{
	(void)s;
	(void)c;
	return start(ud, cmd);
}

static int on_data(ssh_session s, ssh_channel c, void *data, uint32_t len,
		   int is_stderr, void *ud)
{
	struct inner *st = ud;
	ssize_t n;

	(void)s;
	(void)c;
	(void)is_stderr;
	if (!st->started || st->in->mirror_fd >= 0 || st->shell_done) {
		/* Read-only: the keystrokes go nowhere, by design. */
		st->in_bytes += len;
		st->dropped += len;
		return (int)len;
	}
	n = write(st->master, data, len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : (int)len;
	st->in_bytes += (uint64_t)n;
	return (int)n;
}

static void on_close(ssh_session s, ssh_channel c, void *ud)
{
	struct inner *st = ud;

	(void)s;
	(void)c;
	st->closed = true;
}

static struct ssh_channel_callbacks_struct channel_cb = {
	.channel_pty_request_function = on_pty,
	.channel_pty_window_change_function = on_window,
	.channel_shell_request_function = on_shell,
	.channel_exec_request_function = on_exec,
	.channel_data_function = on_data,
	.channel_close_function = on_close,
};

static ssh_channel on_channel_open(ssh_session s, void *ud)
{
	struct inner *st = ud;

	if (st->chan)
		return NULL; /* one session channel per connection */
	st->chan = ssh_channel_new(s);
	if (!st->chan)
		return NULL;
	channel_cb.userdata = st;
	ssh_callbacks_init(&channel_cb);
	ssh_set_channel_callbacks(st->chan, &channel_cb);
	return st->chan;
}

/* Everything without a callback: port forwarding, agent, X11, env,
 * subsystems, other channel types. libssh answers with a failure. */
static int on_other(ssh_session s, ssh_message msg, void *ud)
{
	(void)s;
	(void)msg;
	(void)ud;
	return 1;
}

static void reap_shell(struct inner *st, bool wait_for_it)
{
	int status;
	pid_t r;

	if (st->pid <= 0)
		return;
	r = waitpid(st->pid, &status, wait_for_it ? 0 : WNOHANG);
	if (r == st->pid) {
		st->status = WIFEXITED(status)     ? WEXITSTATUS(status)
			     : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
						   : 255;
		st->pid = -1;
		st->shell_done = true;
	}
}

/* Close the recording; say so in the audit log and to the customer when
 * the engineer damaged it. */
static void evidence_close(struct inner *st)
{
	char *path = st->cast.path ? xstrdup(st->cast.path) : NULL;
	const char *what = session_cast_close(&st->cast);

	if (what) {
		struct session_field f[] = {
			{ "conn", NULL, st->in->conn },
			{ "file", path, 0 },
			{ "what", what, 0 },
		};

		session_audit_event(st->in->audit, "evidence_tampered", f,
				    ARRAY_SIZE(f));
		say(st, "evidence was tampered with: the recording %s was %s",
		    path, what);
	}
	free(path);
}

static void finish(struct inner *st, const char *reason)
{
	char msg[160];

	if (st->pid > 0) {
		kill(-st->pid, SIGHUP);
		kill(st->pid, SIGHUP);
		for (int i = 0; i < 20 && st->pid > 0; i++) {
			reap_shell(st, false);
			if (st->pid > 0)
				poll(NULL, 0, 50);
		}
		if (st->pid > 0) {
			kill(-st->pid, SIGKILL);
			kill(st->pid, SIGKILL);
			reap_shell(st, true);
		}
	}
	if (st->chan && ssh_channel_is_open(st->chan)) {
		if (inner_stop) {
			snprintf(msg, sizeof(msg),
				 "\r\n[rdiag] the session has ended\r\n");
			(void)ssh_channel_write(st->chan, msg,
						(uint32_t)strlen(msg));
		}
		if (st->started)
			(void)ssh_channel_request_send_exit_status(
				st->chan, st->shell_done ? st->status : 255);
		(void)ssh_channel_send_eof(st->chan);
		(void)ssh_channel_close(st->chan);
		/*
		 * Let the client hang up first, as sshd does: closing under
		 * it breaks its ProxyCommand pipe before it sent its own
		 * disconnect, and it exits 255 instead of the status.
		 */
		for (int64_t end = now_ms() + (inner_stop ? 1000 : 3000);
		     now_ms() < end && !(ssh_get_status(st->s) &
					 (SSH_CLOSED | SSH_CLOSED_ERROR));)
			if (ssh_event_dopoll(st->ev, 100) == SSH_ERROR)
				break;
	}
	evidence_close(st);
	if (st->joined) {
		char in[24], out[24], dropped[24];
		struct session_field b[] = {
			{ "conn", NULL, st->in->conn },
			{ "key", st->fp, 0 },
			{ "in", NULL, (int64_t)st->in_bytes },
			{ "out", NULL, (int64_t)st->out_bytes },
			{ "dropped", NULL, (int64_t)st->dropped },
		};
		struct session_field l[] = {
			{ "conn", NULL, st->in->conn },
			{ "key", st->fp, 0 },
			{ "reason", reason, 0 },
		};

		session_audit_event(st->in->audit, "bytes", b, ARRAY_SIZE(b));
		session_audit_event(st->in->audit, "leave", l, ARRAY_SIZE(l));
		snprintf(in, sizeof(in), "%llu",
			 (unsigned long long)st->in_bytes);
		snprintf(out, sizeof(out), "%llu",
			 (unsigned long long)st->out_bytes);
		snprintf(dropped, sizeof(dropped), "%llu",
			 (unsigned long long)st->dropped);
		say(st,
		    "engineer left (connection %u): %s; %s bytes in, %s "
		    "out%s%s%s",
		    st->in->conn, reason, in, out, st->dropped ? ", " : "",
		    st->dropped ? dropped : "",
		    st->dropped ? " keystrokes dropped (read-only)" : "");
	}
	ssh_disconnect(st->s);
}

void session_inner_serve(const struct session_inner *in, int fd)
{
	static struct ssh_server_callbacks_struct server_cb = {
		.auth_pubkey_function = on_auth_pubkey,
		.channel_open_request_session_function = on_channel_open,
	};
	const int keep[] = { fd, in->audit->fd, in->mirror_fd };
	struct inner st;
	struct sigaction sa;
	ssh_bind bind;
	const char *reason = "engineer disconnected";
	bool no = false;
	int verbosity = SSH_LOG_NOLOG;

	memset(&st, 0, sizeof(st));
	st.in = in;
	st.master = -1;
	st.cast.fd = -1;
	st.status = 255;
	/* Ctrl-C on the customer's terminal is the parent's to handle. */
	signal(SIGINT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	session_close_fds(keep, ARRAY_SIZE(keep));
	alarm(INNER_LOGIN_GRACE_S);

	st.allowed = xcalloc(in->o->nkeys + 1, sizeof(ssh_key));
	for (size_t i = 0; i < in->o->nkeys; i++)
		if (ssh_pki_import_pubkey_base64(
			    in->o->keys[i].base64,
			    ssh_key_type_from_name(in->o->keys[i].type),
			    &st.allowed[i]) != SSH_OK)
			st.allowed[i] = NULL;

	bind = ssh_bind_new();
	st.s = ssh_new();
	if (!bind || !st.s)
		_exit(1);
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, in->host_key);
	if (ssh_bind_accept_fd(bind, st.s, fd) != SSH_OK)
		_exit(1);
	ssh_set_auth_methods(st.s, SSH_AUTH_METHOD_PUBLICKEY);
	server_cb.userdata = &st;
	ssh_callbacks_init(&server_cb);
	ssh_set_server_callbacks(st.s, &server_cb);
	ssh_set_message_callback(st.s, on_other, &st);
	if (ssh_handle_key_exchange(st.s) != SSH_OK)
		_exit(0); /* not even an SSH client; nothing to record */

	st.ev = ssh_event_new();
	ssh_event_add_session(st.ev, st.s);
	while (!inner_stop) {
		if (ssh_event_dopoll(st.ev, 200) == SSH_ERROR) {
			reason = "engineer disconnected";
			break;
		}
		if (st.banner && st.chan) {
			char *b = xasprintf(
				"[rdiag] %s session %s on %s; everything is "
				"recorded%s\r\n",
				in->mirror_fd >= 0 ? "read-only" : "support",
				in->audit->id, session_user_name(),
				in->mirror_fd >= 0
					? "; you see the customer's shell and "
					  "your keystrokes are not sent"
					: "");

			(void)ssh_channel_write(st.chan, b,
						(uint32_t)strlen(b));
			free(b);
			st.banner = false;
		}
		reap_shell(&st, false);
		if (st.shell_done) {
			/* Drain what the shell printed last. */
			if (st.master >= 0)
				on_pty_output(st.master, POLLIN, &st);
			reason = in->mirror_fd >= 0 ? "customer's shell ended"
						    : "shell exited";
			break;
		}
		if (st.closed || (st.chan && ssh_channel_is_eof(st.chan) &&
				  !ssh_channel_is_open(st.chan))) {
			reason = "engineer closed the channel";
			break;
		}
		if (ssh_get_status(st.s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
			reason = "engineer disconnected";
			break;
		}
	}
	if (inner_stop)
		reason = "session ended";
	if (st.shell_done && st.pid > 0)
		reap_shell(&st, true);
	finish(&st, reason);
	_exit(0);
}
