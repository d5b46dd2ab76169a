/*
 * config.h: the settings of docs/API.md "Configuration", listed once in
 * config/settings.def. The environment wins; a KEY=VALUE env file fills in
 * what the environment leaves unset, for hosts where the environment
 * cannot be set.
 */
#ifndef TASKAPI_CONFIG_H
#define TASKAPI_CONFIG_H

#include <stddef.h>

/* docs/API.md "Configuration": JWT_SECRET is an HS256 key of at least 32 bytes. */
#define CONFIG_SECRET_MIN 32
/*
 * docs/API.md "Session tokens": fifteen minutes (a session's refresh
 * token gets the next one), and ten years. Plain digits, no suffix:
 * settings.def spells the default and the bound in its messages with
 * CONFIG_TEXT.
 */
#define CONFIG_DEFAULT_EXPIRES_IN 900
#define CONFIG_EXPIRES_IN_MAX (10L * 365 * 86400)
/* A key set cached for more than a day would outlive any rotation. */
#define CONFIG_JWKS_SECONDS_MAX 86400
/*
 * docs/API.md "Configuration": PASSWORD_SCRYPT_LOG2_N's range, which
 * password_cost_set (auth/password.h) keeps too: 2^10 is the least N a
 * test instance needs, 2^17 (128 MiB a hash at r = 8) the most a worker
 * may take.
 */
#define CONFIG_SCRYPT_LOG2_N_MIN 10
#define CONFIG_SCRYPT_LOG2_N_MAX 17
/* docs/API.md "Configuration": "the local development database". */
#define CONFIG_DEFAULT_DATABASE_URL "postgresql:///taskapi"

/*
 * docs/API.md "Password reset": where PASSWORD_RESET_URL takes the token.
 */
#define CONFIG_RESET_TOKEN "{token}"

/* A macro's value as a string literal: 86400 becomes "86400". */
#define CONFIG_TEXT(x) CONFIG_TEXT_(x)
#define CONFIG_TEXT_(x) #x

struct jwks;

/* How settings.def's kinds are held: a string is NULL when unset. */
#define CONFIG_MEMBER_STRING char *
#define CONFIG_MEMBER_SECRET char *
#define CONFIG_MEMBER_INTEGER long
#define CONFIG_MEMBER_SWITCH int

/*
 * One member per setting, named by settings.def's field column (such as
 * jwt_secret, or database_unnamed for DATABASE_PREPARE=off), then what
 * config_check opens: the external issuer's key set, when one is set.
 */
struct config {
#define SETTING(name, kind, field, dflt, min, max, rule, meaning) \
	CONFIG_MEMBER_##kind field;
#include "config/settings.def"
#undef SETTING
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
 * returns 0, or -1 with "NAME must be ..." for a value settings.def's rule
 * refuses. An empty string unsets a string setting. Unknown keys are
 * ignored.
 */
int config_set(struct config *cfg, const char *key, const char *value,
    char *err, size_t errlen);
/*
 * Checks the rules across settings, gives every setting still unset its
 * default (settings.def) and opens the key set. Returns 0, or -1 with a
 * message.
 */
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

#endif
