/*
 * Bundles: the staging tree, findings and reports streamed into one tar.gz
 * or tar.zst by libarchive in a single pass with bounded memory. Every entry
 * is hashed as it is written and listed in manifest.json; the compressed
 * output is hashed as it leaves for the sha256sum-style sidecar. The archive
 * only ever exists as NAME.partial until it is complete and synced, so a
 * reader never sees a half-written bundle under its final name.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle.h"
#include "core/bundle_format.h"
#include "core/error.h"
#include "core/gzpar.h"
#include "core/stagecrypt.h"
#include "core/textdecode.h"
#include "core/zstdout.h"
#include "rdiag/buf.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"

/* Read buffers; big reads keep syscalls off the profile. */
#define BUNDLE_IO_SIZE (256 * 1024)
/* Output block size handed to the write callback. */
#define BUNDLE_BLOCK_SIZE  (64 * 1024)
#define BUNDLE_ARCPATH_MAX 1024
#define BUNDLE_BASE_MAX    200
/*
 * Entries the caller may be ahead of the compressor. Each holds an open
 * file (or a copy of in-memory data), so this bounds open files, scratch
 * disk and memory; two keep the compressor busy while the next file is
 * being redacted.
 */
#define BUNDLE_QUEUE_MAX 2
/*
 * Small entries may queue further, up to this many and this many bytes in
 * all: the caller then runs ahead over a tree of small files instead of
 * waiting for the compressor thread after every second file (a thread
 * switch per file is what made 100 000 small files slow).
 */
#define BUNDLE_QUEUE_SMALL_MAX 64
/* Plain text up to this size is redacted in memory (bundle_redact_small). */
#define BUNDLE_SMALL_TEXT        (64 * 1024)
#define BUNDLE_QUEUE_SMALL_BYTES (2u * 1024 * 1024)

/*
 * Work for the compressor thread. Compression is most of the cost of a
 * bundle, so it runs beside the caller, who meanwhile opens, redacts and
 * hashes the next file, the way `tar | gzip` overlaps its two halves.
 */
enum bundle_op_kind {
	BUNDLE_OP_DIR, /* a directory entry */
	BUNDLE_OP_FD,  /* size bytes from fd, which the op owns */
	BUNDLE_OP_MEM, /* a private copy of in-memory data */
};

struct bundle_op {
	struct bundle_op *next;
	enum bundle_op_kind kind;
	char *arcpath;
	char *src; /* names the source in messages */
	int fd;
	uint64_t size;
	void *data;
	bool hashed; /* digest already known (a redacted copy) */
	unsigned char digest[crypto_hash_sha256_BYTES];
	json_t *source; /* how a decoded copy was made, or NULL */
};

struct bundle {
	/* Used by the caller's thread only. */
	struct redactor *red; /* borrowed, may be NULL */
	int dir_fd;
	char *dir;
	char *top;     /* top directory inside the archive (the base name) */
	char *name;    /* base.suffix */
	char *partial; /* name.partial */
	char *path;    /* dir/name, for messages and the caller */
	json_t *seen;  /* arcpaths queued so far; directories end in '/' */
	unsigned char *cio;
	/* The archive cannot be finished any more. */
	bool broken;
	/* Signs manifest.json into manifest.sig (bundle_set_signer). */
	char *(*signer)(void *arg, const void *m, size_t len);
	void *signer_arg;

	/*
	 * Used by the compressor thread while it runs, by the caller before
	 * it starts and after it is joined.
	 */
	struct archive *a;
	int fd; /* NAME.partial */
	time_t mtime;
	crypto_hash_sha256_state out_hash;
	uint64_t out_size;
	json_t *files;   /* [{path, size, sha256}] in archive order */
	json_t *omitted; /* [{path, reason}]: files that could not be text */
	unsigned char *io;
	/* Being freed unfinished: output goes nowhere. */
	bool discard;
	const volatile sig_atomic_t *stop; /* bundle_set_stop() */
	/* out_size as the caller's thread may read it while this one runs. */
	atomic_uint_least64_t written;

	/* bundle_set_progress(), called on the caller's thread only. */
	void (*progress)(void *arg, uint64_t written);
	void *progress_arg;
	/* gzip: libarchive writes plain tar, compressed here in parallel. */
	struct gzpar *gz;
	struct zstdout *zst; /* zstd, the same way */
	/* Open bundles with a NAME.partial, for bundle_remove_partials(). */
	struct bundle *live_next;
	bool live;

	/* The queue, under lock. */
	pthread_t worker;
	bool running;
	bool sync_init;
	pthread_mutex_t lock;
	pthread_cond_t more; /* an op was queued, or stop */
	pthread_cond_t room; /* an op was done */
	struct bundle_op *q_head, *q_tail;
	unsigned q_len;   /* FD and MEM ops queued or in progress */
	uint64_t q_bytes; /* their sizes */
	bool q_stop;      /* no more ops: finish the queue and exit */
	bool q_abort;     /* drop the queue instead */
	int werr;         /* first failure in the thread, or 0 */
	char *werr_msg;
};

/* Translate libarchive's state into a negative errno and a message. */
static int bundle_archive_err(struct bundle *b, const char *what,
			      char **ret_err)
{
	const char *msg = archive_error_string(b->a);
	int e = archive_errno(b->a);
	int r = e > 0 ? -e : -EIO;

	return error_set(ret_err, r, "cannot write %s to '%s': %s", what,
			 b->path, msg ? msg : strerror(-r));
}

const char *bundle_suffix(enum bundle_compress c)
{
	return c == BUNDLE_ZSTD ? "tar.zst" : "tar.gz";
}

/* The compressed bytes: into NAME.partial and its hash. */
static int bundle_sink(void *arg, const void *p, size_t n)
{
	struct bundle *b = arg;
	int r;

	if (b->stop && *b->stop)
		return -EINTR;
	if ((r = write_all(b->fd, p, n)) < 0)
		return r;
	crypto_hash_sha256_update(&b->out_hash, p, n);
	b->out_size += n;
	atomic_store(&b->written, b->out_size);
	return 0;
}

