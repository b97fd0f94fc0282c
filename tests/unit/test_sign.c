/*
 * Unit tests for sign: key files (modes, kinds, damage), manifest
 * signatures (good, tampered, wrong key) and bundle encryption round trips
 * at chunk boundaries, with a wrong key, cut, changed, extended and
 * oversized input.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sign.h"
#include "platform/fsutil.h"
#include "rdiag/util.h"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = xstrdup("/tmp/rdiag-test-sign-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

/* An unlinked temporary file holding len bytes of data (or empty). */
static int temp_fd(const void *data, size_t len)
{
	char *p = xasprintf("%s/t-XXXXXX", tmpdir);
	int fd = mkstemp(p);

	assert_true(fd >= 0);
	unlink(p);
	free(p);
	if (len)
		assert_int_equal(write_all(fd, data, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static size_t fd_read_all(int fd, unsigned char **ret)
{
	struct stat st;
	unsigned char *b;

	assert_int_equal(fstat(fd, &st), 0);
	b = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	*ret = b;
	return (size_t)st.st_size;
}

static void test_key_files(void **state)
{
	struct sign_key sec, pub, got;
	char *sp = xasprintf("%s/k.key", tmpdir),
	     *pp = xasprintf("%s/k.pub", tmpdir);
	char *err = NULL;
	struct stat st;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	assert_int_equal(sign_key_save(&sec, sp, &err), 0);
	assert_int_equal(sign_key_save(&pub, pp, &err), 0);
	assert_int_equal(stat(sp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* Never over an existing file. */
	assert_int_equal(sign_key_save(&sec, sp, &err), -EEXIST);
	free(err);
	err = NULL;
	assert_int_equal(sign_key_load(sp, SIGN_KEY_SIGN_SECRET, &got, &err),
			 0);
	assert_memory_equal(got.key, sec.key, sec.len);
	assert_int_equal(sign_key_load(pp, SIGN_KEY_SIGN_PUBLIC, &got, &err),
			 0);
	assert_memory_equal(got.key, pub.key, pub.len);
	/* The wrong kind names what it is. */
	assert_int_equal(sign_key_load(pp, SIGN_KEY_ENCRYPT_PUBLIC, &got, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "ed25519-public"));
	free(err);
	err = NULL;
	/* A secret key others can read is refused. */
	assert_int_equal(chmod(sp, 0640), 0);
	assert_int_equal(sign_key_load(sp, SIGN_KEY_SIGN_SECRET, &got, &err),
			 -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	free(err);
	err = NULL;
	free(sp);
	free(pp);
}

static void test_key_damaged(void **state)
{
	static const char *const bodies[] = {
		"",
		"hello\n",
		"rdiag-key/1 ed25519-public\nzz\n",
		"rdiag-key/1 ed25519-public\n0011\n",
		"rdiag-key/1 ed25519-public\n",
	};
	struct sign_key got;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		char *p = xasprintf("%s/bad%zu.pub", tmpdir, i), *err = NULL;
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write_all(fd, bodies[i], strlen(bodies[i])),
				 0);
		close(fd);
		assert_int_equal(
			sign_key_load(p, SIGN_KEY_SIGN_PUBLIC, &got, &err),
			-EINVAL);
		assert_non_null(err);
		free(err);
		free(p);
	}
}

static void test_signature(void **state)
{
	static const char m[] = "{\"format\": \"rdiag-bundle/1\"}\n";
	struct sign_key sec, pub, sec2, pub2;
	char fpr[SIGN_FPR_LEN + 1], *sig, *err = NULL;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	sign_keypair_new(false, &sec2, &pub2);
	sig = sign_manifest(&sec, m, strlen(m));
	assert_int_equal(sign_verify_manifest(sig, strlen(sig), m, strlen(m),
					      &pub, fpr, &err),
			 0);
	assert_int_equal(strlen(fpr), SIGN_FPR_LEN);
	/* Without a trusted key: integrity only. */
	assert_int_equal(sign_verify_manifest(sig, strlen(sig), m, strlen(m),
					      NULL, fpr, &err),
			 0);
	/* A changed manifest. */
	assert_int_equal(sign_verify_manifest(sig, strlen(sig), m,
					      strlen(m) - 1, &pub, fpr, &err),
			 -EBADMSG);
	free(err);
	err = NULL;
	/* Signed by someone else. */
	assert_int_equal(sign_verify_manifest(sig, strlen(sig), m, strlen(m),
					      &pub2, fpr, &err),
			 -EPERM);
	assert_non_null(strstr(err, "not by the trusted key"));
	free(err);
	err = NULL;
	/* A damaged signature text. */
	sig[strlen(sig) - 3] = sig[strlen(sig) - 3] == '0' ? '1' : '0';
	assert_int_equal(sign_verify_manifest(sig, strlen(sig), m, strlen(m),
					      NULL, fpr, &err),
			 -EBADMSG);
	free(err);
	err = NULL;
	assert_int_equal(
		sign_verify_manifest("junk", 4, m, strlen(m), NULL, fpr, &err),
		-EBADMSG);
	free(err);
	free(sig);
}

/* Encrypt data for pub; return the ciphertext fd (at 0). */
static int encrypt_buf(const struct sign_key *pub, const void *data, size_t len)
{
	int in = temp_fd(data, len), out = temp_fd(NULL, 0);
	char *err = NULL;

	assert_int_equal(sign_encrypt_fd(pub, in, out, &err), 0);
	close(in);
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	return out;
}

static void test_encrypt_round_trip(void **state)
{
	static const size_t sizes[] = { 0,
					1,
					SIGN_ENC_CHUNK - 1,
					SIGN_ENC_CHUNK,
					SIGN_ENC_CHUNK + 1,
					3 * SIGN_ENC_CHUNK + 17 };
	struct sign_key sec, pub;

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *data = xmalloc(sizes[i] + 1), *got = NULL;
		int c, p = temp_fd(NULL, 0);
		char *err = NULL;
		unsigned char head[SIGN_ENC_MAGIC_LEN];

		for (size_t k = 0; k < sizes[i]; k++)
			data[k] = (unsigned char)(k * 31 + i);
		c = encrypt_buf(&pub, data, sizes[i]);
		assert_int_equal(pread(c, head, sizeof(head), 0), sizeof(head));
		assert_true(sign_is_encrypted(head, sizeof(head)));
		assert_int_equal(sign_decrypt_fd(&sec, c, p, 1ull << 30, &err),
				 0);
		assert_int_equal(fd_read_all(p, &got), sizes[i]);
		if (sizes[i])
			assert_memory_equal(got, data, sizes[i]);
		free(got);
		free(data);
		close(c);
		close(p);
	}
}

static void test_encrypt_hostile(void **state)
{
	struct sign_key sec, pub, sec2, pub2;
	size_t len = 2 * SIGN_ENC_CHUNK + 100, clen;
	unsigned char *data = xcalloc(1, len), *ct = NULL;
	int c;

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	sign_keypair_new(true, &sec2, &pub2);
	c = encrypt_buf(&pub, data, len);
	clen = fd_read_all(c, &ct);
	close(c);

	{ /* wrong key */
		int in = temp_fd(ct, clen), out = temp_fd(NULL, 0);
		char *err = NULL;

		assert_int_equal(
			sign_decrypt_fd(&sec2, in, out, 1ull << 30, &err),
			-EACCES);
		assert_non_null(strstr(err, "not encrypted for this key"));
		free(err);
		close(in);
		close(out);
	}
	/* Cut anywhere: in the header, inside a chunk, at a chunk boundary. */
	{
		const size_t cuts[] = { 0,
					5,
					SIGN_ENC_MAGIC_LEN + 30,
					clen / 2,
					SIGN_ENC_MAGIC_LEN + 80 + 24 +
						SIGN_ENC_CHUNK + 17,
					clen - 1 };

		for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
			int in = temp_fd(ct, cuts[i]), out = temp_fd(NULL, 0);
			char *err = NULL;

			assert_true(sign_decrypt_fd(&sec, in, out, 1ull << 30,
						    &err) < 0);
			assert_non_null(err);
			free(err);
			close(in);
			close(out);
		}
	}
	/* One changed byte in each part. */
	{
		const size_t at[] = { 3, SIGN_ENC_MAGIC_LEN + 10,
				      SIGN_ENC_MAGIC_LEN + 80 + 5, clen - 20 };

		for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
			int in, out = temp_fd(NULL, 0);
			char *err = NULL;

			ct[at[i]] ^= 0x40;
			in = temp_fd(ct, clen);
			assert_true(sign_decrypt_fd(&sec, in, out, 1ull << 30,
						    &err) < 0);
			free(err);
			ct[at[i]] ^= 0x40;
			close(in);
			close(out);
		}
	}
	{ /* appended data, and a plain text larger than allowed */
		unsigned char *longer = xmalloc(clen + 3);
		int in, out = temp_fd(NULL, 0);
		char *err = NULL;

		memcpy(longer, ct, clen);
		memcpy(longer + clen, "xyz", 3);
		in = temp_fd(longer, clen + 3);
		assert_int_equal(
			sign_decrypt_fd(&sec, in, out, 1ull << 30, &err),
			-EBADMSG);
		free(err);
		err = NULL;
		close(in);
		close(out);
		in = temp_fd(ct, clen);
		out = temp_fd(NULL, 0);
		assert_int_equal(sign_decrypt_fd(&sec, in, out, 1000, &err),
				 -EFBIG);
		free(err);
		close(in);
		close(out);
		free(longer);
	}
	free(ct);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_key_damaged),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_encrypt_round_trip),
		cmocka_unit_test(test_encrypt_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
