/*
 * keys.c: the issuer's side for the tests (see keys.h): OpenSSL key pairs,
 * their JWKs, and tokens signed with them.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "support/keys.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
static const char *ec_crv(EVP_PKEY *k, size_t *coord);
static char *bn_member(EVP_PKEY *k, const char *param, size_t pad);
static const char *digest_of(const char *alg);

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("keys: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

EVP_PKEY *
key_new(const char *kind)
{
	EVP_PKEY *k = NULL;

	if (strcmp(kind, "Ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(kind, "Ed448") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	else if (strncmp(kind, "P-", 2) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind);
	else if (strcmp(kind, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strncmp(kind, "RSA-", 4) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)strtoul(kind + 4, NULL, 10));
	if (k == NULL)
		die("cannot make a %s key", kind);
	return k;
}

/* The JWK curve of an EC key, and its coordinate length. */
static const char *
ec_crv(EVP_PKEY *k, size_t *coord)
{
	char group[64];

	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1)
		die("EC key without a group");
	if (strcmp(group, "prime256v1") == 0) {
		*coord = 32;
		return "P-256";
	}
	if (strcmp(group, "secp384r1") == 0) {
		*coord = 48;
		return "P-384";
	}
	if (strcmp(group, "secp521r1") == 0) {
		*coord = 66;
		return "P-521";
	}
	die("EC group %s", group);
}

/* A big number parameter of k, big-endian, padded to pad bytes (0: none). */
static char *
bn_member(EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;
	char *out;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		die("no %s", param);
	n = pad > 0 ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	if (n <= 0)
		die("%s does not fit", param);
	out = key_b64url(buf, (size_t)n);
	return out;
}

char *
key_jwk(EVP_PKEY *k, const char *kid, const char *alg)
{
	char *out = NULL, *x = NULL, *y = NULL, algpart[64] = "";

	if (alg != NULL)
		snprintf(algpart, sizeof(algpart), ",\"alg\":\"%s\"", alg);
	if (EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448")) {
		unsigned char raw[64];
		size_t len = sizeof(raw);

		if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1)
			die("no raw public key");
		x = key_b64url(raw, len);
		if (asprintf(&out, "{\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\""
		    "%s,\"kid\":\"%s\"}", EVP_PKEY_is_a(k, "ED25519") ?
		    "Ed25519" : "Ed448", x, algpart, kid) < 0)
			die("out of memory");
	} else if (EVP_PKEY_is_a(k, "EC")) {
		size_t coord;
		const char *crv = ec_crv(k, &coord);

		x = bn_member(k, OSSL_PKEY_PARAM_EC_PUB_X, coord);
		y = bn_member(k, OSSL_PKEY_PARAM_EC_PUB_Y, coord);
		if (asprintf(&out, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\","
		    "\"y\":\"%s\"%s,\"kid\":\"%s\"}", crv, x, y, algpart,
		    kid) < 0)
			die("out of memory");
	} else {
		x = bn_member(k, OSSL_PKEY_PARAM_RSA_N, 0);
		y = bn_member(k, OSSL_PKEY_PARAM_RSA_E, 0);
		if (asprintf(&out, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\""
		    "%s,\"kid\":\"%s\"}", x, y, algpart, kid) < 0)
			die("out of memory");
	}
	free(x);
	free(y);
	return out;
}

char *
key_set(const char *const *jwks, size_t n)
{
	size_t len = 16;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(jwks[i]) + 1;
	if ((out = malloc(len)) == NULL)
		die("out of memory");
	p = out + sprintf(out, "{\"keys\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i > 0 ? "," : "", jwks[i]);
	sprintf(p, "]}");
	return out;
}

char *
key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (b == NULL || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL) != 1)
		die("cannot write PEM");
	n = BIO_get_mem_data(b, &data);
	if ((out = strndup(data, (size_t)n)) == NULL)
		die("out of memory");
	BIO_free(b);
	return out;
}

