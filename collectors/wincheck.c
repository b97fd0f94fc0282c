/*
 * What the Windows readers and judges of wincheck.h share: Windows path
 * comparison, string lists read from registry value names, and the verdict
 * helper the judges use.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rdiag/util.h"
#include "wincheck.h"
#include "wincheck_private.h"

static char fold(char c)
{
	if (c == '/')
		return '\\';
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

bool wincheck_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	/* "C:\App\" and "C:\App" name the same folder */
	while (n > 0 && fold(dir[n - 1]) == '\\')
		n--;
	if (n == 0 || !path)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fold(path[i]) != fold(dir[i]))
			return false;
	return path[n] == '\0' || fold(path[n]) == '\\';
}

const char *wincheck_basename(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

void wincheck_strs_add(struct wincheck_strs *l, const char *s)
{
	if (l->n >= WINSRC_LIST_MAX)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

void wincheck_strs_release(struct wincheck_strs *l)
{
	winsrc_free_strings(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

int wincheck_strs_read_names(const struct winsrc *src, const char *key,
			     struct wincheck_strs *l)
{
	struct winsrc_value *v;
	size_t n;
	int r;

	if ((r = src->ops->reg_values(src->self, key, &v, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (v[i].name[0])
			wincheck_strs_add(l, v[i].name);
	winsrc_free_values(v, n);
	return 0;
}

int wincheck_reg_int(const struct winsrc *src, const char *key,
		     const char *name)
{
	uint64_t v;

	if (winsrc_reg_number(src, key, name, &v) < 0)
		return WINCHECK_UNSET;
	return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

int wincheck_reg_int2(const struct winsrc *src, const char *policy_key,
		      const char *local_key, const char *name)
{
	int v = wincheck_reg_int(src, policy_key, name);

	return v != WINCHECK_UNSET ? v : wincheck_reg_int(src, local_key, name);
}

struct verdict_item *wincheck_add(struct verdict_list *out, const char *id,
				  enum severity sev, enum support_level level,
				  const char *title, const char *hint,
				  const char *detail_fmt, ...)
{
	struct verdict_item *v = verdict_add(out, id, sev, level, "%s", title);
	va_list ap;

	if (hint)
		verdict_hint(v, "%s", hint);
	if (detail_fmt) {
		va_start(ap, detail_fmt);
		v->detail = xvasprintf(detail_fmt, ap);
		va_end(ap);
	}
	return v;
}

void wincheck_join(struct buf *b, const struct wincheck_strs *l,
		   size_t max_items)
{
	for (size_t i = 0; i < l->n && i < max_items; i++)
		buf_printf(b, "%s%s", i ? ", " : "", l->v[i]);
	if (l->n > max_items)
		buf_printf(b, " and %zu more", l->n - max_items);
}
