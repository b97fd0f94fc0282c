/*
 * Windows build: the iconv(3) subset core/textdecode.c uses (to UTF-8 from
 * UTF-16, UTF-16LE, UTF-16BE, CP1251, CP1252), implemented in
 * agent/platform/windows/posix_compat.c; mingw-w64 has no iconv and Debian
 * ships none for it.
 */
#ifndef RDIAG_WIN_ICONV_H
#define RDIAG_WIN_ICONV_H
#include <stddef.h>
typedef struct rdiag_iconv *iconv_t;
iconv_t iconv_open(const char *to, const char *from);
size_t iconv(iconv_t cd, char **in, size_t *inleft, char **out,
	     size_t *outleft);
int iconv_close(iconv_t cd);
#endif
