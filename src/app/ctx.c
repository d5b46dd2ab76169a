/*
 * ctx.c: what a route's handler answers with: its body as JSON, a
 * statement's rows, the database's 503 and the 500 that hides internals;
 * and the work it leaves for after the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "app/ctx.h"
#include "http/body.h"
#include "http/status.h"

struct json_object *
ctx_body(struct ctx *c)
{
	struct json_object *obj;
	const char *detail;
	int status;

	status = body_parse_object(c->req, &obj, &detail);
	if (status != 0) {
		response_error(c->res, status, detail);
		return NULL;
	}
	return obj;
}

PGresult *
ctx_rows(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what)
{
	PGresult *res = db_exec(c->db, stmt, nparams, params);

	if (res == NULL) {
		ctx_unavailable(c);
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctx_internal(c, what, PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

void
ctx_unavailable(struct ctx *c)
{
	response_unavailable(c->res, STATUS_RETRY_AFTER_SECONDS,
	    "Database unavailable");
}

void
ctx_internal(struct ctx *c, const char *what, const char *why)
{
	/*
	 * docs/API.md "Subjects": the statement failed because the subject
	 * was made by another issuer (db_exec saw it with the subject's
	 * setting, in the same round trip): the token's fault, not ours.
	 */
	if (c->db != NULL && c->db->subject_refused) {
		response_unauthorized(c->res,
		    token_status_detail(TOKEN_INVALID));
		return;
	}
	/*
	 * docs/API.md "Session tokens": the token's session has ended; the
	 * statement was aborted with the check, so nothing changed.
	 */
	if (c->db != NULL && c->db->session_ended) {
		response_unauthorized(c->res, CTX_SESSION_ENDED);
		return;
	}
	fprintf(stderr, "taskapi: %s failed: %s\n", what, why != NULL ? why : "");
	response_error(c->res, 500, status_detail(500));
}

void
ctx_after_set(struct ctx *c, ctx_after_fn run, void *arg)
{
	free(c->after->arg);
	c->after->run = run;
	c->after->arg = arg;
}

/*
 * The work after an answer waits this long first, so that the answer is
 * on its way to the client before that work competes with it for the CPU:
 * on two cores, a reset answer followed at once by its mail (libcurl's
 * set-up, the SMTP exchange) reached the client in 2.8 ms, against 1.1 ms
 * without a mail. The worker is busy that much longer, once a mail.
 */
#define CTX_AFTER_PAUSE_NS (20L * 1000 * 1000)

void
ctx_after_run(struct ctx_after *after, const struct config *cfg)
{
	struct timespec pause = { 0, CTX_AFTER_PAUSE_NS };

	if (after->run != NULL) {
		while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
			;
		after->run(cfg, after->arg);
	}
	free(after->arg);
	after->run = NULL;
	after->arg = NULL;
}
