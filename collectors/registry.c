/*
 * Every collector rdiag ships, sorted by name. Adding one: write
 * collectors/NAME.c exporting `const struct collector collector_NAME`, declare
 * it here and add it to the table. A collector marked .platforms =
 * RDIAG_LINUX is inherently Linux (fanotify, /proc, xrdp) and is left out of
 * other builds, which list their own instead.
 */
#include <string.h>

#include "registry.h"

extern const struct collector collector_antivirus;
extern const struct collector collector_database;
extern const struct collector collector_nas;
extern const struct collector collector_product;
extern const struct collector collector_sessions;
extern const struct collector collector_system;
extern const struct collector collector_terminal_server;
/* wincheck_run.c: the Windows collectors under the Linux ones' names */
extern const struct collector collector_eventlog;
extern const struct collector collector_win_antivirus;
extern const struct collector collector_win_nas;
extern const struct collector collector_win_terminal_server;

const struct collector *const registry_collectors[] = {
#ifdef _WIN32
	&collector_win_antivirus,
#else
	&collector_antivirus,
#endif
	&collector_database,
#ifdef _WIN32
	&collector_eventlog,
	&collector_win_nas,
#else
	&collector_nas,
#endif
	&collector_product,
	&collector_sessions,
	&collector_system, /* system_win.c in the Windows build */
#ifdef _WIN32
	&collector_win_terminal_server,
#else
	&collector_terminal_server,
#endif
	NULL,
};

bool registry_built_for(const struct collector *c, unsigned platform)
{
	return c->platforms == RDIAG_ALL || (c->platforms & platform) != 0;
}

const struct collector *registry_find(const struct collector *const *table,
				      const char *name)
{
	for (; *table; table++)
		if (strcmp((*table)->name, name) == 0)
			return *table;
	return NULL;
}
