/*
 * keys.h: an external issuer's side, for the tests: key pairs made with
 * OpenSSL, their public JWKs, and tokens signed with them (by OpenSSL
 * directly, or by libjwt for RS/ES/PS, a second implementation). Used by
 * the unit and integration tests and by the JWKS test server, so it
 * depends on nothing of Criterion: a failure aborts with a message.
 */
#ifndef TASKAPI_TEST_KEYS_H
#define TASKAPI_TEST_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

/*
 * A new key pair of kind "Ed25519", "Ed448", "P-256", "P-384", "P-521",
 * "RSA" (2048 bits) or "RSA-<bits>". EVP_PKEY_free() it.
 */
EVP_PKEY *key_new(const char *kind);

/*
 * The public JWK of k as a JSON object text (free()): kty, its public
 * members, kid, and alg when alg is not NULL.
 */
char *key_jwk(EVP_PKEY *k, const char *kid, const char *alg);

/* {"keys": [jwks[0], ...]} (free()). */
char *key_set(const char *const *jwks, size_t n);

/* The private key as PKCS#8 PEM (free()), and back. */
char *key_pem(EVP_PKEY *k);
EVP_PKEY *key_from_pem(const char *pem);

/* 32 random alphanumerics, as Better Auth makes its kids and user ids. */
void key_random_id(char out[33]);

/*
 * A compact JWS over header_json and payload_json, signed with k as alg
 * says ("EdDSA", "ES256", "RS256", "PS256"...; the header may say
 * otherwise, for the attacks). free().
 */
char *jws_sign(EVP_PKEY *k, const char *alg, const char *header_json,
    const char *payload_json);

/*
 * The same by libjwt (RS*, ES*, PS* only): header {"alg", "typ": "JWT",
 * "kid"}. free().
 */
char *jws_sign_libjwt(EVP_PKEY *k, const char *alg, const char *kid,
    const char *payload_json);

/* base64url without padding (free()). */
char *key_b64url(const unsigned char *data, size_t len);

/* A whole file (free()), NULL if it cannot be read; its length (it may
 * hold NULs); and one written atomically. */
char *key_read_file(const char *path);
char *key_read_file_len(const char *path, size_t *len);
int key_write_file(const char *path, const char *text);

#endif
