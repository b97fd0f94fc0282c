/*
 * Parallel gzip members (see gzpar.h). The blocks live in a ring of slots,
 * numbered by sequence: the caller fills slot `filled`, workers take slots
 * from `taken` on, and the caller writes finished slots from `written` on,
 * so members leave in the order their blocks came in. A slot is reused only
 * after it was written, which is what bounds memory: the ring holds twice
 * as many slots as there are threads, plus the one being filled.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/gzpar.h"
#include "platform/platform.h"
#include "rdiag/util.h"

#define GZPAR_STACK_SIZE (256u * 1024)

enum gzpar_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct gzpar_slot {
	enum gzpar_state state;
	unsigned char *in, *out;
	size_t in_len, out_len;
	int err;
};

struct gzpar {
	int level;
	gzpar_sink_fn sink;
	void *arg;
	size_t out_cap;
	struct gzpar_slot *slots;
	unsigned char *ring; /* every slot's buffers */
	unsigned nslots;
	/* Sequence numbers; a slot is slots[seq % nslots]. */
	uint64_t filled, taken, written;
	int err;           /* sticky, the caller's thread only */
	z_stream inline_z; /* threads == 0: the caller compresses */
	bool inline_init;

	pthread_t *threads;
	unsigned nthreads;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a slot was queued, or stop */
	pthread_cond_t done; /* a slot was compressed */
	bool stop;
};

static struct gzpar_slot *slot(struct gzpar *g, uint64_t seq)
{
	return &g->slots[seq % g->nslots];
}

