/*
 * cors.c: the CORS headers of an answer, by kind of answer. No credentials
 * mode (the token travels in a header): the allowed Origin is echoed, never
 * a wildcard, and Access-Control-Allow-Credentials is never sent.
 */
#include <stddef.h>

#include "http/cors.h"

/* A preflight's answer may be reused this long (seconds). */
#define CORS_MAX_AGE 600

static int allow_origin(struct response *res, const struct config *cfg,
    const char *origin);

void
cors_preflight(struct response *res, const struct config *cfg,
    const char *origin, const char *allow)
{
	if (!allow_origin(res, cfg, origin))
		return;
	response_header(res, "Access-Control-Allow-Methods", "%s", allow);
	response_header(res, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type");
	response_header(res, "Access-Control-Max-Age", "%d", CORS_MAX_AGE);
}

void
cors_answer(struct response *res, const struct config *cfg,
    const char *origin)
{
	if (allow_origin(res, cfg, origin))
		response_header(res, "Access-Control-Expose-Headers",
		    "Location, X-Total-Count");
}

void
cors_error_page(struct response *res, const struct config *cfg,
    const char *origin)
{
	(void)allow_origin(res, cfg, origin);
}

/*
 * The two headers every CORS answer has, when origin is allowed. Vary:
 * a cache must not give this answer to another origin. Returns whether
 * origin is allowed.
 */
static int
allow_origin(struct response *res, const struct config *cfg,
    const char *origin)
{
	if (cfg == NULL || !config_origin_allowed(cfg, origin))
		return 0;
	response_header(res, "Access-Control-Allow-Origin", "%s", origin);
	response_header(res, "Vary", "Origin");
	return 1;
}
