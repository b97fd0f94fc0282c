/*
 * OpenSSH key files and SSHSIG signatures (see sshsig.h): the SSH wire
 * encoding, the armor, and Ed25519 through libsodium. The formats are
 * OpenSSH's PROTOCOL.key and PROTOCOL.sshsig; the tests check every one
 * against the real ssh-keygen in both directions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bundle_format.h"
#include "core/error.h"
#include "core/sshsig.h"
#include "rdiag/util.h"

#define KEY_TYPE      "ssh-ed25519"
#define KEY_MAGIC     "openssh-key-v1"
#define SIG_MAGIC     "SSHSIG"
#define SIG_ARMOR_END "-----END SSH SIGNATURE-----"
#define KEY_ARMOR_END "-----END OPENSSH PRIVATE KEY-----"
/* ssh-keygen wraps both armors at 70 columns. */
#define ARMOR_COLS 70
/* Decoded bytes of a private key file or signature rdiag accepts. */
#define BLOB_MAX    2048
#define COMMENT_MAX 256

static void sshsig_init(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "rdiag: cannot initialise libsodium\n");
		abort();
	}
}

/* --- the wire encoding ------------------------------------------------ */

struct wire {
	const unsigned char *p;
	size_t n;
};

static bool wire_u32(struct wire *w, uint32_t *ret)
{
	if (w->n < 4)
		return false;
	*ret = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
	       (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->n -= 4;
	return true;
}

static bool wire_str(struct wire *w, const unsigned char **ret, size_t *ret_len)
{
	uint32_t len;

	if (!wire_u32(w, &len) || len > w->n)
		return false;
	*ret = w->p;
	*ret_len = len;
	w->p += len;
	w->n -= len;
	return true;
}

static bool str_is(const unsigned char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A string that must be exactly lit. */
static bool wire_expect(struct wire *w, const char *lit)
{
	const unsigned char *s;
	size_t n;

	return wire_str(w, &s, &n) && str_is(s, n, lit);
}

/* A fixed-size output buffer (key material stays on the caller's stack). */
struct wout {
	unsigned char *p;
	size_t len, cap;
	bool full;
};

static void wout_put(struct wout *o, const void *p, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void wout_u32(struct wout *o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	wout_put(o, b, 4);
}

static void wout_str(struct wout *o, const void *p, size_t n)
{
	wout_u32(o, (uint32_t)n);
	wout_put(o, p, n);
}

static void wout_cstr(struct wout *o, const char *s)
{
	wout_str(o, s, strlen(s));
}

/* The public key blob: string "ssh-ed25519", string key. */
static void wout_pubblob(struct wout *o, const unsigned char *pub)
{
	wout_cstr(o, KEY_TYPE);
	wout_str(o, pub, crypto_sign_PUBLICKEYBYTES);
}

static bool parse_pubblob(const unsigned char *b, size_t n,
			  unsigned char ret[crypto_sign_PUBLICKEYBYTES])
{
	struct wire w = { b, n };
	const unsigned char *k;
	size_t kn;

	if (!wire_expect(&w, KEY_TYPE) || !wire_str(&w, &k, &kn) ||
	    kn != crypto_sign_PUBLICKEYBYTES || w.n != 0)
		return false;
	memcpy(ret, k, kn);
	return true;
}

/* --- armor ------------------------------------------------------------ */

/* BEGIN line, base64 wrapped at ARMOR_COLS, END line (caller frees). */
static char *armor(const char *begin, const char *end,
		   const unsigned char *blob, size_t n)
{
	size_t b64_len =
		sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(b64_len), *out, *q;
	size_t len;

	sodium_bin2base64(b64, b64_len, blob, n,
			  sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	out = xmalloc(strlen(begin) + strlen(end) + len + len / ARMOR_COLS + 4);
	q = out + sprintf(out, "%s\n", begin);
	for (size_t i = 0; i < len; i += ARMOR_COLS) {
		size_t k = len - i < ARMOR_COLS ? len - i : ARMOR_COLS;

		memcpy(q, b64 + i, k);
		q += k;
		*q++ = '\n';
	}
	sprintf(q, "%s\n", end);
	sodium_memzero(b64, b64_len);
	free(b64);
	return out;
}

/*
 * The bytes between the BEGIN and END lines of an armor in text, decoded
 * into ret (at most max bytes). Anything before BEGIN or after END is
 * ignored, as ssh-keygen does.
 */
static int dearmor(const char *text, size_t len, const char *begin,
		   const char *end, unsigned char *ret, size_t max,
		   size_t *ret_len)
{
	const char *b, *e, *stop = text + len;
	size_t bl = strlen(begin), el = strlen(end);

	for (b = text; b + bl <= stop; b++)
		if (memcmp(b, begin, bl) == 0 && (b == text || b[-1] == '\n'))
			break;
	if (b + bl > stop)
		return -ENOENT;
	b += bl;
	for (e = b; e + el <= stop; e++)
		if (memcmp(e, end, el) == 0)
			break;
	if (e + el > stop)
		return -EBADMSG;
	if (sodium_base642bin(ret, max, b, (size_t)(e - b), " \t\r\n", ret_len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EBADMSG;
	return 0;
}

/* --- keys ------------------------------------------------------------- */

void sshkey_fingerprint(const unsigned char *pub, char ret[SSHSIG_FPR_MAX])
{
	unsigned char blob[64], h[crypto_hash_sha256_BYTES];
	struct wout o = { blob, 0, sizeof(blob), false };

	sshsig_init();
	wout_pubblob(&o, pub);
	crypto_hash_sha256(h, blob, o.len);
	memcpy(ret, "SHA256:", 7);
	sodium_bin2base64(ret + 7, SSHSIG_FPR_MAX - 7, h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static const unsigned char *key_public(const struct sign_key *k)
{
	return k->kind == SIGN_KEY_SIGN_SECRET ? k->key + crypto_sign_SEEDBYTES
					       : k->key;
}

char *sshkey_public_text(const struct sign_key *key, const char *comment)
{
	unsigned char blob[64];
	struct wout o = { blob, 0, sizeof(blob), false };
	char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];

	wout_pubblob(&o, key_public(key));
	sodium_bin2base64(b64, sizeof(b64), blob, o.len,
			  sodium_base64_VARIANT_ORIGINAL);
	return xasprintf("%s %s%s%s\n", KEY_TYPE, b64, *comment ? " " : "",
			 comment);
}

char *sshkey_private_text(const struct sign_key *secret, const char *comment)
{
	unsigned char blob[BLOB_MAX], priv[BLOB_MAX];
	struct wout o = { blob, 0, sizeof(blob), false };
	struct wout p = { priv, 0, sizeof(priv), false };
	uint32_t check;
	char *text;

	sshsig_init();
	check = randombytes_random();
	wout_u32(&p, check);
	wout_u32(&p, check);
	wout_pubblob(&p, key_public(secret));
	wout_str(&p, secret->key, crypto_sign_SECRETKEYBYTES);
	wout_str(&p, comment, strnlen(comment, COMMENT_MAX));
	/* Padding 1, 2, 3, ... to the cipher block size (8 for "none"). */
	for (unsigned char i = 1; p.len % 8; i++)
		wout_put(&p, &i, 1);
	wout_put(&o, KEY_MAGIC, sizeof(KEY_MAGIC)); /* with its NUL */
	wout_cstr(&o, "none");
	wout_cstr(&o, "none");
	wout_cstr(&o, "");
	wout_u32(&o, 1);
	wout_u32(&o, 4 + (uint32_t)strlen(KEY_TYPE) + 4 +
			     crypto_sign_PUBLICKEYBYTES);
	wout_pubblob(&o, key_public(secret));
	wout_str(&o, priv, p.len);
	text = o.full || p.full
		       ? NULL
		       : armor(SSHKEY_ARMOR_BEGIN, KEY_ARMOR_END, blob, o.len);
	sodium_memzero(blob, sizeof(blob));
	sodium_memzero(priv, sizeof(priv));
	if (!text)
		abort(); /* the sizes above are fixed */
	return text;
}

int sshkey_parse_private(const char *text, size_t len, struct sign_key *ret,
			 char **ret_err)
{
	unsigned char blob[BLOB_MAX], pub[crypto_sign_PUBLICKEYBYTES];
	unsigned char derived[crypto_sign_SECRETKEYBYTES];
	unsigned char dpub[crypto_sign_PUBLICKEYBYTES];
	const unsigned char *cipher, *s, *pubblob, *privs, *pk, *sk;
	size_t n = 0, cn, sn, pbn, pn, pkn, skn;
	struct wire w, pw;
	uint32_t nkeys, c1, c2;
	int r;

	sshsig_init();
	r = dearmor(text, len, SSHKEY_ARMOR_BEGIN, KEY_ARMOR_END, blob,
		    sizeof(blob), &n);
	if (r < 0) {
		r = error_set(ret_err, -EINVAL,
			      "is not a readable OpenSSH private key");
		goto out;
	}
	w = (struct wire){ blob, n };
	if (n < sizeof(KEY_MAGIC) ||
	    memcmp(blob, KEY_MAGIC, sizeof(KEY_MAGIC)) != 0) {
		r = error_set(ret_err, -EINVAL,
			      "is not an openssh-key-v1 private key");
		goto out;
	}
	w.p += sizeof(KEY_MAGIC);
	w.n -= sizeof(KEY_MAGIC);
	if (!wire_str(&w, &cipher, &cn) || !wire_str(&w, &s, &sn) ||
	    !wire_str(&w, &s, &sn) || !wire_u32(&w, &nkeys)) {
		r = error_set(ret_err, -EINVAL, "is a damaged OpenSSH key");
		goto out;
	}
	if (!str_is(cipher, cn, "none")) {
		r = error_set(ret_err, -EINVAL,
			      "is protected by a passphrase, which rdiag "
			      "cannot use (make the key with ssh-keygen -t "
			      "ed25519 -N '')");
		goto out;
	}
	if (nkeys != 1) {
		r = error_set(ret_err, -EINVAL,
			      "holds %u keys; rdiag reads a file with one",
			      (unsigned)nkeys);
		goto out;
	}
	if (!wire_str(&w, &pubblob, &pbn) || !wire_str(&w, &privs, &pn) ||
	    w.n != 0) {
		r = error_set(ret_err, -EINVAL, "is a damaged OpenSSH key");
		goto out;
	}
	if (!parse_pubblob(pubblob, pbn, pub)) {
		r = error_set(ret_err, -EINVAL,
			      "is not an Ed25519 key; rdiag signs with "
			      "Ed25519 only (ssh-keygen -t ed25519)");
		goto out;
	}
	pw = (struct wire){ privs, pn };
	if (pn % 8 != 0 || !wire_u32(&pw, &c1) || !wire_u32(&pw, &c2) ||
	    c1 != c2 || !wire_expect(&pw, KEY_TYPE) ||
	    !wire_str(&pw, &pk, &pkn) || pkn != sizeof(pub) ||
	    !wire_str(&pw, &sk, &skn) || skn != crypto_sign_SECRETKEYBYTES ||
	    !wire_str(&pw, &s, &sn)) {
		r = error_set(ret_err, -EINVAL, "is a damaged OpenSSH key");
		goto out;
	}
	for (size_t i = 0; i < pw.n; i++)
		if (pw.p[i] != (unsigned char)(i + 1)) {
			r = error_set(ret_err, -EINVAL,
				      "is a damaged OpenSSH key (padding)");
			goto out;
		}
	/* The seed must make the public key the file claims. */
	crypto_sign_seed_keypair(dpub, derived, sk);
	if (sodium_memcmp(dpub, pub, sizeof(pub)) != 0 ||
	    sodium_memcmp(pk, pub, sizeof(pub)) != 0 ||
	    sodium_memcmp(derived, sk, sizeof(derived)) != 0) {
		r = error_set(ret_err, -EINVAL,
			      "is a damaged OpenSSH key (its halves do not "
			      "match)");
		goto out;
	}
	memset(ret, 0, sizeof(*ret));
	ret->kind = SIGN_KEY_SIGN_SECRET;
	ret->len = crypto_sign_SECRETKEYBYTES;
	memcpy(ret->key, derived, sizeof(derived));
	r = 0;
out:
	sodium_memzero(blob, sizeof(blob));
	sodium_memzero(derived, sizeof(derived));
	return r;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Key types ssh-keygen makes that rdiag does not take. */
static bool is_other_key_type(const char *t, size_t n)
{
	static const char *const pfx[] = { "ssh-rsa",          "ssh-dss",
					   "ecdsa-",           "sk-",
					   "ssh-ed25519-cert", "ssh-ed448" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (n >= strlen(pfx[i]) &&
		    memcmp(t, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

/*
 * Walk the key lines: every "ssh-ed25519 BASE64" pair found is counted and
 * the first one decoded into pub. Returns the count, or -EINVAL for a key
 * of another type, -EBADMSG for a damaged one.
 */
static int scan_public(const char *text, size_t len,
		       unsigned char pub[crypto_sign_PUBLICKEYBYTES])
{
	const char *p = text, *end = text + len;
	int found = 0, other = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *t = p;
		bool want_key = false;

		while (t < le && is_space(*t))
			t++;
		if (t < le && *t == '#')
			t = le;
		while (t < le) {
			const char *te = t;
			unsigned char blob[128], k[crypto_sign_PUBLICKEYBYTES];
			size_t bn;

			while (te < le && !is_space(*te))
				te++;
			if (want_key) {
				if (sodium_base642bin(
					    blob, sizeof(blob), t,
					    (size_t)(te - t), NULL, &bn, NULL,
					    sodium_base64_VARIANT_ORIGINAL) !=
					    0 ||
				    !parse_pubblob(blob, bn, k))
					return -EBADMSG;
				if (found++ == 0)
					memcpy(pub, k, sizeof(k));
				want_key = false;
				break;
			}
			if (str_is((const unsigned char *)t, (size_t)(te - t),
				   KEY_TYPE))
				want_key = true;
			else if (is_other_key_type(t, (size_t)(te - t)))
				other++;
			t = te;
			while (t < le && is_space(*t))
				t++;
		}
		if (want_key)
			return -EBADMSG;
		p = le + 1;
	}
	if (found == 0 && other)
		return -EINVAL;
	return found;
}

bool sshkey_is_public_text(const char *text, size_t len)
{
	unsigned char pub[crypto_sign_PUBLICKEYBYTES];
	int r = scan_public(text, len, pub);

	return r != 0;
}

int sshkey_parse_public(const char *text, size_t len, struct sign_key *ret,
			char **ret_err)
{
	unsigned char pub[crypto_sign_PUBLICKEYBYTES];
	int r = scan_public(text, len, pub);

	if (r == -EINVAL)
		return error_set(ret_err, r,
				 "is not an Ed25519 key; rdiag signs with "
				 "Ed25519 only (ssh-keygen -t ed25519)");
	if (r < 0)
		return error_set(ret_err, -EINVAL,
				 "holds a damaged ssh-ed25519 key");
	if (r == 0)
		return error_set(ret_err, -EINVAL,
				 "holds no ssh-ed25519 public key");
	if (r > 1)
		return error_set(ret_err, -EINVAL,
				 "holds %d keys; give a file with one", r);
	memset(ret, 0, sizeof(*ret));
	ret->kind = SIGN_KEY_SIGN_PUBLIC;
	ret->len = sizeof(pub);
	memcpy(ret->key, pub, sizeof(pub));
	return 0;
}

/* --- signatures ------------------------------------------------------- */

/* The bytes Ed25519 signs (PROTOCOL.sshsig, "Signed Data"). */
static size_t signed_data(unsigned char *buf, size_t cap, bool sha256,
			  const unsigned char *digest, size_t dlen)
{
	struct wout o = { buf, 0, cap, false };

	wout_put(&o, SIG_MAGIC, strlen(SIG_MAGIC));
	wout_cstr(&o, SSHSIG_NAMESPACE);
	wout_cstr(&o, "");
	wout_cstr(&o, sha256 ? "sha256" : "sha512");
	wout_str(&o, digest, dlen);
	return o.full ? 0 : o.len;
}

char *sshsig_sign(const struct sign_key *secret,
		  const unsigned char digest[crypto_hash_sha512_BYTES])
{
	unsigned char sd[256], sig[crypto_sign_BYTES], blob[512], sb[128];
	struct wout o = { blob, 0, sizeof(blob), false };
	struct wout s = { sb, 0, sizeof(sb), false };
	size_t n;

	sshsig_init();
	n = signed_data(sd, sizeof(sd), false, digest,
			crypto_hash_sha512_BYTES);
	crypto_sign_detached(sig, NULL, sd, n, secret->key);
	wout_cstr(&s, KEY_TYPE);
	wout_str(&s, sig, sizeof(sig));
	wout_put(&o, SIG_MAGIC, strlen(SIG_MAGIC));
	wout_u32(&o, 1);
	wout_u32(&o, 4 + (uint32_t)strlen(KEY_TYPE) + 4 +
			     crypto_sign_PUBLICKEYBYTES);
	wout_pubblob(&o, key_public(secret));
	wout_cstr(&o, SSHSIG_NAMESPACE);
	wout_cstr(&o, "");
	wout_cstr(&o, "sha512");
	wout_str(&o, sb, s.len);
	if (o.full || s.full)
		abort(); /* fixed sizes */
	return armor(SSHSIG_ARMOR_BEGIN, SIG_ARMOR_END, blob, o.len);
}

char *sshsig_sign_buf(const struct sign_key *secret, const void *m, size_t len)
{
	unsigned char d[crypto_hash_sha512_BYTES];

	sshsig_init();
	crypto_hash_sha512(d, m, len);
	return sshsig_sign(secret, d);
}

int sshsig_parse(const char *text, size_t len, struct sshsig *ret,
		 char **ret_err)
{
	unsigned char blob[BLOB_MAX];
	const unsigned char *pb, *ns, *res, *hash, *sb, *sig;
	size_t n = 0, pbn, nsn, resn, hn, sbn, sn;
	struct wire w, sw;
	uint32_t version;
	struct sshsig s;

	if (len > SSHSIG_TEXT_MAX ||
	    dearmor(text, len, SSHSIG_ARMOR_BEGIN, SIG_ARMOR_END, blob,
		    sizeof(blob), &n) < 0)
		return error_set(ret_err, -EBADMSG,
				 "is not an armored SSH signature");
	w = (struct wire){ blob, n };
	if (n < strlen(SIG_MAGIC) ||
	    memcmp(blob, SIG_MAGIC, strlen(SIG_MAGIC)) != 0)
		return error_set(ret_err, -EBADMSG,
				 "is not an SSHSIG signature");
	w.p += strlen(SIG_MAGIC);
	w.n -= strlen(SIG_MAGIC);
	if (!wire_u32(&w, &version) || version != 1)
		return error_set(ret_err, -EBADMSG,
				 "is an SSHSIG of an unknown version");
	if (!wire_str(&w, &pb, &pbn) || !wire_str(&w, &ns, &nsn) ||
	    !wire_str(&w, &res, &resn) || !wire_str(&w, &hash, &hn) ||
	    !wire_str(&w, &sb, &sbn) || w.n != 0)
		return error_set(ret_err, -EBADMSG,
				 "is a damaged SSHSIG signature");
	if (!parse_pubblob(pb, pbn, s.pub))
		return error_set(ret_err, -EBADMSG,
				 "is not made with an Ed25519 key");
	if (!str_is(ns, nsn, SSHSIG_NAMESPACE))
		return error_set(
			ret_err, -EBADMSG,
			"is not for namespace '" SSHSIG_NAMESPACE
			"' (sign with ssh-keygen -Y sign -n " SSHSIG_NAMESPACE
			")");
	if (resn != 0)
		return error_set(ret_err, -EBADMSG,
				 "has a reserved field rdiag does not know");
	if (str_is(hash, hn, "sha256"))
		s.sha256 = true;
	else if (str_is(hash, hn, "sha512"))
		s.sha256 = false;
	else
		return error_set(ret_err, -EBADMSG,
				 "uses a hash other than sha256 or sha512");
	sw = (struct wire){ sb, sbn };
	if (!wire_expect(&sw, KEY_TYPE) || !wire_str(&sw, &sig, &sn) ||
	    sn != crypto_sign_BYTES || sw.n != 0)
		return error_set(ret_err, -EBADMSG,
				 "holds a damaged Ed25519 signature");
	memcpy(s.sig, sig, sn);
	*ret = s;
	return 0;
}

int sshsig_check(const struct sshsig *s, const unsigned char *digest,
		 size_t digest_len, const struct sign_key *trusted,
		 const char *what, char **ret_err)
{
	unsigned char sd[256];
	char fpr[SSHSIG_FPR_MAX];
	size_t n;

	sshsig_init();
	sshkey_fingerprint(s->pub, fpr);
	if (trusted &&
	    (trusted->len != sizeof(s->pub) ||
	     sodium_memcmp(trusted->key, s->pub, sizeof(s->pub)) != 0)) {
		char tfpr[SSHSIG_FPR_MAX];

		sshkey_fingerprint(trusted->key, tfpr);
		return error_set(ret_err, -EPERM,
				 "signed by key %s, not by the trusted key %s",
				 fpr, tfpr);
	}
	n = signed_data(sd, sizeof(sd), s->sha256, digest, digest_len);
	if (n == 0 || crypto_sign_verify_detached(s->sig, sd, n, s->pub) != 0)
		return error_set(ret_err, -EBADMSG,
				 "the signature of key %s does not match %s "
				 "(changed after signing)",
				 fpr, what);
	return 0;
}

int sshsig_hash_fd(int fd, bool sha256,
		   unsigned char ret_digest[crypto_hash_sha512_BYTES],
		   size_t *ret_len)
{
	crypto_hash_sha512_state h512;
	crypto_hash_sha256_state h256;
	unsigned char *buf = xmalloc(65536);
	off_t off = 0;
	ssize_t n;
	int r = 0;

	sshsig_init();
	crypto_hash_sha512_init(&h512);
	crypto_hash_sha256_init(&h256);
	while ((n = pread(fd, buf, 65536, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (sha256)
			crypto_hash_sha256_update(&h256, buf, (size_t)n);
		else
			crypto_hash_sha512_update(&h512, buf, (size_t)n);
		off += n;
	}
	if (sha256) {
		crypto_hash_sha256_final(&h256, ret_digest);
		*ret_len = crypto_hash_sha256_BYTES;
	} else {
		crypto_hash_sha512_final(&h512, ret_digest);
		*ret_len = crypto_hash_sha512_BYTES;
	}
out:
	free(buf);
	return r;
}

int sshsig_write_file(const struct sign_key *secret, const char *path,
		      const char *sig_path, char **ret_err)
{
	unsigned char d[crypto_hash_sha512_BYTES];
	char *partial = bundle_partial_path(sig_path), *text = NULL;
	size_t dlen;
	int in, out = -1, r;

	in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		r = error_set(ret_err, -errno, "cannot open '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if ((r = sshsig_hash_fd(in, false, d, &dlen)) < 0) {
		error_set(ret_err, r, "cannot read '%s': %s", path,
			  strerror(-r));
		goto out;
	}
	text = sshsig_sign(secret, d);
	out = open(partial,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = error_set(ret_err, -errno, "cannot create '%s': %s",
			      partial, strerror(errno));
		goto out;
	}
	if (fchmod(out, 0600) < 0 ||
	    (r = write_all(out, text, strlen(text))) < 0 || fsync(out) < 0) {
		r = r < 0 ? r : -errno;
		error_set(ret_err, r, "cannot write '%s': %s", partial,
			  strerror(-r));
		goto out;
	}
	/*
	 * link() never replaces: an existing signature stays as it was. A
	 * file system without hard links gets a checked rename instead.
	 */
	r = link(partial, sig_path) < 0 ? -errno : 0;
	if ((r == -EPERM || r == -ENOTSUP || r == -ENOSYS) &&
	    access(sig_path, F_OK) < 0 && errno == ENOENT)
		r = rename(partial, sig_path) < 0 ? -errno : 0;
	if (r < 0) {
		r = error_set(ret_err, r, "cannot create '%s': %s", sig_path,
			      strerror(-r));
		goto out;
	}
	r = 0;
out:
	if (out >= 0) {
		close(out);
		unlink(partial);
	}
	if (in >= 0)
		close(in);
	free(text);
	free(partial);
	return r;
}
