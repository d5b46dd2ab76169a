/*
 * app.h: the accept loop every route program runs, and what a handler
 * gets. A program names its route, whose methods and their authentication
 * come from the table (cgi-bin/routes.txt, app/route.h), and gives a
 * handler for each method; app_main does the rest in the order of
 * docs/API.md "Order of checks": CORS and OPTIONS, 405, authentication,
 * then the handler (which parses the body and touches the row).
 */
#ifndef TASKAPI_APP_H
#define TASKAPI_APP_H

#include <time.h>

#include "app/route.h"
#include "auth/token.h"
#include "config/config.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

struct ctx {
	const struct config *cfg;
	struct db *db;
	const struct request *req;
	struct response *res;
	struct token_claims claims;	/* filled for ROUTE_AUTH_REQUIRED methods */
	time_t now;
};

typedef void (*handler_fn)(struct ctx *c);

/* The program's handler of one method of its route. */
struct app_handler {
	const char *method;
	handler_fn handler;
};

/*
 * Serves the route named route_name with handlers (ending with a NULL
 * method) until the FastCGI listener closes. Refuses to start (exit code
 * 1) unless handlers has exactly the route's methods of the table.
 * Returns the exit code.
 */
int app_main(const char *route_name, const struct app_handler *handlers);

/*
 * One request, from a parsed request to a finished response (tests use
 * it). handlers has a handler for each of route's methods.
 */
void app_handle(const struct route *route, const struct app_handler *handlers,
    const struct config *cfg, struct db *db, const struct request *req,
    struct response *res, time_t now);

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
