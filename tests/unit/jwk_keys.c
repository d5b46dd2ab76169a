/*
 * Unit: the keys an issuer's set may not hold, as docs/API.md "External issuers"
 * says: EdDSA points of small order or not canonically encoded, with
 * which anyone forges tokens; RSA exponents of 2^16 or less; key_ops read
 * whole. And the two spellings of an ECDSA signature, (r, s) and (r, n - s),
 * both accepted as the signers people use make either. Each key is loaded
 * by the real parser, and each token is checked through token_verify_jwt
 * with the set read from a JWT_JWKS_FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "auth/token.h"
#include "config/config.h"
#include "json/b64url.h"
#include "jwks/jwks_set.h"
#include "support/keys.h"

#define SECRET "unit-test-secret-0123456789abcdef0123456789"
#define BASE_URL "http://localhost:3000"
#define NOW 1800000000L
#define PAYLOAD "{\"sub\":\"forged-user\",\"iat\":1799999900,\"exp\":1800000600," \
	"\"iss\":\"" BASE_URL "\",\"aud\":\"" BASE_URL "\"}"
#define SMALL "small order or not canonical"
/* RFC 8032 5.1: the order of edwards25519's base point. */
#define ED25519_L "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"
/* SEC 2 2.4.2: the order of P-256. */
#define P256_N "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

static struct config cfg;
static char dir[64];

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_secret = strdup(SECRET);
	cfg.jwt_expires_in = 3600;
	snprintf(dir, sizeof(dir), "/tmp/unit-jwk.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(jwk_keys, .init = setup, .fini = teardown);

/* An OKP JWK of crv with these public bytes (free()). */
static char *
okp_jwk(const char *crv, const unsigned char *x, size_t len, const char *kid)
{
	char *b = key_b64url(x, len), *j;

	cr_assert(asprintf(&j, "{\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\","
	    "\"kid\":\"%s\"}", crv, b, kid) > 0);
	free(b);
	return j;
}

/* The keys the parser keeps of {"keys":[jwk, good]}, the note in note. */
static size_t
kept_beside(const char *jwk, const char *good, char *note, size_t notelen)
{
	struct jwks_set *set;
	char *text;
	size_t n;

	cr_assert(asprintf(&text, "{\"keys\":[%s,%s]}", jwk, good) > 0);
	note[0] = '\0';
	cr_assert_eq(jwks_set_parse(text, strlen(text), 0, &set, note, notelen),
	    0, "%s", text);
	n = jwks_set_count(set);
	jwks_set_free(set);
	free(text);
	return n;
}

/* cfg takes the issuer's keys, these JWKs, from a JWT_JWKS_FILE. */
static void
use_keys(const char *const *jwks, size_t n)
{
	char err[512], path[128], *set = key_set(jwks, n);

	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	cr_assert_eq(key_write_file(path, set), 0);
	free(set);
	cr_assert_eq(config_set(&cfg, "JWT_JWKS_FILE", path, err, sizeof(err)), 0);
	cr_assert_eq(config_set(&cfg, "JWT_JWKS_ISSUER", BASE_URL, err,
	    sizeof(err)), 0);
	cr_assert_eq(config_set(&cfg, "JWT_JWKS_AUDIENCE", BASE_URL, err,
	    sizeof(err)), 0);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
}

/* header.payload of an EdDSA token for kid, as a string (free()). */
static char *
signing_input(const char *alg, const char *kid)
{
	char header[128], *h, *p, *in;

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg,
	    kid);
	h = key_b64url((const unsigned char *)header, strlen(header));
	p = key_b64url((const unsigned char *)PAYLOAD, strlen(PAYLOAD));
	cr_assert(asprintf(&in, "%s.%s", h, p) > 0);
	free(h);
	free(p);
	return in;
}

