/*
 * Integration: what an issuer's key set or a token's claims could smuggle
 * past the signature check, through nginx, the programs and the stand-in
 * issuer's JWKS endpoint (docs/API.md "External issuers", "Authentication
 * failures"): a published EdDSA key of small order, with which anyone
 * forges tokens; an RSA key whose exponent is 3; an iss or aud with a
 * U+0000 inside; an iat in the future or not a number. And the pinned
 * choice that an ES256 signature's second spelling, (r, n - s), is the
 * same token, served as the same user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>

#include "json/b64url.h"
#include "support/helpers.h"
#include "support/hostile.h"
#include "support/issuer.h"
#include "support/keys.h"

#define INVALID "Invalid authentication token"
/* SEC 2 2.4.2: the order of P-256. */
#define P256_N "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

static void
teardown(void)
{
	/* The next suite finds the issuer's set as it was. */
	issuer_restore();
}

TestSuite(hostile_keys, .fini = teardown);

/* Long enough that any process may fetch the set again. */
static void
wait_retry(void)
{
	const char *s = getenv("JWT_JWKS_RETRY_SECONDS");

	cr_assert(s != NULL && atol(s) > 0, "JWT_JWKS_RETRY_SECONDS is not set: run make test");
	sleep((unsigned)atol(s) + 1);
}

/* GET /api/auth/me with token: 200 as sub, or 401 INVALID (want_ok 0). */
static void
me_is(const char *token, int want_ok, const char *sub, const char *what)
{
	struct http_res *r = http_json("GET", "/api/auth/me", token, NULL);

	if (want_ok) {
		cr_assert_eq(r->status, 200, "%s: %ld %s", what, r->status, r->body);
		cr_assert_str_eq(json_str(r, "id"), sub, "%s", what);
	} else
		expect_401(r, INVALID, what);
	http_free(r);
}

/* An OKP JWK of Ed25519 with these public bytes (free()). */
static char *
ed25519_jwk(const unsigned char x[32], const char *kid)
{
	char *b = key_b64url(x, 32), *j;

	cr_assert(asprintf(&j, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":"
	    "\"EdDSA\",\"x\":\"%s\",\"kid\":\"%s\"}", b, kid) > 0);
	free(b);
	return j;
}

/* An issuer's token for sub under kid whose signature is sig (free()). */
static char *
with_signature(const char *kid, const char *sub, const unsigned char *sig,
    size_t siglen)
{
	char header[128], *h, *p, *s, *t;
	char *payload = issuer_payload(sub, NULL, ISSUER_URL,
	    (long)time(NULL) + 600);

	snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid);
	h = key_b64url((const unsigned char *)header, strlen(header));
	p = key_b64url((const unsigned char *)payload, strlen(payload));
	s = key_b64url(sig, siglen);
	cr_assert(asprintf(&t, "%s.%s.%s", h, p, s) > 0);
	free(h);
	free(p);
	free(s);
	free(payload);
	return t;
}

/* A new RSA key of 2048 bits whose public exponent is 3. */
static EVP_PKEY *
rsa_e3(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *k = NULL;

	cr_assert(ctx != NULL && e != NULL && BN_set_word(e, 3) == 1);
	cr_assert(EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 &&
	    EVP_PKEY_keygen(ctx, &k) == 1);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/*
 * The identity as key: R = identity and S = 0 verify any payload with
 * OpenSSL 3.0; with the point of order 2, R = identity or R = A does. The
 * issuer publishes such keys and one with e = 3 beside a good one: the
 * good one's token is served (the set was fetched again), the others' are
 * 401. It changes what the issuer serves, so it is of the jwks_rotation
 * suite, which runs alone (tests/run): a request of a test running beside
 * it could be the one whose fetch is under way when the good token comes,
 * and that token is then refused, as docs/API.md "External issuers" says.
 */
Test(jwks_rotation, a_published_key_of_small_order_or_e_3_forges_nothing)
{
	unsigned char identity[32] = { 0x01 }, order2[32], sig[64] = { 0 };
	char id_kid[33], o2_kid[33], e3_kid[33], good_kid[33], sub[33];
	EVP_PKEY *good = key_new("Ed25519"), *e3 = rsa_e3();
	const char *jwks[4];
	char *t, *p;

	memset(order2, 0xff, 32);
	order2[0] = 0xec;
	order2[31] = 0x7f;
	key_random_id(id_kid);
	key_random_id(o2_kid);
	key_random_id(e3_kid);
	key_random_id(good_kid);
	jwks[0] = ed25519_jwk(identity, id_kid);
	jwks[1] = ed25519_jwk(order2, o2_kid);
	jwks[2] = key_jwk(e3, e3_kid, "RS256");
	jwks[3] = key_jwk(good, good_kid, "EdDSA");
	cr_assert(strstr(jwks[2], "\"e\":\"Aw\"") != NULL, "%s", jwks[2]);
	issuer_publish(jwks, 4);
	wait_retry();
	key_random_id(sub);
	me_is(t = issuer_token(good, "EdDSA", good_kid, sub, NULL), 1, sub,
	    "the good key beside them");
	free(t);
	memcpy(sig, identity, 32);
	me_is(t = with_signature(id_kid, "forged-1", sig, 64), 0, NULL,
	    "identity key, R = identity, S = 0");
	free(t);
	me_is(t = with_signature(o2_kid, "forged-2", sig, 64), 0, NULL,
	    "order-2 key, R = identity, S = 0");
	free(t);
	memcpy(sig, order2, 32);
	me_is(t = with_signature(o2_kid, "forged-3", sig, 64), 0, NULL,
	    "order-2 key, R = A, S = 0");
	free(t);
	p = issuer_payload("e3-user", NULL, ISSUER_URL, (long)time(NULL) + 600);
	me_is(t = issuer_sign(e3, "RS256", e3_kid, p), 0, NULL, "RSA key, e = 3");
	free(t);
	free(p);
	for (size_t i = 0; i < 4; i++)
		free((char *)jwks[i]);
	EVP_PKEY_free(good);
	EVP_PKEY_free(e3);
}

/* The issuer's ed25519 token over this payload. */
static char *
ed_token(const char *payload)
{
	char kid[33], *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);

	t = issuer_sign(k, "EdDSA", kid, payload);
	EVP_PKEY_free(k);
	return t;
}

