/*
 * Unit: token verification with every failure case of the table in
 * docs/API.md "Authentication failures", token issuing, and password
 * hashing. Tokens are
 * signed with libjwt, as a real issuer would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libscrypt.h>

#include "auth/refresh.h"
#include "auth/token.h"
#include "auth/password.h"
#include "config/config.h"
#include "support/helpers.h"

#define SECRET "unit-test-secret-0123456789abcdef0123456789"
#define PREVIOUS "unit-test-previous-secret-0123456789abcdef"
#define OTHER "another-key-entirely-0123456789abcdef012345"
#define NOW 1800000000L

static struct config cfg;

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_secret = strdup(SECRET);
	cfg.jwt_expires_in = 3600;
}

static void
teardown(void)
{
	config_free(&cfg);
}

TestSuite(token, .init = setup, .fini = teardown);

/* Verifies a token signed over payload, with key and alg, at NOW. */
static enum token_status
verify(const char *payload, const char *key, const char *alg,
    struct token_claims *out)
{
	struct token_claims scratch;
	char *t = token_sign(payload, key, alg);
	enum token_status st = token_verify_jwt(&cfg, t, NOW,
	    out != NULL ? out : &scratch);

	free(t);
	return st;
}

static enum token_status
verify_payload(const char *payload)
{
	return verify(payload, SECRET, "HS256", NULL);
}

static enum token_status
verify_header(const char *header)
{
	struct token_claims c;

	return token_verify(&cfg, header, NOW, &c);
}

/* A token made by hand: header and payload JSON, and a signature segment. */
static char *
hand_token(const char *header, const char *payload, const char *sig)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
	char *t = malloc(n);

	snprintf(t, n, "%s.%s.%s", h, p, sig);
	free(h);
	free(p);
	return t;
}

Test(token, valid_token_yields_subject_and_email)
{
	struct token_claims c;

	cr_assert_eq(verify("{\"sub\":\"u-1\",\"email\":\"a@b.c\",\"exp\":1800000100}",
	    SECRET, "HS256", &c), TOKEN_OK);
	cr_assert_str_eq(c.subject, "u-1");
	cr_assert_str_eq(c.email, "a@b.c");
}

Test(token, absent_or_other_scheme_is_not_authenticated)
{
	cr_assert_eq(verify_header(NULL), TOKEN_ABSENT);
	cr_assert_eq(verify_header(""), TOKEN_ABSENT);
	cr_assert_eq(verify_header("Basic dXNlcjpwYXNz"), TOKEN_ABSENT);
	cr_assert_eq(verify_header("Bearer"), TOKEN_ABSENT);
	cr_assert_eq(verify_header("Bearer    "), TOKEN_ABSENT);
	cr_assert_eq(verify_header("Bearerabc.def.ghi"), TOKEN_ABSENT);
	cr_assert_eq(verify_header("Token abc.def.ghi"), TOKEN_ABSENT);
}

Test(token, scheme_is_case_insensitive)
{
	char *t = token_sign("{\"sub\":\"u\",\"exp\":1800000100}", SECRET, "HS256");
	char h[1024];
	const char *schemes[] = { "Bearer", "bearer", "BEARER", "bEaReR" };

	for (size_t i = 0; i < 4; i++) {
		snprintf(h, sizeof(h), "%s %s", schemes[i], t);
		cr_assert_eq(verify_header(h), TOKEN_OK, "%s", schemes[i]);
	}
	free(t);
}

Test(token, exp_is_required_and_has_a_leeway)
{
	cr_assert_eq(verify_payload("{\"sub\":\"u\"}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":\"1800000100\"}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":null}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":true}"), TOKEN_INVALID);
	/* docs/API.md "Tokens issued here": 30 s leeway. */
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1799999970}"), TOKEN_OK);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1799999969}"), TOKEN_EXPIRED);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1000}"), TOKEN_EXPIRED);
	/* NumericDate may carry a fraction. */
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100.5}"), TOKEN_OK);
}

