/*
 * The generic redaction pass (see redact.h). Each line is scanned once,
 * forward, and the scan stops only at a few trigger bytes ('=', ':', ',',
 * '<', '\'', '-', '_' and a few rare letters inside known token prefixes),
 * so ordinary log text streams through at several hundred MB/s. Every rule
 * is a small hand-written matcher instead of a regular expression; the rule
 * names and their limits are documented in docs/redaction.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/obfuscate.h"
#include "core/redact.h"
#include "rdiag/util.h"

/* Lines longer than this are redacted in pieces of at most this size. */
#define REDACT_CHUNK 65536
/* Longest key name we look at; longer runs are not keys. */
#define KEY_MAX   128
#define WORDS_MAX 16
#define WORD_MAX  48

enum rule {
	RULE_KEY_VALUE,
	RULE_XML_ELEMENT,
	RULE_URL_USERINFO,
	RULE_HTTP_AUTH,
	RULE_HTTP_COOKIE,
	RULE_BEARER,
	RULE_PEM,
	RULE_AWS_KEY_ID,
	RULE_AWS_SECRET,
	RULE_AZURE,
	RULE_GITHUB,
	RULE_GITLAB,
	RULE_SLACK,
	RULE_GOOGLE,
	RULE_JWT,
	RULE_STRIPE,
	RULE_NPM,
	RULE_SQL,
	RULE_CMDLINE,
	RULE_CREDFILE,
	RULE_PPK,
	RULE_WEBHOOK,
	RULE_SIGNED_URL,
	RULE_SMTP_AUTH,
	RULE_ORACLE,
	RULE_MAX
};

static const char *const rule_names[RULE_MAX] = {
	[RULE_KEY_VALUE] = "key-value",
	[RULE_XML_ELEMENT] = "xml-element",
	[RULE_URL_USERINFO] = "url-userinfo",
	[RULE_HTTP_AUTH] = "http-authorization",
	[RULE_HTTP_COOKIE] = "http-cookie",
	[RULE_BEARER] = "bearer-token",
	[RULE_PEM] = "pem-private-key",
	[RULE_AWS_KEY_ID] = "aws-access-key-id",
	[RULE_AWS_SECRET] = "aws-secret-access-key",
	[RULE_AZURE] = "azure-storage-key",
	[RULE_GITHUB] = "github-token",
	[RULE_GITLAB] = "gitlab-token",
	[RULE_SLACK] = "slack-token",
	[RULE_GOOGLE] = "google-api-key",
	[RULE_JWT] = "jwt",
	[RULE_STRIPE] = "stripe-key",
	[RULE_NPM] = "npm-token",
	[RULE_SQL] = "sql-password",
	[RULE_CMDLINE] = "command-line-password",
	[RULE_CREDFILE] = "credentials-file",
	[RULE_PPK] = "putty-private-key",
	[RULE_WEBHOOK] = "webhook-url",
	[RULE_SIGNED_URL] = "signed-url",
	[RULE_SMTP_AUTH] = "smtp-auth",
	[RULE_ORACLE] = "oracle-connect",
};

/* How a value that reached the end of a piece goes on in the next one. */
enum cont {
	CONT_NONE,
	CONT_EOL,   /* to the end of the line or the next key=value */
	CONT_LINE,  /* to the end of the line, whatever follows */
	CONT_DELIM, /* to the next blank or delimiter */
	CONT_QUOTE, /* to the closing quote in cont_quote */
};

struct redactor {
	uint64_t count[RULE_MAX];
	/* redactor_set_progress(): called once per chunk of redact_fd(). */
	void (*progress)(void *arg);
	void *progress_arg;
	bool in_pem;      /* inside a PEM private key body */
	bool pem_crlf;    /* the BEGIN line ended in CR LF */
	bool pem_counted; /* key material seen in this block */
	enum cont cont;
	char cont_quote;
	enum redact_format format; /* what the file is, by its name */
	int block_indent;      /* YAML block scalar under a secret key, or -1 */
	bool block_counted;    /* that block was counted */
	bool xml_open;         /* a secret XML element goes on past its line */
	unsigned ppk_lines;    /* PuTTY Private-Lines still to come */
	unsigned smtp_lines;   /* lines that may carry an AUTH LOGIN answer */
	struct obfuscator *ob; /* borrowed; pseudonyms after redaction */
};

/* One piece of one line being redacted. */
struct scan {
	struct redactor *r;
	struct buf *out;
	const char *p;
	size_t n;
	size_t done; /* p[0..done) is already emitted or dropped */
	bool first;  /* p starts a line */
	bool last;   /* p ends a line */
	int err;
};

enum keykind {
	KEY_NONE,
	KEY_SECRET,
	KEY_SECRET_UNLESS_PLAIN, /* keep booleans and numbers */
	KEY_AUTH_HEADER,
	KEY_COOKIE,
	KEY_SET_COOKIE,
};

/* Trigger bytes: the scan loop looks at nothing else. */
enum {
	T_SEP = 1,   /* = : , */
	T_LT = 2,    /* < */
	T_QUOTE = 3, /* ' */
	T_TOKEN = 4, /* a byte of a token prefix, or - of a PEM marker */
	T_AT = 5,    /* @ of user/password@database */
};

