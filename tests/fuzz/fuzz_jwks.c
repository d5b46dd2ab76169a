/*
 * fuzz_jwks: the key set parser (jwks_set_parse) on fuzzed JWKS text, as
 * an issuer's endpoint or a cache file might serve it. Besides crashes and
 * leaks: every key kept must come from an element of "keys" in a second,
 * plain reading of the text (json-c alone), with the kid and key type that
 * element has; an allow-list only takes keys away; nothing is kept past
 * JWKS_KEYS_MAX; a set that is not one leaves nothing behind.
 *
 * Input: the JWKS text.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "jwks/jwks.h"
#include "jwks/jwks_set.h"
#include "json/json.h"

static void check_key(struct json_object *keys, const char *kid, int alg);
static int kty_fits(const char *kty, int alg);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks_set *all = NULL, *some = NULL;
	struct json_object *plain = NULL, *keys = NULL;
	const unsigned only = 1u << JWKS_EDDSA | 1u << JWKS_ES256;
	char note[256];
	int rc, rc_some;

	rc = jwks_set_parse((const char *)data, size, 0, &all, note,
	    sizeof(note));
	rc_some = jwks_set_parse((const char *)data, size, only, &some, NULL, 0);
	/* Whether it is a set does not depend on the allow-list. */
	FUZZ_CHECK(rc == rc_some);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && all == NULL && some == NULL);
		FUZZ_CHECK(note[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(all != NULL && some != NULL);
	FUZZ_CHECK(jwks_set_count(all) <= JWKS_KEYS_MAX);
	FUZZ_CHECK(jwks_set_count(some) <= jwks_set_count(all));

	/* The plain reading: what the strict one took, json-c takes too. */
	{
		char *text = fuzz_cstring(data, size);

		plain = json_tokener_parse(text);
		free(text);
	}
	FUZZ_CHECK(plain != NULL);
	FUZZ_CHECK(json_object_object_get_ex(plain, "keys", &keys));
	FUZZ_CHECK(json_object_is_type(keys, json_type_array));
	FUZZ_CHECK(jwks_set_count(all) <= json_object_array_length(keys));
	for (size_t i = 0; i < jwks_set_count(all); i++)
		check_key(keys, jwks_set_kid(all, i), jwks_set_alg(all, i));
	for (size_t i = 0; i < jwks_set_count(some); i++) {
		FUZZ_CHECK((only & 1u << jwks_set_alg(some, i)) != 0);
		check_key(keys, jwks_set_kid(some, i), jwks_set_alg(some, i));
	}
	json_object_put(plain);
	jwks_set_free(all);
	jwks_set_free(some);
	return 0;
}

/* Some element of keys has this kid, a key type that fits alg, no "d". */
static void
check_key(struct json_object *keys, const char *kid, int alg)
{
	size_t len = strlen(kid);

	FUZZ_CHECK(len > 0 && len <= JWKS_KID_MAX);
	FUZZ_CHECK(alg >= 0 && alg < JWKS_ALG_COUNT);
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i), *v;

		if (!json_object_is_type(k, json_type_object) ||
		    !json_object_object_get_ex(k, "kid", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), kid) != 0 ||
		    !json_object_object_get_ex(k, "kty", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !kty_fits(json_object_get_string(v), alg) ||
		    json_object_object_get_ex(k, "d", NULL))
			continue;
		return;
	}
	FUZZ_CHECK(!"a kept key matches no element of the set");
}

static int
kty_fits(const char *kty, int alg)
{
	if (alg == JWKS_EDDSA)
		return strcmp(kty, "OKP") == 0;
	if (alg >= JWKS_ES256 && alg <= JWKS_ES512)
		return strcmp(kty, "EC") == 0;
	return strcmp(kty, "RSA") == 0;
}
