/*
 * Signed collection requests: a level-3 engineer names a ticket, the
 * collectors to run and where the bundle goes, signs that with the vendor's
 * Ed25519 key (docs/review.md's key files), and hands the customer a compact
 * token. The customer's rdiag checks the signature against the vendor keys
 * it trusts, the expiry and a replay store before it runs anything.
 *
 * Token: "rdreq1." base64url(JSON) "." base64url(signature), no padding; the
 * signature covers the exact bytes before the second dot. docs/requests.md
 * documents the JSON fields, the caps and every refusal.
 *
 * Functions return 0 or a negative errno; on failure *ret_err (when not
 * NULL) gets a one-line message for the user that the caller frees, unless
 * it already held one (the first error wins; see error_set()).
 */
#ifndef RDIAG_REQUEST_H
#define RDIAG_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/config.h"
#include "core/sign.h"

#define REQUEST_PREFIX "rdreq1."
/* The whole token, as text; a longer one is refused unread. */
#define REQUEST_TOKEN_MAX      8192
#define REQUEST_NOTE_MAX       1024
#define REQUEST_URL_MAX        2048
#define REQUEST_COLLECTORS_MAX 32
#define REQUEST_TICKET_MAX     64
/* Hex digits of a request id (16 random bytes). */
#define REQUEST_ID_LEN 32
/* Longest validity a request may ask for. */
#define REQUEST_LIFETIME_MAX (30 * 86400)
/* Issued-at may be this far in the future (clock skew). */
#define REQUEST_SKEW_S 300
/* Trusted public keys read from one directory, at most. */
#define REQUEST_KEYS_MAX 64

/* The [requests] section's keys (config validation, man page). */
extern const struct config_key request_config_keys[];

/* Why a token was refused; the first word of the message is the name. */
enum request_fault {
	REQUEST_FAULT_NONE,
	REQUEST_FAULT_OVERSIZED,
	REQUEST_FAULT_MALFORMED,
	REQUEST_FAULT_UNKNOWN_KEY,
	REQUEST_FAULT_TAMPERED,
	REQUEST_FAULT_EXPIRED,
	REQUEST_FAULT_REPLAYED,
	REQUEST_FAULT_UNSUPPORTED, /* names a collector we do not have */
};

/* "oversized", "malformed", "unknown key", "tampered", ... */
const char *request_fault_name(enum request_fault f);

/* A verified (or about to be signed) request. Strings owned. */
struct request {
	char id[REQUEST_ID_LEN + 1];
	char *ticket;
	char **collectors; /* NULL-terminated */
	size_t ncollectors;
	char *upload;
	char *note; /* NULL when none */
	int64_t issued, expires;
	char key_fpr[SIGN_FPR_LEN + 1]; /* the signer's fingerprint */
	/* The one agent id or host label this token is for (aud), or NULL
	 * for any machine that trusts the key. */
	char *audience;
};

/* Latest time a token may name (9999-12-31T23:59:59Z): checked before any
 * arithmetic on iat/exp, so that no subtraction can overflow. */
#define REQUEST_TIME_MAX INT64_C(253402300799)
/* Longest agent id or host label a token may be meant for. */
#define REQUEST_AUDIENCE_MAX 64

/*
 * Is this token meant for a machine known as id (its agent id) or label
 * (its host label)? A token without an audience is for any machine.
 */
bool request_for_me(const struct request *rq, const char *id,
		    const char *label);

void request_init(struct request *rq);
void request_release(struct request *rq);

/* The vendor keys trusted for requests. */
struct request_keyring {
	struct sign_key keys[REQUEST_KEYS_MAX];
	char fprs[REQUEST_KEYS_MAX][SIGN_FPR_LEN + 1];
	size_t n;
};

/*
 * Load every NAME.pub (ed25519-public) in dir. A file that is not such a
 * key is skipped with a warning on stderr naming it; an unreadable
 * directory is an error. An empty keyring is not (every token is then
 * refused as "unknown key").
 */
int request_keyring_load(struct request_keyring *kr, const char *dir,
			 char **ret_err);
void request_keyring_wipe(struct request_keyring *kr);

/*
 * Parse a validity like 72h, 30m, 7d, 3600s into seconds (1 s to
 * REQUEST_LIFETIME_MAX). 0 or -EINVAL.
 */
int request_parse_lifetime(const char *s, int64_t *ret_s);

/*
 * Check the fields of rq (ticket label, collectors against the registry,
 * upload URL scheme, note, times). Used before signing and after
 * verifying. -EBADMSG, or -ENOTSUP for a collector we do not have.
 */
int request_check(const struct request *rq, char **ret_err);

/*
 * Sign rq with an ed25519-secret key: fills rq->id (random) and
 * rq->key_fpr, returns the token in *ret_token (caller frees).
 */
int request_sign(struct request *rq, const struct sign_key *secret,
		 char **ret_token, char **ret_err);

/*
 * Verify a token: size, shape, a trusted key, the signature, the fields,
 * expiry at now. Does not consult the replay store (see
 * request_store_*). On success *ret (initialised by the caller) is filled.
 * On failure returns -EBADMSG with *ret_fault set and a message whose
 * first words name the fault.
 */
int request_verify(const char *token, size_t len,
		   const struct request_keyring *kr, int64_t now,
		   struct request *ret, enum request_fault *ret_fault,
		   char **ret_err);

/*
 * A token from an argument: the token itself (starts with REQUEST_PREFIX)
 * or a file holding it (surrounding white space dropped). Files larger
 * than REQUEST_TOKEN_MAX are refused as oversized.
 */
int request_read_arg(const char *arg, char **ret_token, size_t *ret_len,
		     enum request_fault *ret_fault, char **ret_err);

/*
 * The replay store: STATE/seen/ID, created with O_EXCL and synced before
 * a request runs, so a request runs at most once on this machine even
 * across crashes and restarts.
 */
/* Has id been claimed? */
bool request_store_seen(const char *state_dir, const char *id);
/*
 * Claim id durably (file and directory synced). -EEXIST when it was
 * claimed before (a replay), other negative errnos when the store cannot
 * be written.
 */
int request_store_claim(const char *state_dir, const struct request *rq,
			const char *by, char **ret_err);

/* Directories and switches from [requests], the environment, defaults. */
char *request_trusted_dir(const struct config *c);
char *request_state_dir(const struct config *c);

/* Print what rq will do, for the customer (strings sanitised). */
void request_print_summary(FILE *f, const struct request *rq);

/*
 * j (whose reference this takes) as one line of compact JSON ending in a
 * newline, keys in their insertion order, for the state files (caller
 * frees). Aborts when jansson cannot encode it, which only running out of
 * memory causes: every string in it came through jansson already.
 */
char *request_json_line(json_t *j);

#endif
