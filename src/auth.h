/*
 * auth.h: bearer tokens (our HS256 on libjwt, an external issuer's EdDSA,
 * ECDSA and RSA against its key set in jwks.h) and passwords (scrypt on
 * libscrypt). The libraries check signatures only: every claim rule of
 * API.md is enforced here, and libjwt's getters are used nowhere else.
 */
#ifndef TASKAPI_AUTH_H
#define TASKAPI_AUTH_H

#include <stddef.h>
#include <time.h>

struct config;

/* API.md: clock-skew leeway for exp and nbf. */
#define TOKEN_LEEWAY 30
/* API.md: a subject is at most 255 characters (code points). */
#define TOKEN_SUBJECT_MAX 255
/* Longer tokens are refused before any decoding work. */
#define TOKEN_LENGTH_MAX 8192
/* UTF-8 needs at most 4 bytes a code point. */
#define TOKEN_SUBJECT_BYTES (TOKEN_SUBJECT_MAX * 4 + 1)
#define TOKEN_EMAIL_BYTES (254 * 4 + 1)

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
	char email[TOKEN_EMAIL_BYTES];	/* "" when the token has none */
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
 * Issues an HS256 token for subject (email may be NULL) valid from now for
 * cfg->jwt_expires_in seconds. Returns a string to free(), or NULL.
 */
char *token_issue(const struct config *cfg, const char *subject,
    const char *email, time_t now);

/*
 * scrypt parameters: OWASP's N=2^14, r=8, p=5 row, as strong as N=2^17, r=8,
 * p=1 but 16 MiB of memory a hash instead of 128 MiB, so several workers can
 * hash at once on a small host. The MCF string records them, so they can be
 * raised later without invalidating stored hashes.
 */
#define PASSWORD_SCRYPT_N 16384u
#define PASSWORD_SCRYPT_R 8
#define PASSWORD_SCRYPT_P 5
#define PASSWORD_HASH_BYTES 128	/* libscrypt's SCRYPT_MCF_LEN */

/* Hashes password into out (MCF). Returns 0, or -1. */
int password_hash(const char *password, char out[PASSWORD_HASH_BYTES]);
/*
 * Checks password against a stored MCF hash. A NULL stored hash (no account,
 * or one without a password) is checked against a fixed hash of the same
 * cost, so the time spent does not tell which case it was.
 * Returns 1 on match, 0 on mismatch, -1 on a malformed hash.
 */
int password_verify(const char *stored, const char *password);
/* The fixed hash used for NULL; exposed so a test can check its cost. */
extern const char password_dummy_hash[];

#endif
