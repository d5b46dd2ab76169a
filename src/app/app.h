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

#include "app/ctx.h"
#include "app/route.h"

/* The program's handler of one method of its route. */
struct app_handler {
	const char *method;
	ctx_handler_fn handler;
};

/*
 * Serves the route named route_name with handlers (ending with a NULL
 * method) until the FastCGI listener closes. Refuses to start (exit code
 * 1) unless handlers has exactly the route's methods of the table.
 * Returns the exit code.
 */
int app_main(const char *route_name, const struct app_handler *handlers);

/*
 * One request, from a parsed request to a finished response: the loop
 * calls it for each request, under FastCGI and plain CGI alike. handlers
 * has a handler for each of route's methods. What the handler leaves for
 * after the answer is in *after (ctx_after_run runs it).
 */
void app_handle(const struct route *route, const struct app_handler *handlers,
    const struct config *cfg, struct db *db, const struct request *req,
    struct response *res, time_t now, struct ctx_after *after);

#endif
