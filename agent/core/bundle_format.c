/*
 * The rdiag-bundle/1 format (see bundle_format.h): entry paths and the
 * manifest.json schema. Building and reading the manifest live side by
 * side so that a field added to one is seen missing from the other in the
 * same screenful, and the round trip is tested in test_bundle_format.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/bundle_format.h"
#include "core/error.h"
#include "rdiag/util.h"

#define COLLECTOR_NAME_MAX 64

/* The top-level keys this schema names, in the order they are written. */
static const char *const manifest_keys[] = {
	"format",  "agent_version", "host",         "ticket",
	"started", "finished",      "command_line", "collectors",
	"files",   "redactions",    "omitted",
};

static bool schema_key(const char *key)
{
	for (size_t k = 0; k < ARRAY_SIZE(manifest_keys); k++)
		if (strcmp(key, manifest_keys[k]) == 0)
			return true;
	return false;
}

char *bundle_base_name(const char *host, const char *ticket, const char *stamp)
{
	return xasprintf("rdiag-%s-%s-%s", host, ticket ? ticket : "noticket",
			 stamp);
}

char *bundle_collector_path(const char *collector, const char *rel)
{
	return xasprintf("%s/%s/%s", BUNDLE_COLLECTORS_DIR, collector, rel);
}

/* The NAME of "collectors/NAME/" at the start of path: its length, or 0. */
static size_t collector_prefix(const char *path, const char **ret_name)
{
	size_t dl = strlen(BUNDLE_COLLECTORS_DIR);
	const char *name, *slash;

	if (strncmp(path, BUNDLE_COLLECTORS_DIR, dl) != 0 || path[dl] != '/')
		return 0;
	name = path + dl + 1;
	slash = strchr(name, '/');
	if (!slash || slash == name)
		return 0;
	*ret_name = name;
	return (size_t)(slash - name);
}

char *bundle_path_collector(const char *path)
{
	const char *name;
	size_t len = collector_prefix(path, &name);

	return len ? xstrndup(name, len) : NULL;
}

bool bundle_path_is_records(const char *path)
{
	const char *name;
	size_t len = collector_prefix(path, &name);

	return len && strcmp(name + len + 1, BUNDLE_RECORDS) == 0;
}

char *bundle_sidecar_path(const char *path)
{
	return xasprintf("%s%s", path, BUNDLE_SIDECAR_SUFFIX);
}

char *bundle_partial_path(const char *path)
{
	return xasprintf("%s%s", path, BUNDLE_PARTIAL_SUFFIX);
}

char *bundle_sig_path(const char *path)
{
	static const char *const enc[] = { BUNDLE_ENCRYPTED_SUFFIX,
					   BUNDLE_LEGACY_ENCRYPTED_SUFFIX };
	size_t n = strlen(path);

	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(enc[i]);

		if (n > k && strcmp(path + n - k, enc[i]) == 0)
			return xasprintf("%.*s%s", (int)(n - k), path,
					 BUNDLE_SIG_SUFFIX);
	}
	return xasprintf("%s%s", path, BUNDLE_SIG_SUFFIX);
}

char *bundle_sidecar_line(const char *hex, const char *name)
{
	return xasprintf("%s  %s\n", hex, name);
}

bool bundle_sidecar_hex(const char *text, char ret_hex[65])
{
	if (strspn(text, "0123456789abcdef") != 64 || text[64] != ' ')
		return false;
	memcpy(ret_hex, text, 64);
	ret_hex[64] = '\0';
	return true;
}

