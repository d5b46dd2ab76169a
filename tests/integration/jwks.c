/*
 * Integration: an external issuer's tokens through nginx
 * (docs/API.md "External issuers": JWT_JWKS_URL), the way a Better Auth
 * front end sends them. The test
 * instance has both JWT_SECRET and the issuer's JWKS (served by
 * build/tests/jwks-server): a token of each algorithm makes its user on
 * first need and drives every task route; every attack on the key set
 * checks (a kid of no key, a key of another algorithm, alg none, a forged
 * signature, HS256 keyed with a public key...) is a
 * 401 with the detail of docs/API.md "Authentication failures"; our own
 * HS256 tokens keep working beside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/ecdsa.h>

#include "support/helpers.h"
#include "support/hostile.h"
#include "support/issuer.h"
#include "json/b64url.h"
#include "jwks/jwks.h"
#include "support/keys.h"

#define INVALID "Invalid authentication token"

static const char *const stable[] = { "ed25519", "p256", "p521", "rs256",
    "ps256" };

/* GET /api/auth/me with token: its id and email. */
static void
expect_me(const char *token, const char *sub, const char *email,
    const char *what)
{
	struct http_res *r = http_json("GET", "/api/auth/me", token, NULL);

	cr_assert_eq(r->status, 200, "%s: me: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(json_str(r, "id"), sub, "%s", what);
	if (email != NULL)
		cr_assert_str_eq(json_str(r, "email"), email, "%s", what);
	else
		cr_assert(json_is_null(r, "email"), "%s: %s", what, r->body);
	http_free(r);
}

/* The whole task round for the token's user. */
static void
drive_tasks(const char *token, const char *sub, const char *what)
{
	struct http_res *r;
	char id[37], path[128];

	create_task(token, "From the front end", id);
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200, "%s: list %ld %s", what, r->status, r->body);
	cr_assert_eq(json_object_array_length(r->json), 1, "%s: %s", what, r->body);
	cr_assert_str_eq(obj_str(json_object_array_get_idx(r->json, 0), "user_id"),
	    sub, "%s", what);
	cr_assert_str_eq(http_header(r, "X-Total-Count"), "1", "%s", what);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s/complete", id);
	r = http_json("PATCH", path, token, NULL);
	cr_assert_eq(r->status, 200, "%s: complete %ld %s", what, r->status, r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 1, "%s", what);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("PUT", path, token, "{\"title\":\"Renamed\"}");
	cr_assert_eq(r->status, 200, "%s: put %ld %s", what, r->status, r->body);
	cr_assert_str_eq(json_str(r, "title"), "Renamed", "%s", what);
	http_free(r);
	r = http_json("DELETE", path, token, NULL);
	cr_assert_eq(r->status, 204, "%s: delete %ld %s", what, r->status, r->body);
	http_free(r);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 404, "%s: gone %ld", what, r->status);
	http_free(r);
}

Test(jwks_http, each_algorithm_makes_its_user_and_drives_the_task_routes)
{
	for (size_t i = 0; i < sizeof(stable) / sizeof(stable[0]); i++) {
		char kid[33], sub[33], email[128], *t;
		EVP_PKEY *k = issuer_key(stable[i], kid);

		/* Better Auth's ids: 32 random alphanumerics. */
		key_random_id(sub);
		test_email(email, sizeof(email));
		t = issuer_token(k, issuer_alg(stable[i]), kid, sub, email);
		/*
		 * docs/API.md "Users on first need": the first request makes
		 * the user, with the email.
		 */
		expect_me(t, sub, email, stable[i]);
		drive_tasks(t, sub, stable[i]);
		free(t);
		EVP_PKEY_free(k);
	}
}

Test(jwks_http, a_uuid_subject_and_a_token_without_email)
{
	char kid[33], sub[37], *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);

	/* advanced.database.generateId: "uuid". */
	test_uuid(sub);
	t = issuer_token(k, "EdDSA", kid, sub, NULL);
	expect_me(t, sub, NULL, "uuid subject");
	drive_tasks(t, sub, "uuid subject");
	free(t);
	EVP_PKEY_free(k);
}

Test(jwks_http, an_email_taken_by_a_local_account_is_not_merged)
{
	char kid[33], sub[33], email[128], local_id[64], *mine, *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);

	test_email(email, sizeof(email));
	mine = register_user(email, "correct horse battery", local_id);
	key_random_id(sub);
	t = issuer_token(k, "EdDSA", kid, sub, email);
	/*
	 * docs/API.md "Users on first need": another subject, with the
	 * token's email for show; the email binds accounts registered here
	 * only.
	 */
	expect_me(t, sub, email, "registered email");
	expect_me(mine, local_id, email, "the local account");
	free(t);
	free(mine);
	EVP_PKEY_free(k);
}

