/*
 * libFuzzer harness: the PostgreSQL texts the database collector reads
 * besides the wire protocol: libpq's verbose connection error (the
 * server's message inside it is the server's) and the server log's lines
 * around a failed login (user names in it are anyone's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "database_pg.h"
#include "database_pg_log.h"
#include "database_private.h"
#include "probes/pg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct database_pg_log_hit hit;
	struct pg_reply e;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (database_pg_parse_libpq(s, &e))
		(void)database_pg_classify(e.sqlstate, e.message);
	(void)database_pg_log_parse((const char *)data, size, "app", &hit);
	(void)database_pg_log_parse((const char *)data, size, "", &hit);
	free(s);
	return 0;
}
