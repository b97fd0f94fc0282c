/*
 * The table of upload backends, one per url scheme. upload.c drives the
 * retries and knows a backend only through this small vtable; each backend
 * (upload_file.c, upload_http.c for https and tus, upload_s3.c,
 * upload_sftp.c) defines its struct upload_backend and the table in
 * upload_backend.c lists them, so upload.c includes no backend and the
 * backends use only the helper API in upload_int.h.
 */
#ifndef RDIAG_UPLOAD_BACKEND_H
#define RDIAG_UPLOAD_BACKEND_H

#include "upload/upload_int.h"

struct upload_backend {
	enum upload_scheme scheme;
	const char *name; /* the scheme as the receipt names it */
	/*
	 * One whole attempt, resuming what the server already has. 0, or a
	 * negative errno with f saying why and whether a retry may help.
	 */
	int (*attempt)(struct upload_ctx *c, struct upload_fail *f);
	/*
	 * After the last attempt failed for good: give up server-side state
	 * (an S3 multipart upload) and the resume file. NULL: nothing to do.
	 */
	void (*abandon)(struct upload_ctx *c);
};

/* The backend for a parsed url's scheme (every scheme has one). */
const struct upload_backend *upload_backend_find(enum upload_scheme scheme);

#endif
