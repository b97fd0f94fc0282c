/*
 * The table of collectors built into rdiag, sorted by name and
 * NULL-terminated (tmux's cmd_table shape).
 */
#ifndef RDIAG_REGISTRY_H
#define RDIAG_REGISTRY_H

#include "rdiag/collector.h"

extern const struct collector *const registry_collectors[];

/* The collector called name in table, or NULL. */
const struct collector *registry_find(const struct collector *const *table,
				      const char *name);

#endif
