/*
 * token.c: bearer tokens. Our own tokens are HS256: libjwt
 * 1.10 signs them, and they are verified here with OpenSSL's HMAC; an
 * external issuer's (EdDSA, ES256, RS256...) are checked against its key
 * set by jwks.c. Either way, the header and the payload are read as
 * strictly as a request body, and exp, nbf, iat, iss, aud and the subject
 * are checked by one function. The hot path costs one signature check (an
 * HMAC-SHA256 over a keyed context made once, or an Ed25519/ECDSA/RSA
 * verification) and two small JSON parses.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/token.h"
#include "config/config.h"
#include "domain/task.h"
#include "domain/user.h"
#include "json/b64url.h"
#include "json/json.h"
#include "jwks/jwks.h"

/* RFC 7518 3.2: an HS256 signature is the whole SHA-256 HMAC. */
#define HS256_BYTES 32

static int token_shape_ok(const char *jwt, size_t len);
static enum token_status verify_hs256(const struct config *cfg,
    const char *token, time_t now, struct token_claims *out);
static int hs256_matches(int slot, const char *key, const char *input,
    size_t len, const unsigned char *sig);
static enum token_status verify_jwks(const struct config *cfg,
    const char *token, struct json_object *header, const char *alg,
    time_t now, struct token_claims *out);
static struct json_object *segment_json(const char *b64, size_t len);
static const char *header_string(struct json_object *header,
    const char *name);
static int type_ok(struct json_object *header);
static enum token_status check_claims(const char *issuer,
    const char *audience, struct json_object *claims, time_t now,
    struct token_claims *out);
static int number_claim(struct json_object *claims, const char *name,
    int *present, double *value);
static int string_is(struct json_object *v, const char *want);
static int audience_matches(struct json_object *aud, const char *want);
static enum token_status subject_claim(struct json_object *claims,
    struct token_claims *out);
static enum token_status sid_claim(struct json_object *claims,
    struct token_claims *out);

const char *
token_status_detail(enum token_status st)
{
	switch (st) {
	case TOKEN_OK: return "OK";
	case TOKEN_ABSENT: return "Not authenticated";
	case TOKEN_EXPIRED: return "Token has expired";
	case TOKEN_NO_SUBJECT: return "Token missing user identifier";
	case TOKEN_UNAVAILABLE: return "Token issuer unavailable";
	case TOKEN_INVALID: break;
	}
	return "Invalid authentication token";
}

enum token_status
token_verify(const struct config *cfg, const char *authorization, time_t now,
    struct token_claims *out)
{
	const char *p = authorization;
	char *jwt;
	size_t len;
	enum token_status st;

	/*
	 * docs/API.md "Authentication failures": no header, or not the Bearer
	 * scheme (any case): 401.
	 */
	if (p == NULL)
		return TOKEN_ABSENT;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0)
		return TOKEN_ABSENT;
	p += 6;
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return TOKEN_ABSENT;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0)
		return TOKEN_ABSENT;
	if (len > TOKEN_LENGTH_MAX)
		return TOKEN_INVALID;
	if ((jwt = strndup(p, len)) == NULL)
		return TOKEN_INVALID;
	st = token_verify_jwt(cfg, jwt, now, out);
	free(jwt);
	return st;
}

enum token_status
token_verify_jwt(const struct config *cfg, const char *token, time_t now,
    struct token_claims *out)
{
	struct json_object *header;
	const char *alg;
	enum token_status st = TOKEN_INVALID;

