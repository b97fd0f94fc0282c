/*
 * Allocation wrappers that abort on exhaustion, and small string, number and
 * time helpers shared by the agent and the collectors.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "rdiag/util.h"

static void (*oom_hook)(void);
static pid_t oom_hook_pid;

void xalloc_set_oom_hook(void (*fn)(void))
{
	oom_hook = fn;
	oom_hook_pid = getpid();
}

static RDIAG_NORETURN void oom(size_t n)
{
	fprintf(stderr, "rdiag: out of memory allocating %zu bytes\n", n);
	/* Only the process that set it (not a forked worker) cleans up. */
	if (oom_hook && getpid() == oom_hook_pid) {
		oom_hook();
		_exit(70); /* EXIT_SOFTWARE: no core, nothing left behind */
	}
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *p;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		oom(0);
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void freep(void *p)
{
	void **pp = p;

	free(*pp);
	*pp = NULL;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/*
 * The duration grammar, summed in seconds or (ms) in milliseconds: numbers
 * each followed by d, h, m, s (or, with ms, "ms"); a lone number is of the
 * base unit, a bare number after a unit ("1h30") is refused.
 */
static int duration_sum(const char *s, bool ms, unsigned long long min,
			unsigned long long max, unsigned long long *ret)
{
	unsigned long long total = 0, v, mult, k = ms ? 1000 : 1;
	bool unit_seen = false;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (v = 0; isdigit((unsigned char)*s); s++) {
			unsigned digit = (unsigned)(*s - '0');

			if (v > (ULLONG_MAX - digit) / 10)
				return -ERANGE;
			v = v * 10 + digit;
		}
		switch (*s) {
		case 'd':
			mult = 86400 * k;
			break;
		case 'h':
			mult = 3600 * k;
			break;
		case 'm':
			if (s[1] == 's') {
				if (!ms)
					return -EINVAL;
				s++;
				mult = 1;
			} else {
				mult = 60 * k;
			}
			break;
		case 's':
			mult = k;
			break;
		case '\0':
			if (unit_seen)
				return -EINVAL; /* "1h30": 30 what? */
			mult = 1;
			break;
		default:
			return -EINVAL;
		}
		if (*s)
			s++;
		if (v > (ULLONG_MAX - total) / mult)
			return -ERANGE;
		total += v * mult;
		unit_seen = true;
	}
	if (total < min || total > max)
		return -ERANGE;
	*ret = total;
	return 0;
}

int parse_duration(const char *s, unsigned long long min,
		   unsigned long long max, unsigned long long *ret)
{
	return duration_sum(s, false, min, max, ret);
}

int parse_duration_ms(const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *ret)
{
	return duration_sum(s, true, min, max, ret);
}

int parse_config_uint(const char *key, const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *ret)
{
	size_t n = strlen(key);

	if (n > 3 && strcmp(key + n - 3, "_ms") == 0)
		return parse_duration_ms(s, min, max, ret);
	return parse_uint(s, min, max, ret);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? (int64_t)m - 3 : (int64_t)m + 9) + 2) / 5 +
	      (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool relpath_is_contained(const char *path, size_t max)
{
	const char *comp = path;
	size_t len = strlen(path);

	if (len == 0 || len > max || path[0] == '/')
		return false;
	for (const char *p = path;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - comp);

			if (n == 0 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			comp = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pipe_cloexec(int fds[2])
{
	if (pipe(fds) < 0)
		return -errno;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
		int r = -errno;

		close(fds[0]);
		close(fds[1]);
		return r;
	}
	return 0;
}

char *state_dir_default(const char *what)
{
	const char *v = getenv("XDG_STATE_HOME");

	if (v && *v == '/')
		return xasprintf("%s/rdiag/%s", v, what);
	if (!platform_is_root() && (v = getenv("HOME")) && *v == '/')
		return xasprintf("%s/.local/state/rdiag/%s", v, what);
	return xasprintf("/var/lib/rdiag/%s", what);
}

void utc_stamp(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

void utc_iso8601(int64_t epoch, char *buf, size_t len)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}
