/*
 * app.c: the loop every route program runs. One request flows through
 * app_handle in API.md's order of checks: CORS and OPTIONS, the method
 * (405), the token (401), then the route's handler, which parses the body
 * (413, 415, 400, 422) and touches the row (404, 403). The same program
 * runs as a FastCGI worker (many requests) or as a plain CGI program (one).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "app/app.h"
#include "app/listener.h"
#include "http/body.h"

static void on_terminate(int sig);
static int is_cgi(void);
static int serve_cgi(const struct route *route, const struct config *cfg);
static const char *cgi_param(void *ctx, const char *name);
static int cgi_read(void *ctx, char *buf, int n);
static int cgi_write(void *ctx, const char *buf, size_t n);
static const struct route_method *find_method(const struct route *route,
    const char *method);
static void add_cors(const struct route *route, const struct config *cfg,
    const struct request *req, struct response *res, int preflight);
static const char *fcgi_param(void *ctx, const char *name);
static int fcgi_read(void *ctx, char *buf, int n);
static int fcgi_write(void *ctx, const char *buf, size_t n);
static void finish_without_linger(FCGX_Request *fr);
static void unavailable(struct response *res, long retry_after,
    const char *detail);

int
app_main(const struct route *route)
{
	struct config cfg;
	struct db db;
	FCGX_Request fr;
	struct sigaction sa;
	char err[256];

	/* A client that goes away mid-response must not kill the worker. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * SIGTERM (from multiwatch on stop) lets the request in hand finish,
	 * then ends the loop: accept() is interrupted (no SA_RESTART) and
	 * libfcgi sees the shutdown flag. The process exits through the same
	 * cleanup as always, so LeakSanitizer can check it.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_terminate;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (listener_adopt(err, sizeof(err)) != 0 ||
	    config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "taskapi[%s]: %s\n", route->name, err);
		return 1;
	}
	if (is_cgi()) {
		int rc = serve_cgi(route, &cfg);

		config_free(&cfg);
		return rc;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "taskapi[%s]: cannot initialise FastCGI\n",
		    route->name);
		config_free(&cfg);
		return 1;
	}
	/* Connecting waits for the first request: start-up stays cheap. */
	db_init(&db, cfg.database_url, route->name);
	db.unnamed = cfg.database_unnamed;
	while (FCGX_Accept_r(&fr) >= 0) {
		struct request req;
		struct response res;

		response_init(&res);
		if (request_parse(&req, fcgi_param, fcgi_read, &fr) != 0)
			response_error(&res, 500, "Internal server error");
		else
			app_handle(route, &cfg, &db, &req, &res, time(NULL));
		(void)response_write(&res, fcgi_write, &fr);
		response_free(&res);
		request_free(&req);
		finish_without_linger(&fr);
		FCGX_Finish_r(&fr);
	}
	db_close(&db);
	config_free(&cfg);
	return 0;
}

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

/*
 * libfcgi closes a connection the careful way for TCP: shutdown, then wait
 * (up to 2 s) for the web server to close first, so that input we never
 * read cannot turn into a reset that destroys our answer. Over nginx's unix
 * socket that wait is a sleep and a wake-up per request, while nginx
 * reads the answer: get-one ran about 40% faster without it. So read what
 * is left of the request (nginx has sent it whole: its body is buffered and
 * at most 64 KiB), and when the input ended cleanly, detach the request:
 * libfcgi then just closes. With input left unread it keeps the careful way.
 */
static void
finish_without_linger(FCGX_Request *fr)
{
	char buf[4096];

	while (FCGX_GetStr(buf, sizeof(buf), fr->in) > 0)
		;
	if (FCGX_HasSeenEOF(fr->in) == EOF && FCGX_GetError(fr->in) == 0)
		FCGX_Detach(fr);
}

/*
 * Plain CGI (RFC 3875): the web server started this process for one
 * request and set GATEWAY_INTERFACE; stdin is the body, not a FastCGI
 * listening socket (libfcgi's FCGX_IsCGI looks at that). FCGX_Accept_r
 * does not serve CGI itself: on a stdin that is no socket, its accept
 * fails and the loop would end without an answer.
 */
static int
is_cgi(void)
{
	return getenv("GATEWAY_INTERFACE") != NULL && FCGX_IsCGI();
}

/*
 * One request from the environment and stdin, its answer on stdout, then
 * exit. Start-up stays cheap: the connection is made only if the request
 * needs the database (a 401 or 405 never connects), and since it serves one
 * request, its statements go unnamed, parsed in the round trip that runs
 * them, instead of a PQprepare round trip each; the role check of
 * db_check_role is left to sql/migrate and the FastCGI workers.
 */
static int
serve_cgi(const struct route *route, const struct config *cfg)
{
	struct request req;
	struct response res;
	struct db db;
	int rc = 0;

	db_init(&db, cfg->database_url, route->name);
	db.unnamed = 1;
	db.role_checked = 1;
	response_init(&res);
	if (request_parse(&req, cgi_param, cgi_read, NULL) != 0)
		response_error(&res, 500, "Internal server error");
	else
		app_handle(route, cfg, &db, &req, &res, time(NULL));
	if (response_write(&res, cgi_write, NULL) != 0 || fflush(stdout) != 0)
		rc = 1;
	response_free(&res);
	request_free(&req);
	db_close(&db);
	return rc;
}

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static int
cgi_read(void *ctx, char *buf, int n)
{
	ssize_t got;

	(void)ctx;
	do
		got = read(STDIN_FILENO, buf, (size_t)n);
	while (got < 0 && errno == EINTR);
	return (int)got;
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static void
on_terminate(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
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

static const char *
fcgi_param(void *ctx, const char *name)
{
	FCGX_Request *fr = ctx;

	return FCGX_GetParam(name, fr->envp);
}

static int
fcgi_read(void *ctx, char *buf, int n)
{
	FCGX_Request *fr = ctx;

	return FCGX_GetStr(buf, n, fr->in);
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *fr = ctx;

	return FCGX_PutStr(buf, (int)n, fr->out) == (int)n ? 0 : -1;
}
