/*
 * libFuzzer harness: the request token parser and verifier on arbitrary
 * bytes, with a fixed trusted key so well-formed inputs reach the field
 * checks. Inputs starting with 0x01 are instead wrapped in a token signed
 * by that key, so the JSON field parser is fuzzed behind a valid signature.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct request_keyring ring;
static unsigned char sk[crypto_sign_SECRETKEYBYTES];

static void init(void)
{
	unsigned char seed[crypto_sign_SEEDBYTES] = { 7 };

	if (ring.n)
		return;
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(ring.keys[0].key, sk, seed);
	ring.keys[0].kind = SIGN_KEY_SIGN_PUBLIC;
	ring.keys[0].len = 32;
	sign_fingerprint(ring.keys[0].key, 32, ring.fprs[0]);
	ring.n = 1;
}

static void verify(const char *tok, size_t len)
{
	struct request rq;
	enum request_fault f;
	char *err = NULL;

	request_init(&rq);
	(void)request_verify(tok, len, &ring, 1000000, &rq, &f, &err);
	request_release(&rq);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size > 0 && data[0] == 1 && size < 6000) {
		size_t cap = sodium_base64_ENCODED_LEN(
			size - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		unsigned char sig[crypto_sign_BYTES];
		char *tok = malloc(7 + cap + 1 + 100);
		size_t n;

		memcpy(tok, REQUEST_PREFIX, 7);
		sodium_bin2base64(tok + 7, cap, data + 1, size - 1,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		n = strlen(tok);
		crypto_sign_detached(sig, NULL, (unsigned char *)tok, n, sk);
		tok[n++] = '.';
		sodium_bin2base64(tok + n, 100, sig, sizeof(sig),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		verify(tok, strlen(tok));
		free(tok);
		return 0;
	}
	verify((const char *)data, size);
	return 0;
}
