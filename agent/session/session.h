/*
 * `rdiag session`: an escalated support session over SSH. The agent
 * connects out to the vendor's relay (libssh client), pins the relay's host
 * key, asks it for a reverse forward and serves an SSH server of its own
 * (libssh server API) through that tunnel, one forked handler per engineer
 * connection. Everything an engineer does is written to an append-only
 * audit log and an asciicast v2 recording in the session state directory,
 * from where `rdiag run` takes them into the next bundle.
 *
 * Functions returning int return 0 or a negative errno unless said
 * otherwise. Strings handed back are owned by the caller.
 */
#ifndef RDIAG_SESSION_H
#define RDIAG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "rdiag/buf.h"

/* The [session] section's keys (config validation, the man page). */
extern const struct config_key session_config_keys[];

/* Defaults the key table and `rdiag session --help` both spell. */
#define SESSION_DEFAULT_TTL  "1h"
#define SESSION_DEFAULT_IDLE "15m"

/* An engineer key from an --engineer-key file. */
struct session_key {
	char *type;    /* "ssh-ed25519" */
	char *base64;  /* the public key blob, as in the file */
	char *comment; /* "" when the line had none */
	char *fp;      /* "SHA256:..." */
};

struct session_opts {
	char *relay_host;
	unsigned relay_port;    /* default 22 */
	unsigned engineer_port; /* the relay's port for engineers; relay_port */
	char *relay_user;
	char *relay_host_key;        /* pinned "SHA256:..." (primary) */
	char *relay_host_key_backup; /* or NULL */
	char *key;                   /* the agent's ed25519 private key file */
	char *listen_address;        /* on the relay; default 127.0.0.1 */
	unsigned listen_port;        /* on the relay, the permitlisten port */
	char *host_key;  /* inner server key file, NULL: ephemeral */
	char *command;   /* instead of the user's shell, or NULL */
	char *state_dir; /* audit log and recordings */
	bool allow_unattended;
	char *unattended_why; /* why a "yes" was ignored, or NULL */
	bool read_only;
	bool yes;
	unsigned ttl_s;             /* hard limit, default 3600 */
	unsigned idle_s;            /* no engineer traffic, default 900 */
	unsigned keepalive_s;       /* relay keepalive interval, default 15 */
	unsigned connect_timeout_s; /* each relay step, default 15 */
	unsigned max_engineers;     /* connections at once, default 4 */
	char **engineer_key_files;  /* NULL-terminated */
	struct session_key *keys;   /* loaded from the files */
	size_t nkeys;
};

void session_opts_init(struct session_opts *o);
void session_opts_release(struct session_opts *o);

/*
 * Fill o from [session] of cfg (flags were added to cfg as entries with
 * their flag as origin, so they win). Checks that every value parses and
 * that the relay settings are complete; does not read key files. On error
 * returns -EINVAL with a message in *ret_err.
 */
int session_opts_load(struct session_opts *o, const struct config *cfg,
		      char **ret_err);

/*
 * The directory holding audit.jsonl and the *.cast recordings: [session]
 * state_dir, else $XDG_STATE_HOME/rdiag/sessions, else
 * /var/lib/rdiag/sessions for root, else ~/.local/state/rdiag/sessions.
 * Never fails; does not create it. `rdiag run` uses this to find them.
 */
char *session_state_dir(const struct config *cfg);

/*
 * Durations in parse_duration()'s grammar: "90", "90s", "15m", "1h",
 * "1h30m", "2d" (at least 1 s, at most a week). Formatting gives the same
 * shape back ("1h30m", "45s").
 */
#define SESSION_DURATION_MAX (7 * 24 * 3600)
int session_duration_parse(const char *s, unsigned *ret_s);
void session_duration_format(unsigned s, char *out, size_t len);

/* "yes"/"no"/"true"/"false"/"1"/"0"/"on"/"off". */
int session_bool_parse(const char *s, bool *ret);

/*
 * Parse one line of an authorized_keys-style public key file
 * ("TYPE BASE64 [COMMENT]", no options). Returns 0 and fills *ret, 1 for a
 * blank or comment line, -EINVAL for anything else. Does not compute fp.
 */
int session_key_parse_line(const char *line, struct session_key *ret);
void session_key_release(struct session_key *k);

/* Read all keys of the files in o->engineer_key_files into o->keys. */
int session_keys_load(struct session_opts *o, char **ret_err);

/*
 * OpenSSH-style fingerprint of a SHA-256 digest: "SHA256:" + base64
 * without padding. out must hold SESSION_FP_MAX bytes.
 */
#define SESSION_FP_MAX 72
void session_fp_format(const unsigned char *digest, size_t len, char *out);

/*
 * Does a pinned fingerprint match the actual one? The "SHA256:" prefix of
 * the pin is optional and trailing '=' padding is ignored; the comparison
 * is exact otherwise (base64 is case-sensitive).
 */
bool session_fp_match(const char *pinned, const char *actual);

/* The text shown before the y/N question. */
struct session_consent {
	const char *relay; /* "host:port" */
	const char *relay_user;
	const char *user; /* the local account the engineer gets */
	const char *state_dir;
	const char *command; /* or NULL for the login shell */
	const struct session_key *keys;
	size_t nkeys;
	unsigned ttl_s, idle_s;
	bool read_only;
};

void session_consent_text(const struct session_consent *c, struct buf *out);

/*
 * Append s (len bytes, any bytes) to out as a JSON string literal with
 * quotes. Invalid UTF-8 becomes U+FFFD; control characters are escaped.
 * Returns the number of bytes of s consumed: all of them, unless
 * keep_partial and s ends in the middle of a UTF-8 sequence, whose bytes
 * are then left for the caller to prepend to the next chunk.
 */
size_t session_json_string(struct buf *out, const char *s, size_t len,
			   bool keep_partial);

/* The asciicast v2 header line (with '\n'). */
void session_cast_header(struct buf *out, unsigned cols, unsigned rows,
			 int64_t epoch, const char *title, const char *term);

/*
 * One asciicast v2 event line: [t, "o", data] (code 'o', 'i' or 'r').
 * Returns the bytes of data consumed (see session_json_string).
 */
size_t session_cast_event(struct buf *out, double t, char code,
			  const char *data, size_t len, bool keep_partial);

/* A field of an audit record: a string (s) or, when s is NULL, n. */
struct session_field {
	const char *key;
	const char *s;
	int64_t n;
};

/*
 * One audit record as a JSON line ('\n' included):
 * {"time":ISO,"session":ID,"event":EV, fields...}.
 */
void session_audit_format(struct buf *out, const char *iso_time,
			  const char *session_id, const char *event,
			  const struct session_field *fields, size_t nfields);

/* Run the session (after the command line was parsed); an exit code. */
int session_run(struct session_opts *o);

#endif
