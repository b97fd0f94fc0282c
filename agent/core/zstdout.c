/*
 * zstd streaming through libzstd with small multi-threaded jobs (see
 * zstdout.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>

#include "core/zstdout.h"
#include "rdiag/util.h"

/* libzstd's smallest job size: memory stays flat whatever the workers. */
#define ZSTDOUT_JOB_SIZE (512 * 1024)
#define ZSTDOUT_BUF      (64 * 1024)

struct zstdout {
	ZSTD_CCtx *c;
	zstdout_sink_fn sink;
	void *arg;
	unsigned char *out;
	int err;
};

int zstdout_new(int level, unsigned threads, zstdout_sink_fn sink, void *arg,
		struct zstdout **ret)
{
	struct zstdout *z = xcalloc(1, sizeof(*z));

	z->c = ZSTD_createCCtx();
	if (!z->c) {
		free(z);
		return -ENOMEM;
	}
	z->sink = sink;
	z->arg = arg;
	z->out = xmalloc(ZSTDOUT_BUF);
	ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1);
	/* Without thread support this fails and zstd compresses inline. */
	if (threads > 1 && !ZSTD_isError(ZSTD_CCtx_setParameter(
				   z->c, ZSTD_c_nbWorkers, (int)threads)))
		ZSTD_CCtx_setParameter(z->c, ZSTD_c_jobSize, ZSTDOUT_JOB_SIZE);
	*ret = z;
	return 0;
}

static int zstdout_run(struct zstdout *z, const void *p, size_t n,
		       ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	if (z->err < 0)
		return z->err;
	do {
		ZSTD_outBuffer out = { z->out, ZSTDOUT_BUF, 0 };

		left = ZSTD_compressStream2(z->c, &out, &in, mode);
		if (ZSTD_isError(left))
			return z->err = -EIO;
		if (out.pos > 0 &&
		    (z->err = z->sink(z->arg, z->out, out.pos)) < 0)
			return z->err;
		/* continue: until the input is taken; end: until flushed */
	} while (mode == ZSTD_e_end ? left > 0 : in.pos < in.size);
	return 0;
}

int zstdout_write(struct zstdout *z, const void *p, size_t n)
{
	return zstdout_run(z, p, n, ZSTD_e_continue);
}

int zstdout_finish(struct zstdout *z)
{
	return zstdout_run(z, NULL, 0, ZSTD_e_end);
}

void zstdout_free(struct zstdout *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	free(z->out);
	free(z);
}
