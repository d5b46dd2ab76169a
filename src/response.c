/*
 * response.c: builds a response in memory and writes it as one CGI reply.
 * Every JSON body goes through response_json, so every body is compact
 * UTF-8 and every error has API.md's {"detail": ...} shape.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "body.h"
#include "response.h"

void
response_init(struct response *res)
{
	memset(res, 0, sizeof(*res));
	res->status = 200;
}

void
response_free(struct response *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

void
response_reset(struct response *res)
{
	response_free(res);
	response_init(res);
}

void
response_header(struct response *res, const char *name, const char *fmt, ...)
{
	size_t room = sizeof(res->headers) - res->headers_len;
	size_t start = res->headers_len;
	va_list ap;
	int n;

	n = snprintf(res->headers + start, room, "%s: ", name);
	if (n < 0 || (size_t)n >= room)
		goto overflow;
	start += (size_t)n;
	room -= (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(res->headers + start, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room)
		goto overflow;
	/* A value must not smuggle another header in. */
	if (strpbrk(res->headers + start, "\r\n") != NULL)
		goto overflow;
	start += (size_t)n;
	memcpy(res->headers + start, "\r\n", 3);
	res->headers_len = start + 2;
	return;
overflow:
	res->headers[res->headers_len] = '\0';
	res->headers_overflow = 1;
}

void
response_json(struct response *res, int status, struct json_object *obj)
{
	const char *s;
	size_t len = 0;

	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	res->status = status;
	if (obj == NULL || (s = body_to_string(obj, &len)) == NULL ||
	    (res->body = malloc(len + 1)) == NULL) {
		json_object_put(obj);
		res->status = 500;
		res->body = strdup("{\"detail\":\"Internal server error\"}");
		res->body_len = res->body != NULL ? strlen(res->body) : 0;
		return;
	}
	memcpy(res->body, s, len + 1);
	res->body_len = len;
	json_object_put(obj);
}

void
response_error(struct response *res, int status, const char *detail)
{
	struct json_object *obj = json_object_new_object();

	if (obj != NULL)
		json_object_object_add(obj, "detail",
		    json_object_new_string(detail));
	response_json(res, status, obj);
}

void
response_empty(struct response *res, int status)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	res->status = status;
}

const char *
response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

int
response_write(const struct response *res, response_write_fn wr, void *ctx)
{
	char head[RESPONSE_HEADERS_MAX + 256];
	int n;

	if (res->body != NULL)
		n = snprintf(head, sizeof(head),
		    "Status: %d %s\r\n%sContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", res->status,
		    response_reason(res->status), res->headers, res->body_len);
	else
		n = snprintf(head, sizeof(head), "Status: %d %s\r\n%s\r\n",
		    res->status, response_reason(res->status), res->headers);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (wr(ctx, head, (size_t)n) != 0)
		return -1;
	if (res->body != NULL && res->body_len > 0 &&
	    wr(ctx, res->body, res->body_len) != 0)
		return -1;
	return 0;
}
