/*
 * zstd for bundles on every processor with flat memory: libzstd's own
 * worker threads, but with small jobs. libarchive's zstd filter (3.6) can
 * start threads too, yet with libzstd's default job size, several MiB per
 * worker: 53 MiB peak RSS at 200 MB against 10 MiB single-threaded. With
 * 512 KiB jobs two workers stay near 7 MiB. One frame with a content
 * checksum, as libarchive writes it, so every zstd reader and inspect's
 * trailer check read it.
 */
#ifndef RDIAG_ZSTDOUT_H
#define RDIAG_ZSTDOUT_H

#include <stddef.h>

struct zstdout;

/* Where compressed bytes go, in order: 0 or a negative errno. */
typedef int (*zstdout_sink_fn)(void *arg, const void *p, size_t n);

/*
 * A compressor at level with threads workers (0 or 1: compress on the
 * caller's thread; a libzstd built without threads does that too). sink is
 * only called from zstdout_write() and zstdout_finish(). 0 or -ENOMEM.
 */
int zstdout_new(int level, unsigned threads, zstdout_sink_fn sink, void *arg,
		struct zstdout **ret);
/* Compress n more bytes; 0 or the first error (-EIO or the sink's). */
int zstdout_write(struct zstdout *z, const void *p, size_t n);
/* End the frame and write the rest; 0 or the first error. */
int zstdout_finish(struct zstdout *z);
void zstdout_free(struct zstdout *z);

#endif
