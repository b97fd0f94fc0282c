/*
 * The settings of `rdiag session`: the [session] keys, their defaults and
 * checks, where the audit log and recordings live, and the engineer keys
 * read from --engineer-key files.
 */
#include <errno.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/keyfile.h"
#include "session/session.h"

const struct config_key session_config_keys[] = {
	{ "relay_host", 0, "the vendor's SSH relay (host name or address)",
	  NULL },
	{ "relay_port", 0, "its SSH port", "22" },
	{ "engineer_port", 0,
	  "the relay's SSH port for engineers, shown in their command "
	  "(default: relay_port)",
	  NULL },
	{ "relay_user", 0, "the account on the relay the agent logs in as",
	  NULL },
	{ "relay_host_key", 0,
	  "the relay's host key, pinned: SHA256:... (required)", NULL },
	{ "relay_host_key_backup", 0,
	  "a second accepted host key fingerprint (key rotation)", NULL },
	{ "key", 0, "the agent's ed25519 private key file for the relay",
	  NULL },
	{ "listen_address", 0,
	  "address the relay listens on for engineers (127.0.0.1)", NULL },
	{ "listen_port", 0, "port the relay listens on (its permitlisten)",
	  NULL },
	{ "host_key", 0,
	  "the inner server's host key file (default: a new one each time)",
	  NULL },
	{ "command", 0, "run this instead of the user's login shell", NULL },
	{ "engineer_key", CONFIG_KEY_REPEATABLE,
	  "a public key file of engineers allowed in (like --engineer-key)",
	  NULL },
	{ "allow_unattended", 0,
	  "yes: --yes may start a session without a terminal", "no" },
	{ "read_only", 0, "yes: always mirror read-only", "no" },
	{ "ttl", 0, "hard time limit, e.g. 1h, 90m", SESSION_DEFAULT_TTL },
	{ "idle", 0, "end after this long without engineer traffic",
	  SESSION_DEFAULT_IDLE },
	{ "keepalive", 0,
	  "relay keepalive interval; 3 unanswered end the session", "15s" },
	{ "connect_timeout", 0, "limit for each relay step", "15s" },
	{ "max_engineers", 0, "engineer connections at once", "4" },
	/* No one default: it depends on the user (see rdiag(1)). */
	{ "state_dir", 0,
	  "audit log and recordings (default: /var/lib/rdiag/sessions for "
	  "root)",
	  NULL },
	{ NULL, 0, NULL, NULL },
};

void session_opts_init(struct session_opts *o)
{
	memset(o, 0, sizeof(*o));
}

void session_opts_release(struct session_opts *o)
{
	free(o->relay_host);
	free(o->relay_user);
	free(o->relay_host_key);
	free(o->relay_host_key_backup);
	free(o->key);
	free(o->listen_address);
	free(o->host_key);
	free(o->command);
	free(o->unattended_why);
	free(o->state_dir);
	for (char **f = o->engineer_key_files; f && *f; f++)
		free(*f);
	free(o->engineer_key_files);
	for (size_t i = 0; i < o->nkeys; i++)
		session_key_release(&o->keys[i]);
	free(o->keys);
	session_opts_init(o);
}

char *session_state_dir(const struct config *cfg)
{
	const char *v = cfg ? config_get(cfg, "session", "state_dir") : NULL;

	if (v && *v)
		return xstrdup(v);
	return state_dir_default("sessions");
}

static int get_uint(const struct config *cfg, const char *key,
		    unsigned long long min, unsigned long long max,
		    unsigned *val, char **ret_err)
{
	const char *v = config_get(cfg, "session", key);
	unsigned long long n;

	if (!v)
		return 0;
	if (parse_uint(v, min, max, &n) < 0) {
		*ret_err = xasprintf("[session] %s: '%s' is not a number in "
				     "%llu..%llu",
				     key, v, min, max);
		return -EINVAL;
	}
	*val = (unsigned)n;
	return 0;
}

