/*
 * libFuzzer harness: SQL Server TDS PRELOGIN reply parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/tds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tds_prelogin r;

	(void)tds_prelogin_parse(data, size, &r);
	return 0;
}
