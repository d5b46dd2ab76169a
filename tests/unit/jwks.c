/*
 * Unit: an external issuer's tokens (docs/API.md "External issuers":
 * JWT_JWKS_URL, JWT_JWKS_FILE).
 * Ed25519, P-256/384/521 and RSA keys are made here with OpenSSL; tokens are
 * signed with them as Better Auth signs its own (EdDSA by default), and by
 * libjwt where it can (RS*, ES*), a second implementation of the formats.
 * Every known attack on the key set checks is refused. The key set comes from a file, or
 * from a URL served by a real HTTP server in a child process, with a fixed
 * clock, so the cache and refresh rules are checked to the second.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/ecdsa.h>

#include "auth/token.h"
#include "config/config.h"
#include "support/helpers.h"
#include "jwks/jwks.h"
#include "jwks/jwks_set.h"
#include "json/json.h"
#include "json/b64url.h"
#include "support/jwks_server.h"
#include "support/keys.h"

#define SECRET "unit-test-secret-0123456789abcdef0123456789"
/* Better Auth's defaults: iss and aud are both the app's base URL. */
#define BASE_URL "http://localhost:3000"
#define SESSION_CACHE_AUD "better-auth:session-cache"
#define NOW 1800000000L
/* Better Auth's default lifetime: 15 minutes. */
#define LIFETIME 900

struct ikey {
	EVP_PKEY *k;
	char kid[33];
	const char *alg;
	char *jwk;
};

static struct config cfg;
static char dir[64];
static pid_t server = -1;
static int port;
/* The old default cache folder, when a test took it: removed after. */
static char old_taken[64];

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_secret = strdup(SECRET);
	cfg.jwt_expires_in = 3600;
	snprintf(dir, sizeof(dir), "/tmp/unit-jwks.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		server = -1;
	}
	if (old_taken[0] != '\0')
		unlink(old_taken);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(jwks, .init = setup, .fini = teardown);

static void
ikey_make(struct ikey *ik, const char *kind, const char *alg)
{
	ik->k = key_new(kind);
	key_random_id(ik->kid);
	ik->alg = alg;
	ik->jwk = key_jwk(ik->k, ik->kid, alg);
}

static void
ikey_free(struct ikey *ik)
{
	EVP_PKEY_free(ik->k);
	free(ik->jwk);
}

static char *
path_in(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void
put(const char *name, const char *text)
{
	char *p = path_in(name);

	cr_assert_eq(key_write_file(p, text), 0, "cannot write %s", p);
	free(p);
}

/* The set of n keys as dir/name. */
static void
put_set(const char *name, struct ikey *const *keys, size_t n)
{
	const char *jwks[16];
	char *set;

	cr_assert_leq(n, 16);
	for (size_t i = 0; i < n; i++)
		jwks[i] = keys[i]->jwk;
	set = key_set(jwks, n);
	put(name, set);
	free(set);
}

static void
set_cfg(const char *key, const char *value)
{
	char err[256];

	cr_assert_eq(config_set(&cfg, key, value, err, sizeof(err)), 0, "%s", err);
}

/* cfg takes the issuer's keys from dir/jwks.json. */
static void
use_file(struct ikey *const *keys, size_t n)
{
	char err[512], *p = path_in("jwks.json");

	put_set("jwks.json", keys, n);
	set_cfg("JWT_JWKS_FILE", p);
	set_cfg("JWT_JWKS_ISSUER", BASE_URL);
	set_cfg("JWT_JWKS_AUDIENCE", BASE_URL);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(cfg.jwks);
	free(p);
}

/* cfg fetches them from a real HTTP server serving dir, cached in dir. */
static void
use_url(struct ikey *const *keys, size_t n)
{
	char err[512], url[128], *cache = path_in("cache.json");

	put_set("jwks.json", keys, n);
	server = jwks_server_fork(dir, &port);
	cr_assert_gt(server, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
	set_cfg("JWT_JWKS_URL", url);
	set_cfg("JWT_JWKS_CACHE_FILE", cache);
	set_cfg("JWT_JWKS_ISSUER", BASE_URL);
	set_cfg("JWT_JWKS_AUDIENCE", BASE_URL);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	free(cache);
}

/* A payload shaped like Better Auth's: the user record, sub, iat, exp, iss, aud. */
static char *
ba_payload(const char *sub, long exp, const char *aud)
{
	char *p;

	cr_assert(asprintf(&p, "{\"name\":\"Ada\",\"email\":\"ada@example.com\","
	    "\"emailVerified\":false,\"image\":null,\"createdAt\":"
	    "\"2026-11-25T10:00:00.000Z\",\"updatedAt\":\"2026-11-25T10:00:00.000Z\","
	    "\"id\":\"%s\",\"iat\":%ld,\"sub\":\"%s\",\"exp\":%ld,\"iss\":\"%s\","
	    "\"aud\":\"%s\"}", sub, exp - LIFETIME, sub, exp, BASE_URL, aud) > 0);
	return p;
}

/* A token signed by k with sign_alg, whose header {"alg", "kid"} says
 * alg and kid (an attack when they do not match the key). */
static char *
labelled_token(EVP_PKEY *k, const char *sign_alg, const char *alg,
    const char *kid, const char *payload)
{
	char header[128];

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"%s\"}",
	    alg, kid);
	return jws_sign(k, sign_alg, header, payload);
}

/* A token as Better Auth signs it: {"alg", "kid"}, no typ. */
static char *
ba_token(const struct ikey *ik, const char *payload)
{
	return labelled_token(ik->k, ik->alg, ik->alg, ik->kid, payload);
}

static char *
good_token(const struct ikey *ik, const char *sub)
{
	char *p = ba_payload(sub, NOW + LIFETIME, BASE_URL), *t = ba_token(ik, p);

	free(p);
	return t;
}

static enum token_status
verify_at(const char *token, time_t now, struct token_claims *c)
{
	struct token_claims scratch;

	return token_verify_jwt(&cfg, token, now, c != NULL ? c : &scratch);
}

static enum token_status
verify(const char *token)
{
	return verify_at(token, NOW, NULL);
}

/* Consumes token. */
static enum token_status
verify_free(char *token)
{
	enum token_status st = verify(token);

	free(token);
	return st;
}

static char *
signature_replaced(const char *token, const unsigned char *sig, size_t len)
{
	const char *dot = strrchr(token, '.');
	char *s = key_b64url(sig, len), *t;

	cr_assert(asprintf(&t, "%.*s.%s", (int)(dot - token), token, s) > 0);
	free(s);
	return t;
}

/* ---- valid tokens ---- */

Test(jwks, every_algorithm_verifies_with_its_key)
{
	static const struct { const char *kind, *alg; } cases[] = {
		{ "Ed25519", "EdDSA" }, { "Ed448", "EdDSA" },
		{ "P-256", "ES256" }, { "P-384", "ES384" }, { "P-521", "ES512" },
		{ "RSA", "RS256" }, { "RSA", "RS384" }, { "RSA", "RS512" },
		{ "RSA", "PS256" }, { "RSA", "PS384" }, { "RSA", "PS512" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct ikey keys[N], *ptrs[N];
	struct token_claims c;

	for (size_t i = 0; i < N; i++) {
		ikey_make(&keys[i], cases[i].kind, cases[i].alg);
		ptrs[i] = &keys[i];
	}
	use_file(ptrs, N);
	for (size_t i = 0; i < N; i++) {
		char sub[33], *t;

		key_random_id(sub);
		t = good_token(&keys[i], sub);
		cr_assert_eq(verify_at(t, NOW, &c), TOKEN_OK, "%s %s",
		    cases[i].kind, cases[i].alg);
		cr_assert_str_eq(c.subject, sub);
		cr_assert_str_eq(c.email, "ada@example.com");
		free(t);
	}
	for (size_t i = 0; i < N; i++)
		ikey_free(&keys[i]);
}

Test(jwks, libjwt_signed_rsa_and_ecdsa_tokens_verify)
{
	/* A second signer: libjwt's R||S and PKCS#1 v1.5, not ours. */
	static const struct { const char *kind, *alg; } cases[] = {
		{ "P-256", "ES256" }, { "P-384", "ES384" }, { "P-521", "ES512" },
		{ "RSA", "RS256" }, { "RSA", "RS512" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct ikey keys[N], *ptrs[N];
	char payload[256];

	snprintf(payload, sizeof(payload), "{\"sub\":\"lib\",\"exp\":%ld,"
	    "\"iss\":\"%s\",\"aud\":[\"other\",\"%s\"]}", NOW + 60, BASE_URL,
	    BASE_URL);
	for (size_t i = 0; i < N; i++) {
		ikey_make(&keys[i], cases[i].kind, cases[i].alg);
		ptrs[i] = &keys[i];
	}
	use_file(ptrs, N);
	for (size_t i = 0; i < N; i++) {
		/* libjwt adds "typ": "JWT", which is fine. */
		char *t = jws_sign_libjwt(keys[i].k, cases[i].alg, keys[i].kid,
		    payload);

		cr_assert_eq(verify_free(t), TOKEN_OK, "%s", cases[i].alg);
	}
	for (size_t i = 0; i < N; i++)
		ikey_free(&keys[i]);
}

Test(jwks, keys_without_alg_verify_their_types_default)
{
	struct ikey ed, ec, rsa, *all[] = { &ed, &ec, &rsa };

	ikey_make(&ed, "Ed25519", NULL);
	ikey_make(&ec, "P-256", NULL);
	ikey_make(&rsa, "RSA", NULL);
	ed.alg = "EdDSA";
	ec.alg = "ES256";
	rsa.alg = "RS256";
	use_file(all, 3);
	cr_assert_eq(verify_free(good_token(&ed, "a")), TOKEN_OK);
	cr_assert_eq(verify_free(good_token(&ec, "b")), TOKEN_OK);
	cr_assert_eq(verify_free(good_token(&rsa, "c")), TOKEN_OK);
	/* Without an alg, an RSA key verifies RS256 only. */
	rsa.alg = "PS256";
	cr_assert_eq(verify_free(good_token(&rsa, "d")), TOKEN_INVALID);
	ikey_free(&ed);
	ikey_free(&ec);
	ikey_free(&rsa);
}

Test(jwks, hs256_tokens_keep_working_beside_a_jwks)
{
	struct ikey ed, *all[] = { &ed };
	char payload[128], *t;

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	snprintf(payload, sizeof(payload), "{\"sub\":\"own\",\"exp\":%ld}", NOW + 60);
	t = token_sign(payload, SECRET, "HS256");
	cr_assert_eq(verify_free(t), TOKEN_OK);
	/* Our own tokens are not held to the issuer's iss and aud... */
	t = token_sign(payload, SECRET, "HS384");
	cr_assert_eq(verify_free(t), TOKEN_INVALID);
	ikey_free(&ed);
}

Test(jwks, an_external_token_is_held_to_the_jwks_issuer_not_ours)
{
	struct ikey ed, *all[] = { &ed };
	char *p, *t;

	ikey_make(&ed, "Ed25519", "EdDSA");
	set_cfg("JWT_ISSUER", "https://api.example");
	set_cfg("JWT_AUDIENCE", "task-api");
	use_file(all, 1);
	cr_assert_eq(verify_free(good_token(&ed, "u")), TOKEN_OK);
	p = ba_payload("u", NOW + 60, "task-api");
	t = ba_token(&ed, p);
	cr_assert_eq(verify_free(t), TOKEN_INVALID);
	free(p);
	ikey_free(&ed);
}

/* ---- attacks on the key set checks ---- */

Test(jwks, alg_swapped_is_refused)
{
	struct ikey ed, rsa, ec, *all[] = { &ed, &rsa, &ec };
	char *p = ba_payload("u", NOW + 60, BASE_URL);

	ikey_make(&ed, "Ed25519", "EdDSA");
	ikey_make(&rsa, "RSA", "RS256");
	ikey_make(&ec, "P-256", "ES256");
	use_file(all, 3);
	/* The RS256 key, a PS256 signature by it: valid PSS, wrong alg. */
	cr_assert_eq(verify_free(labelled_token(rsa.k, "PS256", "PS256",
	    rsa.kid, p)), TOKEN_INVALID);
	/* RS512 by the RS256 key. */
	cr_assert_eq(verify_free(labelled_token(rsa.k, "RS512", "RS512",
	    rsa.kid, p)), TOKEN_INVALID);
	/* The ES256 key's kid with ES384. */
	cr_assert_eq(verify_free(labelled_token(ec.k, "ES256", "ES384",
	    ec.kid, p)), TOKEN_INVALID);
	/* An EdDSA signature relabelled ES256 under the Ed25519 kid. */
	cr_assert_eq(verify_free(labelled_token(ed.k, "EdDSA", "ES256",
	    ed.kid, p)), TOKEN_INVALID);
	/* The same key and signature with the right alg pass: only alg differs. */
	cr_assert_eq(verify_free(labelled_token(rsa.k, "RS256", "RS256",
	    rsa.kid, p)), TOKEN_OK);
	free(p);
	ikey_free(&ed);
	ikey_free(&rsa);
	ikey_free(&ec);
}

Test(jwks, unknown_or_missing_kid_is_refused)
{
	struct ikey ed, stranger, *all[] = { &ed };
	char header[128], *p = ba_payload("u", NOW + 60, BASE_URL);

	ikey_make(&ed, "Ed25519", "EdDSA");
	ikey_make(&stranger, "Ed25519", "EdDSA");
	use_file(all, 1);
	/* A key not in the set, under its own kid and under ours. */
	cr_assert_eq(verify_free(good_token(&stranger, "u")), TOKEN_INVALID);
	cr_assert_eq(verify_free(labelled_token(stranger.k, "EdDSA", "EdDSA",
	    ed.kid, p)), TOKEN_INVALID);
	/* No kid, an empty kid, a kid that is not a string. */
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", "{\"alg\":\"EdDSA\"}", p)), TOKEN_INVALID);
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":\"\"}", p)), TOKEN_INVALID);
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":7}", p)), TOKEN_INVALID);
	snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\\u0000x\"}", ed.kid);
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", header, p)), TOKEN_INVALID);
	free(p);
	ikey_free(&ed);
	ikey_free(&stranger);
}

