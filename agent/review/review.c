/*
 * The bundle reader (see review.h). One streaming pass over the archive:
 * each header is checked before its data is read, each entry is hashed and
 * counted against the caps as its bytes come out of the decompressor, and
 * only the JSON files the reader needs are kept (bounded). Verification
 * against the manifest, the signature and the sidecar follows the pass.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/age.h"
#include "core/bundle_format.h"
#include "core/error.h"
#include "core/sanitize.h"
#include "core/sshsig.h"
#include "rdiag/buf.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"
#include "review/review.h"
#include "review/trailer.h"

#define REVIEW_IO_SIZE     (64 * 1024)
#define REVIEW_DEPTH_MAX   64
#define REVIEW_PATH_MAX    1024
#define REVIEW_SIDECAR_MAX 4096

void review_limits_default(struct review_limits *ret)
{
	ret->max_entries = 50000;
	ret->max_entry_size = 1ull << 30;
	ret->max_total = 4ull << 30;
	ret->max_ratio = 250;
	ret->ratio_floor = 32ull << 20;
	ret->max_input = 8ull << 30;
	/*
	 * What rdiag writes is far below these: a collector's records stop
	 * at 20 000 or 8 MiB (redaction markers may make them a little
	 * longer). They bound memory: parsed JSON costs about 15 times its
	 * size, and every review command must stay under 256 MiB with two
	 * bundles open (diff). docs/review.md lists them.
	 */
	ret->max_json = 12u << 20;
	ret->max_kept = 40u << 20;
	ret->max_depth = 64;
	ret->max_records = 20000;
	ret->max_records_total = 60000;
}

bool review_err_is_input(int r)
{
	return r == -EBADMSG || r == -EPERM || r == -EACCES || r == -EFBIG ||
	       r == -E2BIG || r == -EINVAL || r == -ENOENT || r == -ELOOP;
}

/* Printable UTF-8 without controls: what an entry name may be. */
static bool name_printable(const char *s)
{
	return sanitize_is_clean(s);
}

/* Nesting of arrays and objects outside strings, without parsing. */
static bool json_depth_ok(const char *s, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

/* A kept file: one of the JSON documents the reader needs. */
struct kept {
	char *path;
	struct buf data;
};

struct reader {
	const struct review_limits *lim;
	const struct review_sink *sink;
	/* Input. */
	int fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	unsigned char *in_buf;
	uint64_t consumed;
	/* State of the pass. */
	struct archive *a;
	char *top;
	json_t *files;   /* path -> [size, sha256 hex] */
	json_t *dirs;    /* explicit directories */
	json_t *parents; /* every parent of a file */
	uint64_t entries, total;
	struct trailer *trailer; /* checks the gzip/zstd checksum */
	struct kept *kept;
	size_t nkept, kept_bytes;
	bool manifest_seen, after_manifest;
};

static la_ssize_t reader_read_cb(struct archive *a, void *arg,
				 const void **ret_buf)
{
	struct reader *rd = arg;
	ssize_t n;

	if (rd->mem) {
		size_t left = rd->mem_len - rd->mem_pos;

		n = (ssize_t)(left < REVIEW_IO_SIZE ? left : REVIEW_IO_SIZE);
		*ret_buf = rd->mem + rd->mem_pos;
		rd->mem_pos += (size_t)n;
	} else {
		do
			n = read(rd->fd, rd->in_buf, REVIEW_IO_SIZE);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			archive_set_error(a, errno, "read error: %s",
					  strerror(errno));
			return -1;
		}
		*ret_buf = rd->in_buf;
	}
	rd->consumed += (uint64_t)n;
	if (rd->trailer)
		trailer_feed(rd->trailer, *ret_buf, (size_t)n);
	if (rd->consumed > rd->lim->max_input) {
		archive_set_error(a, EFBIG, "archive larger than %llu bytes",
				  (unsigned long long)rd->lim->max_input);
		return -1;
	}
	return n;
}

/* libarchive's failure as a bad bundle, keeping its message. */
static int reader_archive_err(struct reader *rd, const char *what,
			      char **ret_err)
{
	const char *msg = archive_error_string(rd->a);

	if (archive_errno(rd->a) == EFBIG)
		return error_set(ret_err, -EFBIG, "%s", msg);
	return error_set(ret_err, -EBADMSG,
			 "truncated or corrupt archive (%s): %s", what,
			 msg ? msg : "unknown error");
}

static const char *entry_type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFCHR:
		return "a character device";
	case AE_IFBLK:
		return "a block device";
	case AE_IFIFO:
		return "a FIFO";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a regular file or directory";
	}
}

/*
 * Split "top/rest" and check every component. On success *ret_rel points
 * into name ("" for the top directory itself).
 */
