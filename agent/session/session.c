/*
 * The session itself: consent, the relay connection, one forked inner
 * server per engineer connection bridged to its forwarded channel over a
 * socketpair, the read-only mirror of the customer's shell, and the limits.
 * One poll loop drives everything with the relay session non-blocking, so
 * no libssh call can hold the loop past a deadline: the TTL, the idle
 * limit, and keepalives that end the session when the relay stops
 * answering.
 */
#define _XOPEN_SOURCE   700
#define _DEFAULT_SOURCE /* struct winsize, TIOCGWINSZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/server.h>

#include "core/error.h"
#include "core/exitcode.h"
#include "core/i18n.h"
#include "platform/platform.h"
#include "platform/proc.h"
#include "session/session_int.h"

#define CONN_BUF_MAX       (256 * 1024) /* per direction, per connection */
#define TICK_MS            200
#define CHILD_GRACE_MS     2000
#define CANCEL_TIMEOUT_S   3
#define CTRL_RIGHT_BRACKET 0x1d

static volatile sig_atomic_t sig_stop;
static volatile sig_atomic_t sig_winch;

struct conn {
	unsigned id;
	ssh_channel chan;
	int fd;        /* our end of the socketpair */
	int mirror_fd; /* read-only: write end of the mirror pipe, or -1 */
	pid_t pid;     /* the engineer handler, 0 once reaped */
	struct buf to_fd, to_chan;
	bool chan_eof, fd_eof, fd_shut, eof_sent;
	uint64_t in, out;
};

struct sess {
	struct session_opts *o;
	struct session_relay relay;
	struct session_audit audit;
	struct session_jail jail;
	ssh_key host_key;
	char host_fp[SESSION_FP_MAX];
	char *known_hosts; /* the engineer's known_hosts line for it */
	struct conn *conns;
	size_t nconns;
	unsigned next_id;
	unsigned engineers; /* connections ever accepted */
	int64_t start, last_activity, last_heard, next_keepalive;
	uint64_t rx_packets;
	bool relay_alive;
	/* read-only mirror of the customer's shell */
	int ro_master;
	pid_t ro_pid;
	struct platform_term *saved_tty; /* NULL: not in raw mode */
	struct session_cast ro_cast;
	const char *reason;
	int code;
};

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		sig_winch = 1;
	else
		sig_stop = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	/* No SA_RESTART: a signal must wake poll() and the consent read. */
	proc_catch_stop_signals(on_signal);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
}

/* An error for the customer, after what we already said on stdout. */
static void complain(const char *fmt, ...) RDIAG_PRINTF(1, 2);
static void complain(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	error_vmsg(fmt, ap);
	va_end(ap);
}

static void say(const struct sess *ss, const char *fmt, ...) RDIAG_PRINTF(2, 3);
static void say(const struct sess *ss, const char *fmt, ...)
{
	va_list ap;
	char *en, *msg, *line;

	va_start(ap, fmt);
	en = xvasprintf(fmt, ap);
	va_end(ap);
	/* The customer's language: the message is shown, never stored. */
	msg = i18n_display_dup(en);
	free(en);
	line = xasprintf(ss->saved_tty ? "\r\n[rdiag] %s\r\n" : "rdiag: %s\n",
			 msg);
	fflush(stdout);
	(void)write_all(1, line, strlen(line));
	free(line);
	free(msg);
}

static void audit_end(struct sess *ss, bool cancelled)
{
	struct session_field f[] = {
		{ "reason", ss->reason, 0 },
		{ "exit_code", NULL, ss->code },
		{ "duration_s", NULL, (now_ms() - ss->start) / 1000 },
		{ "engineers", NULL, ss->engineers },
		{ "forward_cancelled", cancelled ? "yes" : "no", 0 },
		{ "relay_in", NULL, (int64_t)ss->relay.rx.in_bytes },
		{ "relay_out", NULL, (int64_t)ss->relay.tx.out_bytes },
	};

	session_audit_event(&ss->audit, "end", f, ARRAY_SIZE(f));
}