Test(jwks, kid_of_another_key_type_is_refused)
{
	struct ikey ed, rsa, ec_other, *all[] = { &ed, &rsa };
	char *p = ba_payload("u", NOW + 60, BASE_URL);

	ikey_make(&ed, "Ed25519", "EdDSA");
	ikey_make(&rsa, "RSA", "RS256");
	ikey_make(&ec_other, "P-256", "ES256");
	use_file(all, 2);
	/* An ES256 token naming the Ed25519 key, the RSA key. */
	cr_assert_eq(verify_free(labelled_token(ec_other.k, "ES256", "ES256",
	    ed.kid, p)), TOKEN_INVALID);
	cr_assert_eq(verify_free(labelled_token(ec_other.k, "ES256", "ES256",
	    rsa.kid, p)), TOKEN_INVALID);
	/* An EdDSA token naming the RSA key. */
	cr_assert_eq(verify_free(labelled_token(ed.k, "EdDSA", "EdDSA",
	    rsa.kid, p)), TOKEN_INVALID);
	free(p);
	ikey_free(&ed);
	ikey_free(&rsa);
	ikey_free(&ec_other);
}

/* The HMAC key confusion: HS256 "signed" with what the JWKS publishes. */
static void
refuse_hmac_with(const struct ikey *ik, const char *key)
{
	char *p = ba_payload("u", NOW + 60, BASE_URL), *t;
	jwt_t *jwt = NULL;

	/* By libjwt, then by hand with the kid in the header. */
	t = token_sign(p, key, "HS256");
	cr_assert_eq(verify_free(t), TOKEN_INVALID);
	cr_assert_eq(jwt_new(&jwt), 0);
	cr_assert_eq(jwt_add_grants_json(jwt, p), 0);
	cr_assert_eq(jwt_add_header(jwt, "kid", ik->kid), 0);
	cr_assert_eq(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)key,
	    (int)strlen(key)), 0);
	t = jwt_encode_str(jwt);
	cr_assert_not_null(t);
	cr_assert_eq(verify_free(t), TOKEN_INVALID);
	jwt_free(jwt);
	free(p);
}

Test(jwks, hs256_signed_with_the_public_key_is_refused)
{
	struct ikey rsa, ed, *all[] = { &rsa, &ed };
	struct json_object *o;
	char *pem;

	ikey_make(&rsa, "RSA", "RS256");
	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 2);
	/* The JWK text, its n and x members, and the public key as PEM. */
	refuse_hmac_with(&rsa, rsa.jwk);
	refuse_hmac_with(&ed, ed.jwk);
	o = json_tokener_parse(rsa.jwk);
	refuse_hmac_with(&rsa, json_object_get_string(json_object_object_get(o, "n")));
	json_object_put(o);
	o = json_tokener_parse(ed.jwk);
	refuse_hmac_with(&ed, json_object_get_string(json_object_object_get(o, "x")));
	json_object_put(o);
	pem = key_pem(rsa.k);
	refuse_hmac_with(&rsa, pem);
	free(pem);
	/* And with no JWT_SECRET at all, HS256 is refused outright. */
	free(cfg.jwt_secret);
	cfg.jwt_secret = NULL;
	refuse_hmac_with(&rsa, rsa.jwk);
	{
		char payload[128];

		snprintf(payload, sizeof(payload), "{\"sub\":\"u\",\"exp\":%ld}", NOW + 60);
		cr_assert_eq(verify_free(token_sign(payload, SECRET, "HS256")), TOKEN_INVALID);
	}
	ikey_free(&rsa);
	ikey_free(&ed);
}

