/*
 * age-encryption.org/v1 with X25519 recipients (see age.h and the spec at
 * https://age-encryption.org/v1): Bech32 keys, the stanza header with its
 * HMAC, and the STREAM payload. Key material lives in struct sign_key and
 * stack buffers wiped before they go out of scope. The tests run the real
 * age and age-keygen against every format here, in both directions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/age.h"
#include "core/error.h"
#include "rdiag/util.h"

#define RECIPIENT_HRP "age"
#define IDENTITY_HRP  "age-secret-key-"
#define X25519_LABEL  "age-encryption.org/v1/X25519"
#define TAG_LEN       crypto_aead_chacha20poly1305_ietf_ABYTES
#define CCHUNK        (AGE_CHUNK + TAG_LEN)
#define NONCE_LEN     16
/* Base64 of 32 bytes without padding. */
#define B64_32 43
/* age wraps stanza bodies at 64 columns. */
#define BODY_COLS 64
/* A stanza body rdiag reads (an X25519 one is 32 bytes). */
#define BODY_MAX 1024
#define ARGS_MAX 16

static void age_init(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "rdiag: cannot initialise libsodium\n");
		abort();
	}
}

/* --- HKDF-SHA256 (RFC 5869), one block of output --------------------- */

static void hkdf32(const unsigned char *ikm, size_t ikm_len,
		   const unsigned char *salt, size_t salt_len, const char *info,
		   unsigned char ret[32])
{
	unsigned char prk[crypto_auth_hmacsha256_BYTES], one = 1, none = 0;
	crypto_auth_hmacsha256_state st;

	/* libsodium's key is declared non-null even when it is empty. */
	crypto_auth_hmacsha256_init(&st, salt ? salt : &none, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)info,
				      strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, ret);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(&st, sizeof(st));
}

/* --- Bech32 (BIP 173; age lifts the 90-character limit) --------------- */

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t c, unsigned v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
					 0x3d4233dd, 0x2a1462b3 };
	unsigned b = c >> 25;

	c = (c & 0x1ffffff) << 5 ^ v;
	for (int i = 0; i < 5; i++)
		if (b >> i & 1)
			c ^= gen[i];
	return c;
}

static uint32_t hrp_polymod(const char *hrp)
{
	uint32_t c = 1;

	for (const char *p = hrp; *p; p++)
		c = polymod_step(c, (unsigned char)*p >> 5);
	c = polymod_step(c, 0);
	for (const char *p = hrp; *p; p++)
		c = polymod_step(c, (unsigned char)*p & 31);
	return c;
}

/* hrp (lowercase) + "1" + data + checksum, in upper case when asked. */
static char *bech32_encode(const char *hrp, const unsigned char *data, size_t n,
			   bool upper)
{
	unsigned char v[128];
	size_t nv = 0, len;
	uint32_t acc = 0, c;
	unsigned bits = 0;
	char *out;

	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			v[nv++] = acc >> bits & 31;
		}
	}
	if (bits)
		v[nv++] = acc << (5 - bits) & 31;
	c = hrp_polymod(hrp);
	for (size_t i = 0; i < nv; i++)
		c = polymod_step(c, v[i]);
	for (int i = 0; i < 6; i++)
		c = polymod_step(c, 0);
	c ^= 1;
	len = strlen(hrp);
	out = xmalloc(len + 1 + nv + 6 + 1);
	memcpy(out, hrp, len);
	out[len++] = '1';
	for (size_t i = 0; i < nv; i++)
		out[len++] = charset[v[i]];
	for (int i = 0; i < 6; i++)
		out[len++] = charset[c >> (5 * (5 - i)) & 31];
	out[len] = '\0';
	if (upper)
		for (char *p = out; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	sodium_memzero(v, sizeof(v));
	return out;
}

/*
 * Decode s (len bytes, all one case) whose human-readable part must be hrp
 * into exactly want bytes.
 */
