/*
 * The Windows event log as the application's evidence: errors of its own
 * event sources in the Application and System channels, and what Windows
 * itself records when the application's executable crashes (Application
 * Error 1000, Windows Error Reporting 1001) or hangs (Application Hang
 * 1002). Event text is untrusted: it arrives bounded and valid UTF-8 from
 * the source and is quoted in excerpts only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rdiag/util.h"
#include "wincheck.h"
#include "wincheck_private.h"

/* Characters of one event's data quoted in a detail. */
#define EXCERPT_MAX 200

static const char *const channels[] = { "Application", "System" };

static bool is_app_source(const struct wincheck_app *app, const char *p)
{
	for (const char *const *s = app->sources; s && *s; s++)
		if (strcasecmp(*s, p) == 0)
			return true;
	return false;
}

/* Does the event's data name the executable (its first field does)? */
static bool names_exe(const struct wincheck_app *app, const char *data)
{
	const char *exe = app->exe ? wincheck_basename(app->exe) : NULL;
	size_t n = exe ? strlen(exe) : 0;

	if (!n)
		return false;
	for (const char *p = data; *p; p++)
		if (strncasecmp(p, exe, n) == 0 &&
		    (p == data || p[-1] == ' ' || p[-1] == '\\') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '|'))
			return true;
	return false;
}

static void move_event(struct winsrc_event **v, size_t *n,
		       struct winsrc_event *e)
{
	if (*n >= WINSRC_LIST_MAX) {
		winsrc_free_events(e, 1);
		return;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *e;
	free(e);
}

int wincheck_events_read(const struct winsrc *src,
			 const struct wincheck_app *app, time_t since,
			 struct wincheck_events *ret)
{
	struct wincheck_events ev = { 0 };
	struct winsrc_event *v;
	size_t n;

	for (size_t c = 0; c < sizeof(channels) / sizeof(*channels); c++) {
		int r = src->ops->events(src->self, channels[c], since, &v, &n);

		if (r < 0) {
			ev.error = r;
			continue;
		}
		ev.available = true;
		for (size_t i = 0; i < n; i++) {
			struct winsrc_event *e = xmalloc(sizeof(*e));
			const char *p = v[i].provider;

			*e = v[i];
			if (is_app_source(app, p))
				move_event(&ev.app_errors, &ev.napp_errors, e);
			else if ((strcmp(p, "Application Error") == 0 ||
				  strcmp(p, "Windows Error Reporting") == 0) &&
				 names_exe(app, e->data))
				move_event(&ev.crashes, &ev.ncrashes, e);
			else if (strcmp(p, "Application Hang") == 0 &&
				 names_exe(app, e->data))
				move_event(&ev.hangs, &ev.nhangs, e);
			else
				winsrc_free_events(e, 1);
		}
		free(v);
	}
	*ret = ev;
	return 0;
}

void wincheck_events_release(struct wincheck_events *e)
{
	winsrc_free_events(e->app_errors, e->napp_errors);
	winsrc_free_events(e->crashes, e->ncrashes);
	winsrc_free_events(e->hangs, e->nhangs);
	memset(e, 0, sizeof(*e));
}

/* "2026-12-04T10:00:00Z Application/DmsServer 4711: text; ..." */
static char *excerpts(const struct winsrc_event *v, size_t n)
{
	char when[32], *text;
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < n && i < WINCHECK_EVENTS_SHOWN; i++) {
		utc_iso8601(v[i].time_created, when, sizeof(when));
		text = xstrdup(v[i].data ? v[i].data : "");
		utf8_truncate(text, EXCERPT_MAX);
		buf_printf(&b, "%s%s %s/%s %u: %s", i ? "\n" : "", when,
			   v[i].channel, v[i].provider, v[i].event_id, text);
		free(text);
	}
	if (n > WINCHECK_EVENTS_SHOWN)
		buf_printf(&b, "\nand %zu more", n - WINCHECK_EVENTS_SHOWN);
	return buf_detach(&b, NULL);
}

void wincheck_events_judge(const struct wincheck_events *e,
			   const struct wincheck_app *app,
			   struct verdict_list *out)
{
	char *text;

	if (!e->available) {
		/* only a refusal is cured by running as an administrator */
		wincheck_add(out, "product.eventlog.unavailable", SEVERITY_INFO,
			     LEVEL_SELF,
			     N_("The Windows event log could not be read"),
			     e->error == -EACCES
				     ? N_("Run rdiag as an administrator to "
					  "include the event log")
				     : NULL,
			     "EvtQuery: %s",
			     e->error == -ENOSYS
				     ? "wevtapi.dll is not available"
			     : e->error == -ENOENT ? "no such channel"
						   : strerror(-e->error));
		return;
	}
	if (e->ncrashes) {
		text = excerpts(e->crashes, e->ncrashes);
		wincheck_add(out, "product.crash.reported", SEVERITY_FAIL,
			     LEVEL_ENGINEERING,
			     N_("Windows recorded crashes of the application"),
			     N_("The vendor's engineering needs the crash "
				"dumps (WER LocalDumps or "
				"C:\\ProgramData\\Microsoft\\Windows\\WER)"),
			     "%zu crash reports for %s:\n%s", e->ncrashes,
			     wincheck_basename(app->exe), text);
		free(text);
	}
	if (e->nhangs) {
		text = excerpts(e->hangs, e->nhangs);
		wincheck_add(out, "product.hang.reported", SEVERITY_WARN,
			     LEVEL_SUPPORT,
			     N_("Windows recorded that the application stopped "
				"responding"),
			     NULL, "%zu hang reports for %s:\n%s", e->nhangs,
			     wincheck_basename(app->exe), text);
		free(text);
	}
	if (e->napp_errors) {
		text = excerpts(e->app_errors, e->napp_errors);
		wincheck_add(out, "product.eventlog.errors", SEVERITY_WARN,
			     LEVEL_SUPPORT,
			     N_("The application logged errors in the Windows "
				"event log"),
			     NULL, "%zu errors, newest first:\n%s",
			     e->napp_errors, text);
		free(text);
	} else if (!e->ncrashes && !e->nhangs) {
		wincheck_add(out, "product.eventlog.no_errors", SEVERITY_OK,
			     LEVEL_SUPPORT,
			     N_("No errors of the application in the Windows "
				"event log"),
			     NULL, NULL);
	}
}
