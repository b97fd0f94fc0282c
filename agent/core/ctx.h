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
};

struct collector_ctx *ctx_new(const struct ctx_params *p);
void ctx_free(struct collector_ctx *ctx);

/* The raw record fd; only for tests that must write hostile bytes. */
int ctx_out_fd(struct collector_ctx *ctx);

#endif
