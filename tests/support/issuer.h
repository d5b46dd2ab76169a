/*
 * issuer.h: the integration tests' external issuer, a stand-in for a
 * Better Auth front end: the keys build/tests/jwks-server made (tests/run
 * starts it), tokens shaped as Better Auth signs them, and control over
 * what its JWKS endpoint serves and whether it answers at all.
 */
#ifndef TASKAPI_TEST_ISSUER_H
#define TASKAPI_TEST_ISSUER_H

#include <stddef.h>

#include <openssl/evp.h>

/* Better Auth's defaults, which tests/run configures: the app's base URL. */
#define ISSUER_URL "http://localhost:3000"
#define ISSUER_SESSION_CACHE_AUD "better-auth:session-cache"
/* Better Auth's default token lifetime, seconds. */
#define ISSUER_LIFETIME 900

/*
 * One of the issuer's stable keys ("ed25519", "p256", "p521", "rs256",
 * "ps256"), with its kid. EVP_PKEY_free() it.
 */
EVP_PKEY *issuer_key(const char *name, char kid[33]);
/* The JWS algorithm each stable key signs with. */
const char *issuer_alg(const char *name);

/*
 * A token as Better Auth's /api/auth/token gives it: header {"alg", "kid"},
 * payload the user record plus sub, iat, exp (now + 15 minutes), iss and
 * aud. email may be NULL. free().
 */
char *issuer_token(EVP_PKEY *k, const char *alg, const char *kid,
    const char *sub, const char *email);
/* The same with another payload (free()). */
char *issuer_sign(EVP_PKEY *k, const char *alg, const char *kid,
    const char *payload);
/* The Better Auth payload of issuer_token, with aud and exp given. free(). */
char *issuer_payload(const char *sub, const char *email, const char *aud,
    long exp);

/* The issuer publishes its stable keys and these (JWK texts) too. */
void issuer_publish(const char *const *extra, size_t n);
/* Back to the stable keys alone. */
void issuer_restore(void);
/* Requests its JWKS endpoint has answered so far. */
int issuer_fetches(void);
/* Signals the issuer's server: SIGUSR1 gone, SIGUSR2 back, SIGSTOP hung. */
void issuer_signal(int sig);

#endif