Test(jwks, ecdsa_signature_must_be_r_and_s_of_the_curves_length)
{
	struct ikey ec, *all[] = { &ec };
	unsigned char raw[200], *der = NULL;
	char *t;
	const char *sig;
	size_t len;
	unsigned char *dec;

	ikey_make(&ec, "P-256", "ES256");
	use_file(all, 1);
	t = good_token(&ec, "u");
	cr_assert_eq(verify(t), TOKEN_OK);
	sig = strrchr(t, '.') + 1;
	dec = b64url_decode(sig, strlen(sig), &len);
	cr_assert_eq(len, 64);
	memcpy(raw, dec, 64);
	/* 63 bytes, 65 bytes (a zero in front of r or after s), 0 bytes. */
	cr_assert_eq(verify_free(signature_replaced(t, raw, 63)), TOKEN_INVALID);
	raw[64] = 0;
	cr_assert_eq(verify_free(signature_replaced(t, raw, 65)), TOKEN_INVALID);
	memmove(raw + 1, raw, 64);
	raw[0] = 0;
	cr_assert_eq(verify_free(signature_replaced(t, raw, 65)), TOKEN_INVALID);
	cr_assert_eq(verify_free(signature_replaced(t, raw, 0)), TOKEN_INVALID);
	/* The same signature as DER, which JWS does not use. */
	{
		ECDSA_SIG *es = ECDSA_SIG_new();
		int n;

		ECDSA_SIG_set0(es, BN_bin2bn(dec, 32, NULL), BN_bin2bn(dec + 32, 32, NULL));
		n = i2d_ECDSA_SIG(es, &der);
		cr_assert_gt(n, 0);
		cr_assert_eq(verify_free(signature_replaced(t, der, (size_t)n)), TOKEN_INVALID);
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
	}
	/* r = s = 0 ("psychic signatures"), and one bit of s flipped. */
	memset(raw, 0, 64);
	cr_assert_eq(verify_free(signature_replaced(t, raw, 64)), TOKEN_INVALID);
	memcpy(raw, dec, 64);
	raw[63] ^= 1;
	cr_assert_eq(verify_free(signature_replaced(t, raw, 64)), TOKEN_INVALID);
	free(dec);
	free(t);
	ikey_free(&ec);
}

Test(jwks, rsa_and_eddsa_signatures_of_the_wrong_length_are_refused)
{
	struct ikey rsa, ed, *all[] = { &rsa, &ed };
	unsigned char raw[600], *dec;
	const char *sig;
	size_t len;
	char *t;

	ikey_make(&rsa, "RSA", "RS256");
	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 2);
	t = good_token(&rsa, "u");
	sig = strrchr(t, '.') + 1;
	dec = b64url_decode(sig, strlen(sig), &len);
	cr_assert_eq(len, 256);
	/* A leading zero byte added: same number, not the modulus' length. */
	raw[0] = 0;
	memcpy(raw + 1, dec, len);
	cr_assert_eq(verify_free(signature_replaced(t, raw, len + 1)), TOKEN_INVALID);
	cr_assert_eq(verify_free(signature_replaced(t, dec, len - 1)), TOKEN_INVALID);
	free(dec);
	free(t);
	t = good_token(&ed, "u");
	sig = strrchr(t, '.') + 1;
	dec = b64url_decode(sig, strlen(sig), &len);
	cr_assert_eq(len, 64);
	cr_assert_eq(verify_free(signature_replaced(t, dec, 63)), TOKEN_INVALID);
	memcpy(raw, dec, 64);
	raw[64] = 0;
	cr_assert_eq(verify_free(signature_replaced(t, raw, 65)), TOKEN_INVALID);
	free(dec);
	free(t);
	ikey_free(&rsa);
	ikey_free(&ed);
}

Test(jwks, session_cache_cookie_audience_is_refused)
{
	struct ikey ed, *all[] = { &ed };
	char header[160], *p;

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	/* What jwt({sessionCookieCache: true}) signs, with the same key. */
	p = ba_payload("u", NOW + 60, SESSION_CACHE_AUD);
	snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
	    "\"typ\":\"better-auth.session-cache+jwt\"}", ed.kid);
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", header, p)), TOKEN_INVALID);
	/* Its audience alone is enough to refuse it, without the typ... */
	cr_assert_eq(verify_free(ba_token(&ed, p)), TOKEN_INVALID);
	free(p);
	/* ...and so is its typ alone, with our audience. */
	p = ba_payload("u", NOW + 60, BASE_URL);
	cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", header, p)), TOKEN_INVALID);
	free(p);
	ikey_free(&ed);
}

Test(jwks, expiry_issuer_and_audience)
{
	struct ikey ed, *all[] = { &ed };
	char *p;

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	/* docs/API.md "External issuers": 30 s leeway, as for our tokens. */
	p = ba_payload("u", NOW - 30, BASE_URL);
	cr_assert_eq(verify_free(ba_token(&ed, p)), TOKEN_OK);
	free(p);
	p = ba_payload("u", NOW - 31, BASE_URL);
	cr_assert_eq(verify_free(ba_token(&ed, p)), TOKEN_EXPIRED);
	free(p);
	p = ba_payload("u", NOW - 100000, BASE_URL);
	cr_assert_eq(verify_free(ba_token(&ed, p)), TOKEN_EXPIRED);
	free(p);
	/* Another app of the same issuer, another issuer, no exp. */
	p = ba_payload("u", NOW + 60, "http://localhost:4000");
	cr_assert_eq(verify_free(ba_token(&ed, p)), TOKEN_INVALID);
	free(p);
	cr_assert_eq(verify_free(ba_token(&ed, "{\"sub\":\"u\",\"exp\":1800000060,"
	    "\"iss\":\"http://evil.example\",\"aud\":\"" BASE_URL "\"}")), TOKEN_INVALID);
	cr_assert_eq(verify_free(ba_token(&ed, "{\"sub\":\"u\",\"exp\":1800000060,"
	    "\"aud\":\"" BASE_URL "\"}")), TOKEN_INVALID);
	cr_assert_eq(verify_free(ba_token(&ed, "{\"sub\":\"u\",\"iss\":\"" BASE_URL
	    "\",\"aud\":\"" BASE_URL "\"}")), TOKEN_INVALID);
	cr_assert_eq(verify_free(ba_token(&ed, "{\"sub\":\"u\",\"exp\":1800000060,"
	    "\"nbf\":1800000031,\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}")),
	    TOKEN_INVALID);
	/* The subject rules are the same one function's. */
	cr_assert_eq(verify_free(ba_token(&ed, "{\"exp\":1800000060,\"iss\":\""
	    BASE_URL "\",\"aud\":\"" BASE_URL "\"}")), TOKEN_NO_SUBJECT);
	cr_assert_eq(verify_free(ba_token(&ed, "{\"sub\":5,\"exp\":1800000060,"
	    "\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}")), TOKEN_INVALID);
	ikey_free(&ed);
}

Test(jwks, header_rules)
{
	struct ikey ed, *all[] = { &ed };
	char header[256], *p = ba_payload("u", NOW + 60, BASE_URL);
	static const struct { const char *extra; enum token_status want; } cases[] = {
		{ "", TOKEN_OK },
		{ ",\"typ\":\"JWT\"", TOKEN_OK },
		{ ",\"typ\":\"jwt\"", TOKEN_OK },
		{ ",\"typ\":\"at+jwt\"", TOKEN_OK },
		{ ",\"typ\":\"application/at+jwt\"", TOKEN_OK },
		{ ",\"typ\":\"logout+jwt\"", TOKEN_INVALID },
		{ ",\"typ\":7", TOKEN_INVALID },
		/* RFC 7515 4.1.11: we understand no extension. */
		{ ",\"crit\":[\"exp\"],\"exp\":1", TOKEN_INVALID },
		{ ",\"crit\":[]", TOKEN_INVALID },
		/* Where keys come from is ours to say: these are ignored. */
		{ ",\"jku\":\"http://evil.example/jwks\"", TOKEN_OK },
		{ ",\"x5u\":\"http://evil.example/cert\"", TOKEN_OK },
	};

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"%s}",
		    ed.kid, cases[i].extra);
		cr_assert_eq(verify_free(jws_sign(ed.k, "EdDSA", header, p)),
		    cases[i].want, "%s", header);
	}
	/* An embedded JWK does not choose the key either. */
	{
		struct ikey evil;

		ikey_make(&evil, "Ed25519", "EdDSA");
		snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
		    "\"jwk\":%s}", ed.kid, evil.jwk);
		cr_assert_eq(verify_free(jws_sign(evil.k, "EdDSA", header, p)), TOKEN_INVALID);
		ikey_free(&evil);
	}
	/* alg none, and names that only look like ours. */
	cr_assert_eq(verify_free(labelled_token(ed.k, "EdDSA", "none",
	    ed.kid, p)), TOKEN_INVALID);
	cr_assert_eq(verify_free(labelled_token(ed.k, "EdDSA", "eddsa",
	    ed.kid, p)), TOKEN_INVALID);
	cr_assert_eq(verify_free(labelled_token(ed.k, "EdDSA", "Ed25519",
	    ed.kid, p)), TOKEN_INVALID);
	free(p);
	ikey_free(&ed);
}