/* Ask on the terminal; 1 yes, 0 no, -EINTR interrupted. */
static int ask(const char *text)
{
	char line[64];

	fputs(text, stdout);
	fputc('\n', stdout);
	fputs(_("Allow this session? [y/N] "), stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return sig_stop ? -EINTR : 0;
	if (sig_stop)
		return -EINTR;
	return line[0] == 'y' || line[0] == 'Y' || i18n_yes_local(line);
}

static int consent(struct sess *ss)
{
	struct session_opts *o = ss->o;
	struct session_consent c = {
		.relay_user = o->relay_user,
		.user = session_user_name(),
		.state_dir = o->state_dir,
		.command = o->command,
		.keys = o->keys,
		.nkeys = o->nkeys,
		.ttl_s = o->ttl_s,
		.idle_s = o->idle_s,
		.read_only = o->read_only,
	};
	char *relay = xasprintf("%s:%u", o->relay_host, o->relay_port);
	const char *how, *answer;
	struct buf text;
	int r;

	c.relay = relay;
	buf_init(&text, 0);
	session_consent_text(&c, &text);
	if (o->yes && o->allow_unattended) {
		how = "unattended";
		answer = "yes";
		fputs(text.data, stdout);
		fputc('\n', stdout);
		fputs(_("Consent given in advance (--yes, [session] "
			"allow_unattended = yes).\n"),
		      stdout);
		fflush(stdout);
		r = 1;
	} else if (platform_isatty(0)) {
		how = "prompt";
		if (o->yes)
			fputs(_("rdiag: --yes needs [session] "
				"allow_unattended = yes; asking instead\n"),
			      stdout);
		r = ask(text.data);
		answer = r == 1 ? "yes" : r == 0 ? "no" : "interrupted";
	} else {
		how = "none";
		answer = "no terminal";
		r = -ENOTTY;
	}
	{
		char keys[1024] = "";
		struct session_field f[] = {
			{ "how", how, 0 },
			{ "answer", answer, 0 },
			{ "keys", keys, 0 },
			{ "mode", o->read_only ? "read-only" : "shell", 0 },
			{ "ttl_s", NULL, o->ttl_s },
			{ "idle_s", NULL, o->idle_s },
			{ "relay", relay, 0 },
			{ "local_user", session_user_name(), 0 },
		};

		for (size_t i = 0; i < o->nkeys; i++) {
			size_t n = strlen(keys);

			snprintf(keys + n, sizeof(keys) - n, "%s%s %s",
				 i ? ", " : "", o->keys[i].fp,
				 o->keys[i].comment);
		}
		session_audit_event(&ss->audit, "consent", f, ARRAY_SIZE(f));
	}
	buf_release(&text);
	free(relay);
	return r;
}

static int host_key_setup(struct sess *ss)
{
	struct session_opts *o = ss->o;
	char *b64 = NULL, *path = NULL, *line = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	int fd, r = 0;

	if (o->host_key) {
		if (ssh_pki_import_privkey_file(o->host_key, NULL, NULL, NULL,
						&ss->host_key) != SSH_OK) {
			complain("cannot read the host key '%s'", o->host_key);
			return -EINVAL;
		}
	} else if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &ss->host_key) !=
		   SSH_OK) {
		complain("cannot generate a host key");
		return -EIO;
	}
	if (ssh_get_publickey_hash(ss->host_key, SSH_PUBLICKEY_HASH_SHA256,
				   &hash, &hlen) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(ss->host_key, &b64) != SSH_OK) {
		complain("cannot export the host key");
		ssh_clean_pubkey_hash(&hash);
		return -EIO;
	}
	session_fp_format(hash, hlen, ss->host_fp);
	ssh_clean_pubkey_hash(&hash);
	/*
	 * For the engineer's known_hosts: the session's own host key, under
	 * the name ssh looks it up by when the engineer jumps to
	 * listen_address -p listen_port.
	 */
	ss->known_hosts = xasprintf(
		"[%s]:%u %s %s", o->listen_address, o->listen_port,
		ssh_key_type_to_char(ssh_key_type(ss->host_key)), b64);
	path = xasprintf("%s/%s.host_key.pub", o->state_dir, ss->audit.id);
	line = xasprintf("%s %s rdiag-session-%s\n",
			 ssh_key_type_to_char(ssh_key_type(ss->host_key)), b64,
			 ss->audit.id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 || write_all(fd, line, strlen(line)) < 0)
		complain("cannot write '%s': %s, continuing", path,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	free(line);
	ssh_string_free_char(b64);
	return r;
}

