/*
 * The table of database engines. database.c knows an engine only through
 * this small vtable: it resolves and connects, then hands the socket to the
 * engine's check. Each engine (database_pg.c, database_mysql.c,
 * database_mssql.c, database_sqlite.c) defines one struct database_engine
 * and the table in database_engine.c lists them, so database.c includes no
 * engine header and engines call back only through database_private.h.
 */
#ifndef RDIAG_DATABASE_ENGINE_H
#define RDIAG_DATABASE_ENGINE_H

#include <stdbool.h>

#include "database_private.h"

struct database_engine {
	enum database_kind kind;
	/* false: a local file (SQLite), no resolve or connect step */
	bool network;
	/*
	 * The TCP port to connect to, when the engine has to find it
	 * (SQL Server Browser for a named instance); 0 ends the target (the
	 * engine reported why). NULL: the url's port.
	 */
	unsigned (*port)(struct database_target *t);
	/*
	 * The engine's checks. fd is the socket the TCP step connected (the
	 * engine owns and closes it), or -1 when network is false.
	 */
	void (*check)(struct database_target *t, int fd);
};

/* The engine for a url's kind, or NULL. */
const struct database_engine *database_engine_find(enum database_kind kind);

#endif