Test(jwks, tampered_tokens_are_refused)
{
	struct ikey ed, *all[] = { &ed };
	char *t, *p2, *b, buf[4096];
	const char *d1, *d2;

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	t = good_token(&ed, "alice");
	d1 = strchr(t, '.');
	d2 = strrchr(t, '.');
	/* Another payload under the signature. */
	p2 = ba_payload("mallory", NOW + 60, BASE_URL);
	b = b64url(p2, strlen(p2));
	snprintf(buf, sizeof(buf), "%.*s.%s%s", (int)(d1 - t), t, b, d2);
	cr_assert_eq(verify(buf), TOKEN_INVALID);
	free(b);
	/* The signature re-spelled with non-zero spare bits: same bytes to a
	 * lax decoder, refused here. 64 bytes end in a 4-bit remainder. */
	snprintf(buf, sizeof(buf), "%s", t);
	{
		char *last = buf + strlen(buf) - 1;
		const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(tab, *last) - tab);

		*last = tab[v | 1];
		cr_assert_eq(verify(buf), TOKEN_INVALID);
	}
	/* Padding. */
	snprintf(buf, sizeof(buf), "%s==", t);
	cr_assert_eq(verify(buf), TOKEN_INVALID);
	free(p2);
	free(t);
	ikey_free(&ed);
}

Test(jwks, payload_must_be_strict_json_object)
{
	struct ikey ed, *all[] = { &ed };
	const char *payloads[] = {
		"[\"sub\"]",
		"{\"sub\":\"u\",\"exp\":NaN,\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}",
		"{'sub':'u','exp':1800000060}",
		"{\"sub\":\"u\",\"exp\":1800000060,\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"} x",
		"",
	};

	ikey_make(&ed, "Ed25519", "EdDSA");
	use_file(all, 1);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		cr_assert_eq(verify_free(ba_token(&ed, payloads[i])), TOKEN_INVALID,
		    "%s", payloads[i]);
	ikey_free(&ed);
}

Test(jwks, the_allow_list_limits_the_algorithms)
{
	struct ikey ed, ec, *all[] = { &ed, &ec };

	ikey_make(&ed, "Ed25519", "EdDSA");
	ikey_make(&ec, "P-256", "ES256");
	set_cfg("JWT_JWKS_ALGORITHMS", "EdDSA");
	use_file(all, 2);
	cr_assert_eq(verify_free(good_token(&ed, "u")), TOKEN_OK);
	cr_assert_eq(verify_free(good_token(&ec, "u")), TOKEN_INVALID);
	ikey_free(&ed);
	ikey_free(&ec);
}

/* ---- the parser ---- */

static size_t
parse_count(const char *text, unsigned algs, char *note, size_t notelen)
{
	struct jwks_set *set;
	size_t n;

	cr_assert_eq(jwks_set_parse(text, strlen(text), algs, &set, note,
	    notelen), 0, "%s: %s", text, note);
	n = jwks_set_count(set);
	jwks_set_free(set);
	return n;
}

Test(jwks, unusable_keys_are_skipped_with_a_reason)
{
	struct ikey ed, ec, r1024;
	char note[256], text[8192], *jwk;
	static const struct { const char *json, *reason; } bad[] = {
		{ "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"h\"}", "private or secret" },
		{ "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"kid\":\"x\"}", "does not sign" },
		{ "{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"o\"}", "algorithm we do not verify" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"kid\":\"m\"}", "does not fit" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"kid\":\"s\"}", "not usable" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "without a usable kid" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\",\"kid\":\"e\"}", "not usable" },
		{ "\"a string\"", "not an object" },
		{ "{\"kid\":\"k\"}", "no kty" },
	};

	ikey_make(&ed, "Ed25519", "EdDSA");
	ikey_make(&ec, "P-256", "ES256");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"keys\":[%s,%s]}", bad[i].json, ed.jwk);
		cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 1, "%s", bad[i].json);
		cr_assert(strstr(note, bad[i].reason) != NULL, "%s: %s", bad[i].json, note);
	}
	/* An encryption key; key_ops without verify; a private key. */
	jwk = strdup(ed.jwk);
	jwk[strlen(jwk) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"keys\":[%s,\"use\":\"enc\"}]}", jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0);
	cr_assert(strstr(note, "not a signing key") != NULL, "%s", note);
	snprintf(text, sizeof(text), "{\"keys\":[%s,\"use\":\"sig\",\"key_ops\":[\"verify\"]}]}", jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 1, "%s", note);
	snprintf(text, sizeof(text), "{\"keys\":[%s,\"key_ops\":[\"sign\"]}]}", jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0);
	snprintf(text, sizeof(text), "{\"keys\":[%s,\"d\":\"AAAA\"}]}", jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0);
	cr_assert(strstr(note, "private") != NULL, "%s", note);
	free(jwk);
	/* A P-256 key labelled as P-384, or its point moved off the curve. */
	jwk = strdup(ec.jwk);
	*strstr(jwk, "P-256") = 'Q';
	snprintf(text, sizeof(text), "{\"keys\":[%s]}", jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0);
	free(jwk);
	{
		struct json_object *o = json_tokener_parse(ec.jwk);
		char *y = strdup(json_object_get_string(json_object_object_get(o, "y")));

		y[5] = y[5] == 'A' ? 'B' : 'A';
		json_object_object_add(o, "y", json_object_new_string(y));
		snprintf(text, sizeof(text), "{\"keys\":[%s]}", json_object_to_json_string(o));
		cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0, "a point off the curve");
		free(y);
		json_object_put(o);
	}
	/* RSA under 2048 bits. */
	ikey_make(&r1024, "RSA-1024", "RS256");
	snprintf(text, sizeof(text), "{\"keys\":[%s]}", r1024.jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 0);
	cr_assert(strstr(note, "1024 bits") != NULL, "%s", note);
	/* The allow-list drops the others. */
	snprintf(text, sizeof(text), "{\"keys\":[%s,%s]}", ed.jwk, ec.jwk);
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), 2);
	cr_assert_eq(parse_count(text, 1u << JWKS_ES256, note, sizeof(note)), 1);
	cr_assert(strstr(note, "JWT_JWKS_ALGORITHMS") != NULL, "%s", note);
	ikey_free(&ed);
	ikey_free(&ec);
	ikey_free(&r1024);
}

Test(jwks, what_is_not_a_key_set_is_refused)
{
	const char *bad[] = { "", "{}", "[]", "{\"keys\":{}}", "{\"keys\":null}",
	    "{\"keys\":[]", "{\"keys\":[],\"x\":NaN}", "<html>502</html>",
	    "{\"keys\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}" };
	struct jwks_set *set;
	char note[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(jwks_set_parse(bad[i], strlen(bad[i]), 0, &set, note,
		    sizeof(note)), -1, "%s", bad[i]);
		cr_assert_null(set);
	}
	cr_assert_eq(parse_count("{\"keys\":[]}", 0, note, sizeof(note)), 0);
}