static int reader_check_name(struct reader *rd, const char *name, bool dir,
			     const char **ret_rel, char **ret_err)
{
	char *copy, *q;
	size_t len = strlen(name);
	const char *slash;
	int r = 0;

	if (len == 0)
		return error_set(ret_err, -EBADMSG, "entry with an empty name");
	if (!name_printable(name)) {
		char *safe = sanitize_text(name, false);

		r = error_set(ret_err, -EBADMSG,
			      "entry name '%s' is not printable UTF-8", safe);
		free(safe);
		return r;
	}
	if (len > REVIEW_PATH_MAX)
		return error_set(ret_err, -EBADMSG,
				 "entry name longer than %d bytes",
				 REVIEW_PATH_MAX);
	{
		/* Every level costs a parent check: bound the depth, so
		 * that 3000 entries 470 levels deep cannot take seconds. */
		size_t depth = 0;

		for (const char *c = name; *c; c++)
			depth += *c == '/';
		if (depth > REVIEW_DEPTH_MAX)
			return error_set(ret_err, -EBADMSG,
					 "entry name more than %d directories "
					 "deep",
					 REVIEW_DEPTH_MAX);
	}
	if (name[0] == '/')
		return error_set(ret_err, -EBADMSG,
				 "entry '%s' has an absolute path", name);
	copy = xstrdup(name);
	/* Directories may end in one '/'. */
	if (dir && len > 1 && copy[len - 1] == '/')
		copy[len - 1] = '\0';
	for (char *comp = copy;; comp = q + 1) {
		q = strchr(comp, '/');
		if (q)
			*q = '\0';
		if (strcmp(comp, "..") == 0)
			r = error_set(ret_err, -EBADMSG,
				      "entry '%s' has a '..' component", name);
		else if (*comp == '\0' || strcmp(comp, ".") == 0)
			r = error_set(ret_err, -EBADMSG,
				      "entry '%s' has an empty or '.' "
				      "component",
				      name);
		if (r < 0 || !q)
			break;
	}
	free(copy);
	if (r < 0)
		return r;
	slash = strchr(name, '/');
	len = slash ? (size_t)(slash - name) : strlen(name);
	if (!rd->top) {
		rd->top = xstrndup(name, len);
	} else if (strlen(rd->top) != len || strncmp(rd->top, name, len) != 0) {
		return error_set(ret_err, -EBADMSG,
				 "entry '%s' is outside the top directory "
				 "'%s'",
				 name, rd->top);
	}
	if (!slash && !dir)
		return error_set(ret_err, -EBADMSG,
				 "entry '%s' is a file where the top "
				 "directory should be",
				 name);
	*ret_rel = slash ? slash + 1 : "";
	return 0;
}

/* Duplicates and file/directory clashes, against everything seen so far. */
static int reader_check_unique(struct reader *rd, const char *rel, bool dir,
			       char **ret_err)
{
	char *key = xstrdup(rel);
	size_t len = strlen(key);
	int r = 0;

	if (len > 0 && key[len - 1] == '/')
		key[--len] = '\0';
	if (len == 0) {
		if (json_object_get(rd->dirs, ""))
			r = error_set(ret_err, -EBADMSG,
				      "duplicate entry for the top directory");
		else
			json_object_set_new(rd->dirs, "", json_true());
		goto out;
	}
	if (json_object_get(rd->files, key) || json_object_get(rd->dirs, key) ||
	    (!dir && json_object_get(rd->parents, key))) {
		r = error_set(ret_err, -EBADMSG, "duplicate entry '%s/%s'",
			      rd->top, key);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		if (key[i] != '/')
			continue;
		key[i] = '\0';
		if (json_object_get(rd->files, key))
			r = error_set(ret_err, -EBADMSG,
				      "entry '%s/%s' is below a file", rd->top,
				      rel);
		else if (!dir)
			json_object_set_new(rd->parents, key, json_true());
		key[i] = '/';
		if (r < 0)
			goto out;
	}
	if (dir)
		json_object_set_new(rd->dirs, key, json_true());
out:
	free(key);
	return r;
}

/* Which files are kept in memory: the JSON documents the reader needs. */
static bool want_kept(const char *rel)
{
	return strcmp(rel, BUNDLE_MANIFEST) == 0 ||
	       strcmp(rel, BUNDLE_SIGNATURE) == 0 ||
	       strcmp(rel, BUNDLE_FINDINGS) == 0 || bundle_path_is_records(rel);
}

static struct kept *reader_kept(const struct reader *rd, const char *rel)
{
	for (size_t i = 0; i < rd->nkept; i++)
		if (strcmp(rd->kept[i].path, rel) == 0)
			return &rd->kept[i];
	return NULL;
}

/*
 * Every byte that came out of the decompressor counts, not only entry
 * data: pax headers, GNU long names and anything libarchive skips are
 * unpacked too, and could otherwise hide a bomb.
 */
static int reader_check_unpacked(struct reader *rd, char **ret_err)
{
	const struct review_limits *lim = rd->lim;
	uint64_t out = (uint64_t)archive_filter_bytes(rd->a, 0);

	if (out < rd->total)
		out = rd->total;
	if (out > lim->max_total)
		return error_set(ret_err, -EFBIG,
				 "archive unpacks to more than %llu bytes",
				 (unsigned long long)lim->max_total);
	if (out > lim->ratio_floor && out / lim->max_ratio > rd->consumed)
		return error_set(ret_err, -EFBIG,
				 "compression bomb: %llu bytes unpacked from "
				 "%llu (more than %llu:1)",
				 (unsigned long long)out,
				 (unsigned long long)rd->consumed,
				 (unsigned long long)lim->max_ratio);
	return 0;
}

