/*
 * The verdict list of the collector contract (see rdiag/collector.h): the
 * one way a judge hands its findings to a collector, which emits them with
 * verdict_emit(). Kept apart from ctx.c so judges and their unit tests link
 * it without a worker.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/collector.h"

void verdict_list_init(struct verdict_list *l)
{
	l->v = NULL;
	l->n = 0;
}

void verdict_list_release(struct verdict_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].title);
		free(l->v[i].detail);
		free(l->v[i].hint);
	}
	free(l->v);
	verdict_list_init(l);
}

struct verdict_item *verdict_add(struct verdict_list *l, const char *id,
				 enum severity sev, enum support_level level,
				 const char *title_fmt, ...)
{
	struct verdict_item *v;
	va_list ap;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	v = &l->v[l->n++];
	v->id = id;
	v->severity = sev;
	v->level = level;
	va_start(ap, title_fmt);
	v->title = xvasprintf(title_fmt, ap);
	va_end(ap);
	v->detail = NULL;
	v->hint = NULL;
	return v;
}

void verdict_detail(struct verdict_item *v, const char *fmt, ...)
{
	va_list ap;

	free(v->detail);
	va_start(ap, fmt);
	v->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

void verdict_hint(struct verdict_item *v, const char *fmt, ...)
{
	va_list ap;

	free(v->hint);
	va_start(ap, fmt);
	v->hint = xvasprintf(fmt, ap);
	va_end(ap);
}

const struct verdict_item *verdict_find(const struct verdict_list *l,
					const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

int verdict_emit(struct collector_ctx *ctx, const struct verdict_list *l)
{
	int first = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct verdict_item *v = &l->v[i];
		struct finding f = {
			.id = v->id,
			.severity = v->severity,
			.level = v->level,
			.title = v->title,
			.detail = v->detail,
			.hint = v->hint,
		};
		int r = ctx_finding(ctx, &f);

		if (r < 0) {
			ctx_log(ctx, "cannot emit finding %s, ignoring", v->id);
			if (first == 0)
				first = r;
		}
	}
	return first;
}