/* ---- engineer connections ---- */

static void conn_close_channel(struct conn *c)
{
	if (!c->chan)
		return;
	if (ssh_channel_is_open(c->chan)) {
		if (!c->eof_sent)
			(void)ssh_channel_send_eof(c->chan);
		(void)ssh_channel_close(c->chan);
	}
	ssh_channel_free(c->chan);
	c->chan = NULL;
}

static void conn_release(struct conn *c)
{
	conn_close_channel(c);
	if (c->fd >= 0)
		close(c->fd);
	if (c->mirror_fd >= 0)
		close(c->mirror_fd);
	c->fd = c->mirror_fd = -1;
	buf_release(&c->to_fd);
	buf_release(&c->to_chan);
}

/* The inner server's side of a new connection, in its own process. */
struct conn_child {
	struct session_inner *in;
	int *sp, *mp;
};

static int conn_child_fn(void *arg)
{
	struct conn_child *c = arg;

	close(c->sp[0]);
	if (c->mp[1] >= 0)
		close(c->mp[1]);
	c->in->mirror_fd = c->mp[0];
	/* Before the engineer's shell exists: it and all it starts inherit. */
	(void)session_jail_enter(c->in->jail);
	if (c->in->mirror_fd >= 0)
		(void)session_set_nonblock(c->in->mirror_fd);
	session_inner_serve(c->in, c->sp[1]);
}

