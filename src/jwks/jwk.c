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

/* RFC 8037 2: the OKP curves that sign. */
static const struct okp_curve {
	const char *crv;
	int type;
	size_t len;
} okp_curves[] = {
	{ "Ed25519", EVP_PKEY_ED25519, 32 },
	{ "Ed448", EVP_PKEY_ED448, 57 },
};

static EVP_PKEY *okp_key(struct json_object *o, const char *crv, char *note,
    size_t notelen);
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
		if (len == okp_curves[i].len)
			pkey = EVP_PKEY_new_raw_public_key(okp_curves[i].type,
			    NULL, x, len);
		free(x);
		return pkey;
	}
	keyset_note(note, notelen, "an OKP key on a curve that does not sign");
	return NULL;
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
	/* SP 800-56B's checks: n odd and composite, 2^16 < e < 2^256, odd. */
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
