/*
 * The signing and encryption steps of `rdiag run` (see sign_run.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/age.h"
#include "core/bundle_format.h"
#include "core/sign_run.h"
#include "core/sshsig.h"
#include "rdiag/util.h"

int sign_run_load(struct sign_run *s, const char *sign_path,
		  const char *encrypt_path, char **ret_err)
{
	int r;

	if (sign_path) {
		if ((r = sign_key_load(sign_path, SIGN_KEY_SIGN_SECRET, &s->sk,
				       ret_err)) < 0)
			return r;
		s->sign = true;
	}
	if (encrypt_path) {
		if ((r = sign_key_load(encrypt_path, SIGN_KEY_ENCRYPT_PUBLIC,
				       &s->pk, ret_err)) < 0)
			return r;
		s->encrypt = true;
	}
	return 0;
}

char *sign_run_signer(void *arg, const void *m, size_t len)
{
	struct sign_run *s = arg;

	return sshsig_sign_buf(&s->sk, m, len);
}

static void remove_plain(const char *plain_path)
{
	char *side = bundle_sidecar_path(plain_path);

	unlink(plain_path);
	unlink(side);
	free(side);
}

/* SHA-256 of what fd holds, from the start. */
static int hash_file(int fd, char hex[65], uint64_t *ret_size)
{
	unsigned char buf[65536], d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	uint64_t size = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		size += (uint64_t)n;
	}
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(hex, 65, d, sizeof(d));
	*ret_size = size;
	return 0;
}

static int write_sidecar(int dir_fd, const char *tmp, const char *hex,
			 const char *name)
{
	char *line = bundle_sidecar_line(hex, name);
	int fd, r;

	fd = openat(dir_fd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(line);
		return -errno;
	}
	r = write_all(fd, line, strlen(line));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	free(line);
	return r;
}

int sign_run_encrypt(struct sign_run *s, const char *plain_path,
		     const char *out_dir, char **ret_path, uint64_t *ret_size,
		     char ret_sha256[65], char **ret_err)
{
	char *copy = xstrdup(plain_path), *name, *partial = NULL;
	char *side = NULL, *side_tmp = NULL, hex[65];
	struct stat st;
	bool made = false, side_made = false, renamed = false;
	int in = -1, out = -1, dir_fd = -1, r;
	uint64_t size = 0;

	name = xasprintf("%s%s", basename(copy), BUNDLE_ENCRYPTED_SUFFIX);
	partial = bundle_partial_path(name);
	side = bundle_sidecar_path(name);
	side_tmp = bundle_partial_path(side);
	dir_fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot open directory '%s': %s", out_dir,
				     strerror(errno));
		goto out;
	}
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(dir_fd, side, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = -EEXIST;
		*ret_err = xasprintf("'%s/%s' already exists", out_dir, name);
		goto out;
	}
	in = open(plain_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot open '%s': %s", plain_path,
				     strerror(errno));
		goto out;
	}
	out = openat(dir_fd, partial,
		     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot create '%s/%s': %s", out_dir,
				     partial, strerror(errno));
		goto out;
	}
	made = true;
	if ((r = age_encrypt_fd(&s->pk, in, out, ret_err)) < 0)
		goto out;
	if (fsync(out) < 0 || (r = hash_file(out, hex, &size)) < 0) {
		r = r < 0 ? r : -errno;
		*ret_err = xasprintf("cannot write '%s/%s': %s", out_dir,
				     partial, strerror(-r));
		goto out;
	}
	if ((r = write_sidecar(dir_fd, side_tmp, hex, name)) < 0) {
		*ret_err = xasprintf("cannot write '%s/%s': %s", out_dir,
				     side_tmp, strerror(-r));
		goto out;
	}
	side_made = true;
	if (renameat(dir_fd, partial, dir_fd, name) < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot rename '%s/%s': %s", out_dir,
				     partial, strerror(errno));
		goto out;
	}
	renamed = true;
	if (renameat(dir_fd, side_tmp, dir_fd, side) < 0 || fsync(dir_fd) < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot rename '%s/%s': %s", out_dir,
				     side_tmp, strerror(errno));
		unlinkat(dir_fd, side, 0);
		goto out;
	}
	side_made = false;
	*ret_path = xasprintf("%s/%s", out_dir, name);
	*ret_size = size;
	memcpy(ret_sha256, hex, 65);
	r = 0;
out:
	if (r < 0 && made)
		unlinkat(dir_fd, renamed ? name : partial, 0);
	if (side_made)
		unlinkat(dir_fd, side_tmp, 0);
	/* Fail closed: the plain bundle goes either way. */
	remove_plain(plain_path);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (dir_fd >= 0)
		close(dir_fd);
	free(copy);
	free(name);
	free(partial);
	free(side);
	free(side_tmp);
	return r;
}

int sign_run_sign_file(struct sign_run *s, const char *plain_path,
		       const char *out_dir, char **ret_sig, char **ret_err)
{
	char *copy = xstrdup(plain_path), *sig;
	int r;

	sig = xasprintf("%s/%s%s", out_dir, basename(copy), BUNDLE_SIG_SUFFIX);
	r = sshsig_write_file(&s->sk, plain_path, sig, ret_err);
	free(copy);
	if (r < 0) {
		/* Fail closed: no unsigned bundle when a signed one was asked.
		 */
		remove_plain(plain_path);
		free(sig);
		return r;
	}
	*ret_sig = sig;
	return 0;
}

void sign_run_release(struct sign_run *s)
{
	sign_key_wipe(&s->sk);
	sign_key_wipe(&s->pk);
	s->sign = s->encrypt = false;
}
