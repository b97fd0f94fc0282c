/*
 * The database engine table: the one place that names every engine, so
 * database.c dispatches through database_engine_find() and never includes
 * or calls an engine directly.
 */
#include <stddef.h>

#include "database_engine.h"

extern const struct database_engine database_engine_pg;
extern const struct database_engine database_engine_mysql;
extern const struct database_engine database_engine_mssql;
extern const struct database_engine database_engine_sqlite;

static const struct database_engine *const engines[] = {
	&database_engine_pg,
	&database_engine_mysql,
	&database_engine_mssql,
	&database_engine_sqlite,
};

const struct database_engine *database_engine_find(enum database_kind kind)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (engines[i]->kind == kind)
			return engines[i];
	return NULL;
}
