/*
 * Integration: who an account is. docs/API.md "Email addresses": one
 * address however it is spelt (case, the Kelvin sign, fullwidth letters,
 * NFC or NFD, Unicode or "xn--" domains), and no control, separator or
 * format character. docs/API.md "Subjects" and "Users on first need": an
 * external subject's email blocks no registration here, and a subject
 * belongs to the issuer that made it, whose tokens alone may name it.
 * Real tokens: HS256 with the test secret, and the stand-in JWKS issuer's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/issuer.h"
#include "support/keys.h"

#define PASSWORD "correct horse battery"
#define EMAIL_422 "email must be a valid email address of at most 254 characters"
#define INVALID "Invalid authentication token"

/* POST register or login with email (JSON text, escapes allowed). */
static struct http_res *
post_auth(const char *path, const char *email_json)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email_json, PASSWORD);
	return http_json("POST", path, NULL, body);
}

/* The status of a register or login; the body's email in shown. */
static long
auth_status(const char *path, const char *email_json, char shown[256])
{
	struct http_res *r = post_auth(path, email_json);
	long status = r->status;
	struct json_object *user, *email;

	if (shown != NULL) {
		shown[0] = '\0';
		if (r->json != NULL &&
		    json_object_object_get_ex(r->json, "user", &user) &&
		    json_object_object_get_ex(user, "email", &email))
			snprintf(shown, 256, "%s", json_object_get_string(email));
	}
	if (status == 422)
		cr_assert_str_eq(detail(r), EMAIL_422, "%s", email_json);
	http_free(r);
	return status;
}

/* A fresh tag, so each test's addresses are its own. */
static void
tag(char out[9])
{
	char id[37];

	test_uuid(id);
	snprintf(out, 9, "%.8s", id);
}

