/*
 * Integration: the auth routes and bearer tokens, over real HTTP through
 * nginx (docs/API.md "Authentication", docs/API.md "Auth routes" and
 * docs/API.md "Precise rules").
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <jwt.h>

#include "support/helpers.h"

#define OTHER_KEY "an-unrelated-key-of-more-than-32-bytes!!"
#define EMAIL_422 "email must be a valid email address of at most 254 characters"
#define PASSWORD_422 "password must be a string of 8 to 128 characters"
#define LOGIN_422 "email and password are required strings"
#define LOGIN_401 "Invalid email or password"
#define INVALID "Invalid authentication token"
#define PAYLOAD "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}"
#define EMOJI "\xF0\x9F\x98\x80"	/* U+1F600: one code point, four bytes */

/* ---- helpers ---- */

static long
now_s(void)
{
	return (long)time(NULL);
}

/* Signs the printf-formatted payload with key and alg. */
__attribute__((format(printf, 3, 4))) static char *
sign(const char *key, const char *alg, const char *fmt, ...)
{
	char payload[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(payload, sizeof(payload), fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(payload));
	return token_sign(payload, key, alg);
}

/* GET /api/auth/me with a whole Authorization value (NULL: no header). */
static struct http_res *
me_authz(const char *authorization)
{
	char h[16384];
	const char *hdrs[2] = { NULL, NULL };

	if (authorization != NULL) {
		snprintf(h, sizeof(h), "Authorization: %s", authorization);
		hdrs[0] = h;
	}
	return http_req("GET", "/api/auth/me", hdrs, NULL, 0);
}

static struct http_res *
me(const char *token)
{
	return http_json("GET", "/api/auth/me", token, NULL);
}

/* Asserts an error response (status, JSON detail) and frees it. */
static void
expect_error(struct http_res *r, long status, const char *want, const char *what)
{
	const char *ct = http_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what,
	    status, r->status, r->body);
	cr_assert(ct != NULL && strcmp(ct, "application/json") == 0,
	    "%s: Content-Type %s", what, ct != NULL ? ct : "(none)");
	if (want != NULL)
		cr_assert_str_eq(detail(r), want, "%s: %s", what, r->body);
	else
		cr_assert(json_str(r, "detail") != NULL && json_str(r, "detail")[0] != '\0',
		    "%s: no detail in %s", what, r->body);
	http_free(r);
}

/* A 401 of a protected route: the detail and WWW-Authenticate: Bearer. */
static void
expect_401(struct http_res *r, const char *want, const char *what)
{
	const char *w = http_header(r, "WWW-Authenticate");

	cr_assert_eq(r->status, 401, "%s: got %ld %s", what, r->status, r->body);
	cr_assert(w != NULL && strcmp(w, "Bearer") == 0,
	    "%s: WWW-Authenticate is %s", what, w != NULL ? w : "(none)");
	expect_error(r, 401, want, what);
}

/* GET /api/auth/me with token: 200 for subject want, or 401 with detail want. */
static void
token_is(const char *token, long status, const char *want, const char *what)
{
	struct http_res *r = me(token);

	if (status != 200) {
		expect_401(r, want, what);
		return;
	}
	cr_assert_eq(r->status, 200, "%s: got %ld %s", what, r->status, r->body);
	cr_assert(json_str(r, "id") != NULL, "%s: %s", what, r->body);
	cr_assert_str_eq(json_str(r, "id"), want, "%s: %s", what, r->body);
	http_free(r);
}

/* The same for a token signed with JWT_SECRET (HS256) over a formatted payload. */
__attribute__((format(printf, 4, 5))) static void
signed_is(long status, const char *want, const char *what, const char *fmt, ...)
{
	char payload[4096];
	va_list ap;
	char *t;

	va_start(ap, fmt);
	vsnprintf(payload, sizeof(payload), fmt, ap);
	va_end(ap);
	t = token_sign(payload, test_secret(), "HS256");
	token_is(t, status, want, what);
	free(t);
}