static int reader_file(struct reader *rd, struct archive_entry *e,
		       const char *rel, char **ret_err)
{
	const struct review_limits *lim = rd->lim;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[sizeof(digest) * 2 + 1];
	crypto_hash_sha256_state h;
	struct kept *k = NULL;
	uint64_t size = 0;
	la_ssize_t n;
	unsigned char *buf = rd->in_buf + REVIEW_IO_SIZE;
	int r;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0)
		return error_set(ret_err, -EBADMSG,
				 "entry '%s/%s' has a negative size", rd->top,
				 rel);
	if (archive_entry_size_is_set(e) &&
	    (uint64_t)archive_entry_size(e) > lim->max_entry_size)
		return error_set(ret_err, -EFBIG,
				 "entry '%s/%s' claims %lld bytes, more than "
				 "the limit of %llu",
				 rd->top, rel, (long long)archive_entry_size(e),
				 (unsigned long long)lim->max_entry_size);
	if (want_kept(rel)) {
		rd->kept = xreallocarray(rd->kept, rd->nkept + 1,
					 sizeof(*rd->kept));
		k = &rd->kept[rd->nkept++];
		k->path = xstrdup(rel);
		buf_init(&k->data, lim->max_json);
	}
	if (rd->sink &&
	    (r = rd->sink->file_begin(rd->sink->arg, rel,
				      (uint64_t)archive_entry_size(e))) < 0)
		return r;
	crypto_hash_sha256_init(&h);
	while ((n = archive_read_data(rd->a, buf, REVIEW_IO_SIZE)) != 0) {
		if (n < 0)
			return reader_archive_err(rd, "entry data", ret_err);
		size += (uint64_t)n;
		rd->total += (uint64_t)n;
		if (size > lim->max_entry_size)
			return error_set(
				ret_err, -EFBIG,
				"entry '%s/%s' is larger than %llu "
				"bytes",
				rd->top, rel,
				(unsigned long long)lim->max_entry_size);
		if ((r = reader_check_unpacked(rd, ret_err)) < 0)
			return r;
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		if (k) {
			if (buf_append(&k->data, buf, (size_t)n) < 0)
				return error_set(ret_err, -EFBIG,
						 "'%s/%s' is larger than %zu "
						 "bytes",
						 rd->top, rel, lim->max_json);
			rd->kept_bytes += (size_t)n;
			if (rd->kept_bytes > lim->max_kept)
				return error_set(ret_err, -EFBIG,
						 "the bundle's JSON files "
						 "exceed %zu bytes",
						 lim->max_kept);
		}
		if (rd->sink && (r = rd->sink->file_data(rd->sink->arg, buf,
							 (size_t)n)) < 0)
			return r;
	}
	if (rd->sink && (r = rd->sink->file_end(rd->sink->arg)) < 0)
		return r;
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	json_object_set_new(rd->files, rel,
			    json_pack("[I, s]", (json_int_t)size, hex));
	return 0;
}

static int reader_entry(struct reader *rd, struct archive_entry *e,
			char **ret_err)
{
	const char *name = archive_entry_pathname(e), *rel = NULL;
	mode_t type = archive_entry_filetype(e);
	bool dir = type == AE_IFDIR;
	int r;

	if (++rd->entries > rd->lim->max_entries)
		return error_set(ret_err, -E2BIG,
				 "more than %llu entries in the archive",
				 (unsigned long long)rd->lim->max_entries);
	if (!name)
		return error_set(ret_err, -EBADMSG,
				 "entry whose name cannot be read");
	if (archive_entry_hardlink(e)) {
		char *safe = sanitize_text(name, false);

		r = error_set(ret_err, -EBADMSG,
			      "entry '%s' is a hard link; bundles hold no "
			      "links",
			      safe);
		free(safe);
		return r;
	}
	/* GNU dumpdir ('D') reads as a directory with contents; sparse
	 * files as files with holes: neither is what rdiag writes. */
	if ((dir && archive_entry_size(e) > 0) ||
	    (type == AE_IFREG && archive_entry_sparse_count(e) > 0)) {
		char *safe = sanitize_text(name, false);

		r = error_set(ret_err, -EBADMSG,
			      "entry '%s' is a %s; bundles hold only plain "
			      "files and directories",
			      safe,
			      dir ? "directory with contents (GNU dumpdir)"
				  : "sparse file");
		free(safe);
		return r;
	}
	if (type != AE_IFREG && !dir) {
		char *safe = sanitize_text(name, false);

		r = error_set(ret_err, -EBADMSG,
			      "entry '%s' is %s; bundles hold only files and "
			      "directories",
			      safe, entry_type_name(type));
		free(safe);
		return r;
	}
	if ((r = reader_check_name(rd, name, dir, &rel, ret_err)) < 0 ||
	    (r = reader_check_unique(rd, rel, dir, ret_err)) < 0)
		return r;
	if (rd->after_manifest && strcmp(rel, BUNDLE_SIGNATURE) != 0)
		return error_set(ret_err, -EBADMSG,
				 "entry '%s' follows manifest.json, which "
				 "must be last",
				 name);
	if (strcmp(rel, BUNDLE_MANIFEST) == 0)
		rd->after_manifest = true;
	if (dir) {
		if (rd->sink && (r = rd->sink->dir(rd->sink->arg, rel)) < 0)
			return r;
		return 0;
	}
	return reader_file(rd, e, rel, ret_err);
}

/*
 * libarchive stops at the tar end marker: read the rest of the input
 * through the same callback, so the trailer sees every byte.
 */
static int reader_check_trailer(struct reader *rd, char **ret_err)
{
	const void *p;
	la_ssize_t n;

	while ((n = reader_read_cb(rd->a, rd, &p)) > 0)
		;
	if (n < 0)
		return reader_archive_err(rd, "trailer", ret_err);
	return trailer_finish(rd->trailer, ret_err);
}

