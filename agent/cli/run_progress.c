/*
 * The live progress line of `rdiag run` (see run_progress.h). The state is
 * fed by the run's observer (collectors starting and ending, the bundle
 * step) and drawn on its ticks; formatting is kept apart from drawing so
 * that the text is tested without a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/run_progress.h"
#include "core/i18n.h"
#include "rdiag/util.h"

enum run_progress_mode run_progress_mode_for(bool quiet, bool json,
					     bool stderr_tty, const char *term)
{
	if (quiet || json || !stderr_tty)
		return RUN_PROGRESS_OFF;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return RUN_PROGRESS_LINES;
	return RUN_PROGRESS_REDRAW;
}

void run_progress_init(struct run_progress *pr, enum run_progress_mode mode,
		       FILE *out, unsigned cols)
{
	memset(pr, 0, sizeof(*pr));
	pr->mode = mode;
	pr->out = out;
	pr->cols = cols;
}

void run_progress_release(struct run_progress *pr)
{
	free(pr->running);
	memset(pr, 0, sizeof(*pr));
}

void run_progress_collector(struct run_progress *pr,
			    const struct collector_result *r, bool done)
{
	size_t i;

	for (i = 0; i < pr->nrunning && pr->running[i] != r; i++)
		;
	if (!done && i == pr->nrunning) {
		pr->running = xreallocarray(pr->running, pr->nrunning + 1,
					    sizeof(*pr->running));
		pr->running[pr->nrunning++] = r;
	} else if (done && i < pr->nrunning) {
		memmove(&pr->running[i], &pr->running[i + 1],
			(pr->nrunning - i - 1) * sizeof(*pr->running));
		pr->nrunning--;
	}
}

void run_progress_writing(struct run_progress *pr, int64_t now)
{
	pr->nrunning = 0;
	pr->writing = true;
	pr->written = 0;
	pr->writing_ms = now;
}

void run_progress_written(struct run_progress *pr, uint64_t written)
{
	pr->written = written;
}

/* Whole seconds, rounded down for elapsed time and up for a deadline. */
static long long secs_down(int64_t ms)
{
	return ms > 0 ? (long long)(ms / 1000) : 0;
}

static long long secs_up(int64_t ms)
{
	return ms > 0 ? (long long)((ms + 999) / 1000) : 0;
}

const char *run_progress_format(const struct run_progress *pr, int64_t now,
				char *buf, size_t len)
{
	size_t n = 0;
	int w;

	buf[0] = '\0';
	if (pr->writing) {
		char size[32];

		format_size(pr->written, size, sizeof(size));
		snprintf(buf, len, _("[writing bundle: %s, %lld s]"), size,
			 secs_down(now - pr->writing_ms));
		return buf;
	}
	if (pr->nrunning == 0)
		return buf;
	w = snprintf(buf, len, "%s", _("[running: "));
	n = w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i < pr->nrunning && n < len; i++) {
		const struct collector_result *r = pr->running[i];

		w = snprintf(buf + n, len - n, "%s%s %lld s/%lld s",
			     i ? ", " : "", r->collector->name,
			     secs_down(now - r->started_ms),
			     secs_up(r->deadline_ms - r->started_ms));
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, "]");
	/* Cut to fit, still closed, so it reads as one bracketed line. */
	if (n + 1 >= len && len > 4)
		memcpy(buf + len - 5, "...]", 5);
	return buf;
}

void run_progress_clear(struct run_progress *pr)
{
	if (pr->mode != RUN_PROGRESS_REDRAW || pr->shown == 0)
		return;
	fprintf(pr->out, "\r%*s\r", (int)pr->shown, "");
	fflush(pr->out);
	pr->shown = 0;
	/* Drawn again at the next tick. */
	pr->last_ms = 0;
}

void run_progress_tick(struct run_progress *pr, int64_t now, bool force)
{
	char line[RUN_PROGRESS_MAX];
	size_t len = sizeof(line), n;

	if (pr->mode == RUN_PROGRESS_OFF)
		return;
	if (!force && pr->last_ms &&
	    now - pr->last_ms < (pr->mode == RUN_PROGRESS_REDRAW
					 ? RUN_PROGRESS_REDRAW_MS
					 : RUN_PROGRESS_LINES_MS))
		return;
	/* One column short of the width: no terminal wraps the line. */
	if (pr->cols > 1 && pr->cols - 1 < len)
		len = pr->cols;
	run_progress_format(pr, now, line, len);
	n = strlen(line);
	pr->last_ms = now;
	/* The same text again would only cost the terminal. */
	if (n == 0 || (pr->mode == RUN_PROGRESS_REDRAW && pr->shown == n &&
		       strcmp(line, pr->last) == 0))
		return;
	memcpy(pr->last, line, n + 1);
	if (pr->mode == RUN_PROGRESS_LINES) {
		fprintf(pr->out, "%s\n", line);
	} else {
		fprintf(pr->out, "\r%s", line);
		if (pr->shown > n)
			fprintf(pr->out, "%*s\r%s", (int)(pr->shown - n), "",
				line);
		pr->shown = n;
	}
	fflush(pr->out);
}
