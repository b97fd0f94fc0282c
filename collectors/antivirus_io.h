/*
 * The antivirus collector's file and process I/O that can hang or that
 * changes the machine: timing reads of freshly written files, the EICAR
 * test, and running a product's command-line tool with a deadline. The
 * timing and EICAR functions have the bounded_fn shape, so a directory on
 * a network mount is handled in a ctx_bounded() sub-worker.
 */
#ifndef RDIAG_ANTIVIRUS_IO_H
#define RDIAG_ANTIVIRUS_IO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdiag/buf.h"

#define AV_TIMING_MAX 1000

struct av_timing_job {
	char dir[PATH_MAX];
	unsigned files;   /* 1..AV_TIMING_MAX */
	unsigned file_kb; /* size of each file */
};

/* Plain data: it comes back from a sub-worker through a pipe. */
struct av_timing_out {
	int err;       /* 0, or the errno of the step that failed */
	char step[16]; /* "create", "write", "open", "read" */
	unsigned n;    /* files timed */
	unsigned left; /* files that could not be removed */
	uint32_t us[AV_TIMING_MAX]; /* open+read+close, microseconds */
};

/*
 * Write job->files files of random content into job->dir (names
 * .rdiag-av-XXXXXX, O_EXCL), then time open + read + close of each, then
 * remove them all. arg is a struct av_timing_job, out a struct
 * av_timing_out. Returns sizeof(struct av_timing_out).
 */
int av_timing_run(void *arg, void *out, size_t out_max);

enum av_eicar_outcome {
	AV_EICAR_ALLOWED, /* still there and readable after the wait */
	AV_EICAR_DENIED,  /* open or read failed with EPERM/EACCES */
	AV_EICAR_REMOVED, /* gone: deleted or moved to quarantine */
	AV_EICAR_CHANGED, /* still there, content replaced or truncated */
};

struct av_eicar_job {
	char dir[PATH_MAX];
	unsigned wait_ms; /* how long to watch for a reaction */
};

struct av_eicar_out {
	int write_err; /* errno when the file could not be written */
	char step[16];
	enum av_eicar_outcome outcome;
	int err;          /* the errno behind DENIED */
	int64_t after_ms; /* when the reaction was seen */
	bool cleanup_failed;
	char name[64]; /* the file's name in dir */
};

/* The EICAR test (arg: struct av_eicar_job, out: struct av_eicar_out). */
int av_eicar_run(void *arg, void *out, size_t out_max);

/* The 68-byte EICAR test string, put together at run time. */
void av_eicar_string(char buf[69]);

#endif
