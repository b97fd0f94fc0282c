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
#include "core/i18n.h"
#include "ticket/ticket.h"
#include "upload/upload.h"

/* The retry command the user is told when a transient error stopped it. */
static char *retry_command(const char *bundle, const char *shown,
			   const struct upload_opts *o, bool ticket)
{
	if (ticket)
		return xasprintf("rdiag upload '%s' --to '%s'%s%s", bundle,
				 shown, o->ticket ? " --ticket " : "",
				 o->ticket ? o->ticket : "");
	return xasprintf("rdiag upload '%s' --to '%s'%s%s%s", bundle, shown,
			 o->form_field ? " --form '" : "",
			 o->form_field ? o->form_field : "",
			 o->form_field ? "'" : "");
}

/*
 * The step's result for a caller's JSON (run --json): {target, status,
 * receipt, error, retry, exit_code}.
 */
static json_t *result_json(const char *bundle, const char *shown,
			   const struct upload_opts *o, bool ticket,
			   const char *status, json_t *receipt, const char *err,
			   int code)
{
	char *retry = code == EXIT_UNAVAILABLE || code == EXIT_INTERRUPTED
			      ? retry_command(bundle, shown, o, ticket)
			      : NULL;
	json_t *j = json_pack("{s:s, s:s, s:o, s:s?, s:s?, s:i}", "target",
			      shown, "status", status, "receipt",
			      receipt ? receipt : json_null(), "error", err,
			      "retry", retry, "exit_code", code);

	free(retry);
	return j;
}

int upload_cmd_run(const char *bundle, const char *url,
		   const struct upload_opts *o)
{
	return upload_cmd_run_result(bundle, url, o, NULL);
}

int upload_cmd_run_result(const char *bundle, const char *url,
			  const struct upload_opts *o, json_t **ret_result)
{
	struct upload_receipt rc;
	char *err = NULL, *shown = upload_url_scrub(url);
	int r, code;

	if (ticket_url_is(url)) {
		code = ticket_cmd_run(bundle, url, o);
		if (ret_result)
			*ret_result = result_json(
				bundle, shown, o, true,
				code == 0 ? "uploaded" : "failed", NULL,
				code == 0 ? NULL
					  : "the ticket system refused it "
					    "(see the messages above)",
				code);
		free(shown);
		return code;
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
			printf(_("uploaded %s (%s) to %s\n"), bundle, sz,
			       rc.target);
			if (rc.etag)
				printf(_("  server etag: %s\n"), rc.etag);
			if (rc.sha256)
				printf("  sha256:      %s\n", rc.sha256);
			printf(_("  receipt:     %s.receipt.json\n"), bundle);
		}
		if (ret_result)
			*ret_result = result_json(
				bundle, shown, o, false,
				r == 0 ? "uploaded" : "already-uploaded",
				upload_receipt_json(&rc), NULL, 0);
		if (r == 0 && o->remove_after) {
			char *side = bundle_sidecar_path(bundle);

			if (unlink(bundle) < 0)
				error_msg("cannot remove '%s': %s, ignoring",
					  bundle, strerror(errno));
			else if (!o->quiet && !o->json)
				printf(_("  removed %s (the server has it)\n"),
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
		char *retry = retry_command(bundle, shown, o, false);

		error_msg("the bundle is kept at '%s'; to send it later run: "
			  "%s",
			  bundle, retry);
		free(retry);
	}
	if (ret_result)
		*ret_result = result_json(bundle, shown, o, false, "failed",
					  NULL, err, code);
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
