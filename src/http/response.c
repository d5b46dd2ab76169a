/*
 * response.c: builds a response in memory and writes it as one CGI reply.
 * JSON bodies are written straight into the response's buffer, compact,
 * with strings escaped the way json-c escapes them (without "\/"), and
 * every error has the {"detail": ...} shape of docs/API.md "Errors".
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/response.h"
#include "http/status.h"

/* Most bodies fit; a list of 20 tasks doubles it once or twice. */
#define RESPONSE_BODY_START 1024

/*
 * The state every function here keeps: the headers end with a NUL at
 * headers_len, inside the array; the body is either absent (no length, no
 * capacity) or has room for its final NUL.
 */
#define RESPONSE_HEADERS_SOUND(res) \
	((res)->headers_len < sizeof((res)->headers) && \
	    (res)->headers[(res)->headers_len] == '\0')
#define RESPONSE_BODY_SOUND(res) \
	((res)->body != NULL ? (res)->body_len < (res)->body_cap : \
	    (res)->body_len == 0 && (res)->body_cap == 0)

static int body_room(struct response *res, size_t n);
static int has_header(const char *headers, const char *name);
static const char *fixed_headers(const struct response *res);
static int write_stdout(void *ctx, const char *buf, size_t n);

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
	res->body_cap = 0;
	res->body_failed = 0;
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

	/* room is at least 1, and the overflow path below writes in bounds. */
	assert(RESPONSE_HEADERS_SOUND(res));
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
response_json_begin(struct response *res, int status)
{
	response_free(res);
	res->status = status;
	(void)body_room(res, 0);
}

/* Makes room for n more bytes and the final NUL; 0, or -1 (failed). */
static int
body_room(struct response *res, size_t n)
{
	size_t cap = res->body_cap;
	char *p;

	assert(RESPONSE_BODY_SOUND(res));
	if (res->body_failed)
		return -1;
	if (res->body_len + n < cap)
		return 0;
	if (n > SIZE_MAX / 4 - res->body_len) {
		res->body_failed = 1;
		return -1;
	}
	if (cap == 0)
		cap = RESPONSE_BODY_START;
	while (cap <= res->body_len + n)
		cap *= 2;
	if ((p = realloc(res->body, cap)) == NULL) {
		res->body_failed = 1;
		return -1;
	}
	res->body = p;
	res->body_cap = cap;
	return 0;
}

void
response_json_raw(struct response *res, const char *s, size_t n)
{
	if (body_room(res, n) != 0)
		return;
	memcpy(res->body + res->body_len, s, n);
	res->body_len += n;
}

/*
 * Escapes what JSON requires: the quote, the backslash and the control
 * characters, the short forms where JSON has them. Everything else,
 * multi-byte UTF-8 included, is copied in runs. Worst case 6 bytes a byte.
 */
void
response_json_str(struct response *res, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	char *out;

	if (n > SIZE_MAX / 8 || body_room(res, 6 * n + 2) != 0)
		return;
	out = res->body + res->body_len;
	*out++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		memcpy(out, s + run, i - run);
		out += i - run;
		run = i + 1;
		*out++ = '\\';
		switch (ch) {
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		case '\b': *out++ = 'b'; break;
		case '\f': *out++ = 'f'; break;
		case '\n': *out++ = 'n'; break;
		case '\r': *out++ = 'r'; break;
		case '\t': *out++ = 't'; break;
		default:
			memcpy(out, "u00", 3);
			out[3] = hex[ch >> 4];
			out[4] = hex[ch & 0xf];
			out += 5;
		}
	}
	memcpy(out, s + run, n - run);
	out += n - run;
	*out++ = '"';
	res->body_len = (size_t)(out - res->body);
	/* The worst case body_room made room for held: 6 a byte, 2 quotes. */
	assert(res->body_len < res->body_cap);
}

void
response_json_strz(struct response *res, const char *s)
{
	if (s == NULL)
		response_json_lit(res, "null");
	else
		response_json_str(res, s, strlen(s));
}

void
response_json_end(struct response *res)
{
	static const char failed[] = "{\"detail\":\"Internal server error\"}";

	if (body_room(res, 0) == 0) {
		res->body[res->body_len] = '\0';
		return;
	}
	response_free(res);
	res->status = 500;
	if ((res->body = strdup(failed)) != NULL) {
		res->body_len = sizeof(failed) - 1;
		res->body_cap = sizeof(failed);
	}
}

void
response_error(struct response *res, int status, const char *detail)
{
	response_json_begin(res, status);
	response_json_lit(res, "{\"detail\":");
	response_json_strz(res, detail);
	response_json_lit(res, "}");
	response_json_end(res);
}

void
response_unauthorized(struct response *res, const char *detail)
{
	response_header(res, "WWW-Authenticate", "Bearer");
	response_error(res, 401, detail);
}

void
response_unavailable(struct response *res, long retry_after,
    const char *detail)
{
	response_header(res, "Retry-After", "%ld", retry_after);
	response_error(res, 503, detail);
}

void
response_empty(struct response *res, int status)
{
	response_free(res);
	res->status = status;
}

int
response_write(const struct response *res, response_write_fn wr, void *ctx)
{
	char head[RESPONSE_HEADERS_MAX + 256];
	int n;

	/* The headers are printed as a string, the body by its length. */
	assert(RESPONSE_HEADERS_SOUND(res) && RESPONSE_BODY_SOUND(res));
	if (res->body != NULL)
		n = snprintf(head, sizeof(head),
		    "Status: %d %s\r\n%s%sContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", res->status,
		    status_reason(res->status), res->headers,
		    fixed_headers(res), res->body_len);
	else
		n = snprintf(head, sizeof(head), "Status: %d %s\r\n%s%s\r\n",
		    res->status, status_reason(res->status), res->headers,
		    fixed_headers(res));
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (wr(ctx, head, (size_t)n) != 0)
		return -1;
	if (res->body != NULL && res->body_len > 0 &&
	    wr(ctx, res->body, res->body_len) != 0)
		return -1;
	return 0;
}

/*
 * docs/API.md "General": no answer is to be sniffed into another type, and
 * none is kept by a cache unless it says so itself: answers carry user
 * data and tokens, and this is the one place that says no-store.
 */
static const char *
fixed_headers(const struct response *res)
{
	if (has_header(res->headers, "Cache-Control"))
		return "X-Content-Type-Options: nosniff\r\n";
	return "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n";
}

/* Whether headers ("Name: value\r\n" lines) has one named name. */
static int
has_header(const char *headers, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = headers; p != NULL && *p != '\0';) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return 0;
}

int
response_write_cgi(const struct response *res)
{
	if (response_write(res, write_stdout, NULL) != 0)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
write_stdout(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}
