/*
 * Integration: a deployment behind an external issuer alone
 * (docs/API.md "Accounts kept elsewhere": a JWKS without JWT_SECRET), the
 * second instance tests/run starts on the
 * same database. The issuer's tokens work on every route; register and
 * login answer 404 with a JSON detail (the accounts are the issuer's);
 * no HS256 token is taken, whatever its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/hostile.h"
#include "support/issuer.h"
#include "support/keys.h"
#include "domain/user.h"
#include "app/user_answer.h"

static void
setup(void)
{
	const char *url = getenv("TASKAPI_TEST_JWKS_ONLY_URL");

	cr_assert(url != NULL, "TASKAPI_TEST_JWKS_ONLY_URL is not set: run make test");
	http_use_base(url);
}

TestSuite(jwks_only, .init = setup);

Test(jwks_only, register_and_login_are_404_with_a_detail)
{
	static const char *const paths[] = { "/api/auth/register",
	    "/api/auth/login" };

	for (size_t i = 0; i < 2; i++) {
		struct http_res *r = http_json("POST", paths[i], NULL,
		    "{\"email\":\"ada@example.com\",\"password\":\"correct horse battery\"}");

		expect_refusal(r, 404, USER_ANSWER_ACCOUNTS_ELSEWHERE, paths[i]);
		cr_assert_str_eq(http_header(r, "Content-Type"), "application/json");
		http_free(r);
		/* Preflights still answer, so a browser sees the 404. */
		r = http_json("OPTIONS", paths[i], NULL, NULL);
		cr_assert_eq(r->status, 204, "%s: %ld", paths[i], r->status);
		http_free(r);
	}
}

Test(jwks_only, the_issuers_tokens_work)
{
	char kid[33], sub[33], email[128], id[37], *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);
	struct http_res *r;

	key_random_id(sub);
	test_email(email, sizeof(email));
	t = issuer_token(k, "EdDSA", kid, sub, email);
	r = http_json("GET", "/api/auth/me", t, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(json_str(r, "id"), sub);
	cr_assert_str_eq(json_str(r, "email"), email);
	http_free(r);
	create_task(t, "Only the issuer's", id);
	r = http_json("GET", "/api/tasks", t, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(http_header(r, "X-Total-Count"), "1");
	http_free(r);
	free(t);
	EVP_PKEY_free(k);
}

Test(jwks_only, no_hs256_token_is_taken)
{
	char subject[37], payload[256], *t;
	struct http_res *r;

	/* The main instance's secret means nothing here. */
	test_uuid(subject);
	t = token_for(subject);
	r = http_json("GET", "/api/auth/me", t, NULL);
	expect_401(r, "Invalid authentication token", "HS256 with a secret");
	http_free(r);
	free(t);
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld}", subject,
	    (long)time(NULL) + 60);
	t = token_sign(payload, "any-key-at-all-0123456789abcdef01234", "HS256");
	r = http_json("GET", "/api/tasks", t, NULL);
	expect_401(r, "Invalid authentication token", "HS256 with another key");
	http_free(r);
	free(t);
}

Test(jwks_only, health_is_ok)
{
	struct http_res *r = http_json("GET", "/api/health", NULL, NULL);

	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
}