static void bundle_sink_err(struct archive *a, struct bundle *b, int r)
{
	if (r == -EINTR)
		archive_set_error(a, EINTR, "interrupted");
	else
		archive_set_error(a, -r, "cannot write '%s/%s': %s", b->dir,
				  b->partial, strerror(-r));
}

static la_ssize_t bundle_write_cb(struct archive *a, void *arg, const void *p,
				  size_t n)
{
	struct bundle *b = arg;
	int r;

	if (b->discard)
		return (la_ssize_t)n;
	/* Checked per block here too: the compressors may hold data back. */
	if (b->stop && *b->stop) {
		bundle_sink_err(a, b, -EINTR);
		return -1;
	}
	r = b->gz    ? gzpar_write(b->gz, p, n)
	    : b->zst ? zstdout_write(b->zst, p, n)
		     : bundle_sink(b, p, n);
	if (r < 0) {
		bundle_sink_err(a, b, r);
		return -1;
	}
	return (la_ssize_t)n;
}

static bool bundle_base_valid(const char *base)
{
	size_t len = strlen(base);

	if (len == 0 || len > BUNDLE_BASE_MAX || base[0] == '.')
		return false;
	for (const char *p = base; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * Relative, no empty, "." or ".." component, no control characters: the
 * same entry can then never escape the top directory on extraction.
 */
static bool bundle_arcpath_valid(const char *path)
{
	return relpath_is_contained(path, BUNDLE_ARCPATH_MAX);
}

static void bundle_op_free(struct bundle_op *op)
{
	if (!op)
		return;
	if (op->fd >= 0)
		close(op->fd);
	free(op->arcpath);
	free(op->src);
	free(op->data);
	json_decref(op->source);
	free(op);
}

static struct bundle_op *bundle_op_new(enum bundle_op_kind kind,
				       const char *arcpath)
{
	struct bundle_op *op = xcalloc(1, sizeof(*op));

	op->kind = kind;
	op->arcpath = xstrdup(arcpath);
	op->fd = -1;
	return op;
}

static struct archive_entry *
bundle_entry_new(struct bundle *b, const char *arcpath, bool dir, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	char *full;

	if (!e) {
		fprintf(stderr, "rdiag: out of memory in archive_entry_new\n");
		abort();
	}
	/* "" is the top directory itself. */
	if (arcpath[0] == '\0')
		full = xasprintf("%s/", b->top);
	else
		full = xasprintf("%s/%s%s", b->top, arcpath, dir ? "/" : "");
	archive_entry_copy_pathname(e, full);
	free(full);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0700 : 0600);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, b->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_copy_uname(e, "rdiag");
	archive_entry_copy_gname(e, "rdiag");
	return e;
}

/*
 * The archive_write_* steps. Any failure leaves the archive unusable: a
 * torn entry cannot be taken back out of a compressed stream.
 */
static int bundle_write_header(struct bundle *b, const char *arcpath, bool dir,
			       int64_t size, char **ret_err)
{
	struct archive_entry *e = bundle_entry_new(b, arcpath, dir, size);
	int r = archive_write_header(b->a, e);

	archive_entry_free(e);
	if (r < ARCHIVE_WARN)
		return bundle_archive_err(b, "an entry header", ret_err);
	return 0;
}

static int bundle_write_data(struct bundle *b, const void *p, size_t n,
			     char **ret_err)
{
	const char *q = p;

	while (n > 0) {
		la_ssize_t w = archive_write_data(b->a, q, n);

		if (w <= 0)
			return bundle_archive_err(b, "entry data", ret_err);
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static int bundle_finish_entry(struct bundle *b, char **ret_err)
{
	if (archive_write_finish_entry(b->a) < ARCHIVE_WARN)
		return bundle_archive_err(b, "an entry", ret_err);
	return 0;
}

static void bundle_record(struct bundle *b, const char *arcpath, uint64_t size,
			  const unsigned char *digest, json_t *source)
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), digest, crypto_hash_sha256_BYTES);
	json_array_append_new(b->files,
			      bundle_manifest_file(arcpath, size, hex, source));
}

/* One regular entry from memory. */
static int bundle_write_mem(struct bundle *b, const char *arcpath,
			    const void *data, size_t len, char **ret_err)
{
	int r;

	if ((r = bundle_write_header(b, arcpath, false, (int64_t)len,
				     ret_err)) < 0 ||
	    (r = bundle_write_data(b, data, len, ret_err)) < 0 ||
	    (r = bundle_finish_entry(b, ret_err)) < 0)
		return r;
	return 0;
}

/*
 * Stream exactly op->size bytes of op->fd into the current entry. A file
 * that grows meanwhile is cut at that size; one that shrinks is padded with
 * zeros, which are hashed too, so the manifest always describes what the
 * archive holds.
 */
static int bundle_stream_fd(struct bundle *b, struct bundle_op *op,
			    char **ret_err)
{
	crypto_hash_sha256_state h;
	uint64_t left = op->size;
	bool eof = false;
	int r;

	crypto_hash_sha256_init(&h);
	while (left > 0) {
		size_t want =
			left < BUNDLE_IO_SIZE ? (size_t)left : BUNDLE_IO_SIZE;
		ssize_t n = 0;

		if (!eof)
			n = read(op->fd, b->io, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_set(ret_err, -errno, "cannot read %s: %s",
					 op->src, strerror(errno));
		}
		if (n == 0) {
			eof = true;
			memset(b->io, 0, want);
			n = (ssize_t)want;
		}
		if (!op->hashed)
			crypto_hash_sha256_update(&h, b->io, (size_t)n);
		if ((r = bundle_write_data(b, b->io, (size_t)n, ret_err)) < 0)
			return r;
		left -= (uint64_t)n;
	}
	if (!op->hashed)
		crypto_hash_sha256_final(&h, op->digest);
	return 0;
}

