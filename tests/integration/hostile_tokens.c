/*
 * Integration: hostile bearer tokens (RFC 8725, OWASP's JWT cheat sheet)
 * through nginx, each against both protected GET routes, GET /api/tasks and
 * GET /api/auth/me. Every case gets the status and exact detail of
 * docs/API.md "Authentication failures" and WWW-Authenticate: Bearer, and
 * the instance must still serve afterwards.
 * Tokens that libjwt will not make (a wrong header, a payload that is not an
 * object, a key confusion) are made by hand and signed with HMAC-SHA256
 * over exactly their bytes, so the only thing wrong is what the case says.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/hostile.h"

#define ABSENT "Not authenticated"
#define EXPIRED "Token has expired"
#define INVALID "Invalid authentication token"
#define NO_SUBJECT "Token missing user identifier"
#define OTHER_KEY "an-unrelated-key-of-more-than-32-bytes!!"
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* The case's "100 KB token": 100 KiB of token text. */
#define BIG_TOKEN_BYTES (100 * 1024)

/* ---- helpers ---- */

static long
now_s(void)
{
	return (long)time(NULL);
}

/* {"sub": subject, "iat", "exp"}; free(). */
static char *
payload_for(const char *subject, long iat, long exp)
{
	char *p;

	cr_assert(asprintf(&p, "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, iat, exp) > 0);
	return p;
}

/* header_b64.payload_b64.sig_b64; free(). */
static char *
segments(const char *header_b64, const char *payload_b64, const char *sig_b64)
{
	char *t;

	cr_assert(asprintf(&t, "%s.%s.%s", header_b64, payload_b64,
	    sig_b64) > 0);
	return t;
}

/*
 * libjwt brings libcrypto into the process; its HMAC is looked up at run
 * time, so the test binary links nothing more than the programs do.
 */
typedef const void *(*evp_md_fn)(void);
typedef unsigned char *(*hmac_fn)(const void *, const void *, int,
    const unsigned char *, size_t, unsigned char *, unsigned int *);

/*
 * A token made by hand: the header and payload bytes as given, base64url
 * encoded, and HMAC-SHA256 under key over exactly "header.payload", as any
 * holder of key would sign it. Returns a string to free().
 */
static char *
hmac_token(const char *header, const char *payload, const char *key,
    size_t keylen)
{
	void *a = dlsym(RTLD_DEFAULT, "EVP_sha256");
	void *b = dlsym(RTLD_DEFAULT, "HMAC");
	unsigned char mac[64];
	unsigned int maclen = 0;
	char *h, *p, *s, *input, *out;
	evp_md_fn sha256;
	hmac_fn hmac;

	cr_assert(a != NULL && b != NULL,
	    "libcrypto's HMAC is not loaded in this process");
	memcpy(&sha256, &a, sizeof(a));
	memcpy(&hmac, &b, sizeof(b));
	h = b64url(header, strlen(header));
	p = b64url(payload, strlen(payload));
	cr_assert(asprintf(&input, "%s.%s", h, p) > 0);
	/* An empty key is a valid HMAC key; HMAC() wants a non-NULL pointer. */
	cr_assert_not_null(hmac(sha256(), keylen > 0 ? key : "", (int)keylen,
	    (const unsigned char *)input, strlen(input), mac, &maclen));
	s = b64url((const char *)mac, maclen);
	out = segments(h, p, s);
	free(h);
	free(p);
	free(s);
	free(input);
	return out;
}

/* Checks one answer of a protected route for the case. */
static void
check_answer(struct http_res *r, const char *route, const char *what,
    long status, const char *want)
{
	char label[512];

	snprintf(label, sizeof(label), "case \"%s\", GET %s", what, route);
	if (status == 401) {
		expect_401(r, want, label);
		return;
	}
	cr_assert_eq(r->status, 200, "%s: want 200, got %ld %.300s", label,
	    r->status, r->body);
	answer_is_clean(r, label);
	if (strcmp(route, "/api/auth/me") == 0) {
		cr_assert(json_str(r, "id") != NULL, "%s: %s", label, r->body);
		cr_assert_str_eq(json_str(r, "id"), want, "%s: the subject of %s",
		    label, r->body);
	} else
		cr_assert(json_object_is_type(r->json, json_type_array),
		    "%s: not a list: %s", label, r->body);
}

/*
 * One case: authorization is the whole Authorization value (NULL: no
 * header), sent to both protected GET routes. status 401 wants detail
 * want; status 200 wants the subject want. Then the instance must still
 * serve a normal request.
 */
static void
token_case(const char *what, const char *authorization, long status,
    const char *want)
{
	static const char *const routes[] = { "/api/tasks", "/api/auth/me" };
	const char *h[2] = { NULL, NULL };
	char *line = NULL, *probe;
	char subject[37];

	if (authorization != NULL) {
		cr_assert(asprintf(&line, "Authorization: %s",
		    authorization) > 0);
		h[0] = line;
	}
	for (size_t i = 0; i < NELEM(routes); i++) {
		struct http_res *r = http_req("GET", routes[i], h, NULL, 0);

		check_answer(r, routes[i], what, status, want);
		http_free(r);
	}
	free(line);
	test_uuid(subject);
	probe = token_for(subject);
	still_serving(probe, what);
	free(probe);
}

/* The same for "Bearer <token>". */
static void
bearer_case(const char *what, const char *token, long status,
    const char *want)
{
	char *authz;

	cr_assert(asprintf(&authz, "Bearer %s", token) > 0);
	token_case(what, authz, status, want);
	free(authz);
}

/*
 * Each header over payload, HMAC-SHA256-signed with the secret over exactly
 * those bytes (a signature the header does not call for): each is refused.
 */
static void
refuse_headers(const char *const *headers, size_t n, const char *payload)
{
	char *t;

	for (size_t i = 0; i < n; i++) {
		t = hmac_token(headers[i], payload, test_secret(),
		    strlen(test_secret()));
		bearer_case(headers[i], t, 401, INVALID);
		free(t);
	}
}

/* A valid token for a fresh subject, and the subject. */
static char *
good_token(char subject[37])
{
	test_uuid(subject);
	return token_for(subject);
}

/* ---- the scheme and the header ---- */

Test(hostile_tokens, no_header)
{
	token_case("no Authorization header", NULL, 401, ABSENT);
}

Test(hostile_tokens, another_scheme)
{
	char subject[37], *authz;
	char *token = good_token(subject);
	const char *schemes[] = { "Basic", "Token", "JWT", "Digest", "Bearer:" };

	/* A valid token, under every scheme but Bearer. */
	for (size_t i = 0; i < NELEM(schemes); i++) {
		cr_assert(asprintf(&authz, "%s %s", schemes[i], token) > 0);
		token_case(schemes[i], authz, 401, ABSENT);
		free(authz);
	}
	token_case("Basic with user:password", "Basic dXNlcjpwYXNzd29yZA==", 401,
	    ABSENT);
	token_case("the token with no scheme", token, 401, ABSENT);
	free(token);
}

Test(hostile_tokens, bearer_in_lower_case_is_accepted)
{
	char subject[37], *authz;
	char *token = good_token(subject);
	const char *schemes[] = { "bearer", "BEARER", "bEaReR" };

	/* RFC 7235 2.1: the scheme is case-insensitive. */
	for (size_t i = 0; i < NELEM(schemes); i++) {
		cr_assert(asprintf(&authz, "%s %s", schemes[i], token) > 0);
		token_case(schemes[i], authz, 200, subject);
		free(authz);
	}
	free(token);
}

Test(hostile_tokens, empty_token)
{
	/*
	 * docs/API.md "Authentication failures": an empty token after
	 * "Bearer " is Not authenticated.
	 */
	token_case("\"Bearer \"", "Bearer ", 401, ABSENT);
	token_case("\"Bearer\" alone", "Bearer", 401, ABSENT);
	token_case("\"bearer\" and white space", "bearer \t  ", 401, ABSENT);
}

/* ---- the token's shape ---- */

Test(hostile_tokens, two_segments)
{
	char subject[37];
	char *token = good_token(subject);

	*strrchr(token, '.') = '\0';	/* header.payload */
	bearer_case("header.payload", token, 401, INVALID);
	bearer_case("one word", "eyJhbGciOiJIUzI1NiJ9", 401, INVALID);
	free(token);
}

Test(hostile_tokens, four_segments)
{
	char subject[37], *t;
	char *token = good_token(subject);
	const char *sig = strrchr(token, '.') + 1;

	/* A valid token with one more segment, after and before it. */
	cr_assert(asprintf(&t, "%s.%s", token, sig) > 0);
	bearer_case("valid token + .signature", t, 401, INVALID);
	free(t);
	cr_assert(asprintf(&t, "eyJhbGciOiJIUzI1NiJ9.%s", token) > 0);
	bearer_case("header. + valid token", t, 401, INVALID);
	free(t);
	bearer_case("a.b.c.d", "a.b.c.d", 401, INVALID);
	free(token);
}

Test(hostile_tokens, invalid_base64)
{
	char subject[37], *t;
	char *token = good_token(subject);
	const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
	/* The middle of the payload segment. */
	size_t at = (size_t)(dot1 - token) + (size_t)(dot2 - dot1) / 2;
	/* Each replaces one character of the payload of a valid token. */
	const struct { const char *what; char ch; } swaps[] = {
		{ "'+' (standard base64)", '+' }, { "'/' (standard base64)", '/' },
		{ "'=' padding", '=' }, { "'!'", '!' }, { "a space", ' ' },
		{ "a non-ASCII byte", '\xC3' },
	};

	for (size_t i = 0; i < NELEM(swaps); i++) {
		cr_assert_not_null(t = strdup(token));
		t[at] = swaps[i].ch;
		bearer_case(swaps[i].what, t, 401, INVALID);
		free(t);
	}
	/* Right alphabet, but segments no base64 decoder can read. */
	bearer_case("segments of one character", "a.b.c", 401, INVALID);
	bearer_case("garbage segments", "abc.def.ghi", 401, INVALID);
	bearer_case("not base64 at all", "!!!.@@@.###", 401, INVALID);
	free(token);
}

Test(hostile_tokens, header_not_a_json_object)
{
	char subject[37], *t;
	char *payload;
	const char *headers[] = {
		"[\"HS256\"]", "\"HS256\"", "42", "null", "not json",
		"{\"alg\":\"HS256\"", "{\"alg\":\"HS256\",}",
	};

	test_uuid(subject);
	payload = payload_for(subject, now_s(), now_s() + 3600);
	/* The control: the same signer with the real header is accepted. */
	t = hmac_token(HS256_HEADER, payload, test_secret(),
	    strlen(test_secret()));
	bearer_case("hand-signed control", t, 200, subject);
	free(t);
	refuse_headers(headers, NELEM(headers), payload);
	free(payload);
}

Test(hostile_tokens, payload_not_a_json_object)
{
	char subject[37], *t, *p;
	const char *plain[] = { "\"a string\"", "42", "null", "true", "not json",
	    "{\"sub\":\"x\"" };

	test_uuid(subject);
	p = payload_for(subject, now_s(), now_s() + 3600);
	t = hmac_token(HS256_HEADER, p, test_secret(), strlen(test_secret()));
	bearer_case("hand-signed control", t, 200, subject);
	free(t);
	free(p);
	/* The valid claims, wrapped in an array. */
	cr_assert(asprintf(&p, "[{\"sub\":\"%s\",\"exp\":%ld}]", subject,
	    now_s() + 3600) > 0);
	t = hmac_token(HS256_HEADER, p, test_secret(), strlen(test_secret()));
	bearer_case("an array of the claims", t, 401, INVALID);
	free(t);
	free(p);
	for (size_t i = 0; i < NELEM(plain); i++) {
		t = hmac_token(HS256_HEADER, plain[i], test_secret(),
		    strlen(test_secret()));
		bearer_case(plain[i], t, 401, INVALID);
		free(t);
	}
}

/* ---- the algorithm and the signature ---- */

Test(hostile_tokens, alg_none_with_and_without_trailing_dot)
{
	const char *algs[] = { "none", "None", "NONE" };
	char subject[37], header[64], what[96];
	char *payload, *h, *p, *t;
	char *good = good_token(subject);
	const char *real_sig = strrchr(good, '.') + 1;

	payload = payload_for(subject, now_s(), now_s() + 3600);
	p = b64url(payload, strlen(payload));
	for (size_t i = 0; i < NELEM(algs); i++) {
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
		    algs[i]);
		h = b64url(header, strlen(header));
		t = segments(h, p, "");		/* header.payload. */
		snprintf(what, sizeof(what), "alg %s, trailing dot", algs[i]);
		bearer_case(what, t, 401, INVALID);
		t[strlen(t) - 1] = '\0';	/* header.payload */
		snprintf(what, sizeof(what), "alg %s, no trailing dot", algs[i]);
		bearer_case(what, t, 401, INVALID);
		free(t);
		/* And with a signature that is a real one, of another token. */
		t = segments(h, p, real_sig);
		snprintf(what, sizeof(what), "alg %s, a signature", algs[i]);
		bearer_case(what, t, 401, INVALID);
		free(t);
		free(h);
	}
	free(p);
	free(payload);
	free(good);
}

Test(hostile_tokens, stripped_signature)
{
	char subject[37];
	char *token = good_token(subject);

	bearer_case("the untouched token", token, 200, subject);
	strrchr(token, '.')[1] = '\0';	/* header.payload. */
	bearer_case("signature stripped, dot kept", token, 401, INVALID);
	free(token);
}

Test(hostile_tokens, another_keys_signature)
{
	char subject[37];
	char *payload, *t;

	test_uuid(subject);
	payload = payload_for(subject, now_s(), now_s() + 3600);
	t = token_sign(payload, OTHER_KEY, "HS256");
	bearer_case("HS256 under another key", t, 401, INVALID);
	free(t);
	/* The secret with one byte more or less is another key too. */
	t = hmac_token(HS256_HEADER, payload, test_secret(),
	    strlen(test_secret()) - 1);
	bearer_case("the secret less its last byte", t, 401, INVALID);
	free(t);
	free(payload);
}

Test(hostile_tokens, payload_edited_after_signing)
{
	char subject[37], other[37], *t;
	char *good = good_token(subject);
	const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
	char *payload, *p;

	bearer_case("the untouched token", good, 200, subject);
	/* Another subject's payload under the first one's signature. */
	test_uuid(other);
	payload = payload_for(other, now_s(), now_s() + 3600);
	p = b64url(payload, strlen(payload));
	cr_assert(asprintf(&t, "%.*s.%s%s", (int)(dot1 - good), good, p,
	    dot2) > 0);
	bearer_case("sub swapped", t, 401, INVALID);
	free(t);
	free(p);
	free(payload);
	/* The same subject, a later exp. */
	payload = payload_for(subject, now_s(), now_s() + 365L * 86400);
	p = b64url(payload, strlen(payload));
	cr_assert(asprintf(&t, "%.*s.%s%s", (int)(dot1 - good), good, p,
	    dot2) > 0);
	bearer_case("exp extended", t, 401, INVALID);
	free(t);
	free(p);
	free(payload);
	free(good);
}

Test(hostile_tokens, hs384_and_hs512_with_the_right_key)
{
	const char *algs[] = { "HS384", "HS512" };
	char subject[37];
	char *payload, *t;

	test_uuid(subject);
	payload = payload_for(subject, now_s(), now_s() + 3600);
	/* Correctly signed with JWT_SECRET: only HS256 is configured. */
	for (size_t i = 0; i < NELEM(algs); i++) {
		t = token_sign(payload, test_secret(), algs[i]);
		bearer_case(algs[i], t, 401, INVALID);
		free(t);
	}
	free(payload);
}

Test(hostile_tokens, rs256_and_es256_headers_over_an_hmac_signature)
{
	const char *headers[] = {
		"{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
	};
	char subject[37];
	char *payload;

	test_uuid(subject);
	payload = payload_for(subject, now_s(), now_s() + 3600);
	/*
	 * Key confusion: an HMAC-SHA256 over exactly these bytes with the
	 * secret, as a verifier that took the secret as the public key would
	 * check it.
	 */
	refuse_headers(headers, NELEM(headers), payload);
	free(payload);
}

Test(hostile_tokens, kid_carrying_a_path_or_sql)
{
	static const struct {
		const char *kid;
		const char *key;	/* what the kid would make a naive verifier use */
	} kids[] = {
		{ "/dev/null", "" },
		{ "../../../../../../dev/null", "" },
		{ "x' UNION SELECT 'attacker-key", "attacker-key" },
		{ "1; DROP TABLE users; --", "" },
	};
	char subject[37], header[256], what[512];
	char *payload, *t;

	test_uuid(subject);
	payload = payload_for(subject, now_s(), now_s() + 3600);
	for (size_t i = 0; i < NELEM(kids); i++) {
		snprintf(header, sizeof(header),
		    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kids[i].kid);
		/* Signed with the key the kid points at: refused. */
		t = hmac_token(header, payload, kids[i].key, strlen(kids[i].key));
		snprintf(what, sizeof(what), "kid %s, signed with \"%s\"",
		    kids[i].kid, kids[i].key);
		bearer_case(what, t, 401, INVALID);
		free(t);
		/*
		 * Signed with the secret: the kid picks nothing here (there is
		 * one key), so it is inert and the token is served.
		 */
		t = hmac_token(header, payload, test_secret(),
		    strlen(test_secret()));
		snprintf(what, sizeof(what), "kid %s, signed with the secret",
		    kids[i].kid);
		bearer_case(what, t, 200, subject);
		free(t);
	}
	free(payload);
}

/* ---- the claims ---- */

/* A token signed with the secret over a formatted payload. */
__attribute__((format(printf, 4, 5))) static void
claims_case(const char *what, long status, const char *want,
    const char *fmt, ...)
{
	char *payload, *t;
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&payload, fmt, ap) > 0);
	va_end(ap);
	t = token_sign(payload, test_secret(), "HS256");
	bearer_case(what, t, status, want);
	free(t);
	free(payload);
}

