/*
 * keyset.c: a JSON Web Key Set (RFC 7517) read into keys of one algorithm
 * each, so a token's alg must be exactly its key's (no key confusion); the
 * JWS algorithm names and the JWT_JWKS_ALGORITHMS allow-list. A key that
 * cannot be used is skipped with a note, never the whole set; jwk.c turns
 * the numbers of a key that passed these checks into an OpenSSL key.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "json/json.h"
#include "jwks/jwks.h"
#include "jwks/jwks_internal.h"
#include "jwks/jwks_set.h"
#include "text/text.h"

/* A key set is a flat document: an object, an array, objects, arrays. */
#define JWKS_JSON_DEPTH 8

const struct jwks_alg_info keyset_algs[JWKS_ALG_COUNT] = {
	[JWKS_EDDSA] = { "EdDSA", JWKS_KTY_OKP, NULL, NULL, 0, NULL, 0 },
	[JWKS_ES256] = { "ES256", JWKS_KTY_EC, "P-256", "prime256v1", 32,
	    "SHA256", 0 },
	[JWKS_ES384] = { "ES384", JWKS_KTY_EC, "P-384", "secp384r1", 48,
	    "SHA384", 0 },
	[JWKS_ES512] = { "ES512", JWKS_KTY_EC, "P-521", "secp521r1", 66,
	    "SHA512", 0 },
	[JWKS_RS256] = { "RS256", JWKS_KTY_RSA, NULL, NULL, 0, "SHA256", 0 },
	[JWKS_RS384] = { "RS384", JWKS_KTY_RSA, NULL, NULL, 0, "SHA384", 0 },
	[JWKS_RS512] = { "RS512", JWKS_KTY_RSA, NULL, NULL, 0, "SHA512", 0 },
	[JWKS_PS256] = { "PS256", JWKS_KTY_RSA, NULL, NULL, 0, "SHA256", 1 },
	[JWKS_PS384] = { "PS384", JWKS_KTY_RSA, NULL, NULL, 0, "SHA384", 1 },
	[JWKS_PS512] = { "PS512", JWKS_KTY_RSA, NULL, NULL, 0, "SHA512", 1 },
};

static int key_parse(struct json_object *o, unsigned allowed,
    struct jwks_key *k, char *note, size_t notelen);
static const char *key_kid(struct json_object *o, char *note,
    size_t notelen);
static int key_signs(struct json_object *o, const char *shown, char *note,
    size_t notelen);
static int key_is_public(struct json_object *o, const char *shown,
    char *note, size_t notelen);
static int key_kty(struct json_object *o, const char *shown,
    enum jwks_kty *kty, char *note, size_t notelen);
static int key_alg(struct json_object *o, enum jwks_kty kty, const char *crv,
    char *note, size_t notelen);
static const char *printable(const char *s, char *buf, size_t buflen);

