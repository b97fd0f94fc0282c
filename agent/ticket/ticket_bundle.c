/*
 * The verdict of a bundle that is already written, for `rdiag upload
 * BUNDLE --to redmine+https://...`: manifest.json (host, ticket, agent
 * version, collectors) and findings.json, read with libarchive. The bundle
 * may come from anywhere, so only those two regular entries directly below
 * the top directory are read, each to a fixed maximum.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/buf.h"
#include "ticket/ticket_int.h"

#define ENTRY_MAX (16u << 20)

void ticket_bundle_release(struct ticket_bundle *b)
{
	json_decref(b->manifest);
	json_decref(b->findings);
	free(b->findings_raw);
	memset(b, 0, sizeof(*b));
}

/* "TOP/name" or "name" (what bundle.c writes is the former). */
static const char *member_name(const char *path)
{
	const char *slash = strchr(path, '/');

	if (!slash)
		return path;
	if (strchr(slash + 1, '/'))
		return NULL;
	return slash + 1;
}

static int read_entry(struct archive *a, const char *name, struct buf *b,
		      char **ret_err)
{
	char chunk[16384];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)n) < 0) {
			*ret_err = xasprintf("%s in the bundle is larger than "
					     "%u MiB",
					     name, ENTRY_MAX >> 20);
			return -EINVAL;
		}
	if (n < 0) {
		*ret_err = xasprintf("cannot read %s from the bundle: %s", name,
				     archive_error_string(a));
		return -EINVAL;
	}
	return 0;
}

int ticket_bundle_read(const char *path, struct ticket_bundle *ret,
		       char **ret_err)
{
	struct ticket_bundle tb;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct buf man, fnd;
	int r = 0, ar;

	memset(&tb, 0, sizeof(tb));
	buf_init(&man, ENTRY_MAX);
	buf_init(&fnd, ENTRY_MAX);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		*ret_err = xasprintf("cannot open '%s' as a bundle: %s", path,
				     archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = member_name(archive_entry_pathname(e));

		if (!name || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (strcmp(name, "manifest.json") == 0 && man.len == 0)
			r = read_entry(a, name, &man, ret_err);
		else if (strcmp(name, "findings.json") == 0 && fnd.len == 0)
			r = read_entry(a, name, &fnd, ret_err);
		if (r < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF) {
		*ret_err = xasprintf("'%s' is not a readable bundle: %s", path,
				     archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	tb.manifest = json_loadb(man.data, man.len, 0, NULL);
	tb.findings = json_loadb(fnd.data, fnd.len, 0, NULL);
	if (!json_is_object(tb.manifest) || !json_is_array(tb.findings)) {
		*ret_err = xasprintf("'%s' is not an rdiag bundle: it lacks a "
				     "valid manifest.json or findings.json",
				     path);
		r = -EINVAL;
		goto out;
	}
	tb.findings_raw = buf_detach(&fnd, &tb.findings_len);
	*ret = tb;
	memset(&tb, 0, sizeof(tb));
out:
	archive_read_free(a);
	buf_release(&man);
	buf_release(&fnd);
	ticket_bundle_release(&tb);
	return r;
}