Test(jwks, at_most_the_key_limit_is_kept)
{
	struct ikey ed;
	char *text, *p;
	size_t n = JWKS_KEYS_MAX + 5;
	char note[128];

	ikey_make(&ed, "Ed25519", "EdDSA");
	text = malloc(n * (strlen(ed.jwk) + 1) + 16);
	p = text + sprintf(text, "{\"keys\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i > 0 ? "," : "", ed.jwk);
	strcpy(p, "]}");
	cr_assert_eq(parse_count(text, 0, note, sizeof(note)), JWKS_KEYS_MAX);
	cr_assert(strstr(note, "more than") != NULL, "%s", note);
	free(text);
	ikey_free(&ed);
}

Test(jwks, base64url_is_strict)
{
	size_t n;
	unsigned char *d;

	d = b64url_decode("aGk", 3, &n);
	cr_assert(d != NULL && n == 2 && memcmp(d, "hi", 2) == 0);
	free(d);
	d = b64url_decode("", 0, &n);
	cr_assert(d != NULL && n == 0);
	free(d);
	cr_assert_null(b64url_decode("aGl", 3, &n), "spare bits set");
	cr_assert_null(b64url_decode("aGk=", 4, &n), "padding");
	cr_assert_null(b64url_decode("aG+k", 4, &n), "base64, not base64url");
	cr_assert_null(b64url_decode("aGk/", 4, &n));
	cr_assert_null(b64url_decode("a", 1, &n), "4n+1 characters");
	cr_assert_null(b64url_decode("aG k", 4, &n));
}

Test(jwks, algorithm_names)
{
	unsigned mask;
	char err[256];

	cr_assert_eq(jwks_alg_from_name("EdDSA"), JWKS_EDDSA);
	cr_assert_eq(jwks_alg_from_name("PS512"), JWKS_PS512);
	cr_assert_eq(jwks_alg_from_name("HS256"), -1);
	cr_assert_eq(jwks_alg_from_name("none"), -1);
	cr_assert_eq(jwks_alg_from_name("es256"), -1);
	cr_assert_eq(jwks_parse_algorithms(" EdDSA, ES256 ,RS256", &mask, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(mask, 1u << JWKS_EDDSA | 1u << JWKS_ES256 | 1u << JWKS_RS256);
	cr_assert_eq(jwks_parse_algorithms("EdDSA,HS256", &mask, err, sizeof(err)), -1);
	cr_assert(strstr(err, "HS256") != NULL, "%s", err);
	cr_assert_eq(jwks_parse_algorithms(" , ", &mask, err, sizeof(err)), -1);
}

/* ---- configuration ---- */

Test(jwks, configuration_rules)
{
	struct config c;
	char err[512], *file;
	struct ikey ed, *all[] = { &ed };

	ikey_make(&ed, "Ed25519", "EdDSA");
	put_set("jwks.json", all, 1);
	file = path_in("jwks.json");
	/* A JWKS needs its issuer and audience. */
	memset(&c, 0, sizeof(c));
	cr_assert_eq(config_set(&c, "JWT_JWKS_URL", "https://auth.example/api/auth/jwks", err, sizeof(err)), 0);
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE") != NULL, "%s", err);
	cr_assert_eq(config_set(&c, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err)), 0);
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert_eq(config_set(&c, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err)), 0);
	/* ...and then serves without JWT_SECRET. */
	cr_assert_eq(config_check(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(c.jwt_secret);
	cr_assert_not_null(c.jwks);
	config_free(&c);
	/* Not both sources; only http and https. */
	memset(&c, 0, sizeof(c));
	config_set(&c, "JWT_JWKS_URL", "https://auth.example/jwks", err, sizeof(err));
	config_set(&c, "JWT_JWKS_FILE", file, err, sizeof(err));
	config_set(&c, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err));
	config_set(&c, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "choose one") != NULL, "%s", err);
	config_set(&c, "JWT_JWKS_FILE", "", err, sizeof(err));
	config_set(&c, "JWT_JWKS_URL", "file:///etc/passwd", err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "http:// or https://") != NULL, "%s", err);
	config_set(&c, "JWT_JWKS_URL", "ftp://auth.example/jwks", err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	config_set(&c, "JWT_JWKS_URL", "HTTPS://auth.example/jwks", err, sizeof(err));
	config_set(&c, "JWT_JWKS_ALGORITHMS", "EdDSA,HS256", err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "HS256") != NULL, "%s", err);
	config_set(&c, "JWT_JWKS_ALGORITHMS", "EdDSA,ES256", err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), 0, "%s", err);
	config_free(&c);
	/* Numbers. */
	memset(&c, 0, sizeof(c));
	cr_assert_eq(config_set(&c, "JWT_JWKS_CACHE_SECONDS", "0", err, sizeof(err)), -1);
	cr_assert_eq(config_set(&c, "JWT_JWKS_RETRY_SECONDS", "86401", err, sizeof(err)), -1);
	cr_assert_eq(config_set(&c, "JWT_JWKS_RETRY_SECONDS", "5s", err, sizeof(err)), -1);
	cr_assert_eq(config_set(&c, "JWT_JWKS_CACHE_SECONDS", "60", err, sizeof(err)), 0);
	cr_assert_eq(c.jwt_jwks_cache_seconds, 60);
	/* Neither a secret nor a JWKS: refuse, as before. */
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "JWT_SECRET is not set") != NULL, "%s", err);
	config_free(&c);
	/* A JWKS file others can write is refused at start. */
	memset(&c, 0, sizeof(c));
	config_set(&c, "JWT_JWKS_FILE", file, err, sizeof(err));
	config_set(&c, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err));
	config_set(&c, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err));
	cr_assert_eq(chmod(file, 0666), 0);
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "writable by group or others") != NULL, "%s", err);
	cr_assert_eq(chmod(file, 0644), 0);
	cr_assert_eq(config_check(&c, err, sizeof(err)), 0, "%s", err);
	config_free(&c);
	/* A file that is not a key set is refused at start. */
	put("broken.json", "{\"keys\":");
	free(file);
	file = path_in("broken.json");
	memset(&c, 0, sizeof(c));
	config_set(&c, "JWT_JWKS_FILE", file, err, sizeof(err));
	config_set(&c, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err));
	config_set(&c, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err));
	cr_assert_eq(config_check(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a JSON Web Key Set") != NULL, "%s", err);
	config_free(&c);
	free(file);
	ikey_free(&ed);
}

/* cfg with url and the issuer's claims: config_check's answer, err set. */
static int
check_url(const char *url, const char *allow_http, char *err, size_t errlen)
{
	config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	set_cfg("JWT_JWKS_URL", url);
	set_cfg("JWT_JWKS_ALLOW_HTTP", allow_http);
	set_cfg("JWT_JWKS_ISSUER", BASE_URL);
	set_cfg("JWT_JWKS_AUDIENCE", BASE_URL);
	set_cfg("JWT_JWKS_CACHE_FILE", "/nonexistent/cache.json");
	err[0] = '\0';
	return config_check(&cfg, err, errlen);
}

/*
 * docs/API.md "External issuer settings": http:// only to a loopback
 * issuer (a development Better Auth), unless JWT_JWKS_ALLOW_HTTP=on; else
 * the programs refuse to start, as for any bad setting.
 */
Test(jwks, plain_http_only_to_a_loopback_issuer_unless_allowed)
{
	static const char *const loopback[] = {
		"http://localhost:3000/api/auth/jwks", "http://LOCALHOST/jwks",
		"http://127.0.0.1:3000/jwks", "http://127.1.2.3/jwks",
		"http://[::1]:3000/jwks", "https://auth.example/jwks",
	};
	static const char *const elsewhere[] = {
		"http://auth.example/api/auth/jwks", "http://10.0.0.1:3000/jwks",
		"http://128.0.0.1/jwks", "http://[::2]/jwks",
		"http://localhost.evil.example/jwks",
		"http://127.0.0.1.evil.example/jwks",
	};
	char err[512];

	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		cr_assert_eq(check_url(loopback[i], "off", err, sizeof(err)), 0,
		    "%s: %s", loopback[i], err);
	for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		cr_assert_eq(check_url(elsewhere[i], "off", err, sizeof(err)), -1,
		    "%s taken", elsewhere[i]);
		cr_assert(strstr(err, "JWT_JWKS_ALLOW_HTTP") != NULL, "%s", err);
		cr_assert_eq(check_url(elsewhere[i], "on", err, sizeof(err)), 0,
		    "%s with JWT_JWKS_ALLOW_HTTP=on: %s", elsewhere[i], err);
	}
	cr_assert_eq(config_set(&cfg, "JWT_JWKS_ALLOW_HTTP", "yes", err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "on or off") != NULL, "%s", err);
}

Test(jwks, a_jwks_file_is_read_again_when_it_changes)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b }, *second[] = { &b };
	struct timespec later = { 0, 20 * 1000 * 1000 };

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "P-256", "ES256");
	use_file(first, 1);
	cr_assert_eq(verify_free(good_token(&a, "u")), TOKEN_OK);
	cr_assert_eq(verify_free(good_token(&b, "u")), TOKEN_INVALID);
	nanosleep(&later, NULL);
	put_set("jwks.json", both, 2);
	cr_assert_eq(verify_free(good_token(&b, "u")), TOKEN_OK);
	/* a stays until something makes us look again: an unknown kid. */
	put_set("jwks.json", second, 1);
	cr_assert_eq(verify_free(good_token(&a, "u")), TOKEN_OK);
	{
		struct ikey c;

		ikey_make(&c, "Ed25519", "EdDSA");
		cr_assert_eq(verify_free(good_token(&c, "u")), TOKEN_INVALID);
		ikey_free(&c);
	}
	cr_assert_eq(verify_free(good_token(&a, "u")), TOKEN_INVALID);
	/* A broken edit keeps the keys already read. */
	put("jwks.json", "{\"keys\":[");
	cr_assert_eq(verify_free(good_token(&b, "u")), TOKEN_OK);
	ikey_free(&a);
	ikey_free(&b);
}

/* ---- fetching and the cache rules, on a real HTTP server ---- */

static int
fetches(void)
{
	return jwks_server_requests(dir);
}

/* A token of ik issued at now, checked at now. */
static enum token_status
verify_token_at(const struct ikey *ik, time_t now)
{
	char *p = ba_payload("u", now + LIFETIME, BASE_URL), *t = ba_token(ik, p);
	enum token_status st = verify_at(t, now, NULL);

	free(p);
	free(t);
	return st;
}

