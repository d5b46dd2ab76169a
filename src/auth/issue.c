/*
 * issue.c: the tokens issued here (docs/API.md "Tokens issued here",
 * "Session tokens"): HS256, signed by libjwt with JWT_SECRET.
 */
#include <string.h>

#include <jwt.h>

#include "auth/token.h"
#include "config/config.h"

char *
token_issue(const struct config *cfg, const char *subject, const char *email,
    const char *sid, time_t now)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	/* Without a secret (a JWKS-only deployment) we issue nothing. */
	if (cfg->jwt_secret == NULL || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", subject) != 0 ||
	    (email != NULL && jwt_add_grant(jwt, "email", email) != 0) ||
	    (sid != NULL && jwt_add_grant(jwt, "sid", sid) != 0) ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + cfg->jwt_expires_in) != 0 ||
	    (cfg->jwt_issuer != NULL &&
	    jwt_add_grant(jwt, "iss", cfg->jwt_issuer) != 0) ||
	    (cfg->jwt_audience != NULL &&
	    jwt_add_grant(jwt, "aud", cfg->jwt_audience) != 0))
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256,
	    (const unsigned char *)cfg->jwt_secret,
	    (int)strlen(cfg->jwt_secret)) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}