static void conn_start(struct sess *ss, ssh_channel chan, const char *from)
{
	struct session_inner in = {
		.o = ss->o,
		.host_key = ss->host_key,
		.audit = &ss->audit,
		.mirror_fd = -1,
		.jail = &ss->jail,
	};
	struct conn *c;
	int sp[2] = { -1, -1 }, mp[2] = { -1, -1 };
	struct conn_child child;
	unsigned active = 0;
	pid_t pid;

	for (size_t i = 0; i < ss->nconns; i++)
		active += ss->conns[i].chan != NULL || ss->conns[i].pid > 0;
	in.conn = ++ss->next_id;
	{
		struct session_field f[] = {
			{ "conn", NULL, in.conn },
			{ "from", from ? from : "", 0 },
		};

		session_audit_event(&ss->audit, "connection", f, ARRAY_SIZE(f));
	}
	if (active >= ss->o->max_engineers) {
		struct session_field f[] = {
			{ "conn", NULL, in.conn },
			{ "reason", "too many engineers", 0 },
		};

		session_audit_event(&ss->audit, "refused", f, ARRAY_SIZE(f));
		goto drop;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		goto drop;
	if (ss->o->read_only && pipe(mp) < 0)
		goto drop;
	child = (struct conn_child){ &in, sp, mp };
	if (proc_spawn_fn(conn_child_fn, &child, &pid) < 0)
		goto drop;
	close(sp[1]);
	if (mp[0] >= 0)
		close(mp[0]);
	ss->conns =
		xreallocarray(ss->conns, ss->nconns + 1, sizeof(*ss->conns));
	c = &ss->conns[ss->nconns++];
	memset(c, 0, sizeof(*c));
	c->id = in.conn;
	c->chan = chan;
	c->fd = sp[0];
	c->mirror_fd = mp[1];
	c->pid = pid;
	buf_init(&c->to_fd, CONN_BUF_MAX);
	buf_init(&c->to_chan, CONN_BUF_MAX);
	(void)fcntl(c->fd, F_SETFD, FD_CLOEXEC);
	(void)session_set_nonblock(c->fd);
	if (c->mirror_fd >= 0) {
		(void)fcntl(c->mirror_fd, F_SETFD, FD_CLOEXEC);
		(void)session_set_nonblock(c->mirror_fd);
	}
	ss->engineers++;
	ss->last_activity = now_ms();
	return;
drop:
	for (int i = 0; i < 2; i++) {
		if (sp[i] >= 0)
			close(sp[i]);
		if (mp[i] >= 0)
			close(mp[i]);
	}
	(void)ssh_channel_close(chan);
	ssh_channel_free(chan);
}

static void accept_connections(struct sess *ss)
{
	ssh_channel chan;
	char *orig = NULL;
	int dport = 0, oport = 0;

	while ((chan = ssh_channel_open_forward_port(ss->relay.s, 0, &dport,
						     &orig, &oport))) {
		char *from = orig ? xasprintf("%s:%d", orig, oport) : NULL;

		conn_start(ss, chan, from);
		free(from);
		ssh_string_free_char(orig);
		orig = NULL;
	}
}

/* Move bytes between a forwarded channel and its handler's socket. */
static void conn_pump(struct sess *ss, struct conn *c)
{
	char tmp[16384];
	ssize_t n;

	if (c->chan && !c->chan_eof) {
		size_t room = c->to_fd.max - c->to_fd.len;
		int r;

		if (room > sizeof(tmp))
			room = sizeof(tmp);
		if (room > 0) {
			r = ssh_channel_read_nonblocking(c->chan, tmp,
							 (uint32_t)room, 0);
			if (r > 0) {
				buf_append(&c->to_fd, tmp, (size_t)r);
				c->in += (uint64_t)r;
				ss->last_activity = now_ms();
			} else if (r == SSH_EOF || r == SSH_ERROR) {
				c->chan_eof = true;
			}
		}
		if (ssh_channel_is_eof(c->chan) ||
		    ssh_channel_is_closed(c->chan))
			if (ssh_channel_poll(c->chan, 0) <= 0)
				c->chan_eof = true;
	}
	if (c->fd >= 0 && c->to_fd.len > 0) {
		n = write(c->fd, c->to_fd.data, c->to_fd.len);
		if (n > 0)
			buf_consume(&c->to_fd, (size_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			buf_reset(&c->to_fd);
	}
	if (c->fd >= 0 && c->chan_eof && c->to_fd.len == 0 && !c->fd_shut) {
		shutdown(c->fd, SHUT_WR);
		c->fd_shut = true;
	}
	if (c->fd >= 0 && !c->fd_eof &&
	    c->to_chan.max - c->to_chan.len >= sizeof(tmp)) {
		n = read(c->fd, tmp, sizeof(tmp));
		if (n > 0)
			buf_append(&c->to_chan, tmp, (size_t)n);
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->fd_eof = true;
	}
	if (c->chan && c->to_chan.len > 0) {
		uint32_t w = ssh_channel_is_open(c->chan)
				     ? ssh_channel_window_size(c->chan)
				     : 0;
		size_t len = c->to_chan.len < w ? c->to_chan.len : w;

		if (!ssh_channel_is_open(c->chan)) {
			buf_reset(&c->to_chan);
		} else if (len > 0) {
			int r = ssh_channel_write(c->chan, c->to_chan.data,
						  (uint32_t)len);

			if (r > 0) {
				buf_consume(&c->to_chan, (size_t)r);
				c->out += (uint64_t)r;
				ss->last_activity = now_ms();
			} else if (r == SSH_ERROR) {
				buf_reset(&c->to_chan);
			}
		}
	}
	if (c->chan && c->fd_eof && c->to_chan.len == 0 && !c->eof_sent) {
		if (ssh_channel_is_open(c->chan)) {
			(void)ssh_channel_send_eof(c->chan);
			(void)ssh_channel_close(c->chan);
		}
		c->eof_sent = true;
	}
	if (c->chan && c->eof_sent && c->pid == 0) {
		ssh_channel_free(c->chan);
		c->chan = NULL;
	}
}

static void reap_children(struct sess *ss)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == ss->ro_pid) {
			ss->ro_pid = 0;
			continue;
		}
		for (size_t i = 0; i < ss->nconns; i++) {
			struct conn *c = &ss->conns[i];

			if (c->pid != pid)
				continue;
			c->pid = 0;
			if (WIFSIGNALED(status)) {
				struct session_field f[] = {
					{ "conn", NULL, c->id },
					{ "signal", NULL, WTERMSIG(status) },
				};

				session_audit_event(&ss->audit,
						    "handler_killed", f,
						    ARRAY_SIZE(f));
			}
		}
	}
}

/* Drop finished connections from the table. */
static void compact(struct sess *ss)
{
	size_t j = 0;

	for (size_t i = 0; i < ss->nconns; i++) {
		struct conn *c = &ss->conns[i];

		if (c->pid == 0 && (c->fd_eof || c->fd < 0) && !c->chan) {
			conn_release(c);
			continue;
		}
		if (c->pid == 0 && c->fd_eof && c->chan &&
		    ssh_channel_is_closed(c->chan)) {
			conn_release(c);
			continue;
		}
		ss->conns[j++] = *c;
	}
	ss->nconns = j;
}

