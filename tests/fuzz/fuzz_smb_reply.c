/*
 * libFuzzer harness: SMB NEGOTIATE reply parser (SMB2 with 3.1.1 negotiate
 * contexts, SMB1) and the names it looks up.
 */
#include <stddef.h>
#include <stdint.h>

#include "probes/smb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smb_reply r;

	if (smb_reply_parse(data, size, &r) == 0) {
		(void)smb_dialect_name(r.dialect);
		(void)smb_cipher_name(r.cipher);
	}
	return 0;
}
