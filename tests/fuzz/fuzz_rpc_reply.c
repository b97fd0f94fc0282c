/*
 * libFuzzer harness: ONC RPC reply parser (record marking, accepted and
 * denied replies) and the GETPORT result. The first four bytes of the input
 * pick the xid, so matching and mismatching xids are both reached.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_reply r;
	unsigned port;
	uint32_t xid;

	if (size < 4)
		return 0;
	xid = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	      (uint32_t)data[2] << 8 | data[3];
	if (rpc_reply_parse(data + 4, size - 4, xid, &r) == 0) {
		(void)rpc_getport_result(&r, &port);
		(void)rpc_accept_stat_name(r.accept_stat);
	}
	return 0;
}