Test(jwks_http, our_own_tokens_work_beside_the_issuers)
{
	char subject[37], *t;

	test_uuid(subject);
	t = token_for(subject);
	expect_me(t, subject, NULL, "HS256");
	free(t);
}

/* A 401 on both protected GET routes, then the instance still serves. */
static void
refused(const char *token, const char *want, const char *what)
{
	static const char *const routes[] = { "/api/tasks", "/api/auth/me" };
	char subject[37], *probe;

	for (size_t i = 0; i < 2; i++) {
		struct http_res *r = http_json("GET", routes[i], token, NULL);
		char label[256];

		snprintf(label, sizeof(label), "%s, GET %s", what, routes[i]);
		expect_401(r, want, label);
		http_free(r);
	}
	test_uuid(subject);
	probe = token_for(subject);
	still_serving(probe, what);
	free(probe);
}

Test(jwks_http, attacks_on_the_key_set_checks_are_401)
{
	char ed_kid[33], rsa_kid[33], ec_kid[33], header[128], *p, *t;
	EVP_PKEY *ed = issuer_key("ed25519", ed_kid);
	EVP_PKEY *rsa = issuer_key("rs256", rsa_kid);
	EVP_PKEY *ec = issuer_key("p256", ec_kid);
	EVP_PKEY *stranger = key_new("Ed25519");
	long now = (long)time(NULL);

	p = issuer_payload("attacker", NULL, ISSUER_URL, now + 600);
	/* alg swapped: the RS256 key's kid, PS256 by the same key. */
	refused(t = issuer_sign(rsa, "PS256", rsa_kid, p), INVALID, "alg swapped");
	free(t);
	/* kid unknown: a key the issuer never published. */
	refused(t = issuer_sign(stranger, "EdDSA", "no-such-kid", p), INVALID, "kid unknown");
	free(t);
	/* A stranger's key under a published kid. */
	refused(t = issuer_sign(stranger, "EdDSA", ed_kid, p), INVALID, "forged");
	free(t);
	/* kid of another key type: ES256 naming the Ed25519 key. */
	{
		EVP_PKEY *other = key_new("P-256");

		refused(t = issuer_sign(other, "ES256", ed_kid, p), INVALID, "kid of another type");
		free(t);
		EVP_PKEY_free(other);
	}
	/* HS256 signed with the public key's bytes (its JWK as published). */
	{
		char *jwk = key_jwk(rsa, rsa_kid, "RS256");
		jwt_t *jwt = NULL;

		cr_assert_eq(jwt_new(&jwt), 0);
		cr_assert_eq(jwt_add_grants_json(jwt, p), 0);
		cr_assert_eq(jwt_add_header(jwt, "kid", rsa_kid), 0);
		cr_assert_eq(jwt_set_alg(jwt, JWT_ALG_HS256, (unsigned char *)jwk,
		    (int)strlen(jwk)), 0);
		refused(t = jwt_encode_str(jwt), INVALID, "HS256 with the public key");
		free(t);
		jwt_free(jwt);
		free(jwk);
	}
	/* R||S of the wrong length: the same ES256 signature in DER. */
	{
		char *good = issuer_sign(ec, "ES256", ec_kid, p), *s, *bad;
		const char *dot = strrchr(good, '.');
		size_t len;
		unsigned char *raw = b64url_decode(dot + 1, strlen(dot + 1), &len);
		unsigned char *der = NULL;
		ECDSA_SIG *es = ECDSA_SIG_new();
		int n;

		cr_assert_eq(len, 64);
		ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
		n = i2d_ECDSA_SIG(es, &der);
		s = key_b64url(der, (size_t)n);
		cr_assert(asprintf(&bad, "%.*s.%s", (int)(dot - good), good, s) > 0);
		refused(bad, INVALID, "ES256 signature as DER");
		free(bad);
		free(s);
		s = key_b64url(raw, 63);
		cr_assert(asprintf(&bad, "%.*s.%s", (int)(dot - good), good, s) > 0);
		refused(bad, INVALID, "ES256 signature of 63 bytes");
		free(bad);
		free(s);
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
		free(raw);
		free(good);
	}
	free(p);
	/* The session-cache cookie: same key, aud better-auth:session-cache. */
	p = issuer_payload("attacker", NULL, ISSUER_SESSION_CACHE_AUD, now + 600);
	snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
	    "\"typ\":\"better-auth.session-cache+jwt\"}", ed_kid);
	refused(t = jws_sign(ed, "EdDSA", header, p), INVALID, "session-cache cookie");
	free(t);
	refused(t = issuer_sign(ed, "EdDSA", ed_kid, p), INVALID, "session-cache audience");
	free(t);
	free(p);
	/* Expired, beyond the 30 s leeway. */
	p = issuer_payload("late", NULL, ISSUER_URL, now - 31);
	refused(t = issuer_sign(ed, "EdDSA", ed_kid, p), "Token has expired", "expired");
	free(t);
	free(p);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(stranger);
}
