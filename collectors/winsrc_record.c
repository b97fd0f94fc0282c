/*
 * A recording source: wraps another winsrc, passes every call on and keeps
 * what came back in the fixture shape winsrc_fixture.c reads
 * (tests/data/windows/README.md), so a run on a real Windows server turns
 * into a fixture: the collectors write it as an artifact of the bundle
 * (`record_fixture = yes`). Strings are kept as the source handed them
 * out, i.e. already converted and sanitised; REG_BINARY data other than a
 * FILETIME is not kept (its length is, as zero bytes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rdiag/util.h"
#include "winsrc.h"

struct recorder {
	struct winsrc inner;
	json_t *root;
};

static const char *errname(int r)
{
	switch (-r) {
	case ENOENT:
		return "ENOENT";
	case ENOSYS:
		return "ENOSYS";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	default:
		return "EIO";
	}
}

static json_t *error_json(int r)
{
	return json_pack("{s:s}", "error", errname(r));
}

static json_t *time_json(time_t t)
{
	char s[32];

	utc_iso8601((int64_t)t, s, sizeof(s));
	return json_string(s);
}

/* A string a source returned (valid UTF-8); "" for NULL. */
static json_t *str_json(const char *s)
{
	return json_string(s ? s : "");
}

static json_t *value_json(const struct winsrc_value *v)
{
	static const char *const names[] = {
		[WINSRC_REG_NONE] = "REG_NONE",
		[WINSRC_REG_SZ] = "REG_SZ",
		[WINSRC_REG_EXPAND_SZ] = "REG_EXPAND_SZ",
		[WINSRC_REG_BINARY] = "REG_BINARY",
		[WINSRC_REG_DWORD] = "REG_DWORD",
		[WINSRC_REG_MULTI_SZ] = "REG_MULTI_SZ",
		[WINSRC_REG_QWORD] = "REG_QWORD",
	};
	json_t *data = NULL;
	char *hex;

	switch (v->type) {
	case WINSRC_REG_DWORD:
	case WINSRC_REG_QWORD:
		data = json_integer((json_int_t)v->num);
		break;
	case WINSRC_REG_SZ:
	case WINSRC_REG_EXPAND_SZ:
		data = str_json(v->str);
		break;
	case WINSRC_REG_MULTI_SZ: {
		char *s = xstrdup(v->str ? v->str : ""), *save = NULL, *p;

		data = json_array();
		for (p = strtok_r(s, "\n", &save); p;
		     p = strtok_r(NULL, "\n", &save))
			json_array_append_new(data, json_string(p));
		free(s);
		break;
	}
	case WINSRC_REG_BINARY:
		hex = xcalloc(2 * v->bin_len + 1, 1);
		for (size_t i = 0; i < v->bin_len; i++)
			snprintf(hex + 2 * i, 3, "%02x",
				 v->bin_len == 8
					 ? (unsigned)(v->num >> (8 * i) & 0xff)
					 : 0u);
		data = json_string(hex);
		free(hex);
		break;
	default:
		data = json_null();
		break;
	}
	return json_pack("{s:s,s:o}", "type",
			 (size_t)v->type < sizeof(names) / sizeof(*names) &&
					 names[v->type]
				 ? names[v->type]
				 : "REG_NONE",
			 "data", data);
}

/* The registry key's object, created on first use. */
static json_t *key_json(struct recorder *rc, const char *key)
{
	json_t *reg = json_object_get(rc->root, "registry"), *k;

	if (!reg) {
		reg = json_object();
		json_object_set_new(rc->root, "registry", reg);
	}
	if (!(k = json_object_get(reg, key))) {
		k = json_object();
		json_object_set_new(reg, key, k);
	}
	return k;
}

/* A key that could not be opened for another reason than absence. */
static void key_error(struct recorder *rc, const char *key, int r)
{
	json_t *reg = json_object_get(rc->root, "registry");

	if (r == -ENOENT || (reg && json_object_get(reg, key)))
		return;
	key_json(rc, key);
	json_object_set_new(json_object_get(rc->root, "registry"), key,
			    error_json(r));
}

