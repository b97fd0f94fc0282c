/*
 * libFuzzer harness: the RDP Connection Confirm parser, and the judgement
 * of a probe whose three attempts all got the fuzzed reply.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probes/rdp.h"
#include "terminal_server_judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict_list l;
	struct rdp_probe_result r;
	struct rdp_reply reply;
	int rc = rdp_reply_parse(data, size, &reply);

	memset(&r, 0, sizeof(r));
	r.best.done = r.tls_only.done = r.plain.done = true;
	r.best.rc = r.tls_only.rc = r.plain.rc = rc;
	if (rc == 0)
		r.best.reply = r.tls_only.reply = r.plain.reply = reply;
	verdict_list_init(&l);
	terminal_server_judge_rdp("fuzz", &r, 30, &l);
	verdict_list_release(&l);
	return 0;
}
