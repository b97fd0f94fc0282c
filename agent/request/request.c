/*
 * Signed collection requests (see request.h): the token format, signing,
 * verification in a fixed order so the reason given is the most useful one
 * (size, shape, key, signature, fields, expiry), the trusted keyring and the
 * replay store that makes a request run at most once per machine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/i18n.h"
#include "core/sanitize.h"
#include "platform/fsutil.h"
#include "platform/platform.h"
#include "registry.h"
#include "request/request.h"
#include "review/review.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

const struct config_key request_config_keys[] = {
	{ "trusted_keys_dir", 0,
	  "vendor public keys trusted for requests (default "
	  "/etc/rdiag/trusted-keys; RDIAG_TRUSTED_KEYS wins)",
	  NULL },
	{ "state_dir", 0,
	  "replay store, agent state and audit log (default "
	  "/var/lib/rdiag/requests; RDIAG_STATE_DIR wins)",
	  NULL },
	{ "allow_unattended", 0,
	  "yes: run --request without a terminal runs without asking", "no" },
	{ NULL, 0, NULL, NULL },
};

static const char *const fault_names[] = {
	[REQUEST_FAULT_NONE] = "ok",
	[REQUEST_FAULT_OVERSIZED] = "oversized",
	[REQUEST_FAULT_MALFORMED] = "malformed",
	[REQUEST_FAULT_UNKNOWN_KEY] = "unknown key",
	[REQUEST_FAULT_TAMPERED] = "tampered",
	[REQUEST_FAULT_EXPIRED] = "expired",
	[REQUEST_FAULT_REPLAYED] = "replayed",
	[REQUEST_FAULT_UNSUPPORTED] = "unsupported",
};

const char *request_fault_name(enum request_fault f)
{
	return (size_t)f < ARRAY_SIZE(fault_names) ? fault_names[f] : "?";
}

static int fault(enum request_fault *ret_fault, enum request_fault f,
		 char **ret_err, const char *fmt, ...) RDIAG_PRINTF(4, 5);

static int fault(enum request_fault *ret_fault, enum request_fault f,
		 char **ret_err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (ret_fault)
		*ret_fault = f;
	if (ret_err) {
		va_start(ap, fmt);
		msg = xvasprintf(fmt, ap);
		va_end(ap);
		error_set(ret_err, 0, "%s request: %s", request_fault_name(f),
			  msg);
		free(msg);
	}
	return -EBADMSG;
}

void request_init(struct request *rq)
{
	memset(rq, 0, sizeof(*rq));
}

void request_release(struct request *rq)
{
	free(rq->ticket);
	for (size_t i = 0; i < rq->ncollectors; i++)
		free(rq->collectors[i]);
	free(rq->collectors);
	free(rq->upload);
	free(rq->note);
	free(rq->audience);
	request_init(rq);
}

/* ---- keys ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

int request_keyring_load(struct request_keyring *kr, const char *dir,
			 char **ret_err)
{
	struct dirent *de;
	DIR *d;

	memset(kr, 0, sizeof(*kr));
	if (!(d = opendir(dir)))
		return error_set(ret_err, -errno,
				 "cannot read trusted keys '%s': %s", dir,
				 strerror(errno));
	while ((de = readdir(d))) {
		char *path, *err = NULL;

		if (!has_suffix(de->d_name, ".pub") || de->d_name[0] == '.')
			continue;
		if (kr->n == REQUEST_KEYS_MAX) {
			fprintf(stderr,
				"rdiag: more than %d keys in '%s'; ignoring "
				"'%s'\n",
				REQUEST_KEYS_MAX, dir, de->d_name);
			continue;
		}
		path = xasprintf("%s/%s", dir, de->d_name);
		if (sign_key_load(path, SIGN_KEY_SIGN_PUBLIC, &kr->keys[kr->n],
				  &err) < 0) {
			fprintf(stderr, "rdiag: %s, ignoring\n", err);
		} else {
			sign_fingerprint(kr->keys[kr->n].key, 32,
					 kr->fprs[kr->n]);
			kr->n++;
		}
		free(err);
		free(path);
	}
	closedir(d);
	return 0;
}

void request_keyring_wipe(struct request_keyring *kr)
{
	sodium_memzero(kr, sizeof(*kr));
}

int request_parse_lifetime(const char *s, int64_t *ret_s)
{
	unsigned long long v;

	if (parse_duration(s, 1, REQUEST_LIFETIME_MAX, &v) < 0)
		return -EINVAL;
	*ret_s = (int64_t)v;
	return 0;
}

/* ---- fields ---- */

