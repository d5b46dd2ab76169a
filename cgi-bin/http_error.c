/*
 * http_error: Apache's own error answers in the contract's JSON shape,
 * for shared hosting (docs/API.md "Shared hosting (Apache)"), where
 * nginx's error pages (nginx/errors.conf) are not there.
 * The .htaccess names it as the ErrorDocument of every status Apache may
 * make itself (an unknown route is its 404); Apache then runs it as a
 * plain CGI program with the original status in REDIRECT_STATUS, and the
 * Status line it prints is what the client gets. Its words, CORS headers,
 * Allow and Retry-After are the programs' own (http/status.h, http/cors.h,
 * the route table), so the client cannot tell which of them answered.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app/route.h"
#include "config/config.h"
#include "http/cors.h"
#include "http/response.h"
#include "http/status.h"
#include "text/text.h"

/* An HTTP status is three digits. */
#define HTTP_ERROR_STATUS_MAX 999

/* What the client gets for a status Apache made. */
struct error_answer {
	int from;		/* what Apache made */
	int status;		/* what the client gets */
};

static const struct error_answer answers[] = {
	{ 400, 400 },
	/* Outside the routes, a file the host refuses is no route either. */
	{ 403, 404 },
	{ 404, 404 },
	{ 405, 405 },
	{ 413, 413 },
	{ 414, 414 },
	{ 0, 0 },
};

static int answer_status(const char *redirect_status);

int
main(void)
{
	const struct route *route;
	struct response res;
	struct config cfg;
	char err[256];
	int have_cfg, status, rc = 0;

	/*
	 * The configuration only decides CORS here: an error page must still
	 * be answered when it cannot be read (a 500 of a program that could
	 * not start is one), so a failure is logged, not fatal.
	 */
	have_cfg = config_load(&cfg, err, sizeof(err)) == 0;
	if (!have_cfg)
		fprintf(stderr, "taskapi[http_error]: %s\n", err);
	response_init(&res);
	cors_error_page(&res, have_cfg ? &cfg : NULL, getenv("HTTP_ORIGIN"));
	status = answer_status(getenv("REDIRECT_STATUS"));
	/*
	 * docs/API.md "Methods": a 405 carries Allow (TraceEnable off gives
	 * one for TRACE).
	 */
	if (status == 405 &&
	    (route = route_by_path(getenv("REDIRECT_URL"))) != NULL)
		response_header(&res, "Allow", "%s", route->allow);
	/*
	 * docs/API.md "Outages": 503 carries Retry-After (as nginx's
	 * @unavailable page does).
	 */
	if (status == 503)
		response_header(&res, "Retry-After", "%d",
		    STATUS_RETRY_AFTER_SECONDS);
	response_error(&res, status, status_detail(status));
	if (response_write_cgi(&res) != 0)
		rc = 1;
	response_free(&res);
	if (have_cfg)
		config_free(&cfg);
	return rc;
}

/*
 * The status to answer for the one Apache made. Without one (run by its
 * own name, which the .htaccess refuses anyway) there was no route: 404.
 * Any other 4xx is a malformed request Apache refused: 400. A 5xx is a
 * program that crashed or could not start, and the client may retry: 503.
 */
static int
answer_status(const char *redirect_status)
{
	long from = 404;

	/*
	 * Apache writes the status as bare digits, and a client cannot set a
	 * REDIRECT_ variable: anything else is no status Apache made (503).
	 */
	if (redirect_status != NULL && text_parse_long(redirect_status, 0,
	    HTTP_ERROR_STATUS_MAX, &from) != TEXT_NUMBER_OK)
		from = 0;

	for (const struct error_answer *a = answers; a->from != 0; a++)
		if (a->from == from)
			return a->status;
	return from >= 400 && from < 500 ? 400 : 503;
}
