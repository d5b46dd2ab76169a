/*
 * cors.c: the CORS headers of an answer, by kind of answer. No credentials
 * mode (the token travels in a header): the allowed Origin is echoed, never
 * a wildcard, and Access-Control-Allow-Credentials is never sent.
 */
#include <stddef.h>

#include "http/cors.h"
#include "text/text.h"

/* A preflight's answer may be reused this long (seconds). */
#define CORS_MAX_AGE 600

static int allow_origin(struct response *res, const struct config *cfg,
    const char *origin);
static int cors_list_set(const struct config *cfg);

void
cors_preflight(struct response *res, const struct config *cfg,
    const char *origin, const char *allow)
{
	if (!allow_origin(res, cfg, origin))
		return;
	response_header(res, "Access-Control-Allow-Methods", "%s", allow);
	/* docs/API.md "CORS and OpenAPI additions". */
	response_header(res, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, If-Match, If-None-Match, "
	    "Idempotency-Key");
	response_header(res, "Access-Control-Max-Age", "%d", CORS_MAX_AGE);
}

void
cors_answer(struct response *res, const struct config *cfg,
    const char *origin)
{
	if (allow_origin(res, cfg, origin))
		response_header(res, "Access-Control-Expose-Headers",
		    "Location, X-Total-Count, ETag, Link, Idempotent-Replayed, "
		    "Retry-After");
}

void
cors_error_page(struct response *res, const struct config *cfg,
    const char *origin)
{
	(void)allow_origin(res, cfg, origin);
}

/*
 * The two headers every CORS answer has, when origin is allowed. Vary:
 * with an allow-list, every answer depends on the Origin (an allowed one
 * gets the headers, another none), so a cache must not give one origin's
 * answer to another, nor an answer without Origin to an allowed one
 * (docs/API.md "CORS"). Returns whether origin is allowed.
 */
static int
allow_origin(struct response *res, const struct config *cfg,
    const char *origin)
{
	if (cfg == NULL || !cors_list_set(cfg))
		return 0;
	if (!config_origin_allowed(cfg, origin)) {
		response_header(res, "Vary", "Origin");
		return 0;
	}
	response_header(res, "Access-Control-Allow-Origin", "%s", origin);
	response_header(res, "Vary", "Origin");
	return 1;
}

/* Whether CORS_ALLOWED_ORIGINS names any origin (not only separators). */
static int
cors_list_set(const struct config *cfg)
{
	const char *p = cfg->cors_allowed_origins, *item;
	size_t n;

	if (p == NULL)
		return 0;
	while (text_list_next(&p, &item, &n))
		if (n > 0)
			return 1;
	return 0;
}
