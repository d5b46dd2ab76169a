/*
 * http_error: Apache's own error answers in API.md's shape, for shared
 * hosting, where nginx's error pages (nginx/errors.conf) are not there.
 * The .htaccess names it as the ErrorDocument of every status Apache may
 * make itself (an unknown route is its 404); Apache then runs it as a
 * plain CGI program with the original status in REDIRECT_STATUS, and the
 * Status line it prints is what the client gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "http/response.h"

/* API.md: 503 carries Retry-After (as nginx's @unavailable page does). */
#define RETRY_AFTER_SECONDS 2

struct error_answer {
	int from;		/* what Apache made */
	int status;		/* what the client gets */
	const char *detail;	/* the same words as nginx/errors.conf */
};

static const struct error_answer answers[] = {
	{ 400, 400, "Bad request" },
	/* Outside the routes, a file the host refuses is no route either. */
	{ 403, 404, "Not Found" },
	{ 404, 404, "Not Found" },
	{ 405, 405, "Method Not Allowed" },
	{ 413, 413, "Request body too large" },
	{ 414, 414, "URI too long" },
	{ 0, 0, NULL },
};
/* Any other 4xx (a malformed request Apache refused). */
static const struct error_answer bad_request = { 400, 400, "Bad request" };
/* A 5xx: a program that crashed or could not start. The client may retry. */
static const struct error_answer unavailable =
    { 500, 503, "Service temporarily unavailable" };

static const struct error_answer *find_answer(const char *redirect_status);
static const char *route_allow(const char *path);
static int write_stdout(void *ctx, const char *buf, size_t n);

int
main(void)
{
	const struct error_answer *a;
	const char *allow, *origin = getenv("HTTP_ORIGIN");
	struct response res;
	struct config cfg;
	char err[256];
	int have_cfg, rc = 0;

	/*
	 * The configuration only decides CORS here: an error page must still
	 * be answered when it cannot be read (a 500 of a program that could
	 * not start is one), so a failure is logged, not fatal.
	 */
	have_cfg = config_load(&cfg, err, sizeof(err)) == 0;
	if (!have_cfg)
		fprintf(stderr, "taskapi[http_error]: %s\n", err);
	response_init(&res);
	if (have_cfg && config_origin_allowed(&cfg, origin)) {
		response_header(&res, "Access-Control-Allow-Origin", "%s", origin);
		response_header(&res, "Vary", "Origin");
	}
	a = find_answer(getenv("REDIRECT_STATUS"));
	/* API.md: a 405 carries Allow (TraceEnable off gives one for TRACE). */
	if (a->status == 405 && (allow = route_allow(getenv("REDIRECT_URL"))) != NULL)
		response_header(&res, "Allow", "%s", allow);
	if (a->status == 503)
		response_header(&res, "Retry-After", "%d", RETRY_AFTER_SECONDS);
	response_error(&res, a->status, a->detail);
	if (response_write(&res, write_stdout, NULL) != 0 || fflush(stdout) != 0)
		rc = 1;
	response_free(&res);
	if (have_cfg)
		config_free(&cfg);
	return rc;
}

/*
 * The answer to the status Apache made. Without one (run by its own name,
 * which the .htaccess refuses anyway) there was no route: 404.
 */
static const struct error_answer *
find_answer(const char *redirect_status)
{
	int from = redirect_status != NULL ? atoi(redirect_status) : 404;

	for (const struct error_answer *a = answers; a->from != 0; a++)
		if (a->from == from)
			return a;
	return from >= 400 && from < 500 ? &bad_request : &unavailable;
}

/*
 * The Allow header of the route at path (the URL Apache refused), as the
 * programs send it; NULL for no route. nginx/http.conf has the same map.
 */
static const char *
route_allow(const char *path)
{
	static const struct { const char *path, *allow; } exact[] = {
		{ "/api/health", "GET, OPTIONS" },
		{ "/api/auth/register", "POST, OPTIONS" },
		{ "/api/auth/login", "POST, OPTIONS" },
		{ "/api/auth/me", "GET, OPTIONS" },
		{ "/api/tasks", "GET, POST, OPTIONS" },
	};
	static const char tasks[] = "/api/tasks/", complete[] = "/complete";
	const char *id, *slash;

	if (path == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(path, exact[i].path) == 0)
			return exact[i].allow;
	if (strncmp(path, tasks, sizeof(tasks) - 1) != 0)
		return NULL;
	/* /api/tasks/{id} and /api/tasks/{id}/complete, {id} not empty. */
	id = path + sizeof(tasks) - 1;
	if ((slash = strchr(id, '/')) == NULL)
		return id[0] != '\0' ? "GET, PUT, PATCH, DELETE, OPTIONS" : NULL;
	if (slash > id && strcmp(slash, complete) == 0)
		return "PATCH, OPTIONS";
	return NULL;
}

static int
write_stdout(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}
