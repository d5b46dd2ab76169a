/*
 * loop.c: the loop every route program runs. The same program serves as a
 * FastCGI worker (many requests on one listening socket, until SIGTERM) or
 * as a plain CGI program (one request from the environment and stdin);
 * either way each request goes through app_handle (pipeline.c) and its
 * answer is written in one piece.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app/app.h"
#include "app/listener.h"
#include "auth/password.h"
#include "db/replica.h"
#include "http/body.h"
#include "http/status.h"

static void on_terminate(int sig);
static int check_handlers(const struct route *route, const char *route_name,
    const struct app_handler *handlers, char *err, size_t errlen);
static int is_cgi(void);
static int serve_fcgi(const struct route *route,
    const struct app_handler *handlers, const struct config *cfg);
static int serve_cgi(const struct route *route,
    const struct app_handler *handlers, const struct config *cfg);
static int cgi_detach(void);
static const char *cgi_param(void *ctx, const char *name);
static const char *fcgi_param(void *ctx, const char *name);
static int fcgi_read(void *ctx, char *buf, int n);
static int fcgi_write(void *ctx, const char *buf, size_t n);
static void finish_without_linger(FCGX_Request *fr);

int
app_main(const char *route_name, const struct app_handler *handlers)
{
	const struct route *route = route_by_name(route_name);
	struct config cfg;
	struct sigaction sa;
	char err[256];
	int rc;

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
	if (check_handlers(route, route_name, handlers, err, sizeof(err)) != 0 ||
	    listener_adopt(err, sizeof(err)) != 0 ||
	    config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "taskapi[%s]: %s\n", route_name, err);
		return 1;
	}
	/* Within its bounds: config_load checked them. */
	(void)password_cost_set(cfg.password_scrypt_log2_n);
	rc = is_cgi() ? serve_cgi(route, handlers, &cfg) :
	    serve_fcgi(route, handlers, &cfg);
	config_free(&cfg);
	return rc;
}

/*
 * The program and the table agree: a handler for each method of the route
 * (cgi-bin/routes.txt), and none for a method it does not list, which
 * would never run. A program built against another table refuses to
 * start rather than answer 405 or run a handler without the table's
 * authentication. Returns 0, or -1 with the reason in err.
 */
static int
check_handlers(const struct route *route, const char *route_name,
    const struct app_handler *handlers, char *err, size_t errlen)
{
	const struct app_handler *h;

	if (route == NULL) {
		snprintf(err, errlen, "no route %s in the route table", route_name);
		return -1;
	}
	for (const struct route_method *m = route->methods; m->method != NULL; m++) {
		for (h = handlers; h->method != NULL; h++)
			if (strcmp(h->method, m->method) == 0)
				break;
		if (h->method == NULL || h->handler == NULL) {
			snprintf(err, errlen, "the route table's %s has no handler",
			    m->method);
			return -1;
		}
	}
	for (h = handlers; h->method != NULL; h++)
		if (route_find_method(route, h->method) == NULL) {
			snprintf(err, errlen, "a handler for %s, which the route "
			    "table does not give this route", h->method);
			return -1;
		}
	return 0;
}

/* FastCGI: requests on the listening socket until SIGTERM. */
static int
serve_fcgi(const struct route *route, const struct app_handler *handlers,
    const struct config *cfg)
{
	struct db db, read;
	FCGX_Request fr;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "taskapi[%s]: cannot initialise FastCGI\n",
		    route->name);
		return 1;
	}
	/* Connecting waits for the first request: start-up stays cheap. */
	db_init(&db, cfg->database_url, route->name);
	db.unnamed = cfg->database_unnamed;
	if (cfg->database_read_url != NULL)
		replica_attach(&db, &read, cfg->database_read_url);
	while (FCGX_Accept_r(&fr) >= 0) {
		struct ctx_after after = { NULL, NULL };
		struct request req;
		struct response res;

		response_init(&res);
		if (request_parse(&req, fcgi_param, fcgi_read, &fr) != 0)
			response_error(&res, 500, status_detail(500));
		else
			app_handle(route, handlers, cfg, &db, &req, &res,
			    time(NULL), &after);
		(void)response_write(&res, fcgi_write, &fr);
		response_free(&res);
		request_free(&req);
		finish_without_linger(&fr);
		FCGX_Finish_r(&fr);
		/* The web server has ended the answer: now the rest. */
		ctx_after_run(&after, cfg);
	}
	db_close(&db);
	return 0;
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
serve_cgi(const struct route *route, const struct app_handler *handlers,
    const struct config *cfg)
{
	struct ctx_after after = { NULL, NULL };
	struct body_cgi_input in;
	struct request req;
	struct response res;
	struct db db, read;
	int rc = 0;

	db_init(&db, cfg->database_url, route->name);
	db.unnamed = 1;
	db.role_checked = 1;
	if (cfg->database_read_url != NULL)
		replica_attach(&db, &read, cfg->database_read_url);
	response_init(&res);
	/*
	 * docs/API.md "Shared hosting (Apache)": the whole body within
	 * CGI_BODY_TIMEOUT, or 408 and exit. Apache passes the body on as it
	 * comes, so a client trickling it would hold this process as long as
	 * it liked.
	 */
	body_cgi_input_init(&in, STDIN_FILENO, cfg->cgi_body_timeout);
	if (request_parse(&req, cgi_param, body_cgi_read, &in) != 0)
		response_error(&res, 500, status_detail(500));
	else if (in.timed_out)
		response_error(&res, 408, status_detail(408));
	else
		app_handle(route, handlers, cfg, &db, &req, &res, time(NULL),
		    &after);
	if (response_write_cgi(&res) != 0)
		rc = 1;
	response_free(&res);
	request_free(&req);
	db_close(&db);
	if (after.run != NULL && cgi_detach() != 0)
		rc = 1;
	ctx_after_run(&after, cfg);
	return rc;
}

/*
 * Ends the web server's part before the work left for after the answer.
 * Apache's mod_cgi lets the answer go only once the program's stdout and
 * its stderr have both ended (it reads stderr to its end first, for its
 * error log; measured: a reset answer waited 0.2 s for its mail). So
 * stdout is closed and stdin and stderr become /dev/null: what the work
 * after would log is lost under plain CGI (FastCGI keeps its log). Apache
 * then signals the process (SIGTERM, which only sets the loop's flag) and
 * kills it 3 s later (mod_cgi's APR_KILL_AFTER_TIMEOUT): the work must fit
 * in that. Returns 0, or -1 when stdout could not be flushed.
 */
static int
cgi_detach(void)
{
	int null, rc = 0;

	fflush(stderr);
	if (fclose(stdout) != 0)
		rc = -1;
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return rc;
}

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static void
on_terminate(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
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
