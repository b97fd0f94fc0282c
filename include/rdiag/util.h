/*
 * Small helpers every part of rdiag uses: allocation that aborts on
 * exhaustion (rdiag is a program, not a library), and a few string and time
 * utilities. Nothing here touches the network or the file system.
 */
#ifndef RDIAG_UTIL_H
#define RDIAG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__) && defined(_WIN32)
/* mingw-w64's printf (__USE_MINGW_ANSI_STDIO) is C99's, not msvcrt's. */
#define RDIAG_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#define RDIAG_NORETURN     __attribute__((noreturn))
#elif defined(__GNUC__)
#define RDIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RDIAG_NORETURN     __attribute__((noreturn))
#else
#define RDIAG_PRINTF(f, a)
#define RDIAG_NORETURN
#endif

/* Allocate or abort with a message on stderr; never return NULL. */
/*
 * Called (in the process that set it only) when an x-allocation fails,
 * before rdiag exits 70: the run removes its staging tree so an
 * out-of-memory end leaves no unredacted copies behind.
 */
void xalloc_set_oom_hook(void (*fn)(void));
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Like reallocarray(): aborts on overflow as on exhaustion. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A freshly allocated formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) RDIAG_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) RDIAG_PRINTF(1, 0);

/* free(*p) and set *p = NULL; for use with pointer-to-pointer cleanups. */
void freep(void *p);

/* Milliseconds on CLOCK_MONOTONIC; for deadlines and durations. */
int64_t now_ms(void);

/*
 * Parse a decimal unsigned integer in [min, max]. Returns 0 and writes
 * *ret on success; -EINVAL for junk or an empty string, -ERANGE when out of
 * range. *ret is untouched on failure.
 */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *ret);

/*
 * Parse a duration into whole seconds in [min, max]: plain seconds ("90")
 * or numbers each followed by a unit d, h, m or s ("90s", "15m", "1h30m",
 * "2d"); a bare number after a unit ("1h30") is refused as ambiguous. The
 * one grammar of every duration rdiag reads (options and config keys).
 * Returns 0 and writes *ret; -EINVAL for junk or an empty string, -ERANGE
 * when out of range or too large to count. *ret is untouched on failure.
 */
int parse_duration(const char *s, unsigned long long min,
		   unsigned long long max, unsigned long long *ret);

/* How messages about a bad duration show the grammar (rdiag.1 has it all). */
#define DURATION_EXAMPLES "90s, 15m, 1h30m, 2d"

/*
 * The same grammar in milliseconds, for the keys named *_ms: a plain
 * number is milliseconds, and "ms" joins the units ("1500", "1500ms",
 * "2s", "1m30s"). Bounds and returns as parse_duration().
 */
int parse_duration_ms(const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *ret);

/*
 * A whole-number config value: parse_duration_ms() when key ends in
 * "_ms", parse_uint() otherwise, so every *_ms key reads durations.
 */
int parse_config_uint(const char *key, const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *ret);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day
 * 1-31; not validated), negative before 1970: timegm() without the time
 * zone and without being POSIX (Howard Hinnant's days_from_civil).
 */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * A relative path that cannot climb out of the directory it is joined to:
 * no leading '/', no empty, "." or ".." component, no control characters,
 * 1..max bytes. Callers add their own character rules.
 */
bool relpath_is_contained(const char *path, size_t max);

/* Write all of buf to fd, retrying on EINTR and short writes; 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/*
 * Read up to len bytes into buf, retrying on EINTR and short reads; fewer
 * only at end of file. The bytes read, or -errno.
 */
ssize_t read_full(int fd, void *buf, size_t len);

/* pipe() with FD_CLOEXEC on both ends (pipe2 is not POSIX 2008). */
int pipe_cloexec(int fds[2]);

/*
 * rdiag's default state directory for WHAT ("sessions", "requests"):
 * $XDG_STATE_HOME/rdiag/WHAT, else /var/lib/rdiag/WHAT for root, else
 * ~/.local/state/rdiag/WHAT. Caller frees. The directory may not exist.
 */
char *state_dir_default(const char *what);

/* Format the current UTC time as 20261128T071745Z into buf (>= 17 bytes). */
void utc_stamp(char *buf, size_t len);

/* Format an epoch time as ISO 8601 UTC, 2026-11-28T07:17:45Z (>= 21 bytes). */
void utc_iso8601(int64_t epoch, char *buf, size_t len);

/* Human-readable size ("12.3 MiB") into buf. */
void format_size(uint64_t bytes, char *buf, size_t len);

#endif