static bool bech32_decode(const char *s, size_t len, const char *hrp,
			  unsigned char *ret, size_t want)
{
	size_t hl = strlen(hrp), nd, out = 0;
	bool lower = false, upper = false;
	uint32_t c, acc = 0;
	unsigned bits = 0;
	char low[128];
	bool ok = false;

	if (len > sizeof(low) || len < hl + 1 + 6)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch < 33 || ch > 126)
			return false;
		if (ch >= 'a' && ch <= 'z')
			lower = true;
		if (ch >= 'A' && ch <= 'Z') {
			upper = true;
			ch = (char)(ch - 'A' + 'a');
		}
		low[i] = ch;
	}
	if ((lower && upper) || memcmp(low, hrp, hl) != 0 || low[hl] != '1')
		goto out;
	c = hrp_polymod(hrp);
	nd = len - hl - 1;
	for (size_t i = 0; i < nd; i++) {
		const char *p = strchr(charset, low[hl + 1 + i]);
		unsigned v;

		if (!p || !*p)
			goto out;
		v = (unsigned)(p - charset);
		c = polymod_step(c, v);
		if (i >= nd - 6)
			continue;
		acc = acc << 5 | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (out == want)
				goto out;
			ret[out++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits are padding: fewer than 5, all zero. */
	ok = c == 1 && out == want && bits < 5 &&
	     (acc & ((1u << bits) - 1)) == 0;
out:
	sodium_memzero(low, sizeof(low));
	return ok;
}

/* --- keys ------------------------------------------------------------- */

char *age_recipient_text(const struct sign_key *key)
{
	return bech32_encode(RECIPIENT_HRP,
			     key->kind == SIGN_KEY_ENCRYPT_SECRET ? key->pub
								  : key->key,
			     crypto_box_PUBLICKEYBYTES, false);
}

char *age_identity_text(const struct sign_key *secret)
{
	return bech32_encode(IDENTITY_HRP, secret->key,
			     crypto_box_SECRETKEYBYTES, true);
}

/*
 * The key lines of a file: '#' comments and blank lines skipped, spaces
 * around a line trimmed. Calls fn(line, len, arg) for each; stops at the
 * first negative return.
 */
static int each_line(const char *text, size_t len,
		     int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *b = p;
		int r;

		while (b < le && (*b == ' ' || *b == '\t'))
			b++;
		while (le > b &&
		       (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
			le--;
		if (le > b && *b != '#' &&
		    (r = fn(b, (size_t)(le - b), arg)) < 0)
			return r;
		p = (nl ? nl : end) + 1;
	}
	return 0;
}

struct key_scan {
	const char *hrp;
	unsigned char key[32];
	int found, bad;
};

static int scan_key(const char *line, size_t len, void *arg)
{
	struct key_scan *ks = arg;
	unsigned char k[32];

	if (!bech32_decode(line, len, ks->hrp, k, sizeof(k))) {
		ks->bad++;
		return 0;
	}
	if (ks->found++ == 0)
		memcpy(ks->key, k, sizeof(k));
	sodium_memzero(k, sizeof(k));
	return 0;
}

static int parse_key(const char *text, size_t len, const char *hrp,
		     const char *what, struct key_scan *ks, char **ret_err)
{
	memset(ks, 0, sizeof(*ks));
	ks->hrp = hrp;
	each_line(text, len, scan_key, ks);
	if (ks->bad)
		return error_set(ret_err, -EINVAL,
				 "holds a line that is not a valid %s", what);
	if (ks->found != 1)
		return error_set(ret_err, -EINVAL, "holds %d %ss; give one",
				 ks->found, what);
	return 0;
}

int age_parse_identity(const char *text, size_t len, struct sign_key *ret,
		       char **ret_err)
{
	struct key_scan ks;
	int r;

	age_init();
	r = parse_key(text, len, IDENTITY_HRP, "age identity", &ks, ret_err);
	if (r == 0) {
		memset(ret, 0, sizeof(*ret));
		ret->kind = SIGN_KEY_ENCRYPT_SECRET;
		ret->len = crypto_box_SECRETKEYBYTES;
		memcpy(ret->key, ks.key, sizeof(ks.key));
		crypto_scalarmult_base(ret->pub, ret->key);
	}
	sodium_memzero(&ks, sizeof(ks));
	return r;
}

int age_parse_recipient(const char *text, size_t len, struct sign_key *ret,
			char **ret_err)
{
	struct key_scan ks;
	int r;

	r = parse_key(text, len, RECIPIENT_HRP, "age recipient", &ks, ret_err);
	if (r == 0) {
		memset(ret, 0, sizeof(*ret));
		ret->kind = SIGN_KEY_ENCRYPT_PUBLIC;
		ret->len = crypto_box_PUBLICKEYBYTES;
		memcpy(ret->key, ks.key, sizeof(ks.key));
	}
	return r;
}

static int first_key_line(const char *line, size_t len, void *arg)
{
	int *kind = arg;

	if (len >= 16 && strncasecmp(line, "AGE-SECRET-KEY-1", 16) == 0)
		*kind = 1;
	else if (len >= 4 && strncmp(line, "age1", 4) == 0)
		*kind = 2;
	return -1; /* only the first line counts */
}

int age_key_text_kind(const char *text, size_t len)
{
	int kind = 0;

	each_line(text, len, first_key_line, &kind);
	return kind;
}

bool age_is_encrypted(const void *head, size_t len)
{
	return len >= AGE_MAGIC_LEN &&
	       memcmp(head, AGE_MAGIC, AGE_MAGIC_LEN) == 0;
}

/* --- armor ------------------------------------------------------------ */

#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END   "-----END AGE ENCRYPTED FILE-----"
#define ARMOR_COLS  64

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool age_is_armored(const void *head, size_t len)
{
	const unsigned char *p = head, *end = p + len;

	while (p < end && is_ws(*p))
		p++;
	return (size_t)(end - p) >= strlen(ARMOR_BEGIN) &&
	       memcmp(p, ARMOR_BEGIN, strlen(ARMOR_BEGIN)) == 0;
}

/* The decoder's state and its output, written in blocks. */
struct dearmor {
	int state; /* 0 before BEGIN, 1 body, 2 after END */
	bool short_seen;
	uint64_t total, max_out;
	int out_fd;
	unsigned char out[AGE_CHUNK];
	size_t nout;
};

static int dearmor_flush(struct dearmor *d, char **ret_err)
{
	int r = write_all(d->out_fd, d->out, d->nout);

	d->nout = 0;
	if (r < 0)
		return error_set(ret_err, r, "cannot write the bundle: %s",
				 strerror(-r));
	return 0;
}

/* One armor line (without its end of line). */
static int armor_line(const char *l, size_t n, struct dearmor *d,
		      char **ret_err)
{
	size_t bl = 0;
	int r;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (d->state == 0) {
		if (n == 0)
			return 0; /* blank lines before the armor */
		if (n != strlen(ARMOR_BEGIN) || memcmp(l, ARMOR_BEGIN, n) != 0)
			goto bad;
		d->state = 1;
		return 0;
	}
	if (d->state == 2) {
		for (size_t i = 0; i < n; i++)
			if (!is_ws((unsigned char)l[i]))
				goto bad;
		return 0;
	}
	if (n == strlen(ARMOR_END) && memcmp(l, ARMOR_END, n) == 0) {
		d->state = 2;
		return dearmor_flush(d, ret_err);
	}
	if (d->nout + ARMOR_COLS > sizeof(d->out) &&
	    (r = dearmor_flush(d, ret_err)) < 0)
		return r;
	if (d->short_seen || n > ARMOR_COLS || n == 0 ||
	    sodium_base642bin(d->out + d->nout, ARMOR_COLS, l, n, NULL, &bl,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		goto bad;
	d->short_seen = n < ARMOR_COLS;
	d->nout += bl;
	d->total += bl;
	if (d->total > d->max_out)
		return error_set(ret_err, -EFBIG,
				 "decrypted bundle is larger than %llu bytes",
				 (unsigned long long)d->max_out);
	return 0;
bad:
	return error_set(ret_err, -EBADMSG, "armored age file is damaged");
}

int age_dearmor_fd(int in_fd, int out_fd, uint64_t max_out, char **ret_err)
{
	char *buf = xmalloc(AGE_CHUNK);
	struct dearmor *d = xcalloc(1, sizeof(*d));
	size_t have = 0, off;
	bool eof = false;
	int r = 0;

	d->out_fd = out_fd;
	d->max_out = max_out;
	for (;;) {
		ssize_t n = read_full(in_fd, buf + have, AGE_CHUNK - have);
		char *nl;

		if (n < 0) {
			r = error_set(ret_err, (int)n,
				      "cannot read the encrypted bundle: %s",
				      strerror((int)-n));
			goto out;
		}
		eof = (size_t)n < AGE_CHUNK - have;
		have += (size_t)n;
		/* Every whole line in the buffer, then keep the rest. */
		for (off = 0; (nl = memchr(buf + off, '\n', have - off));
		     off = (size_t)(nl - buf) + 1)
			if ((r = armor_line(buf + off, (size_t)(nl - buf) - off,
					    d, ret_err)) < 0)
				goto out;
		if (eof) {
			if (off < have && (r = armor_line(buf + off, have - off,
							  d, ret_err)) < 0)
				goto out;
			break;
		}
		if (off == 0) {
			r = error_set(ret_err, -EBADMSG,
				      "armored age file is damaged");
			goto out;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	if (d->state != 2)
		r = error_set(ret_err, -EBADMSG,
			      "armored age file is cut (no END line)");
out:
	free(d);
	free(buf);
	return r;
}

/* --- header ----------------------------------------------------------- */

static void b64_32(char out[B64_32 + 1], const unsigned char in[32])
{
	sodium_bin2base64(out, B64_32 + 1, in, 32,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static bool unb64(const char *s, size_t n, unsigned char *ret, size_t max,
		  size_t *ret_len)
{
	return sodium_base642bin(ret, max, s, n, NULL, ret_len, NULL,
				 sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ==
	       0;
}

static void header_mac(const unsigned char key[AGE_FILE_KEY], const void *hdr,
		       size_t n, unsigned char ret[32])
{
	unsigned char mk[32];

	hkdf32(key, AGE_FILE_KEY, NULL, 0, "header", mk);
	crypto_auth_hmacsha256(ret, hdr, n, mk);
	sodium_memzero(mk, sizeof(mk));
}

static void stream_nonce(unsigned char n[12], uint64_t counter, bool last)
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[10 - i] = (unsigned char)(counter >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* The X25519 wrap key for share (the ephemeral public key) to recipient. */
static bool wrap_key(const unsigned char *shared, const unsigned char share[32],
		     const unsigned char recipient[32], unsigned char ret[32])
{
	unsigned char salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	hkdf32(shared, 32, salt, sizeof(salt), X25519_LABEL, ret);
	return true;
}

static int write_header(const struct sign_key *recipient,
			const unsigned char key[AGE_FILE_KEY], int out_fd,
			char **ret_err)
{
	unsigned char e[32], share[32], shared[32], wk[32], body[32], mac[32];
	unsigned char nonce[12] = { 0 };
	char s64[B64_32 + 1], b64[B64_32 + 1], m64[B64_32 + 1], *hdr = NULL;
	int r = 0, n;

	randombytes_buf(e, sizeof(e));
	crypto_scalarmult_base(share, e);
	if (crypto_scalarmult(shared, e, recipient->key) != 0) {
		r = error_set(ret_err, -EINVAL,
			      "the age recipient is not a usable X25519 key");
		goto out;
	}
	wrap_key(shared, share, recipient->key, wk);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, key, AGE_FILE_KEY,
						  NULL, 0, NULL, nonce, wk);
	b64_32(s64, share);
	b64_32(b64, body);
	hdr = xasprintf(AGE_MAGIC "-> X25519 %s\n%s\n---", s64, b64);
	n = (int)strlen(hdr);
	header_mac(key, hdr, (size_t)n, mac);
	b64_32(m64, mac);
	if ((r = write_all(out_fd, hdr, (size_t)n)) < 0 ||
	    (r = write_all(out_fd, " ", 1)) < 0 ||
	    (r = write_all(out_fd, m64, B64_32)) < 0 ||
	    (r = write_all(out_fd, "\n", 1)) < 0)
		error_set(ret_err, r, "cannot write the encrypted bundle: %s",
			  strerror(-r));
out:
	sodium_memzero(e, sizeof(e));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wk, sizeof(wk));
	free(hdr);
	return r;
}

/* One header line: [p, *ret_end) without its '\n'; false when none. */
static bool header_line(const unsigned char *p, const unsigned char *end,
			const unsigned char **ret_end)
{
	const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return false;
	*ret_end = nl;
	return true;
}

static bool is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

struct stanza {
	const unsigned char *arg[ARGS_MAX];
	size_t arg_len[ARGS_MAX];
	size_t nargs;
	unsigned char body[BODY_MAX];
	size_t body_len;
};

/*
 * Parse "-> ARGS\nBODY" at *pp (which starts with "-> "); *pp moves past
 * it. Body lines are 64 base64 characters but the last, which is shorter
 * (possibly empty).
 */
static bool parse_stanza(const unsigned char **pp, const unsigned char *end,
			 struct stanza *s)
{
	const unsigned char *p = *pp + 3, *le, *a;
	char b64[BODY_MAX * 4 / 3 + BODY_COLS + 1];
	size_t nb = 0;

	if (!header_line(p, end, &le) || p == le)
		return false;
	s->nargs = 0;
	for (a = p; a <= le;) {
		const unsigned char *ae = a;

		while (ae < le && *ae != ' ')
			ae++;
		if (ae == a || s->nargs == ARGS_MAX)
			return false;
		for (const unsigned char *c = a; c < ae; c++)
			if (*c < 33 || *c > 126)
				return false;
		s->arg[s->nargs] = a;
		s->arg_len[s->nargs++] = (size_t)(ae - a);
		a = ae + 1;
	}
	p = le + 1;
	for (;;) {
		size_t ln;

		if (!header_line(p, end, &le))
			return false;
		ln = (size_t)(le - p);
		if (ln > BODY_COLS || nb + ln >= sizeof(b64))
			return false;
		for (size_t i = 0; i < ln; i++)
			if (!is_b64_char(p[i]))
				return false;
		memcpy(b64 + nb, p, ln);
		nb += ln;
		p = le + 1;
		if (ln < BODY_COLS)
			break;
	}
	if (!unb64(b64, nb, s->body, sizeof(s->body), &s->body_len))
		return false;
	*pp = p;
	return true;
}

static bool arg_is(const struct stanza *s, size_t i, const char *lit)
{
	return i < s->nargs && s->arg_len[i] == strlen(lit) &&
	       memcmp(s->arg[i], lit, s->arg_len[i]) == 0;
}

/* Try an X25519 stanza with the identity; true when it unwraps. */
static bool try_x25519(const struct stanza *s, const struct sign_key *id,
		       unsigned char ret_key[AGE_FILE_KEY])
{
	unsigned char share[32], shared[32], wk[32], nonce[12] = { 0 };
	unsigned long long kl = 0;
	size_t sl = 0;
	bool ok = false;

	if (!unb64((const char *)s->arg[1], s->arg_len[1], share, sizeof(share),
		   &sl) ||
	    sl != 32 || crypto_scalarmult(shared, id->key, share) != 0)
		goto out;
	wrap_key(shared, share, id->pub, wk);
	ok = crypto_aead_chacha20poly1305_ietf_decrypt(
		     ret_key, &kl, NULL, s->body, s->body_len, NULL, 0, nonce,
		     wk) == 0 &&
	     kl == AGE_FILE_KEY;
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wk, sizeof(wk));
	return ok;
}

int age_header_parse(const unsigned char *buf, size_t n,
		     const struct sign_key *identity,
		     unsigned char ret_key[AGE_FILE_KEY], size_t *ret_len,
		     char **ret_err)
{
	const unsigned char *p = buf, *end = buf + n, *le;
	unsigned char key[AGE_FILE_KEY], mac[32], want[32];
	struct stanza *s = xmalloc(sizeof(*s));
	bool found = false, scrypt = false;
	size_t nstanzas = 0, ml = 0;
	int r;

	age_init();
	if (n < AGE_MAGIC_LEN || memcmp(buf, AGE_MAGIC, AGE_MAGIC_LEN) != 0) {
		r = error_set(ret_err, -EBADMSG, "not an age file");
		goto out;
	}
	p += AGE_MAGIC_LEN;
	while (end - p >= 3 && memcmp(p, "-> ", 3) == 0) {
		if (!parse_stanza(&p, end, s)) {
			r = error_set(ret_err, -EBADMSG,
				      "age header is damaged or cut "
				      "(recipient %zu)",
				      nstanzas + 1);
			goto out;
		}
		nstanzas++;
		if (arg_is(s, 0, "scrypt"))
			scrypt = true;
		if (!found && arg_is(s, 0, "X25519") && s->nargs == 2 &&
		    s->body_len == 32)
			found = try_x25519(s, identity, key);
	}
	if (end - p < 4 || memcmp(p, "--- ", 4) != 0 ||
	    !header_line(p, end, &le) || le - p != 4 + B64_32) {
		r = error_set(ret_err, -EBADMSG,
			      n >= AGE_HEADER_MAX
				      ? "age header is longer than rdiag reads"
				      : "age header is damaged or cut");
		goto out;
	}
	if (nstanzas == 0 || (scrypt && nstanzas > 1)) {
		r = error_set(ret_err, -EBADMSG, "age header is malformed");
		goto out;
	}
	if (!found) {
		r = error_set(ret_err, -EACCES,
			      scrypt ? "the bundle is encrypted with a "
				       "passphrase; rdiag reads age files for "
				       "X25519 keys (decrypt with age -d first)"
				     : "bundle is not encrypted for this key");
		goto out;
	}
	if (!unb64((const char *)p + 4, B64_32, mac, sizeof(mac), &ml) ||
	    ml != 32) {
		r = error_set(ret_err, -EBADMSG,
			      "age header has a damaged MAC");
		goto out;
	}
	header_mac(key, buf, (size_t)(p + 3 - buf), want);
	if (sodium_memcmp(mac, want, sizeof(mac)) != 0) {
		r = error_set(ret_err, -EBADMSG,
			      "age header was changed (its MAC does not "
			      "match)");
		goto out;
	}
	memcpy(ret_key, key, AGE_FILE_KEY);
	*ret_len = (size_t)(le + 1 - buf);
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(s, sizeof(*s));
	free(s);
	return r;
}

/* --- payload ---------------------------------------------------------- */

int age_encrypt_fd(const struct sign_key *recipient, int in_fd, int out_fd,
		   char **ret_err)
{
	unsigned char key[AGE_FILE_KEY], pk[32], nonce[NONCE_LEN], sn[12];
	unsigned char *cur = NULL, *next = NULL, *out = NULL, *t;
	ssize_t n_cur, n_next;
	uint64_t counter = 0;
	int r;

	age_init();
	if (recipient->kind != SIGN_KEY_ENCRYPT_PUBLIC)
		return error_set(ret_err, -EINVAL,
				 "encryption needs an age recipient "
				 "(x25519-public key)");
	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));
	if ((r = write_header(recipient, key, out_fd, ret_err)) < 0)
		goto out;
	if ((r = write_all(out_fd, nonce, sizeof(nonce))) < 0) {
		error_set(ret_err, r, "cannot write the encrypted bundle: %s",
			  strerror(-r));
		goto out;
	}
	hkdf32(key, sizeof(key), nonce, sizeof(nonce), "payload", pk);
	cur = xmalloc(AGE_CHUNK);
	next = xmalloc(AGE_CHUNK);
	out = xmalloc(CCHUNK);
	/*
	 * A chunk is the last one only when nothing follows it, so each
	 * chunk is sealed after the next one was read. Only an empty file
	 * has an empty (last) chunk.
	 */
	n_cur = read_full(in_fd, cur, AGE_CHUNK);
	for (;;) {
		unsigned long long cl;
		bool last;

		if (n_cur < 0) {
			r = error_set(ret_err, (int)n_cur,
				      "cannot read the bundle to encrypt: %s",
				      strerror((int)-n_cur));
			goto out;
		}
		n_next = n_cur == AGE_CHUNK ? read_full(in_fd, next, AGE_CHUNK)
					    : 0;
		if (n_next < 0) {
			n_cur = n_next;
			continue;
		}
		last = n_next == 0;
		stream_nonce(sn, counter++, last);
		crypto_aead_chacha20poly1305_ietf_encrypt(
			out, &cl, cur, (unsigned long long)n_cur, NULL, 0, NULL,
			sn, pk);
		if ((r = write_all(out_fd, out, (size_t)cl)) < 0) {
			error_set(ret_err, r,
				  "cannot write the encrypted bundle: %s",
				  strerror(-r));
			goto out;
		}
		if (last)
			break;
		t = cur, cur = next, next = t;
		n_cur = n_next;
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(pk, sizeof(pk));
	if (cur)
		sodium_memzero(cur, AGE_CHUNK);
	if (next)
		sodium_memzero(next, AGE_CHUNK);
	free(cur);
	free(next);
	free(out);
	return r;
}

/* The header's buffer, whose tail after the header is payload, then fd. */
struct src {
	int fd;
	const unsigned char *left;
	size_t nleft;
};

static ssize_t src_read(struct src *s, unsigned char *dst, size_t want)
{
	size_t k = s->nleft < want ? s->nleft : want;
	ssize_t n;

	memcpy(dst, s->left, k);
	s->left += k;
	s->nleft -= k;
	if (k == want)
		return (ssize_t)k;
	n = read_full(s->fd, dst + k, want - k);
	return n < 0 ? n : (ssize_t)k + n;
}

int age_decrypt_fd(const struct sign_key *identity, int in_fd, int out_fd,
		   uint64_t max_out, char **ret_err)
{
	unsigned char key[AGE_FILE_KEY], pk[32], nonce[NONCE_LEN], sn[12];
	unsigned char *hdr = NULL, *in = NULL, *out = NULL;
	struct src src = { in_fd, NULL, 0 };
	uint64_t counter = 0, total = 0;
	size_t hl = 0, carry = 0;
	ssize_t got;
	int r;

	age_init();
	if (identity->kind != SIGN_KEY_ENCRYPT_SECRET)
		return error_set(ret_err, -EINVAL,
				 "decryption needs an age identity "
				 "(x25519-secret key)");
	hdr = xmalloc(AGE_HEADER_MAX);
	got = read_full(in_fd, hdr, AGE_HEADER_MAX);
	if (got < 0) {
		r = error_set(ret_err, (int)got,
			      "cannot read the encrypted bundle: %s",
			      strerror((int)-got));
		goto out;
	}
	if ((r = age_header_parse(hdr, (size_t)got, identity, key, &hl,
				  ret_err)) < 0)
		goto out;
	src.left = hdr + hl;
	src.nleft = (size_t)got - hl;
	if (src_read(&src, nonce, sizeof(nonce)) != sizeof(nonce)) {
		r = error_set(ret_err, -EBADMSG,
			      "encrypted bundle is truncated (header)");
		goto out;
	}
	hkdf32(key, sizeof(key), nonce, sizeof(nonce), "payload", pk);
	in = xmalloc(CCHUNK + 1);
	out = xmalloc(AGE_CHUNK);
	for (;;) {
		unsigned long long ml;
		ssize_t n = src_read(&src, in + carry, CCHUNK - carry);
		bool last;

		if (n < 0) {
			r = error_set(ret_err, (int)n,
				      "cannot read the encrypted bundle: %s",
				      strerror((int)-n));
			goto out;
		}
		n += (ssize_t)carry;
		carry = 0;
		/* A full chunk is the last one when nothing follows it. */
		last = n < CCHUNK;
		if (!last) {
			ssize_t k = src_read(&src, in + CCHUNK, 1);

			if (k < 0) {
				r = error_set(ret_err, (int)k,
					      "cannot read the encrypted "
					      "bundle: %s",
					      strerror((int)-k));
				goto out;
			}
			last = k == 0;
			carry = (size_t)k;
		}
		if (n < TAG_LEN || (last && n == TAG_LEN && counter > 0)) {
			r = error_set(ret_err, -EBADMSG,
				      "encrypted bundle is truncated after "
				      "%llu bytes of plain text",
				      (unsigned long long)total);
			goto out;
		}
		stream_nonce(sn, counter++, last);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(
			    out, &ml, NULL, in, (unsigned long long)n, NULL, 0,
			    sn, pk) != 0) {
			r = error_set(ret_err, -EBADMSG,
				      "encrypted bundle was changed or cut "
				      "(chunk after %llu bytes does not "
				      "authenticate)",
				      (unsigned long long)total);
			goto out;
		}
		total += ml;
		if (total > max_out) {
			r = error_set(ret_err, -EFBIG,
				      "decrypted bundle is larger than %llu "
				      "bytes",
				      (unsigned long long)max_out);
			goto out;
		}
		if ((r = write_all(out_fd, out, (size_t)ml)) < 0) {
			error_set(ret_err, r,
				  "cannot write the decrypted bundle: %s",
				  strerror(-r));
			goto out;
		}
		if (last)
			break;
		in[0] = in[CCHUNK];
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(pk, sizeof(pk));
	if (out)
		sodium_memzero(out, AGE_CHUNK);
	free(hdr);
	free(in);
	free(out);
	return r;
}
