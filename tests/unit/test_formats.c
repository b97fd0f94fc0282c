/*
 * Unit tests for the formats partners' tools read (core/sshsig.c,
 * core/age.c, and sign_key_load() over them): OpenSSH keys and SSHSIG
 * signatures round trip and refuse damage, other namespaces and other
 * keys; age keys (Bech32) refuse any changed character; age files round
 * trip at every chunk boundary and refuse a wrong key, a changed header,
 * a cut at a chunk boundary, an empty last chunk and extra data; key files
 * of every format load, and the wrong kind is named before "chmod 600".
 * The real ssh-keygen and age check the same formats in
 * tests/integration/formats.sh.
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

#include "core/age.h"
#include "core/sign.h"
#include "core/sshsig.h"
#include "platform/fsutil.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = xstrdup("/tmp/rdiag-test-formats-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(tmpdir);
	free(tmpdir);
	return 0;
}

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

static size_t fd_contents(int fd, unsigned char **ret)
{
	struct stat st;
	unsigned char *b;

	assert_int_equal(fstat(fd, &st), 0);
	b = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	*ret = b;
	return (size_t)st.st_size;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, text, strlen(text)), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Decode an armor, let fix change the blob, armor it again. */
static char *rearmor(const char *text, const char *begin, const char *end,
		     void (*fix)(unsigned char *, size_t))
{
	const char *b = strstr(text, begin) + strlen(begin);
	const char *e = strstr(text, end);
	unsigned char blob[2048];
	char b64[4096], *out;
	size_t n;

	assert_int_equal(sodium_base642bin(blob, sizeof(blob), b,
					   (size_t)(e - b), "\n", &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	fix(blob, n);
	sodium_bin2base64(b64, sizeof(b64), blob, n,
			  sodium_base64_VARIANT_ORIGINAL);
	out = xasprintf("%s\n%s\n%s\n", begin, b64, end);
	return out;
}

static void replace_in(unsigned char *b, size_t n, const char *from,
		       const char *to)
{
	size_t k = strlen(from);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(b + i, from, k) == 0) {
			memcpy(b + i, to, k);
			return;
		}
	fail_msg("'%s' not in the blob", from);
}

static void ns_file(unsigned char *b, size_t n)
{
	replace_in(b, n, "rdiag-bundle", "rdiag-bundlx");
}

static void hash_md5(unsigned char *b, size_t n)
{
	replace_in(b, n, "sha512", "md5abc");
}

static void test_sshsig(void **state)
{
	struct sign_key sec, pub, sec2, pub2;
	unsigned char d[64], d2[64];
	struct sshsig s;
	char *text, *bad, *err = NULL;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	sign_keypair_new(false, &sec2, &pub2);
	crypto_hash_sha512(d, (const unsigned char *)"bundle", 6);
	crypto_hash_sha512(d2, (const unsigned char *)"bundlf", 6);
	text = sshsig_sign(&sec, d);
	assert_non_null(strstr(text, "-----BEGIN SSH SIGNATURE-----\n"));
	assert_int_equal(sshsig_parse(text, strlen(text), &s, &err), 0);
	assert_false(s.sha256);
	assert_memory_equal(s.pub, pub.key, 32);
	assert_int_equal(sshsig_check(&s, d, 64, &pub, "b", &err), 0);
	assert_int_equal(sshsig_check(&s, d, 64, NULL, "b", &err), 0);
	assert_int_equal(sshsig_check(&s, d2, 64, NULL, "b", &err), -EBADMSG);
	assert_non_null(strstr(err, "does not match b"));
	free(err), err = NULL;
	assert_int_equal(sshsig_check(&s, d, 64, &pub2, "b", &err), -EPERM);
	assert_non_null(strstr(err, "not by the trusted key SHA256:"));
	free(err), err = NULL;
	/* Another namespace, an unknown hash: refused while parsing. */
	bad = rearmor(text, SSHSIG_ARMOR_BEGIN, "-----END SSH SIGNATURE-----",
		      ns_file);
	assert_int_equal(sshsig_parse(bad, strlen(bad), &s, &err), -EBADMSG);
	assert_non_null(strstr(err, "namespace 'rdiag-bundle'"));
	free(err), err = NULL;
	free(bad);
	bad = rearmor(text, SSHSIG_ARMOR_BEGIN, "-----END SSH SIGNATURE-----",
		      hash_md5);
	assert_int_equal(sshsig_parse(bad, strlen(bad), &s, &err), -EBADMSG);
	free(err), err = NULL;
	free(bad);
	/* Every cut of the text is refused, none crashes. */
	for (size_t i = 0; i < strlen(text) - 1; i++) {
		assert_int_equal(sshsig_parse(text, i, &s, &err), -EBADMSG);
		free(err), err = NULL;
	}
	free(text);
}

static void test_sshkey(void **state)
{
	struct sign_key sec, pub, got;
	char *priv, *line, *two, *allowed, *err = NULL;
	char fpr[SSHSIG_FPR_MAX];

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	priv = sshkey_private_text(&sec, "vendor");
	assert_int_equal(sshkey_parse_private(priv, strlen(priv), &got, &err),
			 0);
	assert_int_equal(got.kind, SIGN_KEY_SIGN_SECRET);
	assert_memory_equal(got.key, sec.key, 64);
	line = sshkey_public_text(&pub, "vendor");
	assert_int_equal(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 32),
			 0);
	assert_int_equal(sshkey_parse_public(line, strlen(line), &got, &err),
			 0);
	assert_memory_equal(got.key, pub.key, 32);
	sshkey_fingerprint(pub.key, fpr);
	assert_int_equal(strlen(fpr), 50);
	/* allowed_signers: principals and options before the key. */
	allowed = xasprintf("# partners\n\nvendor@example.test "
			    "namespaces=\"rdiag-bundle\" %s",
			    line);
	assert_int_equal(
		sshkey_parse_public(allowed, strlen(allowed), &got, &err), 0);
	assert_memory_equal(got.key, pub.key, 32);
	two = xasprintf("%s%s", allowed, line);
	assert_int_equal(sshkey_parse_public(two, strlen(two), &got, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "holds 2 keys"));
	free(err), err = NULL;
	assert_int_equal(
		sshkey_parse_public("ssh-rsa AAAAB3Nza x\n", 20, &got, &err),
		-EINVAL);
	assert_non_null(strstr(err, "Ed25519"));
	free(err), err = NULL;
	assert_int_equal(
		sshkey_parse_public("ssh-ed25519 AAAA\n", 17, &got, &err),
		-EINVAL);
	free(err), err = NULL;
	/* Any cut of the private key is refused. */
	for (size_t i = 0; i < strlen(priv) - 40; i += 7) {
		assert_true(sshkey_parse_private(priv, i, &got, &err) < 0);
		free(err), err = NULL;
	}
	sodium_memzero(priv, strlen(priv));
	free(priv);
	free(line);
	free(two);
	free(allowed);
}

