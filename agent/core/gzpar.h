/*
 * Parallel gzip as pigz does it: the stream is cut into blocks, each block
 * becomes one complete gzip member (header, deflate data, CRC-32, ISIZE) on
 * a small pool of threads, and the members are written out in order.
 * Concatenated members are one valid gzip file (RFC 1952, section 2.2):
 * gzip -d, tar, zlib's gzip reader and libarchive read it whole. Memory is
 * fixed by the block size and the pool, whatever the stream's length.
 */
#ifndef RDIAG_GZPAR_H
#define RDIAG_GZPAR_H

#include <stddef.h>

struct gzpar;

/* Where finished members go, in order: 0 or a negative errno. */
typedef int (*gzpar_sink_fn)(void *arg, const void *p, size_t n);

/* The block each member holds (the last one may be shorter). */
#define GZPAR_BLOCK_SIZE (256u * 1024)
/* At most this many compressing threads, whatever the processor count. */
#define GZPAR_MAX_THREADS 4

/*
 * A compressor at zlib level (1-9) with threads compressing threads (0:
 * every block is compressed by the caller of gzpar_write, one at a time;
 * threads that cannot be started are done without). sink is only ever
 * called from gzpar_write() and gzpar_finish(), on the caller's thread.
 * Returns 0 and *ret, or a negative errno when zlib cannot start.
 */
int gzpar_new(int level, unsigned threads, gzpar_sink_fn sink, void *arg,
	      struct gzpar **ret);

/*
 * Append n bytes of the uncompressed stream; may block while every block
 * slot is busy and write finished members to the sink. 0 or the first
 * error (the sink's, or -ENOMEM / -EIO from zlib), which sticks.
 */
int gzpar_write(struct gzpar *g, const void *p, size_t n);

/*
 * Compress what is left and write every member out (an empty stream still
 * gets one empty member, so the output is always valid gzip). 0 or the
 * first error.
 */
int gzpar_finish(struct gzpar *g);

/* Stop the threads and free everything; unwritten members are dropped. */
void gzpar_free(struct gzpar *g);

/* Compressing threads for this machine: its processors, at most the cap. */
unsigned gzpar_default_threads(void);

#endif
