/*
 * Splitting URLs, the one way rdiag does it: libcurl's URL API (curl_url)
 * parses and checks the syntax, and this layer adds what every caller
 * wants on top of it: the last '@' ends the userinfo (as libpq and browsers
 * read it), an empty port or port 0 is refused, "scheme:///path" has no
 * host (libcurl would take the path's first segment), a length cap, and
 * strict percent-escapes. Policy (which schemes, whether a password may
 * appear, which host names) stays with each caller: upload, ticket and
 * database targets.
 */
#ifndef RDIAG_URL_H
#define RDIAG_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Longer URLs are refused before any parsing (URL_FAULT_TOO_LONG). */
#define URL_MAX_LEN 65536

enum url_fault {
	URL_FAULT_NONE = 0,
	URL_FAULT_TOO_LONG,  /* over URL_MAX_LEN bytes */
	URL_FAULT_NO_SCHEME, /* no "scheme://" */
	URL_FAULT_USER,      /* user name badly escaped or a control char */
	URL_FAULT_NO_HOST,   /* empty host */
	URL_FAULT_IPV6,      /* bracketed host that is no IPv6 address */
	URL_FAULT_HOST,      /* a character no host name can have */
	URL_FAULT_PORT,      /* port empty, 0, over 65535 or not a number */
	URL_FAULT_FILE,      /* file-like URL with a host but localhost */
	URL_FAULT_MALFORMED, /* anything else libcurl refuses */
};

/* Treat the URL like file://: an empty or "localhost" authority only. */
#define URL_AS_FILE 1u
/* Take spaces in the path, query and user name (CURLU_ALLOW_SPACE). */
#define URL_ALLOW_SPACE 2u

/* A split URL. Strings are owned (url_parts_release); absent ones NULL. */
struct url_parts {
	char *scheme;      /* lower case */
	char *user;        /* percent-decoded; NULL without userinfo */
	bool has_password; /* a ':' in the userinfo; the password is dropped */
	char *host;        /* decoded; IPv6 without brackets; NULL for files */
	char *zone;        /* IPv6 zone id ("eth0"), decoded, or NULL */
	unsigned port;     /* 1-65535, or 0 when none was given */
	bool has_path;     /* something followed the authority as a path */
	char *path;        /* as given (still percent-encoded), at least "/" */
	char *query;       /* as given, without '?'; NULL when none */
	char *fragment;    /* as given, without '#'; NULL when none */
};

/*
 * Split s. Returns 0 and fills *ret (release with url_parts_release()), or
 * -EINVAL and writes the reason to *ret_fault (*ret untouched). flags:
 * URL_AS_FILE, URL_ALLOW_SPACE. The scheme may be any
 * (CURLU_NON_SUPPORT_SCHEME); nothing is resolved or contacted.
 */
int url_split(const char *s, unsigned flags, struct url_parts *ret,
	      enum url_fault *ret_fault);
void url_parts_release(struct url_parts *u);

/*
 * The host as it is written in a URL: "[fe80::1%25eth0]" for an IPv6
 * literal (zone re-encoded), the name otherwise. New string; NULL for NULL.
 */
char *url_host_literal(const struct url_parts *u);

/* Every '%' in s[0..n) starts a two-hex-digit escape. */
bool url_escapes_valid(const char *s, size_t n);

/*
 * Percent-decode s[0..n) into a new string (*ret, caller frees). -EINVAL
 * for a bad escape, an encoded NUL, or (unless allow_ctrl) any control
 * character in the result; *ret untouched then.
 */
int url_decode(const char *s, size_t n, bool allow_ctrl, char **ret);

/*
 * Whether s carries a password (a ':' in the userinfo, which ends at the
 * authority's last '@'), without parsing the rest: callers that refuse
 * passwords say so before any other complaint.
 */
bool url_has_password(const char *s);

/* A plain host name: letters, digits, '-', '.', '_' only, not empty. */
bool url_host_is_name(const char *h);

#endif
