/*
 * jwks.c: an external issuer's key set and the signature check of its
 * tokens. Owns four things:
 *   - the parser: a JWKS (RFC 7517) into OpenSSL EVP_PKEYs, one algorithm
 *     per key, so a token's alg must be exactly its key's (no key confusion);
 *   - the check: EdDSA, ECDSA (R||S converted to DER) and RSA (PKCS#1 v1.5
 *     and PSS) through EVP_DigestVerify;
 *   - the source: JWT_JWKS_URL over libcurl (http and https only, bounded
 *     in time and size) or JWT_JWKS_FILE;
 *   - the cache: the set in memory, and for a URL one cache file shared by
 *     every process, so CGI and FastCGI processes alike fetch about once per
 *     JWKS_DEFAULT_CACHE_SECONDS, and an unknown kid (a rotation, or a flood
 *     of made-up ones) costs the issuer at most one fetch per retry period.
 * Whoever can write the cache file can make us accept any token: it is
 * written atomically with mode 0600 and read only when our user owns it and
 * nobody else can write it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "json/b64url.h"
#include "json/json.h"
#include "jwks/jwks.h"
#include "text/text.h"

/* A key set is a flat document: an object, an array, objects, arrays. */
#define JWKS_JSON_DEPTH 8
/* The cache file: the set plus a few small fields. */
#define JWKS_CACHE_MAX (JWKS_FETCH_MAX + 4096)
/* The default cache folder, one per user: private, made on first use. */
#define JWKS_CACHE_DIR "/tmp/taskapi-jwks-%u"
/* The hex digits of SHA-256(url) that name the default cache file. */
#define JWKS_CACHE_NAME_HEX 16
/* Waiting for another process's fetch: polled at this interval. */
#define JWKS_LOCK_POLL_MS 10
/* Less time than this left in the budget is not worth starting a fetch. */
#define JWKS_FETCH_MIN_MS 250
/* Redirects a URL may take (to http or https only, never down from https). */
#define JWKS_MAX_REDIRECTS 3
/* An RSA public exponent longer than this is not a real key. */
#define JWKS_RSA_E_MAX 8

enum kty { KTY_OKP, KTY_EC, KTY_RSA };

static const struct alg_info {
	const char *name;
	enum kty kty;
	const char *crv;	/* EC: the JWK curve */
	const char *group;	/* EC: OpenSSL's name of it */
	size_t coord;		/* EC: bytes of a coordinate, and of r and s */
	const char *digest;	/* NULL for EdDSA, which hashes by itself */
	int pss;
} alg_table[JWKS_ALG_COUNT] = {
	[JWKS_EDDSA] = { "EdDSA", KTY_OKP, NULL, NULL, 0, NULL, 0 },
	[JWKS_ES256] = { "ES256", KTY_EC, "P-256", "prime256v1", 32, "SHA256", 0 },
	[JWKS_ES384] = { "ES384", KTY_EC, "P-384", "secp384r1", 48, "SHA384", 0 },
	[JWKS_ES512] = { "ES512", KTY_EC, "P-521", "secp521r1", 66, "SHA512", 0 },
	[JWKS_RS256] = { "RS256", KTY_RSA, NULL, NULL, 0, "SHA256", 0 },
	[JWKS_RS384] = { "RS384", KTY_RSA, NULL, NULL, 0, "SHA384", 0 },
	[JWKS_RS512] = { "RS512", KTY_RSA, NULL, NULL, 0, "SHA512", 0 },
	[JWKS_PS256] = { "PS256", KTY_RSA, NULL, NULL, 0, "SHA256", 1 },
	[JWKS_PS384] = { "PS384", KTY_RSA, NULL, NULL, 0, "SHA384", 1 },
	[JWKS_PS512] = { "PS512", KTY_RSA, NULL, NULL, 0, "SHA512", 1 },
};

/* RFC 8037 2: the OKP curves that sign. */
static const struct okp_curve {
	const char *crv;
	int type;
	size_t len;
} okp_curves[] = {
	{ "Ed25519", EVP_PKEY_ED25519, 32 },
	{ "Ed448", EVP_PKEY_ED448, 57 },
};

struct jwks_key {
	char *kid;
	enum jwks_alg alg;
	EVP_PKEY *pkey;
};

struct jwks_set {
	struct jwks_key keys[JWKS_KEYS_MAX];
	size_t n;
};

