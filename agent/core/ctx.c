/*
 * The ctx API a collector uses inside its worker: records are serialised to
 * JSON lines on the worker's pipe the moment they are emitted (so a killed
 * worker keeps what it said), and artifacts are created only inside the
 * collector's own staging directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/redact.h"
#include "core/stagecrypt.h"
#include "platform/platform.h"
#include "rdiag/buf.h"
#include "rdiag/utf8.h"

struct value_cache {
	char *section, *key;
	const char **values;
};

struct collector_ctx {
	struct ctx_params p;
	int staging_fd;
	struct value_cache *cache;
	size_t ncache;
	int staging_err;    /* -ENOSPC or -EDQUOT once staging was full */
	bool plain_staging; /* the platform has no nameless files: not sealed */
};

struct collector_ctx *ctx_new(const struct ctx_params *p)
{
	struct collector_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->p = *p;
	if (!ctx->p.root)
		ctx->p.root = "";
	ctx->staging_fd = open(p->staging_dir,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return ctx;
}

/* Remember a full staging file system: the run must not pretend it fit. */
static int ctx_note(struct collector_ctx *ctx, int r)
{
	if ((r == -ENOSPC || r == -EDQUOT) && !ctx->staging_err)
		ctx->staging_err = r;
	return r;
}

int ctx_staging_error(const struct collector_ctx *ctx)
{
	return ctx->staging_err;
}

void ctx_free(struct collector_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->ncache; i++) {
		free(ctx->cache[i].section);
		free(ctx->cache[i].key);
		free(ctx->cache[i].values);
	}
	free(ctx->cache);
	if (ctx->staging_fd >= 0)
		close(ctx->staging_fd);
	free(ctx);
}

int ctx_out_fd(struct collector_ctx *ctx)
{
	return ctx->p.out_fd;
}

/* Serialise obj as one line and write it whole; consumes obj. */
static int emit(struct collector_ctx *ctx, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	struct buf line;
	int r;

	json_decref(obj);
	if (!s)
		return -ENOMEM;
	buf_init(&line, RECORD_MAX_LINE);
	r = buf_puts(&line, s);
	if (r == 0)
		r = buf_putc(&line, '\n');
	free(s);
	if (r == 0)
		r = write_all(ctx->p.out_fd, line.data, line.len);
	buf_release(&line);
	return r == -ENOBUFS ? -E2BIG : r;
}

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, marks text cut short here */

char *ctx_redact(const char *text, size_t len)
{
	struct redactor *r = redactor_new();
	struct buf out;
	size_t n;

	buf_init(&out, 0);
	if (redact_buf(r, text, len, &out) < 0)
		buf_reset(&out);
	redactor_free(r);
	return buf_detach(&out, &n);
}

/*
 * s as a JSON string the parent accepts: invalid UTF-8 repaired (see
 * rdiag/utf8.h) and at most max bytes, cut at a character boundary with an
 * ellipsis, so no record is ever refused for its text.
 */
static json_t *text(const char *s, size_t max)
{
	size_t len;
	char *fixed = utf8_repair(s, strlen(s), &len);
	json_t *j;

	if (len > max) {
		/* Redact before the cut, never after: see ctx_redact(). */
		char *red = ctx_redact(fixed, len);

		free(fixed);
		fixed = red;
		len = strlen(fixed);
	}
	if (len > max) {
		len = utf8_cut(fixed, len, max - (sizeof(ELLIPSIS) - 1));
		memcpy(fixed + len, ELLIPSIS, sizeof(ELLIPSIS));
		len += sizeof(ELLIPSIS) - 1;
	}
	j = json_stringn(fixed, len);
	free(fixed);
	return j;
}

static void set_text(json_t *o, const char *name, const char *s, size_t max)
{
	if (s)
		json_object_set_new(o, name, text(s, max));
}

/*
 * Emit obj, shortening its longest text field by half until the line fits
 * RECORD_MAX_LINE: escaped non-ASCII text can take six times its size.
 * Consumes obj.
 */
static int emit_fitting(struct collector_ctx *ctx, json_t *obj,
			const char *const *fields, size_t nfields)
{
	for (;;) {
		char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
		size_t n = s ? strlen(s) : 0;
		const char *longest = NULL;
		size_t longest_len = 0;

		free(s);
		if (n + 1 <= RECORD_MAX_LINE)
			break;
		for (size_t i = 0; i < nfields; i++) {
			size_t l = json_string_length(
				json_object_get(obj, fields[i]));

			if (l > longest_len) {
				longest = fields[i];
				longest_len = l;
			}
		}
		if (!longest || longest_len < 64)
			break; /* emit() refuses it; nothing left to cut */
		json_object_set_new(
			obj, longest,
			text(json_string_value(json_object_get(obj, longest)),
			     longest_len / 2));
	}
	return emit(ctx, obj);
}

