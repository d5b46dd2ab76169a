/* Unit: configuration from the environment and the env file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "auth/password.h"
#include "config/config.h"

struct pairs {
	char keys[8][64];
	char values[8][256];
	int n;
};

static int
collect(void *ctx, const char *key, const char *value)
{
	struct pairs *p = ctx;

	cr_assert_lt(p->n, 8);
	snprintf(p->keys[p->n], sizeof(p->keys[0]), "%s", key);
	snprintf(p->values[p->n], sizeof(p->values[0]), "%s", value);
	p->n++;
	return 0;
}

static int
parse(const char *text, struct pairs *p)
{
	memset(p, 0, sizeof(*p));
	return config_parse_env(text, strlen(text), collect, p);
}

Test(env_file, pairs_comments_quotes_and_export)
{
	struct pairs p;

	cr_assert_eq(parse("# settings\n\nA=1\r\nexport B = two words \n"
	    "C=\"quoted # not a comment\"\nD='single'\nE=\nF=a=b\n  G=indented", &p), 0);
	cr_assert_eq(p.n, 7);
	cr_assert_str_eq(p.keys[0], "A");
	cr_assert_str_eq(p.values[0], "1");
	cr_assert_str_eq(p.keys[1], "B");
	cr_assert_str_eq(p.values[1], "two words");
	cr_assert_str_eq(p.values[2], "quoted # not a comment");
	cr_assert_str_eq(p.values[3], "single");
	cr_assert_str_eq(p.values[4], "");
	cr_assert_str_eq(p.values[5], "a=b");
	cr_assert_str_eq(p.keys[6], "G");
}

Test(env_file, malformed_lines_are_reported_by_number)
{
	struct pairs p;

	cr_assert_eq(parse("A=1\nnot a pair\n", &p), 2);
	cr_assert_eq(parse("A=1\n\n=value\n", &p), 3);
	cr_assert_eq(parse("1A=x\n", &p), 1);
	cr_assert_eq(parse("A=\"unterminated\n", &p), 1);
	cr_assert_eq(parse("A=\"mismatched'\n", &p), 1);
	cr_assert_eq(parse("A-B=1\n", &p), 1);
	cr_assert_eq(config_parse_env("A=1\0B=2\n", 8, collect, &p), 1);
}

static void
clear_env(void)
{
	/* Every setting the programs read, from the one table of them. */
	static const char *const keys[] = {
#define SETTING(NAME, KIND, field, dflt, min, max, rule, meaning) #NAME,
#include "config/settings.def"
#undef SETTING
		"TASKAPI_ENV_FILE",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		unsetenv(keys[i]);
}

static char *
write_file(const char *text)
{
	char *path = strdup("/tmp/taskapi-config-XXXXXX");
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Criterion runs each test in its own process, so the environment is ours. */
Test(config, environment_wins_over_the_file)
{
	struct config cfg;
	char err[256];
	char *path = write_file("JWT_SECRET=file-secret-0123456789abcdef0123456789\n"
	    "JWT_EXPIRES_IN=600\nDATABASE_URL=host=/file\n");

	clear_env();
	setenv("TASKAPI_ENV_FILE", path, 1);
	setenv("DATABASE_URL", "host=/env", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.jwt_secret, "file-secret-0123456789abcdef0123456789");
	cr_assert_eq(cfg.jwt_expires_in, 600);
	cr_assert_str_eq(cfg.database_url, "host=/env");
	config_free(&cfg);
	unlink(path);
	free(path);
}

Test(config, refuses_to_serve_without_a_strong_secret)
{
	struct config cfg;
	char err[256];

	clear_env();
	setenv("TASKAPI_ENV_FILE", "/nonexistent/taskapi.env", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cannot read env file") != NULL, "%s", err);
	config_free(&cfg);

	clear_env();
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "JWT_SECRET is not set") != NULL, "%s", err);
	config_free(&cfg);

	setenv("JWT_SECRET", "short", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "at least 32 bytes") != NULL, "%s", err);
	config_free(&cfg);
}