static const unsigned char trigger[256] = {
	['='] = T_SEP,    [':'] = T_SEP,   [','] = T_SEP,   ['<'] = T_LT,
	['\''] = T_QUOTE, ['-'] = T_TOKEN, ['_'] = T_TOKEN, ['B'] = T_TOKEN,
	['b'] = T_TOKEN,  ['J'] = T_TOKEN, ['K'] = T_TOKEN, ['S'] = T_TOKEN,
	['z'] = T_TOKEN,  ['@'] = T_AT,
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return is_blank(c) || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_b64url(char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static bool is_keych(char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* Characters of bearer tokens (RFC 6750 b64token). */
static bool is_tokch(char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
	       c == '+' || c == '/' || c == '=';
}

static bool in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static char lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static bool has_prefix(const char *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && memcmp(p, pre, k) == 0;
}

static bool has_prefix_nocase(const char *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && strncasecmp(p, pre, k) == 0;
}

static size_t span(const char *p, size_t n, size_t i, bool (*ok)(char))
{
	while (i < n && ok(p[i]))
		i++;
	return i;
}

size_t redact_rule_count(void)
{
	return RULE_MAX;
}

const char *redact_rule_name(size_t i)
{
	return i < RULE_MAX ? rule_names[i] : NULL;
}

struct redactor *redactor_new(void)
{
	struct redactor *r = xcalloc(1, sizeof(struct redactor));

	r->block_indent = -1;
	return r;
}

/* Per-stream state back to the start of a file. */
static void redactor_reset_stream(struct redactor *r)
{
	r->in_pem = false;
	r->cont = CONT_NONE;
	r->block_indent = -1;
	r->xml_open = false;
	r->ppk_lines = 0;
	r->smtp_lines = 0;
}

enum redact_format redact_format_of(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t n;

	base = base ? base + 1 : name;
	n = strlen(base);
	if (strcmp(base, ".pgpass") == 0 || strcmp(base, "pgpass.conf") == 0 ||
	    (n > 7 && strcmp(base + n - 7, ".pgpass") == 0))
		return REDACT_PGPASS;
	if (strcmp(base, ".netrc") == 0 || strcmp(base, "_netrc") == 0 ||
	    strcmp(base, "netrc") == 0)
		return REDACT_NETRC;
	if (strncmp(base, "sasl_passwd", 11) == 0)
		return REDACT_SASL_PASSWD;
	return REDACT_TEXT;
}

void redactor_set_format(struct redactor *r, enum redact_format f)
{
	r->format = f;
}

void redactor_set_obfuscator(struct redactor *r, struct obfuscator *ob)
{
	r->ob = ob;
}

void redactor_free(struct redactor *r)
{
	free(r);
}

uint64_t redactor_count(const struct redactor *r, size_t i)
{
	return i < RULE_MAX ? r->count[i] : 0;
}

/* Output helpers: errors are sticky so matchers need not check each one. */

static void scan_put(struct scan *s, const void *p, size_t n)
{
	if (s->err == 0)
		s->err = buf_append(s->out, p, n);
}

static void scan_emit(struct scan *s, size_t upto)
{
	if (upto > s->done) {
		scan_put(s, s->p + s->done, upto - s->done);
		s->done = upto;
	}
}

static void put_marker(struct buf *out, enum rule rule, int *err)
{
	if (*err == 0)
		*err = buf_puts(out, "[REDACTED:");
	if (*err == 0)
		*err = buf_puts(out, rule_names[rule]);
	if (*err == 0)
		*err = buf_putc(out, ']');
}

/* Replace p[from..to) with the marker of rule. */
static void scan_replace(struct scan *s, size_t from, size_t to, enum rule rule)
{
	scan_emit(s, from);
	put_marker(s->out, rule, &s->err);
	s->done = to;
	s->r->count[rule]++;
}

static bool already_redacted(const char *p, size_t n)
{
	return has_prefix(p, n, "[REDACTED");
}

/* Key names */

struct words {
	size_t n;
	size_t len[WORDS_MAX];
	char w[WORDS_MAX][WORD_MAX];
};

/* Split a key into lowercase words at punctuation and camelCase humps. */
static void words_split(const char *k, size_t len, struct words *ws)
{
	bool in = false;

	ws->n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = k[i];
		bool hump;

		if (!is_alnum(c)) {
			in = false;
			continue;
		}
		hump = in && is_upper(c) &&
		       (is_lower(k[i - 1]) || is_digit(k[i - 1]) ||
			(is_upper(k[i - 1]) && i + 1 < len &&
			 is_lower(k[i + 1])));
		if (!in || hump) {
			if (ws->n == WORDS_MAX)
				return;
			ws->len[ws->n++] = 0;
			in = true;
		}
		if (ws->len[ws->n - 1] < WORD_MAX - 1)
			ws->w[ws->n - 1][ws->len[ws->n - 1]++] = lower(c);
	}
	for (size_t i = 0; i < ws->n; i++)
		ws->w[i][ws->len[i]] = '\0';
}

static bool word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

static bool word_ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && memcmp(w + n - k, suf, k) == 0;
}

static const char *const secret_substr[] = {
	"password",   "passwd",     "passwort", "kennwort",
	"passphrase", "credential", "secret",   NULL,
};
static const char *const secret_exact[] = {
	"pwd",    "pw",     "pass",        "auth",       "passcode",
	"bindpw", "rootpw", "requirepass", "masterauth", NULL,
};
static const char *const secret_suffix[] = {
	"token",     "tokens",  "apikey",     "apikeys", "privatekey",
	"accesskey", "authkey", "accountkey", "authtok", NULL,
};
static const char *const pair_first[] = {
	"api",        "private", "access", "account", "signing",
	"encryption", "master",  "secret", NULL,
};
static const char *const pair_second[] = { "key", "keys", NULL };
/* A last word naming something about the secret, not the secret itself. */
static const char *const harmless_last[] = {
	"method",  "type",      "mode",     "file",       "path",
	"dir",     "directory", "url",      "uri",        "endpoint",
	"name",    "user",      "username", "provider",   "plugin",
	"scheme",  "policy",    "realm",    "format",     "algorithm",
	"alg",     "cmd",       "command",  "script",     "header",
	"field",   "param",     "prompt",   "label",      "store",
	"manager", "backend",   "service",  "hint",       "region",
	"zone",    "location",  "arn",      "host",       "hostname",
	"port",    "server",    "address",  "addr",       "conf",
	"cfg",     "ini",       "json",     "yaml",       "yml",
	"xml",     "txt",       "log",      "properties", NULL,
};
/* A last word whose boolean or numeric value is a setting, not a secret. */
static const char *const setting_last[] = {
	"min",        "max",       "minimum",  "maximum", "length",
	"len",        "expiry",    "expires",  "expire",  "expiration",
	"ttl",        "timeout",   "lifetime", "seconds", "secs",
	"sec",        "ms",        "minutes",  "mins",    "hours",
	"days",       "age",       "enabled",  "enable",  "disabled",
	"disable",    "required",  "require",  "count",   "size",
	"history",    "attempts",  "retries",  "rounds",  "iterations",
	"complexity", "strength",  "interval", "limit",   "reuse",
	"version",    "bits",      "changed",  "updated", "modified",
	"created",    "rotated",   "reset",    "last",    "date",
	"time",       "timestamp", "at",       "since",   "until",
	"num",        "number",    "per",      "laenge",  "anzahl",
	"dauer",      NULL,
};
/* A first word that makes the key a switch about a secret (use_password). */
static const char *const setting_first[] = {
	"use",   "allow",   "need",     "has",    "with", "without", "no",
	"check", "verify",  "validate", "show",   "hide", "save",    "remember",
	"store", "require", "force",    "prompt", "ask",  NULL,
};

static bool secret_word(const char *w, size_t n)
{
	/* passwordless, tokenless: about the absence of a secret. */
	if (word_ends(w, n, "less"))
		return false;
	for (size_t i = 0; secret_substr[i]; i++)
		if (strstr(w, secret_substr[i]))
			return strncmp(w, "secretar", 8) != 0;
	if (word_in(w, secret_exact))
		return true;
	for (size_t i = 0; secret_suffix[i]; i++)
		if (word_ends(w, n, secret_suffix[i]))
			return true;
	return false;
}

static bool key_equals(const char *k, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(k, name, len) == 0;
}

/* w is lowercase; the caller has matched its first letter already. */
static bool at_nocase(const char *k, size_t len, size_t i, const char *w)
{
	for (w++, i++; *w; w++, i++)
		if (i >= len || (k[i] | 0x20) != *w)
			return false;
	return true;
}

/*
 * Cheap gate before key_classify(): every secret key name contains one of
 * these fragments, and most keys in logs contain none.
 */
static bool key_may_be_secret(const char *k, size_t len)
{
	for (size_t i = 0; i + 2 <= len; i++) {
		switch (k[i] | 0x20) {
		case 'p':
			if (at_nocase(k, len, i, "pass") ||
			    at_nocase(k, len, i, "pw"))
				return true;
			break;
		case 's':
			if (at_nocase(k, len, i, "secret") ||
			    at_nocase(k, len, i, "sig"))
				return true;
			break;
		case 't':
			if (at_nocase(k, len, i, "token"))
				return true;
			break;
		case 'k':
			if (at_nocase(k, len, i, "key") ||
			    at_nocase(k, len, i, "kennwort"))
				return true;
			break;
		case 'a':
			if (at_nocase(k, len, i, "auth"))
				return true;
			break;
		case 'c':
			if (at_nocase(k, len, i, "cred") ||
			    at_nocase(k, len, i, "cookie"))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* What kind of value follows this key, and which rule redacts it. */
static enum keykind key_classify(const char *k, size_t len, enum rule *ret_rule)
{
	struct words ws;
	bool aws = false, azure = false, secret = false;
	int last = -1;

	if (!key_may_be_secret(k, len))
		return KEY_NONE;
	if (key_equals(k, len, "authorization") ||
	    key_equals(k, len, "proxy-authorization")) {
		*ret_rule = RULE_HTTP_AUTH;
		return KEY_AUTH_HEADER;
	}
	if (key_equals(k, len, "cookie")) {
		*ret_rule = RULE_HTTP_COOKIE;
		return KEY_COOKIE;
	}
	if (key_equals(k, len, "set-cookie")) {
		*ret_rule = RULE_HTTP_COOKIE;
		return KEY_SET_COOKIE;
	}
	words_split(k, len, &ws);
	for (size_t i = 0; i < ws.n; i++) {
		const char *w = ws.w[i];

		if (strcmp(w, "aws") == 0)
			aws = true;
		if (strstr(w, "secret"))
			secret = true;
		if (word_ends(w, ws.len[i], "accountkey"))
			azure = true;
		if (secret_word(w, ws.len[i]))
			last = (int)i;
		if (i + 1 < ws.n && word_in(w, pair_first) &&
		    word_in(ws.w[i + 1], pair_second)) {
			if (strcmp(w, "account") == 0)
				azure = true;
			last = (int)i + 1;
		}
	}
	if (last < 0) {
		/* kubeconfig's client key, base64 in the file. */
		if (key_equals(k, len, "client-key-data")) {
			*ret_rule = RULE_KEY_VALUE;
			return KEY_SECRET;
		}
		return KEY_NONE;
	}
	*ret_rule = aws && secret ? RULE_AWS_SECRET
		    : azure       ? RULE_AZURE
				  : RULE_KEY_VALUE;
	if ((size_t)last + 1 == ws.n) {
		/* max_tokens = 4096: a setting that counts secrets. */
		for (size_t i = 0; i < (size_t)last; i++)
			if (word_in(ws.w[i], setting_last) ||
			    word_in(ws.w[i], setting_first))
				return KEY_SECRET_UNLESS_PLAIN;
		return KEY_SECRET;
	}
	if (word_in(ws.w[ws.n - 1], harmless_last))
		return KEY_NONE;
	if (word_in(ws.w[ws.n - 1], setting_last))
		return KEY_SECRET_UNLESS_PLAIN;
	return KEY_SECRET;
}

/* 2026-11-30, 2026-11-30T10:00:00Z, 2026-11-30 10:00:00+01:00 */
static bool value_is_date(const char *v, size_t n)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i;

	if (n < 10)
		return false;
	for (i = 0; i < 10; i++)
		if (shape[i] == 'd' ? !is_digit(v[i]) : v[i] != shape[i])
			return false;
	for (; i < n; i++)
		if (!is_digit(v[i]) && !in_set(v[i], "T :.+-Z"))
			return false;
	return true;
}

/* Values that are clearly settings: booleans and (unit-suffixed) numbers. */
static bool value_is_plain(const char *v, size_t n)
{
	static const char *const flags[] = {
		"true", "false",   "yes",      "no", "on",
		"off",  "enabled", "disabled", NULL,
	};
	size_t i = 0, units;
	char w[10];

	if (n > 0 && n < sizeof(w)) {
		for (i = 0; i < n; i++)
			w[i] = lower(v[i]);
		w[n] = '\0';
		if (word_in(w, flags))
			return true;
	}
	if (value_is_date(v, n))
		return true;
	i = 0;
	if (i < n && v[i] == '-')
		i++;
	if (i == n || !is_digit(v[i]))
		return false;
	i = span(v, n, i, is_digit);
	if (i < n && v[i] == '.')
		i = span(v, n, i + 1, is_digit);
	units = span(v, n, i, is_alpha) - i;
	return i + units == n && units <= 4;
}

/* Unquoted values that mean "nothing here", or that are already masked. */
static bool value_is_empty(const char *v, size_t n, bool quoted)
{
	static const char *const nulls[] = { "null", "nil", "none", "~", NULL };
	char w[5];
	size_t i;

	if (n == 0 || already_redacted(v, n))
		return true;
	for (i = 0; i < n && v[i] == '*'; i++)
		;
	if (i == n)
		return true;
	if (quoted || n >= sizeof(w))
		return false;
	for (i = 0; i < n; i++)
		w[i] = lower(v[i]);
	w[n] = '\0';
	return word_in(w, nulls);
}

struct prefix_rule {
	const char *prefix;
	enum rule rule;
	size_t min_len; /* of the rest */
	bool (*ok)(char);
};

static bool is_alnum_us(char c)
{
	return is_alnum(c) || c == '_';
}

static const struct prefix_rule prefix_rules[] = {
	{ "ghp_", RULE_GITHUB, 20, is_alnum },
	{ "gho_", RULE_GITHUB, 20, is_alnum },
	{ "ghu_", RULE_GITHUB, 20, is_alnum },
	{ "ghs_", RULE_GITHUB, 20, is_alnum },
	{ "ghr_", RULE_GITHUB, 20, is_alnum },
	{ "github_pat_", RULE_GITHUB, 20, is_alnum_us },
	{ "glpat-", RULE_GITLAB, 20, is_b64url },
	{ "xoxa-", RULE_SLACK, 10, is_b64url },
	{ "xoxb-", RULE_SLACK, 10, is_b64url },
	{ "xoxp-", RULE_SLACK, 10, is_b64url },
	{ "xoxo-", RULE_SLACK, 10, is_b64url },
	{ "xoxs-", RULE_SLACK, 10, is_b64url },
	{ "xoxr-", RULE_SLACK, 10, is_b64url },
	{ "AIza", RULE_GOOGLE, 35, is_b64url },
	{ "sk_live_", RULE_STRIPE, 16, is_alnum },
	{ "rk_live_", RULE_STRIPE, 16, is_alnum },
	{ "sk_test_", RULE_STRIPE, 16, is_alnum },
	{ "rk_test_", RULE_STRIPE, 16, is_alnum },
	{ "npm_", RULE_NPM, 30, is_alnum },
};

static bool is_upper_alnum(char c)
{
	return is_upper(c) || is_digit(c);
}

/* eyJ<header>.eyJ<payload>.<signature> */
static size_t jwt_end(const char *p, size_t n, size_t i)
{
	size_t e = span(p, n, i, is_b64url);

	if (e - i < 10 || e >= n || p[e] != '.')
		return 0;
	if (!has_prefix(p + e + 1, n - e - 1, "eyJ"))
		return 0;
	i = e + 1;
	e = span(p, n, i, is_b64url);
	if (e - i < 10 || e >= n || p[e] != '.')
		return 0;
	return span(p, n, e + 1, is_b64url);
}

/* A known token format at p[i]: where it ends and which rule it is. */
static bool token_at(const char *p, size_t n, size_t i, size_t *ret_end,
		     enum rule *ret_rule)
{
	size_t e;

	if (has_prefix(p + i, n - i, "AKIA") ||
	    has_prefix(p + i, n - i, "ASIA")) {
		e = span(p, n, i + 4, is_upper_alnum);
		if (e - i != 20 || (e < n && is_alnum(p[e])))
			return false;
		*ret_end = e;
		*ret_rule = RULE_AWS_KEY_ID;
		return true;
	}
	if (has_prefix(p + i, n - i, "eyJ")) {
		e = jwt_end(p, n, i);
		if (!e)
			return false;
		*ret_end = e;
		*ret_rule = RULE_JWT;
		return true;
	}
	for (size_t k = 0; k < ARRAY_SIZE(prefix_rules); k++) {
		const struct prefix_rule *pr = &prefix_rules[k];
		size_t pl;

		if (pr->prefix[0] != p[i] ||
		    !has_prefix(p + i, n - i, pr->prefix))
			continue;
		pl = strlen(pr->prefix);
		e = span(p, n, i + pl, pr->ok);
		if (e - i - pl < pr->min_len)
			return false;
		*ret_end = e;
		*ret_rule = pr->rule;
		return true;
	}
	return false;
}

/* Values */

/* Does ";  Name=" start at p[i]?  It ends a connection-string value. */
static bool conn_next_key(const char *p, size_t n, size_t i)
{
	size_t j = i + 1, k;

	while (j < n && is_blank(p[j]))
		j++;
	if (j >= n || !is_alpha(p[j]))
		return false;
	for (k = j; k < n && k - j < 40; k++) {
		if (p[k] == '=')
			return true;
		if (!is_alnum(p[k]) && p[k] != ' ' && p[k] != '_' &&
		    p[k] != '.' && p[k] != '-')
			return false;
	}
	return false;
}

/* Does " name=" start at p[i]?  It ends a logfmt value. */
static bool logfmt_next_key(const char *p, size_t n, size_t i)
{
	size_t j = i + 1, k;

	if (j >= n || !is_alpha(p[j]))
		return false;
	for (k = j; k < n && k - j < KEY_MAX && is_keych(p[k]); k++)
		;
	return k + 1 < n && p[k] == '=' && p[k + 1] != '=' &&
	       !is_space(p[k + 1]);
}

static bool is_delim(char c)
{
	return is_space(c) || c == ';' || c == ',' || c == '&' || c == '"' ||
	       c == '\'' || c == ')' || c == ']' || c == '}' || c == '<' ||
	       c == '>';
}

/* Find the closing quote q from i; backslash escapes it in "..." only. */
static size_t quote_end(const char *p, size_t n, size_t i, char q)
{
	for (; i < n; i++) {
		if (p[i] == '\\' && q == '"' && i + 1 < n)
			i++;
		else if (p[i] == q)
			return i;
	}
	return n;
}

/*
 * The end of a value starting at v, ended as `how` says. *ret_open tells
 * whether it ran into the end of the piece, so may go on in the next one.
 */
static size_t value_end(const char *p, size_t n, size_t v, enum cont how,
			char q, bool *ret_open)
{
	size_t e = v;

	switch (how) {
	case CONT_QUOTE:
		e = quote_end(p, n, v, q);
		*ret_open = e == n;
		return e;
	case CONT_DELIM:
		while (e < n && !is_delim(p[e]))
			e++;
		*ret_open = e == n;
		return e;
	default:
		for (e = v; e < n && how == CONT_EOL; e++)
			if ((p[e] == ';' && conn_next_key(p, n, e)) ||
			    (is_blank(p[e]) && logfmt_next_key(p, n, e)))
				break;
		if (how == CONT_LINE)
			e = n;
		*ret_open = e == n;
		while (e > v && is_space(p[e - 1]))
			e--;
		return e;
	}
}

/* Is the key starting at ks the first thing on its line (config style)? */
static bool key_at_line_start(const struct scan *s, size_t ks)
{
	const char *p = s->p;
	size_t i = 0;

	if (!s->first)
		return false;
	while (i < ks && (is_blank(p[i]) || in_set(p[i], "#;>/*-<")))
		i++;
	if (has_prefix_nocase(p + i, ks - i, "export ") ||
	    has_prefix_nocase(p + i, ks - i, "set ")) {
		i = span(p, ks, i, is_alpha);
		while (i < ks && is_blank(p[i]))
			i++;
	}
	return i == ks;
}

static void redact_cookies(struct scan *s, size_t v, size_t e, bool set)
{
	const char *p = s->p;
	size_t i = v;

	while (i < e) {
		size_t end = i, eq, ve;

		while (end < e && p[end] != ';')
			end++;
		while (i < end && is_blank(p[i]))
			i++;
		for (eq = i; eq < end && p[eq] != '='; eq++)
			;
		ve = end;
		while (ve > i && is_blank(p[ve - 1]))
			ve--;
		if (eq < end)
			eq++;
		else if (set)
			eq = ve; /* attribute such as HttpOnly */
		else
			eq = i;
		if ((!set || i == v) && eq < ve &&
		    !already_redacted(p + eq, ve - eq))
			scan_replace(s, eq, ve, RULE_HTTP_COOKIE);
		i = end + 1;
		if (set)
			break;
	}
}

/*
 * Redact a value of kind kind for rule, starting at v; returns its end.
 * odbc: after '=', where {...} quotes a value.
 */
static size_t redact_value(struct scan *s, size_t v, enum keykind kind,
			   enum rule rule, bool line_start, bool odbc)
{
	const char *p = s->p;
	size_t n = s->n, vs = v, e;
	enum cont how;
	char q = 0;
	bool open;

	if (v < n && (p[v] == '"' || p[v] == '\'' || (p[v] == '{' && odbc))) {
		q = p[v] == '{' ? '}' : p[v];
		how = CONT_QUOTE;
		vs = v + 1;
	} else if (kind == KEY_AUTH_HEADER || kind == KEY_COOKIE ||
		   kind == KEY_SET_COOKIE) {
		how = CONT_LINE;
	} else if (line_start) {
		how = CONT_EOL;
	} else {
		how = CONT_DELIM;
	}
	e = value_end(p, n, vs, how, q, &open);
	if (value_is_empty(p + vs, e - vs, how == CONT_QUOTE))
		return e;
	if (kind == KEY_SECRET_UNLESS_PLAIN && value_is_plain(p + vs, e - vs))
		return e;
	if (kind == KEY_COOKIE || kind == KEY_SET_COOKIE) {
		redact_cookies(s, vs, e, kind == KEY_SET_COOKIE);
		return e;
	}
	if (kind == KEY_AUTH_HEADER) {
		/* Keep the scheme ("Basic", "Bearer"): it helps the reader. */
		size_t w = span(p, e, vs, is_b64url);

		if (w > vs && w < e && is_blank(p[w]) && is_alpha(p[vs])) {
			while (w < e && is_blank(p[w]))
				w++;
			vs = w;
			if (already_redacted(p + vs, e - vs))
				return e;
		}
	}
	{
		size_t te;
		enum rule tr;

		/* A known token format names the rule better than its key. */
		if (kind == KEY_SECRET && token_at(p, e, vs, &te, &tr) &&
		    te == e)
			rule = tr;
	}
	scan_replace(s, vs, e, rule);
	if (open && !s->last) {
		s->r->cont = how;
		s->r->cont_quote = q;
	}
	return e;
}

/*
 * The key ending just before p[sep] (blanks and a closing quote allowed in
 * between). Returns false when there is none.
 */
static bool key_before(const char *p, size_t sep, size_t *ret_ks,
		       size_t *ret_ke, bool *ret_quoted)
{
	size_t j = sep, ks, ke;

	while (j > 0 && is_blank(p[j - 1]))
		j--;
	if (j > 0 && (p[j - 1] == '"' || p[j - 1] == '\'')) {
		char q = p[j - 1];

		ke = j - 1;
		for (ks = ke; ks > 0 && ke - ks <= KEY_MAX; ks--)
			if (p[ks - 1] == q)
				break;
		if (ks == 0 || ke - ks > KEY_MAX || ks == ke)
			return false;
		*ret_ks = ks;
		*ret_ke = ke;
		*ret_quoted = true;
		return true;
	}
	ke = j;
	for (ks = ke; ks > 0 && is_keych(p[ks - 1]); ks--)
		if (ke - ks > KEY_MAX)
			return false;
	if (ks == ke)
		return false;
	/* "API Key: ...", "Private key = ..." */
	if ((key_equals(p + ks, ke - ks, "key") ||
	     key_equals(p + ks, ke - ks, "keys")) &&
	    ks >= 2 && p[ks - 1] == ' ' && is_alnum(p[ks - 2])) {
		ks--;
		while (ks > 0 && is_alnum(p[ks - 1]))
			ks--;
	}
	*ret_ks = ks;
	*ret_ke = ke;
	*ret_quoted = false;
	return true;
}

/* Is the quote at p[q] the first argument of a call, "f( 'x'"? */
static bool call_argument(const char *p, size_t q)
{
	while (q > 0 && is_blank(p[q - 1]))
		q--;
	return q > 0 && p[q - 1] == '(';
}

/* <add key="DbPassword" value="..."/>: the secret is named by key=. */
static bool appsetting_key(const char *p, size_t ks, size_t *ret_ks,
			   size_t *ret_ke)
{
	size_t j = ks, qe, qs;

	while (j > 0 && is_blank(p[j - 1]))
		j--;
	if (j == 0 || p[j - 1] != '"')
		return false;
	qe = j - 1;
	for (qs = qe; qs > 0 && p[qs - 1] != '"'; qs--)
		if (qe - qs > KEY_MAX)
			return false;
	if (qs < 2 || p[qs - 2] != '=')
		return false;
	j = qs - 2;
	if (!(j >= 3 && strncasecmp(p + j - 3, "key", 3) == 0) &&
	    !(j >= 4 && strncasecmp(p + j - 4, "name", 4) == 0))
		return false;
	*ret_ks = qs;
	*ret_ke = qe;
	return true;
}

/*
 * Incoming-webhook URLs are their own secret: whoever has one can post to
 * the channel. Host [a, ae) and the path from ae.
 */
static size_t try_webhook(struct scan *s, size_t a, size_t ae)
{
	static const struct {
		const char *host; /* exact, or a suffix when it starts with . */
		const char *path;
	} hooks[] = {
		{ "hooks.slack.com", "/services/" },
		{ ".webhook.office.com", "/webhookb2/" },
		{ "outlook.office.com", "/webhook/" },
		{ "discord.com", "/api/webhooks/" },
		{ "discordapp.com", "/api/webhooks/" },
		{ "chat.googleapis.com", "/v1/spaces/" },
	};
	const char *p = s->p;
	size_t n = s->n, hl = ae - a, e;

	if (ae >= n || p[ae] != '/')
		return a;
	for (size_t k = 0; k < ARRAY_SIZE(hooks); k++) {
		size_t kl = strlen(hooks[k].host), pl = strlen(hooks[k].path);
		bool host_ok =
			hooks[k].host[0] == '.'
				? hl > kl && strncasecmp(p + ae - kl,
							 hooks[k].host, kl) == 0
				: hl == kl && strncasecmp(p + a, hooks[k].host,
							  kl) == 0;

		if (!host_ok || !has_prefix(p + ae, n - ae, hooks[k].path))
			continue;
		for (e = ae + pl;
		     e < n && !is_space(p[e]) && p[e] != '"' && p[e] != '\'' &&
		     p[e] != '<' && p[e] != '>' && p[e] != ')';
		     e++)
			;
		if (e > ae + pl && !already_redacted(p + ae + pl, e - ae - pl))
			scan_replace(s, ae + pl, e, RULE_WEBHOOK);
		return e;
	}
	return a;
}

/* user:password@ in the authority of scheme://...; i is at the ':'. */
static size_t try_url(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, a = i + 3, ae, at = 0, colon;

	if (i == 0 || !is_alnum(p[i - 1]))
		return a;
	for (ae = a; ae < n; ae++) {
		char c = p[ae];

		if (c == '/' || c == '?' || c == '#' || is_space(c) ||
		    c == '"' || c == '\'' || c == '<' || c == '>')
			break;
		if (c == '@')
			at = ae;
	}
	if (at == 0)
		return try_webhook(s, a, ae);
	for (colon = a; colon < at && p[colon] != ':'; colon++)
		;
	if (colon + 1 < at && !already_redacted(p + colon + 1, at - colon - 1))
		scan_replace(s, colon + 1, at, RULE_URL_USERINFO);
	return at + 1;
}

/* Secrets without a key: command lines, credential files, block values. */

/* Does the word w (lowercase) stand in p[0..n) as a whole word? */
static bool has_word(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++) {
		if ((p[i] | 0x20) != w[0] || strncasecmp(p + i, w, k) != 0)
			continue;
		if ((i == 0 || !is_alnum(p[i - 1])) &&
		    (i + k == n || !is_alnum(p[i + k])))
			return true;
	}
	return false;
}

/* Any of the program names in list before p[upto] on this line? */
static bool after_program(const struct scan *s, size_t upto,
			  const char *const *list)
{
	for (; *list; list++)
		if (has_word(s->p, upto, *list))
			return true;
	return false;
}

/* The end of the blank-separated word at i. */
static size_t word_end(const char *p, size_t n, size_t i)
{
	while (i < n && !is_space(p[i]) && p[i] != '"' && p[i] != '\'')
		i++;
	return i;
}

/* Replace the word at v (quoted or not); returns its end. */
static size_t replace_word(struct scan *s, size_t v, enum rule rule)
{
	const char *p = s->p;
	size_t n = s->n, e;

	if (v < n && (p[v] == '"' || p[v] == '\'')) {
		e = quote_end(p, n, v + 1, p[v]);
		v++;
	} else {
		e = word_end(p, n, v);
	}
	if (e > v && !already_redacted(p + v, e - v))
		scan_replace(s, v, e, rule);
	return e > v ? e : v + 1;
}

static bool yaml_block_start(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || (p[0] != '|' && p[0] != '>'))
		return false;
	for (i = 1; i < n && (p[i] == '-' || p[i] == '+' || is_digit(p[i]));
	     i++)
		;
	while (i < n && is_space(p[i]))
		i++;
	return i == n || p[i] == '#';
}

/* net use \\srv\share /user:DOM\u PASSWORD (or PASSWORD before /user:) */
static size_t try_net_use(struct scan *s, size_t colon)
{
	const char *p = s->p;
	size_t n = s->n, i, e, w;

	if (!has_word(p, colon, "net") || !has_word(p, colon, "use"))
		return colon + 1;
	e = word_end(p, n, colon + 1);
	i = span(p, n, e, is_blank);
	if (i < n && p[i] != '/' && p[i] != '*')
		return replace_word(s, i, RULE_CMDLINE);
	/* The password before /user: is the word after the share. */
	w = colon;
	while (w > 0 && p[w - 1] != ' ')
		w--;
	e = w;
	while (e > 0 && is_blank(p[e - 1]))
		e--;
	i = e;
	while (i > 0 && !is_blank(p[i - 1]))
		i--;
	if (i < e && p[i] != '\\' && p[i] != '/' && p[i] != '*' &&
	    !(e - i == 2 && p[i + 1] == ':') &&
	    !has_word(p + i, e - i, "use") && i >= s->done &&
	    !already_redacted(p + i, e - i))
		scan_replace(s, i, e, RULE_CMDLINE);
	return colon + 1;
}

/* PuTTY .ppk: "Private-Lines: N", then N lines of the private key. */
static size_t try_ppk(struct scan *s, size_t v)
{
	const char *p = s->p;
	size_t n = s->n, e;
	unsigned lines = 0;

	v = span(p, n, v, is_blank);
	for (e = v; e < n && is_digit(p[e]) && lines < 10000; e++)
		lines = lines * 10 + (unsigned)(p[e] - '0');
	if (e > v) {
		s->r->ppk_lines = lines;
		s->r->block_counted = false;
	}
	return n;
}

/* The programs whose -p/-u/--user take a secret, and how. */
static const char *const mysql_programs[] = {
	"mysql",         "mysqldump", "mysqladmin", "mysqlcheck",
	"mysqlimport",   "mysqlshow", "mariadb",    "mariadb-dump",
	"mariadb-admin", NULL,
};
static const char *const sshpass_programs[] = { "sshpass", NULL };
static const char *const userpass_programs[] = {
	"curl", "wget", "smbclient", "lftp", NULL,
};
static const char *const oracle_programs[] = {
	"sqlplus", "sqlldr",  "expdp", "impdp", "rman", "exp",
	"imp",     "connect", "conn",  "thin",  NULL,
};

/* user:SECRET (curl) or user%SECRET (smbclient) at v. */
static size_t userpass_value(struct scan *s, size_t v)
{
	const char *p = s->p;
	size_t n = s->n;

	if (v < n && (p[v] == '"' || p[v] == '\''))
		v++;
	while (v < n && !is_space(p[v]) && p[v] != ':' && p[v] != '%' &&
	       p[v] != '"' && p[v] != '\'')
		v++;
	if (v + 1 < n && (p[v] == ':' || p[v] == '%') && !is_space(p[v + 1]))
		return replace_word(s, v + 1, RULE_CMDLINE);
	return v + 1;
}

/*
 * -pSECRET (mysql), -p SECRET (sshpass), -u user:SECRET and --user
 * user:SECRET (curl, smbclient): i is at the '-'. The program must stand
 * before it on the line, so "-p" in other commands is left alone.
 */
static size_t try_short_option(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, v;
	char o = p[i + 1];

	if (i > 0 && !is_blank(p[i - 1]) && p[i - 1] != '"' && p[i - 1] != '\'')
		return i + 1;
	if (o == 'p' && i + 2 < n && !is_space(p[i + 2]) &&
	    after_program(s, i, mysql_programs))
		return replace_word(s, i + 2, RULE_CMDLINE);
	if (o == 'p' && i + 2 < n && is_blank(p[i + 2]) &&
	    after_program(s, i, sshpass_programs))
		return replace_word(s, span(p, n, i + 2, is_blank),
				    RULE_CMDLINE);
	if ((o == 'u' || o == 'U') && i + 2 < n &&
	    after_program(s, i, userpass_programs)) {
		v = span(p, n, i + 2, is_blank);
		return userpass_value(s, v);
	}
	return i + 2;
}

/*
 * --password SECRET, --db-password SECRET: a long option with a secret
 * name and its value as the next word (with '=' try_kv has it already).
 */
static size_t try_long_option(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, ks = i + 2, ke, v;
	enum rule rule = RULE_CMDLINE;
	enum keykind kind;

	if (i > 0 && !is_blank(p[i - 1]))
		return i + 2;
	for (ke = ks; ke < n && ke - ks < KEY_MAX && is_keych(p[ke]); ke++)
		;
	if (ke == ks || ke >= n || !is_blank(p[ke]))
		return ke;
	if (key_equals(p + ks, ke - ks, "user") &&
	    after_program(s, i, userpass_programs))
		return userpass_value(s, span(p, n, ke, is_blank));
	kind = key_classify(p + ks, ke - ks, &rule);
	if (kind != KEY_SECRET)
		return ke;
	v = span(p, n, ke, is_blank);
	if (v >= n || p[v] == '-')
		return ke;
	return replace_word(s, v, RULE_CMDLINE);
}

/* user/SECRET@db: sqlplus and friends, Oracle JDBC thin; i is at '@'. */
static size_t try_oracle(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t slash = i, ws;

	while (slash > 0 && p[slash - 1] != '/' && !is_space(p[slash - 1]) &&
	       p[slash - 1] != ':' && p[slash - 1] != '"' && i - slash < 256)
		slash--;
	if (slash == 0 || slash == i || p[slash - 1] != '/')
		return i + 1;
	ws = slash - 1;
	while (ws > 0 && is_keych(p[ws - 1]))
		ws--;
	if (ws == slash - 1 || (ws > 0 && p[ws - 1] == '/'))
		return i + 1;
	if (!after_program(s, ws, oracle_programs) || slash < s->done ||
	    already_redacted(p + slash, i - slash))
		return i + 1;
	scan_replace(s, slash, i, RULE_ORACLE);
	return i + 1;
}

/* Is p[0..n) one base64 word (an SMTP AUTH answer)? */
static bool b64_word(const char *p, size_t n)
{
	if (n < 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '+' && p[i] != '/' &&
		    p[i] != '=')
			return false;
	return true;
}

/*
 * SMTP: "AUTH PLAIN <base64>" carries user and password, "AUTH LOGIN" is
 * answered on the next client lines with base64 user and password.
 */
static void scan_smtp(struct scan *s)
{
	const char *p = s->p;
	size_t n = s->n, e = n, b;

	while (e > 0 && is_space(p[e - 1]))
		e--;
	b = e;
	while (b > 0 && !is_space(p[b - 1]))
		b--;
	if (s->r->smtp_lines > 0) {
		s->r->smtp_lines--;
		/* Server prompts (334 ...) and results are not secrets. */
		if (has_word(p, b, "235") || has_word(p, b, "535") ||
		    has_word(p, b, "503"))
			s->r->smtp_lines = 0;
		else if (!has_word(p, b, "334") && b64_word(p + b, e - b) &&
			 !already_redacted(p + b, e - b) && b >= s->done)
			scan_replace(s, b, e, RULE_SMTP_AUTH);
		return;
	}
	for (size_t i = 0; i + 10 <= n; i++) {
		size_t v;

		if (p[i] != 'A' && p[i] != 'a')
			continue;
		if (strncasecmp(p + i, "AUTH PLAIN", 10) != 0 &&
		    strncasecmp(p + i, "AUTH LOGIN", 10) != 0)
			continue;
		if (i > 0 && is_alnum(p[i - 1]))
			continue;
		v = span(p, n, i + 10, is_blank);
		e = word_end(p, n, v);
		if (e > v && b64_word(p + v, e - v))
			scan_replace(s, v, e, RULE_SMTP_AUTH);
		if (strncasecmp(p + i + 5, "LOGIN", 5) == 0)
			s->r->smtp_lines = 4;
		else if (e == v)
			s->r->smtp_lines = 2;
		return;
	}
}

/* Does "AUTH " stand in the line? (memchr-fast; memmem is not POSIX) */
static bool has_auth(const char *p, size_t n)
{
	const char *q = p, *end = p + n;

	while ((q = memchr(q, 'A', (size_t)(end - q))) && end - q >= 5) {
		if (memcmp(q, "AUTH ", 5) == 0)
			return true;
		q++;
	}
	return false;
}

/* Config files that write "key value" without '=': redis, msmtp, nslcd. */
static const char *const spaced_keys[] = {
	"password",  "passwd",   "requirepass",  "masterauth",
	"bindpw",    "rootpw",   "secret",       "passphrase",
	"auth_pass", "authpass", "tls_key_pass", "ldap_default_authtok",
	NULL,
};

/*
 * At the start of a line: a secret key and its value separated by blanks
 * only, the formats known by name (.pgpass, .netrc, sasl_passwd), and
 * .netrc's "machine h login u password p" wherever it is.
 */
static size_t scan_line_start(struct scan *s)
{
	const char *p = s->p;
	size_t n = s->n, i = span(p, n, 0, is_blank), ke, v, e, k;
	char w[32];

	if (s->r->format == REDACT_PGPASS && i < n && p[i] != '#') {
		/* host:port:database:user:password, \: escapes a colon */
		for (k = 0, e = i; e < n && k < 4; e++) {
			if (p[e] == '\\' && e + 1 < n)
				e++;
			else if (p[e] == ':')
				k++;
		}
		v = e;
		e = n;
		while (e > v && is_space(p[e - 1]))
			e--;
		if (k == 4 && e > v)
			scan_replace(s, v, e, RULE_CREDFILE);
		return n;
	}
	if (s->r->format == REDACT_SASL_PASSWD && i < n && p[i] != '#') {
		/* [host]:port user:password */
		e = word_end(p, n, i);
		v = span(p, n, e, is_blank);
		for (k = v; k < n && p[k] != ':' && !is_space(p[k]); k++)
			;
		if (k < n && p[k] == ':')
			return replace_word(s, k + 1, RULE_CREDFILE);
		return i;
	}
	if (i >= n || !is_alpha(p[i]))
		return i;
	for (ke = i; ke < n && ke - i < sizeof(w) - 1 && is_keych(p[ke]); ke++)
		w[ke - i] = lower(p[ke]);
	w[ke - i] = '\0';
	if (ke >= n || !is_blank(p[ke]))
		return i;
	if (strcmp(w, "machine") == 0 || strcmp(w, "default") == 0 ||
	    s->r->format == REDACT_NETRC) {
		/* .netrc: pairs of words; password and account are secret. */
		for (k = i; k < n;) {
			size_t we = word_end(p, n, k), vs;

			vs = span(p, n, we, is_space);
			if (vs >= n)
				break;
			if (key_equals(p + k, we - k, "password") ||
			    key_equals(p + k, we - k, "account")) {
				k = replace_word(s, vs, RULE_CREDFILE);
			} else {
				k = word_end(p, n, vs);
			}
			k = span(p, n, k, is_space);
		}
		return n;
	}
	if (!word_in(w, spaced_keys))
		return i;
	v = span(p, n, ke, is_blank);
	if (v >= n || p[v] == '=' || p[v] == ':' || p[v] == '#')
		return i;
	if (p[v] == '"' || p[v] == '\'') {
		e = quote_end(p, n, v + 1, p[v]);
		e += e < n;
	} else {
		e = word_end(p, n, v);
	}
	/* Exactly "key value": prose such as "password expired for bob" is
	 * not a setting. */
	if (span(p, n, e, is_space) != n)
		return i;
	return replace_word(s, v, RULE_KEY_VALUE);
}

/* A '=', ':' or ',' at p[i]: is it a secret key's separator? */
static size_t try_kv(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, v = i + 1, ks, ke;
	enum keykind kind;
	enum rule rule = RULE_KEY_VALUE;
	bool quoted;
	char c = p[i];

	/* Times (12:34:56,789) and numbers are never keys. */
	if (i > 0 && is_digit(p[i - 1]) && v < n && is_digit(p[v]))
		return v + 1;
	if (c == ',') {
		size_t j = i;

		while (j > 0 && is_blank(p[j - 1]))
			j--;
		if (j == 0 || (p[j - 1] != '"' && p[j - 1] != '\''))
			return v;
	}
	if (c == ':') {
		if (v < n && p[v] == ':')
			return v + 1;
		if (v + 1 < n && p[v] == '/' && p[v + 1] == '/')
			return try_url(s, i);
	} else if (c == '=') {
		if (v < n && p[v] == '=')
			return v + 1;
		if (i > 0 && in_set(p[i - 1], "!<>="))
			return v;
		if (v < n && p[v] == '>')
			v++;
	}
	if (!key_before(p, i, &ks, &ke, &quoted))
		return i + 1;
	if (c == ':' && key_equals(p + ks, ke - ks, "user") && ks > 0 &&
	    p[ks - 1] == '/')
		return try_net_use(s, i);
	if (c == ':' && key_equals(p + ks, ke - ks, "Private-Lines"))
		return try_ppk(s, v);
	/* secret.conf in /etc/app/secret.conf: a path, not a key. */
	if (ks > 0 && !quoted && (p[ks - 1] == '/' || p[ks - 1] == '\\'))
		return i + 1;
	if (quoted &&
	    (memchr(p + ks, '/', ke - ks) || memchr(p + ks, '\\', ke - ks)))
		return i + 1;
	/* define('DB_PASSWORD', '...'): only as call arguments. */
	if (c == ',' && (!quoted || !call_argument(p, ks - 1)))
		return i + 1;
	kind = key_classify(p + ks, ke - ks, &rule);
	if (kind == KEY_NONE && c == '=' &&
	    key_equals(p + ks, ke - ks, "value")) {
		size_t aks, ake;

		if (appsetting_key(p, ks, &aks, &ake))
			kind = key_classify(p + aks, ake - aks, &rule);
	}
	/* Signatures of presigned URLs, only as query parameters: "sig"
	 * is Azure's SAS, the others S3's and Google Cloud Storage's. */
	if (kind == KEY_NONE && c == '=' && ks > 0 &&
	    (p[ks - 1] == '?' || p[ks - 1] == '&')) {
		if (key_equals(p + ks, ke - ks, "sig")) {
			kind = KEY_SECRET;
			rule = RULE_AZURE;
		} else if (key_equals(p + ks, ke - ks, "X-Amz-Signature") ||
			   key_equals(p + ks, ke - ks, "X-Goog-Signature") ||
			   key_equals(p + ks, ke - ks, "Signature")) {
			kind = KEY_SECRET;
			rule = RULE_SIGNED_URL;
		}
	}
	if (kind == KEY_NONE)
		return i + 1;
	/* $PWD and $OLDPWD in environment dumps are directories. */
	if (!quoted &&
	    (key_equals(p + ks, ke - ks, "PWD") ||
	     key_equals(p + ks, ke - ks, "OLDPWD")) &&
	    is_upper(p[ks]) && v < n && p[v] == '/')
		return v;
	while (v < n && is_blank(p[v]))
		v++;
	/* Nested JSON/YAML: the scan goes on inside. */
	if (c == ':' && v < n && (p[v] == '{' || p[v] == '['))
		return v;
	/* password: |  — a YAML block scalar: the lines below are it. */
	if (c == ':' && !quoted && yaml_block_start(p + v, n - v) &&
	    key_at_line_start(s, ks) && kind != KEY_AUTH_HEADER) {
		s->r->block_indent = (int)span(p, ks, 0, is_blank);
		s->r->block_counted = false;
		return n;
	}
	if (c == ',' && (v >= n || (p[v] != '"' && p[v] != '\'')))
		return i + 1;
	return redact_value(s, v, kind, rule,
			    !quoted && key_at_line_start(s, ks), c == '=');
}

/*
 * <entry key="password">…</entry> (Java XML properties), <setting
 * name="Password">…</setting> (.NET settings): the attribute names the
 * secret. Attributes are p[from..to).
 */
static enum keykind xml_named_secret(const char *p, size_t from, size_t to)
{
	enum rule rule;

	for (size_t a = from; a + 6 < to; a++) {
		size_t vs, ve;

		if (!is_blank(p[a]))
			continue;
		if (strncasecmp(p + a + 1, "key=\"", 5) == 0)
			vs = a + 6;
		else if (a + 7 < to &&
			 strncasecmp(p + a + 1, "name=\"", 6) == 0)
			vs = a + 7;
		else
			continue;
		for (ve = vs; ve < to && p[ve] != '"'; ve++)
			;
		if (ve < to)
			return key_classify(p + vs, ve - vs, &rule);
	}
	return KEY_NONE;
}

/* <password>...</password> and <db:Password><![CDATA[...]]></...> */
static size_t try_xml(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, ns = i + 1, ne, local, gt, vs, ve;
	enum rule rule = RULE_XML_ELEMENT;
	enum keykind kind;

	if (ns >= n || !is_alpha(p[ns]))
		return i + 1;
	for (ne = ns; ne < n && (is_keych(p[ne]) || p[ne] == ':'); ne++)
		if (ne - ns > KEY_MAX)
			return i + 1;
	local = ne;
	while (local > ns && p[local - 1] != ':')
		local--;
	for (gt = ne; gt < n && p[gt] != '>' && p[gt] != '<'; gt++)
		;
	if (gt >= n || p[gt] != '>' || p[gt - 1] == '/')
		return i + 1;
	kind = key_classify(p + local, ne - local, &rule);
	if (kind == KEY_NONE)
		kind = xml_named_secret(p, ne, gt);
	if (kind == KEY_NONE || kind == KEY_AUTH_HEADER || kind == KEY_COOKIE ||
	    kind == KEY_SET_COOKIE)
		return i + 1;
	rule = RULE_XML_ELEMENT;
	vs = gt + 1;
	if (has_prefix(p + vs, n - vs, "<![CDATA[")) {
		const char *end;

		vs += 9;
		end = NULL;
		for (ve = vs; ve + 2 < n; ve++) {
			if (p[ve] == ']' && p[ve + 1] == ']' &&
			    p[ve + 2] == '>') {
				end = p + ve;
				break;
			}
		}
		if (!end)
			return i + 1;
	} else {
		const char *lt = memchr(p + vs, '<', n - vs);

		if (!lt && span(p, n, vs, is_space) == n && s->last) {
			/* <Password>, the secret on the next lines. */
			s->r->xml_open = true;
			return n;
		}
		if (!lt || (size_t)(lt - p) + 1 >= n || lt[1] != '/')
			return i + 1;
		ve = (size_t)(lt - p);
	}
	if (value_is_empty(p + vs, ve - vs, true))
		return ve;
	if (kind == KEY_SECRET_UNLESS_PLAIN && value_is_plain(p + vs, ve - vs))
		return ve;
	scan_replace(s, vs, ve, rule);
	return ve;
}

/* SQL: IDENTIFIED BY '...' and PASSWORD '...'; i is at the quote. */
static size_t try_sql(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t j = i, we, e;

	while (j > 0 && p[j - 1] == ' ')
		j--;
	if (j == i || j == 0 || !is_alpha(p[j - 1]))
		return i + 1;
	we = j;
	while (j > 0 && is_alpha(p[j - 1]))
		j--;
	if (key_equals(p + j, we - j, "by")) {
		size_t k = j;

		while (k > 0 && p[k - 1] == ' ')
			k--;
		if (k == j || k < 10 ||
		    strncasecmp(p + k - 10, "identified", 10) != 0)
			return i + 1;
	} else if (!key_equals(p + j, we - j, "password")) {
		return i + 1;
	}
	for (e = i + 1; e < s->n; e++) {
		if (p[e] == '\'' && e + 1 < s->n && p[e + 1] == '\'')
			e++;
		else if (p[e] == '\'')
			break;
	}
	if (e > i + 1 && !already_redacted(p + i + 1, e - i - 1))
		scan_replace(s, i + 1, e, RULE_SQL);
	return e;
}

static bool pem_private_label(const char *p, size_t n, size_t *ret_end)
{
	size_t i = 11, e;

	if (!has_prefix(p, n, "-----BEGIN "))
		return false;
	for (e = i; e < n && e - i < 64 && p[e] != '-'; e++)
		;
	if (!has_prefix(p + e, n - e, "-----"))
		return false;
	for (size_t k = i; k + 11 <= e; k++) {
		if (memcmp(p + k, "PRIVATE KEY", 11) == 0) {
			*ret_end = e + 5;
			return true;
		}
	}
	return false;
}

/* -----BEGIN ... PRIVATE KEY-----: i is at the first dash. */
static size_t try_pem(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, me, k;

	if (n - i < 16 || p[i + 1] != '-' || p[i + 4] != '-')
		return i + 1;
	if (!pem_private_label(p + i, n - i, &me))
		return i + 5;
	me += i;
	for (k = me; k + 9 <= n; k++) {
		if (memcmp(p + k, "-----END ", 9) == 0) {
			/* The whole block is on one line. */
			if (k > me && !already_redacted(p + me, k - me))
				scan_replace(s, me, k, RULE_PEM);
			return k + 9;
		}
	}
	scan_emit(s, me);
	s->r->in_pem = true;
	s->r->pem_counted = false;
	s->r->pem_crlf = n > 0 && p[n - 1] == '\r';
	s->done = s->r->pem_crlf ? n - 1 : n;
	return n;
}

/* "Bearer <token>" anywhere; i is at the B. */
static size_t try_bearer(struct scan *s, size_t i)
{
	const char *p = s->p;
	size_t n = s->n, e;
	bool sym = false;

	if ((i > 0 && is_alnum(p[i - 1])) ||
	    !has_prefix_nocase(p + i, n - i, "bearer") || i + 7 >= n ||
	    !is_blank(p[i + 6]))
		return i + 1;
	i = span(p, n, i + 6, is_blank);
	if (already_redacted(p + i, n - i))
		return i;
	e = span(p, n, i, is_tokch);
	/* A token has digits or punctuation; "Bearer authentication" not. */
	for (size_t k = i; k < e && !sym; k++)
		sym = !is_alpha(p[k]);
	if (e - i >= 12 && sym)
		scan_replace(s, i, e, RULE_BEARER);
	return e > i ? e : i + 1;
}

/*
 * A token starting at a word start st <= i: the trigger byte is a rare one
 * inside the prefix (the J of eyJ, the _ of ghp_), so common letters never
 * stop the scan.
 */
static bool try_token_at(struct scan *s, size_t st, size_t i, const char *pre,
			 size_t *ret_end)
{
	const char *p = s->p;
	size_t pl = strlen(pre);
	enum rule rule;

	if (st < s->done || i - st < pl || p[st] != pre[0])
		return false;
	if (memcmp(p + st, pre, pl) != 0)
		return false;
	if (st > 0 && (is_alnum(p[st - 1]) || p[st - 1] == '_'))
		return false;
	if (!token_at(p, s->n, st, ret_end, &rule))
		return false;
	scan_replace(s, st, *ret_end, rule);
	return true;
}

static size_t try_token(struct scan *s, size_t i)
{
	static const struct {
		char trigger;
		unsigned char back; /* trigger's offset in the prefix */
		const char *pre;    /* the bytes before the trigger */
	} starts[] = {
		{ 'J', 2, "ey" },  { 'K', 1, "A" },     { 'S', 1, "A" },
		{ 'z', 2, "AI" },  { '_', 3, "gh" },    { '_', 3, "npm" },
		{ '_', 2, "sk" },  { '_', 2, "rk" },    { '_', 6, "github" },
		{ '-', 4, "xox" }, { '-', 5, "glpat" },
	};
	const char *p = s->p;
	char c = p[i];
	size_t e;

	if (c == 'B' || c == 'b')
		return try_bearer(s, i);
	if (c == '-' && i + 2 < s->n && p[i + 1] == '-') {
		if (p[i + 2] == '-')
			return try_pem(s, i);
		if (is_alpha(p[i + 2]))
			return try_long_option(s, i);
		return i + 2;
	}
	if (c == '-' && i + 1 < s->n &&
	    (p[i + 1] == 'p' || p[i + 1] == 'u' || p[i + 1] == 'U'))
		return try_short_option(s, i);
	/* Every prefix has a letter before its trigger; dates do not. */
	if (i == 0 || !is_alpha(p[i - 1]))
		return i + 1;
	for (size_t k = 0; k < ARRAY_SIZE(starts); k++) {
		if (starts[k].trigger != c || i < starts[k].back)
			continue;
		if (try_token_at(s, i - starts[k].back, i, starts[k].pre, &e))
			return e;
	}
	return i + 1;
}

/* A value that ran off the end of the previous piece goes on here. */
static size_t scan_continue(struct scan *s)
{
	struct redactor *r = s->r;
	size_t e;
	bool open;

	e = value_end(s->p, s->n, 0, r->cont, r->cont_quote, &open);
	if ((r->cont == CONT_EOL || r->cont == CONT_LINE) && open)
		e = s->n;
	s->done = e;
	if (!open || s->last)
		r->cont = CONT_NONE;
	return e;
}

static void scan_run(struct scan *s)
{
	const char *p = s->p;
	size_t n = s->n, i = s->done;

	if (s->r->cont != CONT_NONE) {
		if (s->first)
			s->r->cont = CONT_NONE;
		else
			i = scan_continue(s);
	}
	if (s->first && s->done == 0) {
		i = scan_line_start(s);
		if (s->done == 0 && (s->r->smtp_lines > 0 || has_auth(p, n))) {
			scan_smtp(s);
			if (s->done > i)
				i = s->done;
		}
	}
	while (i < n) {
		unsigned char t = trigger[(unsigned char)p[i]];

		if (!t) {
			i++;
			continue;
		}
		switch (t) {
		case T_SEP:
			i = try_kv(s, i);
			break;
		case T_LT:
			i = try_xml(s, i);
			break;
		case T_QUOTE:
			i = try_sql(s, i);
			break;
		case T_AT:
			i = try_oracle(s, i);
			break;
		default:
			i = try_token(s, i);
			break;
		}
	}
	scan_emit(s, n);
}

/* Could this line be inside a PEM body (base64 or an RFC 1421 header)? */
static bool pem_body_line(const char *p, size_t n)
{
	size_t i;

	while (n > 0 && is_space(p[n - 1]))
		n--;
	for (i = 0; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '+' && p[i] != '/' &&
		    p[i] != '=')
			break;
	if (i == n)
		return true;
	/* Our own marker, when redacted text is redacted again. */
	if (has_prefix(p, n, "[REDACTED:pem-private-key]"))
		return true;
	/* RFC 1421 and OpenPGP armour headers (Proc-Type:, DEK-Info:,
	 * Version:, Comment:, Hash:, Charset:): "Name: text". */
	for (i = 0; i < n && (is_alnum(p[i]) || p[i] == '-'); i++)
		;
	return i > 0 && i + 1 < n && p[i] == ':' && p[i + 1] == ' ' &&
	       is_upper(p[0]);
}

static int pem_close(struct redactor *r, struct buf *out)
{
	int err = 0;

	r->in_pem = false;
	put_marker(out, RULE_PEM, &err);
	if (err == 0)
		err = buf_puts(out, r->pem_crlf ? "\r\n" : "\n");
	return err;
}

/*
 * A line while a YAML block scalar under a secret key is open: more
 * indented than the key, it is part of the secret; blank lines belong to
 * it too. Returns false (and closes the block) when the line is not.
 */
static bool block_line(struct scan *s, bool nl)
{
	struct redactor *r = s->r;
	size_t ind = span(s->p, s->n, 0, is_blank);

	if (ind < s->n && s->p[ind] != '\r' && (int)ind <= r->block_indent) {
		r->block_indent = -1;
		return false;
	}
	scan_put(s, s->p, ind);
	if (ind < s->n && s->p[ind] != '\r') {
		if (already_redacted(s->p + ind, s->n - ind)) {
			scan_put(s, s->p + ind, s->n - ind);
		} else {
			put_marker(s->out, RULE_KEY_VALUE, &s->err);
			if (!r->block_counted)
				r->count[RULE_KEY_VALUE]++;
			r->block_counted = true;
			if (s->p[s->n - 1] == '\r')
				scan_put(s, "\r", 1);
		}
	} else {
		scan_put(s, s->p + ind, s->n - ind);
	}
	if (nl)
		scan_put(s, "\n", 1);
	return true;
}

/*
 * A line inside a secret XML element that did not close on its own line:
 * its text is the secret, up to the closing tag. Returns true when the
 * whole line was handled.
 */
static bool xml_line(struct scan *s)
{
	const char *p = s->p;
	size_t n = s->n, i = span(p, n, 0, is_space), e;
	const char *lt = memchr(p + i, '<', n - i);

	e = lt ? (size_t)(lt - p) : n;
	while (e > i && is_space(p[e - 1]))
		e--;
	if (e > i && !already_redacted(p + i, e - i))
		scan_replace(s, i, e, RULE_XML_ELEMENT);
	if (lt) {
		s->r->xml_open = false;
		return false; /* the rest of the line is scanned as usual */
	}
	scan_emit(s, n);
	if (s->last)
		scan_put(s, "\n", 1);
	return true;
}

/*
 * Redact p[0..n), a whole line (first && last) or a piece of a long one;
 * nl: the line ended in a newline (not part of p), to be kept.
 */
static int redact_piece_raw(struct redactor *r, const char *p, size_t n,
			    bool first, bool last, bool nl, struct buf *out)
{
	struct scan s = {
		.r = r,
		.out = out,
		.p = p,
		.n = n,
		.first = first,
		.last = last,
	};

	if (first && r->ppk_lines > 0) {
		r->ppk_lines--;
		if (n > 0 && !already_redacted(p, n)) {
			put_marker(out, RULE_PPK, &s.err);
			if (!r->block_counted)
				r->count[RULE_PPK]++;
			r->block_counted = true;
		} else {
			scan_put(&s, p, n);
		}
		if (nl)
			scan_put(&s, "\n", 1);
		return s.err;
	}
	if (first && r->block_indent >= 0 && block_line(&s, nl))
		return s.err;
	if (first && r->xml_open && xml_line(&s))
		return s.err;
	if (r->in_pem) {
		if (pem_body_line(p, n)) {
			/* Counted once per block, and not for our marker. */
			if (!r->pem_counted && n > 0 &&
			    !already_redacted(p, n) && !is_space(p[0])) {
				r->count[RULE_PEM]++;
				r->pem_counted = true;
			}
			return 0;
		}
		if ((s.err = pem_close(r, out)) < 0)
			return s.err;
	}
	scan_run(&s);
	if (last && nl)
		scan_put(&s, "\n", 1);
	return s.err;
}

/*
 * One piece, redacted and then, with --obfuscate, given its pseudonyms:
 * names are replaced in the redacted text, so a marker never hides one.
 */
static int redact_piece(struct redactor *r, const char *p, size_t n, bool first,
			bool last, bool nl, struct buf *out)
{
	size_t start = out->len;
	struct buf tmp;
	int err = redact_piece_raw(r, p, n, first, last, nl, out);

	if (err < 0 || !r->ob || out->len == start)
		return err;
	buf_init(&tmp, 0);
	buf_append(&tmp, out->data + start, out->len - start);
	out->len = start;
	out->data[start] = '\0';
	err = obfuscator_apply(r->ob, tmp.data, tmp.len, out);
	buf_release(&tmp);
	return err;
}

int redact_buf(struct redactor *r, const char *text, size_t len,
	       struct buf *out)
{
	size_t off = 0;
	int ret = 0;

	redactor_reset_stream(r);
	while (off < len && ret == 0) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - text) - off : len - off;

		ret = redact_piece(r, text + off, n, true, true, nl != NULL,
				   out);
		off += n + (nl != NULL);
	}
	if (ret == 0 && r->in_pem)
		ret = pem_close(r, out);
	redactor_reset_stream(r);
	return ret;
}

