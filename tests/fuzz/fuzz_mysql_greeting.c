/*
 * libFuzzer harness: MySQL/MariaDB greeting and error packet parser, and
 * the parser of the answer to the probe's closing handshake response.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/mysql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_wire_reply r;
	struct mysql_wire_auth_reply a;

	(void)mysql_wire_parse(data, size, &r);
	(void)mysql_wire_auth_parse(data, size, &a);
	return 0;
}
