/*
 * Two C library facilities mingw-w64 lacks, in the subsets rdiag uses:
 * iconv(3) to UTF-8 from the encodings core/textdecode.c detects (UTF-16
 * with or without a byte-order mark, CP1251, CP1252), and glob(3) for the
 * product collector's file patterns (FindFirstFileExW per path component;
 * * ? [...] in any component, matched case-insensitively as NTFS names are;
 * names starting with '.' only when the pattern's component does; results
 * sorted). Both are for the Windows build only (include/iconv.h, glob.h).
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <glob.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"

/* ------------------------------------------------------------ iconv */

enum conv_kind { CONV_UTF16, CONV_UTF16LE, CONV_UTF16BE, CONV_CODEPAGE };

struct rdiag_iconv {
	enum conv_kind kind;
	unsigned codepage;
	bool big_endian;
	bool bom_seen; /* CONV_UTF16: the first unit was looked at */
};

iconv_t iconv_open(const char *to, const char *from)
{
	struct rdiag_iconv *cd;

	if (strcmp(to, "UTF-8") != 0) {
		errno = EINVAL;
		return (iconv_t)-1;
	}
	cd = xcalloc(1, sizeof(*cd));
	if (strcmp(from, "UTF-16") == 0) {
		cd->kind = CONV_UTF16;
		cd->big_endian = true; /* as glibc, without a mark */
	} else if (strcmp(from, "UTF-16LE") == 0) {
		cd->kind = CONV_UTF16LE;
	} else if (strcmp(from, "UTF-16BE") == 0) {
		cd->kind = CONV_UTF16BE;
		cd->big_endian = true;
	} else if (strcmp(from, "CP1252") == 0) {
		cd->kind = CONV_CODEPAGE;
		cd->codepage = 1252;
	} else if (strcmp(from, "CP1251") == 0) {
		cd->kind = CONV_CODEPAGE;
		cd->codepage = 1251;
	} else {
		free(cd);
		errno = EINVAL;
		return (iconv_t)-1;
	}
	return cd;
}

int iconv_close(iconv_t cd)
{
	free(cd);
	return 0;
}

static size_t utf8_put(uint32_t c, unsigned char *o)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | c >> 12);
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | c >> 18);
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

