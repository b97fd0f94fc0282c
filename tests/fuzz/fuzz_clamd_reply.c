/*
 * libFuzzer harness: clamd's PING and VERSION reply parsers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/clamd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clamd_version v;

	(void)clamd_ping_parse(data, size);
	(void)clamd_version_parse(data, size, false, &v);
	(void)clamd_version_parse(data, size, true, &v);
	return 0;
}
