/*
 * The agent's side of the relay: an outbound libssh client session that
 * pins the relay's host key (never trust on first use, no ~/.ssh/config,
 * no known_hosts), logs in with the agent's ed25519 key and asks for the
 * reverse forward engineers come in through. Every step is bounded by the
 * session timeout; after that the session runs non-blocking under the
 * caller's poll loop.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/server.h> /* ssh_send_keepalive() */

#include "session/session_int.h"

int session_key_fp(ssh_key key, char *out)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
				   &hlen) != SSH_OK)
		return -EINVAL;
	session_fp_format(hash, hlen, out);
	ssh_clean_pubkey_hash(&hash);
	return 0;
}

/*
 * Between two calls of a pending non-blocking step: wait a little for the
 * relay. -ETIMEDOUT past the deadline, -EINTR when asked to stop.
 */
static int relay_wait(ssh_session s, int64_t deadline,
		      const volatile sig_atomic_t *stop)
{
	struct pollfd p = { .fd = ssh_get_fd(s), .events = POLLIN };
	int64_t left = deadline - now_ms();

	if (stop && *stop)
		return -EINTR;
	if (left <= 0)
		return -ETIMEDOUT;
	/* Short naps: a TCP connect in progress is not a POLLIN event. */
	(void)poll(&p, 1, left < 20 ? (int)left : 20);
	return 0;
}

static void set_timeout(ssh_session s, unsigned secs)
{
	long t = (long)secs;

	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &t);
}

