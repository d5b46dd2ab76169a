/*
 * config.h: the settings of API.md's configuration table. The environment
 * wins; a KEY=VALUE env file fills in what the environment leaves unset, for
 * hosts where the environment cannot be set.
 */
#ifndef TASKAPI_CONFIG_H
#define TASKAPI_CONFIG_H

#include <stddef.h>

/* API.md: JWT_SECRET is an HS256 key of at least 32 bytes. */
#define CONFIG_SECRET_MIN 32
#define CONFIG_DEFAULT_EXPIRES_IN 86400L
/* API.md: "the local development database". */
#define CONFIG_DEFAULT_DATABASE_URL "postgresql:///taskapi"

struct jwks;

struct config {
	char *jwt_secret;
	char *jwt_secret_previous;	/* NULL when unset */
	long jwt_expires_in;
	char *jwt_issuer;		/* NULL when unset */
	char *jwt_audience;		/* NULL when unset */
	char *cors_allowed_origins;	/* comma-separated, NULL when unset */
	char *database_url;
	int database_unnamed;		/* DATABASE_PREPARE=off */
	/*
	 * An external issuer's public keys (API.md: JWT_JWKS_URL or
	 * JWT_JWKS_FILE, then JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE are
	 * required). NULL when unset; jwks is opened by config_check.
	 */
	char *jwt_jwks_url;
	char *jwt_jwks_file;
	char *jwt_jwks_issuer;
	char *jwt_jwks_audience;
	char *jwt_jwks_algorithms;	/* comma-separated allow-list */
	char *jwt_jwks_cache_file;
	long jwt_jwks_cache_seconds;	/* 0: the default */
	long jwt_jwks_retry_seconds;	/* 0: the default */
	struct jwks *jwks;
};

/*
 * Loads the configuration: environment first, then the env file named by
 * TASKAPI_ENV_FILE, else "taskapi.env" beside the program if it exists.
 * Returns 0, or -1 with a message in err for a setting the program cannot
 * serve with (neither JWT_SECRET nor a JWKS, a short secret, a bad number,
 * an unreadable file, a JWKS without its issuer and audience).
 */
int config_load(struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);

/*
 * The setter behind config_load, exposed so tests can build a config:
 * returns 0, or -1 with a message for a bad value. Unknown keys are ignored.
 */
int config_set(struct config *cfg, const char *key, const char *value,
    char *err, size_t errlen);
int config_check(struct config *cfg, char *err, size_t errlen);

/*
 * Parses env file text: lines of KEY=VALUE, blank lines, "#" comments, an
 * optional "export " prefix, and values optionally in matching single or
 * double quotes. Calls fn for each pair (key and value NUL-terminated; fn
 * returns nonzero to stop). Returns 0, or the 1-based number of the first
 * malformed line.
 */
typedef int (*config_pair_fn)(void *ctx, const char *key, const char *value);
int config_parse_env(const char *text, size_t len, config_pair_fn fn, void *ctx);

/* Whether origin is one of the comma-separated allowed origins, exactly. */
int config_origin_allowed(const struct config *cfg, const char *origin);
/*
 * The next item of a comma-separated setting (spaces and tabs around it
 * trimmed, possibly empty) at *start, *len; *p moves past it. Returns 0 at
 * the end of the list.
 */
int text_list_next(const char **p, const char **start, size_t *len);

#endif