bool bundle_sha256_hex_valid(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *collector_build(const struct bundle_manifest_collector *c)
{
	return json_pack("{s:s, s:s, s:s?, s:I, s:I, s:b, s:I}", "name",
			 c->name, "status", collector_status_name(c->status),
			 "reason", c->reason, "duration_ms",
			 (json_int_t)c->duration_ms, "records",
			 (json_int_t)c->records, "truncated", c->truncated,
			 "rejected", (json_int_t)c->rejected);
}

json_t *bundle_manifest_file(const char *path, uint64_t size,
			     const char *sha256_hex, json_t *source)
{
	json_t *f = json_pack("{s:s, s:I, s:s}", "path", path, "size",
			      (json_int_t)size, "sha256", sha256_hex);

	if (f && source)
		json_object_set(f, "source", source);
	return f;
}

json_t *bundle_manifest_source(const char *name, const char *compression,
			       const char *encoding, bool truncated)
{
	json_t *s = json_object();

	set_str(s, "name", name);
	set_str(s, "compression", compression);
	set_str(s, "encoding", encoding);
	if (truncated)
		json_object_set_new(s, "truncated", json_true());
	return s;
}

json_t *bundle_manifest_omitted(const char *path, uint64_t size,
				const char *reason)
{
	return json_pack("{s:s, s:I, s:s}", "path", path, "size",
			 (json_int_t)size, "reason", reason);
}

json_t *bundle_manifest_build(const struct bundle_manifest *m)
{
	json_t *j = json_object(), *cols = json_array(), *v;
	const char *key;

	json_object_set_new(j, "format", json_string(BUNDLE_FORMAT));
	set_str(j, "agent_version", m->agent_version);
	set_str(j, "host", m->host);
	json_object_set_new(j, "ticket",
			    m->ticket ? json_string(m->ticket) : json_null());
	set_str(j, "started", m->started);
	set_str(j, "finished", m->finished);
	set_str(j, "command_line", m->command_line);
	for (size_t i = 0; i < m->ncollectors; i++)
		json_array_append_new(cols, collector_build(&m->collectors[i]));
	json_object_set_new(j, "collectors", cols);
	/* The schema's own keys cannot be overridden from here. */
	json_object_foreach(m->extra, key, v)
	{
		if (!schema_key(key))
			json_object_set(j, key, v);
	}
	json_object_set_new(j, "files",
			    m->files ? json_incref(m->files) : json_array());
	json_object_set_new(j, "redactions",
			    m->redactions ? json_incref(m->redactions)
					  : json_object());
	if (json_array_size(m->omitted) > 0)
		json_object_set(j, "omitted", m->omitted);
	return j;
}

int bundle_manifest_check_format(json_t *j, char **ret_err)
{
	const char *fmt = json_string_value(json_object_get(j, "format"));

	if (!json_is_object(j))
		return error_set(ret_err, -EBADMSG, "%s is not a JSON object",
				 BUNDLE_MANIFEST);
	if (!fmt || strcmp(fmt, BUNDLE_FORMAT) != 0)
		return error_set(ret_err, -EBADMSG,
				 "unknown bundle format '%s' (this rdiag "
				 "reads %s)",
				 fmt ? fmt : "(none)", BUNDLE_FORMAT);
	return 0;
}

static int files_read(json_t *files, char **ret_err)
{
	size_t i;
	json_t *f;

	if (!json_is_array(files))
		return error_set(ret_err, -EBADMSG, "%s has no files list",
				 BUNDLE_MANIFEST);
	json_array_foreach(files, i, f)
	{
		json_t *size = json_object_get(f, "size");

		if (!json_string_value(json_object_get(f, "path")) ||
		    !json_is_integer(size) || json_integer_value(size) < 0 ||
		    !bundle_sha256_hex_valid(
			    json_string_value(json_object_get(f, "sha256"))))
			return error_set(ret_err, -EBADMSG,
					 "%s: files[%zu] needs path, size "
					 "and sha256",
					 BUNDLE_MANIFEST, i);
	}
	return 0;
}

static bool collector_name_valid(const char *s)
{
	if (!s || !*s || strlen(s) > COLLECTOR_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

static int collectors_read(json_t *cols, struct bundle_manifest *m,
			   char **ret_err)
{
	struct bundle_manifest_collector *out;
	size_t i;
	json_t *c, *seen;

	if (!json_is_array(cols))
		return error_set(ret_err, -EBADMSG, "%s has no collectors list",
				 BUNDLE_MANIFEST);
	if (json_array_size(cols) > BUNDLE_MAX_COLLECTORS)
		return error_set(ret_err, -EBADMSG,
				 "%s lists %zu collectors (at most %d)",
				 BUNDLE_MANIFEST, json_array_size(cols),
				 BUNDLE_MAX_COLLECTORS);
	out = xcalloc(json_array_size(cols) + 1, sizeof(*out));
	m->collectors = out;
	seen = json_object();
	json_array_foreach(cols, i, c)
	{
		struct bundle_manifest_collector *rc = &out[i];
		const char *name =
			json_string_value(json_object_get(c, "name"));

		if (!collector_name_valid(name) ||
		    collector_status_from_name(
			    json_string_value(json_object_get(c, "status")),
			    &rc->status) < 0) {
			json_decref(seen);
			return error_set(ret_err, -EBADMSG,
					 "%s: collectors[%zu] needs a name "
					 "([a-z0-9_]) and a known status",
					 BUNDLE_MANIFEST, i);
		}
		/* A hash, not a scan of the ones before: a hostile list
		 * must not cost N² (120 000 names took 130 s). */
		if (json_object_get(seen, name)) {
			json_decref(seen);
			return error_set(ret_err, -EBADMSG,
					 "%s lists collector '%s' twice",
					 BUNDLE_MANIFEST, name);
		}
		json_object_set_new(seen, name, json_true());
		rc->name = name;
		rc->reason = json_string_value(json_object_get(c, "reason"));
		rc->duration_ms =
			json_integer_value(json_object_get(c, "duration_ms"));
		rc->records = json_integer_value(json_object_get(c, "records"));
		rc->rejected =
			json_integer_value(json_object_get(c, "rejected"));
		rc->truncated = json_is_true(json_object_get(c, "truncated"));
		m->ncollectors++;
	}
	json_decref(seen);
	return 0;
}

static const char *str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

int bundle_manifest_read(json_t *j, struct bundle_manifest *ret, char **ret_err)
{
	struct bundle_manifest m;
	const char *key;
	json_t *v;
	int r;

	memset(&m, 0, sizeof(m));
	if ((r = bundle_manifest_check_format(j, ret_err)) < 0 ||
	    (r = files_read(json_object_get(j, "files"), ret_err)) < 0 ||
	    (r = collectors_read(json_object_get(j, "collectors"), &m,
				 ret_err)) < 0)
		goto out;
	m.files = json_object_get(j, "files");
	m.redactions = json_object_get(j, "redactions");
	if (!json_is_object(m.redactions))
		m.redactions = NULL;
	m.omitted = json_object_get(j, "omitted");
	if (!json_is_array(m.omitted))
		m.omitted = NULL;
	m.agent_version = str(j, "agent_version");
	m.host = str(j, "host");
	m.ticket = str(j, "ticket");
	m.started = str(j, "started");
	m.finished = str(j, "finished");
	m.command_line = str(j, "command_line");
	m.extra = json_object();
	json_object_foreach(j, key, v)
	{
		if (!schema_key(key))
			json_object_set(m.extra, key, v);
	}
	*ret = m;
	memset(&m, 0, sizeof(m));
out:
	bundle_manifest_release(&m);
	return r;
}

void bundle_manifest_release(struct bundle_manifest *m)
{
	free((void *)m->collectors);
	json_decref(m->extra);
	memset(m, 0, sizeof(*m));
}

json_t *bundle_export_origin_build(const struct bundle_export_origin *o)
{
	json_t *j = json_object();

	set_str(j, "bundle", o->bundle);
	set_str(j, "sha256", o->sha256);
	set_str(j, "manifest_sha256", o->manifest_sha256);
	json_object_set_new(j, "collectors",
			    o->collectors ? json_incref(o->collectors)
					  : json_array());
	json_object_set_new(j, "left_out",
			    o->left_out ? json_incref(o->left_out)
					: json_array());
	json_object_set_new(j, "redactions",
			    o->redactions ? json_incref(o->redactions)
					  : json_object());
	return j;
}

/* An array of collector names, at most BUNDLE_MAX_COLLECTORS. */
static bool names_valid(json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) > BUNDLE_MAX_COLLECTORS)
		return false;
	json_array_foreach(a, i, v)
	{
		if (!collector_name_valid(json_string_value(v)))
			return false;
	}
	return true;
}

int bundle_export_origin_read(const struct bundle_manifest *m,
			      struct bundle_export_origin *ret, char **ret_err)
{
	json_t *o = json_object_get(m->extra, BUNDLE_EXPORTED_FROM);
	struct bundle_export_origin e;

	if (!o)
		return 0;
	memset(&e, 0, sizeof(e));
	e.bundle = str(o, "bundle");
	e.sha256 = str(o, "sha256");
	e.manifest_sha256 = str(o, "manifest_sha256");
	e.collectors = json_object_get(o, "collectors");
	e.left_out = json_object_get(o, "left_out");
	e.redactions = json_object_get(o, "redactions");
	if (!json_is_object(e.redactions))
		e.redactions = NULL;
	if (!json_is_object(o) || !e.bundle || !*e.bundle ||
	    (e.sha256 && !bundle_sha256_hex_valid(e.sha256)) ||
	    (e.manifest_sha256 &&
	     !bundle_sha256_hex_valid(e.manifest_sha256)) ||
	    !names_valid(e.collectors) ||
	    (e.left_out && !names_valid(e.left_out)))
		return error_set(ret_err, -EBADMSG,
				 "%s: %s needs a bundle name and lists of "
				 "collector names",
				 BUNDLE_MANIFEST, BUNDLE_EXPORTED_FROM);
	*ret = e;
	return 1;
}