/* A file as last read: a change of any of these means read it again. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int valid;
};

struct jwks {
	char *url;
	char *file;
	char *cache_path;	/* NULL: no usable cache file, per-process rules */
	char *lock_path;
	unsigned algorithms;
	long cache_seconds;
	long retry_seconds;
	struct jwks_set *set;	/* NULL until a set is known */
	struct json_object *doc;	/* the set as fetched, for the cache file */
	time_t fetched_at;	/* when the set was fetched (0: never) */
	time_t checked_at;	/* the last fetch attempt, by any process */
	struct file_id seen;	/* the cache file or JWT_JWKS_FILE as last read */
	int curl_ready;
	int warned;		/* a bad cache file or JWT_JWKS_FILE: logged once */
};

enum lookup { KEY_NONE, KEY_OTHER_ALG, KEY_FOUND };

static const char *printable(const char *s, char *buf, size_t buflen);
static void jwks_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void note_first(char *note, size_t notelen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct json_object *parse_strict(const char *text, size_t len);
static int set_from_json(struct json_object *doc, unsigned allowed,
    struct jwks_set **out, char *note, size_t notelen);
static int key_parse(struct json_object *o, unsigned allowed,
    struct jwks_key *k, char *note, size_t notelen);
static int key_alg(struct json_object *o, enum kty kty, const char *crv,
    char *note, size_t notelen);
static EVP_PKEY *okp_key(struct json_object *o, const char *crv, char *note,
    size_t notelen);
static EVP_PKEY *ec_key(struct json_object *o, const struct alg_info *a);
static EVP_PKEY *rsa_key(struct json_object *o, char *note, size_t notelen);
static EVP_PKEY *checked_public_key(const char *type, OSSL_PARAM *params);
static int public_check(EVP_PKEY *pkey);
static unsigned char *member_b64(struct json_object *o, const char *name,
    size_t *len);
static int key_verify(const struct jwks_key *k, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen);
static unsigned char *ecdsa_der(const unsigned char *sig, size_t coord,
    size_t *derlen);
static enum lookup lookup(const struct jwks_set *set, const char *kid,
    int alg);
static void replace_set(struct jwks *j, struct jwks_set *set,
    struct json_object *doc, time_t fetched_at);
static int stale(const struct jwks *j, time_t now);
static int may_fetch(const struct jwks *j, time_t now);
static int open_trusted(const char *path, int nofollow, int root_ok,
    struct file_id *id, char *why, size_t whylen);
static char *read_fd(int fd, size_t max, size_t *len);
static void id_from_stat(struct file_id *id, const struct stat *st);
static int same_file(const struct file_id *a, const struct file_id *b);
static int file_sync(struct jwks *j, time_t now, char *err, size_t errlen);
static char *fetch_url(const char *url, long timeout_ms, size_t *len,
    char *why, size_t whylen);
static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *ud);
static void refresh(struct jwks *j, time_t now);
static int default_cache_path(const char *url, char **out, char *err,
    size_t errlen);
static void cache_sync(struct jwks *j);
static void cache_write(struct jwks *j);
static int cache_lock(struct jwks *j, long budget_ms);
static long elapsed_ms(const struct timespec *since);