/* ---- read-only mirror ---- */

static int ro_start(struct sess *ss)
{
	struct winsize ws = { .ws_col = 80, .ws_row = 24 };
	const char *shell = ss->o->command ? "/bin/sh" : session_user_shell();
	const char *base = strrchr(shell, '/');
	char *argv0 = xasprintf("-%s", base ? base + 1 : shell);
	char *argv[4] = { argv0, NULL, NULL, NULL };
	char *castpath, *title;
	const char *term = getenv("TERM");
	int r;

	if (ss->o->command) {
		argv[0] = (char *)"sh";
		argv[1] = (char *)"-c";
		argv[2] = ss->o->command;
	}
	(void)ioctl(0, TIOCGWINSZ, &ws);
	r = session_pty_spawn(shell, argv, term, ws.ws_col, ws.ws_row,
			      &ss->ro_master, &ss->ro_pid);
	free(argv0);
	if (r < 0) {
		complain("cannot start the shell to mirror: %s", strerror(-r));
		return r;
	}
	castpath = xasprintf("%s/%s.cast", ss->o->state_dir, ss->audit.id);
	title = xasprintf("rdiag read-only session %s", ss->audit.id);
	if (session_cast_open(&ss->ro_cast, castpath, ws.ws_col, ws.ws_row,
			      title, term) < 0)
		complain("cannot write the recording '%s', "
			 "continuing without it",
			 castpath);
	free(castpath);
	free(title);
	(void)platform_term_raw(0, &ss->saved_tty);
	return 0;
}

