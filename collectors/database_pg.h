/*
 * Pure helpers of the PostgreSQL engine (database_pg.c), visible to its unit
 * tests and fuzzers.
 */
#ifndef RDIAG_DATABASE_PG_H
#define RDIAG_DATABASE_PG_H

#include <stdbool.h>

/* Why PostgreSQL refused a connection (database_pg.c, unit-tested). */
enum database_pg_cause {
	DATABASE_PG_OTHER = 0,
	DATABASE_PG_NO_HBA,        /* 28000, no pg_hba.conf entry */
	DATABASE_PG_HBA_REJECT,    /* 28000, an explicit reject line */
	DATABASE_PG_NO_LOGIN,      /* 28000, role without LOGIN */
	DATABASE_PG_ROLE_MISSING,  /* 28000, no such role (trust, cert) */
	DATABASE_PG_CERT_REQUIRED, /* 28000, no client certificate */
	DATABASE_PG_CERT_REJECTED, /* 28000, certificate not accepted */
	DATABASE_PG_METHOD_FAILED, /* 28000, ident/LDAP/PAM/RADIUS/GSS said no
				    */
	DATABASE_PG_BAD_PASSWORD,  /* 28P01 */
	DATABASE_PG_NO_CONNECT,    /* 42501, no CONNECT on the database */
	DATABASE_PG_NOT_ACCEPTING, /* 55000, datallowconn = false */
	DATABASE_PG_DB_MISSING,    /* 3D000 */
	DATABASE_PG_TOO_MANY,      /* 53300 */
	DATABASE_PG_STARTING,      /* 57P03 */
};
enum database_pg_cause database_pg_classify(const char *sqlstate,
					    const char *message);

struct pg_reply;
/*
 * The server's error in a libpq connection failure message made with
 * PQERRORS_VERBOSE ("FATAL:  28000: ..."): the last attempt's SQLSTATE,
 * message and DETAIL into *ret. False when the message holds no SQLSTATE
 * (a client-side failure).
 */
bool database_pg_parse_libpq(const char *msg, struct pg_reply *ret);
#endif