static void flip_checkint(unsigned char *b, size_t n)
{
	/* The private section starts after the public blob: change c2. */
	for (size_t i = 0; i + 8 < n; i++)
		if (memcmp(b + i, "\0\0\0\x33\0\0\0\x0bssh-ed25519", 19) == 0) {
			b[i + 4 + 51 + 4 + 4] ^= 1;
			return;
		}
	fail_msg("no public blob");
}

static void test_sshkey_damage(void **state)
{
	struct sign_key sec, pub, got;
	char *priv, *bad, *err = NULL;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	priv = sshkey_private_text(&sec, "x");
	bad = rearmor(priv, SSHKEY_ARMOR_BEGIN,
		      "-----END OPENSSH PRIVATE KEY-----", flip_checkint);
	assert_int_equal(sshkey_parse_private(bad, strlen(bad), &got, &err),
			 -EINVAL);
	free(err), err = NULL;
	free(bad);
	free(priv);
}

static void test_age_keys(void **state)
{
	struct sign_key sec, pub, got;
	char *id, *rc, *file, *err = NULL;

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	id = age_identity_text(&sec);
	rc = age_recipient_text(&pub);
	assert_int_equal(strncmp(id, "AGE-SECRET-KEY-1", 16), 0);
	assert_int_equal(strlen(id), 74);
	assert_int_equal(strncmp(rc, "age1", 4), 0);
	assert_int_equal(strlen(rc), 62);
	file = xasprintf("# created: now\n# public key: %s\n%s\n", rc, id);
	assert_int_equal(age_key_text_kind(file, strlen(file)), 1);
	assert_int_equal(age_parse_identity(file, strlen(file), &got, &err), 0);
	assert_memory_equal(got.key, sec.key, 32);
	assert_memory_equal(got.pub, pub.key, 32);
	assert_int_equal(age_key_text_kind(rc, strlen(rc)), 2);
	assert_int_equal(age_parse_recipient(rc, strlen(rc), &got, &err), 0);
	assert_memory_equal(got.key, pub.key, 32);
	/* Every changed character is caught by the checksum. */
	for (size_t i = 4; i < strlen(rc); i++) {
		char save = rc[i];

		rc[i] = rc[i] == 'q' ? 'p' : 'q';
		assert_int_equal(
			age_parse_recipient(rc, strlen(rc), &got, &err),
			-EINVAL);
		free(err), err = NULL;
		rc[i] = save;
	}
	/* Mixed case is not Bech32. */
	id[20] = (char)(id[20] >= 'A' && id[20] <= 'Z' ? id[20] + 32 : id[20]);
	if (id[20] >= 'a' && id[20] <= 'z') {
		assert_int_equal(age_parse_identity(id, strlen(id), &got, &err),
				 -EINVAL);
		free(err), err = NULL;
	}
	sodium_memzero(id, strlen(id));
	free(id);
	free(rc);
	free(file);
}

