/*
 * response.h: the status, headers and body a route program answers with.
 * Bodies are built once, then written in one piece as a CGI response.
 */
#ifndef TASKAPI_RESPONSE_H
#define TASKAPI_RESPONSE_H

#include <stddef.h>

struct json_object;

/* Our headers are few and short (Location, Allow, CORS); 4 KiB is ample. */
#define RESPONSE_HEADERS_MAX 4096

struct response {
	int status;
	char headers[RESPONSE_HEADERS_MAX];
	size_t headers_len;
	int headers_overflow;
	char *body;		/* owned */
	size_t body_len;
};

typedef int (*response_write_fn)(void *ctx, const char *buf, size_t n);

void response_init(struct response *res);
void response_free(struct response *res);
void response_reset(struct response *res);

/* Adds "Name: value"; printf-style value. */
void response_header(struct response *res, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A JSON body; takes ownership of obj (it is released here). */
void response_json(struct response *res, int status, struct json_object *obj);
/* API.md: every error body is {"detail": "<message>"}. */
void response_error(struct response *res, int status, const char *detail);
/* A response with no body (204). */
void response_empty(struct response *res, int status);

const char *response_reason(int status);
/* Serialises as a CGI response: Status line, headers, blank line, body. */
int response_write(const struct response *res, response_write_fn wr, void *ctx);

#endif
