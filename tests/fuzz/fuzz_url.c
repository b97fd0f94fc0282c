/*
 * libFuzzer harness: the URL parsers over libcurl's URL API, url_split and
 * upload_url_parse (a signed request's upload target comes from the
 * network), and upload_url_scrub, which must cope with anything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/url.h"
#include "upload/upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *err = NULL, *shown, *lit;
	struct upload_url u;
	struct url_parts p;
	enum url_fault f;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (url_split(s, size & 1 ? URL_AS_FILE : 0, &p, &f) == 0) {
		lit = url_host_literal(&p);
		free(lit);
		url_parts_release(&p);
	}
	if (upload_url_parse(s, &u, &err) == 0)
		upload_url_release(&u);
	free(err);
	shown = upload_url_scrub(s);
	free(shown);
	free(s);
	return 0;
}
