/*
 * Windows build: the glob(3) subset collectors/product.c uses (flags 0, an
 * error callback, sorted results), implemented in
 * agent/platform/windows/posix_compat.c with FindFirstFileExW, one path
 * component at a time, wildcards (* ? [...]) in any component.
 */
#ifndef RDIAG_WIN_GLOB_H
#define RDIAG_WIN_GLOB_H
#include <stddef.h>
#define GLOB_NOSPACE 1
#define GLOB_ABORTED 2
#define GLOB_NOMATCH 3
#define GLOB_ERR     (1 << 0)
typedef struct {
	size_t gl_pathc;
	char **gl_pathv;
	size_t gl_offs;
} glob_t;
int glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
	 glob_t *g);
void globfree(glob_t *g);
#endif
