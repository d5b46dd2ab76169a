/*
 * pipeline.c: one request, in docs/API.md "Order of checks": CORS and
 * OPTIONS, the method (405), the token (401), then the
 * route's handler, which parses the body (413, 415, 400, 422) and touches
 * the row (404, 403). What handlers answer with is app/ctx.c's.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "http/body.h"
#include "http/cors.h"
#include "http/status.h"

static ctx_handler_fn find_handler(const struct app_handler *handlers,
    const char *method);
static bool authenticate(struct ctx *c);
static bool reads_anywhere(const struct route *route, const char *method);
static void run_handler(struct ctx *c, const struct route_method *m,
    ctx_handler_fn handler);

void
app_handle(const struct route *route, const struct app_handler *handlers,
    const struct config *cfg, struct db *db, const struct request *req,
    struct response *res, time_t now, struct ctx_after *after)
{
	const struct route_method *m;
	ctx_handler_fn handler;
	struct ctx c = {
		.cfg = cfg, .db = db, .req = req, .res = res, .now = now,
		.after = after
	};

	/* docs/API.md "Methods": OPTIONS is always served, unauthenticated. */
	if (strcmp(req->method, "OPTIONS") == 0) {
		response_header(res, "Allow", "%s", route->allow);
		cors_preflight(res, cfg, req->origin, route->allow);
		response_empty(res, 204);
		return;
	}
	cors_answer(res, cfg, req->origin);
	if ((m = route_find_method(route, req->method)) == NULL) {
		response_header(res, "Allow", "%s", route->allow);
		response_error(res, 405, status_detail(405));
		return;
	}
	/* app_main checked that every method of the route has its handler. */
	handler = find_handler(handlers, m->method);
	assert(handler != NULL);
	/* docs/API.md "Order of checks": a 401 parses and touches nothing. */
	if (m->auth == ROUTE_AUTH_REQUIRED && !authenticate(&c))
		return;
	db->read_here = reads_anywhere(route, m->method);
	run_handler(&c, m, handler);
	db->read_here = 0;
}

/*
 * docs/API.md "Reads on a standby": the GETs of the routes the table marks
 * standby_reads (cgi-bin/routes.txt) may read on DATABASE_READ_URL's
 * standby.
 */
static bool
reads_anywhere(const struct route *route, const char *method)
{
	return route->standby_reads && strcmp(method, "GET") == 0;
}

/*
 * The token of a protected route. Returns whether it holds, with its claims
 * in c; otherwise answers 401, or 503 while the issuer's keys cannot be had.
 */
static bool
authenticate(struct ctx *c)
{
	enum token_status st;

	st = token_verify(c->cfg, c->req->authorization, c->now, &c->claims);
	if (st == TOKEN_OK) {
		/* token_verify refuses an empty subject (TOKEN_NO_SUBJECT). */
		assert(c->claims.subject[0] != '\0');
		return true;
	}
	if (st == TOKEN_UNAVAILABLE)
		/* Our outage, not the client's fault: come back. */
		response_unavailable(c->res, c->claims.retry_after,
		    token_status_detail(st));
	else
		/* RFC 6750 3: every 401 names the scheme. */
		response_unauthorized(c->res, token_status_detail(st));
	return false;
}

/*
 * The route's own checks and work, in docs/API.md "Order of checks":
 * the body, the query, the row, the database. Row-level security sees the
 * subject too, for this request only.
 */
static void
run_handler(struct ctx *c, const struct route_method *m,
    ctx_handler_fn handler)
{
	/* Each request clears it on the way out: none inherits another's. */
	assert(c->db->subject == NULL);
	c->db->subject = m->auth == ROUTE_AUTH_REQUIRED ? c->claims.subject : NULL;
	/*
	 * docs/API.md "Subjects": the subject is the issuer's that made it.
	 * The secret's tokens are one issuer (whoever holds it can sign any
	 * subject); the key set's is named by its iss, which it must carry.
	 */
	c->db->issuer = c->claims.by_jwks ? c->cfg->jwt_jwks_issuer : "";
	c->db->subject_refused = 0;
	/* docs/API.md "Session tokens": only JWT_SECRET's tokens carry one. */
	c->db->sid = c->db->subject != NULL && c->claims.sid[0] != '\0' ?
	    c->claims.sid : NULL;
	c->db->session_ended = 0;
	handler(c);
	c->db->subject = NULL;
	c->db->issuer = NULL;
	c->db->sid = NULL;
}

static ctx_handler_fn
find_handler(const struct app_handler *handlers, const char *method)
{
	for (const struct app_handler *h = handlers; h->method != NULL; h++)
		if (strcmp(h->method, method) == 0)
			return h->handler;
	return NULL;
}