/* Runs on the compressor thread. */
static int bundle_op_run(struct bundle *b, struct bundle_op *op, char **ret_err)
{
	int r;

	switch (op->kind) {
	case BUNDLE_OP_DIR:
		return bundle_write_header(b, op->arcpath, true, 0, ret_err);
	case BUNDLE_OP_MEM:
		if ((r = bundle_write_mem(b, op->arcpath, op->data,
					  (size_t)op->size, ret_err)) < 0)
			return r;
		crypto_hash_sha256(op->digest, op->data, op->size);
		break;
	case BUNDLE_OP_FD:
		if ((r = bundle_write_header(b, op->arcpath, false,
					     (int64_t)op->size, ret_err)) < 0 ||
		    (r = bundle_stream_fd(b, op, ret_err)) < 0 ||
		    (r = bundle_finish_entry(b, ret_err)) < 0)
			return r;
		break;
	}
	bundle_record(b, op->arcpath, op->size, op->digest, op->source);
	return 0;
}

static void *bundle_worker(void *arg)
{
	struct bundle *b = arg;
	struct bundle_op *op;
	char *msg;
	bool skip, heavy;
	uint64_t size;
	int r;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->q_head && !b->q_stop)
			pthread_cond_wait(&b->more, &b->lock);
		op = b->q_head;
		if (!op)
			break;
		b->q_head = op->next;
		if (!b->q_head)
			b->q_tail = NULL;
		/* After a failure the rest is only drained. */
		skip = b->werr < 0 || b->q_abort;
		pthread_mutex_unlock(&b->lock);

		msg = NULL;
		r = skip ? 0 : bundle_op_run(b, op, &msg);
		heavy = op->kind != BUNDLE_OP_DIR;
		size = op->size;
		bundle_op_free(op);

		pthread_mutex_lock(&b->lock);
		if (r < 0 && b->werr == 0) {
			b->werr = r;
			b->werr_msg = msg;
			msg = NULL;
		}
		if (heavy) {
			b->q_len--;
			b->q_bytes -= size;
		}
		pthread_cond_signal(&b->room);
		free(msg);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* The thread's failure, if any, as this call's error. */
static int bundle_worker_err(struct bundle *b, char **ret_err)
{
	int r;

	pthread_mutex_lock(&b->lock);
	r = b->werr;
	if (r < 0)
		error_set(ret_err, r, "%s", b->werr_msg);
	pthread_mutex_unlock(&b->lock);
	if (r < 0)
		b->broken = true;
	return r;
}

/* How often a caller waiting for the compressor reports progress. */
#define BUNDLE_PROGRESS_MS 200

static void bundle_report(struct bundle *b)
{
	if (b->progress)
		b->progress(b->progress_arg, atomic_load(&b->written));
}

static void bundle_report_cb(void *arg)
{
	bundle_report(arg);
}

/*
 * Wait (lock held) until the compressor signals room. With a progress
 * callback the wait wakes every BUNDLE_PROGRESS_MS to report, without the
 * lock, so a large entry never leaves the caller silent.
 */
static void bundle_wait_room(struct bundle *b)
{
	struct timespec until;

	if (!b->progress) {
		pthread_cond_wait(&b->room, &b->lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += BUNDLE_PROGRESS_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_cond_timedwait(&b->room, &b->lock, &until) != 0) {
		pthread_mutex_unlock(&b->lock);
		bundle_report(b);
		pthread_mutex_lock(&b->lock);
	}
}

/* Under lock: must an entry of size bytes wait for room? */
static bool bundle_queue_full(const struct bundle *b, uint64_t size)
{
	return b->q_len >= BUNDLE_QUEUE_MAX &&
	       (b->q_len >= BUNDLE_QUEUE_SMALL_MAX ||
		b->q_bytes + size > BUNDLE_QUEUE_SMALL_BYTES);
}

/* Hand op to the compressor (which then owns it), waiting for room. */
static int bundle_enqueue(struct bundle *b, struct bundle_op *op,
			  char **ret_err)
{
	bool heavy = op->kind != BUNDLE_OP_DIR;
	int r = 0;

	pthread_mutex_lock(&b->lock);
	while (heavy && bundle_queue_full(b, op->size) && b->werr == 0)
		bundle_wait_room(b);
	if (b->werr < 0) {
		r = error_set(ret_err, b->werr, "%s", b->werr_msg);
	} else {
		if (b->q_tail)
			b->q_tail->next = op;
		else
			b->q_head = op;
		b->q_tail = op;
		if (heavy) {
			b->q_len++;
			b->q_bytes += op->size;
		}
		op = NULL;
		pthread_cond_signal(&b->more);
	}
	pthread_mutex_unlock(&b->lock);
	if (r < 0) {
		b->broken = true;
		bundle_op_free(op);
	}
	bundle_report(b);
	return r;
}

/* Let the thread finish (or drop) the queue, and join it. */
static void bundle_worker_stop(struct bundle *b, bool abort_queue)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->lock);
	b->q_stop = true;
	b->q_abort = b->q_abort || abort_queue;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->worker, NULL);
	b->running = false;
}