int
jwks_alg_from_name(const char *name)
{
	for (int i = 0; i < JWKS_ALG_COUNT; i++)
		if (strcmp(alg_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
jwks_alg_name(int alg)
{
	return alg >= 0 && alg < JWKS_ALG_COUNT ? alg_table[alg].name : "?";
}

int
jwks_parse_algorithms(const char *list, unsigned *mask, char *err,
    size_t errlen)
{
	const char *p = list, *start;
	size_t n;

	*mask = 0;
	while (text_list_next(&p, &start, &n)) {
		char name[16];
		int alg;

		if (n == 0)
			continue;
		if (n < sizeof(name)) {
			memcpy(name, start, n);
			name[n] = '\0';
		}
		if (n >= sizeof(name) || (alg = jwks_alg_from_name(name)) < 0) {
			snprintf(err, errlen, "JWT_JWKS_ALGORITHMS: '%.*s' is not "
			    "one of EdDSA, ES256, ES384, ES512, RS256, RS384, "
			    "RS512, PS256, PS384, PS512", (int)(n > 32 ? 32 : n),
			    start);
			return -1;
		}
		*mask |= 1u << alg;
	}
	if (*mask == 0) {
		snprintf(err, errlen, "JWT_JWKS_ALGORITHMS names no algorithm");
		return -1;
	}
	return 0;
}

/* ---- the parser ---- */

int
jwks_set_parse(const char *text, size_t len, unsigned algorithms,
    struct jwks_set **out, char *note, size_t notelen)
{
	struct json_object *doc;
	int rc;

	if (note != NULL && notelen > 0)
		note[0] = '\0';
	*out = NULL;
	if ((doc = parse_strict(text, len)) == NULL) {
		note_first(note, notelen, "not JSON");
		return -1;
	}
	rc = set_from_json(doc, algorithms, out, note, notelen);
	json_object_put(doc);
	return rc;
}

size_t
jwks_set_count(const struct jwks_set *set)
{
	return set != NULL ? set->n : 0;
}

const char *
jwks_set_kid(const struct jwks_set *set, size_t i)
{
	return set->keys[i].kid;
}

int
jwks_set_alg(const struct jwks_set *set, size_t i)
{
	return (int)set->keys[i].alg;
}

void
jwks_set_free(struct jwks_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->keys[i].kid);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set);
}

/*
 * RFC 8259 JSON, checked by the same strict scanner as request bodies
 * (json-c alone accepts NaN, single quotes and more), then built.
 */
static struct json_object *
parse_strict(const char *text, size_t len)
{
	if (json_syntax_check(text, len, JWKS_JSON_DEPTH, NULL, 0) != JSON_OK)
		return NULL;
	return json_build(text, len, JWKS_JSON_DEPTH);
}

static int
set_from_json(struct json_object *doc, unsigned allowed,
    struct jwks_set **out, char *note, size_t notelen)
{
	struct json_object *keys;
	struct jwks_set *set;
	size_t n;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		note_first(note, notelen, "not a key set: no \"keys\" array");
		return -1;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL) {
		note_first(note, notelen, "out of memory");
		return -1;
	}
	n = json_object_array_length(keys);
	for (size_t i = 0; i < n; i++) {
		if (set->n == JWKS_KEYS_MAX) {
			note_first(note, notelen, "more than %d keys: the rest "
			    "are ignored", JWKS_KEYS_MAX);
			break;
		}
		if (key_parse(json_object_array_get_idx(keys, i), allowed,
		    &set->keys[set->n], note, notelen) == 0)
			set->n++;
	}
	/* Skipped keys leave OpenSSL's reasons behind: not ours to keep. */
	ERR_clear_error();
	*out = set;
	return 0;
}

/* One key of the set: 0 with *k filled, or -1 (skipped, why in note). */
static int
key_parse(struct json_object *o, unsigned allowed, struct jwks_key *k,
    char *note, size_t notelen)
{
	static const char *const private_members[] = { "d", "p", "q", "dp",
	    "dq", "qi", "k" };
	struct json_object *v;
	const char *kty_name, *kid, *use, *crv;
	char shown[72];
	enum kty kty;
	EVP_PKEY *pkey;
	int alg;

	if (!json_object_is_type(o, json_type_object)) {
		note_first(note, notelen, "a key that is not an object");
		return -1;
	}
	kid = json_member_string(o, "kid");
	if (kid == NULL || kid[0] == '\0' || strlen(kid) > JWKS_KID_MAX) {
		/* Keys are chosen by kid: one without is never chosen. */
		note_first(note, notelen, "a key without a usable kid");
		return -1;
	}
	printable(kid, shown, sizeof(shown));
	/* RFC 7517 4.2, 4.3: a key for encryption is not one we verify with. */
	if (json_object_object_get_ex(o, "use", &v) &&
	    ((use = json_member_string(o, "use")) == NULL || strcmp(use, "sig") != 0)) {
		note_first(note, notelen, "key %s: not a signing key (use)",
		    shown);
		return -1;
	}
	if (json_object_object_get_ex(o, "key_ops", &v)) {
		int verify = 0;

		if (json_object_is_type(v, json_type_array))
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				struct json_object *e = json_object_array_get_idx(v, i);

				verify |= json_object_is_type(e, json_type_string) &&
				    strcmp(json_object_get_string(e), "verify") == 0;
			}
		if (!verify) {
			note_first(note, notelen, "key %s: key_ops without "
			    "verify", shown);
			return -1;
		}
	}
	/* A published private key is a leaked one: never trust it. */
	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_object_get_ex(o, private_members[i], &v)) {
			note_first(note, notelen, "key %s: a private or secret "
			    "key, refused", shown);
			return -1;
		}
	if ((kty_name = json_member_string(o, "kty")) == NULL) {
		note_first(note, notelen, "key %s: no kty", shown);
		return -1;
	}
	if (strcmp(kty_name, "OKP") == 0)
		kty = KTY_OKP;
	else if (strcmp(kty_name, "EC") == 0)
		kty = KTY_EC;
	else if (strcmp(kty_name, "RSA") == 0)
		kty = KTY_RSA;
	else {
		note_first(note, notelen, "key %s: kty %.16s is not OKP, EC or "
		    "RSA", shown, kty_name);
		return -1;
	}
	crv = json_member_string(o, "crv");
	if ((alg = key_alg(o, kty, crv, note, notelen)) < 0)
		return -1;
	if (allowed != 0 && (allowed & 1u << alg) == 0) {
		note_first(note, notelen, "key %s: %s is not in "
		    "JWT_JWKS_ALGORITHMS", shown, alg_table[alg].name);
		return -1;
	}
	switch (kty) {
	case KTY_OKP:
		pkey = okp_key(o, crv, note, notelen);
		break;
	case KTY_EC:
		pkey = ec_key(o, &alg_table[alg]);
		break;
	default:
		pkey = rsa_key(o, note, notelen);
		break;
	}
	if (pkey == NULL) {
		note_first(note, notelen, "key %s: its public key is not "
		    "usable", shown);
		return -1;
	}
	if ((k->kid = strdup(kid)) == NULL) {
		EVP_PKEY_free(pkey);
		note_first(note, notelen, "out of memory");
		return -1;
	}
	k->alg = (enum jwks_alg)alg;
	k->pkey = pkey;
	return 0;
}