Test(hostile_tokens, exp_missing)
{
	char s[37];

	test_uuid(s);
	claims_case("no exp", 401, INVALID, "{\"sub\":\"%s\",\"iat\":%ld}", s,
	    now_s());
	claims_case("exp null", 401, INVALID, "{\"sub\":\"%s\",\"exp\":null}", s);
	claims_case("exp a string", 401, INVALID, "{\"sub\":\"%s\",\"exp\":\"%ld\"}",
	    s, now_s() + 3600);
}

Test(hostile_tokens, exp_in_the_past)
{
	char s[37];
	long now = now_s();

	test_uuid(s);
	/* Past the 30 s leeway by twice the leeway, and by a day. */
	claims_case("exp 60 s ago", 401, EXPIRED, "{\"sub\":\"%s\",\"iat\":%ld,"
	    "\"exp\":%ld}", s, now - 3600, now - 60);
	claims_case("exp a day ago", 401, EXPIRED, "{\"sub\":\"%s\",\"iat\":%ld,"
	    "\"exp\":%ld}", s, now - 2 * 86400, now - 86400);
	claims_case("exp 0", 401, EXPIRED, "{\"sub\":\"%s\",\"exp\":0}", s);
}

Test(hostile_tokens, exp_inside_the_leeway_is_accepted)
{
	char s[37];
	long now = now_s();

	test_uuid(s);
	/*
	 * docs/API.md "Tokens issued here": 30 s of leeway; 10 s past exp is
	 * still served.
	 */
	claims_case("exp 10 s ago", 200, s, "{\"sub\":\"%s\",\"iat\":%ld,"
	    "\"exp\":%ld}", s, now - 3600, now - 10);
}

