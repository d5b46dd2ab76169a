/*
 * jwk.c: the public numbers of one JSON Web Key (RFC 7518 6, RFC 8037 2)
 * as an OpenSSL EVP_PKEY: an Ed25519 or Ed448 point, an EC point on the
 * algorithm's curve, an RSA modulus and exponent. Every key passes
 * OpenSSL's public key check first: a point off its curve or a malformed
 * modulus would make every signature check with it meaningless.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "json/b64url.h"
#include "json/json.h"
#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

/* An RSA public exponent longer than this is not a real key. */
#define JWKS_RSA_E_MAX 8
/* The largest EC coordinate: P-521's, 66 bytes. */
#define JWKS_EC_COORD_MAX 66

/* RSA's public exponent: odd and above 2^16, so of at least 17 bits. */
#define JWKS_RSA_E_BITS_MIN 17

/* RFC 8037 2: the OKP curves that sign. */
static const struct okp_curve {
	const char *crv;
	int type;
	size_t len;
} okp_curves[] = {
	{ "Ed25519", EVP_PKEY_ED25519, 32 },
	{ "Ed448", EVP_PKEY_ED448, 57 },
};

/*
 * The points of small order (1, 2, 4 or 8) verify forged signatures: with
 * the identity as key, R = identity and S = 0 verify any payload, and
 * OpenSSL 3.0 checks neither keys nor R for them. Their y coordinates
 * (little-endian, the sign of x masked, RFC 8032 5.1.3) are 0, 1, p - 1
 * and, on edwards25519 only, these two of order 8: libsodium's blocklist
 * (ge25519_has_small_order, src/libsodium/crypto_core/ed25519/ref10/
 * ed25519_ref10.c), whose other entries, p and p + 1, y >= p refuses.
 */
static const unsigned char ed25519_order8_y[][32] = {
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
};

static EVP_PKEY *okp_key(struct json_object *o, const char *crv, char *note,
    size_t notelen);
static void okp_prime(int type, unsigned char *p, size_t ylen);
static int le_compare(const unsigned char *a, const unsigned char *b,
    size_t len);
static EVP_PKEY *ec_key(struct json_object *o, const struct jwks_alg_info *a);
static EVP_PKEY *rsa_key(struct json_object *o, char *note, size_t notelen);
static EVP_PKEY *checked_public_key(const char *type, OSSL_PARAM *params);
static int public_check(EVP_PKEY *pkey);
static unsigned char *member_b64(struct json_object *o, const char *name,
    size_t *len);

/*
 * The public key of o for algorithm a (whose key type o has, and for EC
 * whose curve is crv), or NULL; a reason OpenSSL does not give is noted.
 */
EVP_PKEY *
jwk_public_key(struct json_object *o, const struct jwks_alg_info *a,
    const char *crv, char *note, size_t notelen)
{
	switch (a->kty) {
	case JWKS_KTY_OKP:
		return okp_key(o, crv, note, notelen);
	case JWKS_KTY_EC:
		return ec_key(o, a);
	default:
		return rsa_key(o, note, notelen);
	}
}

static EVP_PKEY *
okp_key(struct json_object *o, const char *crv, char *note, size_t notelen)
{
	unsigned char *x;
	size_t len;
	EVP_PKEY *pkey = NULL;

	for (size_t i = 0; i < sizeof(okp_curves) / sizeof(okp_curves[0]); i++) {
		if (crv == NULL || strcmp(crv, okp_curves[i].crv) != 0)
			continue;
		if ((x = member_b64(o, "x", &len)) == NULL)
			return NULL;
		if (len == okp_curves[i].len &&
		    !jwk_okp_point_ok(okp_curves[i].type, x, len))
			keyset_note(note, notelen, "an %s key of small order or "
			    "not canonical", crv);
		else if (len == okp_curves[i].len)
			pkey = EVP_PKEY_new_raw_public_key(okp_curves[i].type,
			    NULL, x, len);
		free(x);
		return pkey;
	}
	keyset_note(note, notelen, "an OKP key on a curve that does not sign");
	return NULL;
}

/*
 * 1 when enc (len bytes) is the canonical encoding (y < p, RFC 8032 5.1.3
 * and 5.2.3) of a point of large order on the curve of type, an
 * EVP_PKEY_ED25519 or EVP_PKEY_ED448; else 0.
 */