/*
 * The one algorithm a key verifies: its "alg" when it names one, which must
 * fit the key's type and curve; else the one its type implies (RS256 for
 * RSA, the curve's ES algorithm for EC, EdDSA for OKP).
 */
static int
key_alg(struct json_object *o, enum kty kty, const char *crv, char *note,
    size_t notelen)
{
	struct json_object *v;
	const char *name;
	int alg = -1;

	if (json_object_object_get_ex(o, "alg", &v)) {
		if ((name = json_member_string(o, "alg")) == NULL ||
		    (alg = jwks_alg_from_name(name)) < 0) {
			note_first(note, notelen, "a key for an algorithm we do "
			    "not verify");
			return -1;
		}
	} else if (kty == KTY_OKP)
		alg = JWKS_EDDSA;
	else if (kty == KTY_RSA)
		alg = JWKS_RS256;
	else
		for (int i = 0; i < JWKS_ALG_COUNT && crv != NULL; i++)
			if (alg_table[i].crv != NULL &&
			    strcmp(alg_table[i].crv, crv) == 0)
				alg = i;
	if (alg < 0 || alg_table[alg].kty != kty ||
	    (kty == KTY_EC && (crv == NULL || strcmp(crv, alg_table[alg].crv) != 0))) {
		note_first(note, notelen, "a key whose alg does not fit its kty "
		    "or crv");
		return -1;
	}
	return alg;
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
	note_first(note, notelen, "an OKP key on a curve that does not sign");
	return NULL;
}