Test(hostile_tokens, nbf_in_the_future)
{
	char s[37];
	long now = now_s();

	test_uuid(s);
	claims_case("nbf in 120 s", 401, INVALID, "{\"sub\":\"%s\",\"nbf\":%ld,"
	    "\"exp\":%ld}", s, now + 120, now + 3600);
	claims_case("nbf in a day", 401, INVALID, "{\"sub\":\"%s\",\"nbf\":%ld,"
	    "\"exp\":%ld}", s, now + 86400, now + 2 * 86400);
	/* The control: inside the leeway it is served. */
	claims_case("nbf in 10 s", 200, s, "{\"sub\":\"%s\",\"nbf\":%ld,"
	    "\"exp\":%ld}", s, now + 10, now + 3600);
}

Test(hostile_tokens, sub_missing)
{
	long now = now_s();

	claims_case("no sub, no userId", 401, NO_SUBJECT,
	    "{\"email\":\"x@example.com\",\"iat\":%ld,\"exp\":%ld}", now,
	    now + 3600);
}

Test(hostile_tokens, sub_empty)
{
	long now = now_s();

	claims_case("sub \"\"", 401, NO_SUBJECT, "{\"sub\":\"\",\"exp\":%ld}",
	    now + 3600);
	claims_case("sub and userId \"\"", 401, NO_SUBJECT,
	    "{\"sub\":\"\",\"userId\":\"\",\"exp\":%ld}", now + 3600);
}

