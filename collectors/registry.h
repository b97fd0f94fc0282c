/*
 * The table of collectors built into rdiag, sorted by name and
 * NULL-terminated (tmux's cmd_table shape).
 */
#ifndef RDIAG_REGISTRY_H
#define RDIAG_REGISTRY_H

#include <stdbool.h>

#include "rdiag/collector.h"

/* The RDIAG_* platform bit of this build. */
#ifdef _WIN32
#define REGISTRY_PLATFORM RDIAG_WINDOWS
#else
#define REGISTRY_PLATFORM RDIAG_LINUX
#endif

extern const struct collector *const registry_collectors[];

/* The collector called name in table, or NULL. */
const struct collector *registry_find(const struct collector *const *table,
				      const char *name);

/* Does c run on platform (RDIAG_LINUX, ...)? */
bool registry_built_for(const struct collector *c, unsigned platform);

#endif