static unsigned unit16(const unsigned char *p, bool be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

/*
 * One character from *in: its code point and the bytes it took, or
 * -EINVAL (incomplete at the end of the input), -EILSEQ.
 */
static int next_char(struct rdiag_iconv *cd, const unsigned char *p, size_t n,
		     uint32_t *ret_c, size_t *ret_used)
{
	unsigned u, lo;

	if (cd->kind == CONV_CODEPAGE) {
		wchar_t w;

		if (p[0] < 0x80) {
			*ret_c = p[0];
		} else if (MultiByteToWideChar(
				   cd->codepage, MB_ERR_INVALID_CHARS,
				   (const char *)p, 1, &w, 1) != 1) {
			return -EILSEQ;
		} else {
			*ret_c = w;
		}
		*ret_used = 1;
		return 0;
	}
	if (n < 2)
		return -EINVAL;
	u = unit16(p, cd->big_endian);
	if (u >= 0xdc00 && u <= 0xdfff)
		return -EILSEQ;
	if (u < 0xd800 || u > 0xdbff) {
		*ret_c = u;
		*ret_used = 2;
		return 0;
	}
	if (n < 4)
		return -EINVAL;
	lo = unit16(p + 2, cd->big_endian);
	if (lo < 0xdc00 || lo > 0xdfff)
		return -EILSEQ;
	*ret_c = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	*ret_used = 4;
	return 0;
}

size_t iconv(iconv_t cd, char **in, size_t *inleft, char **out, size_t *outleft)
{
	if (!in || !*in) {
		cd->bom_seen = false;
		return 0;
	}
	while (*inleft > 0) {
		const unsigned char *p = (const unsigned char *)*in;
		unsigned char enc[4];
		uint32_t c;
		size_t used, len;
		int r;

		if (cd->kind == CONV_UTF16 && !cd->bom_seen && *inleft >= 2) {
			cd->bom_seen = true;
			if ((p[0] == 0xfe && p[1] == 0xff) ||
			    (p[0] == 0xff && p[1] == 0xfe)) {
				cd->big_endian = p[0] == 0xfe;
				*in += 2;
				*inleft -= 2;
				continue;
			}
		}
		if ((r = next_char(cd, p, *inleft, &c, &used)) < 0) {
			errno = -r;
			return (size_t)-1;
		}
		len = utf8_put(c, enc);
		if (len > *outleft) {
			errno = E2BIG;
			return (size_t)-1;
		}
		memcpy(*out, enc, len);
		*out += len;
		*outleft -= len;
		*in += used;
		*inleft -= used;
	}
	return 0;
}

/* ------------------------------------------------------------ glob */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* fnmatch(3) without flags, ASCII case folded. */
static bool match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			for (const char *t = s;; t++) {
				if (match(p + 1, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (!*s)
			return false;
		if (*p == '?')
			continue;
		if (*p == '[') {
			const char *q = p + 1;
			bool neg = *q == '!' || *q == '^', hit = false;

			if (neg)
				q++;
			do {
				int a = lower((unsigned char)*q), b = a;

				if (q[1] == '-' && q[2] && q[2] != ']') {
					b = lower((unsigned char)q[2]);
					q += 2;
				}
				if (lower((unsigned char)*s) >= a &&
				    lower((unsigned char)*s) <= b)
					hit = true;
				q++;
			} while (*q && *q != ']');
			if (!*q) /* no closing bracket: a literal '[' */
				goto literal;
			if (hit == neg)
				return false;
			p = q;
			continue;
		}
	literal:
		if (lower((unsigned char)*p) != lower((unsigned char)*s))
			return false;
	}
	return !*s;
}

struct glob_state {
	char **v;
	size_t n, cap;
	char sep;
	int (*errfunc)(const char *, int);
	int flags;
	int err;
};

static void glob_add(struct glob_state *g, const char *path)
{
	if (g->n + 1 >= g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->v = xreallocarray(g->v, g->cap, sizeof(*g->v));
	}
	g->v[g->n++] = xstrdup(path);
	g->v[g->n] = NULL;
}

static bool has_magic(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

static bool path_exists(const char *path, bool want_dir)
{
	wchar_t *w = win_wpath(path);
	DWORD a;

	if (!w)
		return false;
	a = GetFileAttributesW(w);
	free(w);
	return a != INVALID_FILE_ATTRIBUTES &&
	       (!want_dir || (a & FILE_ATTRIBUTE_DIRECTORY));
}

/* prefix joined with name ("" is the current directory). */
static char *join(const struct glob_state *g, const char *prefix,
		  const char *name)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return xstrdup(name);
	if (prefix[n - 1] == '/' || prefix[n - 1] == '\\')
		return xasprintf("%s%s", prefix, name);
	return xasprintf("%s%c%s", prefix, g->sep, name);
}

/* Expand rest (components separated by / or \) below prefix. */
static void glob_walk(struct glob_state *g, const char *prefix,
		      const char *rest)
{
	size_t len = strcspn(rest, "/\\");
	const char *next = rest + len;
	bool last;
	char *comp;

	while (*next == '/' || *next == '\\')
		next++;
	last = *next == '\0';
	if (len == 0) {
		if (*prefix)
			glob_add(g, prefix);
		return;
	}
	comp = xstrndup(rest, len);
	if (!has_magic(rest, len)) {
		char *p = join(g, prefix, comp);

		if (last ? path_exists(p, false) : path_exists(p, true)) {
			if (last)
				glob_add(g, p);
			else
				glob_walk(g, p, next);
		}
		free(p);
	} else {
		char *pat = join(g, *prefix ? prefix : ".", "*");
		wchar_t *wpat = win_wpath(pat);
		WIN32_FIND_DATAW fd;
		HANDLE h = INVALID_HANDLE_VALUE;

		if (wpat)
			h = FindFirstFileExW(wpat, FindExInfoBasic, &fd,
					     FindExSearchNameMatch, NULL, 0);
		if (h == INVALID_HANDLE_VALUE) {
			DWORD e = GetLastError();

			if (e != ERROR_FILE_NOT_FOUND &&
			    e != ERROR_PATH_NOT_FOUND && g->errfunc &&
			    (g->errfunc(*prefix ? prefix : ".",
					-win_errno(e)) ||
			     (g->flags & GLOB_ERR)))
				g->err = GLOB_ABORTED;
		} else {
			do {
				char *name = win_utf8(fd.cFileName);
				char *p;

				if (!name || strcmp(name, ".") == 0 ||
				    strcmp(name, "..") == 0 ||
				    (name[0] == '.' && comp[0] != '.') ||
				    !match(comp, name)) {
					free(name);
					continue;
				}
				p = join(g, prefix, name);
				if (last)
					glob_add(g, p);
				else if (fd.dwFileAttributes &
					 FILE_ATTRIBUTE_DIRECTORY)
					glob_walk(g, p, next);
				free(p);
				free(name);
			} while (!g->err && FindNextFileW(h, &fd));
			FindClose(h);
		}
		free(wpat);
		free(pat);
	}
	free(comp);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
	 glob_t *out)
{
	struct glob_state g = { .errfunc = errfunc, .flags = flags };
	char root[512] = "";
	const char *rest = pattern;

	g.sep = strchr(pattern, '\\') ? '\\' : '/';
	/* The root stays as written: "C:/", "/", "\\server\share". */
	if (pattern[0] && pattern[1] == ':' &&
	    (pattern[2] == '/' || pattern[2] == '\\')) {
		snprintf(root, sizeof(root), "%.3s", pattern);
		rest = pattern + 3;
	} else if ((pattern[0] == '\\' || pattern[0] == '/') &&
		   (pattern[1] == '\\' || pattern[1] == '/')) {
		const char *s = pattern + 2;
		size_t a = strcspn(s, "/\\"), b;

		if (s[a])
			a += 1 + strcspn(s + a + 1, "/\\");
		b = (size_t)(s - pattern) + a;
		snprintf(root, sizeof(root), "%.*s", (int)b, pattern);
		rest = pattern + b;
	} else if (pattern[0] == '/' || pattern[0] == '\\') {
		snprintf(root, sizeof(root), "%c", pattern[0]);
		rest = pattern + 1;
	}
	while (*rest == '/' || *rest == '\\')
		rest++;
	glob_walk(&g, root, rest);
	if (g.n > 1)
		qsort(g.v, g.n, sizeof(*g.v), cmp_str);
	out->gl_pathc = g.n;
	out->gl_pathv = g.v;
	out->gl_offs = 0;
	if (g.err)
		return g.err;
	return g.n ? 0 : GLOB_NOMATCH;
}

void globfree(glob_t *g)
{
	for (size_t i = 0; i < g->gl_pathc; i++)
		free(g->gl_pathv[i]);
	free(g->gl_pathv);
	g->gl_pathv = NULL;
	g->gl_pathc = 0;
}