int ctx_fact(struct collector_ctx *ctx, const char *key, const char *fmt, ...)
{
	static const char *const fields[] = { "value" };
	va_list ap;
	char *value;
	json_t *o;

	if (!record_key_valid(key))
		return -EINVAL;
	va_start(ap, fmt);
	value = xvasprintf(fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:s}", "kind", "fact", "key", key);
	set_text(o, "value", value, RECORD_MAX_TEXT);
	free(value);
	return emit_fitting(ctx, o, fields, ARRAY_SIZE(fields));
}

int ctx_fact_int(struct collector_ctx *ctx, const char *key, int64_t value)
{
	return ctx_fact(ctx, key, "%lld", (long long)value);
}

int ctx_finding(struct collector_ctx *ctx, const struct finding *f)
{
	static const char *const fields[] = { "title", "detail", "hint" };
	json_t *o;

	if (!f->id || !record_id_valid(f->id) || !f->title ||
	    !severity_name(f->severity) || (unsigned)f->level > 4)
		return -EINVAL;
	o = json_object();
	json_object_set_new(o, "kind", json_string("finding"));
	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "severity",
			    json_string(severity_name(f->severity)));
	json_object_set_new(o, "level", json_integer(f->level));
	set_text(o, "title", f->title, RECORD_MAX_TEXT);
	set_text(o, "detail", f->detail, RECORD_MAX_TEXT);
	set_text(o, "hint", f->hint, RECORD_MAX_TEXT);
	set_text(o, "kb", f->kb, RECORD_MAX_SHORT);
	return emit_fitting(ctx, o, fields, ARRAY_SIZE(fields));
}

int ctx_log(struct collector_ctx *ctx, const char *fmt, ...)
{
	static const char *const fields[] = { "msg" };
	va_list ap;
	char *msg;
	json_t *o;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "kind", "log");
	set_text(o, "msg", msg, RECORD_MAX_TEXT);
	free(msg);
	return emit_fitting(ctx, o, fields, ARRAY_SIZE(fields));
}

int ctx_skip(struct collector_ctx *ctx, const char *reason)
{
	json_t *o = json_pack("{s:s}", "kind", "skip");

	set_text(o, "reason", reason ? reason : "", RECORD_MAX_SHORT);
	return emit(ctx, o);
}

/* Create the directories leading to relpath below the staging dir. */
static int make_parents(int dirfd, const char *relpath)
{
	char *p = xstrdup(relpath);
	int r = 0;

	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, p, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		*s = '/';
	}
	free(p);
	return r;
}