static int age_encrypt_buf(const struct sign_key *pub, const void *data,
			   size_t len)
{
	char *err = NULL;
	int in = temp_fd(data, len), out = temp_fd(NULL, 0);

	assert_int_equal(age_encrypt_fd(pub, in, out, &err), 0);
	close(in);
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	return out;
}

static int age_decrypt_buf(const struct sign_key *sec, const void *ct,
			   size_t len, char **ret_err)
{
	int in = temp_fd(ct, len), out = temp_fd(NULL, 0);
	int r = age_decrypt_fd(sec, in, out, 1ull << 30, ret_err);

	close(in);
	close(out);
	return r;
}

/* Where the payload starts: after "--- MAC\n" and the 16-byte nonce. */
static size_t payload_at(const unsigned char *ct, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(ct + i, "\n--- ", 5) == 0)
			return i + 5 + 43 + 1 + 16;
	fail_msg("no header MAC");
	return 0;
}

static void test_age_round_trip(void **state)
{
	static const size_t sizes[] = { 0,     1,      65535,  65536,
					65537, 131072, 131073, 3 * 65536 + 7 };
	struct sign_key sec, pub;

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], chunks = n ? (n + 65535) / 65536 : 1;
		unsigned char *data = xmalloc(n + 1), *ct, *pt;
		char *err = NULL;
		int c, in, out;
		size_t cl, pl;

		randombytes_buf(data, n);
		c = age_encrypt_buf(&pub, data, n);
		cl = fd_contents(c, &ct);
		assert_true(age_is_encrypted(ct, cl));
		/* One tag per chunk, no empty last chunk after a full one. */
		assert_int_equal(cl - payload_at(ct, cl), n + 16 * chunks);
		in = temp_fd(ct, cl);
		out = temp_fd(NULL, 0);
		assert_int_equal(
			age_decrypt_fd(&sec, in, out, 1ull << 30, &err), 0);
		pl = fd_contents(out, &pt);
		assert_int_equal(pl, n);
		assert_memory_equal(pt, data, n);
		close(in);
		close(out);
		close(c);
		free(ct);
		free(pt);
		free(data);
	}
}

