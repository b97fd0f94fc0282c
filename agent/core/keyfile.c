/*
 * keyfile_public_kind (keyfile.h): the start of a key file says whether it
 * is a public key, with the same detectors sign_key_load uses (OpenSSH,
 * age, rdiag-key/1) plus PEM.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/age.h"
#include "core/keyfile.h"
#include "core/sshsig.h"

const char *keyfile_public_kind_text(const char *head, size_t n)
{
	if (sshkey_is_public_text(head, n))
		return "OpenSSH public key";
	if (age_key_text_kind(head, n) == 2)
		return "age recipient";
	if ((n >= 27 &&
	     memcmp(head, "rdiag-key/1 ed25519-public\n", 27) == 0) ||
	    (n >= 26 && memcmp(head, "rdiag-key/1 x25519-public\n", 26) == 0))
		return "rdiag public key";
	if ((n >= 26 && memcmp(head, "-----BEGIN PUBLIC KEY-----", 26) == 0) ||
	    (n >= 30 &&
	     memcmp(head, "-----BEGIN RSA PUBLIC KEY-----", 30) == 0) ||
	    (n >= 26 && memcmp(head, "---- BEGIN SSH2 PUBLIC KEY", 26) == 0))
		return "public key";
	return NULL;
}

const char *keyfile_public_kind(const char *path)
{
	char head[4096];
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO given as a key must not hang rdiag here. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	head[n] = '\0';
	return keyfile_public_kind_text(head, (size_t)n);
}