int session_relay_open(struct session_relay *r, const struct session_opts *o,
		       const volatile sig_atomic_t *stop, char **ret_err)
{
	int64_t deadline;
	ssh_key key = NULL, srv = NULL;
	char agent_fp[SESSION_FP_MAX] = "?";
	unsigned port = o->relay_port;
	int verbosity = SSH_LOG_NOLOG, rc, ret = 0;
	bool no = false;

	memset(r, 0, sizeof(*r));
	if (ssh_pki_import_privkey_file(o->key, NULL, NULL, NULL, &key) !=
	    SSH_OK) {
		*ret_err = xasprintf("cannot read the agent key '%s' (an "
				     "ed25519 private key without passphrase)",
				     o->key);
		return -EINVAL;
	}
	if (ssh_key_type(key) != SSH_KEYTYPE_ED25519) {
		*ret_err = xasprintf("the agent key '%s' is a %s key; the "
				     "relay needs ed25519",
				     o->key,
				     ssh_key_type_to_char(ssh_key_type(key)));
		ret = -EINVAL;
		goto out;
	}
	(void)session_key_fp(key, agent_fp);

	r->s = ssh_new();
	if (!r->s) {
		*ret_err = xstrdup("cannot create an SSH session");
		ret = -ENOMEM;
		goto out;
	}
	/* Nothing from ~/.ssh: the pins are the only trust. */
	ssh_options_set(r->s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	ssh_options_set(r->s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(r->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	ssh_options_set(r->s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_set(r->s, SSH_OPTIONS_HOST, o->relay_host);
	ssh_options_set(r->s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(r->s, SSH_OPTIONS_USER, o->relay_user);
	set_timeout(r->s, o->connect_timeout_s);
	ssh_set_counters(r->s, &r->tx, &r->rx);

	/* Non-blocking, so that Ctrl-C and the deadline win over libssh. */
	ssh_set_blocking(r->s, 0);
	deadline = now_ms() + 1000LL * o->connect_timeout_s;
	while ((rc = ssh_connect(r->s)) == SSH_AGAIN)
		if ((ret = relay_wait(r->s, deadline, stop)) < 0)
			break;
	if (rc != SSH_OK) {
		*ret_err = ret == -EINTR ? xstrdup("interrupted")
			   : ret < 0
				   ? xasprintf("cannot reach the relay %s:%u: "
					       "no SSH answer within %us",
					       o->relay_host, o->relay_port,
					       o->connect_timeout_s)
				   : xasprintf("cannot reach the relay %s:%u: "
					       "%s",
					       o->relay_host, o->relay_port,
					       ssh_get_error(r->s));
		ret = ret == -EINTR ? -EINTR : -EHOSTUNREACH;
		goto out;
	}
	if (ssh_get_server_publickey(r->s, &srv) != SSH_OK ||
	    session_key_fp(srv, r->fp) < 0) {
		*ret_err = xasprintf("the relay %s:%u sent no usable host key",
				     o->relay_host, o->relay_port);
		ret = -EPERM;
		goto out;
	}
	if (!session_fp_match(o->relay_host_key, r->fp) &&
	    !session_fp_match(o->relay_host_key_backup, r->fp)) {
		*ret_err = xasprintf(
			"relay host key mismatch for %s:%u: expected %s%s%s, "
			"the relay offered %s; refusing to log in (someone "
			"may be in the middle, or the relay's key changed)",
			o->relay_host, o->relay_port, o->relay_host_key,
			o->relay_host_key_backup ? " or " : "",
			o->relay_host_key_backup ? o->relay_host_key_backup
						 : "",
			r->fp);
		ret = -EPERM;
		goto out;
	}
	deadline = now_ms() + 1000LL * o->connect_timeout_s;
	while ((rc = ssh_userauth_publickey(r->s, NULL, key)) == SSH_AUTH_AGAIN)
		if ((ret = relay_wait(r->s, deadline, stop)) < 0)
			break;
	if (ret == -EINTR) {
		*ret_err = xstrdup("interrupted");
		goto out;
	}
	ret = 0;
	if (rc == SSH_AUTH_AGAIN) {
		*ret_err = xasprintf("the relay did not answer the "
				     "authentication within %us",
				     o->connect_timeout_s);
		ret = -EHOSTUNREACH;
		goto out;
	}
	if (rc != SSH_AUTH_SUCCESS) {
		*ret_err = xasprintf("the relay refused the agent key %s for "
				     "user '%s'%s%s",
				     agent_fp, o->relay_user,
				     rc == SSH_AUTH_ERROR ? ": " : "",
				     rc == SSH_AUTH_ERROR ? ssh_get_error(r->s)
							  : "");
		ret = -EACCES;
		goto out;
	}
	deadline = now_ms() + 1000LL * o->connect_timeout_s;
	while ((rc = ssh_channel_listen_forward(r->s, o->listen_address,
						(int)o->listen_port, NULL)) ==
	       SSH_AGAIN)
		if ((ret = relay_wait(r->s, deadline, stop)) < 0)
			break;
	if (ret == -EINTR) {
		*ret_err = xstrdup("interrupted");
		goto out;
	}
	ret = 0;
	if (rc == SSH_AGAIN) {
		*ret_err = xasprintf("the relay did not answer the forward "
				     "request within %us",
				     o->connect_timeout_s);
		ret = -EHOSTUNREACH;
		goto out;
	}
	if (rc != SSH_OK) {
		*ret_err = xasprintf("the relay refused to listen on %s:%u for "
				     "this agent (%s); its authorized_keys "
				     "line must permit it: "
				     "permitlisten=\"%s:%u\"",
				     o->listen_address, o->listen_port,
				     ssh_get_error(r->s), o->listen_address,
				     o->listen_port);
		ret = -EADDRNOTAVAIL;
		goto out;
	}
	r->forwarding = true;
out:
	ssh_key_free(srv);
	ssh_key_free(key);
	if (ret < 0 && r->s) {
		ssh_disconnect(r->s);
		ssh_free(r->s);
		r->s = NULL;
	}
	return ret;
}

bool session_relay_close(struct session_relay *r, const struct session_opts *o,
			 bool alive, unsigned timeout_s)
{
	bool cancelled = false;

	if (!r->s)
		return false;
	if (alive && r->forwarding && ssh_is_connected(r->s)) {
		set_timeout(r->s, timeout_s);
		ssh_set_blocking(r->s, 1);
		/*
		 * Keepalives share libssh's one global-request slot: settle
		 * the outstanding one first, or the cancel would read its
		 * answer as our own.
		 */
		(void)ssh_send_keepalive(r->s);
		cancelled = ssh_channel_cancel_forward(r->s, o->listen_address,
						       (int)o->listen_port) ==
			    SSH_OK;
	}
	r->forwarding = false;
	ssh_disconnect(r->s);
	ssh_free(r->s);
	r->s = NULL;
	return cancelled;
}
