/*
 * Test harness: run one collector in this process against a fixture root and
 * a config, and get back every record it emitted, validated exactly as the
 * agent validates a worker's pipe.
 */
#ifndef RDIAG_TEST_HARNESS_H
#define RDIAG_TEST_HARNESS_H

#include <jansson.h>

#include "core/config.h"
#include "rdiag/collector.h"

struct buf;

struct harness_run {
	int rc;          /* collector's return value */
	json_t *records; /* array of validated record objects */
	char *staging;   /* the staging dir (removed by harness_release) */
};

/*
 * root: "" or a fixture tree (see ctx_root()). cfg may be NULL.
 * Fails the test (cmocka) if a record does not validate.
 */
void harness_run(const struct collector *c, const char *root,
		 const struct config *cfg, struct harness_run *ret);
void harness_release(struct harness_run *run);

/* The first finding with this id, or NULL. */
json_t *harness_finding(const struct harness_run *run, const char *id);
/* The value of the first fact with this key, or NULL. */
const char *harness_fact(const struct harness_run *run, const char *key);
/* Count of records of a kind ("fact", "finding", "artifact", "log"). */
size_t harness_count(const struct harness_run *run, const char *kind);

/*
 * Run fn(arg) with file descriptor fd (1 or 2) going to a temporary file;
 * returns what was written there (caller frees) and fn's result in *ret.
 */
char *harness_capture(int fd, int (*fn)(void *), void *arg, int *ret);

/* $RDIAG_TEST_DATA/<rel>, for fixtures; caller frees. */
char *harness_data_path(const char *rel);

/*
 * Test data read from files; each fails the test when the file cannot be
 * opened. harness_read() reads at most max bytes into p and returns the
 * count; harness_load() reads the whole file into b (buf_init'd here, no
 * maximum; the caller releases it). The _data forms take a path relative
 * to the test data directory, as harness_data_path().
 */
size_t harness_read(const char *path, void *p, size_t max);
size_t harness_read_data(const char *rel, void *p, size_t max);
void harness_load(const char *path, struct buf *b);
void harness_load_data(const char *rel, struct buf *b);

#endif
