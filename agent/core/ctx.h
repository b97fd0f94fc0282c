/*
 * The agent's side of the collector ctx: how a worker's ctx is made. The
 * collectors see only the opaque API in include/rdiag/collector.h.
 */
#ifndef RDIAG_CTX_H
#define RDIAG_CTX_H

#include <time.h>

#include "core/config.h"
#include "rdiag/collector.h"

struct ctx_params {
	const struct collector *collector;
	int out_fd;              /* records go here as JSON lines */
	const char *staging_dir; /* absolute, exists, owned by us */
	const struct config *config;
	int64_t deadline_ms; /* absolute, on the now_ms() clock */
	time_t since;        /* 0 = no window */
	const char *root;    /* "" or a fixture tree */
	/*
	 * NULL, or the run's staging key (core/stagecrypt.h): artifacts are
	 * written into a file with no name and sealed under their name when
	 * closed, so staging never holds a readable unredacted copy.
	 */
	const unsigned char *seal_key;
};

struct collector_ctx *ctx_new(const struct ctx_params *p);
void ctx_free(struct collector_ctx *ctx);

/*
 * -ENOSPC or -EDQUOT when an artifact could not be written into staging
 * for want of space (the worker tells the runner by its exit status),
 * else 0.
 */
int ctx_staging_error(const struct collector_ctx *ctx);

/* The raw record fd; only for tests that must write hostile bytes. */
int ctx_out_fd(struct collector_ctx *ctx);

#endif
