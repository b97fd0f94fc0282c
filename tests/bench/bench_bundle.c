/*
 * bench_bundle DIR OUTDIR [gzip|zstd]: bundle every regular file below DIR
 * with redaction on, the way `rdiag run` bundles its staging tree, so that
 * tests/bench/bench-bundle.sh can time it against `tar czf`. Prints the
 * bundle's path, size, SHA-256 and file count.
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bundle.h"
#include "core/redact.h"
#include "rdiag/util.h"

/* nftw() has no user pointer. */
static struct bundle *bench_bundle;
static size_t bench_root_len;
static uint64_t bench_files;
static int bench_r;

static int bench_visit(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	const char *rel = path + bench_root_len;
	char *err = NULL;
	int r;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	while (*rel == '/')
		rel++;
	if ((r = bundle_add_file(bench_bundle, rel, path, true, &err)) < 0) {
		fprintf(stderr, "bench_bundle: %s\n", err);
		free(err);
		bench_r = r;
		return 1;
	}
	bench_files++;
	return 0;
}

int main(int argc, char **argv)
{
	enum bundle_compress c = BUNDLE_GZIP;
	struct redactor *red = NULL;
	const struct bundle_manifest manifest = {
		.agent_version = RDIAG_VERSION,
		.host = "bench",
	};
	char *err = NULL, *path = NULL, *base = NULL;
	char stamp[32], sha[65];
	uint64_t size = 0;
	int r;

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && strcmp(argv[3], "gzip") != 0 &&
	     strcmp(argv[3], "zstd") != 0)) {
		fprintf(stderr, "usage: bench_bundle DIR OUTDIR [gzip|zstd]\n");
		return 64;
	}
	if (argc == 4 && strcmp(argv[3], "zstd") == 0)
		c = BUNDLE_ZSTD;
	red = redactor_new();
	utc_stamp(stamp, sizeof(stamp));
	base = xasprintf("rdiag-bench-%s-%ld", stamp, (long)getpid());
	if ((r = bundle_open(argv[2], base, c, red, &bench_bundle, &err)) < 0)
		goto out;
	bench_root_len = strlen(argv[1]);
	if (nftw(argv[1], bench_visit, 32, FTW_PHYS) != 0) {
		if (bench_r == 0)
			fprintf(stderr, "bench_bundle: cannot walk '%s'\n",
				argv[1]);
		bundle_abort(bench_bundle);
		r = bench_r < 0 ? bench_r : -1;
		goto out;
	}
	r = bundle_close(bench_bundle, &manifest, &path, &size, sha, &err);
	if (r == 0)
		printf("%s %" PRIu64 " %s %" PRIu64 "\n", path, size, sha,
		       bench_files);
out:
	if (err)
		fprintf(stderr, "bench_bundle: %s\n", err);
	redactor_free(red);
	free(err);
	free(path);
	free(base);
	return r < 0 ? 1 : 0;
}
