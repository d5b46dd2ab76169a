/*
 * refresh.c: making, deriving and hashing refresh tokens (refresh.h). Each
 * costs one OpenSSL call: a random draw, an HMAC or a hash of 43 bytes.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/refresh.h"
#include "json/b64url.h"

_Static_assert(B64URL_ENCODED(REFRESH_RANDOM_BYTES) == REFRESH_TOKEN_BYTES,
    "a token is the base64url of its random bytes");
_Static_assert(B64URL_ENCODED(SHA256_DIGEST_LENGTH) == REFRESH_TOKEN_BYTES,
    "a successor is as long as a token");

/* Derivation's label: an HMAC under JWT_SECRET for no other purpose. */
#define REFRESH_LABEL "refresh:"

int
refresh_token_new(char out[REFRESH_TOKEN_BYTES])
{
	unsigned char raw[REFRESH_RANDOM_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	b64url_encode(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int
refresh_token_next(const char *secret, const char *token,
    char out[REFRESH_TOKEN_BYTES])
{
	unsigned char input[sizeof(REFRESH_LABEL) + REFRESH_TOKEN_BYTES];
	unsigned char mac[SHA256_DIGEST_LENGTH];
	size_t tlen = strlen(token);
	unsigned int maclen = 0;

	if (secret == NULL || tlen >= REFRESH_TOKEN_BYTES)
		return -1;
	memcpy(input, REFRESH_LABEL, sizeof(REFRESH_LABEL) - 1);
	memcpy(input + sizeof(REFRESH_LABEL) - 1, token, tlen);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), input,
	    sizeof(REFRESH_LABEL) - 1 + tlen, mac, &maclen) == NULL ||
	    maclen != sizeof(mac))
		return -1;
	b64url_encode(mac, sizeof(mac), out);
	return 0;
}

int
refresh_token_hash(const char *token, char out[REFRESH_HASH_TEXT_BYTES])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	if (SHA256((const unsigned char *)token, strlen(token), digest) == NULL)
		return -1;
	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

int
refresh_token_shape_ok(const char *text, size_t len)
{
	if (len != REFRESH_TOKEN_BYTES - 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}