/* Verifies input.sig at NOW. */
static enum token_status
verify_sig(const char *input, const unsigned char *sig, size_t len)
{
	struct token_claims c;
	char *s = key_b64url(sig, len), *t;
	enum token_status st;

	cr_assert(asprintf(&t, "%s.%s", input, s) > 0);
	st = token_verify_jwt(&cfg, t, NOW, &c);
	free(s);
	free(t);
	return st;
}

/* ---- EdDSA points of small order, and encodings that are not canonical ---- */

/* y (little-endian, 32 bytes) with the top bit of the last byte as sign. */
static void
ed25519_point(unsigned char out[32], unsigned char first, unsigned char rest,
    unsigned char last)
{
	memset(out, rest, 32);
	out[0] = first;
	out[31] = last;
}

Test(jwk_keys, ed25519_keys_of_small_order_or_not_canonical_are_dropped)
{
	static const unsigned char order8[2][32] = {
		{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
		  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
		  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
		{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
		  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
		  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
	};
	/* first byte, the bytes between, last byte: y = 0, 1, p - 1, p, p + 1,
	 * 2^255 - 1, each also with the sign bit set. */
	static const unsigned char shapes[][3] = {
		{ 0x00, 0x00, 0x00 }, { 0x01, 0x00, 0x00 }, { 0xec, 0xff, 0x7f },
		{ 0xed, 0xff, 0x7f }, { 0xee, 0xff, 0x7f }, { 0xff, 0xff, 0x7f },
	};
	EVP_PKEY *good_key = key_new("Ed25519");
	char *good = key_jwk(good_key, "good", "EdDSA"), note[256], *jwk;
	unsigned char x[32];

	for (size_t i = 0; i < 2 * (sizeof(shapes) / sizeof(shapes[0]) + 2); i++) {
		size_t s = i / 2;

		if (s < sizeof(shapes) / sizeof(shapes[0]))
			ed25519_point(x, shapes[s][0], shapes[s][1], shapes[s][2]);
		else
			memcpy(x, order8[s - sizeof(shapes) / sizeof(shapes[0])], 32);
		x[31] |= (unsigned char)((i % 2) << 7);
		jwk = okp_jwk("Ed25519", x, 32, "weak");
		cr_assert_eq(kept_beside(jwk, good, note, sizeof(note)), 1, "%s", jwk);
		cr_assert(strstr(note, SMALL) != NULL, "%s: %s", jwk, note);
		free(jwk);
	}
	/* The control: the good key alone is kept, and no note. */
	cr_assert_eq(kept_beside(good, good, note, sizeof(note)), 2);
	cr_assert_str_eq(note, "");
	free(good);
	EVP_PKEY_free(good_key);
}

Test(jwk_keys, ed448_keys_of_small_order_or_not_canonical_are_dropped)
{
	EVP_PKEY *good_key = key_new("Ed448");
	char *good = key_jwk(good_key, "good", "EdDSA"), note[256], *jwk;
	unsigned char x[57];

	for (int i = 0; i < 6; i++) {
		memset(x, i < 2 ? 0x00 : 0xff, 57);
		x[56] = 0;
		if (i == 1 || i == 5)
			x[0] = 0x01;		/* y = 1; y = 1 with a bad last byte */
		else if (i == 2)
			x[0] = 0xfe, x[28] = 0xfe;	/* p - 1 */
		else if (i == 3)
			x[28] = 0xfe;		/* p */
		if (i == 5) {
			memset(x + 1, 0, 56);
			x[56] = 0x01;
		}
		jwk = okp_jwk("Ed448", x, 57, "weak");
		cr_assert_eq(kept_beside(jwk, good, note, sizeof(note)), 1, "%s", jwk);
		cr_assert(strstr(note, SMALL) != NULL, "%s: %s", jwk, note);
		free(jwk);
	}
	free(good);
	EVP_PKEY_free(good_key);
}

/*
 * The forgery: the identity as key, R = identity and S = 0, verifies any
 * payload with OpenSSL 3.0; so does R = identity or R = A with the point of
 * order 2. Each such key is dropped, and its tokens are refused.
 */
Test(jwk_keys, forged_signatures_of_small_order_keys_are_refused)
{
	unsigned char identity[32] = { 0x01 }, order2[32], sig[64] = { 0 };
	EVP_PKEY *good_key = key_new("Ed25519");
	const char *jwks[3];
	char *a, *b, *good, *in;

	ed25519_point(order2, 0xec, 0xff, 0x7f);
	jwks[0] = a = okp_jwk("Ed25519", identity, 32, "identity");
	jwks[1] = b = okp_jwk("Ed25519", order2, 32, "order2");
	jwks[2] = good = key_jwk(good_key, "good", "EdDSA");
	use_keys(jwks, 3);
	in = signing_input("EdDSA", "identity");
	memcpy(sig, identity, 32);
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_INVALID, "identity key");
	free(in);
	in = signing_input("EdDSA", "order2");
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_INVALID, "order 2, R = 1");
	memcpy(sig, order2, 32);
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_INVALID, "order 2, R = A");
	free(in);
	/* The control: the good key's own signature is served. */
	{
		char *t = jws_sign(good_key, "EdDSA",
		    "{\"alg\":\"EdDSA\",\"kid\":\"good\"}", PAYLOAD);
		struct token_claims c;

		cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_OK);
		free(t);
	}
	free(a);
	free(b);
	free(good);
	EVP_PKEY_free(good_key);
}