static void ro_pump(struct sess *ss, short stdin_rev, short master_rev)
{
	char tmp[8192];
	ssize_t n;

	if (stdin_rev & (POLLIN | POLLHUP)) {
		n = read(0, tmp, sizeof(tmp));
		if (n > 0) {
			char *esc = memchr(tmp, CTRL_RIGHT_BRACKET, (size_t)n);

			if (esc) {
				n = esc - tmp;
				ss->reason = "ended by the customer";
				ss->code = EXIT_CLEAN;
			}
			if (n > 0)
				(void)write_all(ss->ro_master, tmp, (size_t)n);
		} else if (n == 0) {
			ss->reason = "the customer's terminal closed";
			ss->code = EXIT_CLEAN;
		}
	}
	if (master_rev & (POLLIN | POLLHUP | POLLERR)) {
		n = read(ss->ro_master, tmp, sizeof(tmp));
		if (n > 0) {
			(void)write_all(1, tmp, (size_t)n);
			session_cast_output(&ss->ro_cast, tmp, (size_t)n);
			for (size_t i = 0; i < ss->nconns; i++)
				if (ss->conns[i].mirror_fd >= 0)
					/* A slow engineer loses output, the
					 * customer never waits for one. */
					(void)!write(ss->conns[i].mirror_fd,
						     tmp, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			ss->reason = "the customer's shell ended";
			ss->code = EXIT_CLEAN;
		}
	}
	if (sig_winch) {
		unsigned cols, rows;

		sig_winch = 0;
		if (platform_term_size(0, &cols, &rows) == 0) {
			(void)session_pty_resize(ss->ro_master, cols, rows);
			session_cast_resize(&ss->ro_cast, cols, rows);
		}
	}
}

static void ro_stop(struct sess *ss)
{
	if (ss->ro_pid > 0) {
		kill(-ss->ro_pid, SIGHUP);
		kill(ss->ro_pid, SIGHUP);
		for (int i = 0; i < 20 && ss->ro_pid > 0; i++) {
			if (waitpid(ss->ro_pid, NULL, WNOHANG) == ss->ro_pid)
				ss->ro_pid = 0;
			else
				poll(NULL, 0, 50);
		}
		if (ss->ro_pid > 0) {
			kill(-ss->ro_pid, SIGKILL);
			waitpid(ss->ro_pid, NULL, 0);
			ss->ro_pid = 0;
		}
	}
	if (ss->ro_master >= 0)
		close(ss->ro_master);
	ss->ro_master = -1;
	session_cast_close(&ss->ro_cast);
	(void)platform_term_restore(ss->saved_tty);
	ss->saved_tty = NULL;
}

/* ---- the loop ---- */

static void check_limits(struct sess *ss)
{
	const struct session_opts *o = ss->o;
	int64_t now = now_ms();
	int64_t dead_after = 3000LL * o->keepalive_s;

	if (dead_after > 1000LL * o->idle_s)
		dead_after = 1000LL * o->idle_s;
	if (ss->relay.rx.in_packets != ss->rx_packets) {
		ss->rx_packets = ss->relay.rx.in_packets;
		ss->last_heard = now;
	}
	if (ss->reason)
		return;
	if (sig_stop) {
		ss->reason = "interrupted";
		ss->code = EXIT_INTERRUPTED;
	} else if (now - ss->start >= 1000LL * o->ttl_s) {
		ss->reason = "time limit reached";
		ss->code = EXIT_CLEAN;
	} else if (now - ss->last_heard >= dead_after) {
		ss->reason = "the relay stopped answering";
		ss->code = EXIT_UNAVAILABLE;
		ss->relay_alive = false;
	} else if (!ssh_is_connected(ss->relay.s)) {
		ss->reason = "the relay closed the connection";
		ss->code = EXIT_UNAVAILABLE;
		ss->relay_alive = false;
	} else if (now - ss->last_activity >= 1000LL * o->idle_s) {
		ss->reason = "idle limit reached";
		ss->code = EXIT_CLEAN;
	}
}

static void keepalive(struct sess *ss)
{
	int64_t now = now_ms();

	if (now < ss->next_keepalive)
		return;
	ss->next_keepalive = now + 1000LL * ss->o->keepalive_s;
	/*
	 * libssh keeps one global request in flight: the first call
	 * collects the last answer (or keeps waiting for it), the second
	 * sends a new one when the slot is free.
	 */
	(void)ssh_send_keepalive(ss->relay.s);
	(void)ssh_send_keepalive(ss->relay.s);
}

/* One round: poll, then move everything that can move. */
static void step(struct sess *ss, bool accepting)
{
	struct pollfd *pfd;
	size_t n = 0, nmax = ss->nconns + 3;
	int relay_fd = ss->relay.s ? ssh_get_fd(ss->relay.s) : -1;
	int ro_stdin = -1, ro_master = -1;

	pfd = xcalloc(nmax, sizeof(*pfd));
	if (relay_fd >= 0) {
		pfd[n].fd = relay_fd;
		pfd[n].events = POLLIN;
		if (ssh_get_poll_flags(ss->relay.s) & SSH_WRITE_PENDING)
			pfd[n].events |= POLLOUT;
		n++;
	}
	for (size_t i = 0; i < ss->nconns; i++) {
		struct conn *c = &ss->conns[i];

		pfd[n].fd = c->fd;
		if (c->fd >= 0 && !c->fd_eof)
			pfd[n].events |= POLLIN;
		if (c->fd >= 0 && c->to_fd.len > 0)
			pfd[n].events |= POLLOUT;
		n++;
	}
	if (ss->ro_master >= 0) {
		ro_stdin = (int)n;
		pfd[n].fd = 0;
		pfd[n++].events = POLLIN;
		ro_master = (int)n;
		pfd[n].fd = ss->ro_master;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, TICK_MS) < 0 && errno != EINTR)
		poll(NULL, 0, TICK_MS / 4);

	if (ss->relay.s && accepting)
		accept_connections(ss);
	for (size_t i = 0; i < ss->nconns; i++)
		conn_pump(ss, &ss->conns[i]);
	if (ro_master >= 0)
		ro_pump(ss, pfd[ro_stdin].revents, pfd[ro_master].revents);
	if (ss->relay.s)
		(void)ssh_blocking_flush(ss->relay.s, 0);
	reap_children(ss);
	compact(ss);
	free(pfd);
}

static bool handlers_alive(const struct sess *ss)
{
	for (size_t i = 0; i < ss->nconns; i++)
		if (ss->conns[i].pid > 0)
			return true;
	return false;
}