Test(jwks, fetched_once_then_served_from_memory)
{
	struct ikey a, *all[] = { &a };

	ikey_make(&a, "Ed25519", "EdDSA");
	use_url(all, 1);
	cr_assert_eq(fetches(), 0, "nothing is fetched before a token needs it");
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(verify_token_at(&a, NOW + i * 10), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	ikey_free(&a);
}

Test(jwks, an_unknown_kid_refetches_at_most_once_per_30_seconds)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b };

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "P-256", "ES256");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	/* The issuer rotates: b appears. */
	put_set("jwks.json", both, 2);
	/* Within 30 s of the last fetch, an unknown kid fetches nothing. */
	for (int i = 0; i < 50; i++)
		cr_assert_eq(verify_token_at(&b, NOW + 29), TOKEN_INVALID);
	cr_assert_eq(fetches(), 1);
	/* At 30 s it may: one fetch, and b is in. */
	cr_assert_eq(verify_token_at(&b, NOW + 30), TOKEN_OK);
	cr_assert_eq(fetches(), 2);
	/* The old key stays accepted while published. */
	cr_assert_eq(verify_token_at(&a, NOW + 31), TOKEN_OK);
	/* A flood of made-up kids: one fetch per 30 s at most. */
	{
		struct ikey bogus;

		ikey_make(&bogus, "Ed25519", "EdDSA");
		for (int s = 31; s < 120; s++)
			cr_assert_eq(verify_token_at(&bogus, NOW + s), TOKEN_INVALID);
		ikey_free(&bogus);
	}
	/* Checks at 60 and 90: two more. */
	cr_assert_eq(fetches(), 4);
	ikey_free(&a);
	ikey_free(&b);
}

Test(jwks, the_set_expires_after_10_minutes_and_a_removed_key_goes)
{
	struct ikey a, b, *both[] = { &a, &b }, *second[] = { &b };

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(both, 2);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	put_set("jwks.json", second, 1);
	/* Known and fresh: no fetch for 10 minutes, so a is still taken. */
	cr_assert_eq(verify_token_at(&a, NOW + 599), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	/* At 600 s the set is stale: fetched again, and a is gone. */
	cr_assert_eq(verify_token_at(&a, NOW + 600), TOKEN_INVALID);
	cr_assert_eq(fetches(), 2);
	cr_assert_eq(verify_token_at(&b, NOW + 601), TOKEN_OK);
	cr_assert_eq(fetches(), 2);
	ikey_free(&a);
	ikey_free(&b);
}

Test(jwks, the_cached_set_serves_while_the_issuer_is_down)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b };
	double t0;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	put_set("jwks.json", both, 2);
	/* The issuer goes away: connections are refused. */
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	server = -1;
	t0 = test_monotonic_s();
	/* Stale (an hour on), fetch fails: the cached key still works. */
	cr_assert_eq(verify_token_at(&a, NOW + 3600), TOKEN_OK);
	/* A new kid is refused, at once. */
	cr_assert_eq(verify_token_at(&b, NOW + 3700), TOKEN_INVALID);
	cr_assert_lt((test_monotonic_s() - t0), 2.0);
	/* And retried no more than once per 30 s meanwhile. */
	for (int i = 0; i < 20; i++)
		cr_assert_eq(verify_token_at(&a, NOW + 3701 + i), TOKEN_OK);
	ikey_free(&a);
	ikey_free(&b);
}

/*
 * No set ever had (a process that starts while the issuer is down, with no
 * cache file): the issuer's tokens cannot be judged, which is our outage
 * and not the token's fault: TOKEN_UNAVAILABLE (503), with the seconds
 * until the next fetch may be tried for its Retry-After; at most one
 * fetch per retry period meanwhile, and the first one that works heals it.
 */
Test(jwks, a_set_never_had_is_unavailable_not_invalid)
{
	struct ikey a, *first[] = { &a };
	struct token_claims c;
	char *t, *p;

	ikey_make(&a, "Ed25519", "EdDSA");
	use_url(first, 1);
	/* The issuer answers, but not the set: a 404. */
	p = path_in("jwks.json");
	cr_assert_eq(unlink(p), 0);
	t = good_token(&a, "u");
	cr_assert_eq(verify_at(t, NOW, &c), TOKEN_UNAVAILABLE);
	cr_assert_eq(c.retry_after, JWKS_DEFAULT_RETRY_SECONDS);
	cr_assert_eq(fetches(), 1);
	cr_assert_eq(verify_at(t, NOW + 10, &c), TOKEN_UNAVAILABLE);
	cr_assert_eq(c.retry_after, JWKS_DEFAULT_RETRY_SECONDS - 10);
	cr_assert_eq(verify_at(t, NOW + 29, &c), TOKEN_UNAVAILABLE);
	cr_assert_eq(c.retry_after, 1);
	cr_assert_eq(fetches(), 1, "no fetch within the retry period");
	/* What is not the issuer's is still refused for what it is. */
	cr_assert_eq(verify_at("not.a.token", NOW + 29, &c), TOKEN_INVALID);
	put_set("jwks.json", first, 1);
	cr_assert_eq(verify_at(t, NOW + 30, &c), TOKEN_OK);
	cr_assert_eq(fetches(), 2);
	/* With a set in hand, an unknown kid is the token's fault again. */
	{
		struct ikey b;

		ikey_make(&b, "Ed25519", "EdDSA");
		cr_assert_eq(verify_token_at(&b, NOW + 60), TOKEN_INVALID);
		ikey_free(&b);
	}
	free(t);
	free(p);
	ikey_free(&a);
}

Test(jwks, a_hanging_issuer_costs_one_request_at_most_5_seconds)
{
	struct ikey a, b, *first[] = { &a };
	double t0;
	double took;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	/* Stopped: the kernel still accepts connections, nobody answers. */
	cr_assert_eq(kill(server, SIGSTOP), 0);
	t0 = test_monotonic_s();
	cr_assert_eq(verify_token_at(&b, NOW + 30), TOKEN_INVALID);
	took = (test_monotonic_s() - t0);
	cr_assert(took >= 4.5 && took < 7.0, "the fetch took %.2f s", took);
	/* The next requests do not wait again, and old keys work. */
	t0 = test_monotonic_s();
	cr_assert_eq(verify_token_at(&b, NOW + 40), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, NOW + 41), TOKEN_OK);
	cr_assert_lt((test_monotonic_s() - t0), 1.0);
	kill(server, SIGCONT);
	ikey_free(&a);
	ikey_free(&b);
}

Test(jwks, other_processes_use_the_cache_file_and_its_times)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b };
	struct config other;
	struct token_claims c;
	char err[512], url[128], *cache = path_in("cache.json"), *t;
	struct stat st;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	/* The file: ours, 0600, naming the URL. */
	cr_assert_eq(lstat(cache, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_eq(st.st_uid, geteuid());
	/* Another process (another config, same settings) fetches nothing. */
	memset(&other, 0, sizeof(other));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
	config_set(&other, "JWT_JWKS_URL", url, err, sizeof(err));
	config_set(&other, "JWT_JWKS_CACHE_FILE", cache, err, sizeof(err));
	config_set(&other, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err));
	config_set(&other, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err));
	cr_assert_eq(config_check(&other, err, sizeof(err)), 0, "%s", err);
	t = good_token(&a, "u");
	cr_assert_eq(token_verify_jwt(&other, t, NOW + 5, &c), TOKEN_OK);
	free(t);
	cr_assert_eq(fetches(), 1);
	/* Nor for an unknown kid within 30 s of the first one's fetch. */
	put_set("jwks.json", both, 2);
	t = good_token(&b, "u");
	cr_assert_eq(token_verify_jwt(&other, t, NOW + 20, &c), TOKEN_INVALID);
	cr_assert_eq(fetches(), 1);
	/* After it, the other fetches; the first then reads its result. */
	cr_assert_eq(token_verify_jwt(&other, t, NOW + 31, &c), TOKEN_OK);
	cr_assert_eq(fetches(), 2);
	cr_assert_eq(verify_at(t, NOW + 32, NULL), TOKEN_OK);
	cr_assert_eq(fetches(), 2);
	free(t);
	config_free(&other);
	free(cache);
	ikey_free(&a);
	ikey_free(&b);
}

/*
 * Another process in the middle of a fetch: it holds the fetch lock beside
 * the cache file. Returns its pid, once it holds it; SIGKILL ends it,
 * or 20 s.
 */
static pid_t
fetching_elsewhere(const char *lock)
{
	int ready[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(ready), 0);
	cr_assert_geq(pid = fork(), 0);
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CREAT, 0600);

		/* Gone by itself should the test stop short of killing it. */
		alarm(20);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the other process has no lock");
	close(ready[0]);
	return pid;
}

/*
 * docs/API.md "External issuers": while another process fetches, this one
 * neither fetches too nor waits on the issuer: a kid it lacks is refused
 * at once. One that has no keys at all waits for that fetch a moment, then
 * answers 503.
 */