static bool audience_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= REQUEST_AUDIENCE_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

bool request_for_me(const struct request *rq, const char *id, const char *label)
{
	if (!rq->audience)
		return true;
	return (id && strcmp(rq->audience, id) == 0) ||
	       (label && strcmp(rq->audience, label) == 0);
}

static bool id_ok(const char *s)
{
	return strlen(s) == REQUEST_ID_LEN &&
	       strspn(s, "0123456789abcdef") == REQUEST_ID_LEN;
}

int request_check(const struct request *rq, char **ret_err)
{
	char *err = NULL;
	int r;

	if (!rq->ticket || !fs_name_ok(rq->ticket, REQUEST_TICKET_MAX))
		return error_set(ret_err, -EBADMSG,
				 "the ticket may use only letters, digits, "
				 "'.', '-' and '_' (at most %d)",
				 REQUEST_TICKET_MAX);
	if (rq->ncollectors == 0 || rq->ncollectors > REQUEST_COLLECTORS_MAX)
		return error_set(ret_err, -EBADMSG,
				 "a request names 1 to %d collectors",
				 REQUEST_COLLECTORS_MAX);
	for (size_t i = 0; i < rq->ncollectors; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(rq->collectors[i], rq->collectors[j]) == 0)
				return error_set(ret_err, -EBADMSG,
						 "collector '%s' named twice",
						 rq->collectors[i]);
		if (!registry_find(registry_collectors, rq->collectors[i])) {
			char *shown = sanitize_text(rq->collectors[i], false);

			r = error_set(ret_err, -ENOTSUP,
				      "this rdiag has no collector '%s' (see "
				      "'rdiag list')",
				      shown);
			free(shown);
			return r;
		}
	}
	if (!rq->upload || strlen(rq->upload) > REQUEST_URL_MAX)
		return error_set(ret_err, -EBADMSG,
				 "the upload target is missing or longer than "
				 "%d bytes",
				 REQUEST_URL_MAX);
	if (ticket_url_is(rq->upload)) {
		struct ticket_url tu;

		r = ticket_url_parse(rq->upload, &tu, &err);
		if (r == 0)
			ticket_url_release(&tu);
	} else {
		struct upload_url uu;

		r = upload_url_parse(rq->upload, &uu, &err);
		if (r == 0)
			upload_url_release(&uu);
	}
	if (r < 0) {
		r = error_set(ret_err, -EBADMSG, "bad upload target: %s", err);
		free(err);
		return r;
	}
	if (rq->note && strlen(rq->note) > REQUEST_NOTE_MAX)
		return error_set(ret_err, -EBADMSG,
				 "the note is longer than %d bytes",
				 REQUEST_NOTE_MAX);
	if (rq->audience && !audience_ok(rq->audience))
		return error_set(ret_err, -EBADMSG,
				 "the audience must be an agent id or host "
				 "label (letters, digits, '.', '_', '-', at "
				 "most %d)",
				 REQUEST_AUDIENCE_MAX);
	if (rq->issued < 0 || rq->issued > REQUEST_TIME_MAX ||
	    rq->expires < 0 || rq->expires > REQUEST_TIME_MAX)
		return error_set(ret_err, -EBADMSG,
				 "iat/exp outside 1970-9999");
	if (rq->expires <= rq->issued ||
	    rq->expires - rq->issued > REQUEST_LIFETIME_MAX)
		return error_set(ret_err, -EBADMSG,
				 "the validity must be 1 s to %d days",
				 REQUEST_LIFETIME_MAX / 86400);
	return 0;
}

/* ---- signing ---- */

