/*
 * Database target URLs as the [database] url key takes them:
 *   postgresql://[user@]host[:port]/dbname   (also postgres://)
 *   mysql://[user@]host[:port]/dbname        (also mariadb://)
 *   sqlserver://host[:port][/instance]
 *   sqlite:///absolute/path.db
 * IPv6 hosts go in brackets. A password in the URL is noted (so the
 * collector can refuse it) and never copied. A "?query" is ignored.
 */
#ifndef RDIAG_DATABASE_URL_H
#define RDIAG_DATABASE_URL_H

#include <stdbool.h>

enum database_kind {
	DATABASE_POSTGRES = 1,
	DATABASE_MYSQL,
	DATABASE_MSSQL,
	DATABASE_SQLITE,
};

struct database_url {
	enum database_kind kind;
	bool has_password; /* "user:secret@" was given (refused) */
	bool has_port;
	unsigned port;      /* the default when not given */
	char user[64];      /* percent-decoded, may be "" */
	char host[256];     /* without brackets */
	char database[128]; /* percent-decoded, may be "" */
	char instance[64];  /* SQL Server named instance, may be "" */
	char path[1024];    /* SQLite: absolute path */
	char display[1040]; /* the URL with any password masked */
};

/*
 * Parse s into *ret. Returns 0, or -EINVAL with a static reason in *err
 * (lowercase, no trailing period).
 */
int database_url_parse(const char *s, struct database_url *ret,
		       const char **err);

/* "PostgreSQL", "MySQL/MariaDB", "SQL Server", "SQLite". */
const char *database_kind_name(enum database_kind k);

#endif
