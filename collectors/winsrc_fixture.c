/*
 * The fixture source of winsrc.h: one JSON document holding what each
 * Windows call returned on a real (or imagined) host, keyed by the API's
 * name and in its field names (WTS_SESSION_INFOW's SessionId,
 * FILTER_AGGREGATE_BASIC_INFORMATION's FilterAltitude, registry values as
 * type + data). tests/data/windows/README.md describes the shape. A string
 * may be given as {"utf16": [units...]} to feed UTF-16 that is not valid
 * (a lone surrogate) through the same conversion the live source uses; an
 * operation given as {"error": "ENOSYS"} fails with that errno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "rdiag/utf8.h"
#include "rdiag/util.h"
#include "winsrc.h"

struct fixture {
	json_t *root;
	time_t now;
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "ENOENT", ENOENT }, { "ENOSYS", ENOSYS }, { "EACCES", EACCES },
	{ "EIO", EIO },       { "EINVAL", EINVAL },
};

/* -errno when j is {"error": NAME}, else 0. */
static int fx_error(const json_t *j)
{
	const char *e;

	if (!json_is_object(j) ||
	    !(e = json_string_value(json_object_get(j, "error"))))
		return 0;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(errnames[i].name, e) == 0)
			return -errnames[i].err;
	return -EIO;
}

/* A bounded UTF-8 copy of a fixture string; "" for anything else. */
static char *fx_str(const json_t *j)
{
	const json_t *units;
	uint16_t *u;
	size_t n;
	char *s;

	if (json_is_string(j))
		return winsrc_text(json_string_value(j));
	units = json_object_get(j, "utf16");
	if (!json_is_array(units))
		return xstrdup("");
	n = json_array_size(units);
	if (n > WINSRC_STR_MAX)
		n = WINSRC_STR_MAX;
	u = xcalloc(n + 1, sizeof(*u));
	for (size_t i = 0; i < n; i++)
		u[i] = (uint16_t)json_integer_value(json_array_get(units, i));
	s = winsrc_text_utf16(u, n);
	free(u);
	return s;
}

static uint64_t fx_uint(const json_t *j)
{
	json_int_t v = json_integer_value(j);

	return v < 0 ? 0 : (uint64_t)v;
}

/* "2026-12-04T10:00:00Z" (fraction ignored) to epoch seconds; 0 if bad. */
static time_t fx_time(const json_t *j)
{
	const char *s = json_string_value(j);
	unsigned y, mo, d, h, mi, se;

	if (!s || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u", &y, &mo, &d, &h, &mi,
			 &se) != 6)
		return 0;
	return (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
			se);
}

/* The member of obj whose name matches key case-insensitively. */
static json_t *fx_get_ci(const json_t *obj, const char *key)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k,
			    v) if (strcasecmp(k, key) == 0) return v;
	return NULL;
}

static const struct {
	const char *name;
	enum winsrc_reg_type type;
} regtypes[] = {
	{ "REG_NONE", WINSRC_REG_NONE },
	{ "REG_SZ", WINSRC_REG_SZ },
	{ "REG_EXPAND_SZ", WINSRC_REG_EXPAND_SZ },
	{ "REG_BINARY", WINSRC_REG_BINARY },
	{ "REG_DWORD", WINSRC_REG_DWORD },
	{ "REG_MULTI_SZ", WINSRC_REG_MULTI_SZ },
	{ "REG_QWORD", WINSRC_REG_QWORD },
};