Test(token, nbf_is_honoured_with_the_leeway)
{
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"nbf\":1800000030}"), TOKEN_OK);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"nbf\":1800000031}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"nbf\":\"soon\"}"), TOKEN_INVALID);
}

Test(token, only_hs256_with_our_key)
{
	const char *p = "{\"sub\":\"u\",\"exp\":1800000100}";

	cr_assert_eq(verify(p, SECRET, "HS256", NULL), TOKEN_OK);
	/* libjwt 1.10 verifies these with the same key: we must refuse them. */
	cr_assert_eq(verify(p, SECRET, "HS384", NULL), TOKEN_INVALID);
	cr_assert_eq(verify(p, SECRET, "HS512", NULL), TOKEN_INVALID);
	cr_assert_eq(verify(p, OTHER, "HS256", NULL), TOKEN_INVALID);
}

Test(token, previous_secret_is_accepted_during_rotation)
{
	const char *p = "{\"sub\":\"u\",\"exp\":1800000100}";

	cr_assert_eq(verify(p, PREVIOUS, "HS256", NULL), TOKEN_INVALID);
	cfg.jwt_secret_previous = strdup(PREVIOUS);
	cr_assert_eq(verify(p, PREVIOUS, "HS256", NULL), TOKEN_OK);
	cr_assert_eq(verify(p, SECRET, "HS256", NULL), TOKEN_OK);
	cr_assert_eq(verify(p, OTHER, "HS256", NULL), TOKEN_INVALID);
}

Test(token, alg_none_is_always_refused)
{
	const char *payload = "{\"sub\":\"u\",\"exp\":1800000100}";
	const char *headers[] = { "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"None\",\"typ\":\"JWT\"}", "{\"alg\":\"NONE\"}" };
	struct token_claims c;

	for (size_t i = 0; i < 3; i++) {
		char *t = hand_token(headers[i], payload, "");
		size_t n = strlen(t);

		cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_INVALID, "%s", headers[i]);
		t[n - 1] = '\0';	/* without the trailing dot */
		cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_INVALID, "%s", headers[i]);
		free(t);
	}
}

Test(token, key_confusion_headers_are_refused)
{
	/* An HS256 signature under an RS256 or ES256 header. */
	char *good = token_sign("{\"sub\":\"u\",\"exp\":1800000100}", SECRET, "HS256");
	const char *sig = strrchr(good, '.') + 1;
	const char *algs[] = { "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", "{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\"}" };
	struct token_claims c;

	for (size_t i = 0; i < 3; i++) {
		char *t = hand_token(algs[i], "{\"sub\":\"u\",\"exp\":1800000100}", sig);

		cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_INVALID, "%s", algs[i]);
		free(t);
	}
	free(good);
}

Test(token, malformed_tokens_are_invalid)
{
	char *good = token_sign("{\"sub\":\"u\",\"exp\":1800000100}", SECRET, "HS256");
	char buf[2048], *dot;
	struct token_claims c;
	const char *bad[] = { "abc", "abc.def", "a.b.c.d", "...", "a..c",
	    "!!!.@@@.###", "eyJhbGciOiJIUzI1NiJ9.e30." };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(token_verify_jwt(&cfg, bad[i], NOW, &c), TOKEN_INVALID, "%s", bad[i]);
	/* Four segments: a valid token with one more. */
	snprintf(buf, sizeof(buf), "%s.abc", good);
	cr_assert_eq(token_verify_jwt(&cfg, buf, NOW, &c), TOKEN_INVALID);
	/* Signature stripped. */
	snprintf(buf, sizeof(buf), "%s", good);
	dot = strrchr(buf, '.');
	dot[1] = '\0';
	cr_assert_eq(token_verify_jwt(&cfg, buf, NOW, &c), TOKEN_INVALID);
	free(good);
}