static void shutdown_handlers(struct sess *ss)
{
	int64_t deadline = now_ms() + CHILD_GRACE_MS;

	for (size_t i = 0; i < ss->nconns; i++)
		if (ss->conns[i].pid > 0)
			kill(ss->conns[i].pid, SIGTERM);
	/* Keep bridging so the handlers can say goodbye and log. */
	while (handlers_alive(ss) && now_ms() < deadline)
		step(ss, false);
	for (size_t i = 0; i < ss->nconns; i++) {
		struct conn *c = &ss->conns[i];

		if (c->pid > 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			c->pid = 0;
		}
	}
	/* Last bytes out of the sockets, then close everything. */
	for (int i = 0; i < 3; i++)
		if (ss->nconns)
			step(ss, false);
	for (size_t i = 0; i < ss->nconns; i++)
		conn_release(&ss->conns[i]);
	free(ss->conns);
	ss->conns = NULL;
	ss->nconns = 0;
}

/* Every process an engineer started ends with the session. */
static void end_engineer_processes(struct sess *ss)
{
	const char *how = ss->jail.cgroup ? "cgroup" : "descendants";
	unsigned n = session_jail_kill(&ss->jail);

	if (n) {
		struct session_field f[] = {
			{ "count", NULL, n },
			{ "how", how, 0 },
		};

		session_audit_event(&ss->audit, "killed_leftovers", f,
				    ARRAY_SIZE(f));
	}
}

/* Did an engineer damage the audit log (the recordings are checked by
 * their handlers)? Recorded in it and told to the customer. */
static void check_evidence(struct sess *ss)
{
	const char *what = session_audit_verify(&ss->audit);

	if (what) {
		struct session_field f[] = {
			{ "file", ss->audit.path, 0 },
			{ "what", what, 0 },
		};

		session_audit_event(&ss->audit, "evidence_tampered", f,
				    ARRAY_SIZE(f));
		say(ss, "evidence was tampered with: the audit log %s was %s",
		    ss->audit.path, what);
	}
}

