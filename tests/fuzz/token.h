/*
 * token.h: what the two token targets share: the settings tokens are
 * verified under, the fixed clock, and the checks every verdict must pass.
 * tests/fuzz/seed-tokens signs the token corpus with the same secrets.
 */
#ifndef TASKAPI_FUZZ_TOKEN_H
#define TASKAPI_FUZZ_TOKEN_H

#include "auth/token.h"
#include "http/body.h"
#include "config/config.h"
#include "fuzz.h"
#include "domain/user.h"
#include "text/text.h"

#include <unistd.h>

#define FUZZ_SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"
#define FUZZ_PREVIOUS "fuzz-previous-secret-0123456789abcdef012345"
#define FUZZ_ISSUER "https://issuer.example"
#define FUZZ_AUDIENCE "taskapi"
/* A fixed "now" keeps every run repeatable; the seeds' exp and nbf sit around it. */
#define FUZZ_NOW 1800000000L
/*
 * The external issuer of the JWKS deployment: one Ed25519 key, whose
 * private half (tests/fuzz/jwks-seed.pem) only signs the seeds.
 */
#define FUZZ_JWKS_ISSUER "http://localhost:3000"
#define FUZZ_JWKS_AUDIENCE "http://localhost:3000"
#define FUZZ_JWKS_KID "fuzzSeedKey0000000000000000000001"
#define FUZZ_JWKS_X "ATuMwwc1DpzEpIy2--rQm7Z5r0ZCtd4cG-7kMJNptdA"

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

static char fuzz_jwks_path[] = "/tmp/fuzz-jwks-XXXXXX";

static inline void
fuzz_token_jwks_remove(void)
{
	unlink(fuzz_jwks_path);
}

/*
 * A third deployment: the open one plus an external issuer's JWKS (a file
 * written once per process, removed at exit), as behind a Better Auth
 * front end.
 */
static inline const struct config *
fuzz_token_jwks_config(void)
{
	static struct config cfg;
	static int ready;
	char *path = fuzz_jwks_path, err[512];
	static const char set[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"" FUZZ_JWKS_X "\",\"alg\":\"EdDSA\","
	    "\"kid\":\"" FUZZ_JWKS_KID "\"}]}";
	int fd;

	if (ready)
		return &cfg;
	FUZZ_CHECK((fd = mkstemp(path)) >= 0);
	atexit(fuzz_token_jwks_remove);
	FUZZ_CHECK(write(fd, set, sizeof(set) - 1) == (ssize_t)(sizeof(set) - 1));
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_expires_in = CONFIG_DEFAULT_EXPIRES_IN;
	FUZZ_CHECK(config_set(&cfg, "JWT_SECRET", FUZZ_SECRET, err, sizeof(err)) == 0);
	FUZZ_CHECK(config_set(&cfg, "JWT_SECRET_PREVIOUS", FUZZ_PREVIOUS, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(config_set(&cfg, "JWT_JWKS_FILE", path, err, sizeof(err)) == 0);
	FUZZ_CHECK(config_set(&cfg, "JWT_JWKS_ISSUER", FUZZ_JWKS_ISSUER, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(config_set(&cfg, "JWT_JWKS_AUDIENCE", FUZZ_JWKS_AUDIENCE, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(config_check(&cfg, err, sizeof(err)) == 0);
	ready = 1;
	return &cfg;
}

/* Valid UTF-8, no U+0000, between min and max code points. */
static inline void
fuzz_token_text(const char *s, size_t bytes, size_t min, size_t max)
{
	size_t len, count;

	FUZZ_CHECK(memchr(s, '\0', bytes) != NULL);
	len = strlen(s);
	FUZZ_CHECK(text_utf8_check(s, len, &count) == 0);
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