Test(token, payload_edited_after_signing_is_invalid)
{
	char *good = token_sign("{\"sub\":\"alice\",\"exp\":1800000100}", SECRET, "HS256");
	char *forged = b64url("{\"sub\":\"mallory\",\"exp\":1800000100}", 34);
	char buf[2048];
	const char *first = strchr(good, '.'), *last = strrchr(good, '.');
	struct token_claims c;

	snprintf(buf, sizeof(buf), "%.*s.%s%s", (int)(first - good), good, forged, last);
	cr_assert_eq(token_verify_jwt(&cfg, buf, NOW, &c), TOKEN_INVALID);
	free(good);
	free(forged);
}

Test(token, oversized_token_is_invalid_without_work)
{
	size_t n = TOKEN_LENGTH_MAX + 100;
	char *h = malloc(n + 8);

	memcpy(h, "Bearer ", 7);
	memset(h + 7, 'a', n);
	h[7 + n] = '\0';
	cr_assert_eq(verify_header(h), TOKEN_INVALID);
	free(h);
}

Test(token, subject_rules)
{
	struct token_claims c;
	char payload[2048], sub[600];

	cr_assert_eq(verify_payload("{\"exp\":1800000100}"), TOKEN_NO_SUBJECT);
	cr_assert_eq(verify_payload("{\"sub\":\"\",\"exp\":1800000100}"), TOKEN_NO_SUBJECT);
	cr_assert_eq(verify_payload("{\"sub\":\"\",\"userId\":\"\",\"exp\":1800000100}"), TOKEN_NO_SUBJECT);
	cr_assert_eq(verify_payload("{\"sub\":42,\"exp\":1800000100}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":null,\"exp\":1800000100}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":[\"a\"],\"exp\":1800000100}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"userId\":7,\"exp\":1800000100}"), TOKEN_INVALID);

	cr_assert_eq(verify("{\"userId\":\"ext-7\",\"exp\":1800000100}", SECRET, "HS256", &c), TOKEN_OK);
	cr_assert_str_eq(c.subject, "ext-7");
	cr_assert_eq(verify("{\"sub\":\"\",\"userId\":\"ext-8\",\"exp\":1800000100}", SECRET, "HS256", &c), TOKEN_OK);
	cr_assert_str_eq(c.subject, "ext-8");
	cr_assert_eq(verify("{\"sub\":\"s\",\"userId\":\"u\",\"exp\":1800000100}", SECRET, "HS256", &c), TOKEN_OK);
	cr_assert_str_eq(c.subject, "s");

	/* 255 characters (code points) is the most; 256 is invalid. */
	memset(sub, 'x', 255);
	sub[255] = '\0';
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":1800000100}", sub);
	cr_assert_eq(verify(payload, SECRET, "HS256", &c), TOKEN_OK);
	cr_assert_eq(strlen(c.subject), 255);
	snprintf(payload, sizeof(payload), "{\"sub\":\"%sx\",\"exp\":1800000100}", sub);
	cr_assert_eq(verify_payload(payload), TOKEN_INVALID);
	/* 255 two-byte characters are 510 bytes and still fine. */
	sub[0] = '\0';
	for (int i = 0; i < 255; i++)
		strcat(sub, "\xc3\xa9");
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":1800000100}", sub);
	cr_assert_eq(verify_payload(payload), TOKEN_OK);
}

Test(token, issuer_and_audience_when_configured)
{
	cfg.jwt_issuer = strdup("https://issuer.example");
	cfg.jwt_audience = strdup("task-api");
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://issuer.example\"}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://issuer.example\",\"aud\":\"task-api\"}"), TOKEN_OK);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://issuer.example\",\"aud\":[\"x\",\"task-api\"]}"), TOKEN_OK);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://evil.example\",\"aud\":\"task-api\"}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://issuer.example\",\"aud\":\"other\"}"), TOKEN_INVALID);
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"https://issuer.example\",\"aud\":[]}"), TOKEN_INVALID);
}