/* SHA-512 of the concatenation of a, b, c (lengths given). */
static void
sha512_of(unsigned char out[64], const void *a, size_t alen, const void *b,
    size_t blen, const void *c, size_t clen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	cr_assert(md != NULL && EVP_DigestInit_ex(md, EVP_sha512(), NULL) == 1 &&
	    EVP_DigestUpdate(md, a, alen) == 1 &&
	    EVP_DigestUpdate(md, b, blen) == 1 &&
	    EVP_DigestUpdate(md, c, clen) == 1 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1);
	EVP_MD_CTX_free(md);
}

/*
 * A signature of k over msg whose R is the identity (RFC 8032 5.1.6 with
 * r = 0): S = SHA-512(R || A || msg) * a mod L, which verifies since
 * [S]B = [k]A = R + [k]A. No signer makes it; only a key's holder can.
 */
static void
identity_r_signature(EVP_PKEY *k, const char *msg, unsigned char sig[64])
{
	unsigned char seed[32], pub[32], h[64];
	size_t len = 32;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *a, *kh, *l = NULL, *s = BN_new();

	cr_assert_eq(EVP_PKEY_get_raw_private_key(k, seed, &len), 1);
	cr_assert_eq(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
	sha512_of(h, seed, 32, "", 0, "", 0);
	h[0] &= 248;		/* 5.1.5: the scalar a, clamped */
	h[31] &= 127;
	h[31] |= 64;
	a = BN_lebin2bn(h, 32, NULL);
	memset(sig, 0, 64);
	sig[0] = 0x01;
	sha512_of(h, sig, 32, pub, 32, msg, strlen(msg));
	kh = BN_lebin2bn(h, 64, NULL);
	cr_assert(BN_hex2bn(&l, ED25519_L) > 0);
	cr_assert_eq(BN_mod_mul(s, kh, a, l, ctx), 1);
	cr_assert_eq(BN_bn2lebinpad(s, sig + 32, 32), 32);
	BN_free(a);
	BN_free(kh);
	BN_free(l);
	BN_free(s);
	BN_CTX_free(ctx);
}

Test(jwk_keys, a_signature_whose_r_is_of_small_order_is_refused)
{
	EVP_PKEY *k = key_new("Ed25519");
	char *jwk = key_jwk(k, "real", "EdDSA"), *in = signing_input("EdDSA", "real");
	const char *jwks[1] = { jwk };
	unsigned char sig[64];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	use_keys(jwks, 1);
	identity_r_signature(k, in, sig);
	/* OpenSSL alone takes it: the refusal is ours. */
	cr_assert_eq(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, k, NULL), 1);
	cr_assert_eq(EVP_DigestVerify(md, sig, 64, (const unsigned char *)in,
	    strlen(in)), 1, "OpenSSL refuses the signature: the test is wrong");
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_INVALID);
	EVP_MD_CTX_free(md);
	free(in);
	free(jwk);
	EVP_PKEY_free(k);
}