/* {"type": "REG_DWORD", "data": 1} into *ret; -EINVAL when malformed. */
static int fx_value(const char *name, const json_t *j, struct winsrc_value *ret)
{
	const char *t = json_string_value(json_object_get(j, "type"));
	const json_t *data = json_object_get(j, "data");
	struct winsrc_value v = { 0 };
	bool known = false;

	for (size_t i = 0; t && i < sizeof(regtypes) / sizeof(regtypes[0]); i++)
		if (strcmp(regtypes[i].name, t) == 0) {
			v.type = regtypes[i].type;
			known = true;
		}
	if (!known)
		return -EINVAL;
	switch (v.type) {
	case WINSRC_REG_DWORD:
		/* RegQueryValueExW returns 4 bytes: more cannot come back */
		if (!json_is_integer(data) || json_integer_value(data) < 0 ||
		    json_integer_value(data) > 0xffffffffLL)
			return -EINVAL;
		v.num = fx_uint(data);
		break;
	case WINSRC_REG_QWORD:
		if (!json_is_integer(data))
			return -EINVAL;
		v.num = (uint64_t)json_integer_value(data);
		break;
	case WINSRC_REG_BINARY: {
		/* hex digits; 8 bytes are read as a little-endian FILETIME */
		const char *hex = json_string_value(data);
		size_t n = hex ? strlen(hex) / 2 : 0;

		v.bin_len = n;
		for (size_t i = 0; i < n && n == 8; i++) {
			unsigned b;

			if (sscanf(hex + 2 * i, "%2x", &b) != 1)
				return -EINVAL;
			v.num |= (uint64_t)b << (8 * i);
		}
		break;
	}
	case WINSRC_REG_MULTI_SZ: {
		size_t len = 0;
		char *s = xstrdup(""), *part;
		const json_t *e;
		size_t i;

		json_array_foreach(data, i, e)
		{
			part = fx_str(e);
			if (len + strlen(part) + 1 > WINSRC_STR_MAX) {
				free(part);
				break;
			}
			s = xrealloc(s, len + strlen(part) + 2);
			len += (size_t)sprintf(s + len, "%s%s", len ? "\n" : "",
					       part);
			free(part);
		}
		v.str = s;
		break;
	}
	case WINSRC_REG_SZ:
	case WINSRC_REG_EXPAND_SZ:
		v.str = fx_str(data);
		break;
	default:
		break;
	}
	v.name = winsrc_text(name);
	*ret = v;
	return 0;
}

static int fx_key(struct fixture *f, const char *key, const json_t **ret)
{
	const json_t *k = fx_get_ci(json_object_get(f->root, "registry"), key);
	int r;

	if (!k)
		return -ENOENT;
	if ((r = fx_error(k)) < 0)
		return r;
	if (!json_is_object(k))
		return -EINVAL;
	*ret = k;
	return 0;
}

static int fx_reg_value(void *self, const char *key, const char *name,
			struct winsrc_value *ret)
{
	const json_t *k, *v;
	int r;

	if ((r = fx_key(self, key, &k)) < 0)
		return r;
	if (!(v = fx_get_ci(k, name)))
		return -ENOENT;
	return fx_value(name, v, ret);
}

