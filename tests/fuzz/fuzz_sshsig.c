/*
 * libFuzzer harness: OpenSSH's formats as rdiag reads them from a file
 * someone else wrote (core/sshsig.h). The first byte picks the parser: an
 * armored SSHSIG (then checked against a fixed digest and key), an
 * openssh-key-v1 private key, or a public key / allowed_signers file. The
 * rest is armored for the first two when it is not already, so the wire
 * parsers behind the base64 are reached.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* BEGIN line, base64 of data, END line (caller frees). */
static char *wrap(const char *begin, const char *end, const uint8_t *data,
		  size_t size)
{
	size_t b =
		sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(strlen(begin) + strlen(end) + b + 4);

	if (!out)
		abort();
	strcpy(out, begin);
	strcat(out, "\n");
	sodium_bin2base64(out + strlen(out), b, data, size,
			  sodium_base64_VARIANT_ORIGINAL);
	strcat(out, "\n");
	strcat(out, end);
	strcat(out, "\n");
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_key k,
		trusted = { .kind = SIGN_KEY_SIGN_PUBLIC, .len = 32 };
	unsigned char d[64] = { 1 };
	struct sshsig s;
	char *err = NULL, *text;

	if (size < 1 || size > 8192 || sodium_init() < 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (sshsig_parse((const char *)data + 1, size - 1, &s, &err) ==
		    0)
			(void)sshsig_check(&s, d, s.sha256 ? 32 : 64, &trusted,
					   "x", &err);
		break;
	case 1:
		text = wrap(SSHSIG_ARMOR_BEGIN, "-----END SSH SIGNATURE-----",
			    data + 1, size - 1);
		if (sshsig_parse(text, strlen(text), &s, &err) == 0)
			(void)sshsig_check(&s, d, s.sha256 ? 32 : 64, NULL, "x",
					   &err);
		free(text);
		break;
	case 2:
		text = wrap(SSHKEY_ARMOR_BEGIN,
			    "-----END OPENSSH PRIVATE KEY-----", data + 1,
			    size - 1);
		(void)sshkey_parse_private(text, strlen(text), &k, &err);
		free(err);
		err = NULL;
		(void)sshkey_parse_private((const char *)data + 1, size - 1, &k,
					   &err);
		free(text);
		break;
	default:
		(void)sshkey_is_public_text((const char *)data + 1, size - 1);
		(void)sshkey_parse_public((const char *)data + 1, size - 1, &k,
					  &err);
		break;
	}
	free(err);
	return 0;
}
