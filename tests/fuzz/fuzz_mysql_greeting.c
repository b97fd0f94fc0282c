/*
 * libFuzzer harness: MySQL/MariaDB greeting and error packet parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/mysql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_wire_reply r;

	(void)mysql_wire_parse(data, size, &r);
	return 0;
}
