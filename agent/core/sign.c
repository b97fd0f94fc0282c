/*
 * Key files in every format rdiag reads, and the rdiag 0.1 manifest
 * signature and encrypted-bundle format kept readable (see sign.h,
 * docs/review.md). Key material lives only in struct sign_key and buffers
 * that are wiped with sodium_memzero before they go out of scope.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/age.h"
#include "core/error.h"
#include "core/sign.h"
#include "core/sshsig.h"
#include "rdiag/util.h"

/* An allowed_signers file may hold comments and options. */
#define SIGN_KEY_FILE_MAX 8192
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

/* Create path (O_EXCL, never through a link) holding text. */
static int key_file_write(const char *path, const char *text, bool secret,
			  char **ret_err)
{
	mode_t mode = secret ? 0600 : 0644;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return error_set(ret_err, -errno, "cannot create '%s': %s",
				 path, strerror(errno));
	if (fchmod(fd, mode) < 0 ||
	    (r = write_all(fd, text, strlen(text))) < 0 || fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		error_set(ret_err, r, "cannot write '%s': %s", path,
			  strerror(-r));
	}
	if (close(fd) < 0 && r == 0)
		r = error_set(ret_err, -errno, "cannot write '%s': %s", path,
			      strerror(errno));
	if (r < 0)
		unlink(path);
	return r;
}

int sign_key_save(const struct sign_key *k, const char *path, char **ret_err)
{
	char hex[SIGN_KEY_MAX * 2 + 1], fpr[SIGN_FPR_LEN + 1];
	char text[SIGN_KEY_FILE_MAX];
	const unsigned char *pub =
		k->kind == SIGN_KEY_SIGN_SECRET ? k->key + crypto_sign_SEEDBYTES
		: k->kind == SIGN_KEY_ENCRYPT_SECRET ? k->pub
						     : k->key;
	int r;

	sign_fingerprint(pub, 32, fpr);
	sodium_bin2hex(hex, sizeof(hex), k->key, k->len);
	snprintf(text, sizeof(text), "rdiag-key/1 %s\n%s\n# fingerprint %s\n",
		 sign_key_kind_name(k->kind), hex, fpr);
	sodium_memzero(hex, sizeof(hex));
	r = key_file_write(path, text, kind_is_secret(k->kind), ret_err);
	sodium_memzero(text, sizeof(text));
	return r;
}

int sign_key_save_std(const struct sign_key *k, const char *path,
		      const char *comment, char **ret_err)
{
	char *text, *id = NULL, *rcpt = NULL, stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	switch (k->kind) {
	case SIGN_KEY_SIGN_SECRET:
		text = sshkey_private_text(k, comment);
		break;
	case SIGN_KEY_SIGN_PUBLIC:
		text = sshkey_public_text(k, comment);
		break;
	case SIGN_KEY_ENCRYPT_SECRET:
		/* The same three lines age-keygen writes. */
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		id = age_identity_text(k);
		rcpt = age_recipient_text(k);
		text = xasprintf("# created: %s\n# public key: %s\n%s\n", stamp,
				 rcpt, id);
		break;
	default:
		rcpt = age_recipient_text(k);
		text = xasprintf("%s\n", rcpt);
		break;
	}
	r = key_file_write(path, text, kind_is_secret(k->kind), ret_err);
	if (id)
		sodium_memzero(id, strlen(id));
	sodium_memzero(text, strlen(text));
	free(id);
	free(rcpt);
	free(text);
	return r;
}

void sign_key_describe(const struct sign_key *k, char ret[SIGN_DESC_MAX])
{
	char *rcpt;

	if (k->kind == SIGN_KEY_SIGN_PUBLIC ||
	    k->kind == SIGN_KEY_SIGN_SECRET) {
		sshkey_fingerprint(k->kind == SIGN_KEY_SIGN_SECRET
					   ? k->key + crypto_sign_SEEDBYTES
					   : k->key,
				   ret);
		return;
	}
	rcpt = age_recipient_text(k);
	snprintf(ret, SIGN_DESC_MAX, "%s", rcpt);
	free(rcpt);
}

/* rdiag-key/1 text (the format before OpenSSH and age keys). */
static int parse_rdiag_key(const char *text, enum sign_key_kind *ret_kind,
			   struct sign_key *ret)
{
	const char *nl, *hex, *hex_end;
	char head[64];
	size_t bin_len = 0;

	for (int i = 0; i < 4; i++) {
		snprintf(head, sizeof(head), "rdiag-key/1 %s\n", kind_names[i]);
		if (strncmp(text, head, strlen(head)) != 0)
			continue;
		*ret_kind = (enum sign_key_kind)i;
		hex = text + strlen(head);
		nl = strchr(hex, '\n');
		hex_end = nl ? nl : hex + strlen(hex);
		ret->kind = (enum sign_key_kind)i;
		ret->len = kind_lens[i];
		if (sodium_hex2bin(ret->key, sizeof(ret->key), hex,
				   (size_t)(hex_end - hex), NULL, &bin_len,
				   NULL) != 0 ||
		    bin_len != ret->len)
			return -EBADMSG;
		return 0;
	}
	return -ENOENT;
}

/* Which kind of key text is this? -ENOENT when none rdiag knows. */
static int detect_kind(const char *text, size_t len,
		       enum sign_key_kind *ret_kind)
{
	int age = age_key_text_kind(text, len);

