/*
 * token.h: bearer tokens. Ours are HS256: libjwt signs them, and they are
 * verified with OpenSSL's HMAC directly; an external issuer's (EdDSA, ECDSA,
 * RSA) are checked against its key set (jwks/jwks.h). The libraries check
 * signatures only: every claim rule of the contract is enforced here.
 */
#ifndef TASKAPI_TOKEN_H
#define TASKAPI_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "domain/user.h"

struct config;

/* docs/API.md "Tokens issued here": clock-skew leeway for exp, nbf and iat. */
#define TOKEN_LEEWAY 30
/* docs/API.md "Subjects": a subject is at most 255 characters (code points). */
#define TOKEN_SUBJECT_MAX 255
/* Longer tokens are refused before any decoding work. */
#define TOKEN_LENGTH_MAX 8192
/* UTF-8 needs at most 4 bytes a code point. */
#define TOKEN_SUBJECT_BYTES (TOKEN_SUBJECT_MAX * 4 + 1)
/* A session id: a UUID's 36 characters and the NUL. */
#define TOKEN_SID_BYTES 37

enum token_status {
	TOKEN_OK = 0,
	TOKEN_ABSENT,		/* 401 "Not authenticated" */
	TOKEN_EXPIRED,		/* 401 "Token has expired" */
	TOKEN_INVALID,		/* 401 "Invalid authentication token" */
	TOKEN_NO_SUBJECT,	/* 401 "Token missing user identifier" */
	TOKEN_UNAVAILABLE,	/* 503: the issuer's keys could never be had */
};

struct token_claims {
	char subject[TOKEN_SUBJECT_BYTES];
	char email[USER_EMAIL_BYTES];	/* "" when the token has none */
	/*
	 * 1 when the key set's issuer signed it, 0 for JWT_SECRET: a subject
	 * belongs to one of them (docs/API.md "Subjects").
	 */
	int by_jwks;
	/*
	 * docs/API.md "Session tokens": the session of a token verified with
	 * JWT_SECRET, a UUID in lower case; "" when the token has none (an
	 * external issuer's sid is not ours, and is ignored).
	 */
	char sid[TOKEN_SID_BYTES];
	long retry_after;	/* TOKEN_UNAVAILABLE: seconds, for Retry-After */
};

/* Verifies an Authorization header value (may be NULL) at time now. */
enum token_status token_verify(const struct config *cfg,
    const char *authorization, time_t now, struct token_claims *out);
/* Verifies a bare token (no scheme). */
enum token_status token_verify_jwt(const struct config *cfg, const char *jwt,
    time_t now, struct token_claims *out);
const char *token_status_detail(enum token_status st);

/*
 * Issues an HS256 token for subject (email may be NULL) of session sid (a
 * UUID; NULL: none) valid from now for cfg->jwt_expires_in seconds
 * (auth/issue.c). Returns a string to free(), or NULL.
 */
char *token_issue(const struct config *cfg, const char *subject,
    const char *email, const char *sid, time_t now);

#endif
