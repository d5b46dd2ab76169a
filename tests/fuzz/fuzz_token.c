/*
 * fuzz_token: the token verifier (token_verify) on a fuzzed Authorization
 * header value, under an open and a strict deployment and one that also
 * takes an external issuer's EdDSA tokens (a JWKS), at a fixed time. The
 * corpus holds tokens signed with the target's secrets and the issuer's
 * key (made by tests/fuzz/seed-tokens), so mutations start past the
 * signature check.
 *
 * Input: the header value, e.g. "Bearer eyJ...".
 */
#include <json-c/json.h>

#include "jwks/jwks.h"
#include "json/json.h"
#include "json/b64url.h"
#include "token.h"

static void check_jwks(const char *header, enum token_status open_st,
    const struct token_claims *open, enum token_status st,
    const struct token_claims *c);
static struct json_object *token_part(const char *header, int part);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config open, strict;
	struct token_claims oc, sc, jc;
	enum token_status ost, sst, jst;
	char *header = fuzz_cstring(data, size);

	fuzz_token_configs(&open, &strict);
	memset(&oc, 'x', sizeof(oc));
	memset(&sc, 'x', sizeof(sc));
	ost = token_verify(&open, header, FUZZ_NOW, &oc);
	sst = token_verify(&strict, header, FUZZ_NOW, &sc);
	fuzz_token_check(ost, &oc);
	fuzz_token_check(sst, &sc);
	fuzz_token_compare(ost, &oc, sst, &sc);
	memset(&jc, 'x', sizeof(jc));
	jst = token_verify(fuzz_token_jwks_config(), header, FUZZ_NOW, &jc);
	fuzz_token_check(jst, &jc);
	check_jwks(header, ost, &oc, jst, &jc);
	/*
	 * No header at all is its own case, "Not authenticated"
	 * (docs/API.md "Authentication failures").
	 */
	FUZZ_CHECK(token_verify(&open, NULL, FUZZ_NOW, &oc) == TOKEN_ABSENT);
	free(header);
	return 0;
}

/*
 * A key set only adds the issuer's tokens: our own are taken as before,
 * with the same claims; a token taken only here is the issuer's (EdDSA,
 * its kid, its iss and aud), by a plain json-c reading of the token.
 */
static void
check_jwks(const char *header, enum token_status open_st,
    const struct token_claims *open, enum token_status st,
    const struct token_claims *c)
{
	struct json_object *h, *p, *v;

	if (open_st == TOKEN_OK) {
		FUZZ_CHECK(st == TOKEN_OK);
		FUZZ_CHECK(strcmp(open->subject, c->subject) == 0);
		FUZZ_CHECK(strcmp(open->email, c->email) == 0);
		return;
	}
	if (st != TOKEN_OK)
		return;
	FUZZ_CHECK((h = token_part(header, 0)) != NULL);
	FUZZ_CHECK((p = token_part(header, 1)) != NULL);
	FUZZ_CHECK(json_object_object_get_ex(h, "alg", &v) &&
	    strcmp(json_object_get_string(v), "EdDSA") == 0);
	FUZZ_CHECK(json_object_object_get_ex(h, "kid", &v) &&
	    strcmp(json_object_get_string(v), FUZZ_JWKS_KID) == 0);
	FUZZ_CHECK(json_object_object_get_ex(p, "iss", &v) &&
	    strcmp(json_object_get_string(v), FUZZ_JWKS_ISSUER) == 0);
	FUZZ_CHECK(json_object_object_get_ex(p, "aud", &v));
	json_object_put(h);
	json_object_put(p);
}

/*
 * Segment part (0 header, 1 payload) of the token in an Authorization
 * value that token_verify took: blanks, "Bearer" in any case, blanks.
 */
static struct json_object *
token_part(const char *header, int part)
{
	const char *t = header + strspn(header, " \t"), *end;
	char *text;
	size_t n;
	struct json_object *o;
	unsigned char *raw;

	t += 6;
	t += strspn(t, " \t");
	for (int i = 0; i < part && t != NULL; i++)
		if ((t = strchr(t, '.')) != NULL)
			t++;
	if (t == NULL)
		return NULL;
	end = t + strcspn(t, ".");
	if ((raw = b64url_decode(t, (size_t)(end - t), &n)) == NULL)
		return NULL;
	text = (char *)raw;
	o = json_tokener_parse(text);
	free(raw);
	return o;
}
