/*
 * Where `rdiag extract` (and export's private copy) writes a bundle: a new
 * or empty directory, written only through openat() relative to it with
 * O_NOFOLLOW and O_EXCL, so no entry can land outside it or replace
 * anything. The reader (review.h) has already refused unsafe names; this
 * is the second wall.
 */
#ifndef RDIAG_REVIEW_DEST_H
#define RDIAG_REVIEW_DEST_H

#include "review/review.h"

struct review_dest;

/*
 * Use dir (created 0700 when missing; must be empty otherwise). 0 or a
 * negative errno with a message in *ret_err.
 */
int review_dest_open(const char *dir, struct review_dest **ret, char **ret_err);

/* The sink to pass in review_opts; valid while d is. */
const struct review_sink *review_dest_sink(struct review_dest *d);

/*
 * Remove everything written below the directory (and the directory
 * itself when review_dest_open() created it). 0 or a negative errno.
 */
int review_dest_discard(struct review_dest *d);

void review_dest_free(struct review_dest *d);

#endif
