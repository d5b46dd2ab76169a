/*
 * fuzz_claims: the claim rules of the token verifier (token_verify_jwt)
 * on fuzzed payloads that carry a good signature: each input is signed
 * with the secret, as a trusted issuer would sign it, so every mutation
 * reaches exp, nbf, iss, aud, sub, userId and email rather than stopping
 * at the signature.
 *
 * Input: the payload JSON. libjwt refuses what is not a JSON object.
 */
#include <jwt.h>

#include "token.h"

static void check_subject(jwt_t *jwt, enum token_status st,
    const struct token_claims *c);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config open, strict;
	struct token_claims oc, sc;
	enum token_status ost, sst;
	char *payload = fuzz_cstring(data, size);
	char *token = NULL;
	jwt_t *jwt = NULL;

	fuzz_token_configs(&open, &strict);
	FUZZ_CHECK(jwt_new(&jwt) == 0);
	if (jwt_add_grants_json(jwt, payload) != 0)
		goto out;
	FUZZ_CHECK(jwt_set_alg(jwt, JWT_ALG_HS256,
	    (const unsigned char *)FUZZ_SECRET, (int)strlen(FUZZ_SECRET)) == 0);
	FUZZ_CHECK((token = jwt_encode_str(jwt)) != NULL);

	ost = token_verify_jwt(&open, token, FUZZ_NOW, &oc);
	sst = token_verify_jwt(&strict, token, FUZZ_NOW, &sc);
	fuzz_token_check(ost, &oc);
	fuzz_token_check(sst, &sc);
	fuzz_token_compare(ost, &oc, sst, &sc);
	check_subject(jwt, ost, &oc);
out:
	free(token);
	jwt_free(jwt);
	free(payload);
	return 0;
}

/*
 * docs/API.md "Subjects": the subject is the first of sub and userId that
 * is a non-empty string. libjwt's own reading of the payload is the
 * reference here.
 */
static void
check_subject(jwt_t *jwt, enum token_status st, const struct token_claims *c)
{
	const char *sub = jwt_get_grant(jwt, "sub");
	const char *user_id = jwt_get_grant(jwt, "userId");
	const char *want = sub != NULL && sub[0] != '\0' ? sub : user_id;

	if (st == TOKEN_OK) {
		FUZZ_CHECK(want != NULL);
		FUZZ_CHECK(strcmp(c->subject, want) == 0);
		/* docs/API.md "Session tokens": none, or a lower-case UUID. */
		FUZZ_CHECK(c->sid[0] == '\0' || strlen(c->sid) == 36);
		for (size_t i = 0; c->sid[i] != '\0'; i++)
			FUZZ_CHECK(c->sid[i] == '-' || (c->sid[i] >= '0' &&
			    c->sid[i] <= '9') || (c->sid[i] >= 'a' &&
			    c->sid[i] <= 'f'));
	}
}
