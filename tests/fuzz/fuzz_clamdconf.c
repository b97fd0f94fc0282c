/*
 * libFuzzer harness: the clamd.conf parser and its exclusion check, and the
 * other line-oriented product outputs the antivirus collector reads
 * (`mdatp health`, `mdatp exclusion list`).
 */
#include <stddef.h>
#include <stdint.h>

#include "antivirus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct av_mdatp_health h;
	struct av_clamd_conf c;
	const char *rule;

	if (av_clamd_conf_parse(text, size, &c) == 0) {
		(void)av_clamd_conf_watch(&c, "/srv/app", &rule);
		(void)av_clamd_conf_watch(&c, "/", &rule);
		av_clamd_conf_release(&c);
	}
	(void)av_mdatp_health_parse(text, size, &h);
	(void)av_mdatp_excluded(text, size, "/srv/app");
	return 0;
}