static int fx_reg_values(void *self, const char *key, struct winsrc_value **ret,
			 size_t *ret_n)
{
	struct winsrc_value *v;
	const json_t *k, *jv;
	const char *name;
	size_t n = 0;
	int r;

	if ((r = fx_key(self, key, &k)) < 0)
		return r;
	v = xcalloc(json_object_size(k) + 1, sizeof(*v));
	json_object_foreach((json_t *)k, name, jv)
	{
		if (n == WINSRC_LIST_MAX)
			break;
		/* a malformed value is skipped as RegEnumValueW's caller
		 * skips one it cannot read */
		if (fx_value(name, jv, &v[n]) == 0)
			n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int fx_reg_subkeys(void *self, const char *key, char ***ret,
			  size_t *ret_n)
{
	struct fixture *f = self;
	const json_t *reg = json_object_get(f->root, "registry"), *jv;
	size_t klen = strlen(key), n = 0;
	const char *name;
	char **v;

	v = xcalloc(json_object_size(reg) + 1, sizeof(*v));
	json_object_foreach((json_t *)reg, name, jv)
	{
		(void)jv;
		if (n == WINSRC_LIST_MAX)
			break;
		if (strncasecmp(name, key, klen) == 0 && name[klen] == '\\' &&
		    name[klen + 1] && !strchr(name + klen + 1, '\\')) {
			v[n++] = winsrc_text(name + klen + 1);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The array under api, or an error: -ENOENT when the fixture lacks it. */
static int fx_list(struct fixture *f, const char *api, const json_t **ret,
		   size_t *ret_n)
{
	const json_t *a = json_object_get(f->root, api);
	int r;

	if (!a)
		return -ENOENT;
	if ((r = fx_error(a)) < 0)
		return r;
	if (!json_is_array(a))
		return -EINVAL;
	*ret = a;
	*ret_n = json_array_size(a) < WINSRC_LIST_MAX ? json_array_size(a)
						      : WINSRC_LIST_MAX;
	return 0;
}

#define FX_ARRAY(f, api, type, ret, ret_n, body)                  \
	do {                                                      \
		const json_t *a_;                                 \
		type *v_;                                         \
		size_t n_;                                        \
		int r_;                                           \
		if ((r_ = fx_list(f, api, &a_, &n_)) < 0)         \
			return r_;                                \
		v_ = xcalloc(n_ + 1, sizeof(*v_));                \
		for (size_t i_ = 0; i_ < n_; i_++) {              \
			const json_t *e = json_array_get(a_, i_); \
			type *o = &v_[i_];                        \
			body;                                     \
		}                                                 \
		*(ret) = v_;                                      \
		*(ret_n) = n_;                                    \
		return 0;                                         \
	} while (0)

static int fx_sessions(void *self, struct winsrc_session **ret, size_t *ret_n)
{
	FX_ARRAY(self, "WTSEnumerateSessionsW", struct winsrc_session, ret,
		 ret_n, {
			 const json_t *idle = json_object_get(e, "IdleTimeMs");

			 o->id = (uint32_t)fx_uint(
				 json_object_get(e, "SessionId"));
			 o->station =
				 fx_str(json_object_get(e, "pWinStationName"));
			 o->state = (enum winsrc_wts_state)fx_uint(
				 json_object_get(e, "State"));
			 o->user = fx_str(json_object_get(e, "WTSUserName"));
			 o->idle_ms = json_is_integer(idle)
					      ? (int64_t)fx_uint(idle)
					      : -1;
		 });
}

static int fx_processes(void *self, struct winsrc_process **ret, size_t *ret_n)
{
	FX_ARRAY(self, "WTSEnumerateProcessesExW", struct winsrc_process, ret,
		 ret_n, {
			 o->session_id = (uint32_t)fx_uint(
				 json_object_get(e, "SessionId"));
			 o->pid = (uint32_t)fx_uint(
				 json_object_get(e, "ProcessId"));
			 o->name = fx_str(json_object_get(e, "pProcessName"));
			 o->working_set =
				 fx_uint(json_object_get(e, "WorkingSetSize"));
		 });
}

static int fx_filters(void *self, struct winsrc_filter **ret, size_t *ret_n)
{
	FX_ARRAY(self, "FilterFindFirst", struct winsrc_filter, ret, ret_n, {
		o->name = fx_str(json_object_get(e, "FilterName"));
		o->altitude = fx_str(json_object_get(e, "FilterAltitude"));
		o->frame_id = (uint32_t)fx_uint(json_object_get(e, "FrameID"));
		o->instances = (uint32_t)fx_uint(
			json_object_get(e, "NumberOfInstances"));
	});
}

static int fx_av_products(void *self, struct winsrc_av_product **ret,
			  size_t *ret_n)
{
	FX_ARRAY(
		self, "SecurityCenter2", struct winsrc_av_product, ret, ret_n, {
			o->name = fx_str(json_object_get(e, "displayName"));
			o->product_state = (uint32_t)fx_uint(
				json_object_get(e, "productState"));
			o->exe = fx_str(
				json_object_get(e, "pathToSignedReportingExe"));
		});
}

static int fx_drives(void *self, struct winsrc_drive **ret, size_t *ret_n)
{
	FX_ARRAY(self, "WNetGetConnectionW", struct winsrc_drive, ret, ret_n, {
		const char *l =
			json_string_value(json_object_get(e, "LocalName"));

		o->letter = l && ((l[0] >= 'A' && l[0] <= 'Z') ||
				  (l[0] >= 'a' && l[0] <= 'z'))
				    ? (char)(l[0] & ~0x20)
				    : '?';
		o->remote = fx_str(json_object_get(e, "RemoteName"));
		o->persistent = json_is_true(json_object_get(e, "Persistent"));
		o->status = (uint32_t)fx_uint(json_object_get(e, "Status"));
	});
}

static int fx_events(void *self, const char *channel, time_t since,
		     struct winsrc_event **ret, size_t *ret_n)
{
	struct fixture *f = self;
	const json_t *ch =
		json_object_get(json_object_get(f->root, "EvtQuery"), channel);
	struct winsrc_event *v;
	size_t n = 0, i, j;
	const json_t *e, *d;
	int r;

	if (!ch)
		return -ENOENT;
	if ((r = fx_error(ch)) < 0)
		return r;
	v = xcalloc(json_array_size(ch) + 1, sizeof(*v));
	json_array_foreach(ch, i, e)
	{
		struct winsrc_event *o = &v[n];
		char *s = xstrdup(""), *part;
		size_t len = 0;

		if (n == WINSRC_LIST_MAX)
			break;
		o->time_created = fx_time(json_object_get(e, "TimeCreated"));
		o->level = (unsigned)fx_uint(json_object_get(e, "Level"));
		/* what EvtQuery's XPath filter would have left out */
		if ((since && o->time_created < since) || o->level == 0 ||
		    o->level > 2) {
			free(s);
			continue;
		}
		o->channel = xstrdup(channel);
		o->provider = fx_str(json_object_get(e, "Provider"));
		o->event_id = (uint32_t)fx_uint(json_object_get(e, "EventID"));
		json_array_foreach(json_object_get(e, "Data"), j, d)
		{
			part = fx_str(d);
			if (len + strlen(part) + 3 > WINSRC_STR_MAX) {
				free(part);
				break;
			}
			s = xrealloc(s, len + strlen(part) + 4);
			len += (size_t)sprintf(s + len, "%s%s",
					       len ? " | " : "", part);
			free(part);
		}
		o->data = s;
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int fx_grace_days(void *self, int64_t *ret)
{
	struct fixture *f = self;
	const json_t *g = json_object_get(f->root, "GetGracePeriodDays");
	int r;

	if (!g)
		return -ENOENT;
	if ((r = fx_error(g)) < 0)
		return r;
	if (!json_is_integer(g))
		return -EINVAL;
	*ret = json_integer_value(g);
	return 0;
}

static int fx_rdp_cert(void *self, struct winsrc_cert *ret)
{
	struct fixture *f = self;
	const json_t *c = json_object_get(f->root, "RdpCertificate");
	int r;

	if (!c)
		return -ENOENT;
	if ((r = fx_error(c)) < 0)
		return r;
	ret->not_after = fx_time(json_object_get(c, "NotAfter"));
	ret->self_signed = json_is_true(json_object_get(c, "SelfSigned"));
	ret->trusted = json_is_true(json_object_get(c, "Trusted"));
	return ret->not_after ? 0 : -EINVAL;
}

static time_t fx_now(void *self)
{
	return ((struct fixture *)self)->now;
}

static void fx_free(void *self)
{
	struct fixture *f = self;

	if (!f)
		return;
	json_decref(f->root);
	free(f);
}

static const struct winsrc_ops fixture_ops = {
	.reg_value = fx_reg_value,
	.reg_values = fx_reg_values,
	.reg_subkeys = fx_reg_subkeys,
	.sessions = fx_sessions,
	.processes = fx_processes,
	.filters = fx_filters,
	.av_products = fx_av_products,
	.grace_days = fx_grace_days,
	.rdp_cert = fx_rdp_cert,
	.events = fx_events,
	.drives = fx_drives,
	.now = fx_now,
	.free = fx_free,
};

void winsrc_fixture_load(json_t *root, struct winsrc *ret)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->root = root;
	f->now = fx_time(json_object_get(root, "now"));
	ret->ops = &fixture_ops;
	ret->self = f;
}

int winsrc_fixture_open(const char *path, struct winsrc *ret, char **ret_err)
{
	json_error_t je;
	json_t *root;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		*ret_err = xasprintf("cannot read fixture '%s': %s (line %d)",
				     path, je.text, je.line);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*ret_err = xasprintf("fixture '%s' is not a JSON object", path);
		return -EINVAL;
	}
	winsrc_fixture_load(root, ret);
	return 0;
}
