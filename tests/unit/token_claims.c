/*
 * Unit: the claim rules of docs/API.md "Tokens issued here" where a JSON
 * value holds more than its C string shows, and the typing and leeway of
 * iat, exp and nbf, for our own tokens and an external issuer's alike.
 * libjwt will not put a U+0000 in a claim, so our tokens are made by hand
 * here: the header and payload bytes as given, HMAC-SHA256 over exactly
 * them with the secret; the issuer's are signed with its Ed25519 key, read
 * from a JWT_JWKS_FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/token.h"
#include "config/config.h"
#include "support/helpers.h"
#include "support/keys.h"

#define SECRET "unit-test-secret-0123456789abcdef0123456789"
#define ISSUER "https://issuer.example"
#define AUDIENCE "task-api"
#define BASE_URL "http://localhost:3000"
#define NOW 1800000000L
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static struct config cfg;
static char dir[64];
static EVP_PKEY *issuer;
static char kid[33];

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_secret = strdup(SECRET);
	cfg.jwt_expires_in = 3600;
	issuer = NULL;
	snprintf(dir, sizeof(dir), "/tmp/unit-claims.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	config_free(&cfg);
	EVP_PKEY_free(issuer);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(token_claims, .init = setup, .fini = teardown);

static void
set_cfg(const char *key, const char *value)
{
	char err[256];

	cr_assert_eq(config_set(&cfg, key, value, err, sizeof(err)), 0, "%s", err);
}

/* An HS256 token over exactly header.payload, as any holder of key signs. */
static char *
hmac_token(const char *header, const char *payload)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *input, *s, *t;

	cr_assert(asprintf(&input, "%s.%s", h, p) > 0);
	cr_assert_not_null(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)input, strlen(input), mac, &maclen));
	s = key_b64url(mac, maclen);
	cr_assert(asprintf(&t, "%s.%s", input, s) > 0);
	free(h);
	free(p);
	free(s);
	free(input);
	return t;
}

/* Our own token with this payload, verified at NOW. */
static enum token_status
ours(const char *payload)
{
	struct token_claims c;
	char *t = hmac_token(HS256_HEADER, payload);
	enum token_status st = token_verify_jwt(&cfg, t, NOW, &c);

	free(t);
	return st;
}

/* The issuer's key, in dir/jwks.json as cfg's JWT_JWKS_FILE. */
static void
use_issuer(void)
{
	char err[512], path[128], *jwk, *set;
	const char *one[1];

	issuer = key_new("Ed25519");
	key_random_id(kid);
	one[0] = jwk = key_jwk(issuer, kid, "EdDSA");
	set = key_set(one, 1);
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	cr_assert_eq(key_write_file(path, set), 0);
	set_cfg("JWT_JWKS_FILE", path);
	set_cfg("JWT_JWKS_ISSUER", BASE_URL);
	set_cfg("JWT_JWKS_AUDIENCE", BASE_URL);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	free(jwk);
	free(set);
}

/* The issuer's token with this header (NULL: {"alg","kid"}) and payload. */
static enum token_status
theirs_with(const char *header, const char *payload)
{
	struct token_claims c;
	char h[256], *t;
	enum token_status st;

	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid);
	t = jws_sign(issuer, "EdDSA", header != NULL ? header : h, payload);
	st = token_verify_jwt(&cfg, t, NOW, &c);
	free(t);
	return st;
}

static enum token_status
theirs(const char *payload)
{
	return theirs_with(NULL, payload);
}

/* ---- iat, exp, nbf: numbers, and iat not in the future ---- */

Test(token_claims, iat_must_be_a_number_not_in_the_future)
{
	/* docs/API.md "Authentication failures": the same 30 s leeway. */
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":1799999000}"), TOKEN_OK);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":1800000030}"), TOKEN_OK);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":1800000031}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1900000000,\"iat\":1900000000}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":\"1799999000\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":null}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":true}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iat\":[1]}"), TOKEN_INVALID);
	/* No iat is fine (RFC 7519 4.1.6: optional). */
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100}"), TOKEN_OK);
}

Test(token_claims, exp_and_nbf_as_strings_are_invalid)
{
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":\"1800000100\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":\"1800000100\",\"iat\":1799999000}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"nbf\":\"1799999000\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":{\"at\":1800000100}}"), TOKEN_INVALID);
}

