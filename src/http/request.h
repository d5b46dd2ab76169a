/*
 * request.h: one HTTP request as the web server hands it to a route program.
 * The parser reads FastCGI/CGI parameters and the body through two callbacks,
 * so the same code serves libfcgi, plain CGI and the tests and fuzzers.
 */
#ifndef TASKAPI_REQUEST_H
#define TASKAPI_REQUEST_H

#include <stddef.h>

/*
 * docs/API.md "Request bodies": a body over 64 KiB is 413. nginx enforces
 * the same cap first.
 */
#define REQUEST_BODY_MAX (64 * 1024)

typedef const char *(*request_param_fn)(void *ctx, const char *name);
/* Reads up to n bytes; returns the count, 0 at end of input, <0 on error. */
typedef int (*request_read_fn)(void *ctx, char *buf, int n);

enum body_state {
	BODY_OK = 0,
	BODY_TOO_LARGE,		/* Content-Length or the bytes sent exceed the cap */
	BODY_BAD_LENGTH,	/* Content-Length is not a number */
	BODY_SHORT,		/* fewer bytes arrived than Content-Length promised */
};

struct request {
	const char *method;
	const char *query;		/* raw, still percent-encoded; never NULL */
	const char *content_type;	/* NULL when absent */
	const char *authorization;	/* NULL when absent */
	const char *origin;		/* NULL when absent */
	const char *task_id;		/* the {id} of the path, NULL when absent */
	/*
	 * docs/API.md "Conditional requests, retries and paging": the raw
	 * header values, NULL when absent (http/etag.h reads the first two).
	 */
	const char *if_match;
	const char *if_none_match;
	const char *idempotency_key;
	/* docs/API.md "Session list": the login's, kept with its session. */
	const char *user_agent;
	char *body;			/* NUL-terminated copy, owned; "" when none */
	size_t body_len;
	enum body_state body_state;
};

/*
 * Fills r from the parameters and reads the body (at most REQUEST_BODY_MAX
 * bytes; a larger body is drained and flagged, never stored). Returns 0, or
 * -1 when memory ran out. Strings other than body point into the caller's
 * parameter storage and live as long as it does.
 */
int request_parse(struct request *r, request_param_fn param, request_read_fn rd,
    void *ctx);
void request_free(struct request *r);

/*
 * Query strings. request_query_get finds key (compared after
 * percent-decoding) and copies its decoded value into out. Returns how many times the key occurs
 * (0, 1, more), or -1 when the value of its first occurrence is malformed
 * (bad %-escape, a decoded NUL, or a value that does not fit out). A name
 * that does not decode, or decodes to another one, is not key: it is
 * skipped, like any unknown parameter (docs/API.md "Query values": those
 * are ignored).
 */
int request_query_get(const char *query, const char *key, char *out,
    size_t outlen);

#endif