static int bundle_worker_start(struct bundle *b, char **ret_err)
{
	sigset_t all, old;
	int e;

	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->more, NULL);
	pthread_cond_init(&b->room, NULL);
	b->sync_init = true;
	/* Signals are for the caller's thread, never for the compressor. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&b->worker, NULL, bundle_worker, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		return error_set(ret_err, -e,
				 "cannot start a thread for '%s': %s", b->path,
				 strerror(e));
	b->running = true;
	return 0;
}

static struct bundle *bundle_live_head;

static void bundle_live_remove(struct bundle *b)
{
	struct bundle **p;

	if (!b->live)
		return;
	for (p = &bundle_live_head; *p; p = &(*p)->live_next)
		if (*p == b) {
			*p = b->live_next;
			break;
		}
	b->live = false;
}

void bundle_remove_partials(void)
{
	for (struct bundle *b = bundle_live_head; b; b = b->live_next)
		(void)unlinkat(b->dir_fd, b->partial, 0);
}

static void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	bundle_live_remove(b);
	bundle_worker_stop(b, true);
	if (b->sync_init) {
		pthread_mutex_destroy(&b->lock);
		pthread_cond_destroy(&b->more);
		pthread_cond_destroy(&b->room);
	}
	if (b->a) {
		/*
		 * Let free() close the archive, or the filters leak their
		 * zlib/zstd state, but send the flushed tail nowhere.
		 */
		b->discard = true;
		archive_write_free(b->a);
	}
	gzpar_free(b->gz);
	zstdout_free(b->zst);
	if (b->fd >= 0)
		close(b->fd);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	json_decref(b->files);
	json_decref(b->omitted);
	json_decref(b->seen);
	free(b->werr_msg);
	free(b->io);
	free(b->cio);
	free(b->dir);
	free(b->top);
	free(b->name);
	free(b->partial);
	free(b->path);
	free(b);
}

static int bundle_check_usable(struct bundle *b, char **ret_err)
{
	if (b->broken)
		return error_set(ret_err, -EIO,
				 "bundle '%s' is unusable after an earlier "
				 "error",
				 b->path);
	return bundle_worker_err(b, ret_err);
}

/*
 * Refuse bad or duplicate paths before anything is queued, so a refusal
 * leaves the bundle usable.
 */
static int bundle_check_arcpath(struct bundle *b, const char *arcpath,
				char **ret_err)
{
	size_t len;
	char *key;
	bool clash;

	if (!bundle_arcpath_valid(arcpath))
		return error_set(ret_err, -EINVAL,
				 "refusing unsafe path '%s' in bundle '%s'",
				 arcpath, b->path);
	len = strlen(arcpath);
	/* The manifest is JSON, and JSON text is UTF-8. */
	if (!utf8_valid(arcpath, len))
		return error_set(ret_err, -EINVAL,
				 "refusing path '%s' in bundle '%s': not UTF-8",
				 arcpath, b->path);
	key = xasprintf("%s/", arcpath);
	clash = json_object_get(b->seen, arcpath) ||
		json_object_get(b->seen, key);
	/* Every parent must be free to become a directory. */
	for (size_t i = 0; i < len && !clash; i++) {
		if (arcpath[i] != '/')
			continue;
		key[i] = '\0';
		clash = json_object_get(b->seen, key) != NULL;
		key[i] = '/';
	}
	free(key);
	if (clash)
		return error_set(ret_err, -EEXIST,
				 "'%s' is already in bundle '%s'", arcpath,
				 b->path);
	return 0;
}

/* Queue directory entries (0700) for the parents of arcpath not seen yet. */
static int bundle_add_parents(struct bundle *b, const char *arcpath,
			      char **ret_err)
{
	char *key = xstrdup(arcpath);
	char saved;
	int r = 0;

	for (size_t i = 0; arcpath[i] && r == 0; i++) {
		if (arcpath[i] != '/')
			continue;
		saved = key[i + 1];
		key[i + 1] = '\0'; /* "a/b/" */
		if (!json_object_get(b->seen, key)) {
			key[i] = '\0'; /* "a/b" */
			r = bundle_enqueue(b, bundle_op_new(BUNDLE_OP_DIR, key),
					   ret_err);
			key[i] = '/';
			if (r == 0)
				json_object_set_new(b->seen, key, json_true());
		}
		key[i + 1] = saved;
	}
	free(key);
	return r;
}

static int bundle_queue_entry(struct bundle *b, struct bundle_op *op,
			      char **ret_err)
{
	char *arcpath = xstrdup(op->arcpath);
	int r;

	if ((r = bundle_add_parents(b, arcpath, ret_err)) < 0)
		bundle_op_free(op);
	else if ((r = bundle_enqueue(b, op, ret_err)) == 0)
		json_object_set_new(b->seen, arcpath, json_true());
	free(arcpath);
	return r;
}

/*
 * Compression on every processor with flat memory: libarchive writes a
 * plain tar stream, which becomes independent gzip members compressed in
 * parallel (gzpar.c; level 6, gzip's and tar czf's default) or one zstd
 * frame from libzstd's workers with small jobs (zstdout.c; level 3, as
 * libarchive's filter). Made before NAME.partial, so that running out of
 * memory leaves none.
 */
static int bundle_compressor_start(struct bundle *b, enum bundle_compress c,
				   char **ret_err)
{
	unsigned n = gzpar_default_threads();
	int r;

	r = c == BUNDLE_ZSTD
		    ? zstdout_new(3, n, bundle_sink, b, &b->zst)
		    : gzpar_new(6, n > 1 ? n : 0, bundle_sink, b, &b->gz);
	if (r < 0)
		return error_set(ret_err, r,
				 "cannot start compressing '%s': %s", b->path,
				 strerror(-r));
	return 0;
}

int bundle_open(const char *dir, const char *base, enum bundle_compress c,
		struct redactor *red, struct bundle **ret, char **ret_err)
{
	struct bundle *b = NULL;
	struct stat st;
	char *sidecar = NULL;
	bool created = false, locked = false;
	int r;

	if (!bundle_base_valid(base))
		return error_set(ret_err, -EINVAL, "invalid bundle name '%s'",
				 base);
	if (sodium_init() < 0)
		return error_set(ret_err, -EIO, "cannot initialise libsodium");

	b = xcalloc(1, sizeof(*b));
	b->fd = -1;
	b->red = red;
	b->dir = xstrdup(dir);
	b->top = xstrdup(base);
	b->name = xasprintf("%s.%s", base, bundle_suffix(c));
	b->partial = bundle_partial_path(b->name);
	b->path = xasprintf("%s/%s", dir, b->name);
	b->files = json_array();
	b->omitted = json_array();
	b->seen = json_object();
	b->io = xmalloc(BUNDLE_IO_SIZE);
	b->cio = xmalloc(BUNDLE_IO_SIZE);
	b->mtime = time(NULL);
	crypto_hash_sha256_init(&b->out_hash);
	/* Reserved for bundle_close(). */
	json_object_set_new(b->seen, BUNDLE_MANIFEST, json_true());

