/*
 * The live progress line of `rdiag run` on a terminal: which collectors
 * are running, for how long against their deadline, and how much of the
 * bundle is written, redrawn in place on one line of stderr. Nothing is
 * shown when stderr is not a terminal, with --json or --quiet; with
 * TERM=dumb (or no TERM) the line is printed plainly, a new line every few
 * seconds, never redrawn. The line carries no escape sequence at all (a
 * carriage return and spaces redraw it), so NO_COLOR holds too.
 */
#ifndef RDIAG_RUN_PROGRESS_H
#define RDIAG_RUN_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/runner.h"

enum run_progress_mode {
	RUN_PROGRESS_OFF,
	RUN_PROGRESS_REDRAW, /* one line, redrawn with '\r' */
	RUN_PROGRESS_LINES,  /* TERM=dumb: plain lines, every few seconds */
};

/* Redraws at most this often; the seconds shown change once a second. */
#define RUN_PROGRESS_REDRAW_MS 250
/* TERM=dumb: one plain line at most this often. */
#define RUN_PROGRESS_LINES_MS 5000
/* The longest line drawn (a terminal's width cuts it further). */
#define RUN_PROGRESS_MAX 512

struct run_progress {
	enum run_progress_mode mode;
	FILE *out; /* stderr */
	/* The collectors running now, in the order they started. */
	const struct collector_result **running;
	size_t nrunning;
	bool writing;                /* the bundle step */
	uint64_t written;            /* its compressed bytes so far */
	int64_t last_ms;             /* when the line was last drawn (now_ms) */
	size_t shown;                /* characters on the line now (REDRAW) */
	unsigned cols;               /* the terminal's width, 0: unknown */
	int64_t writing_ms;          /* when the bundle step started */
	char last[RUN_PROGRESS_MAX]; /* the line drawn last (REDRAW) */
};

/*
 * The mode for these settings: quiet or json or stderr not a terminal
 * turn it off; TERM unset, empty or "dumb" gives plain lines.
 */
enum run_progress_mode run_progress_mode_for(bool quiet, bool json,
					     bool stderr_tty, const char *term);

/* Start with mode on out; cols 0 when the width is unknown. */
void run_progress_init(struct run_progress *pr, enum run_progress_mode mode,
		       FILE *out, unsigned cols);
void run_progress_release(struct run_progress *pr);

/* A collector started (done = false) or ended. */
void run_progress_collector(struct run_progress *pr,
			    const struct collector_result *r, bool done);
/* The bundle step started / wrote this many bytes so far. */
void run_progress_writing(struct run_progress *pr, int64_t now);
void run_progress_written(struct run_progress *pr, uint64_t written);

/* Draw if it is time (force: now, whatever the interval). */
void run_progress_tick(struct run_progress *pr, int64_t now, bool force);

/*
 * Wipe the redrawn line so that other output starts on a clean line;
 * the next tick draws it again.
 */
void run_progress_clear(struct run_progress *pr);

/*
 * The line for the state in pr at now into buf (len > 0), cut to fit:
 * "[running: database 7 s/30 s, nas 3 s/30 s]" while collectors run,
 * "[writing bundle: 1.2 MiB, 3 s]" during the bundle step, "" when
 * nothing runs. Returns buf.
 */
const char *run_progress_format(const struct run_progress *pr, int64_t now,
				char *buf, size_t len);

#endif