	if (strncmp(text, "rdiag-key/1 ", 12) == 0)
		return 1;
	if (strstr(text, SSHKEY_ARMOR_BEGIN))
		*ret_kind = SIGN_KEY_SIGN_SECRET;
	else if (age == 1)
		*ret_kind = SIGN_KEY_ENCRYPT_SECRET;
	else if (age == 2)
		*ret_kind = SIGN_KEY_ENCRYPT_PUBLIC;
	else if (sshkey_is_public_text(text, len))
		*ret_kind = SIGN_KEY_SIGN_PUBLIC;
	else
		return -ENOENT;
	return 0;
}

static const char *const kind_words[] = {
	[SIGN_KEY_SIGN_SECRET] = "a secret signing key",
	[SIGN_KEY_SIGN_PUBLIC] = "a public signing key",
	[SIGN_KEY_ENCRYPT_SECRET] = "a secret encryption key (age identity)",
	[SIGN_KEY_ENCRYPT_PUBLIC] = "a public encryption key (age recipient)",
};

int sign_key_load(const char *path, enum sign_key_kind want,
		  struct sign_key *ret, char **ret_err)
{
	char *text = xmalloc(SIGN_KEY_FILE_MAX + 1), *err = NULL;
	enum sign_key_kind kind = want;
	struct stat st;
	struct sign_key k;
	ssize_t got;
	int fd, r = 0;

	sign_init();
	memset(&k, 0, sizeof(k));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	/* An age recipient may be given as itself, as to age -r. */
	if (fd < 0 && errno == ENOENT && want == SIGN_KEY_ENCRYPT_PUBLIC &&
	    strncmp(path, "age1", 4) == 0) {
		r = age_parse_recipient(path, strlen(path), &k, &err);
		if (r < 0)
			r = error_set(ret_err, r, "'%.80s' %s", path, err);
		else
			*ret = k;
		goto out;
	}
	if (fd < 0) {
		r = error_set(ret_err, -errno, "cannot open key '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = error_set(ret_err, -EINVAL,
			      "key '%s' is not a regular file", path);
		goto out;
	}
	got = read_full(fd, text, SIGN_KEY_FILE_MAX + 1);
	if (got < 0) {
		r = error_set(ret_err, (int)got, "cannot read '%s': %s", path,
			      strerror((int)-got));
		goto out;
	}
	if (got > SIGN_KEY_FILE_MAX) {
		r = error_set(ret_err, -EINVAL,
			      "key '%s' is larger than %d bytes; not a key "
			      "file",
			      path, SIGN_KEY_FILE_MAX);
		goto out;
	}
	text[got] = '\0';
	if (memchr(text, '\0', (size_t)got)) {
		r = error_set(ret_err, -EINVAL, "key '%s' is not a key file",
			      path);
		goto out;
	}
	/* What it is comes first: a public key needs no "chmod 600". */
	r = detect_kind(text, (size_t)got, &kind);
	if (r == 1) {
		r = parse_rdiag_key(text, &kind, &k);
		if (r == -ENOENT) {
			r = error_set(ret_err, -EINVAL,
				      "key '%s' is not an rdiag key file, "
				      "need an %s key",
				      path, sign_key_kind_name(want));
			goto out;
		}
		if (kind == want && r < 0) {
			r = error_set(ret_err, -EINVAL, "key '%s' is damaged",
				      path);
			goto out;
		}
		if (kind != want) {
			r = error_set(ret_err, -EINVAL,
				      "key '%s' is %s, need an %s key", path,
				      kind_names[kind],
				      sign_key_kind_name(want));
			goto out;
		}
	} else if (r < 0) {
		r = error_set(ret_err, -EINVAL,
			      "key '%s' is not a key rdiag reads (OpenSSH "
			      "Ed25519, age X25519 or rdiag-key/1), need %s",
			      path, kind_words[want]);
		goto out;
	} else if (kind != want) {
		r = error_set(ret_err, -EINVAL, "key '%s' is %s, need %s", path,
			      kind_words[kind], kind_words[want]);
		goto out;
	}
	if (kind_is_secret(want) && (st.st_mode & 0077)) {
		r = error_set(ret_err, -EPERM,
			      "secret key '%s' is readable by others (mode "
			      "%03o); chmod 600 it",
			      path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (k.len == 0) {
		switch (want) {
		case SIGN_KEY_SIGN_SECRET:
			r = sshkey_parse_private(text, (size_t)got, &k, &err);
			break;
		case SIGN_KEY_SIGN_PUBLIC:
			r = sshkey_parse_public(text, (size_t)got, &k, &err);
			break;
		case SIGN_KEY_ENCRYPT_SECRET:
			r = age_parse_identity(text, (size_t)got, &k, &err);
			break;
		default:
			r = age_parse_recipient(text, (size_t)got, &k, &err);
			break;
		}
		if (r < 0) {
			r = error_set(ret_err, r, "key '%s' %s", path, err);
			goto out;
		}
	}
	if (want == SIGN_KEY_ENCRYPT_SECRET)
		crypto_scalarmult_base(k.pub, k.key);
	*ret = k;
	r = 0;
out:
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(text, SIGN_KEY_FILE_MAX + 1);
	free(text);
	free(err);
	if (fd >= 0)
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
