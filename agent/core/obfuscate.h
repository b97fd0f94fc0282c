/*
 * Consistent pseudonyms for `rdiag run --obfuscate hosts,ips,users` (what
 * `sos report --clean` calls obfuscation): every host name, IP address and
 * user name of this machine is replaced by a stable placeholder (host-1,
 * ip-3, user-2) in every text of the bundle, so the vendor can still tell
 * that two lines speak of the same host without learning which. The map
 * from placeholder back to name stays on the customer's machine.
 */
#ifndef RDIAG_OBFUSCATE_H
#define RDIAG_OBFUSCATE_H

#include <stdbool.h>
#include <stddef.h>

#include "rdiag/buf.h"

enum {
	OBFUSCATE_HOSTS = 1u << 0,
	OBFUSCATE_IPS = 1u << 1,
	OBFUSCATE_USERS = 1u << 2,
};

struct obfuscator;

/*
 * Parse "hosts,ips,users" (any subset, any order) into *ret_flags. Returns
 * 0, or -EINVAL with *ret_bad (caller frees) naming the unknown word.
 */
int obfuscate_parse(const char *list, unsigned *ret_flags, char **ret_bad);

struct obfuscator *obfuscator_new(unsigned flags);
void obfuscator_free(struct obfuscator *o);

/*
 * Names to replace, learnt before the run: host names (this machine's,
 * /etc/hosts, configured servers) and user names (/etc/passwd accounts of
 * people, the running user). Names shorter than 3 bytes and well-known
 * words (localhost, root) are ignored so that text stays readable.
 */
void obfuscator_add_host(struct obfuscator *o, const char *name);
void obfuscator_add_user(struct obfuscator *o, const char *name);
/* This machine's names: hostname, /etc/hostname, /etc/hosts, /etc/passwd
 * (uids 1000-59999), $USER. root ("" for /) lets tests use a fixture. */
void obfuscator_add_local(struct obfuscator *o, const char *root);

/*
 * Replace every known name and (with OBFUSCATE_IPS) every IPv4 and IPv6
 * literal in text[0..len), appending the result to out. Loopback and
 * unspecified addresses stay. Returns 0 or -ENOBUFS.
 */
int obfuscator_apply(struct obfuscator *o, const char *text, size_t len,
		     struct buf *out);

/* How many names were replaced in all, for the manifest. */
size_t obfuscator_replaced(const struct obfuscator *o);

/*
 * The map {"hosts": {"host-1": "db01.corp"}, "ips": ..., "users": ...} as
 * a 0600 file at path (created new, never over an existing file). Returns
 * 0 or a negative errno.
 */
int obfuscator_save_map(const struct obfuscator *o, const char *path);

#endif
