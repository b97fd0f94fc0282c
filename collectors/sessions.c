/*
 * The sessions collector: the evidence of past support sessions on this
 * machine (rdiag session's append-only audit log and the asciicast
 * recordings of what each engineer's terminal showed) goes into the next
 * bundle, so the customer and the vendor both keep a record of who did what.
 * Files are copied as artifacts and pass the bundle's redaction pass like
 * all text; recordings can contain what was typed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdiag/collector.h"
#include "rdiag/i18n.h"

#define SESSIONS_MAX_BYTES (50ull * 1024 * 1024)
#define SESSIONS_MAX_FILES 200
#define COPY_CHUNK         65536

static const struct config_key sessions_keys[] = {
	{ "max_mb", 0,
	  "copy at most this many MiB of recordings, newest first (50)", NULL },
	{ NULL, 0, NULL, NULL },
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The evidence files: the audit log and recordings, not host keys. */
static bool wanted(const char *name)
{
	return strcmp(name, "audit.jsonl") == 0 || has_suffix(name, ".cast");
}

/* Copy dir/name into the artifact of that name; returns bytes or -errno. */
static long long copy_one(struct collector_ctx *ctx, int dirfd,
			  const char *name, uint64_t budget)
{
	char art[RECORD_MAX_ARTPATH + 1], buf[COPY_CHUNK];
	uint64_t done = 0;
	int in, out, r;

	in = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -errno;
	snprintf(art, sizeof(art), "%s", name);
	if ((r = ctx_artifact_create(ctx, art, &out)) < 0) {
		close(in);
		return r;
	}
	while (done < budget) {
		size_t want = budget - done < sizeof(buf)
				      ? (size_t)(budget - done)
				      : sizeof(buf);
		ssize_t n = read(in, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((r = write_all(out, buf, (size_t)n)) < 0)
			break;
		done += (uint64_t)n;
	}
	close(in);
	r = ctx_artifact_close(ctx, art, out);
	return r < 0 ? r : (long long)done;
}

struct entry {
	char *name;
	time_t mtime;
	off_t size;
};

/* The audit log first (it is always kept), then the newest recordings. */
static int audit_then_newest(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	bool xa = strcmp(x->name, "audit.jsonl") == 0;
	bool ya = strcmp(y->name, "audit.jsonl") == 0;

	if (xa != ya)
		return xa ? -1 : 1;
	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

static int sessions_run(struct collector_ctx *ctx)
{
	const char *cfg = NULL, *max_mb = ctx_config_get(ctx, "max_mb");
	const char *const *v;
	struct entry *list = NULL;
	size_t n = 0, copied = 0, skipped = 0;
	uint64_t budget = SESSIONS_MAX_BYTES, total = 0;
	unsigned long long mb;
	char *dir;
	int dfd, r = 0;
	DIR *d;
	struct dirent *de;

	if (ctx_config_section_values(ctx, "session", "state_dir", &v) > 0)
		cfg = v[0];
	dir = cfg && *cfg ? xstrdup(cfg) : state_dir_default("sessions");
	if (max_mb && parse_uint(max_mb, 1, 4096, &mb) == 0)
		budget = mb * 1024 * 1024;
	ctx_fact(ctx, "sessions.dir", "%s", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = errno;
		free(dir);
		if (r == ENOENT)
			return ctx_skip(ctx, "no support session has been held "
					     "on this machine");
		return ctx_skip(ctx, r == EACCES
					     ? "the session records belong to "
					       "another user (run as root)"
					     : "the session directory cannot "
					       "be read");
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		free(dir);
		return -errno;
	}
	while ((de = readdir(d)) && n < SESSIONS_MAX_FILES) {
		struct stat sb;

		if (!wanted(de->d_name) ||
		    fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (ctx_since(ctx) && sb.st_mtime < ctx_since(ctx) &&
		    strcmp(de->d_name, "audit.jsonl") != 0)
			continue;
		list = xreallocarray(list, n + 1, sizeof(*list));
		list[n].name = xstrdup(de->d_name);
		list[n].mtime = sb.st_mtime;
		list[n].size = sb.st_size;
		n++;
	}
	qsort(list, n, sizeof(*list), audit_then_newest);
	for (size_t i = 0; i < n; i++) {
		long long got;

		/* The audit log always fits; recordings share the rest. */
		if (total >= budget && strcmp(list[i].name, "audit.jsonl")) {
			skipped++;
			continue;
		}
		got = copy_one(ctx, dfd, list[i].name,
			       strcmp(list[i].name, "audit.jsonl") == 0
				       ? SESSIONS_MAX_BYTES
				       : budget - total);
		if (got < 0) {
			ctx_log(ctx, "cannot copy '%s': %s", list[i].name,
				strerror((int)-got));
			skipped++;
			continue;
		}
		total += (uint64_t)got;
		copied++;
	}
	closedir(d);
	ctx_fact_int(ctx, "sessions.files_copied", (int64_t)copied);
	ctx_fact_int(ctx, "sessions.files_left_out", (int64_t)skipped);
	ctx_fact_int(ctx, "sessions.bytes", (int64_t)total);
	if (n == 0)
		r = ctx_skip(ctx, "no support session records");
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
	free(dir);
	return r;
}

const struct collector collector_sessions = {
	.name = "sessions",
	.summary = N_("audit log and recordings of past support sessions"),
	.deadline_ms = 20000,
	.staging_mb = SESSIONS_MAX_BYTES / (1024 * 1024),
	.staging_mb_key = "max_mb",
	.keys = sessions_keys,
	.run = sessions_run,
};
