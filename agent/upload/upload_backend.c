/*
 * The upload backend table: the one place that names every backend, so
 * upload.c dispatches through upload_backend_find() and never includes or
 * calls a backend directly.
 */
#include <stddef.h>

#include "upload/upload_backend.h"

extern const struct upload_backend upload_backend_https;
extern const struct upload_backend upload_backend_s3;
extern const struct upload_backend upload_backend_sftp;
extern const struct upload_backend upload_backend_tus;
extern const struct upload_backend upload_backend_file;

static const struct upload_backend *const backends[] = {
	&upload_backend_https, &upload_backend_s3,   &upload_backend_sftp,
	&upload_backend_tus,   &upload_backend_file,
};

const struct upload_backend *upload_backend_find(enum upload_scheme scheme)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->scheme == scheme)
			return backends[i];
	return NULL;
}