Test(hostile_tokens, sub_of_300_characters)
{
	char sub[301], *emoji;
	long now = now_s();

	/*
	 * docs/API.md "Subjects": a subject over 255 characters is an invalid
	 * token, not a missing one.
	 */
	memset(sub, 'u', 300);
	sub[300] = '\0';
	claims_case("300 ASCII characters", 401, INVALID,
	    "{\"sub\":\"%s\",\"exp\":%ld}", sub, now + 3600);
	/* Characters are code points: 256 four-byte ones are too many... */
	emoji = malloc(256 * 4 + 1);
	cr_assert_not_null(emoji);
	for (int i = 0; i < 256; i++)
		memcpy(emoji + 4 * i, "\xF0\x9F\x98\x80", 4);
	emoji[256 * 4] = '\0';
	claims_case("256 emoji", 401, INVALID, "{\"sub\":\"%s\",\"exp\":%ld}",
	    emoji, now + 3600);
	/* ...and 255 of them, 1020 bytes, are a subject. */
	emoji[255 * 4] = '\0';
	claims_case("255 emoji", 200, emoji, "{\"sub\":\"%s\",\"exp\":%ld}",
	    emoji, now + 3600);
	free(emoji);
}

Test(hostile_tokens, sub_a_number)
{
	long now = now_s();

	/* docs/API.md "Subjects": a subject that is not a string is invalid. */
	claims_case("sub 12345", 401, INVALID, "{\"sub\":12345,\"exp\":%ld}",
	    now + 3600);
	claims_case("sub 1.5", 401, INVALID, "{\"sub\":1.5,\"exp\":%ld}",
	    now + 3600);
	claims_case("userId 12345", 401, INVALID,
	    "{\"userId\":12345,\"exp\":%ld}", now + 3600);
}

