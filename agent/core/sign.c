/*
 * Ed25519 manifest signatures, X25519 sealed-box + secretstream bundle
 * encryption and the key files both use (see sign.h, docs/review.md). Key
 * material lives only in struct sign_key and stack buffers that are wiped
 * with sodium_memzero before they go out of scope.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/sign.h"
#include "rdiag/util.h"

#define SIGN_KEY_FILE_MAX 512
#define SIGN_SIG_PREFIX   "rdiag-sig/1 ed25519 "
#define SIGN_SIG_MAX      512

static void sign_init(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "rdiag: cannot initialise libsodium\n");
		abort();
	}
}

static const char *const kind_names[] = {
	[SIGN_KEY_SIGN_SECRET] = "ed25519-secret",
	[SIGN_KEY_SIGN_PUBLIC] = "ed25519-public",
	[SIGN_KEY_ENCRYPT_SECRET] = "x25519-secret",
	[SIGN_KEY_ENCRYPT_PUBLIC] = "x25519-public",
};

static const size_t kind_lens[] = {
	[SIGN_KEY_SIGN_SECRET] = crypto_sign_SECRETKEYBYTES,
	[SIGN_KEY_SIGN_PUBLIC] = crypto_sign_PUBLICKEYBYTES,
	[SIGN_KEY_ENCRYPT_SECRET] = crypto_box_SECRETKEYBYTES,
	[SIGN_KEY_ENCRYPT_PUBLIC] = crypto_box_PUBLICKEYBYTES,
};

const char *sign_key_kind_name(enum sign_key_kind k)
{
	return kind_names[k];
}

static bool kind_is_secret(enum sign_key_kind k)
{
	return k == SIGN_KEY_SIGN_SECRET || k == SIGN_KEY_ENCRYPT_SECRET;
}

void sign_keypair_new(bool encrypt, struct sign_key *ret_secret,
		      struct sign_key *ret_public)
{
	sign_init();
	memset(ret_secret, 0, sizeof(*ret_secret));
	memset(ret_public, 0, sizeof(*ret_public));
	if (encrypt) {
		ret_secret->kind = SIGN_KEY_ENCRYPT_SECRET;
		ret_public->kind = SIGN_KEY_ENCRYPT_PUBLIC;
		crypto_box_keypair(ret_public->key, ret_secret->key);
		memcpy(ret_secret->pub, ret_public->key,
		       crypto_box_PUBLICKEYBYTES);
	} else {
		ret_secret->kind = SIGN_KEY_SIGN_SECRET;
		ret_public->kind = SIGN_KEY_SIGN_PUBLIC;
		crypto_sign_keypair(ret_public->key, ret_secret->key);
	}
	ret_secret->len = kind_lens[ret_secret->kind];
	ret_public->len = kind_lens[ret_public->kind];
}

void sign_key_wipe(struct sign_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

void sign_fingerprint(const unsigned char *pub, size_t len,
		      char ret[SIGN_FPR_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[sizeof(h) * 2 + 1];

	sign_init();
	crypto_hash_sha256(h, pub, len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	memcpy(ret, hex, SIGN_FPR_LEN);
	ret[SIGN_FPR_LEN] = '\0';
}

int sign_key_save(const struct sign_key *k, const char *path, char **ret_err)
{
	char hex[SIGN_KEY_MAX * 2 + 1], fpr[SIGN_FPR_LEN + 1];
	char text[SIGN_KEY_FILE_MAX];
	mode_t mode = kind_is_secret(k->kind) ? 0600 : 0644;
	const unsigned char *pub =
		k->kind == SIGN_KEY_SIGN_SECRET ? k->key + crypto_sign_SEEDBYTES
		: k->kind == SIGN_KEY_ENCRYPT_SECRET ? k->pub
						     : k->key;
	int fd, n, r = 0;

	sign_fingerprint(pub, 32, fpr);
	sodium_bin2hex(hex, sizeof(hex), k->key, k->len);
	n = snprintf(text, sizeof(text),
		     "rdiag-key/1 %s\n%s\n# fingerprint %s\n",
		     sign_key_kind_name(k->kind), hex, fpr);
	sodium_memzero(hex, sizeof(hex));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0) {
		r = error_set(ret_err, -errno, "cannot create '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || (r = write_all(fd, text, (size_t)n)) < 0 ||
	    fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		error_set(ret_err, r, "cannot write '%s': %s", path,
			  strerror(-r));
	}
	if (close(fd) < 0 && r == 0)
		r = error_set(ret_err, -errno, "cannot write '%s': %s", path,
			      strerror(errno));
	if (r < 0)
		unlink(path);
out:
	sodium_memzero(text, sizeof(text));
	return r;
}

int sign_key_load(const char *path, enum sign_key_kind want,
		  struct sign_key *ret, char **ret_err)
{
	char text[SIGN_KEY_FILE_MAX + 1], head[64];
	struct stat st;
	struct sign_key k;
	const char *nl, *hex, *hex_end;
	size_t got = 0, bin_len = 0;
	ssize_t n;
	int fd, r = 0;

	sign_init();
	memset(&k, 0, sizeof(k));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return error_set(ret_err, -errno, "cannot open key '%s': %s",
				 path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = error_set(ret_err, -EINVAL,
			      "key '%s' is not a regular file", path);
		goto out;
	}
	if (kind_is_secret(want) && (st.st_mode & 0077)) {
		r = error_set(ret_err, -EPERM,
			      "secret key '%s' is readable by others (mode "
			      "%03o); chmod 600 it",
			      path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while (got < SIGN_KEY_FILE_MAX &&
	       (n = read(fd, text + got, SIGN_KEY_FILE_MAX - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = error_set(ret_err, -errno, "cannot read '%s': %s",
				      path, strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	text[got] = '\0';
	snprintf(head, sizeof(head), "rdiag-key/1 %s\n",
		 sign_key_kind_name(want));
	if (strncmp(text, head, strlen(head)) != 0) {
		const char *what = "not an rdiag key file";

		for (int i = 0; i < 4; i++) {
			snprintf(head, sizeof(head), "rdiag-key/1 %s\n",
				 kind_names[i]);
			if (strncmp(text, head, strlen(head)) == 0)
				what = kind_names[i];
		}
		r = error_set(ret_err, -EINVAL,
			      "key '%s' is %s, need an %s key", path, what,
			      sign_key_kind_name(want));
		goto out;
	}
	hex = text + strlen(head);
	nl = strchr(hex, '\n');
	hex_end = nl ? nl : hex + strlen(hex);
	k.kind = want;
	k.len = kind_lens[want];
	if (sodium_hex2bin(k.key, sizeof(k.key), hex, (size_t)(hex_end - hex),
			   NULL, &bin_len, NULL) != 0 ||
	    bin_len != k.len) {
		r = error_set(ret_err, -EINVAL, "key '%s' is damaged", path);
		goto out;
	}
	if (want == SIGN_KEY_ENCRYPT_SECRET)
		crypto_scalarmult_base(k.pub, k.key);
	*ret = k;
out:
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(text, sizeof(text));
	close(fd);
	return r;
}

char *sign_manifest(const struct sign_key *secret, const void *m, size_t len)
{
	unsigned char sig[crypto_sign_BYTES];
	char sig_hex[sizeof(sig) * 2 + 1];
	char pub_hex[crypto_sign_PUBLICKEYBYTES * 2 + 1];

	assert(secret->kind == SIGN_KEY_SIGN_SECRET);
	sign_init();
	crypto_sign_detached(sig, NULL, m, len, secret->key);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	sodium_bin2hex(pub_hex, sizeof(pub_hex),
		       secret->key + crypto_sign_SEEDBYTES,
		       crypto_sign_PUBLICKEYBYTES);
	return xasprintf(SIGN_SIG_PREFIX "%s %s\n", pub_hex, sig_hex);
}

int sign_verify_manifest(const char *sig, size_t sig_len, const void *m,
			 size_t m_len, const struct sign_key *trusted,
			 char ret_fpr[SIGN_FPR_LEN + 1], char **ret_err)
{
	unsigned char pub[crypto_sign_PUBLICKEYBYTES], s[crypto_sign_BYTES];
	size_t plen = strlen(SIGN_SIG_PREFIX), got = 0;
	const char *p, *end = sig + sig_len, *sp;
	char fpr[SIGN_FPR_LEN + 1];

	sign_init();
	if (sig_len > SIGN_SIG_MAX || sig_len < plen ||
	    memcmp(sig, SIGN_SIG_PREFIX, plen) != 0)
		return error_set(ret_err, -EBADMSG,
				 "manifest.sig is not an rdiag-sig/1 ed25519 "
				 "signature");
	p = sig + plen;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp ||
	    sodium_hex2bin(pub, sizeof(pub), p, (size_t)(sp - p), NULL, &got,
			   NULL) != 0 ||
	    got != sizeof(pub))
		return error_set(ret_err, -EBADMSG,
				 "manifest.sig has a damaged public key");
	p = sp + 1;
	if (end > p && end[-1] == '\n')
		end--;
	if (sodium_hex2bin(s, sizeof(s), p, (size_t)(end - p), NULL, &got,
			   NULL) != 0 ||
	    got != sizeof(s))
		return error_set(ret_err, -EBADMSG,
				 "manifest.sig has a damaged signature");
	sign_fingerprint(pub, sizeof(pub), fpr);
	if (trusted) {
		char tfpr[SIGN_FPR_LEN + 1];

		sign_fingerprint(trusted->key, trusted->len, tfpr);
		if (trusted->len != sizeof(pub) ||
		    sodium_memcmp(trusted->key, pub, sizeof(pub)) != 0)
			return error_set(ret_err, -EPERM,
					 "signed by key %s, not by the trusted "
					 "key %s",
					 fpr, tfpr);
	}
	if (crypto_sign_verify_detached(s, m, m_len, pub) != 0)
		return error_set(ret_err, -EBADMSG,
				 "the signature of key %s does not match "
				 "manifest.json (changed after signing)",
				 fpr);
	memcpy(ret_fpr, fpr, sizeof(fpr));
	return 0;
}

bool sign_is_encrypted(const void *head, size_t len)
{
	return len >= SIGN_ENC_MAGIC_LEN &&
	       memcmp(head, SIGN_ENC_MAGIC, SIGN_ENC_MAGIC_LEN) == 0;
}

/* Read up to len bytes; fewer only at end of file. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int sign_encrypt_fd(const struct sign_key *recipient, int in_fd, int out_fd,
		    char **ret_err)
{
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char sealed[crypto_box_SEALBYTES + sizeof(key)];
	unsigned char hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char *in = NULL, *out = NULL;
	ssize_t n;
	int r;

	sign_init();
	if (recipient->kind != SIGN_KEY_ENCRYPT_PUBLIC)
		return error_set(ret_err, -EINVAL,
				 "encryption needs an x25519-public key");
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(sealed, key, sizeof(key), recipient->key) != 0) {
		r = error_set(ret_err, -EINVAL, "cannot seal the bundle key");
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	if ((r = write_all(out_fd, SIGN_ENC_MAGIC, SIGN_ENC_MAGIC_LEN)) < 0 ||
	    (r = write_all(out_fd, sealed, sizeof(sealed))) < 0 ||
	    (r = write_all(out_fd, hdr, sizeof(hdr))) < 0) {
		error_set(ret_err, r, "cannot write the encrypted bundle: %s",
			  strerror(-r));
		goto out;
	}
	in = xmalloc(SIGN_ENC_CHUNK);
	out = xmalloc(SIGN_ENC_CHUNK +
		      crypto_secretstream_xchacha20poly1305_ABYTES);
	/*
	 * Every chunk but the last is exactly SIGN_ENC_CHUNK bytes; the last
	 * one (possibly empty) carries TAG_FINAL, so a cut file is noticed.
	 */
	for (;;) {
		unsigned long long clen;
		unsigned char tag;

		n = read_full(in_fd, in, SIGN_ENC_CHUNK);
		if (n < 0) {
			r = error_set(ret_err, (int)n,
				      "cannot read the bundle to encrypt: %s",
				      strerror((int)-n));
			goto out;
		}
		tag = n < SIGN_ENC_CHUNK
			      ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
			      : 0;
		crypto_secretstream_xchacha20poly1305_push(
			&st, out, &clen, in, (unsigned long long)n, NULL, 0,
			tag);
		if ((r = write_all(out_fd, out, (size_t)clen)) < 0) {
			error_set(ret_err, r,
				  "cannot write the encrypted bundle: %s",
				  strerror(-r));
			goto out;
		}
		if (tag)
			break;
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	if (in)
		sodium_memzero(in, SIGN_ENC_CHUNK);
	free(in);
	free(out);
	return r;
}