static int rec_reg_value(void *self, const char *key, const char *name,
			 struct winsrc_value *ret)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->reg_value(rc->inner.self, key, name, ret);

	if (r == 0)
		json_object_set_new(key_json(rc, key), name, value_json(ret));
	else
		key_error(rc, key, r);
	return r;
}

static int rec_reg_values(void *self, const char *key,
			  struct winsrc_value **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->reg_values(rc->inner.self, key, ret, ret_n);

	if (r < 0) {
		key_error(rc, key, r);
		return r;
	}
	for (size_t i = 0; i < *ret_n; i++)
		json_object_set_new(key_json(rc, key), (*ret)[i].name,
				    value_json(&(*ret)[i]));
	key_json(rc, key);
	return 0;
}

static int rec_reg_subkeys(void *self, const char *key, char ***ret,
			   size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->reg_subkeys(rc->inner.self, key, ret, ret_n);
	char *sub;

	if (r < 0) {
		key_error(rc, key, r);
		return r;
	}
	key_json(rc, key);
	for (size_t i = 0; i < *ret_n; i++) {
		sub = xasprintf("%s\\%s", key, (*ret)[i]);
		key_json(rc, sub);
		free(sub);
	}
	return 0;
}

static void set_list(struct recorder *rc, const char *api, int r, json_t *a)
{
	json_object_set_new(rc->root, api, r == 0 ? a : error_json(r));
	if (r < 0)
		json_decref(a);
}

static int rec_sessions(void *self, struct winsrc_session **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->sessions(rc->inner.self, ret, ret_n);
	json_t *a = json_array();

	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_session *s = &(*ret)[i];
		json_t *o = json_pack(
			"{s:I,s:o,s:I,s:o}", "SessionId", (json_int_t)s->id,
			"pWinStationName", str_json(s->station), "State",
			(json_int_t)s->state, "WTSUserName", str_json(s->user));

		if (s->idle_ms >= 0)
			json_object_set_new(o, "IdleTimeMs",
					    json_integer(s->idle_ms));
		json_array_append_new(a, o);
	}
	set_list(rc, "WTSEnumerateSessionsW", r, a);
	return r;
}

static int rec_processes(void *self, struct winsrc_process **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->processes(rc->inner.self, ret, ret_n);
	json_t *a = json_array();

	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_process *p = &(*ret)[i];

		json_array_append_new(
			a, json_pack("{s:I,s:I,s:o,s:I}", "SessionId",
				     (json_int_t)p->session_id, "ProcessId",
				     (json_int_t)p->pid, "pProcessName",
				     str_json(p->name), "WorkingSetSize",
				     (json_int_t)p->working_set));
	}
	set_list(rc, "WTSEnumerateProcessesExW", r, a);
	return r;
}

static int rec_filters(void *self, struct winsrc_filter **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->filters(rc->inner.self, ret, ret_n);
	json_t *a = json_array();

	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_filter *f = &(*ret)[i];

		json_array_append_new(
			a,
			json_pack("{s:i,s:I,s:I,s:o,s:o}", "Flags", 1,
				  "FrameID", (json_int_t)f->frame_id,
				  "NumberOfInstances", (json_int_t)f->instances,
				  "FilterName", str_json(f->name),
				  "FilterAltitude", str_json(f->altitude)));
	}
	set_list(rc, "FilterFindFirst", r, a);
	return r;
}

static int rec_av_products(void *self, struct winsrc_av_product **ret,
			   size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->av_products(rc->inner.self, ret, ret_n);
	json_t *a = json_array();

	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_av_product *p = &(*ret)[i];

		json_array_append_new(
			a, json_pack("{s:o,s:I,s:o}", "displayName",
				     str_json(p->name), "productState",
				     (json_int_t)p->product_state,
				     "pathToSignedReportingExe",
				     str_json(p->exe)));
	}
	set_list(rc, "SecurityCenter2", r, a);
	return r;
}