Test(config, defaults_and_bad_numbers)
{
	struct config cfg;
	char err[256];

	clear_env();
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	/* docs/API.md "Session tokens": access tokens last 900 s. */
	cr_assert_eq(cfg.jwt_expires_in, 900);
	cr_assert_eq(cfg.session_idle_seconds, 604800);
	cr_assert_eq(cfg.session_max_seconds, 2592000);
	cr_assert_str_eq(cfg.database_url, CONFIG_DEFAULT_DATABASE_URL);
	cr_assert_null(cfg.jwt_issuer);
	cr_assert_null(cfg.jwt_secret_previous);
	config_free(&cfg);

	const char *bad[] = { "0", "-5", "abc", "10s", "", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("JWT_EXPIRES_IN", bad[i], 1);
		cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1, "%s", bad[i]);
		config_free(&cfg);
	}
}

/*
 * docs/API.md "Configuration": PASSWORD_SCRYPT_LOG2_N is 10 to 17, the
 * range password_cost_set takes too; the error names it.
 */
Test(config, scrypt_cost_is_10_to_17)
{
	static const struct { const char *value; int ok; } cases[] = {
		{ "9", 0 }, { "10", 1 }, { "14", 1 }, { "17", 1 }, { "18", 0 },
	};
	struct config cfg;
	char err[256];

	clear_env();
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("PASSWORD_SCRYPT_LOG2_N", cases[i].value, 1);
		err[0] = '\0';
		if (cases[i].ok) {
			cr_expect_eq(config_load(&cfg, err, sizeof(err)), 0,
			    "%s: %s", cases[i].value, err);
			cr_expect_eq(password_cost_set(cfg.password_scrypt_log2_n),
			    0, "%s", cases[i].value);
		} else {
			cr_expect_eq(config_load(&cfg, err, sizeof(err)), -1,
			    "%s", cases[i].value);
			cr_expect(strstr(err, "a number from 10 to 17") != NULL,
			    "%s: %s", cases[i].value, err);
			cr_expect_eq(password_cost_set(atol(cases[i].value)), -1,
			    "%s", cases[i].value);
		}
		config_free(&cfg);
	}
	(void)password_cost_set(14);
}

Test(config, malformed_env_file_is_refused_with_its_line)
{
	struct config cfg;
	char err[256];
	char *path = write_file("# ok\nJWT_SECRET=0123456789abcdef0123456789abcdef\noops\n");

	clear_env();
	setenv("TASKAPI_ENV_FILE", path, 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 3") != NULL, "%s", err);
	config_free(&cfg);
	unlink(path);
	free(path);
}

Test(config, cors_origins_match_exactly)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_not(config_origin_allowed(&cfg, "http://localhost:3000"));
	cfg.cors_allowed_origins = strdup(" http://localhost:3000 ,https://app.example.com");
	cr_assert(config_origin_allowed(&cfg, "http://localhost:3000"));
	cr_assert(config_origin_allowed(&cfg, "https://app.example.com"));
	cr_assert_not(config_origin_allowed(&cfg, "http://localhost:300"));
	cr_assert_not(config_origin_allowed(&cfg, "http://localhost:30000"));
	cr_assert_not(config_origin_allowed(&cfg, "https://app.example.com.evil"));
	cr_assert_not(config_origin_allowed(&cfg, ""));
	cr_assert_not(config_origin_allowed(&cfg, NULL));
	config_free(&cfg);
}

/* README, behind pgbouncer: prepared statements unless DATABASE_PREPARE=off. */
Test(config, database_prepare_is_on_or_off)
{
	struct config cfg;
	char err[256];
	char *path = write_file("DATABASE_PREPARE=off\n");

	clear_env();
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.database_unnamed, 0);
	config_free(&cfg);

	setenv("TASKAPI_ENV_FILE", path, 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.database_unnamed, 1);
	config_free(&cfg);

	/* The environment wins over the file. */
	setenv("DATABASE_PREPARE", "on", 1);
	cr_assert_eq(config_load(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.database_unnamed, 0);
	config_free(&cfg);

	const char *bad[] = { "no", "OFF", "0", "off ", "true" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("DATABASE_PREPARE", bad[i], 1);
		cr_assert_eq(config_load(&cfg, err, sizeof(err)), -1, "%s", bad[i]);
		cr_assert(strstr(err, "DATABASE_PREPARE must be on or off") != NULL,
		    "%s", err);
		config_free(&cfg);
	}
	unlink(path);
	free(path);
}
