/*
 * libFuzzer harness: the fanotify fdinfo parser of the antivirus collector.
 */
#include <stddef.h>
#include <stdint.h>

#include "antivirus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct av_fanotify f;

	if (av_fdinfo_parse((const char *)data, size, &f) == 0) {
		(void)av_fanotify_can_block(&f);
		av_fanotify_release(&f);
	}
	return 0;
}
