/*
 * `rdiag run --request`: the customer's side of a signed collection request
 * (see request_run.h). Nothing runs before the token verified, the
 * customer agreed (or the config allows running unattended) and the
 * request was claimed durably in the replay store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/exitcode.h"
#include "core/i18n.h"
#include "platform/platform.h"
#include "registry.h"
#include "request/request_run.h"

void request_run_apply(struct run_plan *p, const struct request *rq)
{
	free(p->selected);
	p->selected = xcalloc(rq->ncollectors + 1, sizeof(*p->selected));
	p->nselected = 0;
	/* Registry order, like --only: the request names them, not the order.
	 */
	for (const struct collector *const *c = registry_collectors; *c; c++)
		for (size_t i = 0; i < rq->ncollectors; i++)
			if (strcmp((*c)->name, rq->collectors[i]) == 0)
				p->selected[p->nselected++] = *c;
	free(p->ticket);
	p->ticket = xstrdup(rq->ticket);
	free(p->upload_url);
	p->upload_url = xstrdup(rq->upload);
	p->remove_after_upload = true;
}

/* Ask on the terminal; true only for an explicit yes. */
static bool ask_consent(void)
{
	char line[16];

	fputs(_("Run this request and send the bundle there? [y/N] "), stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 ||
	       strcmp(line, "Y\n") == 0 || i18n_yes_local(line);
}

int request_run_prepare(struct run_plan *p, const char *request)
{
	struct request_keyring kr;
	struct request rq;
	enum request_fault f = REQUEST_FAULT_NONE;
	char *token = NULL, *err = NULL, *tdir = NULL, *sdir = NULL;
	char *why = NULL, *label = NULL;
	size_t len = 0;
	int rc = 0, r;

	memset(&kr, 0, sizeof(kr));
	request_init(&rq);
	if ((r = request_read_arg(request, &token, &len, &f, &err)) < 0) {
		error_msg("%s", err);
		rc = f != REQUEST_FAULT_NONE ? EXIT_DATAERR : EXIT_USAGE;
		goto out;
	}
	tdir = request_trusted_dir(&p->config);
	sdir = request_state_dir(&p->config);
	if (request_keyring_load(&kr, tdir, &err) < 0) {
		error_msg("%s, so no request can be trusted", err);
		rc = EXIT_DATAERR;
		goto out;
	}
	if (request_verify(token, len, &kr, time(NULL), &rq, &f, &err) < 0) {
		error_msg("%s", err);
		if (f == REQUEST_FAULT_UNKNOWN_KEY)
			error_msg("trusted vendor keys are read from '%s'",
				  tdir);
		rc = EXIT_DATAERR;
		goto out;
	}
	label = run_host_label();
	if (!request_for_me(&rq, NULL, label)) {
		error_msg(
			"request %s is for '%s', not for this machine ('%s'); "
			"not run",
			rq.id, rq.audience, label);
		rc = EXIT_DATAERR;
		goto out;
	}
	if (request_store_seen(sdir, rq.id)) {
		error_msg("replayed request: %s (ticket %s) was already run "
			  "on this machine; ask the engineer for a new one",
			  rq.id, rq.ticket);
		rc = EXIT_DATAERR;
		goto out;
	}
	request_print_summary(stderr, &rq);
	if (platform_isatty(STDIN_FILENO) && platform_isatty(STDERR_FILENO)) {
		if (!ask_consent()) {
			error_msg("not run: no consent");
			rc = EXIT_USAGE;
			goto out;
		}
	} else if (config_system_yes(&p->config, "requests", "allow_unattended",
				     &why)) {
		fputs(_("rdiag: no terminal; running without asking "
			"([requests] allow_unattended = yes)\n"),
		      stderr);
	} else {
		if (why)
			error_msg("%s", why);
		error_msg("not run: no terminal to ask for consent; run it "
			  "in a terminal, or set [requests] allow_unattended "
			  "= yes in the system configuration");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = request_store_claim(sdir, &rq, "run", &err)) < 0) {
		error_msg("%s", err);
		rc = r == -EEXIST ? EXIT_DATAERR : EXIT_CANTCREAT;
		goto out;
	}
	request_run_apply(p, &rq);
out:
	free(why);
	free(label);
	request_keyring_wipe(&kr);
	request_release(&rq);
	free(token);
	free(err);
	free(tdir);
	free(sdir);
	return rc;
}