Test(jwks, a_fetch_under_way_elsewhere_is_not_waited_for)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b };
	char *cache = path_in("cache.json"), *lock = path_in("cache.json.lock");
	struct config cold = { 0 };
	struct token_claims c;
	char err[512], url[128], *t;
	double t0, took;
	pid_t other;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	put_set("jwks.json", both, 2);
	other = fetching_elsewhere(lock);
	t0 = test_monotonic_s();
	cr_assert_eq(verify_token_at(&b, NOW + 31), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, NOW + 32), TOKEN_OK);
	took = test_monotonic_s() - t0;
	cr_assert_lt(took, 1.0, "waited %.2f s on another's fetch", took);
	cr_assert_eq(fetches(), 1, "a second fetch while one is under way");
	/* A process that never had the set, and no cache file yet. */
	cr_assert_eq(unlink(cache), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
	config_set(&cold, "JWT_JWKS_URL", url, err, sizeof(err));
	config_set(&cold, "JWT_JWKS_CACHE_FILE", cache, err, sizeof(err));
	config_set(&cold, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err));
	config_set(&cold, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err));
	cr_assert_eq(config_check(&cold, err, sizeof(err)), 0, "%s", err);
	t = good_token(&a, "u");
	t0 = test_monotonic_s();
	cr_assert_eq(token_verify_jwt(&cold, t, NOW + 33, &c), TOKEN_UNAVAILABLE);
	took = test_monotonic_s() - t0;
	cr_assert(took >= 0.9 && took < 3.0, "the cold process waited %.2f s",
	    took);
	cr_assert_eq(fetches(), 1);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	free(t);
	config_free(&cold);
	free(cache);
	free(lock);
	ikey_free(&a);
	ikey_free(&b);
}

/* A cache file with an attacker's key; it must not be believed. */
static void
plant_cache(const char *cache, const struct ikey *evil)
{
	char *text, url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
	cr_assert(asprintf(&text, "{\"source\":\"%s\",\"fetched_at\":%ld,"
	    "\"checked_at\":%ld,\"jwks\":{\"keys\":[%s]}}", url, NOW, NOW,
	    evil->jwk) > 0);
	cr_assert_eq(key_write_file(cache, text), 0);
	free(text);
}

Test(jwks, a_cache_file_others_could_write_is_refused)
{
	struct ikey a, evil, *first[] = { &a };
	char *cache = path_in("cache.json"), *target = path_in("elsewhere.json");

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&evil, "Ed25519", "EdDSA");
	use_url(first, 1);
	/* Writable by group or others. */
	plant_cache(cache, &evil);
	cr_assert_eq(chmod(cache, 0666), 0);
	cr_assert_eq(verify_token_at(&evil, NOW), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert_eq(fetches(), 1, "the set was fetched instead");
	/* Our fetch replaced it with a good one. */
	{
		struct stat st;

		cr_assert_eq(stat(cache, &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0600);
	}
	ikey_free(&a);
	ikey_free(&evil);
	free(cache);
	free(target);
}

Test(jwks, a_cache_file_that_is_a_link_or_not_ours_is_refused)
{
	struct ikey a, evil, *first[] = { &a };
	char *cache = path_in("cache.json"), *target = path_in("elsewhere.json");

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&evil, "Ed25519", "EdDSA");
	use_url(first, 1);
	/* A symbolic link to a file of ours. */
	plant_cache(target, &evil);
	cr_assert_eq(chmod(target, 0600), 0);
	cr_assert_eq(symlink(target, cache), 0);
	cr_assert_eq(verify_token_at(&evil, NOW), TOKEN_INVALID);
	cr_assert_eq(fetches(), 1);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	/* The fetch replaced the link, not what it points to. */
	{
		struct stat st;

		cr_assert_eq(lstat(cache, &st), 0);
		cr_assert(S_ISREG(st.st_mode));
	}
	/* Owned by another user (needs root to make one; the suite runs as root). */
	cr_assert_eq(geteuid(), 0, "run the suite as root (make test does)");
	config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	unlink(cache);
	plant_cache(cache, &evil);
	cr_assert_eq(chmod(cache, 0600), 0);
	cr_assert_eq(chown(cache, 65534, 65534), 0);
	{
		char err[512], url[128], *c = path_in("cache.json");

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
		set_cfg("JWT_JWKS_URL", url);
		set_cfg("JWT_JWKS_CACHE_FILE", c);
		set_cfg("JWT_JWKS_ISSUER", BASE_URL);
		set_cfg("JWT_JWKS_AUDIENCE", BASE_URL);
		cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
		free(c);
	}
	cr_assert_eq(verify_token_at(&evil, NOW), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	ikey_free(&a);
	ikey_free(&evil);
	free(cache);
	free(target);
}

Test(jwks, a_trusted_cache_file_is_used_without_fetching)
{
	struct ikey a, *first[] = { &a };
	char *cache = path_in("cache.json");

	/* The positive control of the two tests above: the same file, 0600
	 * and ours, is believed (so the refusals above are the checks'). */
	ikey_make(&a, "Ed25519", "EdDSA");
	use_url(first, 1);
	plant_cache(cache, &a);
	cr_assert_eq(chmod(cache, 0600), 0);
	cr_assert_eq(verify_token_at(&a, NOW + 1), TOKEN_OK);
	cr_assert_eq(fetches(), 0);
	ikey_free(&a);
	free(cache);
}

Test(jwks, bad_answers_keep_the_known_keys)
{
	struct ikey a, b, *first[] = { &a }, *both[] = { &a, &b };
	char *big;
	size_t n = JWKS_FETCH_MAX + 1024;
	long t = NOW;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	use_url(first, 1);
	cr_assert_eq(verify_token_at(&a, t), TOKEN_OK);
	/* Over the size bound: a valid set padded with spaces. */
	put_set("jwks.json", both, 2);
	{
		char *p = path_in("jwks.json"), *set = key_read_file(p);

		big = malloc(n + strlen(set) + 1);
		memset(big, ' ', n);
		strcpy(big + n, set);
		put("jwks.json", big);
		free(big);
		free(set);
		free(p);
	}
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, t), TOKEN_OK);
	/* A 500, an HTML page with a 200, a redirect to another scheme. */
	put_set("jwks.json", both, 2);
	put("jwks.json.status", "500");
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_INVALID);
	{
		char *st = path_in("jwks.json.status");

		unlink(st);
		free(st);
	}
	put("jwks.json", "<html><body>Bad gateway</body></html>");
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_INVALID);
	put_set("jwks.json", both, 2);
	put("jwks.json.location", "file:///etc/passwd");
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_INVALID);
	put("jwks.json.location", "ftp://127.0.0.1/jwks.json");
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_INVALID);
	cr_assert_eq(verify_token_at(&a, t), TOKEN_OK);
	/* A redirect within http is followed. */
	{
		char loc[128];

		put_set("moved.json", both, 2);
		snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/moved.json", port);
		put("jwks.json.location", loc);
	}
	t += 30;
	cr_assert_eq(verify_token_at(&b, t), TOKEN_OK);
	cr_assert_eq(fetches(), 8);
	ikey_free(&a);
	ikey_free(&b);
}

/* Where a jwks_open writes its lines: stderr into path from now on. */
static int
stderr_into(const char *path)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	return saved;
}

/* stderr back as it was. */
static void
stderr_back(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

/* The lines of path that contain what. */
static int
log_lines(const char *path, const char *what)
{
	char line[4096];
	int n = 0;
	FILE *f;

	cr_assert_not_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL) {
			fprintf(stderr, "logged: %s", line);
			n++;
		}
	fclose(f);
	return n;
}

/* c (zeroed, or in use: it is freed first) made again with the default
 * cache file (no JWT_JWKS_CACHE_FILE) for url. */
static void
open_default(struct config *c, const char *url)
{
	char err[512];

	config_free(c);
	cr_assert_eq(config_set(c, "JWT_JWKS_URL", url, err, sizeof(err)), 0);
	cr_assert_eq(config_set(c, "JWT_JWKS_ISSUER", BASE_URL, err, sizeof(err)), 0);
	cr_assert_eq(config_set(c, "JWT_JWKS_AUDIENCE", BASE_URL, err, sizeof(err)), 0);
	cr_assert_eq(config_check(c, err, sizeof(err)), 0, "%s", err);
}

static enum token_status
verify_with(struct config *c, const struct ikey *ik, time_t now)
{
	char *p = ba_payload("u", now + LIFETIME, BASE_URL), *t = ba_token(ik, p);
	struct token_claims claims;
	enum token_status st = token_verify_jwt(c, t, now, &claims);

	free(p);
	free(t);
	return st;
}

/* The URL of the served set, with a query of its own (a cache file's name). */
static void
serve(struct ikey *const *keys, size_t n, char *url, size_t len)
{
	put_set("jwks.json", keys, n);
	server = jwks_server_fork(dir, &port);
	cr_assert_gt(server, 0);
	snprintf(url, len, "http://127.0.0.1:%d/jwks.json?%s", port,
	    keys[0]->kid);
}

/* The only environment the default cache folder is chosen by. */
static void
cache_env(const char *cache_directory, const char *home)
{
	unsetenv("XDG_CACHE_HOME");
	unsetenv("TASKAPI_ENV_FILE");
	if (cache_directory != NULL)
		setenv("CACHE_DIRECTORY", cache_directory, 1);
	else
		unsetenv("CACHE_DIRECTORY");
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
}

/*
 * The folder /tmp/taskapi-jwks-<uid> made first by someone else (here, a
 * link to a folder of theirs), when it does not exist yet: the programs
 * once took their default cache folder there.
 */