/* EdDSA has one spelling: OpenSSL refuses S + L (RFC 8032 5.1.7: S < L). */
Test(jwk_keys, an_eddsa_signature_has_one_spelling)
{
	EVP_PKEY *k = key_new("Ed25519");
	char *jwk = key_jwk(k, "ed", "EdDSA");
	const char *jwks[1] = { jwk };
	char *t = jws_sign(k, "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", PAYLOAD);
	const char *dot = strrchr(t, '.');
	unsigned char *raw, sig[64];
	size_t len;
	BIGNUM *s, *l = NULL;
	char *in;

	use_keys(jwks, 1);
	raw = b64url_decode(dot + 1, strlen(dot + 1), &len);
	cr_assert(raw != NULL && len == 64);
	memcpy(sig, raw, 64);
	free(raw);
	cr_assert(asprintf(&in, "%.*s", (int)(dot - t), t) > 0);
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_OK);
	s = BN_lebin2bn(sig + 32, 32, NULL);
	cr_assert(BN_hex2bn(&l, ED25519_L) > 0 && BN_add(s, s, l) == 1);
	cr_assert_eq(BN_bn2lebinpad(s, sig + 32, 32), 32);
	cr_assert_eq(verify_sig(in, sig, 64), TOKEN_INVALID);
	BN_free(s);
	BN_free(l);
	free(in);
	free(t);
	free(jwk);
	EVP_PKEY_free(k);
}

/* ---- RSA exponents ---- */

/* A new RSA key of 2048 bits whose public exponent is e. */
static EVP_PKEY *
rsa_with_exponent(unsigned long e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = BN_new();
	EVP_PKEY *k = NULL;

	cr_assert(ctx != NULL && bn != NULL && BN_set_word(bn, e) == 1);
	cr_assert_eq(EVP_PKEY_keygen_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	cr_assert_eq(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	cr_assert_eq(EVP_PKEY_keygen(ctx, &k), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

Test(jwk_keys, rsa_exponents_of_2_to_the_16_or_less_are_refused)
{
	static const struct { const char *e; size_t kept; } cases[] = {
		{ "Aw", 0 },		/* 3 */
		{ "EQ", 0 },		/* 17 */
		{ "__8", 0 },		/* 65535 */
		{ "AQAA", 0 },		/* 65536, even */
		{ "AQAB", 1 },		/* 65537 */
		{ "AQAD", 1 },		/* 65539 */
	};
	EVP_PKEY *k = key_new("RSA"), *ed = key_new("Ed25519");
	char *jwk = key_jwk(k, "rsa", "RS256"), *good = key_jwk(ed, "ed", "EdDSA");
	char note[256], *e = strstr(jwk, "\"e\":\"AQAB\""), *text;

	cr_assert_not_null(e, "%s", jwk);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*e = '\0';
		cr_assert(asprintf(&text, "%s\"e\":\"%s\"%s", jwk, cases[i].e,
		    e + strlen("\"e\":\"AQAB\"")) > 0);
		*e = '"';
		cr_assert_eq(kept_beside(text, good, note, sizeof(note)),
		    cases[i].kept + 1, "e = %s: %s", cases[i].e, note);
		if (cases[i].kept == 0)
			cr_assert(strstr(note, "exponent") != NULL, "%s", note);
		free(text);
	}
	free(jwk);
	free(good);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ed);
}

Test(jwk_keys, tokens_of_an_rsa_key_with_e_3_are_refused)
{
	EVP_PKEY *k = rsa_with_exponent(3), *ed = key_new("Ed25519");
	char *jwk = key_jwk(k, "e3", "RS256"), *good = key_jwk(ed, "ed", "EdDSA");
	const char *jwks[2] = { jwk, good };
	char *t = jws_sign(k, "RS256", "{\"alg\":\"RS256\",\"kid\":\"e3\"}", PAYLOAD);
	struct token_claims c;

	cr_assert(strstr(jwk, "\"e\":\"Aw\"") != NULL, "%s", jwk);
	use_keys(jwks, 2);
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c), TOKEN_INVALID);
	free(t);
	free(jwk);
	free(good);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ed);
}