static int reader_pass(struct reader *rd, char **ret_err)
{
	struct archive_entry *e;
	int r;

	rd->a = archive_read_new();
	if (!rd->a)
		return error_set(ret_err, -ENOMEM,
				 "cannot allocate an archive reader");
	/* Tar headers and padding come on top of the entries' bytes. */
	rd->trailer = trailer_new(rd->lim->max_total +
				  rd->lim->max_entries * 1024 + (1u << 20));
	/* Only what rdiag writes: no zip, cpio, iso, or external programs. */
	if (archive_read_support_filter_gzip(rd->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(rd->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(rd->a) != ARCHIVE_OK ||
	    archive_read_open(rd->a, rd, NULL, reader_read_cb, NULL) !=
		    ARCHIVE_OK)
		return reader_archive_err(rd, "header", ret_err);
	for (;;) {
		r = archive_read_next_header(rd->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return reader_archive_err(rd, "entry header", ret_err);
		if ((r = reader_check_unpacked(rd, ret_err)) < 0 ||
		    (r = reader_entry(rd, e, ret_err)) < 0)
			return r;
	}
	if (archive_filter_code(rd->a, 0) != ARCHIVE_FILTER_GZIP &&
	    archive_filter_code(rd->a, 0) != ARCHIVE_FILTER_ZSTD)
		return error_set(ret_err, -EBADMSG,
				 "not a gzip or zstd compressed archive");
	if (!rd->top)
		return error_set(ret_err, -EBADMSG, "empty archive");
	return reader_check_trailer(rd, ret_err);
}

static void reader_release(struct reader *rd)
{
	if (rd->a)
		archive_read_free(rd->a);
	trailer_free(rd->trailer);
	for (size_t i = 0; i < rd->nkept; i++) {
		free(rd->kept[i].path);
		buf_release(&rd->kept[i].data);
	}
	free(rd->kept);
	free(rd->top);
	free(rd->in_buf);
	json_decref(rd->files);
	json_decref(rd->dirs);
	json_decref(rd->parents);
}

static int parse_json(const struct reader *rd, const char *what,
		      const struct buf *b, json_t **ret, char **ret_err)
{
	json_error_t jerr;
	json_t *j;

	if (!json_depth_ok(b->data, b->len, rd->lim->max_depth))
		return error_set(ret_err, -EBADMSG,
				 "%s is nested deeper than %u levels", what,
				 rd->lim->max_depth);
	j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		char *safe = sanitize_text(jerr.text, false);
		int r = error_set(ret_err, -EBADMSG,
				  "%s is not valid JSON (line %d: %s)", what,
				  jerr.line, safe);

		free(safe);
		return r;
	}
	*ret = j;
	return 0;
}

/*
 * manifest.files (its shape already read by bundle_manifest_read()) against
 * what the archive held, both ways.
 */
static int check_files(struct review *rv, struct reader *rd, char **ret_err)
{
	json_t *files = rv->man.files, *f, *got;
	json_t *listed = json_object();
	const char *path;
	size_t i;
	int r = 0;

	json_array_foreach(files, i, f)
	{
		const char *sha =
			json_string_value(json_object_get(f, "sha256"));
		json_t *size = json_object_get(f, "size");
		char *safe;

		path = json_string_value(json_object_get(f, "path"));
		safe = sanitize_text(path, false);
		if (json_object_get(listed, path)) {
			r = error_set(ret_err, -EBADMSG,
				      "manifest.json lists '%s' twice", safe);
		} else if (!(got = json_object_get(rd->files, path)) ||
			   strcmp(path, BUNDLE_MANIFEST) == 0 ||
			   strcmp(path, BUNDLE_SIGNATURE) == 0) {
			r = error_set(ret_err, -EBADMSG,
				      "'%s' is in the manifest but not in the "
				      "archive",
				      safe);
		} else if (json_integer_value(json_array_get(got, 0)) !=
			   json_integer_value(size)) {
			r = error_set(
				ret_err, -EBADMSG,
				"'%s' has %lld bytes, the manifest says %lld",
				safe,
				(long long)json_integer_value(
					json_array_get(got, 0)),
				(long long)json_integer_value(size));
		} else if (strcmp(json_string_value(json_array_get(got, 1)),
				  sha) != 0) {
			r = error_set(ret_err, -EBADMSG,
				      "'%s' does not match its SHA-256 in the "
				      "manifest (changed after bundling)",
				      safe);
		}
		free(safe);
		if (r < 0)
			goto out;
		json_object_set_new(listed, path, json_true());
		json_array_append_new(rv->paths, json_string(path));
		rv->total_size += (uint64_t)json_integer_value(size);
	}
	json_object_foreach(rd->files, path, got)
	{
		if (json_object_get(listed, path) ||
		    strcmp(path, BUNDLE_MANIFEST) == 0 ||
		    strcmp(path, BUNDLE_SIGNATURE) == 0)
			continue;
		r = error_set(ret_err, -EBADMSG,
			      "'%s' is in the archive but not in the manifest",
			      path);
		goto out;
	}
	rv->nfiles = json_array_size(files);
out:
	json_decref(listed);
	return r;
}

/* The manifest's collectors (already read), with texts made safe. */
static void load_collectors(struct review *rv)
{
	rv->collectors =
		xcalloc(rv->man.ncollectors + 1, sizeof(*rv->collectors));
	for (size_t i = 0; i < rv->man.ncollectors; i++) {
		const struct bundle_manifest_collector *c =
			&rv->man.collectors[i];
		struct review_collector *rc = &rv->collectors[i];

		rc->name = xstrdup(c->name);
		rc->status = xstrdup(collector_status_name(c->status));
		rc->reason = c->reason ? sanitize_text(c->reason, false) : NULL;
		rc->duration_ms = c->duration_ms;
		rc->records = c->records;
		rc->truncated = c->truncated;
		rc->rejected = c->rejected < 0 ? 0 : c->rejected;
		rc->facts = json_array();
		rv->ncollectors++;
	}
}

/* Facts of one collector from its records.jsonl. */
static int load_records(struct review *rv, const struct reader *rd,
			struct review_collector *rc, const struct kept *k,
			char **ret_err)
{
	const char *p = k->data.data, *end = p + k->data.len;
	size_t line = 0;

	rc->has_records = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t jerr;
		json_t *rec, *key, *val;
		const char *kind;

		line++;
		if (len == 0) {
			p += 1;
			continue;
		}
		if (line > rd->lim->max_records ||
		    ++rv->nrecords > rd->lim->max_records_total)
			return error_set(
				ret_err, -EFBIG,
				"%s holds more records than rdiag writes (at "
				"most %zu in one file, %zu in all)",
				k->path, rd->lim->max_records,
				rd->lim->max_records_total);
		if (!json_depth_ok(p, len, rd->lim->max_depth))
			return error_set(ret_err, -EBADMSG,
					 "%s line %zu is nested deeper than "
					 "%u levels",
					 k->path, line, rd->lim->max_depth);
		rec = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(rec)) {
			json_decref(rec);
			return error_set(ret_err, -EBADMSG,
					 "%s line %zu is not a JSON object",
					 k->path, line);
		}
		key = json_object_get(rec, "key");
		val = json_object_get(rec, "value");
		kind = json_string_value(json_object_get(rec, "kind"));
		if (kind && strcmp(kind, "fact") == 0 && json_is_string(key) &&
		    val) {
			char *skey =
				sanitize_text(json_string_value(key), false);
			char *sval;
			json_t *v;

			if (json_is_string(val))
				sval = sanitize_text(json_string_value(val),
						     false);
			else {
				char *d = json_dumps(val, JSON_ENCODE_ANY |
								  JSON_COMPACT);

				sval = sanitize_text(d ? d : "", false);
				free(d);
			}
			v = json_pack("{s:s, s:s}", "key", skey, "value", sval);
			if (v)
				json_array_append_new(rc->facts, v);
			free(skey);
			free(sval);
		}
		json_decref(rec);
		p += len + (nl ? 1 : 0);
	}
	(void)rv;
	return 0;
}

