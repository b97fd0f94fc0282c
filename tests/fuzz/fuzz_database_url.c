/*
 * libFuzzer harness: the [database] url parser (config text is input too).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "database_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct database_url u;
	char *s = malloc(size + 1);
	char err[256];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)database_url_parse(s, &u, err, sizeof(err));
	free(s);
	return 0;
}
