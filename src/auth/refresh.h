/*
 * refresh.h: the refresh tokens of docs/API.md "Refresh": 32 random bytes
 * in base64url, stored only as their SHA-256; a token's successor is
 * derived from it with an HMAC under JWT_SECRET, so a token presented
 * twice gets the same successor while only hashes are stored.
 */
#ifndef TASKAPI_REFRESH_H
#define TASKAPI_REFRESH_H

#include <stddef.h>

/* docs/API.md "Session tokens": at least 128 bits of randomness; 256 here. */
#define REFRESH_RANDOM_BYTES 32
/* The token's text: 43 base64url characters and the NUL. */
#define REFRESH_TOKEN_BYTES 44
/* Its hash as a bytea parameter: "\x", 64 hex digits, the NUL. */
#define REFRESH_HASH_TEXT_BYTES 67
/*
 * docs/API.md "Refresh": a used-up token presented again this soon after
 * its first use is answered with the same successor; later, it is reuse.
 */
#define REFRESH_GRACE_SECONDS 10

/* A new token from the system's random source. Returns 0, or -1. */
int refresh_token_new(char out[REFRESH_TOKEN_BYTES]);
/*
 * The successor of token: base64url(HMAC-SHA256(secret, "refresh:" ||
 * token)). Returns 0, or -1.
 */
int refresh_token_next(const char *secret, const char *token,
    char out[REFRESH_TOKEN_BYTES]);
/* SHA-256 of token's text, as PostgreSQL reads a bytea: "\x<hex>". */
int refresh_token_hash(const char *token, char out[REFRESH_HASH_TEXT_BYTES]);
/*
 * Whether text has the form of a token issued here (43 base64url
 * characters): anything else is refused without a database look-up.
 */
int refresh_token_shape_ok(const char *text, size_t len);

#endif
