/*
 * libFuzzer harness: SQL Server Browser (SVR_RESP) reply parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/browser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct browser_reply r;

	if (browser_reply_parse(data, size, &r) == 0)
		(void)browser_reply_find(&r, "SQLEXPRESS");
	return 0;
}
