/*
 * libFuzzer harness: PostgreSQL SSLRequest answer and startup reply parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/pg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_reply r;
	enum pg_ssl_answer a;

	(void)pg_ssl_reply_parse(data, size, &a);
	(void)pg_reply_parse(data, size, &r);
	return 0;
}
