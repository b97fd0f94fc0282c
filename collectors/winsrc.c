/*
 * The parts of winsrc.h every source shares: closing, the typed registry
 * helpers over reg_value, and freeing the lists sources return. The live
 * source itself is winsrc_win.c (Windows builds only).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "rdiag/utf8.h"
#include "rdiag/util.h"
#include "winsrc.h"

#ifndef _WIN32
int winsrc_live_open(struct winsrc *ret)
{
	(void)ret;
	return -ENOSYS;
}
#endif

char *winsrc_text(const char *utf8)
{
	char *s = sanitize_text(utf8, false);

	utf8_truncate(s, WINSRC_STR_MAX);
	return s;
}

char *winsrc_text_utf16(const uint16_t *u, size_t n)
{
	/* room for what sanitising may not shrink; cut again after */
	char *raw = utf8_from_utf16(u, n, 4 * WINSRC_STR_MAX, NULL);
	char *s = winsrc_text(raw);

	free(raw);
	return s;
}

void winsrc_close(struct winsrc *s)
{
	if (s->ops && s->ops->free)
		s->ops->free(s->self);
	s->ops = NULL;
	s->self = NULL;
}

int winsrc_reg_number(const struct winsrc *s, const char *key, const char *name,
		      uint64_t *ret)
{
	struct winsrc_value v = { 0 };
	char *end;
	int r;

	if ((r = s->ops->reg_value(s->self, key, name, &v)) < 0)
		return r;
	r = 0;
	switch (v.type) {
	case WINSRC_REG_DWORD:
	case WINSRC_REG_QWORD:
		*ret = v.num;
		break;
	case WINSRC_REG_SZ:
		errno = 0;
		if (v.str && v.str[0] >= '0' && v.str[0] <= '9') {
			unsigned long long n = strtoull(v.str, &end, 10);

			if (errno == 0 && *end == '\0') {
				*ret = n;
				break;
			}
		}
		r = -EINVAL;
		break;
	default:
		r = -EINVAL;
		break;
	}
	winsrc_value_release(&v);
	return r;
}

char *winsrc_reg_string(const struct winsrc *s, const char *key,
			const char *name)
{
	struct winsrc_value v = { 0 };
	char *str = NULL;

	if (s->ops->reg_value(s->self, key, name, &v) < 0)
		return NULL;
	if (v.type == WINSRC_REG_SZ || v.type == WINSRC_REG_EXPAND_SZ ||
	    v.type == WINSRC_REG_MULTI_SZ) {
		str = v.str;
		v.str = NULL;
	}
	winsrc_value_release(&v);
	return str;
}

void winsrc_value_release(struct winsrc_value *v)
{
	free(v->name);
	free(v->str);
	v->name = v->str = NULL;
}

void winsrc_free_values(struct winsrc_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		winsrc_value_release(&v[i]);
	free(v);
}

void winsrc_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void winsrc_free_sessions(struct winsrc_session *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].station);
		free(v[i].user);
	}
	free(v);
}

void winsrc_free_processes(struct winsrc_process *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void winsrc_free_filters(struct winsrc_filter *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].altitude);
	}
	free(v);
}

void winsrc_free_av_products(struct winsrc_av_product *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].exe);
	}
	free(v);
}

void winsrc_free_events(struct winsrc_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].channel);
		free(v[i].provider);
		free(v[i].data);
	}
	free(v);
}

void winsrc_free_drives(struct winsrc_drive *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].remote);
	free(v);
}
