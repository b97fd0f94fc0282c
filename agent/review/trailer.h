/*
 * The compression trailer of a bundle: libarchive never checks a gzip
 * member's CRC-32 and length, and stops reading a zstd frame at the tar
 * end marker, so a flipped checksum passed inspect whenever the manifest
 * still matched. This runs the compressed bytes through zlib or libzstd
 * beside libarchive, which do check them.
 */
#ifndef RDIAG_REVIEW_TRAILER_H
#define RDIAG_REVIEW_TRAILER_H

#include <stddef.h>
#include <stdint.h>

struct trailer;

/* max_out: uncompressed bytes at most (a bomb after the tar end is not
 * inflated without end). */
struct trailer *trailer_new(uint64_t max_out);
/* The next compressed bytes, in order. */
void trailer_feed(struct trailer *t, const void *p, size_t n);
/*
 * After the last byte: 0 when the stream ended with a valid checksum,
 * -EBADMSG (damaged), -EFBIG (too large) with a message.
 */
int trailer_finish(struct trailer *t, char **ret_err);
void trailer_free(struct trailer *t);

#endif
