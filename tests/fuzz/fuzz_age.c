/*
 * libFuzzer harness: the age format as rdiag reads it (core/age.h). Mode
 * byte 0: the header parser with a fixed identity on arbitrary bytes; 1:
 * a valid header and nonce for that identity followed by the input, so the
 * STREAM chunk framing (full, short, empty and last chunks) is reached
 * through age_decrypt_fd(); 2: identity and recipient files; 3: the
 * armor decoder (age -a).
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sign_key id, rcpt;
static unsigned char *prefix;
static size_t prefix_len;

static void init(void)
{
	unsigned char seed[32] = { 19 };
	FILE *in, *out;
	char *err = NULL;
	long n;

	if (prefix)
		return;
	if (sodium_init() < 0)
		abort();
	id.kind = SIGN_KEY_ENCRYPT_SECRET;
	id.len = 32;
	memcpy(id.key, seed, 32);
	crypto_scalarmult_base(id.pub, id.key);
	rcpt.kind = SIGN_KEY_ENCRYPT_PUBLIC;
	rcpt.len = 32;
	memcpy(rcpt.key, id.pub, 32);
	/* Encrypt nothing: what is left without the last chunk's tag. */
	in = tmpfile();
	out = tmpfile();
	if (!in || !out ||
	    age_encrypt_fd(&rcpt, fileno(in), fileno(out), &err) < 0)
		abort();
	n = lseek(fileno(out), 0, SEEK_END);
	prefix_len = (size_t)n - crypto_aead_chacha20poly1305_ietf_ABYTES;
	prefix = malloc(prefix_len);
	if (!prefix ||
	    pread(fileno(out), prefix, prefix_len, 0) != (ssize_t)prefix_len)
		abort();
	fclose(in);
	fclose(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[AGE_FILE_KEY];
	struct sign_key k;
	char *err = NULL;
	size_t hl;
	FILE *in, *out;

	init();
	if (size < 1 || size > 300000)
		return 0;
	switch (data[0] % 4) {
	case 0:
		(void)age_header_parse(data + 1, size - 1, &id, key, &hl, &err);
		break;
	case 1:
		in = tmpfile();
		out = tmpfile();
		if (!in || !out)
			abort();
		if (fwrite(prefix, 1, prefix_len, in) != prefix_len ||
		    fwrite(data + 1, 1, size - 1, in) != size - 1 ||
		    fflush(in) != 0)
			abort();
		lseek(fileno(in), 0, SEEK_SET);
		(void)age_decrypt_fd(&id, fileno(in), fileno(out), 1u << 20,
				     &err);
		fclose(in);
		fclose(out);
		break;
	case 3:
		in = tmpfile();
		out = tmpfile();
		if (!in || !out)
			abort();
		if (fwrite(data + 1, 1, size - 1, in) != size - 1 ||
		    fflush(in) != 0)
			abort();
		lseek(fileno(in), 0, SEEK_SET);
		(void)age_is_armored(data + 1, size - 1);
		(void)age_dearmor_fd(fileno(in), fileno(out), 1u << 20, &err);
		fclose(in);
		fclose(out);
		break;
	default:
		(void)age_key_text_kind((const char *)data + 1, size - 1);
		(void)age_parse_identity((const char *)data + 1, size - 1, &k,
					 &err);
		free(err);
		err = NULL;
		(void)age_parse_recipient((const char *)data + 1, size - 1, &k,
					  &err);
		break;
	}
	free(err);
	return 0;
}
