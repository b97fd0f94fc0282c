/*
 * Sealed staging files (see stagecrypt.h): libsodium's secretstream
 * (XChaCha20-Poly1305) in 64 KiB chunks after a short magic and the
 * stream header. The last chunk carries the FINAL tag, so a file cut short
 * by a kill or a full disk is refused rather than opened partly.
 */
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stagecrypt.h"
#include "rdiag/util.h"

#define STAGECRYPT_CHUNK     65536
#define STAGECRYPT_MAGIC     "RDSTAGE1"
#define STAGECRYPT_MAGIC_LEN 8
#define STAGECRYPT_SEALED \
	(STAGECRYPT_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)

_Static_assert(STAGECRYPT_KEY_BYTES ==
		       crypto_secretstream_xchacha20poly1305_KEYBYTES,
	       "key size");

unsigned char *stagecrypt_key_new(void)
{
	unsigned char *key;

	if (sodium_init() < 0)
		return NULL;
	/* sodium_malloc: guarded pages, locked when the limit allows. */
	key = sodium_malloc(STAGECRYPT_KEY_BYTES);
	if (!key)
		return NULL;
	crypto_secretstream_xchacha20poly1305_keygen(key);
	return key;
}

void stagecrypt_key_free(unsigned char *key)
{
	/* sodium_free zeroes the memory before it lets it go. */
	if (key)
		sodium_free(key);
}

int stagecrypt_seal(const unsigned char *key, int in_fd, int out_fd)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char hdr[STAGECRYPT_MAGIC_LEN +
			  crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char *plain = xmalloc(STAGECRYPT_CHUNK + 1);
	unsigned char *sealed = xmalloc(STAGECRYPT_SEALED);
	ssize_t n, next;
	int r;

	memcpy(hdr, STAGECRYPT_MAGIC, STAGECRYPT_MAGIC_LEN);
	crypto_secretstream_xchacha20poly1305_init_push(
		&st, hdr + STAGECRYPT_MAGIC_LEN, key);
	if ((r = write_all(out_fd, hdr, sizeof(hdr))) < 0)
		goto out;
	/* From the start, wherever the writer left the offset. */
	if (lseek(in_fd, 0, SEEK_SET) < 0) {
		r = -errno;
		goto out;
	}
	/* One byte of look-ahead tells the last chunk from the others. */
	if ((n = read_full(in_fd, plain, STAGECRYPT_CHUNK + 1)) < 0) {
		r = (int)n;
		goto out;
	}
	for (;;) {
		bool last = n <= STAGECRYPT_CHUNK;
		size_t len = last ? (size_t)n : STAGECRYPT_CHUNK;
		unsigned long long clen;

		crypto_secretstream_xchacha20poly1305_push(
			&st, sealed, &clen, plain, len, NULL, 0,
			last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
			     : 0);
		if ((r = write_all(out_fd, sealed, (size_t)clen)) < 0)
			goto out;
		if (last)
			break;
		plain[0] = plain[STAGECRYPT_CHUNK];
		next = read_full(in_fd, plain + 1, STAGECRYPT_CHUNK);
		if (next < 0) {
			r = (int)next;
			goto out;
		}
		n = next + 1;
	}
	r = 0;
out:
	sodium_memzero(plain, STAGECRYPT_CHUNK + 1);
	sodium_memzero(&st, sizeof(st));
	free(plain);
	free(sealed);
	return r;
}

int stagecrypt_open(const unsigned char *key, int in_fd, int out_fd)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char hdr[STAGECRYPT_MAGIC_LEN +
			  crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char *plain = xmalloc(STAGECRYPT_CHUNK);
	unsigned char *sealed = xmalloc(STAGECRYPT_SEALED + 1);
	unsigned char tag = 0;
	ssize_t n;
	int r = -EBADMSG;

	if ((n = read_full(in_fd, hdr, sizeof(hdr))) < 0) {
		r = (int)n;
		goto out;
	}
	/* Not sealed at all: written where no file can be nameless. */
	if ((size_t)n < STAGECRYPT_MAGIC_LEN ||
	    memcmp(hdr, STAGECRYPT_MAGIC, STAGECRYPT_MAGIC_LEN) != 0) {
		r = -ENOMSG;
		goto out;
	}
	if ((size_t)n != sizeof(hdr) ||
	    crypto_secretstream_xchacha20poly1305_init_pull(
		    &st, hdr + STAGECRYPT_MAGIC_LEN, key) != 0)
		goto out;
	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		unsigned long long plen;

		n = read_full(in_fd, sealed, STAGECRYPT_SEALED);
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
		    crypto_secretstream_xchacha20poly1305_pull(
			    &st, plain, &plen, &tag, sealed, (size_t)n, NULL,
			    0) != 0) {
			r = -EBADMSG;
			goto out;
		}
		/* Only the last chunk may be short. */
		if (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL &&
		    n != STAGECRYPT_SEALED) {
			r = -EBADMSG;
			goto out;
		}
		if ((r = write_all(out_fd, plain, (size_t)plen)) < 0)
			goto out;
	}
	/* Nothing may follow the final chunk. */
	n = read_full(in_fd, sealed, 1);
	r = n < 0 ? (int)n : n > 0 ? -EBADMSG : 0;
out:
	sodium_memzero(plain, STAGECRYPT_CHUNK);
	sodium_memzero(&st, sizeof(st));
	free(plain);
	free(sealed);
	return r;
}