int session_run(struct session_opts *o)
{
	struct sess ss;
	char id[48], stamp[32], ttl[32], idle[32];
	char *err = NULL, *relay;
	bool cancelled;
	int r;

	memset(&ss, 0, sizeof(ss));
	ss.o = o;
	/* Until the relay answers, the session's age counts from here (the
	 * audit's duration_s of a session that never opened). */
	ss.start = now_ms();
	ss.ro_master = -1;
	ss.ro_cast.fd = -1;
	ss.audit.fd = -1;
	install_signals();
	if (session_keys_load(o, &err) < 0) {
		complain("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	if (o->read_only && (!platform_isatty(0) || !platform_isatty(1))) {
		complain("--read-only mirrors this terminal's shell: "
			 "run it on a terminal");
		return EXIT_USAGE;
	}
	utc_stamp(stamp, sizeof(stamp));
	snprintf(id, sizeof(id), "%s-%ld", stamp, (long)getpid());
	if ((r = session_audit_open(&ss.audit, o->state_dir, id)) < 0) {
		complain("cannot open the audit log in '%s': %s", o->state_dir,
			 strerror(-r));
		return EXIT_USAGE;
	}
	r = consent(&ss);
	if (r != 1) {
		if (r == -ENOTTY && o->yes && o->unattended_why)
			complain("%s", o->unattended_why);
		if (r == -ENOTTY && o->yes)
			complain("--yes without a terminal needs [session] "
				 "allow_unattended = yes in the system "
				 "configuration; nothing was connected");
		else if (r == -ENOTTY)
			complain("no terminal to ask for consent; nothing was "
				 "connected (an unattended session needs --yes "
				 "and [session] allow_unattended = yes)");
		else
			say(&ss, "%s; nothing was connected",
			    r == -EINTR ? "interrupted" : "declined");
		session_audit_close(&ss.audit);
		return r == -EINTR    ? EXIT_INTERRUPTED
		       : r == -ENOTTY ? EXIT_USAGE
				      : EXIT_CLEAN;
	}
	if (sig_stop) {
		session_audit_close(&ss.audit);
		return EXIT_INTERRUPTED;
	}
	if (host_key_setup(&ss) < 0) {
		ssh_key_free(ss.host_key);
		free(ss.known_hosts);
		session_audit_close(&ss.audit);
		return EXIT_USAGE;
	}

	say(&ss, "connecting to the relay %s:%u ...", o->relay_host,
	    o->relay_port);
	/*
	 * Read-only, the shell is the customer's own: what they leave
	 * running is theirs, so only the handlers go into the cgroup.
	 */
	session_jail_open(&ss.jail, id, !o->read_only);
	r = session_relay_open(&ss.relay, o, &sig_stop, &err);
	if (r < 0) {
		struct session_field f[] = {
			{ "stage",
			  r == -EHOSTUNREACH    ? "connect"
			  : r == -EPERM         ? "host_key"
			  : r == -EACCES        ? "auth"
			  : r == -EADDRNOTAVAIL ? "forward"
						: "setup",
			  0 },
			{ "message", err, 0 },
			{ "relay_key", ss.relay.fp, 0 },
		};

		complain("%s", err);
		session_audit_event(&ss.audit, "error", f, ARRAY_SIZE(f));
		ss.reason = sig_stop ? "interrupted" : "relay failure";
		ss.code = sig_stop       ? EXIT_INTERRUPTED
			  : r == -EINVAL ? EXIT_USAGE
					 : EXIT_UNAVAILABLE;
		audit_end(&ss, false);
		(void)session_jail_kill(&ss.jail);
		free(err);
		ssh_key_free(ss.host_key);
		free(ss.known_hosts);
		session_audit_close(&ss.audit);
		return ss.code;
	}
	ss.relay_alive = true;
	ss.start = ss.last_activity = ss.last_heard = now_ms();
	ss.next_keepalive = ss.start + 1000LL * o->keepalive_s;
	{
		char listen[320];
		struct session_field f[] = {
			{ "relay", o->relay_host, 0 },
			{ "relay_port", NULL, o->relay_port },
			{ "relay_user", o->relay_user, 0 },
			{ "relay_key", ss.relay.fp, 0 },
			{ "listen", listen, 0 },
			{ "host_key", ss.host_fp, 0 },
		};

		snprintf(listen, sizeof(listen), "%s:%u", o->listen_address,
			 o->listen_port);
		session_audit_event(&ss.audit, "connect", f, ARRAY_SIZE(f));
	}
	session_duration_format(o->ttl_s, ttl, sizeof(ttl));
	session_duration_format(o->idle_s, idle, sizeof(idle));
	say(&ss, "session %s is open for at most %s (ends after %s idle)", id,
	    ttl, idle);
	/* A command that works as printed with the relay layout of
	 * docs/session.md: engineers come in on their own port. */
	relay = xasprintf(strchr(o->relay_host, ':') ? "[%s]" : "%s",
			  o->relay_host);
	say(&ss,
	    "engineers connect with: ssh -J USER@%s:%u -p %u "
	    "-o UserKnownHostsFile=~/.ssh/known_hosts_rdiag "
	    "-o StrictHostKeyChecking=yes -t rdiag@%s",
	    relay, o->engineer_port, o->listen_port, o->listen_address);
	free(relay);
	if (ss.known_hosts)
		say(&ss, "their ~/.ssh/known_hosts_rdiag line: %s",
		    ss.known_hosts);
	say(&ss, "this session's host key: %s (%s/%s.host_key.pub)", ss.host_fp,
	    o->state_dir, id);
	say(&ss, "%s",
	    o->read_only ? "read-only: the engineer sees this "
			   "shell; type Ctrl-] or exit to end"
			 : "press Ctrl-C to end the session");
	if (o->read_only && ro_start(&ss) < 0) {
		ss.reason = "cannot start the shell";
		ss.code = EXIT_USAGE;
	}

	while (!ss.reason) {
		check_limits(&ss);
		if (ss.reason)
			break;
		keepalive(&ss);
		step(&ss, true);
	}

	shutdown_handlers(&ss);
	end_engineer_processes(&ss);
	ro_stop(&ss);
	cancelled = session_relay_close(&ss.relay, o, ss.relay_alive,
					CANCEL_TIMEOUT_S);
	check_evidence(&ss);
	audit_end(&ss, cancelled);
	say(&ss, "session %s ended: %s%s", id, ss.reason,
	    cancelled ? "; the relay forward was cancelled" : "");
	ssh_key_free(ss.host_key);
	free(ss.known_hosts);
	session_audit_close(&ss.audit);
	return ss.code;
}
