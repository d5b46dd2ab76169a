/*
 * auth.c: bearer tokens and passwords. libjwt 1.10 verifies the signature
 * for whatever algorithm the token names and checks no claim at all, so the
 * algorithm, exp, nbf, iss, aud and the subject are all checked here, on the
 * payload re-read with json-c. The hot path costs one HMAC-SHA256 and two
 * small JSON parses.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <jwt.h>
#include <libscrypt.h>

#include "auth.h"
#include "body.h"
#include "config.h"
#include "user.h"

/*
 * A hash of a password no one knows, at the current parameters; checking
 * against it costs what checking a real account does. A unit test keeps its
 * parameters equal to PASSWORD_SCRYPT_*.
 */
const char password_dummy_hash[] =
    "$s1$0e0805$zqwgj3Dubly6cduaZE7frQ==$V+a3c5FSmwg3KtyqO4IPFr9GppJ9f9Up"
    "doI6N9DNNv333JecSNqXGEKtaiIXbILOzeFPHeae+tX8BzbOncHLgQ==";

static int token_shape_ok(const char *jwt, size_t len);
static jwt_t *decode_with_keys(const struct config *cfg, const char *jwt);
static enum token_status check_claims(const struct config *cfg,
    struct json_object *claims, time_t now, struct token_claims *out);
static int number_claim(struct json_object *claims, const char *name,
    int *present, double *value);
static int audience_matches(struct json_object *aud, const char *want);
static enum token_status subject_claim(struct json_object *claims,
    struct token_claims *out);

const char *
token_status_detail(enum token_status st)
{
	switch (st) {
	case TOKEN_OK: return "OK";
	case TOKEN_ABSENT: return "Not authenticated";
	case TOKEN_EXPIRED: return "Token has expired";
	case TOKEN_NO_SUBJECT: return "Token missing user identifier";
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

	/* API.md: no header, or not the Bearer scheme (any case): 401. */
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
	struct json_object *claims = NULL;
	char *payload = NULL;
	enum token_status st = TOKEN_INVALID;
	jwt_t *jwt;

	memset(out, 0, sizeof(*out));
	if (!token_shape_ok(token, strlen(token)))
		return TOKEN_INVALID;
	if ((jwt = decode_with_keys(cfg, token)) == NULL)
		return TOKEN_INVALID;
	/* RFC 8725 2.1: the algorithm is ours to choose, not the token's. */
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	if ((payload = jwt_get_grants_json(jwt, NULL)) == NULL)
		goto out;
	claims = json_tokener_parse(payload);
	if (claims == NULL || !json_object_is_type(claims, json_type_object))
		goto out;
	st = check_claims(cfg, claims, now, out);
out:
	json_object_put(claims);
	free(payload);
	jwt_free(jwt);
	return st;
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
 * Verifies the signature with JWT_SECRET, then JWT_SECRET_PREVIOUS. A key is
 * always passed: with a NULL key libjwt 1.10 accepts any token unverified.
 */
static jwt_t *
decode_with_keys(const struct config *cfg, const char *token)
{
	const char *keys[2] = { cfg->jwt_secret, cfg->jwt_secret_previous };
	jwt_t *jwt;

	for (int i = 0; i < 2; i++) {
		if (keys[i] == NULL || keys[i][0] == '\0')
			continue;
		jwt = NULL;
		if (jwt_decode(&jwt, token, (const unsigned char *)keys[i],
		    (int)strlen(keys[i])) == 0 && jwt != NULL)
			return jwt;
		jwt_free(jwt);
	}
	return NULL;
}

static enum token_status
check_claims(const struct config *cfg, struct json_object *claims, time_t now,
    struct token_claims *out)
{
	struct json_object *v;
	double exp, nbf;
	int has_exp, has_nbf;
	const char *email;
	size_t elen;

	/* API.md: no exp is an invalid token; nbf is honoured when present. */
	if (number_claim(claims, "exp", &has_exp, &exp) != 0 || !has_exp)
		return TOKEN_INVALID;
	if (number_claim(claims, "nbf", &has_nbf, &nbf) != 0)
		return TOKEN_INVALID;
	if (cfg->jwt_issuer != NULL) {
		if (!json_object_object_get_ex(claims, "iss", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), cfg->jwt_issuer) != 0)
			return TOKEN_INVALID;
	}
	if (cfg->jwt_audience != NULL) {
		if (!json_object_object_get_ex(claims, "aud", &v) ||
		    !audience_matches(v, cfg->jwt_audience))
			return TOKEN_INVALID;
	}
	if (has_nbf && nbf > (double)now + TOKEN_LEEWAY)
		return TOKEN_INVALID;
	if ((double)now > exp + TOKEN_LEEWAY)
		return TOKEN_EXPIRED;
	/* The email claim is informational: kept only when it is sane text. */
	if (body_string(claims, "email", 1, USER_EMAIL_MAX, &email, &elen) ==
	    STR_OK)
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

/* RFC 7519 4.1.3: aud is a string or an array of strings. */
static int
audience_matches(struct json_object *aud, const char *want)
{
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), want) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(aud); i++) {
		struct json_object *e = json_object_array_get_idx(aud, i);

		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), want) == 0)
			return 1;
	}
	return 0;
}

/*
 * API.md: the subject is the first of sub, userId that is a non-empty
 * string; either one present but not a string, or over 255 characters, is
 * an invalid token; neither usable is a missing identifier.
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

		switch (body_string(claims, names[i], 0, TOKEN_SUBJECT_MAX, &s,
		    &len)) {
		case STR_MISSING:
			continue;
		case STR_OK:
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

char *
token_issue(const struct config *cfg, const char *subject, const char *email,
    time_t now)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", subject) != 0 ||
	    (email != NULL && jwt_add_grant(jwt, "email", email) != 0) ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + cfg->jwt_expires_in) != 0 ||
	    (cfg->jwt_issuer != NULL &&
	    jwt_add_grant(jwt, "iss", cfg->jwt_issuer) != 0) ||
	    (cfg->jwt_audience != NULL &&
	    jwt_add_grant(jwt, "aud", cfg->jwt_audience) != 0))
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256,
	    (const unsigned char *)cfg->jwt_secret,
	    (int)strlen(cfg->jwt_secret)) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}

int
password_hash(const char *password, char out[PASSWORD_HASH_BYTES])
{
	return libscrypt_hash(out, password, PASSWORD_SCRYPT_N,
	    PASSWORD_SCRYPT_R, PASSWORD_SCRYPT_P) > 0 ? 0 : -1;
}

int
password_verify(const char *stored, const char *password)
{
	char copy[PASSWORD_HASH_BYTES];
	const char *mcf = stored != NULL ? stored : password_dummy_hash;
	size_t len = strlen(mcf);
	int rc;

	if (len >= sizeof(copy) || strncmp(mcf, SCRYPT_MCF_ID "$", 4) != 0) {
		/* Malformed: still spend the same work before saying so. */
		memcpy(copy, password_dummy_hash, sizeof(password_dummy_hash));
		(void)libscrypt_check(copy, password);
		return -1;
	}
	/* libscrypt_check splits its argument in place: give it a copy. */
	memcpy(copy, mcf, len + 1);
	rc = libscrypt_check(copy, password);
	if (stored == NULL)
		return 0;
	if (rc < 0)
		return -1;
	return rc > 0;
}