static int rec_grace_days(void *self, int64_t *ret)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->grace_days(rc->inner.self, ret);

	json_object_set_new(rc->root, "GetGracePeriodDays",
			    r == 0 ? json_integer(*ret) : error_json(r));
	return r;
}

static int rec_rdp_cert(void *self, struct winsrc_cert *ret)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->rdp_cert(rc->inner.self, ret);

	json_object_set_new(rc->root, "RdpCertificate",
			    r == 0 ? json_pack("{s:o,s:b,s:b}", "NotAfter",
					       time_json(ret->not_after),
					       "SelfSigned", ret->self_signed,
					       "Trusted", ret->trusted)
				   : error_json(r));
	return r;
}

static int rec_events(void *self, const char *channel, time_t since,
		      struct winsrc_event **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->events(rc->inner.self, channel, since, ret,
				      ret_n);
	json_t *q = json_object_get(rc->root, "EvtQuery"), *a = json_array();

	if (!q) {
		q = json_object();
		json_object_set_new(rc->root, "EvtQuery", q);
	}
	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_event *e = &(*ret)[i];

		json_array_append_new(
			a, json_pack("{s:o,s:I,s:I,s:o,s:[o]}", "Provider",
				     str_json(e->provider), "EventID",
				     (json_int_t)e->event_id, "Level",
				     (json_int_t)e->level, "TimeCreated",
				     time_json(e->time_created), "Data",
				     str_json(e->data)));
	}
	json_object_set_new(q, channel, r == 0 ? a : error_json(r));
	if (r < 0)
		json_decref(a);
	return r;
}

static int rec_drives(void *self, struct winsrc_drive **ret, size_t *ret_n)
{
	struct recorder *rc = self;
	int r = rc->inner.ops->drives(rc->inner.self, ret, ret_n);
	json_t *a = json_array();

	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		const struct winsrc_drive *d = &(*ret)[i];
		char local[3] = { d->letter, ':', 0 };

		json_array_append_new(
			a, json_pack("{s:s,s:o,s:I,s:b}", "LocalName", local,
				     "RemoteName", str_json(d->remote),
				     "Status", (json_int_t)d->status,
				     "Persistent", d->persistent));
	}
	set_list(rc, "WNetGetConnectionW", r, a);
	return r;
}

static time_t rec_now(void *self)
{
	struct recorder *rc = self;
	time_t t = rc->inner.ops->now(rc->inner.self);

	json_object_set_new(rc->root, "now", time_json(t));
	return t;
}

static void rec_free(void *self)
{
	struct recorder *rc = self;

	if (!rc)
		return;
	winsrc_close(&rc->inner);
	json_decref(rc->root);
	free(rc);
}

static const struct winsrc_ops record_ops = {
	.reg_value = rec_reg_value,
	.reg_values = rec_reg_values,
	.reg_subkeys = rec_reg_subkeys,
	.sessions = rec_sessions,
	.processes = rec_processes,
	.filters = rec_filters,
	.av_products = rec_av_products,
	.grace_days = rec_grace_days,
	.rdp_cert = rec_rdp_cert,
	.events = rec_events,
	.drives = rec_drives,
	.now = rec_now,
	.free = rec_free,
};

void winsrc_record_open(struct winsrc *inner, struct winsrc *ret)
{
	struct recorder *rc = xcalloc(1, sizeof(*rc));

	rc->inner = *inner;
	rc->root = json_object();
	inner->ops = NULL;
	inner->self = NULL;
	/* "now" first: every age a judge computes depends on it */
	rec_now(rc);
	ret->ops = &record_ops;
	ret->self = rc;
}

char *winsrc_record_dump(const struct winsrc *rec)
{
	const struct recorder *rc = rec->self;
	char *s;

	if (rec->ops != &record_ops)
		return NULL;
	s = json_dumps(rc->root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!s)
		abort(); /* only allocation fails here */
	return s;
}