Test(token, iss_and_aud_are_ignored_when_not_configured)
{
	cr_assert_eq(verify_payload("{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"anyone\",\"aud\":42}"), TOKEN_OK);
}

Test(token, issued_tokens_verify_and_carry_the_claims)
{
	struct token_claims c;
	char *t;

	cfg.jwt_issuer = strdup("https://issuer.example");
	cfg.jwt_audience = strdup("task-api");
	t = token_issue(&cfg, "user-9", "u9@example.com", NULL, NOW);
	cr_assert_not_null(t);
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_OK);
	cr_assert_str_eq(c.subject, "user-9");
	cr_assert_str_eq(c.email, "u9@example.com");
	/* exp = now + JWT_EXPIRES_IN: valid to the leeway's end, then expired. */
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW + 3600 + 30, &c), TOKEN_OK);
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW + 3600 + 31, &c), TOKEN_EXPIRED);
	cr_assert_str_eq(c.sid, "");
	free(t);
	/* docs/API.md "Session tokens": a session's token carries its sid. */
	t = token_issue(&cfg, "user-9", NULL,
	    "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", NOW);
	cr_assert_not_null(t);
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_OK);
	cr_assert_str_eq(c.sid, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
	free(t);
}

/* docs/API.md "Refresh": 256 random bits, their successor, their hash. */
Test(refresh, tokens_successors_and_hashes)
{
	char a[REFRESH_TOKEN_BYTES], b[REFRESH_TOKEN_BYTES];
	char n1[REFRESH_TOKEN_BYTES], n2[REFRESH_TOKEN_BYTES];
	char h[REFRESH_HASH_TEXT_BYTES];

	cr_assert_eq(refresh_token_new(a), 0);
	cr_assert_eq(refresh_token_new(b), 0);
	cr_assert_eq(strlen(a), 43);
	cr_assert(refresh_token_shape_ok(a, strlen(a)));
	cr_assert_str_neq(a, b);
	/* The same token has the same successor; another secret, another. */
	cr_assert_eq(refresh_token_next(SECRET, a, n1), 0);
	cr_assert_eq(refresh_token_next(SECRET, a, n2), 0);
	cr_assert_str_eq(n1, n2);
	cr_assert(refresh_token_shape_ok(n1, strlen(n1)));
	cr_assert_str_neq(n1, a);
	cr_assert_eq(refresh_token_next(SECRET "x", a, n2), 0);
	cr_assert_str_neq(n1, n2);
	/* HMAC-SHA256("key", "refresh:abc"), as Python's hmac module gives it. */
	cr_assert_eq(refresh_token_next("key", "abc", n1), 0);
	cr_assert_str_eq(n1, "3BDRfAdqMhueLBAGgznp-ty9DLLdEJIn90GQPrAqF0w");
	/* SHA-256("abc"), FIPS 180-2's example, as a bytea. */
	cr_assert_eq(refresh_token_hash("abc", h), 0);
	cr_assert_str_eq(h, "\\xba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	cr_assert_not(refresh_token_shape_ok(a, 42));
	cr_assert_not(refresh_token_shape_ok(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 43));
	cr_assert_not(refresh_token_shape_ok(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 43));
}

Test(token, status_details_match_the_contract)
{
	cr_assert_str_eq(token_status_detail(TOKEN_ABSENT), "Not authenticated");
	cr_assert_str_eq(token_status_detail(TOKEN_EXPIRED), "Token has expired");
	cr_assert_str_eq(token_status_detail(TOKEN_INVALID), "Invalid authentication token");
	cr_assert_str_eq(token_status_detail(TOKEN_NO_SUBJECT), "Token missing user identifier");
}

Test(password, hash_verifies_and_records_the_parameters)
{
	char hash[PASSWORD_HASH_BYTES];

	cr_assert_eq(password_hash("correct horse battery", hash), 0);
	/* MCF: $s1$ then log2(N), r and p as hex bytes. */
	cr_assert_eq(strncmp(hash, "$s1$0e0805$", 11), 0, "%s", hash);
	cr_assert_eq(password_verify(hash, "correct horse battery"), 1);
	cr_assert_eq(password_verify(hash, "correct horse batterY"), 0);
	cr_assert_eq(password_verify(hash, ""), 0);
	/* The stored hash is left as it was (libscrypt splits a copy). */
	cr_assert_eq(strncmp(hash, "$s1$0e0805$", 11), 0);
	cr_assert_eq(password_verify(hash, "correct horse battery"), 1);
}

Test(password, every_character_counts)
{
	char pw[129], hash[PASSWORD_HASH_BYTES];

	memset(pw, 'p', 128);
	pw[128] = '\0';
	cr_assert_eq(password_hash(pw, hash), 0);
	cr_assert_eq(password_verify(hash, pw), 1);
	pw[127] = 'q';
	cr_assert_eq(password_verify(hash, pw), 0);
	pw[127] = '\0';
	cr_assert_eq(password_verify(hash, pw), 0);
}

Test(password, salts_differ)
{
	char a[PASSWORD_HASH_BYTES], b[PASSWORD_HASH_BYTES];

	cr_assert_eq(password_hash("same password", a), 0);
	cr_assert_eq(password_hash("same password", b), 0);
	cr_assert_str_neq(a, b);
}

Test(password, no_account_matches_nothing_and_costs_the_same_work)
{
	/* The fixed hash must use the current parameters, or an unknown email
	 * would answer faster than a wrong password. */
	char expect[16];

	snprintf(expect, sizeof(expect), "$s1$%02x%02x%02x$",
	    (unsigned)__builtin_ctz(PASSWORD_SCRYPT_N), PASSWORD_SCRYPT_R,
	    PASSWORD_SCRYPT_P);
	cr_assert_eq(strncmp(password_dummy_hash, expect, strlen(expect)), 0,
	    "%s vs %s", password_dummy_hash, expect);
	cr_assert_eq(password_verify(NULL, "anything"), 0);
	cr_assert_eq(password_verify(NULL, ""), 0);
}

/* PASSWORD_SCRYPT_LOG2_N: new hashes at that N; a check reads N from the
 * stored hash; the fixed hash of a NULL check at the same N. */
Test(password, the_cost_setting_sets_n_for_new_hashes_and_the_fixed_one)
{
	char old[PASSWORD_HASH_BYTES], low[PASSWORD_HASH_BYTES];

	cr_assert_eq(password_hash("correct horse battery", old), 0);
	cr_assert_eq(password_cost_set(9), -1);
	cr_assert_eq(password_cost_set(18), -1);
	cr_assert_eq(password_cost_set(10), 0);
	cr_assert_eq(password_hash("correct horse battery", low), 0);
	cr_assert_eq(strncmp(low, "$s1$0a0805$", 11), 0, "%s", low);
	cr_assert_eq(password_verify(low, "correct horse battery"), 1);
	cr_assert_eq(password_verify(low, "correct horse batterY"), 0);
	/* A hash made at the old N still checks, at its own N. */
	cr_assert_eq(password_verify(old, "correct horse battery"), 1);
	cr_assert_eq(password_verify(old, "correct horse batterY"), 0);
	cr_assert_eq(password_verify(NULL, "anything"), 0);
	cr_assert_eq(password_verify("not a hash", "x"), -1);
	cr_assert_eq(password_cost_set(14), 0);
	cr_assert_eq(password_hash("correct horse battery", low), 0);
	cr_assert_eq(strncmp(low, "$s1$0e0805$", 11), 0, "%s", low);
}

Test(password, malformed_stored_hash_is_an_error_not_a_match)
{
	cr_assert_eq(password_verify("not a hash", "x"), -1);
	cr_assert_eq(password_verify("$s1$zz$zz$zz", "x"), -1);
}