/* RFC 7518 6.2.1: x and y are full-length big-endian coordinates. */
static EVP_PKEY *
ec_key(struct json_object *o, const struct alg_info *a)
{
	unsigned char *x = NULL, *y = NULL, point[1 + 2 * 66];
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
		note_first(note, notelen, "an RSA key of %d bits (%d to %d "
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

/* ---- the check ---- */

static int
key_verify(const struct jwks_key *k, const unsigned char *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
	const struct alg_info *a = &alg_table[k->alg];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int ok = 0;

	if (a->kty == KTY_EC) {
		/* RFC 7518 3.4: JWS carries R||S, OpenSSL wants DER. */
		if (siglen != 2 * a->coord ||
		    (der = ecdsa_der(sig, a->coord, &siglen)) == NULL)
			return 0;
		sig = der;
	} else if (a->kty == KTY_RSA &&
	    siglen != (size_t)EVP_PKEY_get_size(k->pkey))
		return 0;	/* RFC 8017 8.2.2: exactly the modulus' length */
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

static enum lookup
lookup(const struct jwks_set *set, const char *kid, int alg)
{
	enum lookup found = KEY_NONE;

	for (size_t i = 0; set != NULL && i < set->n; i++) {
		if (strcmp(set->keys[i].kid, kid) != 0)
			continue;
		if ((int)set->keys[i].alg == alg)
			return KEY_FOUND;
		found = KEY_OTHER_ALG;
	}
	return found;
}

/* ---- the key source and its cache ---- */

struct jwks *
jwks_open(const struct jwks_settings *s, char *err, size_t errlen)
{
	struct jwks *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->algorithms = s->algorithms;
	j->cache_seconds = s->cache_seconds > 0 ? s->cache_seconds :
	    JWKS_DEFAULT_CACHE_SECONDS;
	j->retry_seconds = s->retry_seconds > 0 ? s->retry_seconds :
	    JWKS_DEFAULT_RETRY_SECONDS;
	if (s->file != NULL) {
		if ((j->file = strdup(s->file)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (file_sync(j, time(NULL), err, errlen) != 0)
			goto fail;
		return j;
	}
	if (s->url == NULL || (j->url = strdup(s->url)) == NULL) {
		snprintf(err, errlen, "no JWKS source");
		goto fail;
	}
	if (s->cache_file != NULL)
		j->cache_path = strdup(s->cache_file);
	else if (default_cache_path(s->url, &j->cache_path, err, errlen) != 0) {
		/* Still serves: each process then keeps its own rules. */
		jwks_log("no cache file (%s): each process fetches the set "
		    "for itself", err);
		err[0] = '\0';
	}
	if (j->cache_path != NULL &&
	    asprintf(&j->lock_path, "%s.lock", j->cache_path) < 0) {
		j->lock_path = NULL;
		free(j->cache_path);
		j->cache_path = NULL;
	}
	return j;
fail:
	jwks_close(j);
	return NULL;
}

void
jwks_close(struct jwks *j)
{
	if (j == NULL)
		return;
	jwks_set_free(j->set);
	json_object_put(j->doc);
	if (j->curl_ready)
		curl_global_cleanup();
	free(j->url);
	free(j->file);
	free(j->cache_path);
	free(j->lock_path);
	free(j);
}

enum jwks_verdict
jwks_verify(struct jwks *j, const char *alg_name, const char *kid,
    const unsigned char *input, size_t input_len, const unsigned char *sig,
    size_t sig_len, time_t now)
{
	int alg = jwks_alg_from_name(alg_name);
	enum lookup found;
	char err[256];

	/* Refused before any lookup, so it can never cause a fetch. */
	if (alg < 0 || (j->algorithms != 0 && (j->algorithms & 1u << alg) == 0))
		return JWKS_WRONG_KEY;
	if (j->file != NULL) {
		/* A local file costs an open and an fstat to look at again. */
		if ((found = lookup(j->set, kid, alg)) == KEY_NONE) {
			if (file_sync(j, now, err, sizeof(err)) == 0)
				j->warned = 0;
			else if (!j->warned) {
				jwks_log("%s; the keys already read stay in use",
				    err);
				j->warned = 1;
			}
			found = lookup(j->set, kid, alg);
		}
	} else {
		/*
		 * Whatever another process fetched is taken in at once (an
		 * lstat when nothing changed), so every process serves the
		 * newest set: a key the issuer removed goes everywhere.
		 */
		cache_sync(j);
		found = lookup(j->set, kid, alg);
		if ((found == KEY_NONE || stale(j, now)) && may_fetch(j, now)) {
			refresh(j, now);
			found = lookup(j->set, kid, alg);
		}
	}
	/*
	 * Never had a set (a worker started while the issuer is down, with
	 * no cache file to fall back on): no token of the issuer can be
	 * judged, and a 401 would log its user out for our outage.
	 */
	if (found == KEY_NONE && j->set == NULL)
		return JWKS_UNAVAILABLE;
	if (found == KEY_NONE)
		return JWKS_NO_KEY;
	if (found == KEY_OTHER_ALG)
		return JWKS_WRONG_KEY;
	/* Kids should be unique; should two keys share one, either may sign. */
	for (size_t i = 0; i < j->set->n; i++) {
		const struct jwks_key *k = &j->set->keys[i];

		if ((int)k->alg == alg && strcmp(k->kid, kid) == 0 &&
		    key_verify(k, input, input_len, sig, sig_len))
			return JWKS_OK;
	}
	return JWKS_BAD_SIGNATURE;
}

long
jwks_retry_after(const struct jwks *j, time_t now)
{
	long left = j->checked_at == 0 ? 1 :
	    (long)(j->checked_at + j->retry_seconds - now);

	/* may_fetch() lets a clock that went back fetch at once. */
	return left < 1 || left > j->retry_seconds ? 1 : left;
}

static void
replace_set(struct jwks *j, struct jwks_set *set, struct json_object *doc,
    time_t fetched_at)
{
	jwks_set_free(j->set);
	json_object_put(j->doc);
	j->set = set;
	j->doc = doc;
	j->fetched_at = fetched_at;
}

/* The set is older than the cache period, or from a clock ahead of ours. */
static int
stale(const struct jwks *j, time_t now)
{
	return j->set == NULL || now - j->fetched_at >= j->cache_seconds ||
	    j->fetched_at > now;
}

/* At most one fetch per retry period, whatever asks for it. */
static int
may_fetch(const struct jwks *j, time_t now)
{
	return j->checked_at == 0 || now - j->checked_at >= j->retry_seconds ||
	    j->checked_at > now;
}

/*
 * Opens a file we are to trust: a regular file, owned by our user (or by
 * root when root_ok), that neither group nor others can write.
 */
static int
open_trusted(const char *path, int nofollow, int root_ok, struct file_id *id,
    char *why, size_t whylen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		goto refuse;
	}
	if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0)) {
		snprintf(why, whylen, "%s is owned by another user", path);
		goto refuse;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, whylen, "%s is writable by group or others", path);
		goto refuse;
	}
	id_from_stat(id, &st);
	return fd;
refuse:
	close(fd);
	errno = EPERM;
	return -1;
}

/* The whole file, NUL-terminated (free()), or NULL when over max bytes. */
static char *
read_fd(int fd, size_t max, size_t *len)
{
	char *buf = malloc(max + 2);
	size_t n = 0;
	ssize_t got;

	if (buf == NULL)
		return NULL;
	while (n <= max && (got = read(fd, buf + n, max + 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
id_from_stat(struct file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->valid = 1;
}

static int
same_file(const struct file_id *a, const struct file_id *b)
{
	return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/*
 * JWT_JWKS_FILE: read again whenever it changed. Symbolic links are
 * followed (configuration mounts use them); root may own it.
 */
static int
file_sync(struct jwks *j, time_t now, char *err, size_t errlen)
{
	struct file_id id = { 0 };
	struct jwks_set *set;
	struct json_object *doc;
	char note[256], why[512];
	size_t len;
	char *text;
	int fd;

	if ((fd = open_trusted(j->file, 0, 1, &id, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s", why);
		return -1;
	}
	if (same_file(&id, &j->seen)) {
		close(fd);
		return 0;
	}
	text = read_fd(fd, JWKS_FETCH_MAX, &len);
	close(fd);
	if (text == NULL) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s cannot be read or is "
		    "over %d bytes", j->file, JWKS_FETCH_MAX);
		return -1;
	}
	note[0] = '\0';
	doc = parse_strict(text, len);
	free(text);
	if (doc == NULL || set_from_json(doc, j->algorithms, &set, note,
	    sizeof(note)) != 0) {
		snprintf(err, errlen, "JWT_JWKS_FILE: %s is not a JSON Web Key "
		    "Set%s%s", j->file, note[0] != '\0' ? ": " : "", note);
		json_object_put(doc);
		return -1;
	}
	if (note[0] != '\0')
		jwks_log("JWT_JWKS_FILE: %s", note);
	replace_set(j, set, doc, now);
	j->seen = id;
	return 0;
}

struct fetch_buf {
	char *data;
	size_t len;
	int too_big;
};

static size_t
fetch_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fetch_buf *b = ud;
	size_t n = size * nmemb;

	if (n > JWKS_FETCH_MAX - b->len) {
		b->too_big = 1;
		return 0;	/* libcurl ends the transfer */
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

/*
 * GETs url within timeout_ms; the body (NUL-terminated, free()) of a 200,
 * or NULL with why. http and https only, also across redirects, and never
 * from https down to http.
 */
static char *
fetch_url(const char *url, long timeout_ms, size_t *len, char *why,
    size_t whylen)
{
	struct fetch_buf b = { NULL, 0, 0 };
	struct curl_slist *headers = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	CURL *c;

	if ((b.data = malloc(JWKS_FETCH_MAX + 1)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		free(b.data);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	headers = curl_slist_append(headers,
	    "Accept: application/jwk-set+json, application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
	    strncmp(url, "https:", 6) == 0 ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)JWKS_MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)JWKS_FETCH_MAX);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "taskapi-jwks");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK || status != 200) {
		if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(why, whylen, "the answer is over %d bytes",
			    JWKS_FETCH_MAX);
		else if (rc != CURLE_OK)
			snprintf(why, whylen, "%s", curl_err[0] != '\0' ?
			    curl_err : curl_easy_strerror(rc));
		else
			snprintf(why, whylen, "HTTP status %ld", status);
		free(b.data);
		return NULL;
	}
	b.data[b.len] = '\0';
	*len = b.len;
	return b.data;
}

/*
 * Fetches the set once, under the cache file's lock, so that of all the
 * processes that want a fetch now, one fetches and the others read its
 * result. The whole of it stays within JWKS_FETCH_TIMEOUT_MS.
 */
static void
refresh(struct jwks *j, time_t now)
{
	struct timespec start;
	struct jwks_set *set = NULL;
	struct json_object *doc = NULL;
	char why[CURL_ERROR_SIZE + 64], note[256] = "";
	const char *keep;
	long budget = JWKS_FETCH_TIMEOUT_MS;
	size_t len;
	char *text;
	int lock = -2;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (j->cache_path != NULL) {
		lock = cache_lock(j, budget);
		if (lock == -1) {
			/* Another process has been fetching for the whole
			 * budget: do not queue behind it again soon. */
			j->checked_at = now + elapsed_ms(&start) / 1000;
			return;
		}
		cache_sync(j);
		if (!may_fetch(j, now))
			goto out;
		budget -= elapsed_ms(&start);
		if (budget < JWKS_FETCH_MIN_MS)
			goto out;
	}
	/*
	 * libcurl is set up on the first fetch, not at start: a plain CGI
	 * process starts for each request, and most never fetch (about half a
	 * millisecond each, measured).
	 */
	if (!j->curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		j->curl_ready = 1;
	/* What a failure leaves: the set in hand, or none (JWKS_UNAVAILABLE). */
	keep = j->set != NULL ? "the keys already known stay in use" :
	    "no keys yet: the issuer's tokens get 503 until a fetch works";
	if (!j->curl_ready)
		jwks_log("cannot initialise libcurl; %s", keep);
	else if ((text = fetch_url(j->url, budget, &len, why,
	    sizeof(why))) == NULL)
		jwks_log("fetching %s failed: %s; %s", j->url, why, keep);
	else {
		doc = parse_strict(text, len);
		free(text);
		if (doc != NULL && set_from_json(doc, j->algorithms, &set, note,
		    sizeof(note)) == 0) {
			if (note[0] != '\0')
				jwks_log("%s: %s", j->url, note);
			replace_set(j, set, doc, now);
		} else {
			jwks_log("%s did not answer a JSON Web Key Set%s%s; %s",
			    j->url, note[0] != '\0' ? ": " : "", note, keep);
			json_object_put(doc);
		}
	}
	/* The attempt's end, not its start: the next may come a retry
	 * period after the last one gave up, not at once. */
	j->checked_at = now + elapsed_ms(&start) / 1000;
	cache_write(j);
out:
	if (lock >= 0)
		close(lock);	/* releases the lock */
}

/* /tmp/taskapi-jwks-<uid>/<hash of the URL>.json, in a folder only we use. */
static int
default_cache_path(const char *url, char **out, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char dir[64], name[JWKS_CACHE_NAME_HEX + 1];
	struct stat st;

	snprintf(dir, sizeof(dir), JWKS_CACHE_DIR, (unsigned)geteuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Someone else may have made it first, to feed us keys: refuse it. */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s is not a private folder of ours", dir);
		return -1;
	}
	if (EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "SHA-256 failed");
		return -1;
	}
	for (int i = 0; i < JWKS_CACHE_NAME_HEX / 2; i++)
		snprintf(name + 2 * i, 3, "%02x", md[i]);
	if (asprintf(out, "%s/%s.json", dir, name) < 0) {
		*out = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Takes in what another process wrote to the cache file: a newer set, and
 * the time of the last fetch attempt. A file we cannot trust is ignored
 * (and said so once); the next fetch replaces it.
 */
static void
cache_sync(struct jwks *j)
{
	struct file_id id = { 0 };
	struct stat st;
	struct json_object *doc = NULL, *v, *keys = NULL;
	struct jwks_set *set = NULL;
	time_t fetched_at = 0, checked_at = 0;
	const char *source;
	char why[512];
	size_t len;
	char *text;
	int fd;

	if (j->cache_path == NULL)
		return;
	/* The hot path: unchanged since we last read or wrote it. */
	if (lstat(j->cache_path, &st) == 0) {
		id_from_stat(&id, &st);
		if (same_file(&id, &j->seen))
			return;
	}
	if ((fd = open_trusted(j->cache_path, 1, 0, &id, why, sizeof(why))) < 0) {
		if (errno != ENOENT && !j->warned) {
			jwks_log("cache file refused: %s", why);
			j->warned = 1;
		}
		return;
	}
	j->warned = 0;
	if (same_file(&id, &j->seen)) {
		close(fd);
		return;
	}
	text = read_fd(fd, JWKS_CACHE_MAX, &len);
	close(fd);
	if (text == NULL)
		return;
	doc = parse_strict(text, len);
	free(text);
	/* Read once per change, whatever it holds. */
	j->seen = id;
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    (source = json_member_string(doc, "source")) == NULL ||
	    strcmp(source, j->url) != 0)
		goto out;	/* another URL's, or not ours at all */
	if (json_object_object_get_ex(doc, "fetched_at", &v) &&
	    json_object_is_type(v, json_type_int))
		fetched_at = (time_t)json_object_get_int64(v);
	if (json_object_object_get_ex(doc, "checked_at", &v) &&
	    json_object_is_type(v, json_type_int))
		checked_at = (time_t)json_object_get_int64(v);
	if (checked_at > j->checked_at)
		j->checked_at = checked_at;
	if (json_object_object_get_ex(doc, "jwks", &keys) && keys != NULL &&
	    (j->set == NULL || fetched_at > j->fetched_at) &&
	    set_from_json(keys, j->algorithms, &set, NULL, 0) == 0)
		replace_set(j, set, json_object_get(keys), fetched_at);
out:
	json_object_put(doc);
}

/*
 * Writes the set and the fetch times for the other processes: to a new
 * file of mode 0600 beside the cache file, then renamed over it, so a
 * reader sees the old file or the new one, never half of one.
 */
static void
cache_write(struct jwks *j)
{
	struct json_object *o;
	struct stat st;
	const char *text;
	char *tmp = NULL;
	size_t len, off = 0;
	int fd = -1;

	if (j->cache_path == NULL || (o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "source", json_object_new_string(j->url));
	json_object_object_add(o, "fetched_at",
	    json_object_new_int64((int64_t)j->fetched_at));
	json_object_object_add(o, "checked_at",
	    json_object_new_int64((int64_t)j->checked_at));
	json_object_object_add(o, "jwks", json_object_get(j->doc));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (asprintf(&tmp, "%s.XXXXXX", j->cache_path) < 0) {
		tmp = NULL;
		goto fail;
	}
	/* mkstemp creates the file with mode 0600, and only if new. */
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0600) != 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fstat(fd, &st) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, j->cache_path) != 0)
		goto fail;
	/* Our own write needs no reading back. */
	id_from_stat(&j->seen, &st);
	free(tmp);
	json_object_put(o);
	return;
fail:
	jwks_log("cannot write the cache file %s: %s", j->cache_path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	if (tmp != NULL && tmp[0] != '\0')
		unlink(tmp);
	free(tmp);
	json_object_put(o);
}

/*
 * The fetch lock, a file beside the cache file: the descriptor holding it,
 * -1 when another process held it for the whole budget, or -2 when there
 * is no usable lock file (the fetch then goes ahead unlocked).
 */
static int
cache_lock(struct jwks *j, long budget_ms)
{
	struct timespec start, pause = { 0, JWKS_LOCK_POLL_MS * 1000000L };
	struct stat st;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = open(j->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -2;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return -2;
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -2;
		}
		if (elapsed_ms(&start) >= budget_ms) {
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L +
	    (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static void
jwks_log(const char *fmt, ...)
{
	va_list ap;

	fputs("taskapi: jwks: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* s with anything but printable ASCII as '?', cut to fit buf. */
static const char *
printable(const char *s, char *buf, size_t buflen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < buflen; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Keeps the first reason only: the one that explains the rest. */
static void
note_first(char *note, size_t notelen, const char *fmt, ...)
{
	va_list ap;

	if (note == NULL || notelen == 0 || note[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(note, notelen, fmt, ap);
	va_end(ap);
}