int sign_decrypt_fd(const struct sign_key *secret, int in_fd, int out_fd,
		    uint64_t max_out, char **ret_err)
{
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char sealed[crypto_box_SEALBYTES + sizeof(key)];
	unsigned char hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char magic[SIGN_ENC_MAGIC_LEN];
	const size_t cchunk =
		SIGN_ENC_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES;
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char *in = NULL, *out = NULL;
	uint64_t total = 0;
	ssize_t n;
	int r;

	sign_init();
	if (secret->kind != SIGN_KEY_ENCRYPT_SECRET)
		return error_set(ret_err, -EINVAL,
				 "decryption needs an x25519-secret key");
	if (read_full(in_fd, magic, sizeof(magic)) != sizeof(magic) ||
	    !sign_is_encrypted(magic, sizeof(magic)))
		return error_set(ret_err, -EBADMSG,
				 "not an encrypted rdiag bundle");
	if (read_full(in_fd, sealed, sizeof(sealed)) != sizeof(sealed) ||
	    read_full(in_fd, hdr, sizeof(hdr)) != sizeof(hdr))
		return error_set(ret_err, -EBADMSG,
				 "encrypted bundle is truncated (header)");
	if (crypto_box_seal_open(key, sealed, sizeof(sealed), secret->pub,
				 secret->key) != 0)
		return error_set(ret_err, -EACCES,
				 "bundle is not encrypted for this key (or its "
				 "header was changed)");
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, key) !=
	    0) {
		r = error_set(ret_err, -EBADMSG,
			      "encrypted bundle has a damaged header");
		goto out;
	}
	in = xmalloc(cchunk);
	out = xmalloc(SIGN_ENC_CHUNK);
	for (;;) {
		unsigned long long mlen;
		unsigned char tag;

		n = read_full(in_fd, in, cchunk);
		if (n < 0) {
			r = error_set(ret_err, (int)n,
				      "cannot read the encrypted bundle: %s",
				      strerror((int)-n));
			goto out;
		}
		if (n < crypto_secretstream_xchacha20poly1305_ABYTES) {
			r = error_set(ret_err, -EBADMSG,
				      "encrypted bundle is truncated after "
				      "%llu bytes of plain text",
				      (unsigned long long)total);
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(
			    &st, out, &mlen, &tag, in, (unsigned long long)n,
			    NULL, 0) != 0) {
			r = error_set(ret_err, -EBADMSG,
				      "encrypted bundle was changed or cut "
				      "(chunk after %llu bytes does not "
				      "authenticate)",
				      (unsigned long long)total);
			goto out;
		}
		total += mlen;
		if (total > max_out) {
			r = error_set(ret_err, -EFBIG,
				      "decrypted bundle is larger than %llu "
				      "bytes",
				      (unsigned long long)max_out);
			goto out;
		}
		if ((r = write_all(out_fd, out, (size_t)mlen)) < 0) {
			error_set(ret_err, r,
				  "cannot write the decrypted bundle: %s",
				  strerror(-r));
			goto out;
		}
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
			break;
		if ((size_t)n < cchunk) {
			r = error_set(ret_err, -EBADMSG,
				      "encrypted bundle is truncated after "
				      "%llu bytes of plain text",
				      (unsigned long long)total);
			goto out;
		}
	}
	/* Nothing may follow the final chunk. */
	if (read_full(in_fd, magic, 1) != 0) {
		r = error_set(ret_err, -EBADMSG,
			      "encrypted bundle has data after its end");
		goto out;
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	if (out)
		sodium_memzero(out, SIGN_ENC_CHUNK);
	free(in);
	free(out);
	return r;
}