	memset(out, 0, sizeof(*out));
	if (!token_shape_ok(token, strlen(token)))
		return TOKEN_INVALID;
	if ((header = segment_json(token, strcspn(token, "."))) == NULL)
		return TOKEN_INVALID;
	/* RFC 7515 4.1.11: an extension we would have to understand. */
	if (json_object_object_get_ex(header, "crit", NULL) || !type_ok(header) ||
	    (alg = header_string(header, "alg")) == NULL)
		goto out;
	/*
	 * RFC 8725 2.1: the algorithm is ours to choose, not the token's. One
	 * the issuer's key set can verify goes there, and must fit its key;
	 * HS256 is checked with our secrets; anything else is refused.
	 */
	if (cfg->jwks != NULL && jwks_alg_from_name(alg) >= 0)
		st = verify_jwks(cfg, token, header, alg, now, out);
	else if (strcmp(alg, "HS256") == 0)
		st = verify_hs256(cfg, token, now, out);
out:
	json_object_put(header);
	return st;
}

/*
 * Our own token: HMAC-SHA256 with JWT_SECRET, then JWT_SECRET_PREVIOUS
 * (docs/API.md "Tokens issued here": still accepted during a rotation).
 */
static enum token_status
verify_hs256(const struct config *cfg, const char *token, time_t now,
    struct token_claims *out)
{
	const char *keys[2] = { cfg->jwt_secret, cfg->jwt_secret_previous };
	const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
	struct json_object *claims = NULL;
	unsigned char *sig;
	enum token_status st = TOKEN_INVALID;
	size_t siglen;
	int good = 0;

	if ((sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen)) == NULL)
		return TOKEN_INVALID;
	for (int i = 0; i < 2 && !good && siglen == HS256_BYTES; i++)
		good = keys[i] != NULL && keys[i][0] != '\0' &&
		    hs256_matches(i, keys[i], token, (size_t)(dot2 - token), sig);
	if (!good)
		goto out;
	if ((claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		goto out;
	st = check_claims(cfg->jwt_issuer, cfg->jwt_audience, claims, now, out);
	if (st == TOKEN_OK)
		st = sid_claim(claims, out);
out:
	json_object_put(claims);
	free(sig);
	return st;
}

/*
 * Whether sig is the HMAC-SHA256 of input under key, compared in constant
 * time. OpenSSL 3 looks HMAC and SHA-256 up by name on every one-shot
 * HMAC() call, about 50,000 instructions, a quarter of a get-one request's
 * in the worker; so each of the two secrets (slot) gets a keyed context
 * once, and every token works on a copy. A changed key makes a new one.
 */
static int
hs256_matches(int slot, const char *key, const char *input, size_t len,
    const unsigned char *sig)
{
	static struct { char *key; EVP_MAC_CTX *ctx; } keyed[2];
	unsigned char mac[HS256_BYTES];
	EVP_MAC_CTX *ctx;
	EVP_MAC *hmac;
	size_t maclen = 0;
	int ok;

	if (keyed[slot].key == NULL || strcmp(keyed[slot].key, key) != 0) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			    (char *)"SHA256", 0),
			OSSL_PARAM_construct_end(),
		};

		EVP_MAC_CTX_free(keyed[slot].ctx);
		free(keyed[slot].key);
		keyed[slot].ctx = NULL;
		if ((keyed[slot].key = strdup(key)) == NULL ||
		    (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
			goto fail;
		keyed[slot].ctx = EVP_MAC_CTX_new(hmac);
		EVP_MAC_free(hmac);
		if (keyed[slot].ctx == NULL ||
		    EVP_MAC_init(keyed[slot].ctx, (const unsigned char *)key,
		    strlen(key), params) != 1)
			goto fail;
	}
	if ((ctx = EVP_MAC_CTX_dup(keyed[slot].ctx)) == NULL)
		return 0;
	ok = EVP_MAC_update(ctx, (const unsigned char *)input, len) == 1 &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) == 1 &&
	    maclen == HS256_BYTES && CRYPTO_memcmp(mac, sig, HS256_BYTES) == 0;
	EVP_MAC_CTX_free(ctx);
	return ok;
fail:
	EVP_MAC_CTX_free(keyed[slot].ctx);
	free(keyed[slot].key);
	keyed[slot].ctx = NULL;
	keyed[slot].key = NULL;
	return 0;
}

/*
 * An external issuer's token (docs/API.md "External issuers"): the key is
 * chosen by kid, the alg must be exactly that key's, and the token must carry
 * JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE.
 */
