/*
 * Validation of the records workers send. Everything arriving on a worker's
 * pipe is untrusted: it may be truncated, flooded, not JSON, or JSON of the
 * wrong shape. record_parse() is the only way a line becomes a record.
 */
#include <errno.h>
#include <string.h>

#include "rdiag/record.h"
#include "rdiag/util.h"

static const char *const severity_names[] = {
	[SEVERITY_OK] = "ok",
	[SEVERITY_INFO] = "info",
	[SEVERITY_WARN] = "warn",
	[SEVERITY_FAIL] = "fail",
};

const char *severity_name(enum severity s)
{
	if ((unsigned)s >= sizeof(severity_names) / sizeof(severity_names[0]))
		return NULL;
	return severity_names[s];
}

int severity_from_name(const char *name, enum severity *ret)
{
	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(name, severity_names[i]) == 0) {
			*ret = (enum severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool record_id_valid(const char *id)
{
	size_t len = strlen(id);
	bool need_char = true;

	if (len < 3 || len > RECORD_MAX_ID)
		return false;
	for (const char *p = id; *p; p++) {
		if (*p == '.') {
			if (need_char)
				return false;
			need_char = true;
		} else if (is_lower_alnum(*p)) {
			need_char = false;
		} else {
			return false;
		}
	}
	return !need_char;
}

bool record_key_valid(const char *key)
{
	size_t len = strlen(key);

	if (len < 1 || len > RECORD_MAX_KEY)
		return false;
	for (const char *p = key; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}

bool record_artifact_path_valid(const char *path)
{
	if (!relpath_is_contained(path, RECORD_MAX_ARTPATH))
		return false;
	for (const char *p = path; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '\\')
			return false;
	return true;
}

/* Copy a string member into out, checking type and length. */
static int take_string(json_t *in, json_t *out, const char *name, bool required,
		       size_t max)
{
	json_t *v = json_object_get(in, name);

	if (!v || json_is_null(v))
		return required ? -EBADMSG : 0;
	if (!json_is_string(v) || json_string_length(v) > max)
		return -EBADMSG;
	json_object_set(out, name, v);
	return 0;
}

static int parse_fact(json_t *in, json_t *out, const char **err)
{
	json_t *key = json_object_get(in, "key");

	if (!json_is_string(key) || !record_key_valid(json_string_value(key))) {
		*err = "fact without a valid key";
		return -EBADMSG;
	}
	json_object_set(out, "key", key);
	if (take_string(in, out, "value", true, RECORD_MAX_TEXT) < 0) {
		*err = "fact without a string value";
		return -EBADMSG;
	}
	return 0;
}

static int parse_finding(json_t *in, json_t *out, const char **err)
{
	json_t *id = json_object_get(in, "id");
	json_t *sev = json_object_get(in, "severity");
	json_t *lvl = json_object_get(in, "level");
	enum severity s;

	if (!json_is_string(id) || !record_id_valid(json_string_value(id))) {
		*err = "finding without a valid id";
		return -EBADMSG;
	}
	if (!json_is_string(sev) ||
	    severity_from_name(json_string_value(sev), &s) < 0) {
		*err = "finding with an unknown severity";
		return -EBADMSG;
	}
	if (!json_is_integer(lvl) || json_integer_value(lvl) < 0 ||
	    json_integer_value(lvl) > 4) {
		*err = "finding with a level outside 0-4";
		return -EBADMSG;
	}
	json_object_set(out, "id", id);
	json_object_set(out, "severity", sev);
	json_object_set(out, "level", lvl);
	if (take_string(in, out, "title", true, RECORD_MAX_TEXT) < 0) {
		*err = "finding without a title";
		return -EBADMSG;
	}
	if (take_string(in, out, "detail", false, RECORD_MAX_TEXT) < 0 ||
	    take_string(in, out, "hint", false, RECORD_MAX_TEXT) < 0 ||
	    take_string(in, out, "kb", false, RECORD_MAX_SHORT) < 0) {
		*err = "finding with a malformed detail, hint or kb";
		return -EBADMSG;
	}
	return 0;
}

int record_parse(const char *line, size_t len, json_t **ret_obj,
		 enum record_kind *ret_kind, const char **err)
{
	const char *dummy;
	json_error_t jerr;
	json_t *in = NULL, *out = NULL;
	const char *kind;
	enum record_kind k;
	int r = -EBADMSG;

	if (!err)
		err = &dummy;
	*err = "not a JSON object";
	if (len > RECORD_MAX_LINE) {
		*err = "record too long";
		return -EBADMSG;
	}
	in = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in || !json_is_object(in))
		goto out;
	kind = json_string_value(json_object_get(in, "kind"));
	if (!kind) {
		*err = "record without a kind";
		goto out;
	}
	out = json_object();
	if (strcmp(kind, "fact") == 0) {
		k = RECORD_FACT;
		r = parse_fact(in, out, err);
	} else if (strcmp(kind, "finding") == 0) {
		k = RECORD_FINDING;
		r = parse_finding(in, out, err);
	} else if (strcmp(kind, "artifact") == 0) {
		json_t *p = json_object_get(in, "path");

		k = RECORD_ARTIFACT;
		if (json_is_string(p) &&
		    record_artifact_path_valid(json_string_value(p))) {
			json_object_set(out, "path", p);
			r = 0;
		} else {
			*err = "artifact with an unsafe path";
		}
	} else if (strcmp(kind, "log") == 0) {
		k = RECORD_LOG;
		r = take_string(in, out, "msg", true, RECORD_MAX_TEXT);
		if (r < 0)
			*err = "log without a message";
	} else if (strcmp(kind, "skip") == 0) {
		k = RECORD_SKIP;
		r = take_string(in, out, "reason", true, RECORD_MAX_SHORT);
		if (r < 0)
			*err = "skip without a reason";
	} else {
		*err = "unknown record kind";
		r = -EBADMSG;
	}
	if (r < 0)
		goto out;
	json_object_set_new(out, "kind", json_string(kind));
	*ret_obj = out;
	*ret_kind = k;
	out = NULL;
	*err = NULL;
out:
	json_decref(in);
	json_decref(out);
	return r < 0 ? -EBADMSG : 0;
}