Test(identity, one_address_however_it_is_spelt)
{
	char t[9], email[256], shown[256];

	tag(t);
	snprintf(email, sizeof(email), "Kelvin-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, shown), 201);
	snprintf(email, sizeof(email), "kelvin-%s@x.example", t);
	cr_assert_str_eq(shown, email);
	/* U+212A KELVIN SIGN, fullwidth k (U+FF4B), fullwidth K (U+FF2B). */
	snprintf(email, sizeof(email), "\\u212Aelvin-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, NULL), 409);
	snprintf(email, sizeof(email), "\\uff4belvin-%s@X.EXAMPLE", t);
	cr_assert_eq(auth_status("/api/auth/register", email, NULL), 409);
	snprintf(email, sizeof(email), "\\uff2bELVIN-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/login", email, shown), 200);
	/* NFC and NFD "café" (U+00E9; e and U+0301). */
	snprintf(email, sizeof(email), "caf\\u00e9-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, shown), 201);
	snprintf(email, sizeof(email), "cafe\\u0301-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, NULL), 409);
	cr_assert_eq(auth_status("/api/auth/login", email, NULL), 200);
	snprintf(email, sizeof(email), "CAF\\u00c9-%s@x.example", t);
	cr_assert_eq(auth_status("/api/auth/login", email, NULL), 200);
}

Test(identity, an_idn_domain_is_one_domain_in_either_spelling)
{
	char t[9], email[256], shown[256], want[256];

	tag(t);
	snprintf(email, sizeof(email), "ada-%s@B\\u00fccher.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, shown), 201);
	snprintf(want, sizeof(want), "ada-%s@b\xc3\xbc" "cher.example", t);
	cr_assert_str_eq(shown, want);
	snprintf(email, sizeof(email), "ada-%s@xn--bcher-kva.example", t);
	cr_assert_eq(auth_status("/api/auth/register", email, NULL), 409);
	cr_assert_eq(auth_status("/api/auth/login", email, shown), 200);
	cr_assert_str_eq(shown, want);
}

Test(identity, controls_separators_and_format_characters_are_422)
{
	/* Local part and domain, around the test's tag. */
	static const char *const bad[][2] = {
		{ "k\\u200belvin", "x.example" },	/* ZERO WIDTH SPACE (Cf) */
		{ "a\\u0085b", "x.example" },		/* NEL (C1 control) */
		{ "a\\u009bb", "x.example" },		/* CSI (C1 control) */
		{ "a\\u2028b", "x.example" },		/* LINE SEPARATOR */
		{ "a\\u2029b", "x.example" },		/* PARAGRAPH SEPARATOR */
		{ "a\\u00a0b", "x.example" },		/* NO-BREAK SPACE */
		{ "a\\ue000b", "x.example" },		/* private use */
		{ "a\\ud87f\\udfffb", "x.example" },	/* U+2FFFF, unassigned */
		{ "a\\uff20b", "x.example" },		/* FULLWIDTH COMMERCIAL AT */
		{ "ab", "ex_ample.com" },		/* not a host name */
		{ "ab", "example..com" },
		{ "ab", "exa\\u200bmple.com" },
	};
	char t[9], email[256];

	tag(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Two requests an address: a client each, under the rate limit. */
		http_new_client();
		snprintf(email, sizeof(email), "%s-%s@%s", bad[i][0], t,
		    bad[i][1]);
		cr_assert_eq(auth_status("/api/auth/register", email, NULL), 422,
		    "%s", email);
		cr_assert_eq(auth_status("/api/auth/login", email, NULL), 401,
		    "%s", email);
	}
}

/* GET /api/auth/me: the status, and the email shown (or "null"). */
static long
me(const char *token, char email[256])
{
	struct http_res *r = http_json("GET", "/api/auth/me", token, NULL);
	long status = r->status;

	email[0] = '\0';
	if (status == 200)
		snprintf(email, 256, "%s", json_is_null(r, "email") ? "null" :
		    json_str(r, "email"));
	else if (status == 401)
		cr_assert_str_eq(detail(r), INVALID);
	http_free(r);
	return status;
}

/* A token of the stand-in JWKS issuer for sub (email may be NULL). */
static char *
jwks_token(const char *sub, const char *email)
{
	char kid[33];
	EVP_PKEY *k = issuer_key("ed25519", kid);
	char *t = issuer_token(k, "EdDSA", kid, sub, email);

	EVP_PKEY_free(k);
	return t;
}

/* An HS256 token with the test secret, as an issuer sharing it signs. */
static char *
secret_token(const char *sub, const char *email)
{
	char payload[512];
	long now = (long)time(NULL);

	snprintf(payload, sizeof(payload),
	    "{\"sub\":\"%s\",\"email\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    sub, email, now, now + 3600);
	return token_sign(payload, test_secret(), "HS256");
}

/* External first, then register: the address is free here. */
static void
external_then_register(char *token, const char *email)
{
	char shown[256], id[64];

	cr_assert_eq(me(token, shown), 200);
	cr_assert_str_eq(shown, email);
	free(register_user(email, PASSWORD, id));
	cr_assert_eq(auth_status("/api/auth/login", email, shown), 200);
	cr_assert_str_eq(shown, email);
	/* The external user keeps its row and its email for show. */
	cr_assert_eq(me(token, shown), 200);
	cr_assert_str_eq(shown, email);
	free(token);
}

Test(identity, an_external_email_does_not_block_registering_it)
{
	char sub[37], email[128];

	test_uuid(sub);
	test_email(email, sizeof(email));
	external_then_register(jwks_token(sub, email), email);
	test_uuid(sub);
	test_email(email, sizeof(email));
	external_then_register(secret_token(sub, email), email);
}

Test(identity, registering_first_leaves_the_external_user_its_email)
{
	char sub[37], email[128], shown[256], id[64];
	char *mine, *t;

	test_email(email, sizeof(email));
	mine = register_user(email, PASSWORD, id);
	test_uuid(sub);
	t = jwks_token(sub, email);
	cr_assert_eq(me(t, shown), 200);
	cr_assert_str_eq(shown, email);
	cr_assert_eq(auth_status("/api/auth/login", email, shown), 200);
	cr_assert_eq(me(mine, shown), 200);
	cr_assert_str_eq(shown, email);
	free(t);
	free(mine);
}

/* The status of GET path with token, and its detail on a 401. */
static long
get_status(const char *path, const char *token)
{
	struct http_res *r = http_json("GET", path, token, NULL);
	long status = r->status;

	if (status == 401)
		cr_assert_str_eq(detail(r), INVALID, "%s", path);
	http_free(r);
	return status;
}

Test(identity, a_jwks_token_cannot_name_a_local_account)
{
	char id[64], task[37], path[64], shown[256], email[128];
	char *mine, *forged;
	struct http_res *r;

	test_email(email, sizeof(email));
	mine = register_user(email, PASSWORD, id);
	create_task(mine, "Mine alone", task);
	forged = jwks_token(id, NULL);
	cr_assert_eq(get_status("/api/tasks", forged), 401);
	snprintf(path, sizeof(path), "/api/tasks/%s", task);
	cr_assert_eq(get_status(path, forged), 401);
	cr_assert_eq(me(forged, shown), 401);
	r = http_json("POST", "/api/tasks", forged, "{\"title\":\"planted\"}");
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_json("PATCH", path, forged, "{\"title\":\"renamed\"}");
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s/complete", task);
	r = http_json("PATCH", path, forged, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s", task);
	r = http_json("DELETE", path, forged, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	http_free(r);
	/* The account's own token is untouched, and sees its task as it was. */
	r = http_json("GET", "/api/tasks", mine, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(http_header(r, "X-Total-Count"), "1");
	http_free(r);
	r = http_json("GET", path, mine, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(json_str(r, "title"), "Mine alone");
	cr_assert_eq(json_flag(r, "is_completed"), 0);
	http_free(r);
	free(forged);
	free(mine);
}

Test(identity, a_secret_token_cannot_name_a_jwks_subject)
{
	char sub[37], shown[256], task[37];
	char *theirs, *forged;

	test_uuid(sub);
	theirs = jwks_token(sub, NULL);
	create_task(theirs, "The issuer's user's", task);
	forged = token_for(sub);
	cr_assert_eq(get_status("/api/tasks", forged), 401);
	cr_assert_eq(me(forged, shown), 401);
	cr_assert_eq(me(theirs, shown), 200);
	free(forged);
	free(theirs);
}

/* One first request of a subject, by one issuer: its status. */
struct first_request {
	const char *sub;
	int by_jwks;
	long status;
};

static void *
first_request_run(void *arg)
{
	struct first_request *f = arg;
	char *t = f->by_jwks ? jwks_token(f->sub, NULL) : token_for(f->sub);
	struct http_res *r = http_json("GET", "/api/tasks", t, NULL);

	f->status = r->status;
	http_free(r);
	free(t);
	return NULL;
}

Test(identity, first_requests_of_one_subject_at_once_have_one_issuer)
{
	enum { N = 8 };
	struct first_request f[N];
	pthread_t th[N];
	char sub[37];

	for (int round = 0; round < 5; round++) {
		int ok[2] = { 0, 0 };

		test_uuid(sub);
		for (int i = 0; i < N; i++) {
			f[i] = (struct first_request){ sub, i % 2, 0 };
			cr_assert_eq(pthread_create(&th[i], NULL,
			    first_request_run, &f[i]), 0);
		}
		for (int i = 0; i < N; i++)
			pthread_join(th[i], NULL);
		for (int i = 0; i < N; i++) {
			cr_assert(f[i].status == 200 || f[i].status == 401,
			    "%ld", f[i].status);
			ok[f[i].by_jwks] += f[i].status == 200;
		}
		/* Exactly one issuer was served, all of its requests. */
		cr_assert((ok[0] == N / 2 && ok[1] == 0) ||
		    (ok[1] == N / 2 && ok[0] == 0), "%d %d", ok[0], ok[1]);
	}
}