static void test_age_hostile(void **state)
{
	struct sign_key sec, pub, sec2, pub2;
	size_t n = 2 * 65536 + 100, cl, at;
	unsigned char *data = xmalloc(n), *ct, *bad;
	char *err = NULL;
	int c;

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	sign_keypair_new(true, &sec2, &pub2);
	randombytes_buf(data, n);
	c = age_encrypt_buf(&pub, data, n);
	cl = fd_contents(c, &ct);
	close(c);
	at = payload_at(ct, cl);
	assert_int_equal(age_decrypt_buf(&sec2, ct, cl, &err), -EACCES);
	assert_non_null(strstr(err, "not encrypted for this key"));
	free(err), err = NULL;
	/* Cut anywhere, also exactly after a full chunk. */
	{
		size_t cuts[] = { 10,         at - 17,        at - 1, at,
				  at + 65552, at + 2 * 65552, cl - 1 };

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			assert_true(age_decrypt_buf(&sec, ct, cuts[i], &err) <
				    0);
			free(err), err = NULL;
		}
	}
	bad = xmalloc(cl + 1);
	/* A changed byte: in the header MAC, the nonce, a chunk. */
	{
		size_t where[] = { 30, at - 20, at - 3, at + 5, cl - 2 };

		for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
			memcpy(bad, ct, cl);
			bad[where[i]] ^= 0x20;
			assert_true(age_decrypt_buf(&sec, bad, cl, &err) < 0);
			free(err), err = NULL;
		}
	}
	/* Another valid MAC character: only the MAC check can notice. */
	memcpy(bad, ct, cl);
	bad[at - 16 - 44] = bad[at - 16 - 44] == 'A' ? 'B' : 'A';
	assert_int_equal(age_decrypt_buf(&sec, bad, cl, &err), -EBADMSG);
	assert_non_null(strstr(err, "MAC does not match"));
	free(err), err = NULL;
	/* Data after the end. */
	memcpy(bad, ct, cl);
	bad[cl] = 'x';
	assert_int_equal(age_decrypt_buf(&sec, bad, cl + 1, &err), -EBADMSG);
	free(err), err = NULL;
	/* The size cap. */
	assert_int_equal(age_decrypt_fd(&sec, temp_fd(ct, cl), temp_fd(NULL, 0),
					1000, &err),
			 -EFBIG);
	free(err), err = NULL;
	free(bad);
	free(ct);
	free(data);
}

static void test_age_header(void **state)
{
	struct sign_key sec, pub;
	unsigned char key[AGE_FILE_KEY];
	char *err = NULL;
	size_t hl;
	static const char *const bad[] = {
		"age-encryption.org/v2\n--- x\n",
		"age-encryption.org/v1\n--- "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"age-encryption.org/v1\n-> X25519\n",
		"age-encryption.org/v1\n-> \n\n--- "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"age-encryption.org/v1\n-> X25519 a\x01\n\n--- "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"age-encryption.org/v1\n-> scrypt c2FsdA 18\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--- "
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};

	(void)state;
	sign_keypair_new(true, &sec, &pub);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(age_header_parse((const unsigned char *)bad[i],
					     strlen(bad[i]), &sec, key, &hl,
					     &err) < 0);
		if (i == 5)
			assert_non_null(strstr(err, "passphrase"));
		free(err), err = NULL;
	}
}

static void test_age_armor(void **state)
{
	static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----\n";
	static const char end[] = "-----END AGE ENCRYPTED FILE-----\n";
	unsigned char data[1000], *back;
	char b64[1400], *text;
	struct buf t;
	char *err = NULL;
	size_t n, len;
	int in, out;

	(void)state;
	randombytes_buf(data, sizeof(data));
	sodium_bin2base64(b64, sizeof(b64), data, sizeof(data),
			  sodium_base64_VARIANT_ORIGINAL);
	buf_init(&t, 0);
	buf_puts(&t, begin);
	for (size_t i = 0; i < strlen(b64); i += 64)
		buf_printf(&t, "%.64s\r\n", b64 + i);
	buf_puts(&t, end);
	text = buf_detach(&t, &len);
	assert_true(age_is_armored(text, len));
	in = temp_fd(text, len);
	out = temp_fd(NULL, 0);
	assert_int_equal(age_dearmor_fd(in, out, 1 << 20, &err), 0);
	n = fd_contents(out, &back);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(back, data, n);
	close(in);
	close(out);
	free(back);
	/* Cut before END; a short line in the middle; over the cap. */
	{
		size_t cuts[] = { len - strlen(end), 40 + 66 * 3 };

		for (size_t i = 0; i < 2; i++) {
			in = temp_fd(text, cuts[i]);
			out = temp_fd(NULL, 0);
			assert_int_equal(age_dearmor_fd(in, out, 1 << 20, &err),
					 -EBADMSG);
			free(err), err = NULL;
			close(in);
			close(out);
		}
	}
	text[strlen(begin) + 66 + 10] = '\n';
	in = temp_fd(text, len);
	out = temp_fd(NULL, 0);
	assert_int_equal(age_dearmor_fd(in, out, 1 << 20, &err), -EBADMSG);
	free(err), err = NULL;
	close(in);
	close(out);
	free(text);
}