/* The user object {id, email, created_at}; email NULL means JSON null. */
static void
check_user(struct json_object *u, const char *email, const char *body)
{
	struct json_object *v;

	cr_assert(u != NULL && json_object_is_type(u, json_type_object), "%s", body);
	cr_assert_eq(json_object_object_length(u), 3, "user object: %s", body);
	cr_assert(json_object_object_get_ex(u, "email", &v), "%s", body);
	if (email == NULL)
		cr_assert(v == NULL, "email should be null: %s", body);
	else {
		cr_assert(obj_str(u, "email") != NULL, "%s", body);
		cr_assert_str_eq(obj_str(u, "email"), email, "%s", body);
	}
	cr_assert(obj_str(u, "id") != NULL && obj_str(u, "id")[0] != '\0', "%s", body);
	cr_assert(is_timestamp(obj_str(u, "created_at")), "created_at: %s", body);
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

/* GET /api/auth/me answers 200 {want_id, email, created_at}; copies created_at. */
static void
me_user(const char *token, const char *want_id, const char *email, char created[64])
{
	struct http_res *r = me(token);

	cr_assert_eq(r->status, 200, "me: %ld %s", r->status, r->body);
	check_user(r->json, email, r->body);
	cr_assert_str_eq(json_str(r, "id"), want_id, "%s", r->body);
	if (created[0] != '\0')
		cr_assert_str_eq(json_str(r, "created_at"), created, "%s", r->body);
	snprintf(created, 64, "%s", json_str(r, "created_at"));
	http_free(r);
}

/*
 * A register/login answer: status, the body's shape (five members, a
 * refresh token of 43 base64url characters: docs/API.md "Session tokens"), a
 * token signed with JWT_SECRET for the user (HS256, sub, email, a sid that
 * is a UUID, exp - iat = expires_in = 900) that GET /api/auth/me accepts.
 * Fills id; returns the token (free()).
 */
static char *
check_token_answer(struct http_res *r, long status, const char *email, char id[64])
{
	struct json_object *u = NULL, *v;
	const char *tok, *ct = http_header(r, "Content-Type");
	char created[64] = "";
	jwt_t *jwt = NULL;
	char *token;
	long iat, exp;

	cr_assert_eq(r->status, status, "want %ld, got %ld %s", status, r->status, r->body);
	cr_assert(ct != NULL && strcmp(ct, "application/json") == 0, "Content-Type %s", ct);
	cr_assert(strstr(r->body, "password") == NULL && strstr(r->body, "$s1$") == NULL,
	    "password material in %s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "user", &u), "%s", r->body);
	check_user(u, email, r->body);
	cr_assert(is_uuid(obj_str(u, "id")), "id is not a UUID: %s", r->body);
	snprintf(id, 64, "%s", obj_str(u, "id"));
	snprintf(created, sizeof(created), "%s", obj_str(u, "created_at"));
	cr_assert(json_str(r, "token_type") != NULL, "%s", r->body);
	cr_assert_str_eq(json_str(r, "token_type"), "bearer", "%s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "expires_in", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 900,
	    "expires_in: %s", r->body);
	cr_assert_eq(json_object_object_length(r->json), 5, "%s", r->body);
	tok = json_str(r, "refresh_token");
	cr_assert(tok != NULL && strlen(tok) == 43 &&
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == 43, "refresh_token: %s", r->body);
	tok = json_str(r, "access_token");
	cr_assert(tok != NULL && tok[0] != '\0', "%s", r->body);
	token = strdup(tok);
	http_free(r);

	cr_assert_eq(jwt_decode(&jwt, token, (const unsigned char *)test_secret(),
	    (int)strlen(test_secret())), 0, "token not signed with JWT_SECRET: %s", token);
	cr_assert_eq(jwt_get_alg(jwt), JWT_ALG_HS256);
	cr_assert(jwt_get_grant(jwt, "sub") != NULL);
	cr_assert_str_eq(jwt_get_grant(jwt, "sub"), id);
	cr_assert(jwt_get_grant(jwt, "email") != NULL);
	cr_assert_str_eq(jwt_get_grant(jwt, "email"), email);
	iat = jwt_get_grant_int(jwt, "iat");
	exp = jwt_get_grant_int(jwt, "exp");
	cr_assert(iat > now_s() - 120 && iat < now_s() + 120, "iat %ld", iat);
	cr_assert_eq(exp - iat, 900, "exp - iat = %ld", exp - iat);
	cr_assert(is_uuid(jwt_get_grant(jwt, "sid")), "sid: %s", token);
	jwt_free(jwt);

	me_user(token, id, email, created);
	return token;
}

/* POST to an auth route; password_json is a raw JSON value or NULL (omitted). */
static struct http_res *
post_auth(const char *route, const char *email, const char *password_json)
{
	char body[4096];
	int n;

	if (password_json != NULL)
		n = snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":%s}",
		    email, password_json);
	else
		n = snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	cr_assert(n > 0 && (size_t)n < sizeof(body));
	return http_json("POST", route, NULL, body);
}

/* A string JSON value of count copies of unit. */
static char *
repeat_json(const char *unit, int count)
{
	size_t ulen = strlen(unit);
	char *s = malloc(ulen * (size_t)count + 3), *p = s;

	cr_assert_not_null(s);
	*p++ = '"';
	for (int i = 0; i < count; i++, p += ulen)
		memcpy(p, unit, ulen);
	*p++ = '"';
	*p = '\0';
	return s;
}

/*
 * A string JSON value of count code points in no pattern a strength
 * estimator knows (docs/API.md "Password rules"): ASCII, or
 * when wide, the 80 four-byte code points from U+1F600 on, raw or, when
 * escaped, as JSON surrogate pairs.
 */
static char *
varied_json(int count, int wide, int escaped)
{
	static const char set[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!#";
	unsigned x = 1;
	char *s = malloc((size_t)count * 12 + 3), *p = s;

	cr_assert_not_null(s);
	*p++ = '"';
	for (int i = 0; i < count; i++) {
		unsigned cp = 0x1F600 + (unsigned)(i * 7 % 80);

		x = x * 1103515245u + 12345u;	/* a fixed pseudo-random walk */
		if (!wide)
			*p++ = set[(x >> 16) % (sizeof(set) - 1)];
		else if (escaped)
			p += sprintf(p, "\\ud83d\\u%04x", 0xDC00 + (cp - 0x1F400));
		else {
			*p++ = (char)(0xF0 | cp >> 18);
			*p++ = (char)(0x80 | (cp >> 12 & 0x3F));
			*p++ = (char)(0x80 | (cp >> 6 & 0x3F));
			*p++ = (char)(0x80 | (cp & 0x3F));
		}
	}
	*p++ = '"';
	*p = '\0';
	return s;
}

/* A fresh email of exactly len characters: <uuid>aaa...@example.com. */
static void
email_of_length(char *out, size_t len)
{
	char id[37];
	size_t local = len - strlen("@example.com");

	test_uuid(id);
	memset(out, 'a', local);
	memcpy(out, id, 36);
	strcpy(out + local, "@example.com");
	cr_assert_eq(strlen(out), len);
}

/* ---- register ---- */

Test(register, created_with_normalised_email_and_a_working_token)
{
	char raw[160], want[128], up[128], id[64];

	test_email(want, sizeof(want));
	snprintf(up, sizeof(up), "%s", want);
	upper(up);
	/* With JSON escapes: a leading newline and space, a trailing tab. */
	snprintf(raw, sizeof(raw), "\\n %s\\t", up);
	free(check_token_answer(post_auth("/api/auth/register", raw,
	    "\"correct horse battery\""), 201, want, id));
}

Test(register, duplicate_email_is_409_whatever_its_case_or_spacing)
{
	char email[128], variant[160], id[64];

	test_email(email, sizeof(email));
	free(register_user(email, "first-quartz-lantern-1", id));
	expect_error(post_auth("/api/auth/register", email, "\"second-quartz-lantern-2\""),
	    409, "Email already registered", "same email");
	snprintf(variant, sizeof(variant), "  %s ", email);
	upper(variant);
	expect_error(post_auth("/api/auth/register", variant, "\"second-quartz-lantern-2\""),
	    409, "Email already registered", variant);
}

Test(register, invalid_emails_are_422)
{
	static const char *const bodies[] = {
		"{\"email\":\"userexample.com\",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"a@b@example.com\",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"@example.com\",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"user@\",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"\",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"   \",\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":123,\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":null,\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":[\"a@example.com\"],\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":{},\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"password\":\"quartz-lantern-orbit-42\"}",
	};
	char email[300];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect_error(http_json("POST", "/api/auth/register", NULL, bodies[i]),
		    422, EMAIL_422, bodies[i]);
	email_of_length(email, 255);
	expect_error(post_auth("/api/auth/register", email, "\"quartz-lantern-orbit-42\""),
	    422, EMAIL_422, "255 characters");
}

Test(register, email_of_254_characters_is_accepted)
{
	char email[300], id[64];

	email_of_length(email, 254);
	free(check_token_answer(post_auth("/api/auth/register", email,
	    "\"quartz-lantern-orbit-42\""), 201, email, id));
}

Test(register, password_length_bounds)
{
	static const struct { const char *unit; int count; } bad[] = {
		{ "a", 7 }, { "a", 129 }, { "", 0 }, { EMOJI, 7 }, { EMOJI, 129 },
	};
	static const char *const not_strings[] = { "12345678", "null", "true",
		"[\"quartz-lantern-orbit-42\"]", "{\"p\":\"quartz-lantern-orbit-42\"}" };
	char email[128], id[64];
	char *pw;

	test_email(email, sizeof(email));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pw = repeat_json(bad[i].unit, bad[i].count);
		expect_error(post_auth("/api/auth/register", email, pw), 422,
		    PASSWORD_422, pw);
		free(pw);
	}
	for (size_t i = 0; i < sizeof(not_strings) / sizeof(not_strings[0]); i++)
		expect_error(post_auth("/api/auth/register", email, not_strings[i]),
		    422, PASSWORD_422, not_strings[i]);
	expect_error(post_auth("/api/auth/register", email, NULL), 422,
	    PASSWORD_422, "missing password");

	/* The lower and upper bounds, in ASCII and in four-byte code points. */
	static const struct { int count, wide; } good[] = {
		{ 8, 0 }, { 128, 0 }, { 8, 1 }, { 128, 1 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		test_email(email, sizeof(email));
		pw = varied_json(good[i].count, good[i].wide, 0);
		free(check_token_answer(post_auth("/api/auth/register", email, pw),
		    201, email, id));
		free(pw);
	}
}

/*
 * docs/API.md "Password rules": a guessable password, or one holding the
 * email's local part, is 422 after the email's and the length's checks,
 * and makes no account.
 */
Test(register, guessable_passwords_are_422_too_common)
{
	static const char *const common[] = { "\"password123\"", "\"12345678\"",
		"\"correct horse\"", "\"Password1!\"", "\"qwertyuiop\"",
		"\"" EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI "\"" };
	char email[128], local[64], pw[160], id[64];

	test_email(email, sizeof(email));
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		expect_error(post_auth("/api/auth/register", email, common[i]), 422,
		    "Password is too common", common[i]);
	/* The local part, in upper case, inside an otherwise strong one. */
	snprintf(local, sizeof(local), "%.*s", (int)(strchr(email, '@') - email),
	    email);
	upper(local);
	snprintf(pw, sizeof(pw), "\"quartz-%s-lantern-orbit\"", local);
	expect_error(post_auth("/api/auth/register", email, pw), 422,
	    "Password is too common", pw);
	/* The email's rule first, then the length's, then the strength's. */
	expect_error(post_auth("/api/auth/register", "not-an-email",
	    "\"password123\""), 422, EMAIL_422, "bad email, common password");
	expect_error(post_auth("/api/auth/register", email, "\"1234567\""), 422,
	    PASSWORD_422, "seven common characters");
	/* None of these made the account: a strong password now makes it. */
	free(check_token_answer(post_auth("/api/auth/register", email,
	    "\"correct horse battery\""), 201, email, id));
}

Test(register, escaped_and_raw_utf8_passwords_are_the_same)
{
	char email[128], id[64];
	char *escaped = varied_json(8, 1, 1), *raw = varied_json(8, 1, 0);

	test_email(email, sizeof(email));
	free(check_token_answer(post_auth("/api/auth/register", email, escaped),
	    201, email, id));
	free(check_token_answer(post_auth("/api/auth/login", email, raw), 200,
	    email, id));
	free(escaped);
	free(raw);
}

Test(register, body_must_be_a_json_object_with_a_json_content_type)
{
	static const char *const not_json_types[] = { NULL, "Content-Type: text/plain",
		"Content-Type: application/x-www-form-urlencoded" };
	char email[128], body[256];

	test_email(email, sizeof(email));
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"quartz-lantern-orbit-42\"}", email);
	for (size_t i = 0; i < sizeof(not_json_types) / sizeof(not_json_types[0]); i++) {
		const char *h[2] = { not_json_types[i], NULL };

		expect_error(http_req("POST", "/api/auth/register", h, body, (size_t)-1),
		    415, NULL, not_json_types[i] != NULL ? not_json_types[i] : "no type");
	}
	expect_error(http_json("POST", "/api/auth/register", NULL, "{\"email\":"),
	    400, "Invalid JSON body", "truncated");
	expect_error(http_json("POST", "/api/auth/register", NULL, "{'email':'a@b.c'}"),
	    400, "Invalid JSON body", "single quotes");
	expect_error(http_json("POST", "/api/auth/register", NULL, ""), 400,
	    "Invalid JSON body", "empty body");
	expect_error(http_json("POST", "/api/auth/register", NULL,
	    "[\"a@example.com\",\"quartz-lantern-orbit-42\"]"), 422, NULL, "array body");
	expect_error(http_json("POST", "/api/auth/register", NULL, "\"x\""), 422,
	    NULL, "string body");

	/* A charset parameter is fine. */
	const char *h[2] = { "Content-Type: application/json; charset=utf-8", NULL };
	struct http_res *r = http_req("POST", "/api/auth/register", h, body, (size_t)-1);
	char id[64];

	free(check_token_answer(r, 201, email, id));
}

/* ---- login ---- */

Test(login, ok_with_the_same_body_and_normalised_email)
{
	char email[128], raw[160], id[64], id2[64];
	char *token;

	test_email(email, sizeof(email));
	free(register_user(email, "login-pass-1", id));
	snprintf(raw, sizeof(raw), "  %s ", email);
	upper(raw);
	token = check_token_answer(post_auth("/api/auth/login", raw, "\"login-pass-1\""),
	    200, email, id2);
	cr_assert_str_eq(id2, id, "login answered another user");
	free(token);
}

Test(login, wrong_password_and_unknown_email_are_the_same_401)
{
	char email[128], unknown[128], id[64];
	struct http_res *a, *b;

	test_email(email, sizeof(email));
	test_email(unknown, sizeof(unknown));
	free(register_user(email, "right-lantern-orbit-77", id));
	a = post_auth("/api/auth/login", email, "\"wrong-lantern-orbit-77\"");
	b = post_auth("/api/auth/login", unknown, "\"right-lantern-orbit-77\"");
	cr_assert_eq(a->status, 401, "%s", a->body);
	cr_assert_eq(b->status, 401, "%s", b->body);
	cr_assert_str_eq(a->body, b->body, "bodies differ");
	expect_error(a, 401, LOGIN_401, "wrong password");
	expect_error(b, 401, LOGIN_401, "unknown email");
	/* Anything that is a string but matches no account is 401 too. */
	expect_error(post_auth("/api/auth/login", "not-an-email", "\"x\""), 401,
	    LOGIN_401, "malformed email");
	expect_error(post_auth("/api/auth/login", email, "\"\""), 401,
	    LOGIN_401, "empty password");
}

Test(login, missing_or_non_string_fields_are_422)
{
	static const char *const bodies[] = {
		"{}",
		"{\"email\":\"a@example.com\"}",
		"{\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":1,\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"a@example.com\",\"password\":12345678}",
		"{\"email\":null,\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"a@example.com\",\"password\":null}",
		"{\"email\":[\"a@example.com\"],\"password\":\"quartz-lantern-orbit-42\"}",
		"{\"email\":\"a@example.com\",\"password\":{\"v\":\"x\"}}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect_error(http_json("POST", "/api/auth/login", NULL, bodies[i]),
		    422, LOGIN_422, bodies[i]);
	expect_error(http_json("POST", "/api/auth/login", NULL, "[]"), 422, NULL,
	    "array body");
	expect_error(http_json("POST", "/api/auth/login", NULL, "{\"email\""), 400,
	    "Invalid JSON body", "malformed");
	expect_error(http_req("POST", "/api/auth/login", NULL,
	    "{\"email\":\"a@example.com\",\"password\":\"quartz-lantern-orbit-42\"}", (size_t)-1),
	    415, NULL, "no content type");
}

Test(login, every_password_character_counts)
{
	char email[128], pw[128], json[160], id[64];

	test_email(email, sizeof(email));
	/* 100 characters in no pattern (docs/API.md "Password rules"). */
	char *varied = varied_json(100, 0, 0);

	snprintf(pw, sizeof(pw), "%.100s", varied + 1);
	free(varied);
	free(register_user(email, pw, id));
	snprintf(json, sizeof(json), "\"%.99s\"", pw);
	expect_error(post_auth("/api/auth/login", email, json), 401, LOGIN_401,
	    "first 99 characters");
	snprintf(json, sizeof(json), "\"%sa\"", pw);
	expect_error(post_auth("/api/auth/login", email, json), 401, LOGIN_401,
	    "one character more");
	snprintf(json, sizeof(json), "\"%s\"", pw);
	free(check_token_answer(post_auth("/api/auth/login", email, json), 200,
	    email, id));
}

/*
 * docs/API.md "Authentication": every 401 carries WWW-Authenticate: Bearer,
 * the login's included (RFC 9110 15.5.2).
 */
Test(login, every_401_of_the_login_names_the_bearer_scheme)
{
	char email[128], unknown[128], id[64];

	test_email(email, sizeof(email));
	test_email(unknown, sizeof(unknown));
	free(register_user(email, "right-lantern-orbit-77", id));
	expect_401(post_auth("/api/auth/login", email, "\"wrong-lantern-orbit-77\""),
	    LOGIN_401, "wrong password");
	expect_401(post_auth("/api/auth/login", unknown, "\"right-lantern-orbit-77\""),
	    LOGIN_401, "unknown email");
	expect_401(post_auth("/api/auth/login", "not-an-email", "\"x\""),
	    LOGIN_401, "malformed email");
	expect_401(post_auth("/api/auth/login", email, "\"\""), LOGIN_401,
	    "empty password");
}

/*
 * docs/API.md "Precise rules": a string holding U+0000 or a lone surrogate
 * is 422 naming the field, on the login's body as on every other; the
 * right password with U+0000 appended is not a way in either.
 */
Test(login, u0000_or_a_lone_surrogate_is_422_naming_the_field)
{
	static const struct {
		const char *email_json, *password_json, *detail;
	} cases[] = {
		{ "\"a\\u0000@example.com\"", "\"quartz-lantern-orbit-42\"",
		  "email must not contain U+0000 or lone surrogates" },
		{ NULL, "\"right-lantern-orbit-77\\u0000\"",
		  "password must not contain U+0000 or lone surrogates" },
		{ NULL, "\"\\u0000\"",
		  "password must not contain U+0000 or lone surrogates" },
		{ "\"a\\ud800@example.com\"", "\"quartz-lantern-orbit-42\"",
		  "email must not contain lone surrogates" },
		{ NULL, "\"right-lantern-orbit-77\\udc00\"",
		  "password must not contain lone surrogates" },
	};
	char email[128], quoted[160], body[512], id[64];

	test_email(email, sizeof(email));
	free(register_user(email, "right-lantern-orbit-77", id));
	snprintf(quoted, sizeof(quoted), "\"%s\"", email);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"email\":%s,\"password\":%s}",
		    cases[i].email_json != NULL ? cases[i].email_json : quoted,
		    cases[i].password_json);
		expect_error(http_json("POST", "/api/auth/login", NULL, body), 422,
		    cases[i].detail, body);
	}
	/* The account itself is untouched: its password still logs in. */
	free(check_token_answer(post_auth("/api/auth/login", email,
	    "\"right-lantern-orbit-77\""), 200, email, id));
}