static int get_duration(const struct config *cfg, const char *key,
			unsigned *val, char **ret_err)
{
	const char *v = config_get(cfg, "session", key);

	if (!v)
		return 0;
	if (session_duration_parse(v, val) < 0) {
		*ret_err = xasprintf("[session] %s: '%s' is not a duration "
				     "(like 90s, 15m, 1h; 1s to 7 days)",
				     key, v);
		return -EINVAL;
	}
	return 0;
}

static int get_bool(const struct config *cfg, const char *key, bool *val,
		    char **ret_err)
{
	const char *v = config_get(cfg, "session", key);

	if (!v)
		return 0;
	if (session_bool_parse(v, val) < 0) {
		*ret_err = xasprintf("[session] %s: '%s' is not yes or no", key,
				     v);
		return -EINVAL;
	}
	return 0;
}

static char *get_str(const struct config *cfg, const char *key)
{
	const char *v = config_get(cfg, "session", key);

	return v && *v ? xstrdup(v) : NULL;
}

int session_opts_load(struct session_opts *o, const struct config *cfg,
		      char **ret_err)
{
	const char **files = NULL;
	size_t n;
	int r;

	session_opts_release(o);
	o->relay_port = 22;
	o->ttl_s = 3600;
	o->idle_s = 900;
	o->keepalive_s = 15;
	o->connect_timeout_s = 15;
	o->max_engineers = 4;
	o->relay_host = get_str(cfg, "relay_host");
	o->relay_user = get_str(cfg, "relay_user");
	o->relay_host_key = get_str(cfg, "relay_host_key");
	o->relay_host_key_backup = get_str(cfg, "relay_host_key_backup");
	o->key = get_str(cfg, "key");
	o->listen_address = get_str(cfg, "listen_address");
	if (!o->listen_address)
		o->listen_address = xstrdup("127.0.0.1");
	o->host_key = get_str(cfg, "host_key");
	o->command = get_str(cfg, "command");
	o->state_dir = session_state_dir(cfg);
	if ((r = get_uint(cfg, "relay_port", 1, 65535, &o->relay_port,
			  ret_err)) < 0 ||
	    (r = get_uint(cfg, "engineer_port", 1, 65535, &o->engineer_port,
			  ret_err)) < 0 ||
	    (r = get_uint(cfg, "listen_port", 1, 65535, &o->listen_port,
			  ret_err)) < 0 ||
	    (r = get_uint(cfg, "max_engineers", 1, 64, &o->max_engineers,
			  ret_err)) < 0 ||
	    (r = get_duration(cfg, "ttl", &o->ttl_s, ret_err)) < 0 ||
	    (r = get_duration(cfg, "idle", &o->idle_s, ret_err)) < 0 ||
	    (r = get_duration(cfg, "keepalive", &o->keepalive_s, ret_err)) <
		    0 ||
	    (r = get_duration(cfg, "connect_timeout", &o->connect_timeout_s,
			      ret_err)) < 0 ||
	    (r = get_bool(cfg, "allow_unattended", &o->allow_unattended,
			  ret_err)) < 0 ||
	    (r = get_bool(cfg, "read_only", &o->read_only, ret_err)) < 0)
		return r;
	if (!o->engineer_port)
		o->engineer_port = o->relay_port;
	/* Consent given in advance speaks for the machine's owner: only
	 * the root-owned system configuration may give it. */
	if (o->allow_unattended &&
	    !config_system_yes(cfg, "session", "allow_unattended",
			       &o->unattended_why))
		o->allow_unattended = false;
	n = config_values(cfg, "session", "engineer_key", &files);
	o->engineer_key_files = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		o->engineer_key_files[i] = xstrdup(files[i]);
	free(files);

	if (!o->relay_host) {
		*ret_err = xstrdup("no relay: set [session] relay_host or "
				   "--relay HOST[:PORT]");
		return -EINVAL;
	}
	if (!o->relay_user) {
		*ret_err = xstrdup("no relay user: set [session] relay_user "
				   "or --relay-user");
		return -EINVAL;
	}
	if (!o->relay_host_key) {
		*ret_err = xstrdup("the relay's host key is not pinned: set "
				   "[session] relay_host_key = SHA256:... "
				   "(keys are never trusted on first use)");
		return -EINVAL;
	}
	if (!o->key) {
		*ret_err = xstrdup("no agent key: set [session] key = FILE "
				   "(an ed25519 private key)");
		return -EINVAL;
	}
	if (!o->listen_port) {
		*ret_err = xstrdup("no listen port: set [session] listen_port "
				   "or --listen-port PORT (the port the relay "
				   "permits this agent to listen on)");
		return -EINVAL;
	}
	if (n == 0) {
		*ret_err = xstrdup("no engineer key: give --engineer-key FILE "
				   "(who may connect)");
		return -EINVAL;
	}
	return 0;
}