/* Its payload with sub, iss, aud (raw JSON text) and iat (raw) given. */
static char *
claims(const char *sub, const char *iss, const char *aud, const char *iat)
{
	char *p;

	cr_assert(asprintf(&p, "{\"sub\":\"%s\",\"iat\":%s,\"exp\":%ld,"
	    "\"iss\":%s,\"aud\":%s}", sub, iat, (long)time(NULL) + 600, iss,
	    aud) > 0);
	return p;
}

static void
claims_case(const char *iss, const char *aud, const char *iat, int want_ok,
    const char *what)
{
	char sub[33], *p, *t;

	key_random_id(sub);
	p = claims(sub, iss, aud, iat);
	me_is(t = ed_token(p), want_ok, sub, what);
	free(t);
	free(p);
}

Test(hostile_keys, iss_and_aud_with_a_nul_inside_are_401)
{
	const char *iss = "\"" ISSUER_URL "\"", *aud = "\"" ISSUER_URL "\"";
	char now[32];

	snprintf(now, sizeof(now), "%ld", (long)time(NULL));
	claims_case(iss, aud, now, 1, "the control");
	claims_case("\"" ISSUER_URL "\\u0000x\"", aud, now, 0, "iss with a NUL");
	claims_case("\"" ISSUER_URL "\\u0000\"", aud, now, 0, "iss ending in a NUL");
	claims_case(iss, "\"" ISSUER_URL "\\u0000x\"", now, 0, "aud with a NUL");
	claims_case(iss, "[\"" ISSUER_URL "\\u0000x\"]", now, 0,
	    "aud array with a NUL");
}

Test(hostile_keys, iat_in_the_future_or_not_a_number_is_401)
{
	const char *iss = "\"" ISSUER_URL "\"";
	char at[32], *p, *t, sub[37];
	long now = (long)time(NULL);

	snprintf(at, sizeof(at), "%ld", now + 10);
	claims_case(iss, iss, at, 1, "iat 10 s ahead, inside the leeway");
	snprintf(at, sizeof(at), "%ld", now + 300);
	claims_case(iss, iss, at, 0, "iat 300 s ahead");
	snprintf(at, sizeof(at), "\"%ld\"", now);
	claims_case(iss, iss, at, 0, "iat a string");
	/* Our own tokens alike. */
	test_uuid(sub);
	cr_assert(asprintf(&p, "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}", sub,
	    now + 3600, now + 7200) > 0);
	me_is(t = token_sign(p, test_secret(), "HS256"), 0, NULL, "ours, iat ahead");
	free(t);
	free(p);
	cr_assert(asprintf(&p, "{\"sub\":\"%s\",\"iat\":\"%ld\",\"exp\":%ld}", sub,
	    now, now + 7200) > 0);
	me_is(t = token_sign(p, test_secret(), "HS256"), 0, NULL, "ours, iat a string");
	free(t);
	free(p);
}

/*
 * README.md "Design notes": (r, s) and (r, n - s) both verify and are both
 * served, as the same user: the signers people use (Node.js's crypto, so
 * jose and Better Auth) make either, so refusing high s would refuse half
 * of a real issuer's tokens.
 */
Test(hostile_keys, both_spellings_of_an_es256_signature_are_the_same_user)
{
	char kid[33], sub[33], *t, *other, *b;
	EVP_PKEY *k = issuer_key("p256", kid);
	const char *dot;
	unsigned char *raw;
	size_t len;
	BIGNUM *n = NULL, *s;

	key_random_id(sub);
	t = issuer_token(k, "ES256", kid, sub, NULL);
	dot = strrchr(t, '.');
	raw = b64url_decode(dot + 1, strlen(dot + 1), &len);
	cr_assert(raw != NULL && len == 64);
	cr_assert(BN_hex2bn(&n, P256_N) > 0);
	s = BN_bin2bn(raw + 32, 32, NULL);
	cr_assert(BN_sub(s, n, s) == 1 && BN_bn2binpad(s, raw + 32, 32) == 32);
	b = key_b64url(raw, 64);
	cr_assert(asprintf(&other, "%.*s.%s", (int)(dot - t), t, b) > 0);
	cr_assert_str_neq(other, t);
	me_is(t, 1, sub, "the signer's spelling");
	me_is(other, 1, sub, "the other spelling");
	me_is(t, 1, sub, "the signer's spelling again");
	BN_free(n);
	BN_free(s);
	free(raw);
	free(b);
	free(other);
	free(t);
	EVP_PKEY_free(k);
}