static int load_findings(struct review *rv, const struct reader *rd,
			 char **ret_err)
{
	static const char *const text_keys[] = {
		"id", "collector", "severity", "title", "detail", "hint", "kb"
	};
	struct kept *k = reader_kept(rd, BUNDLE_FINDINGS);
	json_t *all = NULL, *f;
	size_t i;
	int r;

	rv->findings = json_array();
	if (!k)
		return error_set(ret_err, -EBADMSG,
				 "the bundle has no findings.json");
	if ((r = parse_json(rd, BUNDLE_FINDINGS, &k->data, &all, ret_err)) < 0)
		return r;
	rv->findings_text = xmalloc(k->data.len + 1);
	memcpy(rv->findings_text, k->data.data, k->data.len);
	rv->findings_text[k->data.len] = '\0';
	rv->findings_len = k->data.len;
	if (!json_is_array(all)) {
		json_decref(all);
		return error_set(ret_err, -EBADMSG,
				 "findings.json is not a JSON array");
	}
	if (json_array_size(all) > rd->lim->max_records) {
		size_t n = json_array_size(all);

		json_decref(all);
		return error_set(ret_err, -EFBIG,
				 "findings.json holds %zu findings, more than "
				 "rdiag writes (at most %zu)",
				 n, rd->lim->max_records);
	}
	json_array_foreach(all, i, f)
	{
		json_t *clean = json_object(),
		       *lvl = json_object_get(f, "level");
		enum severity sev;

		if (!json_is_object(f) ||
		    !json_string_value(json_object_get(f, "id")) ||
		    !json_string_value(json_object_get(f, "title")) ||
		    severity_from_name(
			    json_string_value(json_object_get(f, "severity")),
			    &sev) < 0 ||
		    !json_is_integer(lvl) || json_integer_value(lvl) < 0 ||
		    json_integer_value(lvl) > 4) {
			json_decref(clean);
			json_decref(all);
			return error_set(ret_err, -EBADMSG,
					 "findings.json: finding %zu needs "
					 "id, title, severity and level 0-4",
					 i);
		}
		for (size_t t = 0; t < ARRAY_SIZE(text_keys); t++) {
			const char *s = json_string_value(
				json_object_get(f, text_keys[t]));
			char *safe;

			if (!s)
				continue;
			safe = sanitize_text(
				s, strcmp(text_keys[t], "detail") == 0);
			json_object_set_new(clean, text_keys[t],
					    json_string(safe));
			free(safe);
		}
		json_object_set(clean, "level", lvl);
		if (!json_object_get(clean, "collector"))
			json_object_set_new(clean, "collector",
					    json_string("?"));
		json_array_append_new(rv->findings, clean);
	}
	json_decref(all);
	return 0;
}

/*
 * A signature that passed: who made it. Two signatures of one bundle (the
 * SSHSIG beside it and manifest.sig inside) must be by the same key.
 */
static int signed_by(struct review *rv, const unsigned char *pub,
		     const char *fpr, const struct review_opts *o,
		     char **ret_err)
{
	if (rv->is_signed && sodium_memcmp(rv->signer_pub, pub, 32) != 0)
		return error_set(ret_err, -EBADMSG,
				 "the bundle's two signatures are by different "
				 "keys (%s and %s)",
				 rv->signer, fpr);
	memcpy(rv->signer_pub, pub, 32);
	snprintf(rv->signer, sizeof(rv->signer), "%s", fpr);
	rv->is_signed = true;
	rv->trusted = o->trust != NULL;
	return 0;
}

