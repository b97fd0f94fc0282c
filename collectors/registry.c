/*
 * Every collector rdiag ships, sorted by name. Adding one: write
 * collectors/NAME.c exporting `const struct collector collector_NAME`, declare
 * it here and add it to the table.
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

const struct collector *const registry_collectors[] = {
	&collector_antivirus,
	&collector_database,
	&collector_nas,
	&collector_product,
	&collector_sessions,
	&collector_system,
	&collector_terminal_server,
	NULL,
};

const struct collector *registry_find(const struct collector *const *table,
				      const char *name)
{
	for (; *table; table++)
		if (strcmp((*table)->name, name) == 0)
			return *table;
	return NULL;
}