static char *b64url(const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(
		n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = xmalloc(cap);

	sodium_bin2base64(s, cap, p, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

static json_t *request_json(const struct request *rq)
{
	json_t *j = json_object(), *cols = json_array();

	for (size_t i = 0; i < rq->ncollectors; i++)
		json_array_append_new(cols, json_string(rq->collectors[i]));
	json_object_set_new(j, "v", json_integer(1));
	json_object_set_new(j, "id", json_string(rq->id));
	json_object_set_new(j, "ticket", json_string(rq->ticket));
	json_object_set_new(j, "collectors", cols);
	json_object_set_new(j, "upload", json_string(rq->upload));
	if (rq->note)
		json_object_set_new(j, "note", json_string(rq->note));
	if (rq->audience)
		json_object_set_new(j, "aud", json_string(rq->audience));
	json_object_set_new(j, "iat", json_integer(rq->issued));
	json_object_set_new(j, "exp", json_integer(rq->expires));
	json_object_set_new(j, "kid", json_string(rq->key_fpr));
	return j;
}

int request_sign(struct request *rq, const struct sign_key *secret,
		 char **ret_token, char **ret_err)
{
	unsigned char rnd[REQUEST_ID_LEN / 2], sig[crypto_sign_BYTES];
	char *payload, *p64, *s64, *signed_part, *token;
	json_t *j;
	int r;

	if (secret->kind != SIGN_KEY_SIGN_SECRET)
		return error_set(ret_err, -EINVAL,
				 "requests are signed with an ed25519-secret "
				 "key");
	if (sodium_init() < 0)
		abort();
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(rq->id, sizeof(rq->id), rnd, sizeof(rnd));
	sign_fingerprint(secret->key + crypto_sign_SEEDBYTES, 32, rq->key_fpr);
	if ((r = request_check(rq, ret_err)) < 0)
		return r;
	j = request_json(rq);
	payload = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!payload)
		abort();
	p64 = b64url(payload, strlen(payload));
	signed_part = xasprintf(REQUEST_PREFIX "%s", p64);
	crypto_sign_detached(sig, NULL, (const unsigned char *)signed_part,
			     strlen(signed_part), secret->key);
	s64 = b64url(sig, sizeof(sig));
	token = xasprintf("%s.%s", signed_part, s64);
	free(payload);
	free(p64);
	free(s64);
	free(signed_part);
	if (strlen(token) > REQUEST_TOKEN_MAX) {
		free(token);
		return error_set(ret_err, -EMSGSIZE,
				 "the token would be longer than %d bytes "
				 "(shorten the note)",
				 REQUEST_TOKEN_MAX);
	}
	*ret_token = token;
	return 0;
}

/* ---- verification ---- */

static const char *str_field(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* The JSON fields into rq; -EBADMSG naming the first bad one. */
static int fields_from_json(json_t *j, struct request *rq, char **ret_err)
{
	static const char *const known[] = { "v",          "id",     "ticket",
					     "collectors", "upload", "note",
					     "iat",        "exp",    "kid",
					     "aud" };
	const char *key, *s;
	json_t *v, *cols;
	size_t i;

	json_object_foreach(j, key, v)
	{
		bool ok = false;

		for (i = 0; i < ARRAY_SIZE(known); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok)
			return error_set(ret_err, -EBADMSG,
					 "unknown field in the request");
	}
	if (json_integer_value(json_object_get(j, "v")) != 1 ||
	    !json_is_integer(json_object_get(j, "v")))
		return error_set(ret_err, -EBADMSG,
				 "not a version 1 request (a newer rdiag may "
				 "read it)");
	if (!(s = str_field(j, "id")) || !id_ok(s))
		return error_set(ret_err, -EBADMSG, "bad or missing id");
	memcpy(rq->id, s, REQUEST_ID_LEN + 1);
	/* A fingerprint is hex: anything else could repaint a terminal
	 * in `request show` before the signature was checked. */
	if (!(s = str_field(j, "kid")) || strlen(s) != SIGN_FPR_LEN ||
	    strspn(s, "0123456789abcdef") != SIGN_FPR_LEN)
		return error_set(ret_err, -EBADMSG, "bad or missing kid");
	memcpy(rq->key_fpr, s, SIGN_FPR_LEN + 1);
	if (!(s = str_field(j, "ticket")))
		return error_set(ret_err, -EBADMSG, "missing ticket");
	rq->ticket = xstrdup(s);
	if (!(s = str_field(j, "upload")))
		return error_set(ret_err, -EBADMSG, "missing upload target");
	rq->upload = xstrdup(s);
	if ((v = json_object_get(j, "note"))) {
		if (!(s = json_string_value(v)))
			return error_set(ret_err, -EBADMSG, "bad note");
		rq->note = xstrdup(s);
	}
	if ((v = json_object_get(j, "aud"))) {
		if (!(s = json_string_value(v)) || !audience_ok(s))
			return error_set(ret_err, -EBADMSG, "bad aud");
		rq->audience = xstrdup(s);
	}
	cols = json_object_get(j, "collectors");
	if (!json_is_array(cols) ||
	    json_array_size(cols) > REQUEST_COLLECTORS_MAX)
		return error_set(ret_err, -EBADMSG, "bad collectors list");
	rq->collectors =
		xcalloc(json_array_size(cols) + 1, sizeof(*rq->collectors));
	json_array_foreach(cols, i, v)
	{
		if (!(s = json_string_value(v)) || !*s || strlen(s) > 64)
			return error_set(ret_err, -EBADMSG,
					 "bad collector name");
		rq->collectors[rq->ncollectors++] = xstrdup(s);
	}
	if (!json_is_integer(json_object_get(j, "iat")) ||
	    !json_is_integer(json_object_get(j, "exp")))
		return error_set(ret_err, -EBADMSG, "bad or missing iat/exp");
	rq->issued = json_integer_value(json_object_get(j, "iat"));
	rq->expires = json_integer_value(json_object_get(j, "exp"));
	return 0;
}

static bool b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

int request_verify(const char *token, size_t len,
		   const struct request_keyring *kr, int64_t now,
		   struct request *ret, enum request_fault *ret_fault,
		   char **ret_err)
{
	const size_t plen = strlen(REQUEST_PREFIX);
	unsigned char sig[crypto_sign_BYTES];
	unsigned char *payload = NULL;
	const char *p64, *dot, *s64, *end = token + len;
	const struct sign_key *key = NULL;
	struct request rq;
	json_error_t jerr;
	json_t *j = NULL;
	char *err = NULL, *shown;
	size_t got = 0, p64_len;
	int r;

	request_init(&rq);
	if (ret_fault)
		*ret_fault = REQUEST_FAULT_NONE;
	if (len > REQUEST_TOKEN_MAX)
		return fault(ret_fault, REQUEST_FAULT_OVERSIZED, ret_err,
			     "%zu bytes, at most %d are read", len,
			     REQUEST_TOKEN_MAX);
	if (len < plen || memcmp(token, REQUEST_PREFIX, plen) != 0)
		return fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			     "not an rdiag request token (it starts with "
			     "'%s')",
			     REQUEST_PREFIX);
	p64 = token + plen;
	dot = memchr(p64, '.', (size_t)(end - p64));
	if (!dot || dot == p64)
		return fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			     "the token has no signature part (cut?)");
	p64_len = (size_t)(dot - p64);
	s64 = dot + 1;
	if (!b64url_chars(p64, p64_len) ||
	    !b64url_chars(s64, (size_t)(end - s64)))
		return fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			     "the token holds characters outside base64url");
	if (sodium_base642bin(sig, sizeof(sig), s64, (size_t)(end - s64), NULL,
			      &got, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != sizeof(sig))
		return fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			     "the signature part is damaged or cut");
	payload = xmalloc(p64_len + 1);
	if (sodium_base642bin(payload, p64_len, p64, p64_len, NULL, &got, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		r = fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			  "the request part is not base64url");
		goto out;
	}
	j = json_loadb((const char *)payload, got, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!json_is_object(j)) {
		r = fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			  "the request is not a JSON object");
		goto out;
	}
	if ((r = fields_from_json(j, &rq, &err)) < 0) {
		r = fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err, "%s",
			  err);
		goto out;
	}
	for (size_t i = 0; i < kr->n; i++)
		if (strcmp(kr->fprs[i], rq.key_fpr) == 0)
			key = &kr->keys[i];
	if (!key) {
		r = fault(ret_fault, REQUEST_FAULT_UNKNOWN_KEY, ret_err,
			  "signed by key %s, which is not among the %zu "
			  "trusted vendor key%s",
			  rq.key_fpr, kr->n, kr->n == 1 ? "" : "s");
		goto out;
	}
	if (crypto_sign_verify_detached(sig, (const unsigned char *)token,
					plen + p64_len, key->key) != 0) {
		r = fault(ret_fault, REQUEST_FAULT_TAMPERED, ret_err,
			  "the signature of key %s does not match (changed "
			  "after signing)",
			  rq.key_fpr);
		goto out;
	}
	if ((r = request_check(&rq, &err)) < 0) {
		r = fault(ret_fault,
			  r == -ENOTSUP ? REQUEST_FAULT_UNSUPPORTED
					: REQUEST_FAULT_MALFORMED,
			  ret_err, "%s", err);
		goto out;
	}
	if (rq.issued > now + REQUEST_SKEW_S) {
		r = fault(ret_fault, REQUEST_FAULT_MALFORMED, ret_err,
			  "issued in the future (check this machine's "
			  "clock)");
		goto out;
	}
	if (rq.expires <= now) {
		char when[32];

		utc_iso8601(rq.expires, when, sizeof(when));
		shown = sanitize_text(rq.ticket, false);
		r = fault(ret_fault, REQUEST_FAULT_EXPIRED, ret_err,
			  "request %s for ticket %s expired at %s; ask the "
			  "engineer for a new one",
			  rq.id, shown, when);
		free(shown);
		goto out;
	}
	*ret = rq;
	request_init(&rq);
	r = 0;