/* ---- key_ops read whole ---- */

Test(jwk_keys, key_ops_verify_is_compared_whole)
{
	EVP_PKEY *ed = key_new("Ed25519");
	char *jwk = key_jwk(ed, "ed", "EdDSA"), note[256], *text;

	jwk[strlen(jwk) - 1] = '\0';
	cr_assert(asprintf(&text, "%s,\"key_ops\":[\"verify\\u0000x\"]}", jwk) > 0);
	cr_assert_eq(kept_beside(text, "{\"kid\":\"none\"}", note, sizeof(note)), 0,
	    "%s", text);
	cr_assert(strstr(note, "key_ops") != NULL, "%s", note);
	free(text);
	cr_assert(asprintf(&text, "%s,\"key_ops\":[\"verify\"]}", jwk) > 0);
	cr_assert_eq(kept_beside(text, "{\"kid\":\"none\"}", note, sizeof(note)), 1);
	free(text);
	free(jwk);
	EVP_PKEY_free(ed);
}

/* ---- ECDSA's two spellings ---- */

/*
 * README.md "Design notes": (r, s) and (r, n - s) both verify, and both are
 * served, the same user's: Node.js's crypto (OpenSSL), which Better Auth
 * signs with through jose, does not make s low, so refusing high s would
 * refuse half of a real issuer's tokens. Nothing keys on a token's bytes.
 */
Test(jwk_keys, both_spellings_of_an_ecdsa_signature_are_the_same_token)
{
	EVP_PKEY *k = key_new("P-256");
	char *jwk = key_jwk(k, "ec", "ES256");
	const char *jwks[1] = { jwk };
	char *t = jws_sign(k, "ES256", "{\"alg\":\"ES256\",\"kid\":\"ec\"}", PAYLOAD);
	const char *dot = strrchr(t, '.');
	unsigned char sig[64];
	BIGNUM *n = NULL, *s;
	struct token_claims c1, c2;
	char *in, *b, *other;

	use_keys(jwks, 1);
	cr_assert_eq(token_verify_jwt(&cfg, t, NOW, &c1), TOKEN_OK);
	cr_assert(asprintf(&in, "%.*s", (int)(dot - t), t) > 0);
	{
		size_t len;
		unsigned char *raw = b64url_decode(dot + 1, strlen(dot + 1), &len);

		cr_assert(raw != NULL && len == 64);
		memcpy(sig, raw, 64);
		free(raw);
	}
	cr_assert(BN_hex2bn(&n, P256_N) > 0);
	s = BN_bin2bn(sig + 32, 32, NULL);
	cr_assert_eq(BN_sub(s, n, s), 1);
	cr_assert_eq(BN_bn2binpad(s, sig + 32, 32), 32);
	b = key_b64url(sig, 64);
	cr_assert(asprintf(&other, "%s.%s", in, b) > 0);
	cr_assert_str_neq(other, t);
	cr_assert_eq(token_verify_jwt(&cfg, other, NOW, &c2), TOKEN_OK);
	cr_assert_str_eq(c1.subject, c2.subject);
	BN_free(n);
	BN_free(s);
	free(b);
	free(other);
	free(in);
	free(t);
	free(jwk);
	EVP_PKEY_free(k);
}
