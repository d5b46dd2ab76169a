/*
 * Unit: the table of settings (src/config/settings.def) as config_set and
 * config_check apply it: each kind's rule, its message, and the defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "config/config.h"
#include "jwks/jwks.h"

/* config_set's answer for key=value on cfg; its message goes to err. */
static int
set(struct config *cfg, const char *key, const char *value, char *err,
    size_t errlen)
{
	err[0] = '\0';
	return config_set(cfg, key, value, err, errlen);
}

Test(settings, integers_take_their_bounds_and_no_more)
{
	static const struct {
		const char *key, *max, *over, *message;
	} ints[] = {
		{ "JWT_EXPIRES_IN", "315360000", "315360001",
		    "JWT_EXPIRES_IN must be a positive number of seconds "
		    "(at most ten years)" },
		{ "JWT_JWKS_CACHE_SECONDS", "86400", "86401",
		    "JWT_JWKS_CACHE_SECONDS must be a number of seconds from 1 "
		    "to 86400" },
		{ "JWT_JWKS_RETRY_SECONDS", "86400", "86401",
		    "JWT_JWKS_RETRY_SECONDS must be a number of seconds from 1 "
		    "to 86400" },
	};
	const char *bad[] = { "0", "-1", "-0", "", " ", "+", "1 ", "1s", "0x10",
	    "1e3", "+-1", "99999999999999999999", NULL };
	struct config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cr_assert_eq(set(&cfg, ints[i].key, "1", err, sizeof(err)), 0);
		cr_assert_eq(set(&cfg, ints[i].key, ints[i].max, err,
		    sizeof(err)), 0, "%s=%s", ints[i].key, ints[i].max);
		cr_assert_eq(set(&cfg, ints[i].key, ints[i].over, err,
		    sizeof(err)), -1, "%s=%s", ints[i].key, ints[i].over);
		cr_assert_str_eq(err, ints[i].message);
		for (int b = 0; bad[b] != NULL; b++) {
			cr_assert_eq(set(&cfg, ints[i].key, bad[b], err,
			    sizeof(err)), -1, "%s='%s'", ints[i].key, bad[b]);
			cr_assert_str_eq(err, ints[i].message);
		}
		config_free(&cfg);
	}
}

/*
 * strtol read these before the table did: it skipped leading white space
 * and a plus sign, so " 600" and "+600" in an environment that works today
 * must keep working.
 */
Test(settings, integers_take_what_strtol_took)
{
	const char *good[] = { "600", "0600", " 600", "\t\n\v\f\r600", "+600",
	    "  +600", "000000000000000000000600", NULL };
	struct config cfg;
	char err[256];

	for (int i = 0; good[i] != NULL; i++) {
		memset(&cfg, 0, sizeof(cfg));
		cr_assert_eq(set(&cfg, "JWT_EXPIRES_IN", good[i], err,
		    sizeof(err)), 0, "'%s': %s", good[i], err);
		cr_assert_eq(cfg.jwt_expires_in, 600, "'%s'", good[i]);
		config_free(&cfg);
	}
	/* A refused value leaves the one before. */
	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "JWT_JWKS_CACHE_SECONDS", "60", err,
	    sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "JWT_JWKS_CACHE_SECONDS", "60 ", err,
	    sizeof(err)), -1);
	cr_assert_eq(cfg.jwt_jwks_cache_seconds, 60);
	config_free(&cfg);
}

Test(settings, strings_switches_and_unknown_keys)
{
	struct config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "JWT_ISSUER", "https://issuer.example", err,
	    sizeof(err)), 0);
	cr_assert_str_eq(cfg.jwt_issuer, "https://issuer.example");
	/* An empty string unsets, as a shell variable set to "". */
	cr_assert_eq(set(&cfg, "JWT_ISSUER", "", err, sizeof(err)), 0);
	cr_assert_null(cfg.jwt_issuer);
	/* Any other string is taken as it is, spaces and all. */
	cr_assert_eq(set(&cfg, "DATABASE_URL", " host=/x ", err,
	    sizeof(err)), 0);
	cr_assert_str_eq(cfg.database_url, " host=/x ");

	cr_assert_eq(set(&cfg, "DATABASE_PREPARE", "off", err, sizeof(err)), 0);
	cr_assert_eq(cfg.database_unnamed, 1);
	cr_assert_eq(set(&cfg, "DATABASE_PREPARE", "", err, sizeof(err)), 0);
	cr_assert_eq(cfg.database_unnamed, 0);
	cr_assert_eq(set(&cfg, "DATABASE_PREPARE", "off", err, sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "DATABASE_PREPARE", "on", err, sizeof(err)), 0);
	cr_assert_eq(cfg.database_unnamed, 0);
	cr_assert_eq(set(&cfg, "DATABASE_PREPARE", " off", err, sizeof(err)),
	    -1);
	cr_assert_str_eq(err, "DATABASE_PREPARE must be on or off");

	/* Not a setting: ignored, whatever its value. */
	cr_assert_eq(set(&cfg, "JWT_SECRETS", "", err, sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "jwt_expires_in", "x", err, sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "TASKAPI_ENV_FILE", "/x", err, sizeof(err)), 0);
	cr_assert_eq(err[0], '\0');
	config_free(&cfg);
}

Test(settings, defaults_fill_only_what_is_unset)
{
	struct config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "JWT_SECRET", "0123456789abcdef0123456789abcdef",
	    err, sizeof(err)), 0);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.jwt_expires_in, CONFIG_DEFAULT_EXPIRES_IN);
	cr_assert_str_eq(cfg.database_url, CONFIG_DEFAULT_DATABASE_URL);
	cr_assert_eq(cfg.database_unnamed, 0);
	cr_assert_eq(cfg.jwt_jwks_cache_seconds, JWKS_DEFAULT_CACHE_SECONDS);
	cr_assert_eq(cfg.jwt_jwks_retry_seconds, JWKS_DEFAULT_RETRY_SECONDS);
	cr_assert_null(cfg.jwt_issuer);
	cr_assert_null(cfg.jwt_secret_previous);
	cr_assert_null(cfg.jwks);
	config_free(&cfg);

	/* What was set stays; a string unset again gets its default back. */
	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "JWT_SECRET", "0123456789abcdef0123456789abcdef",
	    err, sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "JWT_EXPIRES_IN", "60", err, sizeof(err)), 0);
	cr_assert_eq(set(&cfg, "DATABASE_URL", "host=/mine", err, sizeof(err)),
	    0);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.jwt_expires_in, 60);
	cr_assert_str_eq(cfg.database_url, "host=/mine");
	cr_assert_eq(set(&cfg, "DATABASE_URL", "", err, sizeof(err)), 0);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.database_url, CONFIG_DEFAULT_DATABASE_URL);
	config_free(&cfg);
}