out:
	request_release(&rq);
	json_decref(j);
	free(payload);
	free(err);
	return r;
}

static void trim(char *s, size_t *len)
{
	size_t a = 0, n = *len;

	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		n--;
	while (a < n && strchr(" \t\r\n", s[a]))
		a++;
	memmove(s, s + a, n - a);
	s[n - a] = '\0';
	*len = n - a;
}

int request_read_arg(const char *arg, char **ret_token, size_t *ret_len,
		     enum request_fault *ret_fault, char **ret_err)
{
	char *buf;
	size_t got = 0;
	ssize_t n;
	struct stat sb;
	int fd, r = 0;

	if (strncmp(arg, REQUEST_PREFIX, strlen(REQUEST_PREFIX)) == 0) {
		got = strlen(arg);
		*ret_token = xstrdup(arg);
		*ret_len = got;
		return 0;
	}
	fd = open(arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return error_set(ret_err, -errno,
				 "'%s' is neither a request token nor a file "
				 "we can read: %s",
				 arg, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error_set(ret_err, -EINVAL,
				 "request file '%s' is not a regular file",
				 arg);
	}
	buf = xmalloc(REQUEST_TOKEN_MAX + 2);
	/* Read one byte past the cap to tell "exactly at" from "over". */
	while (got < REQUEST_TOKEN_MAX + 1 &&
	       (n = read(fd, buf + got, REQUEST_TOKEN_MAX + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = error_set(ret_err, -errno, "cannot read '%s': %s",
				      arg, strerror(errno));
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (r == 0 && got > REQUEST_TOKEN_MAX) {
		trim(buf, &got);
		if (got > REQUEST_TOKEN_MAX)
			r = fault(ret_fault, REQUEST_FAULT_OVERSIZED, ret_err,
				  "'%s' is larger than %d bytes", arg,
				  REQUEST_TOKEN_MAX);
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	trim(buf, &got);
	*ret_token = buf;
	*ret_len = got;
	return 0;
}

/* ---- replay store ---- */

bool request_store_seen(const char *state_dir, const char *id)
{
	char *p = xasprintf("%s/seen/%s", state_dir, id);
	bool seen = access(p, F_OK) == 0;

	free(p);
	return seen;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int request_store_claim(const char *state_dir, const struct request *rq,
			const char *by, char **ret_err)
{
	char *dir = xasprintf("%s/seen", state_dir);
	char *path = NULL, *line = NULL, when[32];
	int fd = -1, r;

	if (!id_ok(rq->id)) {
		r = error_set(ret_err, -EINVAL, "bad request id");
		goto out;
	}
	if ((r = fs_mkdirs(dir)) < 0) {
		error_set(ret_err, r, "cannot create the replay store '%s': %s",
			  dir, strerror(-r));
		goto out;
	}
	path = xasprintf("%s/%s", dir, rq->id);
	if ((r = platform_create_new(path, 0600, &fd)) < 0) {
		if (r == -EEXIST)
			error_set(
				ret_err, r,
				"replayed request: %s (ticket %s) was already "
				"run on this machine",
				rq->id, rq->ticket);
		else
			error_set(ret_err, r,
				  "cannot write the replay store '%s': %s",
				  path, strerror(-r));
		goto out;
	}
	utc_iso8601(time(NULL), when, sizeof(when));
	line = request_json_line(json_pack(
		"{s:s, s:s, s:s, s:s, s:I}", "id", rq->id, "ticket", rq->ticket,
		"claimed", when, "by", by, "exp", (json_int_t)rq->expires));
	if ((r = write_all(fd, line, strlen(line))) < 0 || fsync(fd) < 0 ||
	    (r = sync_dir(dir)) < 0) {
		r = r < 0 ? r : -errno;
		error_set(ret_err, r, "cannot write the replay store '%s': %s",
			  path, strerror(-r));
		/* Keep the claim anyway: refusing later beats running twice.
		 */
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(path);
	free(line);
	return r;
}

char *request_json_line(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL, *line;

	if (!text) {
		fprintf(stderr, "rdiag: out of memory encoding JSON\n");
		abort();
	}
	line = xasprintf("%s\n", text);
	free(text);
	json_decref(j);
	return line;
}

static char *dir_setting(const struct config *c, const char *env_name,
			 const char *key, const char *def)
{
	const char *v = getenv(env_name);

	if (v && *v)
		return xstrdup(v);
	if (c && (v = config_get(c, "requests", key)) && *v)
		return xstrdup(v);
	return xstrdup(def);
}

char *request_trusted_dir(const struct config *c)
{
	return dir_setting(c, "RDIAG_TRUSTED_KEYS", "trusted_keys_dir",
			   RDIAG_SYSCONFDIR "/trusted-keys");
}

char *request_state_dir(const struct config *c)
{
	return dir_setting(c, "RDIAG_STATE_DIR", "state_dir",
			   "/var/lib/rdiag/requests");
}

void request_print_summary(FILE *f, const struct request *rq)
{
	char *upload = upload_url_scrub(rq->upload), *u, *note;
	char when[32];

	u = sanitize_text(upload, false);
	utc_iso8601(rq->expires, when, sizeof(when));
	/* Shown to the customer before consent, in their language. */
	fprintf(f, _("Signed collection request %s\n"), rq->id);
	fprintf(f, _("  ticket:      %s\n"), rq->ticket);
	fprintf(f, _("  signed by:   vendor key %s\n"), rq->key_fpr);
	fprintf(f, _("  valid until: %s\n"), when);
	fputs(_("  collects:   "), f);
	for (size_t i = 0; i < rq->ncollectors; i++) {
		const struct collector *c =
			registry_find(registry_collectors, rq->collectors[i]);

		fprintf(f, "%s %s%s%s\n", i ? "             " : "",
			rq->collectors[i], c ? " - " : "",
			c ? _(c->summary) : "");
	}
	fprintf(f, _("  sends to:    %s\n"), u);
	if (rq->audience)
		fprintf(f, _("  only for:    %s\n"), rq->audience);
	if (rq->note) {
		note = sanitize_text(rq->note, false);
		fprintf(f, _("  note:        %s\n"), note);
		free(note);
	}
	free(upload);
	free(u);
}
