/*
 * response.h: the status, headers and body a route program answers with.
 * Bodies are built once, then written in one piece as a CGI response.
 */
#ifndef TASKAPI_RESPONSE_H
#define TASKAPI_RESPONSE_H

#include <stddef.h>

/*
 * Our headers are few and short (Location, Allow, CORS), but for the
 * list's Link, which carries q and a cursor: the longest (200 characters
 * of q, a 255-character title in the cursor) is about 4 KB.
 */
#define RESPONSE_HEADERS_MAX 8192

struct response {
	int status;
	char headers[RESPONSE_HEADERS_MAX];
	size_t headers_len;
	int headers_overflow;
	char *body;		/* owned */
	size_t body_len;
	size_t body_cap;
	int body_failed;	/* out of memory while writing the body */
};

typedef int (*response_write_fn)(void *ctx, const char *buf, size_t n);

void response_init(struct response *res);
void response_free(struct response *res);
void response_reset(struct response *res);

/* Adds "Name: value"; printf-style value. */
void response_header(struct response *res, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A JSON body, written straight into one buffer: no intermediate objects,
 * one allocation that grows by doubling (a 20-task list is about 5 KiB).
 * Begin, append, end; running out of memory on the way makes the answer a
 * plain 500 at response_json_end.
 */
void response_json_begin(struct response *res, int status);
void response_json_raw(struct response *res, const char *s, size_t n);
#define response_json_lit(res, s) response_json_raw((res), (s), sizeof(s) - 1)
/* s (valid UTF-8, no U+0000) as a JSON string, quoted and escaped. */
void response_json_str(struct response *res, const char *s, size_t n);
/* A string, or null when s is NULL. */
void response_json_strz(struct response *res, const char *s);
void response_json_end(struct response *res);
/* docs/API.md "Errors": every error body is {"detail": "<message>"}. */
void response_error(struct response *res, int status, const char *detail);
/*
 * 401 with detail and `WWW-Authenticate: Bearer`: RFC 9110 15.5.2 asks for
 * the challenge on every 401, a failed password login included, and
 * docs/API.md "Authentication" promises it.
 */
void response_unauthorized(struct response *res, const char *detail);
/*
 * 503 with detail and Retry-After: retry_after seconds. docs/API.md "Outages":
 * an outage of what we depend on, never the client's fault.
 */
void response_unavailable(struct response *res, long retry_after,
    const char *detail);
/* A response with no body (204). */
void response_empty(struct response *res, int status);

/* Serialises as a CGI response: Status line, headers, blank line, body. */
int response_write(const struct response *res, response_write_fn wr, void *ctx);
/*
 * Writes res to standard output, as a plain CGI program answers (RFC 3875
 * 6), and flushes it. Returns 0, or -1 when it could not all be written.
 */
int response_write_cgi(const struct response *res);

#endif
