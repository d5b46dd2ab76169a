/*
 * status.c: the table of statuses: reason phrases (RFC 9110 15) and the
 * details of the errors that nginx, Apache's http_error and the programs
 * all make, in nginx/errors.conf's words.
 */
#include <stddef.h>

#include "http/status.h"

struct status_words {
	int status;
	const char *reason;
	const char *detail;	/* NULL: the answer always says more */
};

static const struct status_words statuses[] = {
	{ 200, "OK", NULL },
	{ 201, "Created", NULL },
	{ 204, "No Content", NULL },
	{ 304, "Not Modified", NULL },
	{ 400, "Bad Request", "Bad request" },
	{ 401, "Unauthorized", NULL },
	{ 403, "Forbidden", NULL },
	{ 404, "Not Found", "Not Found" },
	{ 405, "Method Not Allowed", "Method Not Allowed" },
	{ 408, "Request Timeout", "Request timeout" },
	{ 409, "Conflict", NULL },
	{ 411, "Length Required", "Length required" },
	{ 412, "Precondition Failed", "Precondition failed" },
	{ 413, "Content Too Large", "Request body too large" },
	{ 414, "URI Too Long", "URI too long" },
	{ 415, "Unsupported Media Type", NULL },
	{ 416, "Range Not Satisfiable", "Range not satisfiable" },
	{ 422, "Unprocessable Content", NULL },
	{ 428, "Precondition Required", NULL },
	{ 429, "Too Many Requests", "Too many requests" },
	/* A program's own failure; nginx and Apache turn theirs into 503. */
	{ 500, "Internal Server Error", "Internal server error" },
	/* nginx's own, for a request it cannot serve (nginx/errors.conf). */
	{ 501, "Not Implemented", "Not implemented" },
	{ 503, "Service Unavailable", "Service temporarily unavailable" },
	{ 505, "HTTP Version Not Supported", "HTTP version not supported" },
	{ 0, NULL, NULL },
};

static const struct status_words *find(int status);

const char *
status_reason(int status)
{
	const struct status_words *s = find(status);

	return s != NULL ? s->reason : "Internal Server Error";
}

const char *
status_detail(int status)
{
	const struct status_words *s = find(status);

	if (s != NULL && s->detail != NULL)
		return s->detail;
	return status_reason(status);
}

static const struct status_words *
find(int status)
{
	for (const struct status_words *s = statuses; s->status != 0; s++)
		if (s->status == status)
			return s;
	return NULL;
}