/* manifest.sig: an SSHSIG of manifest.json, or rdiag-sig/1 (older). */
static int check_signature(struct review *rv, const struct reader *rd,
			   const struct review_opts *o, char **ret_err)
{
	struct kept *sig = reader_kept(rd, BUNDLE_SIGNATURE);
	unsigned char d[crypto_hash_sha512_BYTES];
	char fpr[SSHSIG_FPR_MAX], *err = NULL, legacy[SIGN_FPR_LEN + 1];
	struct sshsig ss;
	size_t bl = strlen(SSHSIG_ARMOR_BEGIN);
	int r;

	if (!sig) {
		if (o->trust && !rv->is_signed)
			return error_set(ret_err, -EPERM,
					 "the bundle is not signed, but "
					 "--trust requires a signature");
		return 0;
	}
	if (sig->data.len < bl ||
	    memcmp(sig->data.data, SSHSIG_ARMOR_BEGIN, bl) != 0) {
		r = sign_verify_manifest(sig->data.data, sig->data.len,
					 rv->manifest_text, rv->manifest_len,
					 o->trust, legacy, ret_err);
		if (r < 0)
			return r;
		/* The Ed25519 key is in the line; compare like SSHSIG's. */
		if (sodium_hex2bin(ss.pub, sizeof(ss.pub),
				   sig->data.data + strlen("rdiag-sig/1 "
							   "ed25519 "),
				   64, NULL, NULL, NULL) != 0)
			return error_set(ret_err, -EBADMSG,
					 "manifest.sig is damaged");
		return signed_by(rv, ss.pub, legacy, o, ret_err);
	}
	if ((r = sshsig_parse(sig->data.data, sig->data.len, &ss, &err)) < 0)
		goto out;
	if (ss.sha256)
		crypto_hash_sha256(d, (const unsigned char *)rv->manifest_text,
				   rv->manifest_len);
	else
		crypto_hash_sha512(d, (const unsigned char *)rv->manifest_text,
				   rv->manifest_len);
	r = sshsig_check(&ss, d,
			 ss.sha256 ? crypto_hash_sha256_BYTES
				   : crypto_hash_sha512_BYTES,
			 o->trust, "manifest.json", &err);
	if (r < 0)
		goto out;
	sshkey_fingerprint(ss.pub, fpr);
	return signed_by(rv, ss.pub, fpr, o, ret_err);
out:
	error_set(ret_err, r, "manifest.sig %s", err);
	free(err);
	return r;
}

/* The schema's verdict on the manifest; its message may quote the bytes. */
static int manifest_schema_err(int r, char *msg, char **ret_err)
{
	char *safe = sanitize_text(msg ? msg : "invalid manifest", false);

	error_set(ret_err, r, "%s", safe);
	free(safe);
	free(msg);
	return r;
}

static int review_build(struct review *rv, struct reader *rd,
			const struct review_opts *o, char **ret_err)
{
	struct kept *man = reader_kept(rd, BUNDLE_MANIFEST);
	char *msg = NULL;
	int r;

	rv->top = sanitize_text(rd->top, false);
	if (!man)
		return error_set(ret_err, -EBADMSG,
				 "the bundle has no manifest.json");
	if ((r = parse_json(rd, BUNDLE_MANIFEST, &man->data, &rv->manifest,
			    ret_err)) < 0)
		return r;
	rv->manifest_text = xmalloc(man->data.len + 1);
	memcpy(rv->manifest_text, man->data.data, man->data.len + 1);
	rv->manifest_len = man->data.len;
	if ((r = bundle_manifest_check_format(rv->manifest, &msg)) < 0)
		return manifest_schema_err(r, msg, ret_err);
	/* The signature first: a forged manifest is the worse news. */
	if ((r = check_signature(rv, rd, o, ret_err)) < 0)
		return r;
	/*
	 * From here on every string of the manifest is shown somewhere
	 * (inspect, diff, HTML, an export's own manifest): sanitise them all
	 * once, so that no printer can forget. The signed bytes stay in
	 * manifest_text.
	 */
	sanitize_json(rv->manifest);
	if ((r = bundle_manifest_read(rv->manifest, &rv->man, &msg)) < 0)
		return manifest_schema_err(r, msg, ret_err);
	if ((r = check_files(rv, rd, ret_err)) < 0)
		return r;
	load_collectors(rv);
	if ((r = load_findings(rv, rd, ret_err)) < 0)
		return r;
	for (size_t i = 0; i < rd->nkept; i++) {
		char *name = bundle_path_collector(rd->kept[i].path);
		struct review_collector *rc = NULL;

		if (name)
			rc = (struct review_collector *)review_collector_find(
				rv, name);
		free(name);
		if (rc &&
		    (r = load_records(rv, rd, rc, &rd->kept[i], ret_err)) < 0)
			return r;
	}
	rv->redactions = rv->man.redactions;
	rv->host = rv->man.host;
	rv->ticket = rv->man.ticket;
	rv->started = rv->man.started;
	rv->finished = rv->man.finished;
	rv->agent_version = rv->man.agent_version;
	/* Shown on a terminal: keep them tame. */
	if (rv->host && !name_printable(rv->host))
		rv->host = "?";
	if (rv->ticket && !name_printable(rv->ticket))
		rv->ticket = "?";
	if (!rv->host)
		rv->host = "?";
	return 0;
}