EVP_PKEY *
key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) :
	    NULL;

	BIO_free(b);
	if (k == NULL)
		die("cannot read PEM");
	return k;
}

void
key_random_id(char out[33])
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[32];

	if (RAND_bytes(r, sizeof(r)) != 1)
		die("no random bytes");
	for (int i = 0; i < 32; i++)
		out[i] = alnum[r[i] % 62];
	out[32] = '\0';
}

static const char *
digest_of(const char *alg)
{
	if (strcmp(alg, "EdDSA") == 0)
		return NULL;
	if (strcmp(alg + 2, "256") == 0)
		return "SHA256";
	if (strcmp(alg + 2, "384") == 0)
		return "SHA384";
	return "SHA512";
}

char *
jws_sign(EVP_PKEY *k, const char *alg, const char *header_json,
    const char *payload_json)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[1024], raw[264];
	size_t siglen = sizeof(sig);
	char *h, *p, *input, *s, *out;

	h = key_b64url((const unsigned char *)header_json, strlen(header_json));
	p = key_b64url((const unsigned char *)payload_json, strlen(payload_json));
	if (asprintf(&input, "%s.%s", h, p) < 0)
		die("out of memory");
	if (md == NULL || EVP_DigestSignInit_ex(md, &pctx, digest_of(alg), NULL,
	    NULL, k, NULL) != 1)
		die("cannot sign %s with this key", alg);
	if (alg[0] == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		die("no PSS");
	if (EVP_DigestSign(md, sig, &siglen, (unsigned char *)input,
	    strlen(input)) != 1)
		die("signing failed");
	EVP_MD_CTX_free(md);
	if (alg[0] == 'E' && alg[1] == 'S') {
		/* JWS wants R||S, each as long as a coordinate. */
		const unsigned char *q = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
		size_t coord;

		(void)ec_crv(k, &coord);
		if (es == NULL ||
		    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)coord) < 0 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + coord, (int)coord) < 0)
			die("bad ECDSA signature");
		ECDSA_SIG_free(es);
		s = key_b64url(raw, 2 * coord);
	} else
		s = key_b64url(sig, siglen);
	if (asprintf(&out, "%s.%s", input, s) < 0)
		die("out of memory");
	free(h);
	free(p);
	free(input);
	free(s);
	return out;
}

char *
jws_sign_libjwt(EVP_PKEY *k, const char *alg, const char *kid,
    const char *payload_json)
{
	char *pem = key_pem(k), *out;
	jwt_t *jwt = NULL;

	if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, payload_json) != 0 ||
	    jwt_add_header(jwt, "kid", kid) != 0 ||
	    jwt_set_alg(jwt, jwt_str_alg(alg), (unsigned char *)pem,
	    (int)strlen(pem)) != 0 || (out = jwt_encode_str(jwt)) == NULL)
		die("libjwt cannot sign %s", alg);
	jwt_free(jwt);
	free(pem);
	return out;
}

char *
key_b64url(const unsigned char *data, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len * 4 / 3 + 4);
	size_t o = 0, i;

	if (out == NULL)
		die("out of memory");
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 |
		    data[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		out[o++] = tab[data[i] >> 2];
		out[o++] = tab[(data[i] & 3) << 4];
	} else if (len - i == 2) {
		unsigned v = (unsigned)data[i] << 8 | data[i + 1];

		out[o++] = tab[v >> 10 & 63];
		out[o++] = tab[v >> 4 & 63];
		out[o++] = tab[(v & 15) << 2];
	}
	out[o] = '\0';
	return out;
}

char *
key_read_file(const char *path)
{
	size_t len;

	return key_read_file_len(path, &len);
}

char *
key_read_file_len(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			if ((buf = realloc(buf, cap)) == NULL)
				die("out of memory");
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* To a new file beside path, then renamed: a reader sees old or new. */
int
key_write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if ((f = fopen(tmp, "wb")) == NULL)
		return -1;
	if (fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
