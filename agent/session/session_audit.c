/*
 * The session's evidence: the append-only audit log, where every record is
 * a single write() on an O_APPEND descriptor so the parent and the engineer
 * handlers can share it without interleaving, and the asciicast v2
 * recordings of what a PTY showed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "platform/fsutil.h"
#include "platform/platform.h"
#include "session/session_int.h"

int session_audit_open(struct session_audit *a, const char *dir, const char *id)
{
	int r;

	a->fd = -1;
	a->path = NULL;
	a->first = NULL;
	a->first_len = 0;
	a->first_off = -1;
	snprintf(a->id, sizeof(a->id), "%s", id);
	if ((r = fs_mkdirs(dir)) < 0)
		return r;
	if ((r = audit_open(dir, &a->fd)) < 0)
		return r;
	a->path = xasprintf("%s/audit.jsonl", dir);
	return 0;
}

const char *session_audit_verify(struct session_audit *a)
{
	const char *what;
	off_t end;
	char *dir;

	if (a->fd < 0 || !a->first)
		return NULL;
	/* The descriptor is shared: its offset is the end of the last record.
	 */
	end = lseek(a->fd, 0, SEEK_CUR);
	what = session_evidence_check(a->fd, a->path,
				      end > 0 ? (uint64_t)end : 0);
	if (!what) {
		char *got = xmalloc(a->first_len);
		ssize_t n = pread(a->fd, got, a->first_len, a->first_off);

		if (n != (ssize_t)a->first_len ||
		    memcmp(got, a->first, a->first_len) != 0)
			what = "truncated or rewritten";
		free(got);
	}
	if (what && strncmp(what, "deleted", 7) == 0) {
		/* Later records go to the file that was put back. */
		dir = xstrdup(a->path);
		*strrchr(dir, '/') = '\0';
		close(a->fd);
		if (audit_open(dir, &a->fd) < 0)
			a->fd = -1;
		free(dir);
	}
	return what;
}

void session_audit_event(struct session_audit *a, const char *event,
			 const struct session_field *fields, size_t n)
{
	char stamp[32];
	struct buf b;
	int r;

	if (a->fd < 0)
		return;
	utc_iso8601(time(NULL), stamp, sizeof(stamp));
	buf_init(&b, 0);
	session_audit_format(&b, stamp, a->id, event, fields, n);
	if ((r = audit_append(a->fd, b.data, b.len)) < 0)
		fprintf(stderr, "rdiag: cannot write the audit log: %s\n",
			strerror(-r));
	else if (!a->first) {
		off_t end = lseek(a->fd, 0, SEEK_CUR);

		if (end >= (off_t)b.len) {
			a->first = xmalloc(b.len);
			memcpy(a->first, b.data, b.len);
			a->first_len = b.len;
			a->first_off = (int64_t)(end - (off_t)b.len);
		}
	}
	buf_release(&b);
}

void session_audit_close(struct session_audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	free(a->path);
	a->path = NULL;
	free(a->first);
	a->first = NULL;
}

int session_cast_open(struct session_cast *c, const char *path, unsigned cols,
		      unsigned rows, const char *title, const char *term)
{
	struct buf b;
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((r = platform_create_new(path, 0600, &c->fd)) < 0)
		return r;
	c->path = xstrdup(path);
	crypto_hash_sha256_init(&c->hash);
	c->start_ms = now_ms();
	buf_init(&b, 0);
	session_cast_header(&b, cols ? cols : 80, rows ? rows : 24,
			    (int64_t)time(NULL), title, term ? term : "");
	if (write_all(c->fd, b.data, b.len) < 0) {
		r = -errno;
	} else {
		c->written += b.len;
		crypto_hash_sha256_update(&c->hash, (const uint8_t *)b.data,
					  b.len);
	}
	buf_release(&b);
	return r;
}

static void cast_write(struct session_cast *c, const struct buf *line)
{
	if (write_all(c->fd, line->data, line->len) == 0) {
		c->written += line->len;
		crypto_hash_sha256_update(&c->hash, (const uint8_t *)line->data,
					  line->len);
	}
}

/*
 * Do the first c->written bytes of the file still hash to what was written?
 * Read through our own (write-only) descriptor reopened for reading, so it
 * is the file we wrote whatever its name now points to.
 */
static bool cast_intact(struct session_cast *c)
{
	uint8_t want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	char buf[8192], proc[64];
	uint64_t off = 0;
	bool ok = true;
	int fd;

	crypto_hash_sha256_final(&c->hash, want);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", c->fd);
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC)) < 0)
		return true; /* no /proc: cannot tell, do not cry wolf */
	crypto_hash_sha256_init(&h);
	while (ok && off < c->written) {
		size_t want_n = c->written - off < sizeof(buf)
					? (size_t)(c->written - off)
					: sizeof(buf);
		ssize_t n = pread(fd, buf, want_n, (off_t)off);

		if (n <= 0) {
			ok = false;
			break;
		}
		crypto_hash_sha256_update(&h, (const uint8_t *)buf, (size_t)n);
		off += (uint64_t)n;
	}
	close(fd);
	crypto_hash_sha256_final(&h, got);
	return ok && sodium_memcmp(want, got, sizeof(want)) == 0;
}

static double cast_time(const struct session_cast *c)
{
	return (double)(now_ms() - c->start_ms) / 1000.0;
}

void session_cast_output(struct session_cast *c, const char *data, size_t len)
{
	struct buf line;
	char *joined;
	size_t n = c->ncarry + len, used;

	if (c->fd < 0 || len == 0)
		return;
	joined = xmalloc(n);
	memcpy(joined, c->carry, c->ncarry);
	memcpy(joined + c->ncarry, data, len);
	buf_init(&line, 0);
	used = session_cast_event(&line, cast_time(c), 'o', joined, n, true);
	c->ncarry = n - used;
	if (c->ncarry > sizeof(c->carry)) /* cannot happen: at most 3 */
		c->ncarry = 0;
	memcpy(c->carry, joined + used, c->ncarry);
	if (used > 0)
		cast_write(c, &line);
	c->bytes += len;
	buf_release(&line);
	free(joined);
}

void session_cast_resize(struct session_cast *c, unsigned cols, unsigned rows)
{
	char size[32];
	struct buf line;

	if (c->fd < 0)
		return;
	snprintf(size, sizeof(size), "%ux%u", cols, rows);
	buf_init(&line, 0);
	session_cast_event(&line, cast_time(c), 'r', size, strlen(size), false);
	cast_write(c, &line);
	buf_release(&line);
}

const char *session_cast_close(struct session_cast *c)
{
	const char *what;

	if (c->fd < 0)
		return NULL;
	if (c->ncarry) {
		struct buf line;

		buf_init(&line, 0);
		session_cast_event(&line, cast_time(c), 'o', c->carry,
				   c->ncarry, false);
		cast_write(c, &line);
		buf_release(&line);
	}
	what = session_evidence_check(c->fd, c->path, c->written);
	if (!what && !cast_intact(c))
		what = "rewritten";
	close(c->fd);
	c->fd = -1;
	free(c->path);
	c->path = NULL;
	return what;
}
