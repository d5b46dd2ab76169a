/*
 * fuzz_token: the token verifier (token_verify) on a fuzzed Authorization
 * header value, under an open and a strict deployment, at a fixed time.
 * The corpus holds tokens signed with the target's secrets (made by
 * tests/fuzz/seed-tokens), so mutations start past the signature check.
 *
 * Input: the header value, e.g. "Bearer eyJ...".
 */
#include "token.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config open, strict;
	struct token_claims oc, sc;
	enum token_status ost, sst;
	char *header = fuzz_cstring(data, size);

	fuzz_token_configs(&open, &strict);
	memset(&oc, 'x', sizeof(oc));
	memset(&sc, 'x', sizeof(sc));
	ost = token_verify(&open, header, FUZZ_NOW, &oc);
	sst = token_verify(&strict, header, FUZZ_NOW, &sc);
	fuzz_token_check(ost, &oc);
	fuzz_token_check(sst, &sc);
	fuzz_token_compare(ost, &oc, sst, &sc);
	/* No header at all is its own case (API.md: "Not authenticated"). */
	FUZZ_CHECK(token_verify(&open, NULL, FUZZ_NOW, &oc) == TOKEN_ABSENT);
	free(header);
	return 0;
}
