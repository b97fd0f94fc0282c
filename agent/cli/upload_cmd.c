/*
 * The user-facing upload step shared by `rdiag upload` and `rdiag run
 * --upload`: run the upload, print the receipt or the --json summary, or
 * the error with the command to run later; remove the bundle when asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "core/bundle_format.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

int upload_cmd_run(const char *bundle, const char *url,
		   const struct upload_opts *o)
{
	struct upload_receipt rc;
	char *err = NULL, *shown = upload_url_scrub(url);
	int r, code;

	if (ticket_url_is(url)) {
		free(shown);
		return ticket_cmd_run(bundle, url, o);
	}
	memset(&rc, 0, sizeof(rc));
	r = upload_bundle(bundle, url, o, &rc, &err);
	if (r == 0 || r == -EALREADY) {
		if (r == -EALREADY)
			error_msg("%s", err);
		if (o->json) {
			json_t *j = upload_receipt_json(&rc);

			json_object_set_new(j, "exit_code", json_integer(0));
			if (r == -EALREADY)
				json_object_set_new(
					j, "status",
					json_string("already-uploaded"));
			json_dumpf(j, stdout,
				   JSON_INDENT(2) | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
			json_decref(j);
		} else if (r == 0 && !o->quiet) {
			char sz[32];

			format_size(rc.size, sz, sizeof(sz));
			printf("uploaded %s (%s) to %s\n", bundle, sz,
			       rc.target);
			if (rc.etag)
				printf("  server etag: %s\n", rc.etag);
			if (rc.sha256)
				printf("  sha256:      %s\n", rc.sha256);
			printf("  receipt:     %s.receipt.json\n", bundle);
		}
		if (r == 0 && o->remove_after) {
			char *side = bundle_sidecar_path(bundle);

			if (unlink(bundle) < 0)
				error_msg("cannot remove '%s': %s, ignoring",
					  bundle, strerror(errno));
			else if (!o->quiet && !o->json)
				printf("  removed %s (the server has it)\n",
				       bundle);
			(void)unlink(side);
			free(side);
		}
		code = 0;
		goto out;
	}
	error_msg("%s", err);
	if (r == -EINVAL) {
		code = EXIT_USAGE;
	} else if (r == -ENOENT || r == -EISDIR || r == -EACCES ||
		   r == -ELOOP || r == -EBADMSG) {
		code = EXIT_DATAERR;
	} else {
		code = r == -EINTR ? EXIT_INTERRUPTED : EXIT_UNAVAILABLE;
		/* The retry must send the same kind of request. */
		error_msg("the bundle is kept at '%s'; to send it later run: "
			  "rdiag upload '%s' --to '%s'%s%s%s",
			  bundle, bundle, shown,
			  o->form_field ? " --form '" : "",
			  o->form_field ? o->form_field : "",
			  o->form_field ? "'" : "");
	}
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i}", "format",
				      BUNDLE_FORMAT_RECEIPT, "status", "failed",
				      "target", shown, "error", err,
				      "exit_code", code);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	}
out:
	fflush(stdout);
	upload_receipt_release(&rc);
	free(err);
	free(shown);
	return code;
}