Test(token_claims, the_issuers_tokens_follow_the_same_time_rules)
{
	use_issuer();
	cr_assert_eq(theirs("{\"sub\":\"u\",\"iat\":1799999100,\"exp\":1800000000,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_OK);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"iat\":1800000031,\"exp\":1800000900,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"iat\":\"1799999100\",\"exp\":1800000000,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":\"1800000000\","
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":1800000000,\"nbf\":\"0\","
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_INVALID);
}

/* ---- the whole value: a U+0000 does not end a claim ---- */

Test(token_claims, iss_and_aud_are_compared_whole)
{
	cfg.jwt_issuer = strdup(ISSUER);
	cfg.jwt_audience = strdup(AUDIENCE);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\",\"aud\":\"" AUDIENCE "\"}"), TOKEN_OK);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\\u0000x\",\"aud\":\"" AUDIENCE "\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\\u0000\",\"aud\":\"" AUDIENCE "\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\",\"aud\":\"" AUDIENCE "\\u0000evil\"}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\",\"aud\":[\"other\",\"" AUDIENCE "\\u0000evil\"]}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" ISSUER
	    "\",\"aud\":[\"" AUDIENCE "\\u0000\",\"" AUDIENCE "\"]}"), TOKEN_OK);
}

Test(token_claims, the_issuers_iss_and_aud_are_compared_whole)
{
	use_issuer();
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" BASE_URL
	    "\\u0000x\",\"aud\":\"" BASE_URL "\"}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" BASE_URL
	    "\",\"aud\":\"" BASE_URL "\\u0000x\"}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" BASE_URL
	    "\",\"aud\":[\"" BASE_URL "\\u0000x\"]}"), TOKEN_INVALID);
	cr_assert_eq(theirs("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"" BASE_URL
	    "\",\"aud\":\"" BASE_URL "\"}"), TOKEN_OK);
}

Test(token_claims, header_members_and_the_subject_are_compared_whole)
{
	const char *payload = "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\""
	    BASE_URL "\",\"aud\":\"" BASE_URL "\"}";
	char h[256];

	use_issuer();
	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\\u0000x\"}", kid);
	cr_assert_eq(theirs_with(h, payload), TOKEN_INVALID);
	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\\u0000x\",\"kid\":\"%s\"}", kid);
	cr_assert_eq(theirs_with(h, payload), TOKEN_INVALID);
	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":"
	    "\"JWT\\u0000x\"}", kid);
	cr_assert_eq(theirs_with(h, payload), TOKEN_INVALID);
	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
	    kid);
	cr_assert_eq(theirs_with(h, payload), TOKEN_OK);
	cr_assert_eq(ours("{\"sub\":\"u\\u0000x\",\"exp\":1800000100}"), TOKEN_INVALID);
	cr_assert_eq(ours("{\"userId\":\"u\\u0000\",\"exp\":1800000100}"), TOKEN_INVALID);
	{
		struct token_claims c;
		char *t = hmac_token("{\"alg\":\"HS256\\u0000x\",\"typ\":\"JWT\"}",
		    "{\"sub\":\"u\",\"exp\":1800000100}");

		cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_INVALID);
		free(t);
	}
}

/* ---- sid: docs/API.md "Session tokens" ---- */

/* Our own token's sid as verified at NOW, or NULL when it is refused. */
static const char *
sid_of(const char *payload, struct token_claims *c)
{
	char *t = hmac_token(HS256_HEADER, payload);
	enum token_status st = token_verify_jwt(&cfg, t, NOW, c);

	free(t);
	return st == TOKEN_OK ? c->sid : NULL;
}

Test(token_claims, sid_is_a_uuid_kept_in_lower_case)
{
	struct token_claims c;
	const char *s;

	s = sid_of("{\"sub\":\"u\",\"exp\":1800000100,"
	    "\"sid\":\"0A1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d\"}", &c);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
	/* No sid: a token of no session here. */
	s = sid_of("{\"sub\":\"u\",\"exp\":1800000100}", &c);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
}

Test(token_claims, a_sid_that_is_not_a_uuid_string_is_invalid)
{
	static const char *const bad[] = {
		"\"\"", "null", "1", "true", "[\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"]",
		"\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4\"",
		"\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd\"",
		"\"0a1b2c3d4e5f-4a6b-8c7d-9e0f1a2b3c4d0\"",
		"\"0a1b2c3g-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"",
		"\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4\\u0000\"",
		"\"{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c}\"",
	};
	char payload[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(payload, sizeof(payload),
		    "{\"sub\":\"u\",\"exp\":1800000100,\"sid\":%s}", bad[i]);
		cr_assert_eq(ours(payload), TOKEN_INVALID, "%s", bad[i]);
	}
}

Test(token_claims, the_issuers_sid_is_not_ours)
{
	struct token_claims c;
	char h[256], *t;

	use_issuer();
	snprintf(h, sizeof(h), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid);
	/* Even one that is no UUID: the external issuer's to define. */
	t = jws_sign(issuer, "EdDSA", h, "{\"sub\":\"u\",\"exp\":1800000100,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\","
	    "\"sid\":\"session-7\"}");
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_OK);
	cr_assert_str_eq(c.sid, "");
	free(t);
	t = jws_sign(issuer, "EdDSA", h, "{\"sub\":\"u\",\"exp\":1800000100,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\","
	    "\"sid\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"}");
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_OK);
	cr_assert_str_eq(c.sid, "");
	free(t);
}
