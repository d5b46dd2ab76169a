/*
 * ctx.h: what a route's handler gets (the settings, the database, the
 * request, the response being built, the token's claims) and the helpers
 * it answers with.
 */
#ifndef TASKAPI_CTX_H
#define TASKAPI_CTX_H

#include <time.h>

#include "auth/token.h"
#include "config/config.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

/*
 * Work a handler leaves for after its answer: the loop runs it once the
 * web server has the whole answer (FastCGI's end of request, or plain
 * CGI's closed stdout), so the answer's time does not depend on it
 * (docs/API.md "Password reset": the mail). It runs with the settings
 * alone: the request is gone by then. arg is malloc()ed and freed after.
 */
typedef void (*ctx_after_fn)(const struct config *cfg, void *arg);
struct ctx_after {
	ctx_after_fn run;
	void *arg;
};

struct ctx {
	const struct config *cfg;
	struct db *db;
	const struct request *req;
	struct response *res;
	struct token_claims claims;	/* filled for ROUTE_AUTH_REQUIRED methods */
	time_t now;
	struct ctx_after *after;	/* the loop's, for ctx_after_set */
};

/* A route's handler of one method: answers into c->res. */
typedef void (*ctx_handler_fn)(struct ctx *c);

/* Parses the body as a JSON object; on failure answers and returns NULL. */
struct json_object *ctx_body(struct ctx *c);
/*
 * Runs a statement that returns rows. Returns its result (the caller
 * PQclear()s it), or NULL after answering: 503 when the database cannot be
 * reached, 500 when the statement failed (what names it in the log).
 */
PGresult *ctx_rows(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what);
/* Answers 503 with Retry-After: the database could not be reached. */
void ctx_unavailable(struct ctx *c);
/*
 * Answers 500 without internals, and logs what happened; or, when the
 * statement failed at the subject's setting, a 401: Invalid authentication
 * token for docs/API.md "Subjects", CTX_SESSION_ENDED for
 * docs/API.md "Session tokens".
 */
void ctx_internal(struct ctx *c, const char *what, const char *why);
#define CTX_SESSION_ENDED "Session has ended"

/* Leaves run(cfg, arg) for after the answer; arg is the loop's to free. */
void ctx_after_set(struct ctx *c, ctx_after_fn run, void *arg);
/* Runs what a handler left, if anything, and frees its arg. */
void ctx_after_run(struct ctx_after *after, const struct config *cfg);

#endif