static int deflate_start(z_stream *z, int level)
{
	memset(z, 0, sizeof(*z));
	/* 16 + MAX_WBITS: a gzip header and trailer around each member. */
	switch (deflateInit2(z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY)) {
	case Z_OK:
		return 0;
	case Z_MEM_ERROR:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

/* One block into one complete member; the bound makes one call enough. */
static int deflate_block(z_stream *z, struct gzpar_slot *s, size_t out_cap)
{
	if (deflateReset(z) != Z_OK)
		return -EIO;
	z->next_in = s->in;
	z->avail_in = (uInt)s->in_len;
	z->next_out = s->out;
	z->avail_out = (uInt)out_cap;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	s->out_len = out_cap - z->avail_out;
	return 0;
}

static void *gzpar_worker(void *arg)
{
	struct gzpar *g = arg;
	z_stream z;
	int zerr = deflate_start(&z, g->level);

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct gzpar_slot *s;

		while (!g->stop && (g->taken == g->filled ||
				    slot(g, g->taken)->state != SLOT_QUEUED))
			pthread_cond_wait(&g->work, &g->lock);
		if (g->stop)
			break;
		s = slot(g, g->taken++);
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&g->lock);

		s->err = zerr < 0 ? zerr : deflate_block(&z, s, g->out_cap);

		pthread_mutex_lock(&g->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	if (zerr == 0)
		deflateEnd(&z);
	return NULL;
}

int gzpar_new(int level, unsigned threads, gzpar_sink_fn sink, void *arg,
	      struct gzpar **ret)
{
	struct gzpar *g = xcalloc(1, sizeof(*g));
	pthread_attr_t attr;
	sigset_t all, old;
	z_stream z;
	int r = 0;

	if (threads > GZPAR_MAX_THREADS)
		threads = GZPAR_MAX_THREADS;
	g->level = level;
	g->sink = sink;
	g->arg = arg;
	g->nslots = threads ? 2 * threads + 1 : 1;
	if ((r = deflate_start(&z, level)) < 0) {
		free(g);
		return r;
	}
	g->out_cap = deflateBound(&z, GZPAR_BLOCK_SIZE);
	deflateEnd(&z);
	/*
	 * One allocation for the whole ring: when it fails, what little
	 * memory is left stays free for the caller's cleanup.
	 */
	g->ring = xmalloc(g->nslots * (GZPAR_BLOCK_SIZE + g->out_cap));
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	for (unsigned i = 0; i < g->nslots; i++) {
		g->slots[i].in = g->ring + i * (GZPAR_BLOCK_SIZE + g->out_cap);
		g->slots[i].out = g->slots[i].in + GZPAR_BLOCK_SIZE;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	g->threads = xcalloc(threads ? threads : 1, sizeof(*g->threads));
	/* deflate needs little stack; keep the address space small too. */
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, GZPAR_STACK_SIZE);
	/* Signals stay with the threads that handle them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; g->nthreads < threads; g->nthreads++)
		if (pthread_create(&g->threads[g->nthreads], &attr,
				   gzpar_worker, g) != 0)
			break; /* fewer threads (or none) still compress */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (g->nthreads == 0) {
		if ((r = deflate_start(&g->inline_z, level)) < 0) {
			gzpar_free(g);
			return r;
		}
		g->inline_init = true;
	}
	*ret = g;
	return 0;
}

/* Write the oldest finished member, waiting for it; 0 or an error. */
static int gzpar_write_one(struct gzpar *g)
{
	struct gzpar_slot *s = slot(g, g->written);
	int r;

	pthread_mutex_lock(&g->lock);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&g->done, &g->lock);
	pthread_mutex_unlock(&g->lock);
	r = s->err;
	if (r == 0)
		r = g->sink(g->arg, s->out, s->out_len);
	s->in_len = 0;
	s->out_len = 0;
	s->err = 0;
	g->written++;
	pthread_mutex_lock(&g->lock);
	s->state = SLOT_FREE;
	pthread_mutex_unlock(&g->lock);
	return r;
}

static bool gzpar_oldest_done(struct gzpar *g)
{
	bool done;

	pthread_mutex_lock(&g->lock);
	done = slot(g, g->written)->state == SLOT_DONE;
	pthread_mutex_unlock(&g->lock);
	return done;
}

/* Hand the block being filled over (or compress it here, without threads). */
static int gzpar_submit(struct gzpar *g)
{
	struct gzpar_slot *s = slot(g, g->filled);

	if (g->nthreads == 0) {
		s->err = deflate_block(&g->inline_z, s, g->out_cap);
		s->state = SLOT_DONE;
		g->filled++;
		return gzpar_write_one(g);
	}
	pthread_mutex_lock(&g->lock);
	s->state = SLOT_QUEUED;
	g->filled++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int gzpar_write(struct gzpar *g, const void *p, size_t n)
{
	const unsigned char *q = p;

	while (g->err == 0 && n > 0) {
		struct gzpar_slot *s;
		size_t take;

		/* The next slot is free once its last member was written. */
		while (g->err == 0 && g->filled - g->written >= g->nslots)
			g->err = gzpar_write_one(g);
		if (g->err < 0)
			break;
		s = slot(g, g->filled);
		take = GZPAR_BLOCK_SIZE - s->in_len;
		if (take > n)
			take = n;
		memcpy(s->in + s->in_len, q, take);
		s->in_len += take;
		q += take;
		n -= take;
		if (s->in_len == GZPAR_BLOCK_SIZE)
			g->err = gzpar_submit(g);
		/* Write what is finished already, without waiting. */
		while (g->err == 0 && g->written < g->filled &&
		       gzpar_oldest_done(g))
			g->err = gzpar_write_one(g);
	}
	return g->err;
}

int gzpar_finish(struct gzpar *g)
{
	struct gzpar_slot *s;

	if (g->err < 0)
		return g->err;
	/*
	 * The partial block, or one empty member for an empty stream. With
	 * every slot in flight the next one is not being filled at all.
	 */
	s = slot(g, g->filled);
	if ((g->filled - g->written < g->nslots && s->in_len > 0) ||
	    g->filled == 0) {
		while (g->err == 0 && g->filled - g->written >= g->nslots)
			g->err = gzpar_write_one(g);
		if (g->err == 0)
			g->err = gzpar_submit(g);
	}
	while (g->err == 0 && g->written < g->filled)
		g->err = gzpar_write_one(g);
	return g->err;
}

void gzpar_free(struct gzpar *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->lock);
	for (unsigned i = 0; i < g->nthreads; i++)
		pthread_join(g->threads[i], NULL);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	if (g->inline_init)
		deflateEnd(&g->inline_z);
	free(g->ring);
	free(g->slots);
	free(g->threads);
	free(g);
}

unsigned gzpar_default_threads(void)
{
	unsigned n = platform_cpu_count();

	return n > GZPAR_MAX_THREADS ? GZPAR_MAX_THREADS : n;
}