static int key_fingerprint(struct session_key *k, char **ret_err)
{
	enum ssh_keytypes_e type = ssh_key_type_from_name(k->type);
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char fp[SESSION_FP_MAX];

	if (type == SSH_KEYTYPE_UNKNOWN ||
	    ssh_pki_import_pubkey_base64(k->base64, type, &key) != SSH_OK) {
		*ret_err = xasprintf("not a valid %s public key", k->type);
		return -EINVAL;
	}
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
				   &hlen) != SSH_OK) {
		ssh_key_free(key);
		*ret_err = xstrdup("cannot hash the key");
		return -EINVAL;
	}
	session_fp_format(hash, hlen, fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	k->fp = xstrdup(fp);
	return 0;
}

int session_keys_load(struct session_opts *o, char **ret_err)
{
	const struct {
		const char *key, *file;
	} secret[] = { { "key", o->key }, { "host_key", o->host_key } };
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	/* A .pub given for a secret key is named first, before libssh's
	 * "cannot read" (which reads like a permission problem). */
	for (size_t i = 0; i < ARRAY_SIZE(secret); i++) {
		const char *kind = secret[i].file
					   ? keyfile_public_kind(secret[i].file)
					   : NULL;

		if (kind) {
			*ret_err =
				xasprintf("[session] %s '%s' is a public "
					  "key (%s); give the secret key "
					  "file",
					  secret[i].key, secret[i].file, kind);
			return -EINVAL;
		}
	}
	for (char **f = o->engineer_key_files; f && *f; f++) {
		FILE *fp = fopen(*f, "r");
		size_t before = o->nkeys;
		unsigned lineno = 0;

		if (!fp) {
			r = -errno;
			*ret_err =
				xasprintf("cannot read engineer key '%s': %s",
					  *f, strerror(-r));
			goto out;
		}
		while (getline(&line, &cap, fp) > 0) {
			struct session_key k;
			char *err = NULL;
			int pr;

			lineno++;
			if ((pr = session_key_parse_line(line, &k)) == 1)
				continue;
			if (pr < 0 || key_fingerprint(&k, &err) < 0) {
				*ret_err = xasprintf(
					"%s:%u: %s", *f, lineno,
					err ? err
					    : "not a public key line (TYPE "
					      "BASE64 [COMMENT])");
				free(err);
				if (pr == 0)
					session_key_release(&k);
				fclose(fp);
				r = -EINVAL;
				goto out;
			}
			o->keys = xreallocarray(o->keys, o->nkeys + 1,
						sizeof(*o->keys));
			o->keys[o->nkeys++] = k;
		}
		fclose(fp);
		if (o->nkeys == before) {
			*ret_err = xasprintf("engineer key file '%s' holds no "
					     "key",
					     *f);
			r = -EINVAL;
			goto out;
		}
	}
out:
	free(line);
	return r;
}
