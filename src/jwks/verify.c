/*
 * verify.c: the signature check of one key, through EVP_DigestVerify:
 * EdDSA (an R of small order refused first: OpenSSL 3.0 takes it), ECDSA
 * (JWS's R||S converted to the DER OpenSSL wants) and RSA (PKCS#1 v1.5 and
 * PSS). The hot path of an issuer's token: one check
 * costs one verification, plus a DER encoding for ECDSA.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"

static unsigned char *ecdsa_der(const unsigned char *sig, size_t coord,
    size_t *derlen);

/* 1 when sig is k's signature over in, for k's algorithm; else 0. */
int
verify_signature(const struct jwks_key *k, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen)
{
	const struct jwks_alg_info *a = &keyset_algs[k->alg];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int ok = 0;

	if (a->kty == JWKS_KTY_EC) {
		/* RFC 7518 3.4: JWS carries R||S, OpenSSL wants DER. */
		if (siglen != 2 * a->coord ||
		    (der = ecdsa_der(sig, a->coord, &siglen)) == NULL)
			return 0;
		sig = der;
	} else if (a->kty == JWKS_KTY_RSA &&
	    siglen != (size_t)EVP_PKEY_get_size(k->pkey))
		return 0;	/* RFC 8017 8.2.2: exactly the modulus' length */
	else if (a->kty == JWKS_KTY_OKP &&
	    !jwk_okp_point_ok(EVP_PKEY_get_base_id(k->pkey), sig, siglen / 2))
		return 0;	/* R||S whose R is of small order (jwk.c) */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(md, &pctx, a->digest, NULL, NULL, k->pkey,
	    NULL) != 1)
		goto out;
	/* RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash. */
	if (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	ok = EVP_DigestVerify(md, sig, siglen, in, inlen) == 1;
out:
	EVP_MD_CTX_free(md);
	free(der);
	ERR_clear_error();
	return ok;
}

/* R||S, each coord bytes, as a DER ECDSA-Sig-Value (free()), or NULL. */
static unsigned char *
ecdsa_der(const unsigned char *sig, size_t coord, size_t *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL);
	BIGNUM *s = BN_bin2bn(sig + coord, (int)coord, NULL);
	unsigned char *der = NULL, *copy = NULL;
	int n;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	if ((n = i2d_ECDSA_SIG(es, &der)) > 0 &&
	    (copy = malloc((size_t)n)) != NULL) {
		memcpy(copy, der, (size_t)n);
		*derlen = (size_t)n;
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return copy;
}