/* ---- size ---- */

Test(hostile_tokens, token_of_100_kb)
{
	char subject[37], *payload, *pad, *t;
	size_t padlen = BIG_TOKEN_BYTES * 3 / 4;

	/*
	 * A well-formed token, correctly signed, made 100 KiB long by a claim
	 * nobody reads: refused for its size alone. nginx's header buffers
	 * (128k) let it through to the program.
	 */
	test_uuid(subject);
	cr_assert_not_null(pad = malloc(padlen + 1));
	memset(pad, 'p', padlen);
	pad[padlen] = '\0';
	cr_assert(asprintf(&payload, "{\"sub\":\"%s\",\"exp\":%ld,\"pad\":\"%s\"}",
	    subject, now_s() + 3600, pad) > 0);
	t = token_sign(payload, test_secret(), "HS256");
	cr_assert(strlen(t) >= BIG_TOKEN_BYTES && strlen(t) < 120 * 1024,
	    "the token is %zu bytes", strlen(t));
	bearer_case("100 KiB, signed", t, 401, INVALID);
	free(t);
	/* And 100 KiB of one base64url character. */
	cr_assert_not_null(t = malloc(BIG_TOKEN_BYTES + 1));
	memset(t, 'a', BIG_TOKEN_BYTES);
	t[BIG_TOKEN_BYTES] = '\0';
	bearer_case("100 KiB of 'a'", t, 401, INVALID);
	/* As long, under another scheme: still no authentication at all. */
	memcpy(t, "Basic ", 6);
	token_case("Basic and 100 KiB", t, 401, ABSENT);
	free(t);
	free(payload);
	free(pad);
}