/*
 * Where to cut a line that does not fit: after the last blank or delimiter
 * near the end, so that a key and its value rarely land in different pieces.
 */
static size_t piece_cut(const char *p, size_t n)
{
	for (size_t i = n; i > n - 1024; i--) {
		char c = p[i - 1];

		if ((is_blank(c) || c == ';' || c == ',' || c == '&') &&
		    i >= 2 && p[i - 2] != '=' && p[i - 2] != ':' &&
		    !is_blank(p[i - 2]))
			return i;
	}
	return n;
}

void redactor_set_progress(struct redactor *r, void (*progress)(void *arg),
			   void *arg)
{
	r->progress = progress;
	r->progress_arg = arg;
}

int redact_fd(struct redactor *r, int in_fd, int out_fd)
{
	char *in = xmalloc(REDACT_CHUNK);
	struct buf out;
	size_t have = 0;
	bool first = true, eof = false;
	int ret = 0;

	buf_init(&out, 0);
	redactor_reset_stream(r);
	while (!eof || have > 0) {
		size_t off = 0;

		if (r->progress)
			r->progress(r->progress_arg);
		if (!eof && have < REDACT_CHUNK) {
			ssize_t k = read(in_fd, in + have, REDACT_CHUNK - have);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				ret = -errno;
				goto out;
			}
			if (k == 0)
				eof = true;
			have += (size_t)k;
		}
		for (;;) {
			const char *nl = memchr(in + off, '\n', have - off);
			size_t n;

			if (!nl)
				break;
			n = (size_t)(nl - in) - off;
			if ((ret = redact_piece(r, in + off, n, first, true,
						true, &out)) < 0)
				goto out;
			first = true;
			off += n + 1;
		}
		if (off == 0 && have == REDACT_CHUNK) {
			off = piece_cut(in, have);
			if ((ret = redact_piece(r, in, off, first, false, false,
						&out)) < 0)
				goto out;
			first = false;
		} else if (eof && off < have) {
			if ((ret = redact_piece(r, in + off, have - off, first,
						true, false, &out)) < 0)
				goto out;
			off = have;
		}
		memmove(in, in + off, have - off);
		have -= off;
		if (out.len >= REDACT_CHUNK) {
			if ((ret = write_all(out_fd, out.data, out.len)) < 0)
				goto out;
			buf_reset(&out);
		}
	}
	if (r->in_pem && (ret = pem_close(r, &out)) < 0)
		goto out;
	ret = write_all(out_fd, out.data, out.len);
out:
	redactor_reset_stream(r);
	buf_release(&out);
	free(in);
	return ret;
}
