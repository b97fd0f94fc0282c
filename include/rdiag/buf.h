/*
 * Bounded, growable byte buffers. A struct buf is never NULL-data: after
 * buf_init() data points at an empty NUL-terminated string, so it can always
 * be printed. Every buffer has a maximum; appends that would pass it fail
 * with -ENOBUFS and leave the buffer unchanged, which is how untrusted input
 * (pipes, network replies, files) is kept from growing memory without end.
 */
#ifndef RDIAG_BUF_H
#define RDIAG_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rdiag/util.h"

struct buf {
	char *data; /* always NUL-terminated; never NULL */
	size_t len;
	size_t cap;
	size_t max; /* hard ceiling for len */
};

/* A max of 0 means "no ceiling beyond SIZE_MAX / 2" (trusted data only). */
void buf_init(struct buf *b, size_t max);
/* Frees the storage; b is ready for buf_init() again. */
void buf_release(struct buf *b);
void buf_reset(struct buf *b);

/* 0, or -ENOBUFS when the result would pass b->max (b unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) RDIAG_PRINTF(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) RDIAG_PRINTF(2, 0);

/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* Hand over the storage (a malloc'd NUL-terminated string); b is reset. */
char *buf_detach(struct buf *b, size_t *ret_len);

#endif