static void test_key_load(void **state)
{
	struct sign_key sec, pub, esec, epub, got;
	char *p_sec = xasprintf("%s/k", tmpdir);
	char *p_pub = xasprintf("%s/k.pub", tmpdir);
	char *p_id = xasprintf("%s/age.key", tmpdir);
	char *p_rc = xasprintf("%s/age.pub", tmpdir);
	char *err = NULL;

	(void)state;
	sign_keypair_new(false, &sec, &pub);
	sign_keypair_new(true, &esec, &epub);
	assert_int_equal(sign_key_save_std(&sec, p_sec, "k", &err), 0);
	assert_int_equal(sign_key_save_std(&pub, p_pub, "k", &err), 0);
	assert_int_equal(sign_key_save_std(&esec, p_id, "", &err), 0);
	assert_int_equal(sign_key_save_std(&epub, p_rc, "", &err), 0);
	assert_int_equal(sign_key_load(p_sec, SIGN_KEY_SIGN_SECRET, &got, &err),
			 0);
	assert_memory_equal(got.key, sec.key, 64);
	assert_int_equal(sign_key_load(p_pub, SIGN_KEY_SIGN_PUBLIC, &got, &err),
			 0);
	assert_memory_equal(got.key, pub.key, 32);
	assert_int_equal(
		sign_key_load(p_id, SIGN_KEY_ENCRYPT_SECRET, &got, &err), 0);
	assert_memory_equal(got.key, esec.key, 32);
	assert_memory_equal(got.pub, epub.key, 32);
	assert_int_equal(
		sign_key_load(p_rc, SIGN_KEY_ENCRYPT_PUBLIC, &got, &err), 0);
	assert_memory_equal(got.key, epub.key, 32);
	/* A public key where a secret one is needed: named, not "chmod". */
	assert_int_equal(sign_key_load(p_pub, SIGN_KEY_SIGN_SECRET, &got, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "is a public signing key, need a secret "
				    "signing key"));
	free(err), err = NULL;
	assert_int_equal(
		sign_key_load(p_rc, SIGN_KEY_ENCRYPT_SECRET, &got, &err),
		-EINVAL);
	assert_non_null(strstr(err, "age recipient"));
	free(err), err = NULL;
	assert_int_equal(chmod(p_id, 0640), 0);
	assert_int_equal(
		sign_key_load(p_id, SIGN_KEY_ENCRYPT_SECRET, &got, &err),
		-EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	free(err), err = NULL;
	write_file(p_rc, "not a key\n", 0644);
	assert_int_equal(
		sign_key_load(p_rc, SIGN_KEY_ENCRYPT_PUBLIC, &got, &err),
		-EINVAL);
	assert_non_null(strstr(err, "not a key rdiag reads"));
	free(err), err = NULL;
	free(p_sec);
	free(p_pub);
	free(p_id);
	free(p_rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshsig),
		cmocka_unit_test(test_sshkey),
		cmocka_unit_test(test_sshkey_damage),
		cmocka_unit_test(test_age_keys),
		cmocka_unit_test(test_age_round_trip),
		cmocka_unit_test(test_age_hostile),
		cmocka_unit_test(test_age_header),
		cmocka_unit_test(test_age_armor),
		cmocka_unit_test(test_key_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