int
jwk_okp_point_ok(int type, const unsigned char *enc, size_t len)
{
	unsigned char y[56], p[56];
	size_t ylen = type == EVP_PKEY_ED25519 ? 32 : 56;

	if (len != (type == EVP_PKEY_ED25519 ? 32u : 57u))
		return 0;
	memcpy(y, enc, ylen);
	if (type == EVP_PKEY_ED25519)
		y[31] &= 0x7f;
	else if ((enc[56] & 0x7f) != 0)
		return 0;	/* 5.2.2: the last byte is the sign alone */
	okp_prime(type, p, ylen);
	if (le_compare(y, p, ylen) >= 0)
		return 0;
	p[0]--;		/* p - 1 (p's low byte is 0xed or 0xff) */
	if (le_compare(y, p, ylen) == 0)
		return 0;
	memset(p, 0, ylen);
	for (p[0] = 0; p[0] < 2; p[0]++)	/* y = 0, y = 1 */
		if (le_compare(y, p, ylen) == 0)
			return 0;
	for (size_t i = 0; type == EVP_PKEY_ED25519 &&
	    i < sizeof(ed25519_order8_y) / sizeof(ed25519_order8_y[0]); i++)
		if (memcmp(y, ed25519_order8_y[i], 32) == 0)
			return 0;
	return 1;
}

/* p, little-endian: 2^255 - 19, or 2^448 - 2^224 - 1 for Ed448. */
static void
okp_prime(int type, unsigned char *p, size_t ylen)
{
	memset(p, 0xff, ylen);
	if (type == EVP_PKEY_ED25519) {
		p[0] = 0xed;
		p[31] = 0x7f;
	} else
		p[28] = 0xfe;
}

/* a - b as -1, 0 or 1, for little-endian numbers of len bytes. */
static int
le_compare(const unsigned char *a, const unsigned char *b, size_t len)
{
	while (len-- > 0)
		if (a[len] != b[len])
			return a[len] < b[len] ? -1 : 1;
	return 0;
}

/* RFC 7518 6.2.1: x and y are full-length big-endian coordinates. */
static EVP_PKEY *
ec_key(struct json_object *o, const struct jwks_alg_info *a)
{
	unsigned char *x = NULL, *y = NULL, point[1 + 2 * JWKS_EC_COORD_MAX];
	size_t xlen, ylen;
	OSSL_PARAM params[3];
	EVP_PKEY *pkey = NULL;

	if ((x = member_b64(o, "x", &xlen)) == NULL ||
	    (y = member_b64(o, "y", &ylen)) == NULL ||
	    xlen != a->coord || ylen != a->coord)
		goto out;
	point[0] = 0x04;	/* SEC 1 2.3.3: uncompressed */
	memcpy(point + 1, x, a->coord);
	memcpy(point + 1 + a->coord, y, a->coord);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)a->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    point, 1 + 2 * a->coord);
	params[2] = OSSL_PARAM_construct_end();
	/* A point off the curve would make every check meaningless. */
	pkey = checked_public_key("EC", params);
out:
	free(x);
	free(y);
	return pkey;
}

static EVP_PKEY *
rsa_key(struct json_object *o, char *note, size_t notelen)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen, elen;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	int bits;

	if ((n = member_b64(o, "n", &nlen)) == NULL ||
	    (e = member_b64(o, "e", &elen)) == NULL ||
	    elen == 0 || elen > JWKS_RSA_E_MAX ||
	    nlen > JWKS_RSA_BITS_MAX / 8 + 1)
		goto out;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL)
		goto out;
	/* SP 800-56B 6.2.1 (OpenSSL checks it only in FIPS mode): e = 3 and
	 * other small exponents make forgeries of sloppy checks easy. */
	if (!BN_is_odd(bn_e) || BN_num_bits(bn_e) < JWKS_RSA_E_BITS_MIN) {
		keyset_note(note, notelen, "an RSA key whose exponent is not an "
		    "odd number above 2^16");
		goto out;
	}
	bits = BN_num_bits(bn_n);
	if (bits < JWKS_RSA_BITS_MIN || bits > JWKS_RSA_BITS_MAX) {
		keyset_note(note, notelen, "an RSA key of %d bits (%d to %d "
		    "are used)", bits, JWKS_RSA_BITS_MIN, JWKS_RSA_BITS_MAX);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	/* SP 800-56B's checks of n: odd, composite, no small factors. */
	pkey = checked_public_key("RSA", params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return pkey;
}

/* A public key of type from params, or NULL unless OpenSSL's check passes. */
static EVP_PKEY *
checked_public_key(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (pkey != NULL && !public_check(pkey)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

static int
public_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static unsigned char *
member_b64(struct json_object *o, const char *name, size_t *len)
{
	const char *s = json_member_string(o, name);

	return s != NULL ? b64url_decode(s, strlen(s), len) : NULL;
}