	b->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dir_fd < 0) {
		r = error_set(ret_err, -errno, "cannot open directory '%s': %s",
			      dir, strerror(errno));
		goto out;
	}
	/* rename() would replace them silently. */
	sidecar = bundle_sidecar_path(b->name);
	if (fstatat(b->dir_fd, b->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(b->dir_fd, sidecar, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = error_set(ret_err, -EEXIST, "bundle '%s' already exists",
			      b->path);
		goto out;
	}
	if ((r = bundle_compressor_start(b, c, ret_err)) < 0)
		goto out;
	locked = flock(b->dir_fd, LOCK_SH) == 0;
	b->fd = openat(b->dir_fd, b->partial,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (b->fd < 0) {
		r = error_set(ret_err, -errno, "cannot create '%s/%s': %s", dir,
			      b->partial, strerror(errno));
		goto out;
	}
	created = true;
	b->live_next = bundle_live_head;
	bundle_live_head = b;
	b->live = true;
	/*
	 * Held until the descriptor closes, so also by a killed run: a later
	 * run that can take the lock knows the writer is gone and removes
	 * the leftover (run.c's sweep, which holds the directory's lock
	 * exclusively, so it never sees the file before it is locked).
	 * Best effort: a file system without locks keeps its leftovers.
	 */
	(void)flock(b->fd, LOCK_EX | LOCK_NB);
	if (locked)
		(void)flock(b->dir_fd, LOCK_UN);
	/* The umask may only take bits away; make sure of exactly 0600. */
	if (fchmod(b->fd, 0600) < 0) {
		r = error_set(ret_err, -errno, "cannot chmod '%s/%s': %s", dir,
			      b->partial, strerror(errno));
		goto out;
	}

	b->a = archive_write_new();
	if (!b->a) {
		r = error_set(ret_err, -ENOMEM, "cannot allocate an archive");
		goto out;
	}
	if (archive_write_add_filter_none(b->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(b->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(b->a, BUNDLE_BLOCK_SIZE) !=
		    ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(b->a, 1) != ARCHIVE_OK ||
	    archive_write_open(b->a, b, NULL, bundle_write_cb, NULL) !=
		    ARCHIVE_OK) {
		r = bundle_archive_err(b, "the archive", ret_err);
		goto out;
	}
	/* The top directory itself, so it extracts as 0700. */
	if ((r = bundle_write_header(b, "", true, 0, ret_err)) < 0 ||
	    (r = bundle_worker_start(b, ret_err)) < 0)
		goto out;
out:
	free(sidecar);
	if (r < 0) {
		if (locked && !created)
			(void)flock(b->dir_fd, LOCK_UN);
		if (created)
			unlinkat(b->dir_fd, b->partial, 0);
		bundle_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

/*
 * A scratch file for one redacted copy: tar wants an entry's size before its
 * data, so a redacted text is written out once before it is streamed. It
 * lives beside the bundle (same file system, not a RAM-backed /tmp) and is
 * made in a private mkdtemp directory; both names are gone as soon as the
 * file is open, so even a killed agent leaves no copy behind.
 */
static int bundle_scratch_open(struct bundle *b, int *ret_fd, char **ret_err)
{
	char *tmpdir = xasprintf("%s/.%s.XXXXXX", b->dir, b->top);
	int dfd = -1, fd = -1, r = 0;

	if (!mkdtemp(tmpdir)) {
		r = error_set(ret_err, -errno,
			      "cannot create a temporary directory in '%s': %s",
			      b->dir, strerror(errno));
		free(tmpdir);
		return r;
	}
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = error_set(ret_err, -errno, "cannot open '%s': %s", tmpdir,
			      strerror(errno));
		goto out;
	}
	fd = openat(dfd, "redacted",
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = error_set(ret_err, -errno,
			      "cannot create '%s/redacted': %s", tmpdir,
			      strerror(errno));
		goto out;
	}
	if (unlinkat(dfd, "redacted", 0) < 0)
		r = error_set(ret_err, -errno,
			      "cannot unlink '%s/redacted': %s", tmpdir,
			      strerror(errno));
out:
	if (dfd >= 0)
		close(dfd);
	if (rmdir(tmpdir) < 0 && r == 0)
		r = error_set(ret_err, -errno, "cannot remove '%s': %s", tmpdir,
			      strerror(errno));
	free(tmpdir);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Hash a finished redacted copy and hand it to op. */
static int bundle_take_copy(struct bundle *b, int fd, struct bundle_op *op,
			    const char *src_path, char **ret_err)
{
	crypto_hash_sha256_state h;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return error_set(ret_err, -errno,
				 "cannot rewind the redacted copy of '%s': %s",
				 src_path, strerror(errno));
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, b->cio, BUNDLE_IO_SIZE)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(ret_err, -errno,
					 "cannot read the redacted copy of "
					 "'%s': %s",
					 src_path, strerror(errno));
		crypto_hash_sha256_update(&h, b->cio, (size_t)n);
	}
	crypto_hash_sha256_final(&h, op->digest);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return error_set(ret_err, -errno,
				 "cannot rewind the redacted copy of '%s': %s",
				 src_path, strerror(errno));
	op->fd = fd;
	op->size = (uint64_t)st.st_size;
	op->hashed = true;
	op->src = xasprintf("the redacted copy of '%s'", src_path);
	return 0;
}

/*
 * The archive name of a decompressed file: without its compression suffix
 * when that name is still free, else unchanged.
 */
static char *bundle_decoded_name(struct bundle *b, const char *arcpath)
{
	static const char *const suffixes[] = { ".gz", ".zst",  ".xz",  ".bz2",
						".z",  ".gzip", ".zstd" };
	size_t len = strlen(arcpath);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		char *name;

		if (len <= sl || strcasecmp(arcpath + len - sl, suffixes[i]))
			continue;
		name = xstrndup(arcpath, len - sl);
		if (name[strlen(name) - 1] != '/' &&
		    bundle_check_arcpath(b, name, NULL) == 0)
			return name;
		free(name);
		break;
	}
	return xstrdup(arcpath);
}

/*
 * Make src redactable text (see textdecode.h), redact it into a scratch
 * file and hash the copy. The copy is private and no longer changes, so
 * the compressor may stream it later. -EMEDIUMTYPE with the reason in
 * *ret_err when the file cannot be made text.
 */
/*
 * A small file that is plain UTF-8 (what textdecode_fd() leaves as it is:
 * no compression magic, and the sniffer says UTF-8 over the whole of it)
 * is redacted in memory into a MEM entry, without the two scratch files
 * and their directories, whose creation and removal cost far more than
 * the redaction of a few KiB. 0 when done, 1 when the file needs the
 * general path, or a negative errno.
 */
static int bundle_redact_small(struct bundle *b, int src, uint64_t size,
			       struct bundle_op *op, const char *src_path,
			       char **ret_err)
{
	unsigned char *p = xmalloc((size_t)size + 1);
	const char *enc;
	struct buf out;
	bool nul_gaps;
	size_t len;
	ssize_t n;
	int r = 1;

	buf_init(&out, 0);
	n = pread(src, p, (size_t)size + 1, 0);
	if (n < 0) {
		r = error_set(ret_err, -errno, "cannot read '%s': %s", src_path,
			      strerror(errno));
		goto out;
	}
	/* It changed size meanwhile: the general path copes with that. */
	if ((uint64_t)n != size ||
	    textdecode_compression(p, (size_t)n < 16 ? (size_t)n : 16) ||
	    !(enc = textdecode_sniff(p, (size_t)n, &nul_gaps)) ||
	    strcmp(enc, "UTF-8") != 0)
		goto out;
	redactor_set_format(b->red, redact_format_of(op->arcpath));
	r = redact_buf(b->red, (const char *)p, (size_t)n, &out);
	redactor_set_format(b->red, REDACT_TEXT);
	if (r < 0) {
		r = error_set(ret_err, r, "cannot redact '%s': %s", src_path,
			      strerror(-r));
		goto out;
	}
	op->kind = BUNDLE_OP_MEM;
	op->data = buf_detach(&out, &len);
	op->size = len;
	r = 0;
out:
	buf_release(&out);
	free(p);
	return r;
}

static int bundle_redact_copy(struct bundle *b, int src, uint64_t size,
			      struct bundle_op *op, const char *src_path,
			      char **ret_err)
{
	struct textdecode td;
	char *reason = NULL;
	int dfd = -1, fd = -1, in = src, r;

	if (size <= BUNDLE_SMALL_TEXT &&
	    (r = bundle_redact_small(b, src, size, op, src_path, ret_err)) != 1)
		return r;
	if ((r = bundle_scratch_open(b, &dfd, ret_err)) < 0)
		return r;
	r = textdecode_fd(src, size, dfd, &td, &reason);
	if (r == -EMEDIUMTYPE) {
		*ret_err = reason;
		reason = NULL;
		goto out;
	}
	if (r < 0) {
		r = error_set(ret_err, r, "cannot read '%s': %s", src_path,
			      strerror(-r));
		goto out;
	}
	if (r == TEXTDECODE_DECODED) {
		if (lseek(dfd, 0, SEEK_SET) < 0) {
			r = error_set(ret_err, -errno,
				      "cannot rewind the decoded copy of '%s': "
				      "%s",
				      src_path, strerror(errno));
			goto out;
		}
		in = dfd;
		if (td.compression[0]) {
			char *name = bundle_decoded_name(b, op->arcpath);
			const char *base = strrchr(op->arcpath, '/');

			op->source = bundle_manifest_source(
				base ? base + 1 : op->arcpath, td.compression,
				td.encoding, td.truncated);
			free(op->arcpath);
			op->arcpath = name;
		} else {
			op->source = bundle_manifest_source(
				NULL, NULL, td.encoding, td.truncated);
		}
	} else if (lseek(src, 0, SEEK_SET) < 0) {
		r = error_set(ret_err, -errno, "cannot rewind '%s': %s",
			      src_path, strerror(errno));
		goto out;
	}
	if ((r = bundle_scratch_open(b, &fd, ret_err)) < 0)
		goto out;
	redactor_set_format(b->red, redact_format_of(op->arcpath));
	/* A large file is redacted here, on the caller's thread: report. */
	if (b->progress)
		redactor_set_progress(b->red, bundle_report_cb, b);
	r = redact_fd(b->red, in, fd);
	redactor_set_progress(b->red, NULL, NULL);
	redactor_set_format(b->red, REDACT_TEXT);
	if (r < 0) {
		r = error_set(ret_err, r, "cannot redact '%s': %s", src_path,
			      strerror(-r));
		goto out;
	}
	if ((r = bundle_take_copy(b, fd, op, src_path, ret_err)) < 0)
		goto out;
	fd = -1;
out:
	free(reason);
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * Open src_path for bundling: a regular file, never through a symbolic link
 * and never blocking on a FIFO. The descriptor and its size, or a negative
 * errno with the reason.
 */
static int bundle_open_source(const char *src_path, int *ret_fd,
			      uint64_t *ret_size, char **ret_err)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it. */
	fd = open(src_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return error_set(ret_err, -EINVAL,
					 "refusing symbolic link '%s'",
					 src_path);
		return error_set(ret_err, -errno, "cannot open '%s': %s",
				 src_path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		r = error_set(ret_err, -errno, "cannot stat '%s': %s", src_path,
			      strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(ret_err, -EINVAL,
				 "refusing '%s': not a regular file", src_path);
	}
	*ret_fd = fd;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

/* Add size bytes of fd (which this takes) as arcpath; see bundle_add_file. */
static int bundle_add_fd(struct bundle *b, const char *arcpath, int fd,
			 uint64_t size, const char *src_path, bool redact,
			 char **ret_err)
{
	struct bundle_op *op = bundle_op_new(BUNDLE_OP_FD, arcpath);
	int r = 0;

	if (redact && size > 0) {
		char *why = NULL;

		if (!b->red) {
			r = error_set(ret_err, -EINVAL,
				      "cannot redact '%s': bundle '%s' has no "
				      "redactor",
				      src_path, b->path);
			goto out;
		}
		r = bundle_redact_copy(b, fd, size, op, src_path, &why);
		if (r == -EMEDIUMTYPE) {
			/* Never shipped unredacted: left out, and said so. */
			json_array_append_new(
				b->omitted,
				bundle_manifest_omitted(
					arcpath, size, why ? why : "not text"));
			free(why);
			r = 0;
			goto out;
		}
		if (r < 0) {
			if (ret_err)
				*ret_err = why;
			else
				free(why);
			goto out;
		}
	}
	if (op->kind == BUNDLE_OP_FD && op->fd < 0) {
		/* Streamed as it is: the compressor reads and hashes it. */
		op->fd = fd;
		fd = -1;
		op->size = size;
		op->src = xasprintf("'%s'", src_path);
	}
	if (op->fd >= 0)
		(void)posix_fadvise(op->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = bundle_queue_entry(b, op, ret_err);
	op = NULL;
out:
	bundle_op_free(op);
	if (fd >= 0)
		close(fd);
	return r;
}

int bundle_add_file(struct bundle *b, const char *arcpath, const char *src_path,
		    bool redact, char **ret_err)
{
	uint64_t size;
	int fd, r;

	if ((r = bundle_check_usable(b, ret_err)) < 0 ||
	    (r = bundle_check_arcpath(b, arcpath, ret_err)) < 0 ||
	    (r = bundle_open_source(src_path, &fd, &size, ret_err)) < 0)
		return r;
	return bundle_add_fd(b, arcpath, fd, size, src_path, redact, ret_err);
}

int bundle_add_sealed(struct bundle *b, const char *arcpath,
		      const char *src_path, const unsigned char *key,
		      char **ret_err)
{
	struct stat st;
	uint64_t size;
	int fd, plain = -1, r;

	if ((r = bundle_check_usable(b, ret_err)) < 0 ||
	    (r = bundle_check_arcpath(b, arcpath, ret_err)) < 0 ||
	    (r = bundle_open_source(src_path, &fd, &size, ret_err)) < 0)
		return r;
	/* The plain copy has no name: a kill from here on leaves none. */
	if ((r = bundle_scratch_open(b, &plain, ret_err)) < 0)
		goto out;
	r = stagecrypt_open(key, fd, plain);
	if (r == -ENOMSG) {
		/* Written plain (no nameless files there): as it is. */
		close(plain);
		plain = -1;
		if (lseek(fd, 0, SEEK_SET) < 0) {
			r = error_set(ret_err, -errno, "cannot rewind '%s': %s",
				      src_path, strerror(errno));
			goto out;
		}
		return bundle_add_fd(b, arcpath, fd, size, src_path, true,
				     ret_err);
	}
	if (r == -EBADMSG) {
		r = error_set(ret_err, r,
			      "'%s' is not a sealed staging file of this run, "
			      "or was cut short",
			      src_path);
		goto out;
	}
	if (r < 0) {
		r = error_set(ret_err, r, "cannot open the sealed '%s': %s",
			      src_path, strerror(-r));
		goto out;
	}
	if (fstat(plain, &st) < 0 || lseek(plain, 0, SEEK_SET) < 0) {
		r = error_set(ret_err, -errno,
			      "cannot rewind the opened copy of '%s': %s",
			      src_path, strerror(errno));
		goto out;
	}
	r = bundle_add_fd(b, arcpath, plain, (uint64_t)st.st_size, src_path,
			  true, ret_err);
	plain = -1;
out:
	if (plain >= 0)
		close(plain);
	close(fd);
	return r;
}

int bundle_add_data(struct bundle *b, const char *arcpath, const void *data,
		    size_t len, char **ret_err)
{
	struct bundle_op *op;
	int r;

	if ((r = bundle_check_usable(b, ret_err)) < 0 ||
	    (r = bundle_check_arcpath(b, arcpath, ret_err)) < 0)
		return r;
	op = bundle_op_new(BUNDLE_OP_MEM, arcpath);
	op->data = xmalloc(len);
	if (len > 0)
		memcpy(op->data, data, len);
	op->size = len;
	return bundle_queue_entry(b, op, ret_err);
}

/* The caller's manifest with what only the bundle knows. */
static json_t *bundle_manifest(struct bundle *b,
			       const struct bundle_manifest *base)
{
	struct bundle_manifest m;
	json_t *red = json_object(), *j;

	memset(&m, 0, sizeof(m));
	if (base)
		m = *base;
	for (size_t i = 0; b->red && i < redact_rule_count(); i++) {
		uint64_t n = redactor_count(b->red, i);

		if (n > 0)
			json_object_set_new(red, redact_rule_name(i),
					    json_integer((json_int_t)n));
	}
	m.files = b->files;
	m.redactions = red;
	m.omitted = b->omitted;
	j = bundle_manifest_build(&m);
	json_decref(red);
	return j;
}

/*
 * NAME.sha256.partial with "HEX  NAME\n", synced; renamed by the caller.
 * On failure the file is removed again.
 */
static int bundle_write_sidecar(struct bundle *b, const char *tmpname,
				const char *hex, char **ret_err)
{
	char *line = bundle_sidecar_line(hex, b->name);
	int fd, r = 0;

	fd = openat(b->dir_fd, tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = error_set(ret_err, -errno, "cannot create '%s/%s': %s",
			      b->dir, tmpname, strerror(errno));
		goto out;
	}
	if ((r = write_all(fd, line, strlen(line))) == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		error_set(ret_err, r, "cannot write '%s/%s': %s", b->dir,
			  tmpname, strerror(-r));
		unlinkat(b->dir_fd, tmpname, 0);
	}
out:
	free(line);
	return r;
}

void bundle_set_stop(struct bundle *b, const volatile sig_atomic_t *stop)
{
	b->stop = stop;
}

void bundle_set_progress(struct bundle *b,
			 void (*progress)(void *arg, uint64_t written),
			 void *arg)
{
	b->progress = progress;
	b->progress_arg = arg;
}

void bundle_set_signer(struct bundle *b,
		       char *(*sign)(void *arg, const void *m, size_t len),
		       void *arg)
{
	b->signer = sign;
	b->signer_arg = arg;
	json_object_set_new(b->seen, BUNDLE_SIGNATURE, json_true());
}

/* manifest.sig over the exact bytes of manifest.json (text + newline). */
static int bundle_write_signature(struct bundle *b, const char *text,
				  char **ret_err)
{
	size_t len = strlen(text);
	char *m, *sig;
	int r;

	if (!b->signer)
		return 0;
	m = xmalloc(len + 1);
	memcpy(m, text, len);
	m[len] = '\n';
	sig = b->signer(b->signer_arg, m, len + 1);
	free(m);
	if (!sig)
		return error_set(ret_err, -EINVAL,
				 "cannot sign the manifest of '%s'", b->path);
	r = bundle_write_mem(b, BUNDLE_SIGNATURE, sig, strlen(sig), ret_err);
	free(sig);
	return r;
}

int bundle_close(struct bundle *b, const struct bundle_manifest *manifest,
		 char **ret_path, uint64_t *ret_size, char ret_sha256[65],
		 char **ret_err)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	char *text = NULL, *side_tmp = NULL, *side = NULL;
	json_t *m = NULL;
	bool renamed = false, side_created = false;
	int r, fd;

	if ((r = bundle_check_usable(b, ret_err)) < 0)
		goto out;
	/* Drain the queue while reporting, then the archive is this thread's
	 * alone again. */
	if (b->running) {
		pthread_mutex_lock(&b->lock);
		while (b->q_len > 0 && b->werr == 0)
			bundle_wait_room(b);
		pthread_mutex_unlock(&b->lock);
	}
	bundle_worker_stop(b, false);
	if ((r = bundle_worker_err(b, ret_err)) < 0)
		goto out;
	m = bundle_manifest(b, manifest);
	text = json_dumps(m, JSON_INDENT(2));
	if (!text) {
		r = error_set(ret_err, -ENOMEM,
			      "cannot format the manifest of '%s'", b->path);
		goto out;
	}
	if ((r = bundle_write_header(b, BUNDLE_MANIFEST, false,
				     (int64_t)strlen(text) + 1, ret_err)) < 0 ||
	    (r = bundle_write_data(b, text, strlen(text), ret_err)) < 0 ||
	    (r = bundle_write_data(b, "\n", 1, ret_err)) < 0 ||
	    (r = bundle_finish_entry(b, ret_err)) < 0 ||
	    (r = bundle_write_signature(b, text, ret_err)) < 0)
		goto out;
	if (archive_write_close(b->a) != ARCHIVE_OK) {
		r = bundle_archive_err(b, "the end of the archive", ret_err);
		goto out;
	}
	if ((b->gz && (r = gzpar_finish(b->gz)) < 0) ||
	    (b->zst && (r = zstdout_finish(b->zst)) < 0)) {
		bundle_sink_err(b->a, b, r);
		r = bundle_archive_err(b, "the end of the archive", ret_err);
		goto out;
	}
	fd = b->fd;
	b->fd = -1;
	if (fsync(fd) < 0) {
		r = error_set(ret_err, -errno, "cannot sync '%s/%s': %s",
			      b->dir, b->partial, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		r = error_set(ret_err, -errno, "cannot write '%s/%s': %s",
			      b->dir, b->partial, strerror(errno));
		goto out;
	}

	crypto_hash_sha256_final(&b->out_hash, digest);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	side = bundle_sidecar_path(b->name);
	side_tmp = bundle_partial_path(side);
	if ((r = bundle_write_sidecar(b, side_tmp, hex, ret_err)) < 0)
		goto out;
	side_created = true;
	if (renameat(b->dir_fd, b->partial, b->dir_fd, b->name) < 0) {
		r = error_set(ret_err, -errno,
			      "cannot rename '%s/%s' to '%s': %s", b->dir,
			      b->partial, b->name, strerror(errno));
		goto out;
	}
	renamed = true;
	if (renameat(b->dir_fd, side_tmp, b->dir_fd, side) < 0) {
		r = error_set(ret_err, -errno,
			      "cannot rename '%s/%s' to '%s': %s", b->dir,
			      side_tmp, side, strerror(errno));
		goto out;
	}
	side_created = false;
	if (fsync(b->dir_fd) < 0) {
		r = error_set(ret_err, -errno, "cannot sync directory '%s': %s",
			      b->dir, strerror(errno));
		unlinkat(b->dir_fd, side, 0);
		goto out;
	}
	if (ret_path)
		*ret_path = xstrdup(b->path);
	if (ret_size)
		*ret_size = b->out_size;
	if (ret_sha256)
		memcpy(ret_sha256, hex, sizeof(hex));
	r = 0;
out:
	if (r < 0) {
		unlinkat(b->dir_fd, renamed ? b->name : b->partial, 0);
		if (side_created)
			unlinkat(b->dir_fd, side_tmp, 0);
	}
	json_decref(m);
	free(text);
	free(side);
	free(side_tmp);
	bundle_free(b);
	return r;
}

void bundle_unlink_partial(const struct bundle *b)
{
	if (b && b->dir_fd >= 0 && b->partial)
		(void)unlinkat(b->dir_fd, b->partial, 0);
}

void bundle_abort(struct bundle *b)
{
	if (!b)
		return;
	unlinkat(b->dir_fd, b->partial, 0);
	bundle_free(b);
}