static enum token_status
verify_jwks(const struct config *cfg, const char *token,
    struct json_object *header, const char *alg, time_t now,
    struct token_claims *out)
{
	const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
	struct json_object *claims = NULL;
	unsigned char *sig = NULL;
	enum token_status st = TOKEN_INVALID;
	const char *kid;
	size_t siglen;

	if ((kid = header_string(header, "kid")) == NULL)
		return TOKEN_INVALID;
	if ((sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen)) == NULL)
		return TOKEN_INVALID;
	switch (jwks_verify(cfg->jwks, alg, kid, (const unsigned char *)token,
	    (size_t)(dot2 - token), sig, siglen, now)) {
	case JWKS_OK:
		break;
	case JWKS_UNAVAILABLE:
		out->retry_after = jwks_retry_after(cfg->jwks, now);
		st = TOKEN_UNAVAILABLE;
		goto out;
	default:
		goto out;
	}
	if ((claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		goto out;
	st = check_claims(cfg->jwt_jwks_issuer, cfg->jwt_jwks_audience, claims,
	    now, out);
	out->by_jwks = 1;
out:
	json_object_put(claims);
	free(sig);
	return st;
}

/*
 * A base64url segment holding a JSON object, checked as strictly as a
 * request body (json-c alone takes NaN, single quotes and worse). NULL if
 * it is anything else.
 */
static struct json_object *
segment_json(const char *b64, size_t len)
{
	struct json_object *o = NULL;
	unsigned char *text;
	size_t n;

	if ((text = b64url_decode(b64, len, &n)) == NULL)
		return NULL;
	if (json_syntax_check((const char *)text, n, JSON_DEPTH_MAX, NULL,
	    0) == JSON_OK &&
	    (o = json_build((const char *)text, n, JSON_DEPTH_MAX)) != NULL &&
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	free(text);
	return o;
}

/* A header member that is a non-empty string without U+0000, or NULL. */
static const char *
header_string(struct json_object *header, const char *name)
{
	const char *s = json_member_string(header, name);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * RFC 8725 3.11: a typ, when present, must say this is an access token,
 * so a JWT of another kind signed with the same key (Better Auth's
 * session-cache cookie is "better-auth.session-cache+jwt") is refused.
 */
static int
type_ok(struct json_object *header)
{
	const char *typ;

	if (!json_object_object_get_ex(header, "typ", NULL))
		return 1;
	if ((typ = header_string(header, "typ")) == NULL)
		return 0;
	if (strncasecmp(typ, "application/", 12) == 0)
		typ += 12;
	return strcasecmp(typ, "JWT") == 0 || strcasecmp(typ, "at+jwt") == 0;
}

/* Three base64url segments, the signature not empty. */
static int
token_shape_ok(const char *jwt, size_t len)
{
	size_t dots = 0, last_dot = 0;

	if (len == 0 || len > TOKEN_LENGTH_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = jwt[i];

		if (ch == '.') {
			if (i == 0 || jwt[i - 1] == '.')
				return 0;
			dots++;
			last_dot = i;
		} else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return dots == 2 && last_dot + 1 < len;
}

/*
 * The claim rules of docs/API.md "Tokens issued here", the same for every
 * token: issuer and audience are checked when given (NULL: not configured).
 */
static enum token_status
check_claims(const char *issuer, const char *audience,
    struct json_object *claims, time_t now, struct token_claims *out)
{
	struct json_object *v;
	double exp, nbf, iat;
	int has_exp, has_nbf, has_iat;
	const char *email;
	size_t elen;

	/*
	 * docs/API.md "Authentication failures": no exp is an invalid token;
	 * nbf and iat are honoured when present, and each of the three must
	 * be a number.
	 */
	if (number_claim(claims, "exp", &has_exp, &exp) != 0 || !has_exp)
		return TOKEN_INVALID;
	if (number_claim(claims, "nbf", &has_nbf, &nbf) != 0 ||
	    number_claim(claims, "iat", &has_iat, &iat) != 0)
		return TOKEN_INVALID;
	if (issuer != NULL) {
		if (!json_object_object_get_ex(claims, "iss", &v) ||
		    !string_is(v, issuer))
			return TOKEN_INVALID;
	}
	if (audience != NULL) {
		if (!json_object_object_get_ex(claims, "aud", &v) ||
		    !audience_matches(v, audience))
			return TOKEN_INVALID;
	}
	if (has_nbf && nbf > (double)now + TOKEN_LEEWAY)
		return TOKEN_INVALID;
	/* Issued in the future beyond the leeway: refused, as PostgREST does. */
	if (has_iat && iat > (double)now + TOKEN_LEEWAY)
		return TOKEN_INVALID;
	if ((double)now > exp + TOKEN_LEEWAY)
		return TOKEN_EXPIRED;
	/* The email claim is informational: kept only when it is sane text. */
	if (json_member_text(claims, "email", 1, USER_EMAIL_MAX, &email, &elen) ==
	    JSON_TEXT_OK)
		memcpy(out->email, email, elen + 1);
	return subject_claim(claims, out);
}

/* A NumericDate: a finite JSON number. Returns -1 when present but not one. */
static int
number_claim(struct json_object *claims, const char *name, int *present,
    double *value)
{
	struct json_object *v;

	*present = 0;
	if (!json_object_object_get_ex(claims, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*value = json_object_get_double(v);
	if (!isfinite(*value))
		return -1;
	*present = 1;
	return 0;
}

/* Whether v is the string want, all of it: strcmp would stop at a U+0000
 * and take "http://localhost:3000\u0000x" for "http://localhost:3000". */
static int
string_is(struct json_object *v, const char *want)
{
	size_t len = strlen(want);

	return json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == len &&
	    memcmp(json_object_get_string(v), want, len) == 0;
}

/* RFC 7519 4.1.3: aud is a string or an array of strings. */
static int
audience_matches(struct json_object *aud, const char *want)
{
	if (json_object_is_type(aud, json_type_string))
		return string_is(aud, want);
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(aud); i++)
		if (string_is(json_object_array_get_idx(aud, i), want))
			return 1;
	return 0;
}

/*
 * docs/API.md "Subjects": the subject is the first of sub, userId that is
 * a non-empty string; either one present but not a string, or over 255
 * characters, is an invalid token; neither usable is a missing identifier.
 */
static enum token_status
subject_claim(struct json_object *claims, struct token_claims *out)
{
	static const char *const names[] = { "sub", "userId" };
	const char *found = NULL;
	size_t found_len = 0;

	for (size_t i = 0; i < 2; i++) {
		const char *s;
		size_t len;

		switch (json_member_text(claims, names[i], 0, TOKEN_SUBJECT_MAX, &s,
		    &len)) {
		case JSON_TEXT_MISSING:
			continue;
		case JSON_TEXT_OK:
			if (len > 0 && found == NULL) {
				found = s;
				found_len = len;
			}
			continue;
		default:
			return TOKEN_INVALID;
		}
	}
	if (found == NULL)
		return TOKEN_NO_SUBJECT;
	memcpy(out->subject, found, found_len + 1);
	return TOKEN_OK;
}

/*
 * docs/API.md "Session tokens": a token of ours names its session in sid,
 * a UUID (any letter case, kept in lower case as PostgreSQL prints one).
 * Present but anything else: an invalid token.
 */
static enum token_status
sid_claim(struct json_object *claims, struct token_claims *out)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(claims, "sid", &v))
		return TOKEN_OK;
	s = json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
	if (s == NULL || !task_id_valid(s) ||
	    json_object_get_string_len(v) != TOKEN_SID_BYTES - 1)
		return TOKEN_INVALID;
	for (size_t i = 0; i < TOKEN_SID_BYTES; i++)
		out->sid[i] = (char)tolower((unsigned char)s[i]);
	return TOKEN_OK;
}
