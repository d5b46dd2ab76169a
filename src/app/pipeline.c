/*
 * pipeline.c: one request, in API.md's order of checks: CORS and OPTIONS,
 * the method (405), the token (401), then the route's handler, which parses
 * the body (413, 415, 400, 422) and touches the row (404, 403). Also the
 * helpers handlers answer with: the body, a statement's rows, 503 and 500.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "app/app.h"
#include "http/body.h"

static const struct route_method *find_method(const struct route *route,
    const char *method);
static void add_cors(const struct route *route, const struct config *cfg,
    const struct request *req, struct response *res, int preflight);
static void unavailable(struct response *res, long retry_after,
    const char *detail);

void
app_handle(const struct route *route, const struct config *cfg,
    struct db *db, const struct request *req, struct response *res, time_t now)
{
	const struct route_method *m;
	struct ctx c;
	enum token_status st;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.db = db;
	c.req = req;
	c.res = res;
	c.now = now;

	/* API.md: OPTIONS is always served, without authentication. */
	if (strcmp(req->method, "OPTIONS") == 0) {
		response_header(res, "Allow", "%s", route->allow);
		add_cors(route, cfg, req, res, 1);
		response_empty(res, 204);
		return;
	}
	add_cors(route, cfg, req, res, 0);
	if ((m = find_method(route, req->method)) == NULL) {
		response_header(res, "Allow", "%s", route->allow);
		response_error(res, 405, "Method Not Allowed");
		return;
	}
	if (m->auth == AUTH_REQUIRED) {
		st = token_verify(cfg, req->authorization, now, &c.claims);
		if (st == TOKEN_UNAVAILABLE) {
			/* Our outage, not the client's fault: come back. */
			unavailable(res, c.claims.retry_after,
			    token_status_detail(st));
			return;
		}
		if (st != TOKEN_OK) {
			/* RFC 6750 3: every 401 names the scheme. */
			response_unauthorized(res, token_status_detail(st));
			return;
		}
	}
	/* Responses carry user data and tokens: no cache may keep them. */
	response_header(res, "Cache-Control", "no-store");
	/* Row-level security sees the subject too, for this request only. */
	db->subject = m->auth == AUTH_REQUIRED ? c.claims.subject : NULL;
	m->handler(&c);
	db->subject = NULL;
}

static const struct route_method *
find_method(const struct route *route, const char *method)
{
	for (const struct route_method *m = route->methods; m->method != NULL; m++)
		if (strcmp(m->method, method) == 0)
			return m;
	return NULL;
}

/* API.md, CORS: only an allowed Origin gets Access-Control-* headers. */
static void
add_cors(const struct route *route, const struct config *cfg,
    const struct request *req, struct response *res, int preflight)
{
	if (!config_origin_allowed(cfg, req->origin))
		return;
	response_header(res, "Access-Control-Allow-Origin", "%s", req->origin);
	response_header(res, "Vary", "Origin");
	if (preflight) {
		response_header(res, "Access-Control-Allow-Methods", "%s",
		    route->allow);
		response_header(res, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type");
		response_header(res, "Access-Control-Max-Age", "600");
	} else
		response_header(res, "Access-Control-Expose-Headers",
		    "Location, X-Total-Count");
}

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

/* API.md: an outage of what we depend on is 503 with a Retry-After. */
static void
unavailable(struct response *res, long retry_after, const char *detail)
{
	response_header(res, "Retry-After", "%ld", retry_after);
	response_error(res, 503, detail);
}

void
ctx_unavailable(struct ctx *c)
{
	unavailable(c->res, APP_RETRY_AFTER_SECONDS, "Database unavailable");
}

void
ctx_internal(struct ctx *c, const char *what, const char *why)
{
	fprintf(stderr, "taskapi: %s failed: %s\n", what, why != NULL ? why : "");
	response_error(c->res, 500, "Internal server error");
}
