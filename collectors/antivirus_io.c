/*
 * Timing, EICAR and command execution for the antivirus collector (see
 * antivirus_io.h). Everything written into an application directory is
 * created with O_EXCL under a random name and removed before returning,
 * whatever happened in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "antivirus_io.h"
#include "rdiag/util.h"

#define CHUNK 65536

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64*: cheap, and new content per file defeats scan caches. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void set_step(char *dst, size_t len, const char *step)
{
	snprintf(dst, len, "%s", step);
}

/* Create dir/PREFIXXXXXXX; the fd, or a negative errno. name gets it. */
static int create_in(const char *dir, const char *prefix, char *name,
		     size_t namelen)
{
	char *path = xasprintf("%s/%sXXXXXX", dir, prefix);
	int fd = mkstemp(path);
	int r = fd < 0 ? -errno : fd;

	if (fd >= 0) {
		const char *slash = strrchr(path, '/');

		snprintf(name, namelen, "%s", slash + 1);
	}
	free(path);
	return r;
}

static int write_random(int fd, size_t len, uint64_t *seed)
{
	uint64_t block[CHUNK / 8];

	while (len > 0) {
		size_t n = len < sizeof(block) ? len : sizeof(block);
		int r;

		for (size_t i = 0; i < (n + 7) / 8; i++)
			block[i] = rng_next(seed);
		if ((r = write_all(fd, block, n)) < 0)
			return r;
		len -= n;
	}
	return 0;
}

/* Open, read to the end and close; 0 or a negative errno. */
static int read_whole(const char *path, const char **ret_step)
{
	char *chunk = xmalloc(CHUNK);
	int fd, r = 0;
	ssize_t n;

	*ret_step = "open";
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	*ret_step = "read";
	while ((n = read(fd, chunk, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
	}
	close(fd);
out:
	free(chunk);
	return r;
}

int av_timing_run(void *arg, void *out, size_t out_max)
{
	const struct av_timing_job *job = arg;
	struct av_timing_out *res = out;
	unsigned nfiles = job->files, made = 0;
	struct {
		char s[32];
	} * names;
	uint64_t seed =
		now_us() ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)res;
	int r;

	if (out_max < sizeof(*res))
		return -ENOBUFS;
	memset(res, 0, sizeof(*res));
	if (nfiles > AV_TIMING_MAX)
		nfiles = AV_TIMING_MAX;
	if (seed == 0)
		seed = 0x9e3779b97f4a7c15ULL;
	names = xcalloc(nfiles ? nfiles : 1, sizeof(*names));
	for (made = 0; made < nfiles; made++) {
		int fd = create_in(job->dir, ".rdiag-av-", names[made].s,
				   sizeof(names[made].s));

		if (fd < 0) {
			res->err = -fd;
			set_step(res->step, sizeof(res->step), "create");
			goto cleanup;
		}
		r = write_random(fd, (size_t)job->file_kb * 1024, &seed);
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r < 0) {
			made++;
			res->err = -r;
			set_step(res->step, sizeof(res->step), "write");
			goto cleanup;
		}
	}
	for (unsigned i = 0; i < made; i++) {
		char *path = xasprintf("%s/%s", job->dir, names[i].s);
		const char *step;
		uint64_t t0 = now_us(), dt;

		r = read_whole(path, &step);
		dt = now_us() - t0;
		free(path);
		if (r < 0) {
			res->err = -r;
			set_step(res->step, sizeof(res->step), step);
			break;
		}
		res->us[res->n++] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	}
cleanup:
	for (unsigned i = 0; i < made; i++) {
		char *path = xasprintf("%s/%s", job->dir, names[i].s);

		if (unlink(path) < 0 && errno != ENOENT)
			res->left++;
		free(path);
	}
	free(names);
	return (int)sizeof(*res);
}

void av_eicar_string(char buf[69])
{
	/* In pieces, so this source and its object file are not EICAR. */
	static const char *const parts[] = {
		"X5O!P%@AP[4\\PZX54(P^)7CC)7}",
		"$EICAR-STANDARD-",
		"ANTIVIRUS-TEST-",
		"FILE!$H+H*",
	};
	size_t o = 0;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t n = strlen(parts[i]);

		memcpy(buf + o, parts[i], n);
		o += n;
	}
	buf[o] = '\0';
}

/* One look at the file: the outcome so far. */
static enum av_eicar_outcome eicar_look(const char *path, const char *want,
					int *ret_err)
{
	char got[128];
	ssize_t n;
	int fd;

	*ret_err = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*ret_err = errno;
		if (errno == ENOENT)
			return AV_EICAR_REMOVED;
		return AV_EICAR_DENIED; /* EPERM, EACCES, or worse */
	}
	n = read(fd, got, sizeof(got));
	if (n < 0)
		*ret_err = errno;
	close(fd);
	if (n < 0)
		return AV_EICAR_DENIED;
	if ((size_t)n != strlen(want) || memcmp(got, want, (size_t)n) != 0)
		return AV_EICAR_CHANGED;
	return AV_EICAR_ALLOWED;
}

int av_eicar_run(void *arg, void *out, size_t out_max)
{
	const struct av_eicar_job *job = arg;
	struct av_eicar_out *res = out;
	char eicar[69];
	char *path = NULL;
	int64_t start;
	int fd, r;

	if (out_max < sizeof(*res))
		return -ENOBUFS;
	memset(res, 0, sizeof(*res));
	av_eicar_string(eicar);
	fd = create_in(job->dir, ".rdiag-eicar-", res->name, sizeof(res->name));
	if (fd < 0) {
		res->write_err = -fd;
		set_step(res->step, sizeof(res->step), "create");
		return (int)sizeof(*res);
	}
	path = xasprintf("%s/%s", job->dir, res->name);
	r = write_all(fd, eicar, strlen(eicar));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		res->write_err = -r;
		set_step(res->step, sizeof(res->step), "write");
		goto cleanup;
	}
	start = now_ms();
	for (;;) {
		struct timespec ts = { 0, 100 * 1000000L };

		res->outcome = eicar_look(path, eicar, &res->err);
		res->after_ms = now_ms() - start;
		if (res->outcome != AV_EICAR_ALLOWED ||
		    res->after_ms >= (int64_t)job->wait_ms)
			break;
		nanosleep(&ts, NULL);
	}
cleanup:
	if (unlink(path) < 0 && errno != ENOENT)
		res->cleanup_failed = true;
	free(path);
	return (int)sizeof(*res);
}