int ctx_artifact_create(struct collector_ctx *ctx, const char *relpath,
			int *ret_fd)
{
	int fd, plain = -1, r;

	if (!record_artifact_path_valid(relpath))
		return -EINVAL;
	if (ctx->staging_fd < 0)
		return -EBADF;
	if ((r = make_parents(ctx->staging_fd, relpath)) < 0)
		return ctx_note(ctx, r);
	/* The name is taken now (O_EXCL), as callers expect of create. */
	fd = openat(ctx->staging_fd, relpath,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ctx_note(ctx, -errno);
	if (!ctx->p.seal_key || ctx->plain_staging) {
		*ret_fd = fd;
		return 0;
	}
	/*
	 * Sealed staging: the named file stays empty until the close seals
	 * into it; the collector writes the plain copy into a file with no
	 * name, which a kill takes with it.
	 */
	r = platform_create_unnamed(ctx->staging_fd, &plain);
	if (r == -EOPNOTSUPP) {
		/* No nameless files here: the named one, plain, as before. */
		ctx->plain_staging = true;
		*ret_fd = fd;
		return 0;
	}
	close(fd);
	fd = plain;
	if (r < 0) {
		(void)unlinkat(ctx->staging_fd, relpath, 0);
		return ctx_note(ctx, r);
	}
	*ret_fd = fd;
	return 0;
}

/* Seal the unnamed plain copy fd into relpath, its reserved name. */
static int ctx_artifact_seal(struct collector_ctx *ctx, const char *relpath,
			     int fd)
{
	int out, r;

	out = openat(ctx->staging_fd, relpath,
		     O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return -errno;
	r = stagecrypt_seal(ctx->p.seal_key, fd, out);
	if (close(out) < 0 && r == 0)
		r = -errno;
	/* A cut-off sealed file would only be refused later: drop it. */
	if (r < 0)
		(void)unlinkat(ctx->staging_fd, relpath, 0);
	return r;
}

int ctx_artifact_close(struct collector_ctx *ctx, const char *relpath, int fd)
{
	int r = 0;

	if (ctx->p.seal_key && !ctx->plain_staging)
		r = ctx_artifact_seal(ctx, relpath, fd);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return ctx_note(ctx, r);
	return emit(ctx, json_pack("{s:s, s:s}", "kind", "artifact", "path",
				   relpath));
}

int ctx_artifact_write(struct collector_ctx *ctx, const char *relpath,
		       const void *data, size_t len)
{
	int fd, r;

	if ((r = ctx_artifact_create(ctx, relpath, &fd)) < 0)
		return r;
	if ((r = write_all(fd, data, len)) < 0) {
		close(fd);
		(void)unlinkat(ctx->staging_fd, relpath, 0);
		return ctx_note(ctx, r);
	}
	return ctx_artifact_close(ctx, relpath, fd);
}

size_t ctx_config_section_values(struct collector_ctx *ctx, const char *section,
				 const char *key,
				 const char *const **ret_values)
{
	struct value_cache *vc;
	const char **values;
	size_t n;

	for (size_t i = 0; i < ctx->ncache; i++) {
		vc = &ctx->cache[i];
		if (strcmp(vc->section, section) == 0 &&
		    strcmp(vc->key, key) == 0) {
			for (n = 0; vc->values[n]; n++)
				;
			*ret_values = vc->values;
			return n;
		}
	}
	if (ctx->p.config) {
		n = config_values(ctx->p.config, section, key, &values);
	} else {
		values = xcalloc(1, sizeof(*values));
		n = 0;
	}
	ctx->cache =
		xreallocarray(ctx->cache, ctx->ncache + 1, sizeof(*ctx->cache));
	vc = &ctx->cache[ctx->ncache++];
	vc->section = xstrdup(section);
	vc->key = xstrdup(key);
	vc->values = values;
	*ret_values = values;
	return n;
}

size_t ctx_config_values(struct collector_ctx *ctx, const char *key,
			 const char *const **ret_values)
{
	return ctx_config_section_values(ctx, ctx->p.collector->name, key,
					 ret_values);
}

const char *ctx_config_get(struct collector_ctx *ctx, const char *key)
{
	const char *const *v;
	size_t n = ctx_config_values(ctx, key, &v);

	return n ? v[n - 1] : NULL;
}

char *ctx_config_where(struct collector_ctx *ctx, const char *key,
		       const char *value)
{
	const struct config *c = ctx->p.config;

	for (size_t i = c ? c->n : 0; i-- > 0;) {
		const struct config_entry *e = &c->entries[i];

		if (strcmp(e->section, ctx->p.collector->name) == 0 &&
		    strcmp(e->key, key) == 0 &&
		    (!value || strcmp(e->value, value) == 0))
			return config_entry_where(e);
	}
	return NULL;
}

int64_t ctx_remaining_ms(struct collector_ctx *ctx)
{
	int64_t left = ctx->p.deadline_ms - now_ms();

	return left > 0 ? left : 0;
}

time_t ctx_since(struct collector_ctx *ctx)
{
	return ctx->p.since;
}

bool ctx_is_root(struct collector_ctx *ctx)
{
	(void)ctx;
	return platform_is_root();
}

const char *ctx_staging_dir(struct collector_ctx *ctx)
{
	return ctx->p.staging_dir;
}

const char *ctx_root(struct collector_ctx *ctx)
{
	return ctx->p.root;
}

int ctx_bounded(struct collector_ctx *ctx, unsigned timeout_ms, bounded_fn fn,
		void *arg, void *out, size_t out_max,
		struct bounded_result *ret)
{
	int64_t left = ctx_remaining_ms(ctx);

	if (left <= 0)
		return -ETIME;
	if ((int64_t)timeout_ms > left)
		timeout_ms = (unsigned)left;
	return bounded_call(timeout_ms, fn, arg, out, out_max, ret);
}

int ctx_exec(struct collector_ctx *ctx, const char *const *argv,
	     unsigned timeout_ms, struct buf *out)
{
	int64_t left = ctx_remaining_ms(ctx);

	if (left <= 0)
		return -ETIME;
	if ((int64_t)timeout_ms > left)
		timeout_ms = (unsigned)left;
	return proc_exec(argv, timeout_ms, out, NULL);
}
