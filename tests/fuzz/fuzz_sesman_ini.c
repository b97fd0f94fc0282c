/*
 * libFuzzer harness: xrdp's sesman.ini and xrdp.ini parsers, and the
 * listener value and rdp_host parsers on the first line of the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "terminal_server_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct terminal_server_sesman s;
	struct terminal_server_xrdp x;
	size_t n = strnlen((const char *)data, size);
	char *line = malloc(n + 1), host[64];
	unsigned port;

	terminal_server_parse_sesman((const char *)data, size, &s);
	terminal_server_parse_xrdp((const char *)data, size, &x);
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	(void)terminal_server_parse_listen(line, line, host, sizeof(host),
					   &port);
	(void)terminal_server_parse_target(line, host, sizeof(host), &port);
	(void)terminal_server_display_number(line);
	free(line);
	return 0;
}
