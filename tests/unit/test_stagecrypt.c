/*
 * Unit tests for sealed staging (core/stagecrypt.c) and for a collector ctx
 * given the run's key: the artifact's name in staging holds only
 * ciphertext, which opens with the key and with nothing else.
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

#include "core/ctx.h"
#include "core/stagecrypt.h"
#include "platform/fsutil.h"
#include "platform/platform.h"
#include "rdiag/util.h"

#define SECRET "password = S3cr3tTestOnly\n"

static char *tmp_dir(void)
{
	char *d = xstrdup("/tmp/rdiag-stagecrypt-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static int tmp_file(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd = -1;

	assert_true(dfd >= 0);
	assert_int_equal(platform_create_unnamed(dfd, &fd), 0);
	close(dfd);
	return fd;
}

/* Everything in fd from offset 0, NUL-terminated. */
static char *slurp(int fd, size_t *ret_len)
{
	struct stat st;
	char *s;

	assert_int_equal(fstat(fd, &st), 0);
	s = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, s, (size_t)st.st_size, 0), st.st_size);
	s[st.st_size] = '\0';
	*ret_len = (size_t)st.st_size;
	return s;
}

/* Seal n bytes of a pattern with key; the sealed fd, rewound. */
static int seal_pattern(const char *dir, const unsigned char *key, size_t n)
{
	int in = tmp_file(dir), out = tmp_file(dir);

	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + i % 23);

		assert_int_equal(write(in, &c, 1), 1);
	}
	/* The plain file's offset is at its end: sealing must not care. */
	assert_int_equal(stagecrypt_seal(key, in, out), 0);
	close(in);
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	return out;
}

static void test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000 };
	unsigned char *key = stagecrypt_key_new();
	char *dir = tmp_dir();

	(void)state;
	assert_non_null(key);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		int sealed = seal_pattern(dir, key, sizes[k]);
		int plain = tmp_file(dir);
		size_t len;
		char *s;

		assert_int_equal(stagecrypt_open(key, sealed, plain), 0);
		s = slurp(plain, &len);
		assert_int_equal(len, sizes[k]);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(s[i], (char)('a' + i % 23));
		free(s);
		close(sealed);
		close(plain);
	}
	stagecrypt_key_free(key);
	fs_remove_tree(dir);
	free(dir);
}

/* Another run's key, a flipped byte, a cut or a tail: all -EBADMSG. */
static void test_refuses_damage(void **state)
{
	unsigned char *key = stagecrypt_key_new(),
		      *other = stagecrypt_key_new();
	char *dir = tmp_dir();
	size_t len;
	char *good;
	int sealed = seal_pattern(dir, key, 100000);

	(void)state;
	good = slurp(sealed, &len);
	for (int variant = 0; variant < 5; variant++) {
		int in = tmp_file(dir), out = tmp_file(dir);
		const unsigned char *k = variant == 0 ? other : key;
		size_t n = len;
		char *d = xmalloc(len + 1);

		memcpy(d, good, len);
		if (variant == 1)
			d[len / 2] ^= 1;
		if (variant == 2)
			n = len - 1; /* cut inside the last chunk */
		if (variant == 3)
			n = 32 + 65536 + 17; /* cut at a chunk boundary */
		if (variant == 4)
			d[n++] = 'x'; /* something after the final chunk */
		assert_int_equal(write(in, d, n), (ssize_t)n);
		assert_int_equal(lseek(in, 0, SEEK_SET), 0);
		assert_int_equal(stagecrypt_open(k, in, out), -EBADMSG);
		close(in);
		close(out);
		free(d);
	}
	free(good);
	close(sealed);
	stagecrypt_key_free(key);
	stagecrypt_key_free(other);
	fs_remove_tree(dir);
	free(dir);
}

/* A ctx with the run's key: the named artifact is ciphertext only. */
static void test_ctx_seals_artifacts(void **state)
{
	unsigned char *key = stagecrypt_key_new();
	char *dir = tmp_dir(), *path = xasprintf("%s/sub/app.ini", dir);
	int pipefd[2], fd, in, out;
	struct ctx_params p = { 0 };
	struct collector ccol = { .name = "product" };
	struct collector_ctx *ctx;
	struct stat st;
	size_t len;
	char *s;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	p.collector = &ccol;
	p.out_fd = pipefd[1];
	p.staging_dir = dir;
	p.deadline_ms = now_ms() + 10000;
	p.seal_key = key;
	ctx = ctx_new(&p);
	assert_int_equal(ctx_artifact_create(ctx, "sub/app.ini", &fd), 0);
	/* The name is taken at once (callers rely on O_EXCL)... */
	assert_int_equal(ctx_artifact_create(ctx, "sub/app.ini", &in), -EEXIST);
	assert_int_equal(write(fd, SECRET, strlen(SECRET)),
			 (ssize_t)strlen(SECRET));
	/* ...but holds nothing while the collector writes. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(ctx_artifact_close(ctx, "sub/app.ini", fd), 0);
	assert_int_equal(
		ctx_artifact_write(ctx, "b.txt", SECRET, strlen(SECRET)), 0);
	assert_int_equal(ctx_staging_error(ctx), 0);
	ctx_free(ctx);
	in = open(path, O_RDONLY);
	assert_true(in >= 0);
	s = slurp(in, &len);
	assert_true(len > strlen(SECRET));
	for (size_t i = 0; i + 6 <= len; i++)
		assert_false(memcmp(s + i, "S3cr3t", 6) == 0);
	free(s);
	out = tmp_file(dir);
	assert_int_equal(stagecrypt_open(key, in, out), 0);
	s = slurp(out, &len);
	assert_string_equal(s, SECRET);
	free(s);
	close(in);
	close(out);
	close(pipefd[0]);
	close(pipefd[1]);
	stagecrypt_key_free(key);
	fs_remove_tree(dir);
	free(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_refuses_damage),
		cmocka_unit_test(test_ctx_seals_artifacts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