int
jwks_alg_from_name(const char *name)
{
	for (int i = 0; i < JWKS_ALG_COUNT; i++)
		if (strcmp(keyset_algs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
jwks_alg_name(int alg)
{
	return alg >= 0 && alg < JWKS_ALG_COUNT ? keyset_algs[alg].name : "?";
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

int
jwks_set_parse(const char *text, size_t len, unsigned algorithms,
    struct jwks_set **out, char *note, size_t notelen)
{
	struct json_object *doc;
	int rc;

	if (note != NULL && notelen > 0)
		note[0] = '\0';
	*out = NULL;
	if ((doc = keyset_parse_json(text, len)) == NULL) {
		keyset_note(note, notelen, "not JSON");
		return -1;
	}
	rc = keyset_from_json(doc, algorithms, out, note, notelen);
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
struct json_object *
keyset_parse_json(const char *text, size_t len)
{
	if (json_syntax_check(text, len, JWKS_JSON_DEPTH, NULL, 0) != JSON_OK)
		return NULL;
	return json_build(text, len, JWKS_JSON_DEPTH);
}

/*
 * The usable keys of doc, an object with a "keys" array: 0 with *out (the
 * set may be empty), or -1 when doc is no key set.
 */
int
keyset_from_json(struct json_object *doc, unsigned allowed,
    struct jwks_set **out, char *note, size_t notelen)
{
	struct json_object *keys;
	struct jwks_set *set;
	size_t n;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		keyset_note(note, notelen, "not a key set: no \"keys\" array");
		return -1;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL) {
		keyset_note(note, notelen, "out of memory");
		return -1;
	}
	n = json_object_array_length(keys);
	for (size_t i = 0; i < n; i++) {
		if (set->n == JWKS_KEYS_MAX) {
			keyset_note(note, notelen, "more than %d keys: the rest "
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

enum jwks_lookup
keyset_lookup(const struct jwks_set *set, const char *kid, int alg)
{
	enum jwks_lookup found = JWKS_KEY_NONE;

	for (size_t i = 0; set != NULL && i < set->n; i++) {
		if (strcmp(set->keys[i].kid, kid) != 0)
			continue;
		if ((int)set->keys[i].alg == alg)
			return JWKS_KEY_FOUND;
		found = JWKS_KEY_OTHER_ALG;
	}
	return found;
}

/* Keeps the first reason only: the one that explains the rest. */
void
keyset_note(char *note, size_t notelen, const char *fmt, ...)
{
	va_list ap;

	if (note == NULL || notelen == 0 || note[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(note, notelen, fmt, ap);
	va_end(ap);
}

/*
 * One key of the set: 0 with *k filled, or -1 (skipped, why in note). The
 * checks run in this order, so the note names the first that fails.
 */
static int
key_parse(struct json_object *o, unsigned allowed, struct jwks_key *k,
    char *note, size_t notelen)
{
	const char *kid, *crv;
	char shown[72];
	enum jwks_kty kty;
	EVP_PKEY *pkey;
	int alg;

	if ((kid = key_kid(o, note, notelen)) == NULL)
		return -1;
	printable(kid, shown, sizeof(shown));
	if (!key_signs(o, shown, note, notelen) ||
	    !key_is_public(o, shown, note, notelen) ||
	    key_kty(o, shown, &kty, note, notelen) != 0)
		return -1;
	crv = json_member_string(o, "crv");
	if ((alg = key_alg(o, kty, crv, note, notelen)) < 0)
		return -1;
	if (allowed != 0 && (allowed & 1u << alg) == 0) {
		keyset_note(note, notelen, "key %s: %s is not in "
		    "JWT_JWKS_ALGORITHMS", shown, keyset_algs[alg].name);
		return -1;
	}
	if ((pkey = jwk_public_key(o, &keyset_algs[alg], crv, note,
	    notelen)) == NULL) {
		keyset_note(note, notelen, "key %s: its public key is not "
		    "usable", shown);
		return -1;
	}
	if ((k->kid = strdup(kid)) == NULL) {
		EVP_PKEY_free(pkey);
		keyset_note(note, notelen, "out of memory");
		return -1;
	}
	k->alg = (enum jwks_alg)alg;
	k->pkey = pkey;
	return 0;
}

/* The kid of key o, or NULL when o is no object or has no usable kid. */
static const char *
key_kid(struct json_object *o, char *note, size_t notelen)
{
	const char *kid;

	if (!json_object_is_type(o, json_type_object)) {
		keyset_note(note, notelen, "a key that is not an object");
		return NULL;
	}
	kid = json_member_string(o, "kid");
	if (kid == NULL || kid[0] == '\0' || strlen(kid) > JWKS_KID_MAX) {
		/* Keys are chosen by kid: one without is never chosen. */
		keyset_note(note, notelen, "a key without a usable kid");
		return NULL;
	}
	return kid;
}

/*
 * RFC 7517 4.2, 4.3: a key for encryption is not one we verify with. 1
 * when o's use and key_ops, if present, say it verifies signatures.
 */
static int
key_signs(struct json_object *o, const char *shown, char *note,
    size_t notelen)
{
	struct json_object *v;
	const char *use;
	int verify = 0;

	if (json_object_object_get_ex(o, "use", &v) &&
	    ((use = json_member_string(o, "use")) == NULL ||
	    strcmp(use, "sig") != 0)) {
		keyset_note(note, notelen, "key %s: not a signing key (use)",
		    shown);
		return 0;
	}
	if (!json_object_object_get_ex(o, "key_ops", &v))
		return 1;
	if (json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			/* All of it: "verify\u0000x" is no "verify". */
			verify |= json_object_is_type(e, json_type_string) &&
			    json_object_get_string_len(e) == 6 &&
			    memcmp(json_object_get_string(e), "verify", 6) == 0;
		}
	if (!verify)
		keyset_note(note, notelen, "key %s: key_ops without verify",
		    shown);
	return verify;
}

/* A published private key is a leaked one: never trust it. */
static int
key_is_public(struct json_object *o, const char *shown, char *note,
    size_t notelen)
{
	static const char *const private_members[] = { "d", "p", "q", "dp",
	    "dq", "qi", "k" };
	struct json_object *v;

	for (size_t i = 0; i < sizeof(private_members) /
	    sizeof(private_members[0]); i++)
		if (json_object_object_get_ex(o, private_members[i], &v)) {
			keyset_note(note, notelen, "key %s: a private or "
			    "secret key, refused", shown);
			return 0;
		}
	return 1;
}

/* The key type of o: 0 with *kty, or -1 for none or one we do not use. */
static int
key_kty(struct json_object *o, const char *shown, enum jwks_kty *kty,
    char *note, size_t notelen)
{
	const char *name;

	if ((name = json_member_string(o, "kty")) == NULL) {
		keyset_note(note, notelen, "key %s: no kty", shown);
		return -1;
	}
	if (strcmp(name, "OKP") == 0)
		*kty = JWKS_KTY_OKP;
	else if (strcmp(name, "EC") == 0)
		*kty = JWKS_KTY_EC;
	else if (strcmp(name, "RSA") == 0)
		*kty = JWKS_KTY_RSA;
	else {
		keyset_note(note, notelen, "key %s: kty %.16s is not OKP, EC "
		    "or RSA", shown, name);
		return -1;
	}
	return 0;
}

/*
 * The one algorithm a key verifies: its "alg" when it names one, which must
 * fit the key's type and curve; else the one its type implies (RS256 for
 * RSA, the curve's ES algorithm for EC, EdDSA for OKP).
 */
static int
key_alg(struct json_object *o, enum jwks_kty kty, const char *crv, char *note,
    size_t notelen)
{
	struct json_object *v;
	const char *name;
	int alg = -1;

	if (json_object_object_get_ex(o, "alg", &v)) {
		if ((name = json_member_string(o, "alg")) == NULL ||
		    (alg = jwks_alg_from_name(name)) < 0) {
			keyset_note(note, notelen, "a key for an algorithm we "
			    "do not verify");
			return -1;
		}
	} else if (kty == JWKS_KTY_OKP)
		alg = JWKS_EDDSA;
	else if (kty == JWKS_KTY_RSA)
		alg = JWKS_RS256;
	else
		for (int i = 0; i < JWKS_ALG_COUNT && crv != NULL; i++)
			if (keyset_algs[i].crv != NULL &&
			    strcmp(keyset_algs[i].crv, crv) == 0)
				alg = i;
	if (alg < 0 || keyset_algs[alg].kty != kty ||
	    (kty == JWKS_KTY_EC && (crv == NULL ||
	    strcmp(crv, keyset_algs[alg].crv) != 0))) {
		keyset_note(note, notelen, "a key whose alg does not fit its "
		    "kty or crv");
		return -1;
	}
	return alg;
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
