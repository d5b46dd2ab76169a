/*
 * app.h: the accept loop every route program runs, and what a handler
 * gets. A program is a table of methods; app_main does the rest in the
 * order API.md sets: CORS and OPTIONS, 405, authentication, then the
 * handler (which parses the body and touches the row).
 */
#ifndef TASKAPI_APP_H
#define TASKAPI_APP_H

#include <time.h>

#include "auth/token.h"
#include "config/config.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

/* API.md: 503 carries Retry-After; a restarting database is back quickly. */
#define APP_RETRY_AFTER_SECONDS 2

struct ctx {
	const struct config *cfg;
	struct db *db;
	const struct request *req;
	struct response *res;
	struct token_claims claims;	/* filled for AUTH_REQUIRED methods */
	time_t now;
};

typedef void (*handler_fn)(struct ctx *c);

enum auth_need { AUTH_NONE, AUTH_REQUIRED };

struct route_method {
	const char *method;
	enum auth_need auth;
	handler_fn handler;
};

struct route {
	const char *name;		/* for logs and the database's application_name */
	const char *allow;		/* the Allow header, OPTIONS included */
	const struct route_method *methods;	/* ends with a NULL method */
};

/* Serves route until the FastCGI listener closes. Returns the exit code. */
int app_main(const struct route *route);

/* One request, from a parsed request to a finished response (tests use it). */
void app_handle(const struct route *route, const struct config *cfg,
    struct db *db, const struct request *req, struct response *res, time_t now);

/* Handler helpers. */
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
/* Answers 500 without internals, and logs what happened. */
void ctx_internal(struct ctx *c, const char *what, const char *why);

#endif
