/*
 * Pure helpers of the product collector (see product_log.h): timestamps at
 * the start of log lines, the --since window, error pattern matching and
 * printable excerpts. Kept apart from the I/O so they can be tested directly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "product_log.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"

/* A syslog line may be this far in the future before it is last year's. */
#define SYSLOG_FUTURE_SLACK (24 * 60 * 60)

static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n decimal digits at s (all must be digits). */
static bool digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static bool valid_date_time(int y, int mon, int d, int h, int mi, int s)
{
	return y >= 1970 && mon >= 1 && mon <= 12 && d >= 1 &&
	       d <= days_in_month(y, mon) && h <= 23 && mi <= 59 && s <= 60;
}

static int local_time(int y, int mon, int d, int h, int mi, int s, time_t *ret)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = t;
	return 0;
}

/* Zone suffix after the seconds: 0 and *ret_off (seconds east) or -1. */
static int parse_zone(const char *p, size_t len, long *ret_off)
{
	int hh, mm = 0;
	size_t i = 3;

	if (len >= 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*ret_off = 0;
		return 0;
	}
	if (len < 3 || (p[0] != '+' && p[0] != '-') || !digits(p + 1, 2, &hh))
		return -1;
	if (i < len && p[i] == ':')
		i++;
	if (i + 2 > len || !digits(p + i, 2, &mm))
		mm = 0;
	if (hh > 14 || mm > 59)
		return -1;
	*ret_off = (p[0] == '-' ? -1 : 1) * (long)(hh * 3600 + mm * 60);
	return 0;
}

static int parse_iso(const char *p, size_t len, time_t *ret)
{
	int y, mon, d, h, mi, s;
	size_t i = 19;
	long off;

	if (len < 19 || !digits(p, 4, &y) || p[4] != '-' ||
	    !digits(p + 5, 2, &mon) || p[7] != '-' || !digits(p + 8, 2, &d) ||
	    (p[10] != 'T' && p[10] != ' ') || !digits(p + 11, 2, &h) ||
	    p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' ||
	    !digits(p + 17, 2, &s))
		return -EINVAL;
	if (!valid_date_time(y, mon, d, h, mi, s))
		return -EINVAL;
	if (i + 1 < len && (p[i] == '.' || p[i] == ',') && is_digit(p[i + 1]))
		for (i++; i < len && is_digit(p[i]); i++)
			;
	if (parse_zone(p + i, len - i, &off) == 0) {
		*ret = (time_t)(days_from_civil(y, (unsigned)mon, (unsigned)d) *
					86400 +
				h * 3600 + mi * 60 + s - off);
		return 0;
	}
	return local_time(y, mon, d, h, mi, s, ret);
}

static int parse_syslog(const char *p, size_t len, time_t now, time_t *ret)
{
	int mon = -1, d, h, mi, s, y;
	struct tm tm_now;
	size_t i;
	time_t t;

	if (len < 15 || p[3] != ' ')
		return -EINVAL;
	for (size_t k = 0; k < 12; k++)
		if (memcmp(p, month_names[k], 3) == 0)
			mon = (int)k + 1;
	if (mon < 0)
		return -EINVAL;
	if (p[4] == ' ' && digits(p + 5, 1, &d))
		i = 6;
	else if (digits(p + 4, 2, &d))
		i = 6;
	else if (digits(p + 4, 1, &d) && p[5] == ' ')
		i = 5;
	else
		return -EINVAL;
	if (i + 9 > len || p[i] != ' ' || !digits(p + i + 1, 2, &h) ||
	    p[i + 3] != ':' || !digits(p + i + 4, 2, &mi) || p[i + 6] != ':' ||
	    !digits(p + i + 7, 2, &s))
		return -EINVAL;
	if (!localtime_r(&now, &tm_now))
		return -EINVAL;
	y = tm_now.tm_year + 1900;
	if (valid_date_time(y, mon, d, h, mi, s) &&
	    local_time(y, mon, d, h, mi, s, &t) == 0 &&
	    t <= now + SYSLOG_FUTURE_SLACK) {
		*ret = t;
		return 0;
	}
	/* In the future (or Feb 29 of a common year): last year's line. */
	if (!valid_date_time(y - 1, mon, d, h, mi, s))
		return -EINVAL;
	return local_time(y - 1, mon, d, h, mi, s, ret);
}

int product_log_parse_time(const char *line, size_t len, time_t now,
			   time_t *ret)
{
	time_t t;

	if (len > 0 && line[0] == '[') {
		line++;
		len--;
	}
	if (parse_iso(line, len, &t) < 0 &&
	    parse_syslog(line, len, now, &t) < 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

void product_log_filter_init(struct product_log_filter *f, time_t since,
			     time_t now)
{
	f->since = since;
	f->now = now;
	f->keep = true;
}

bool product_log_filter_line(struct product_log_filter *f, const char *line,
			     size_t len)
{
	time_t t;

	if (f->since == 0)
		return true;
	if (product_log_parse_time(line, len, f->now, &t) == 0)
		f->keep = t >= f->since;
	return f->keep;
}

struct product_log_matcher {
	pcre2_code **code; /* NULL for a pattern that never matches */
	size_t n;
	pcre2_match_data *md;
};

struct product_log_matcher *product_log_matcher_new(const char *const *patterns,
						    size_t n, int *ret_bad)
{
	struct product_log_matcher *m = xcalloc(1, sizeof(*m));
	int bad = -1;

	m->code = xcalloc(n ? n : 1, sizeof(*m->code));
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		int err;
		PCRE2_SIZE off;

		if (patterns[i][0] == '\0')
			continue;
		m->code[i] = pcre2_compile(
			(PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
			PCRE2_LITERAL | PCRE2_CASELESS | PCRE2_UTF |
				PCRE2_MATCH_INVALID_UTF,
			&err, &off, NULL);
		if (!m->code[i]) {
			if (bad < 0)
				bad = (int)i;
			continue;
		}
		/* Without JIT (no executable memory) the interpreter runs. */
		(void)pcre2_jit_compile(m->code[i], PCRE2_JIT_COMPLETE);
	}
	m->md = pcre2_match_data_create(1, NULL);
	if (!m->md)
		abort();
	if (ret_bad)
		*ret_bad = bad;
	return m;
}

void product_log_matcher_free(struct product_log_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		pcre2_code_free(m->code[i]);
	free(m->code);
	pcre2_match_data_free(m->md);
	free(m);
}

int product_log_match(const struct product_log_matcher *m, const char *line,
		      size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->code[i] && pcre2_match(m->code[i], (PCRE2_SPTR)line, len,
					      0, 0, m->md, NULL) >= 0)
			return (int)i;
	return -1;
}

void product_log_excerpt(const char *line, size_t len, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = 0, o = 0;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	while (i < len && o + 1 < outlen) {
		int r = utf8_seq(s + i, len - i);
		size_t n = r > 0 ? (size_t)r : 0;

		if (n == 0) {
			out[o++] = '?';
			i++;
		} else if (n == 1) {
			out[o++] = s[i] < 0x20 || s[i] == 0x7f ? ' ' : line[i];
			i++;
		} else if (o + n < outlen) {
			memcpy(out + o, line + i, n);
			o += n;
			i += n;
		} else {
			break;
		}
	}
	out[o] = '\0';
}