static int review_read(struct reader *rd, struct review *rv,
		       const struct review_opts *o, char **ret_err)
{
	int r;

	rd->files = json_object();
	rd->dirs = json_object();
	rd->parents = json_object();
	rd->sink = o->sink;
	rd->in_buf = xmalloc(REVIEW_IO_SIZE * 2);
	rv->paths = json_array();
	if ((r = reader_pass(rd, ret_err)) < 0)
		return r;
	return review_build(rv, rd, o, ret_err);
}

static int open_common(struct reader *rd, const struct review_opts *o,
		       struct review_limits *lim)
{
	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
	if (o->limits)
		*lim = *o->limits;
	else
		review_limits_default(lim);
	rd->lim = lim;
	if (sodium_init() < 0)
		return -EIO;
	return 0;
}

int review_open_memory(const void *data, size_t len,
		       const struct review_opts *o, struct review **ret,
		       char **ret_err)
{
	struct review_limits lim;
	struct reader rd;
	struct review *rv = xcalloc(1, sizeof(*rv));
	static const unsigned char empty[1];
	unsigned char digest[crypto_hash_sha256_BYTES];
	int r;

	if ((r = open_common(&rd, o, &lim)) < 0)
		goto out;
	rd.mem = len ? data : empty;
	rd.mem_len = len;
	rv->file_size = len;
	crypto_hash_sha256(digest, len ? data : empty, len);
	sodium_bin2hex(rv->sha256, sizeof(rv->sha256), digest, sizeof(digest));
	r = review_read(&rd, rv, o, ret_err);
out:
	reader_release(&rd);
	if (r < 0) {
		review_free(rv);
		return r;
	}
	*ret = rv;
	return 0;
}

/* SHA-256 of a whole file, and its size. */
static int hash_fd(int fd, char ret_hex[65], uint64_t *ret_size)
{
	unsigned char *buf = xmalloc(REVIEW_IO_SIZE);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	uint64_t size = 0;
	ssize_t n;
	int r = 0;

	crypto_hash_sha256_init(&h);
	while ((n = read(fd, buf, REVIEW_IO_SIZE)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		size += (uint64_t)n;
	}
	free(buf);
	if (r < 0)
		return r;
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(ret_hex, 65, d, sizeof(d));
	*ret_size = size;
	return lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

/* PATH.sha256 in sha256sum format, when present. */
static int check_sidecar(struct review *rv, const char *path, char **ret_err)
{
	char *side = bundle_sidecar_path(path), buf[REVIEW_SIDECAR_MAX + 1];
	char hex[65];
	ssize_t n;
	int fd, r = 0;

	fd = open(side, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			r = error_set(ret_err, -EBADMSG,
				      "cannot open sidecar '%s': %s", side,
				      strerror(errno));
		goto out;
	}
	do
		n = read(fd, buf, REVIEW_SIDECAR_MAX);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		r = error_set(ret_err, -EBADMSG, "cannot read sidecar '%s': %s",
			      side, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	if (n < 66 || !bundle_sidecar_hex(buf, hex)) {
		r = error_set(ret_err, -EBADMSG,
			      "sidecar '%s' is not in sha256sum format", side);
		goto out;
	}
	if (strcmp(hex, rv->sha256) != 0) {
		r = error_set(ret_err, -EBADMSG,
			      "the bundle does not match its sidecar '%s' "
			      "(SHA-256 %s, sidecar says %s)",
			      side, rv->sha256, hex);
		goto out;
	}
	rv->sidecar = REVIEW_SIDECAR_OK;
out:
	free(side);
	return r;
}

/*
 * NAME.sig beside the bundle (bundle_sig_path()), when present: the SSHSIG
 * of the plain archive that plain_fd reads.
 */
static int check_sig_file(struct review *rv, const char *path, int plain_fd,
			  const struct review_opts *o, char **ret_err)
{
	char *sig_path = bundle_sig_path(path), *text = NULL, *err = NULL;
	unsigned char d[crypto_hash_sha512_BYTES];
	char fpr[SSHSIG_FPR_MAX];
	struct sshsig ss;
	struct stat st;
	size_t dlen = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(sig_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			r = error_set(ret_err, -EBADMSG,
				      "cannot open signature '%s': %s",
				      sig_path, strerror(errno));
		goto out;
	}
	text = xmalloc(SSHSIG_TEXT_MAX + 1);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = error_set(ret_err, -EBADMSG,
			      "signature '%s' is not a regular file", sig_path);
		goto out;
	}
	n = read_full(fd, text, SSHSIG_TEXT_MAX + 1);
	if (n < 0 || n > SSHSIG_TEXT_MAX) {
		r = error_set(ret_err, -EBADMSG,
			      n < 0 ? "cannot read signature '%s'"
				    : "signature '%s' is too large",
			      sig_path);
		goto out;
	}
	if ((r = sshsig_parse(text, (size_t)n, &ss, &err)) < 0)
		goto bad;
	if ((r = sshsig_hash_fd(plain_fd, ss.sha256, d, &dlen)) < 0) {
		r = error_set(ret_err, r, "cannot read the bundle: %s",
			      strerror(-r));
		goto out;
	}
	if ((r = sshsig_check(&ss, d, dlen, o->trust, "the bundle", &err)) < 0)
		goto bad;
	sshkey_fingerprint(ss.pub, fpr);
	r = signed_by(rv, ss.pub, fpr, o, ret_err);
	goto out;
bad:
	error_set(ret_err, r, "signature '%s' %s", sig_path, err);
out:
	if (fd >= 0)
		close(fd);
	free(err);
	free(text);
	free(sig_path);
	return r;
}

/* An unlinked temporary file in $TMPDIR, or a negative errno. */
static int temp_file(char **ret_err)
{
	const char *tmp = getenv("TMPDIR");
	char *name;
	int fd, r;

	name = xasprintf("%s/.rdiag-decrypt-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(name);
	if (fd < 0) {
		r = error_set(ret_err, -errno,
			      "cannot create a temporary file '%s': %s", name,
			      strerror(errno));
		free(name);
		return r;
	}
	unlink(name);
	free(name);
	return fd;
}

/* Decrypt into an unlinked temporary file; *ret_fd reads the plain text. */
static int decrypt_to_temp(int fd, bool age, bool armored,
			   const struct review_opts *o, uint64_t max,
			   int *ret_fd, char **ret_err)
{
	int out, r;

	if (!o->key)
		return error_set(ret_err, -EACCES,
				 "the bundle is encrypted; give the secret "
				 "key with --key");
	if ((out = temp_file(ret_err)) < 0)
		return out;
	if (armored) {
		/* age -a: the binary age file first, then as any other. */
		int bin = temp_file(ret_err);

		if (bin < 0) {
			close(out);
			return bin;
		}
		r = age_dearmor_fd(fd, bin, max, ret_err);
		if (r == 0 && lseek(bin, 0, SEEK_SET) < 0)
			r = error_set(ret_err, -errno, "cannot rewind: %s",
				      strerror(errno));
		if (r == 0)
			r = age_decrypt_fd(o->key, bin, out, max, ret_err);
		close(bin);
	} else {
		r = age ? age_decrypt_fd(o->key, fd, out, max, ret_err)
			: sign_decrypt_fd(o->key, fd, out, max, ret_err);
	}
	if (r == 0 && lseek(out, 0, SEEK_SET) < 0)
		r = error_set(ret_err, -errno, "cannot rewind: %s",
			      strerror(errno));
	if (r < 0) {
		close(out);
		return r == -EFBIG || r == -EACCES || r == -EINVAL ? r
								   : -EBADMSG;
	}
	*ret_fd = out;
	return 0;
}

int review_open(const char *path, const struct review_opts *o,
		struct review **ret, char **ret_err)
{
	struct review_limits lim;
	struct reader rd;
	struct review *rv = xcalloc(1, sizeof(*rv));
	unsigned char head[64];
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if ((r = open_common(&rd, o, &lim)) < 0)
		goto out;
	rv->path = xstrdup(path);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = error_set(ret_err, -errno, "cannot open '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = error_set(ret_err, -EINVAL, "'%s' is not a regular file",
			      path);
		goto out;
	}
	if ((r = hash_fd(fd, rv->sha256, &rv->file_size)) < 0) {
		r = error_set(ret_err, r, "cannot read '%s': %s", path,
			      strerror(-r));
		goto out;
	}
	if ((r = check_sidecar(rv, path, ret_err)) < 0)
		goto out;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n > 0 && (age_is_encrypted(head, (size_t)n) ||
		      age_is_armored(head, (size_t)n) ||
		      sign_is_encrypted(head, (size_t)n))) {
		int plain = -1;

		rv->encrypted = true;
		if ((r = decrypt_to_temp(fd, age_is_encrypted(head, (size_t)n),
					 age_is_armored(head, (size_t)n), o,
					 lim.max_input, &plain, ret_err)) < 0)
			goto out;
		close(fd);
		fd = plain;
	}
	if ((r = check_sig_file(rv, path, fd, o, ret_err)) < 0)
		goto out;
	rd.fd = fd;
	r = review_read(&rd, rv, o, ret_err);
out:
	reader_release(&rd);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		review_free(rv);
		return r;
	}
	*ret = rv;
	return 0;
}

