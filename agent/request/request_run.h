/*
 * `rdiag run --request TOKEN|FILE`: verify a signed collection request,
 * show the customer what it will do, ask for consent, claim it in the
 * replay store, and turn it into the plan of an ordinary run.
 */
#ifndef RDIAG_REQUEST_RUN_H
#define RDIAG_REQUEST_RUN_H

#include "core/run.h"
#include "request/request.h"

/*
 * Set p's collectors, ticket and upload target to exactly those of rq
 * (the bundle is removed once the server has it).
 */
void request_run_apply(struct run_plan *p, const struct request *rq);

/*
 * The whole check for request (a token, or a file holding one; trusted
 * keys and the replay store as p->config says), then request_run_apply().
 * Returns 0 when p is ready to run, or an exit code after printing the
 * reason: 65 for a refused token (tampered, unknown key, expired, replayed,
 * oversized, malformed, unsupported), 64 without consent or for an
 * unreadable file, 73 when the replay store cannot be written.
 */
int request_run_prepare(struct run_plan *p, const char *request);

#endif
