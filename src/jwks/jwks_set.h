/*
 * jwks_set.h: the key set parser alone, for the unit tests and the fuzz
 * target (test-only: the library's callers need jwks.h only). Keys that
 * cannot be used (another kty, an encryption key, a private key, a short
 * RSA key, an algorithm not allowed...) are skipped, and the first reason
 * is left in note (may be NULL).
 */
#ifndef TASKAPI_JWKS_SET_H
#define TASKAPI_JWKS_SET_H

#include <stddef.h>

struct jwks_set;

/*
 * Returns 0 with *out to free with jwks_set_free, or -1 with the reason in
 * note for a set that is not one. algorithms: the allowed ones as a mask
 * (1u << enum jwks_alg), 0 for all.
 */
int jwks_set_parse(const char *text, size_t len, unsigned algorithms,
    struct jwks_set **out, char *note, size_t notelen);
size_t jwks_set_count(const struct jwks_set *set);
const char *jwks_set_kid(const struct jwks_set *set, size_t i);
/* An enum jwks_alg of jwks.h. */
int jwks_set_alg(const struct jwks_set *set, size_t i);
void jwks_set_free(struct jwks_set *set);

#endif