void review_free(struct review *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->collectors && i < r->ncollectors; i++) {
		free(r->collectors[i].name);
		free(r->collectors[i].status);
		free(r->collectors[i].reason);
		json_decref(r->collectors[i].facts);
	}
	free(r->collectors);
	bundle_manifest_release(&r->man);
	json_decref(r->manifest);
	json_decref(r->findings);
	free(r->findings_text);
	json_decref(r->paths);
	free(r->manifest_text);
	free(r->vcols);
	free(r->vres);
	free(r->path);
	free(r->top);
	free(r);
}

const struct review_collector *review_collector_find(const struct review *r,
						     const char *name)
{
	for (size_t i = 0; i < r->ncollectors; i++)
		if (strcmp(r->collectors[i].name, name) == 0)
			return &r->collectors[i];
	return NULL;
}

void review_verdict(struct review *r, struct verdict *ret)
{
	free(r->vcols);
	free(r->vres);
	r->vcols = xcalloc(r->ncollectors + 1, sizeof(*r->vcols));
	r->vres = xcalloc(r->ncollectors + 1, sizeof(*r->vres));
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];
		struct collector_result *res = &r->vres[i];

		r->vcols[i].name = c->name;
		res->collector = &r->vcols[i];
		res->status = STATUS_OK;
		(void)collector_status_from_name(c->status, &res->status);
		res->reason = c->reason;
		res->duration_ms = c->duration_ms;
		res->truncated = c->truncated;
		res->rejected = (size_t)c->rejected;
	}
	memset(ret, 0, sizeof(*ret));
	ret->results = r->vres;
	ret->n = r->ncollectors;
	ret->findings = r->findings;
	ret->bundle_path = r->path;
	ret->bundle_size = r->file_size;
	ret->sha256 = r->sha256;
	ret->host = r->host;
	ret->ticket = r->ticket;
}
