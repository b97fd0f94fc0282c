/*
 * Reading small host files (under ctx_root(), /proc and the like) whole into
 * a bounded buffer, for the collectors that all need the same loop. Private
 * to collectors/; nothing here may hang on a network mount, so callers pass
 * only local or kernel-side paths (anything else goes through ctx_bounded()).
 */
#ifndef RDIAG_HOSTFILE_H
#define RDIAG_HOSTFILE_H

#include <stddef.h>

struct buf;

/*
 * Append what fd gives until end of file to b (already initialised; its
 * maximum bounds the read). Returns 0, -ENOBUFS when b's maximum was
 * reached (b keeps what fitted), or the read error as a negative errno.
 * fd stays open.
 */
int hostfile_read_fd(int fd, struct buf *b);

/*
 * buf_init(b, max), then read path whole into it. Returns 0 or a negative
 * errno; b is initialised either way and the caller releases it.
 */
int hostfile_read(const char *path, size_t max, struct buf *b);

/*
 * The boot link below root that enables one of units (NULL-terminated,
 * "xrdp.service"): a systemd multi-user or graphical target wants-link,
 * or a SysV start link S<nn><name> in /etc/rc2.d to /etc/rc5.d for one of
 * sysv_names (NULL-terminated). Returns its path (caller frees) or NULL
 * when the service is not enabled at boot.
 */
char *hostfile_boot_link(const char *root, const char *const *units,
			 const char *const *sysv_names);

#endif
