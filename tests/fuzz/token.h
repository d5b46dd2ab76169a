/*
 * token.h: what the two token targets share: the settings tokens are
 * verified under, the fixed clock, and the checks every verdict must pass.
 * tests/fuzz/seed-tokens signs the token corpus with the same secrets.
 */
#ifndef TASKAPI_FUZZ_TOKEN_H
#define TASKAPI_FUZZ_TOKEN_H

#include "auth.h"
#include "body.h"
#include "config.h"
#include "fuzz.h"
#include "user.h"

#define FUZZ_SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"
#define FUZZ_PREVIOUS "fuzz-previous-secret-0123456789abcdef012345"
#define FUZZ_ISSUER "https://issuer.example"
#define FUZZ_AUDIENCE "taskapi"
/* A fixed "now" keeps every run repeatable; the seeds' exp and nbf sit around it. */
#define FUZZ_NOW 1800000000L

/*
 * Two deployments: one that checks only the signature and the times, one
 * that also requires an issuer and an audience.
 */
static inline void
fuzz_token_configs(struct config *open, struct config *strict)
{
	memset(open, 0, sizeof(*open));
	open->jwt_secret = (char *)FUZZ_SECRET;
	open->jwt_secret_previous = (char *)FUZZ_PREVIOUS;
	open->jwt_expires_in = CONFIG_DEFAULT_EXPIRES_IN;
	*strict = *open;
	strict->jwt_issuer = (char *)FUZZ_ISSUER;
	strict->jwt_audience = (char *)FUZZ_AUDIENCE;
}

/* Valid UTF-8, no U+0000, between min and max code points. */
static inline void
fuzz_token_text(const char *s, size_t bytes, size_t min, size_t max)
{
	size_t len, count;

	FUZZ_CHECK(memchr(s, '\0', bytes) != NULL);
	len = strlen(s);
	FUZZ_CHECK(utf8_check(s, len, &count) == 0);
	FUZZ_CHECK(count >= min && count <= max);
}

/*
 * A verdict and what it fills in: a known status; on success a usable
 * subject, and an email that is either absent or sane text.
 */
static inline void
fuzz_token_check(enum token_status st, const struct token_claims *c)
{
	FUZZ_CHECK(st >= TOKEN_OK && st <= TOKEN_NO_SUBJECT);
	FUZZ_CHECK(token_status_detail(st)[0] != '\0');
	if (st != TOKEN_OK)
		return;
	fuzz_token_text(c->subject, sizeof(c->subject), 1, TOKEN_SUBJECT_MAX);
	if (c->email[0] != '\0')
		fuzz_token_text(c->email, sizeof(c->email), 1, USER_EMAIL_MAX);
}

/*
 * The issuer and audience rules only take tokens away: whatever the strict
 * deployment accepts, the open one accepts with the same claims.
 */
static inline void
fuzz_token_compare(enum token_status open_st, const struct token_claims *open,
    enum token_status strict_st, const struct token_claims *strict)
{
	if (strict_st != TOKEN_OK)
		return;
	FUZZ_CHECK(open_st == TOKEN_OK);
	FUZZ_CHECK(strcmp(open->subject, strict->subject) == 0);
	FUZZ_CHECK(strcmp(open->email, strict->email) == 0);
}

#endif
