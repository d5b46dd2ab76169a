/*
 * request.c: turns FastCGI/CGI parameters and the body stream into a
 * struct request, and reads query strings. Nothing here trusts the client:
 * lengths are checked, the body is capped, and escapes are validated.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "text/text.h"

static const char *param_or(request_param_fn param, void *ctx,
    const char *name, const char *dflt);
static const char *param_or_redirected(request_param_fn param, void *ctx,
    const char *name);
static int parse_length(const char *s, size_t *out);
static int read_body(struct request *r, request_read_fn rd, void *ctx,
    size_t want, int known);
static int decode_part(const char *s, size_t len, char *out, size_t outlen);

int
request_parse(struct request *r, request_param_fn param, request_read_fn rd,
    void *ctx)
{
	const char *cl;
	size_t len = 0;
	int known = 0;

	memset(r, 0, sizeof(*r));
	r->method = param_or(param, ctx, "REQUEST_METHOD", "GET");
	r->query = param_or(param, ctx, "QUERY_STRING", "");
	r->content_type = param_or(param, ctx, "CONTENT_TYPE", NULL);
	r->authorization = param_or_redirected(param, ctx, "HTTP_AUTHORIZATION");
	r->origin = param_or(param, ctx, "HTTP_ORIGIN", NULL);
	r->task_id = param_or_redirected(param, ctx, "TASK_ID");
	r->if_match = param_or(param, ctx, "HTTP_IF_MATCH", NULL);
	r->if_none_match = param_or(param, ctx, "HTTP_IF_NONE_MATCH", NULL);
	r->idempotency_key = param_or(param, ctx, "HTTP_IDEMPOTENCY_KEY", NULL);
	r->user_agent = param_or(param, ctx, "HTTP_USER_AGENT", NULL);
	if (r->content_type != NULL && r->content_type[0] == '\0')
		r->content_type = NULL;

	cl = param_or(param, ctx, "CONTENT_LENGTH", NULL);
	if (cl != NULL && cl[0] != '\0') {
		if (parse_length(cl, &len) != 0) {
			r->body_state = BODY_BAD_LENGTH;
			len = 0;
		} else
			known = 1;
	}
	if (r->body_state == BODY_OK && known && len > REQUEST_BODY_MAX) {
		/* Refuse before reading; the web server drops the rest. */
		r->body_state = BODY_TOO_LARGE;
		len = 0;
	}
	return read_body(r, rd, ctx, len, known || r->body_state != BODY_OK);
}

void
request_free(struct request *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static const char *
param_or(request_param_fn param, void *ctx, const char *name, const char *dflt)
{
	const char *v = param(ctx, name);

	return v != NULL ? v : dflt;
}

/*
 * Apache under plain CGI: a variable that an .htaccess rewrite rule sets
 * (the Authorization header, which Apache keeps from CGI programs unless
 * CGIPassAuth is on, and the {id} of the path) reaches the program with
 * REDIRECT_ in front, because the rewrite is an internal redirect. Request
 * headers arrive as HTTP_*, so a client cannot make a REDIRECT_ variable;
 * nginx sends neither name.
 */
static const char *
param_or_redirected(request_param_fn param, void *ctx, const char *name)
{
	char redirected[64];
	const char *v = param(ctx, name);

	if (v != NULL)
		return v;
	snprintf(redirected, sizeof(redirected), "REDIRECT_%s", name);
	return param(ctx, redirected);
}

/*
 * Content-Length is decimal digits only; anything else is refused. Digits
 * past a long are a length too large, not a malformed one.
 */
static int
parse_length(const char *s, size_t *out)
{
	long v;

	switch (text_parse_long(s, 0, LONG_MAX, &v)) {
	case TEXT_NUMBER_OK:
		*out = (size_t)v;
		return 0;
	case TEXT_NUMBER_RANGE:
		*out = (size_t)REQUEST_BODY_MAX + 1;
		return 0;
	case TEXT_NUMBER_MALFORMED:
		break;
	}
	return -1;
}

/*
 * Reads exactly want bytes when the length is known, else up to the end of
 * input. At most REQUEST_BODY_MAX bytes are kept; one byte more marks the
 * body too large. Cost: one copy of at most 64 KiB.
 */
static int
read_body(struct request *r, request_read_fn rd, void *ctx, size_t want,
    int known)
{
	size_t cap = known ? want : REQUEST_BODY_MAX + 1;
	size_t got = 0;
	int n;

	if ((r->body = malloc(cap + 1)) == NULL)
		return -1;
	while (got < cap) {
		n = rd(ctx, r->body + got, (int)(cap - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	if (r->body_state != BODY_OK)
		return 0;
	if (known && got < want)
		r->body_state = BODY_SHORT;
	else if (!known && got > REQUEST_BODY_MAX)
		r->body_state = BODY_TOO_LARGE;
	return 0;
}

/* Percent-decodes s[0..len) into out; "+" is a space (form encoding). */
static int
decode_part(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo, ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '%') {
			if (len - i < 3)
				return -1;
			hi = text_hex_digit((unsigned char)s[i + 1]);
			lo = text_hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = hi * 16 + lo;
			i += 2;
			if (ch == 0)
				return -1;
		} else if (ch == '+')
			ch = ' ';
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

int
request_query_get(const char *query, const char *key, char *out,
    size_t outlen)
{
	char name[64];
	const char *p = query, *amp, *eq;
	size_t plen;
	int count = 0;

	while (*p != '\0') {
		amp = strchr(p, '&');
		plen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', plen);
		if (plen > 0) {
			size_t klen = eq != NULL ? (size_t)(eq - p) : plen;

			/* A key too long for name cannot be one we look for. */
			if (decode_part(p, klen, name, sizeof(name)) == 0 &&
			    strcmp(name, key) == 0) {
				count++;
				if (count == 1) {
					const char *v = eq != NULL ? eq + 1 : p + plen;
					size_t vlen = (size_t)(p + plen - v);

					if (decode_part(v, vlen, out, outlen) != 0)
						return -1;
				}
			}
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return count;
}