static void
take_old_tmp_folder(void)
{
	char *theirs = path_in("theirs"), path[64];

	snprintf(path, sizeof(path), "/tmp/taskapi-jwks-%u",
	    (unsigned)geteuid());
	cr_assert_eq(mkdir(theirs, 0700), 0);
	/* When it exists already (the programs' own, or taken), as it is. */
	if (symlink(theirs, path) == 0)
		snprintf(old_taken, sizeof(old_taken), "%s", path);
	free(theirs);
}

/*
 * docs/API.md "External issuer settings": the default cache folder is
 * never one another local user could make first: systemd's
 * CACHE_DIRECTORY when set, else the user's ~/.cache/taskapi. A
 * CACHE_DIRECTORY that is a link, or another user's, or writable by
 * others, is refused in one log line, and ~/.cache/taskapi serves: every
 * process shares one fetch, and a process started while the issuer is
 * down still has the keys.
 */
Test(jwks, a_cache_folder_taken_by_someone_else_is_refused_once)
{
	struct ikey a, *first[] = { &a };
	struct config second = { 0 }, third = { 0 };
	char url[160], *taken = path_in("taken"), *real = path_in("real");
	char *home = path_in("home"), *log = path_in("stderr.log");
	int saved;

	ikey_make(&a, "Ed25519", "EdDSA");
	serve(first, 1, url, sizeof(url));
	take_old_tmp_folder();
	cr_assert_eq(mkdir(real, 0700), 0);
	cr_assert_eq(symlink(real, taken), 0);
	cr_assert_eq(mkdir(home, 0700), 0);
	cache_env(taken, home);
	saved = stderr_into(log);
	open_default(&cfg, url);
	stderr_back(saved);
	cr_assert_eq(log_lines(log, "taskapi: jwks:"), 1, "one line in the log");
	cr_assert_eq(log_lines(log, "link"), 1, "it says why");
	saved = stderr_into(log);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	stderr_back(saved);
	cr_assert_eq(log_lines(log, "taskapi: jwks:"), 0, "said once only");
	cr_assert_eq(fetches(), 1);
	/* Another process: the set from the file in ~/.cache/taskapi. */
	open_default(&second, url);
	cr_assert_eq(verify_with(&second, &a, NOW + 5), TOKEN_OK);
	cr_assert_eq(fetches(), 1, "the second process fetched again");
	/* The issuer down: a process started now still has the keys. */
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	server = -1;
	open_default(&third, url);
	cr_assert_eq(verify_with(&third, &a, NOW + 3600), TOKEN_OK,
	    "a known kid with the issuer down");
	/* Nothing went where the link pointed. */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\" && "
		    "ls '%s'/.cache/taskapi/jwks-*.json >/dev/null", real, home);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
	}
	config_free(&second);
	config_free(&third);
	free(taken);
	free(real);
	free(home);
	free(log);
	ikey_free(&a);
}

/*
 * No folder to trust at all: the keys a process fetched still serve it
 * from memory while the issuer is down (an unknown kid is 401, not 503),
 * and the log says so once.
 */
Test(jwks, without_a_cache_folder_a_process_keeps_its_keys_in_memory)
{
	struct ikey a, b, *first[] = { &a };
	char url[160], *others = path_in("others"), *log = path_in("stderr.log");
	int saved;

	ikey_make(&a, "Ed25519", "EdDSA");
	ikey_make(&b, "Ed25519", "EdDSA");
	serve(first, 1, url, sizeof(url));
	/* Another user's folder (the suite runs as root, as make test does),
	 * and no home folder; the env file's folder is another user's too. */
	cr_assert_eq(geteuid(), 0, "run the suite as root (make test does)");
	cr_assert_eq(mkdir(others, 0755), 0);
	cr_assert_eq(chown(others, 65534, 65534), 0);
	cache_env(others, NULL);
	{
		char *env = path_in("others/taskapi.env"),
		    *beside = path_in("others/.taskapi-cache");

		cr_assert_eq(mkdir(beside, 0777), 0);
		cr_assert_eq(chmod(beside, 0777), 0);
		setenv("TASKAPI_ENV_FILE", env, 1);
		free(env);
		free(beside);
	}
	saved = stderr_into(log);
	open_default(&cfg, url);
	stderr_back(saved);
	cr_assert_eq(log_lines(log, "taskapi: jwks:"), 1, "one line in the log");
	cr_assert_eq(log_lines(log, "no cache file"), 1, "it says so");
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert_eq(fetches(), 1);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	server = -1;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(verify_token_at(&a, NOW + 3600 + 60 * i), TOKEN_OK,
		    "a known kid from memory, the issuer down");
	cr_assert_eq(verify_token_at(&b, NOW + 4000), TOKEN_INVALID);
	free(others);
	free(log);
	ikey_free(&a);
	ikey_free(&b);
}

/* systemd's CacheDirectory= (mode 0755 by default) is taken as it is. */
Test(jwks, the_default_cache_file_is_private)
{
	struct ikey a, *first[] = { &a };
	char url[160], *cachedir = path_in("var-cache"), *home = path_in("home");
	char *p;
	struct stat st;

	ikey_make(&a, "Ed25519", "EdDSA");
	serve(first, 1, url, sizeof(url));
	cr_assert_eq(mkdir(cachedir, 0755), 0);
	cr_assert_eq(chmod(cachedir, 0755), 0);
	cache_env(cachedir, NULL);
	open_default(&cfg, url);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert(asprintf(&p, "ls %s/jwks-*.json >/dev/null", cachedir) > 0);
	cr_assert_eq(system(p), 0, "%s", p);
	free(p);
	/* Without it, ~/.cache/taskapi, made private. */
	config_free(&cfg);
	cr_assert_eq(mkdir(home, 0755), 0);
	cache_env(NULL, home);
	open_default(&cfg, url);
	cr_assert_eq(verify_token_at(&a, NOW), TOKEN_OK);
	cr_assert(asprintf(&p, "%s/.cache/taskapi", home) > 0);
	cr_assert_eq(lstat(p, &st), 0, "%s", p);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700, "mode %o", st.st_mode & 0777);
	cr_assert_eq(st.st_uid, geteuid());
	free(p);
	/* Exactly one file there names our URL: the default cache file. */
	{
		char cmd[512], out[512] = "";
		FILE *f;

		snprintf(cmd, sizeof(cmd), "grep -l -F '%s' %s/.cache/taskapi/*.json",
		    a.kid, home);
		cr_assert_not_null(f = popen(cmd, "r"));
		cr_assert_not_null(fgets(out, sizeof(out), f));
		pclose(f);
		out[strcspn(out, "\n")] = '\0';
		cr_assert_eq(lstat(out, &st), 0, "%s", out);
		cr_assert_eq(st.st_mode & 0777, 0600);
	}
	free(cachedir);
	free(home);
	ikey_free(&a);
}

/*
 * The first fetch of all, under way in another process, which wrote its
 * start (and no set yet) to the cache file: a process with no keys waits
 * for it, a moment at most, and then serves from its result with no fetch
 * of its own, rather than answering 503 while the keys are on their way.
 */
Test(jwks, a_process_with_no_keys_waits_a_moment_for_the_first_fetch)
{
	struct ikey a, *first[] = { &a };
	char *cache = path_in("cache.json"), *lock = path_in("cache.json.lock");
	char *text, *done, url[128];
	int ready[2];
	pid_t other;

	ikey_make(&a, "Ed25519", "EdDSA");
	use_url(first, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks.json", port);
	/* What the fetching process writes before its GET, and after. */
	cr_assert(asprintf(&text, "{\"source\":\"%s\",\"fetched_at\":0,"
	    "\"checked_at\":%ld,\"jwks\":null}", url, NOW) > 0);
	cr_assert(asprintf(&done, "{\"source\":\"%s\",\"fetched_at\":%ld,"
	    "\"checked_at\":%ld,\"jwks\":{\"keys\":[%s]}}", url, NOW, NOW,
	    a.jwk) > 0);
	cr_assert_eq(pipe(ready), 0);
	cr_assert_geq(other = fork(), 0);
	if (other == 0) {
		struct timespec pause_300ms = { 0, 300000000L };
		int fd = open(lock, O_RDWR | O_CREAT, 0600);

		alarm(20);	/* gone by itself, whatever happens */
		if (fd < 0 || flock(fd, LOCK_EX) != 0 ||
		    key_write_file(cache, text) != 0 ||
		    write(ready[1], "x", 1) != 1)
			_exit(1);
		nanosleep(&pause_300ms, NULL);
		/* No assertion here: this process is not the test's. */
		_exit(key_write_file(cache, done) == 0 ? 0 : 1);
	}
	close(ready[1]);
	{
		char c;

		cr_assert_eq(read(ready[0], &c, 1), 1, "the other process failed");
	}
	close(ready[0]);
	cr_assert_eq(verify_token_at(&a, NOW + 1), TOKEN_OK);
	cr_assert_eq(fetches(), 0, "a fetch of its own");
	waitpid(other, NULL, 0);
	free(text);
	free(done);
	free(cache);
	free(lock);
	ikey_free(&a);
}