Test(login, an_external_issuers_user_cannot_log_in)
{
	char uuid[37], subject[64], email[128], created[64] = "";
	char *token;

	test_uuid(uuid);
	snprintf(subject, sizeof(subject), "ext-%s", uuid);
	test_email(email, sizeof(email));
	token = sign(test_secret(), "HS256",
	    "{\"sub\":\"%s\",\"email\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, email, now_s(), now_s() + 3600);
	me_user(token, subject, email, created);
	expect_error(post_auth("/api/auth/login", email, "\"any-password\""), 401,
	    LOGIN_401, "external user");
	expect_error(post_auth("/api/auth/login", email, "\"\""), 401,
	    LOGIN_401, "external user, empty password");
	free(token);
}

/* ---- me ---- */

Test(me, an_external_subject_gets_a_row_on_first_call)
{
	char uuid[37], subject[64], email[128], upper_email[128], created[64] = "";
	char *token;

	test_uuid(uuid);
	snprintf(subject, sizeof(subject), "oidc|%s", uuid);
	test_email(email, sizeof(email));
	snprintf(upper_email, sizeof(upper_email), "%s", email);
	upper(upper_email);
	token = sign(test_secret(), "HS256",
	    "{\"sub\":\"%s\",\"email\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, upper_email, now_s(), now_s() + 3600);
	me_user(token, subject, email, created);
	/* The second call finds the same row: same created_at. */
	me_user(token, subject, email, created);
	free(token);
}

Test(me, an_external_email_already_registered_is_not_merged)
{
	char email[128], id[64], subject[37], created[64] = "";
	char *token;

	test_email(email, sizeof(email));
	free(register_user(email, "taken-lantern-orbit-5", id));
	test_uuid(subject);
	token = sign(test_secret(), "HS256",
	    "{\"sub\":\"%s\",\"email\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, email, now_s(), now_s() + 3600);
	/*
	 * docs/API.md "Users on first need": another subject, which shows the
	 * token's email; the email binds accounts registered here only.
	 */
	me_user(token, subject, email, created);
	/* The registered user still owns the email and logs in as before. */
	free(check_token_answer(post_auth("/api/auth/login", email,
	    "\"taken-lantern-orbit-5\""), 200, email, id));
	free(token);
}

Test(me, a_userId_claim_without_sub)
{
	char subject[37], created[64] = "";
	char *token;

	test_uuid(subject);
	token = sign(test_secret(), "HS256", "{\"userId\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, now_s(), now_s() + 3600);
	me_user(token, subject, NULL, created);
	free(token);
}

/* ---- tokens ---- */

Test(tokens, scheme_and_header)
{
	char subject[37], authz[2048];
	struct http_res *r;
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	expect_401(me_authz(NULL), "Not authenticated", "no header");
	expect_401(me_authz("Basic abc"), "Not authenticated", "Basic");
	snprintf(authz, sizeof(authz), "Basic %s", token);
	expect_401(me_authz(authz), "Not authenticated", "Basic with a token");
	expect_401(me_authz("Bearer "), "Not authenticated", "empty token");
	expect_401(me_authz("Bearer"), "Not authenticated", "scheme alone");
	snprintf(authz, sizeof(authz), "Bearer%s", token);
	expect_401(me_authz(authz), "Not authenticated", "no space after the scheme");
	snprintf(authz, sizeof(authz), "bearer %s", token);
	r = me_authz(authz);
	cr_assert_eq(r->status, 200, "lower-case scheme: %ld %s", r->status, r->body);
	cr_assert_str_eq(json_str(r, "id"), subject, "%s", r->body);
	http_free(r);
	free(token);
}

Test(tokens, expiry_and_not_before_with_30_seconds_leeway)
{
	char s[37];
	long now = now_s();

	test_uuid(s);
	signed_is(401, "Token has expired", "expired 60 s ago", PAYLOAD, s, now - 3600, now - 60);
	signed_is(200, s, "expired 10 s ago", PAYLOAD, s, now - 3600, now - 10);
	signed_is(401, INVALID, "no exp", "{\"sub\":\"%s\",\"iat\":%ld}", s, now);
	signed_is(401, INVALID, "exp a string", "{\"sub\":\"%s\",\"exp\":\"%ld\"}", s, now + 3600);
	signed_is(401, INVALID, "nbf in 120 s", "{\"sub\":\"%s\",\"nbf\":%ld,\"exp\":%ld}",
	    s, now + 120, now + 3600);
	signed_is(200, s, "nbf in 10 s", "{\"sub\":\"%s\",\"nbf\":%ld,\"exp\":%ld}",
	    s, now + 10, now + 3600);
}

Test(tokens, keys_and_algorithms)
{
	static const struct { const char *alg; int right_key, ok; } cases[] = {
		{ "HS256", 0, 0 }, { "HS256", 2, 1 }, { "HS384", 1, 0 }, { "HS512", 1, 0 },
	};
	const char *previous = getenv("JWT_SECRET_PREVIOUS");
	char subject[37], payload[256];

	cr_assert(previous != NULL && previous[0] != '\0', "JWT_SECRET_PREVIOUS is not set");
	test_uuid(subject);
	snprintf(payload, sizeof(payload), PAYLOAD, subject, now_s(), now_s() + 3600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *key = cases[i].right_key == 0 ? OTHER_KEY :
		    cases[i].right_key == 1 ? test_secret() : previous;
		char *t = token_sign(payload, key, cases[i].alg);
		char what[64];

		snprintf(what, sizeof(what), "%s with key %d", cases[i].alg, cases[i].right_key);
		if (cases[i].ok)
			token_is(t, 200, subject, what);
		else
			token_is(t, 401, INVALID, what);
		free(t);
	}
}

Test(tokens, alg_none_is_refused)
{
	static const char header[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	char subject[37], payload[256], token[1024];
	char *h, *p;

	test_uuid(subject);
	snprintf(payload, sizeof(payload), PAYLOAD, subject, now_s(), now_s() + 3600);
	h = b64url(header, strlen(header));
	p = b64url(payload, strlen(payload));
	snprintf(token, sizeof(token), "%s.%s.", h, p);
	token_is(token, 401, INVALID, "alg none, trailing dot");
	snprintf(token, sizeof(token), "%s.%s", h, p);
	token_is(token, 401, INVALID, "alg none, two segments");
	free(h);
	free(p);
}

Test(tokens, tampered_and_malformed_tokens)
{
	char subject[37], other[37], payload[256], token[2048];
	char *good, *p;
	const char *dot1, *dot2;

	test_uuid(subject);
	test_uuid(other);
	good = token_for(subject);
	token_is(good, 200, subject, "the untouched token");
	dot1 = strchr(good, '.');
	dot2 = strchr(dot1 + 1, '.');
	/* The payload swapped for another subject's, the signature kept. */
	snprintf(payload, sizeof(payload), PAYLOAD, other, now_s(), now_s() + 3600);
	p = b64url(payload, strlen(payload));
	snprintf(token, sizeof(token), "%.*s.%s%s", (int)(dot1 - good), good, p, dot2);
	token_is(token, 401, INVALID, "edited payload");
	free(p);
	snprintf(token, sizeof(token), "%.*s", (int)(dot2 - good), good);
	token_is(token, 401, INVALID, "two segments");
	snprintf(token, sizeof(token), "%s.%s", good, "c2lnbmF0dXJl");
	token_is(token, 401, INVALID, "four segments");
	snprintf(token, sizeof(token), "%s", good);
	token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
	token_is(token, 401, INVALID, "signature changed");
	token_is("abc.def.ghi", 401, INVALID, "garbage base64");
	token_is("!!!not*base64!!!", 401, INVALID, "not base64 at all");
	token_is("....", 401, INVALID, "dots only");
	free(good);
}

/*
 * A token whose payload is a JSON array needs a hand-made HS256 signature
 * (libjwt only signs objects). libjwt brings libcrypto into the process;
 * its HMAC is looked up at run time, so nothing more is linked.
 */
typedef const void *(*evp_md_fn)(void);
typedef unsigned char *(*hmac_fn)(const void *, const void *, int,
    const unsigned char *, size_t, unsigned char *, unsigned int *);

static char *
hs256_by_hand(const char *payload)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	void *a = dlsym(RTLD_DEFAULT, "EVP_sha256"), *b = dlsym(RTLD_DEFAULT, "HMAC");
	unsigned char mac[64];
	unsigned int maclen = 0;
	char *h, *p, *s, *out;
	evp_md_fn sha256;
	hmac_fn hmac;
	size_t n;

	if (a == NULL || b == NULL)
		return NULL;
	memcpy(&sha256, &a, sizeof(a));
	memcpy(&hmac, &b, sizeof(b));
	h = b64url(header, strlen(header));
	p = b64url(payload, strlen(payload));
	n = strlen(h) + strlen(p) + 128;
	cr_assert_not_null(out = malloc(n));
	snprintf(out, n, "%s.%s", h, p);
	cr_assert_not_null(hmac(sha256(), test_secret(), (int)strlen(test_secret()),
	    (const unsigned char *)out, strlen(out), mac, &maclen));
	s = b64url((const char *)mac, maclen);
	strcat(out, ".");
	strcat(out, s);
	free(h);
	free(p);
	free(s);
	return out;
}

Test(tokens, payload_that_is_not_an_object)
{
	char subject[37], payload[256];
	char *t;

	test_uuid(subject);
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, now_s(), now_s() + 3600);
	/* Debian's libjwt is built on OpenSSL, so HMAC is always there. */
	t = hs256_by_hand(payload);
	cr_assert_not_null(t, "libcrypto's HMAC is not loaded in this process");
	/* The hand signature is right: the same signer's object payload passes. */
	token_is(t, 200, subject, "hand-signed object payload");
	free(t);
	snprintf(payload, sizeof(payload), "[{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}]",
	    subject, now_s(), now_s() + 3600);
	t = hs256_by_hand(payload);
	token_is(t, 401, "Invalid authentication token", "array payload");
	free(t);
	t = hs256_by_hand("\"just a string\"");
	token_is(t, 401, "Invalid authentication token", "string payload");
	free(t);
}

Test(tokens, subject_rules)
{
	char uuid[37], sub[300];
	long now = now_s(), exp = now + 3600;

	test_uuid(uuid);
	signed_is(401, "Token missing user identifier", "neither sub nor userId",
	    "{\"email\":\"x@example.com\",\"iat\":%ld,\"exp\":%ld}", now, exp);
	signed_is(401, "Token missing user identifier", "sub empty",
	    "{\"sub\":\"\",\"iat\":%ld,\"exp\":%ld}", now, exp);
	signed_is(401, "Token missing user identifier", "both empty",
	    "{\"sub\":\"\",\"userId\":\"\",\"iat\":%ld,\"exp\":%ld}", now, exp);
	signed_is(401, INVALID, "sub a number", "{\"sub\":12345,\"iat\":%ld,\"exp\":%ld}", now, exp);
	signed_is(401, INVALID, "userId a number", "{\"userId\":12345,\"exp\":%ld}", exp);
	signed_is(401, INVALID, "sub an object", "{\"sub\":{\"id\":\"%s\"},\"exp\":%ld}", uuid, exp);

	memset(sub, 's', 256);
	memcpy(sub, uuid, 36);
	sub[256] = '\0';
	signed_is(401, INVALID, "sub of 256 characters", PAYLOAD, sub, now, exp);
	sub[255] = '\0';
	signed_is(200, sub, "sub of 255 characters", PAYLOAD, sub, now, exp);

	snprintf(sub, sizeof(sub), "u-%s", uuid);
	signed_is(200, sub, "sub empty, userId set",
	    "{\"sub\":\"\",\"userId\":\"%s\",\"iat\":%ld,\"exp\":%ld}", sub, now, exp);
	/* sub wins over userId when both are usable. */
	signed_is(200, uuid, "sub and userId",
	    "{\"sub\":\"%s\",\"userId\":\"other-%s\",\"exp\":%ld}", uuid, uuid, exp);
}
