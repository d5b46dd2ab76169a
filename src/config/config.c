/*
 * config.c: settings from the environment, then from an env file. A
 * program that cannot serve safely (no secret, a short one) refuses to
 * start, with a message that names the setting.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"
#include "jwks/jwks.h"
#include "text/text.h"

static const char *const config_keys[] = {
	"JWT_SECRET", "JWT_SECRET_PREVIOUS", "JWT_EXPIRES_IN", "JWT_ISSUER",
	"JWT_AUDIENCE", "CORS_ALLOWED_ORIGINS", "DATABASE_URL",
	"DATABASE_PREPARE", "JWT_JWKS_URL", "JWT_JWKS_FILE", "JWT_JWKS_ISSUER",
	"JWT_JWKS_AUDIENCE", "JWT_JWKS_ALGORITHMS", "JWT_JWKS_CACHE_FILE",
	"JWT_JWKS_CACHE_SECONDS", "JWT_JWKS_RETRY_SECONDS", NULL
};

/* A key set cached for more than a day would outlive any rotation. */
#define CONFIG_JWKS_SECONDS_MAX 86400L

/* An env file larger than this is not a configuration file. */
#define CONFIG_FILE_MAX (64 * 1024)

static int set_string(char **slot, const char *value);
static int load_file(struct config *cfg, const char *path, int required,
    char *err, size_t errlen);
static int file_pair(void *ctx, const char *key, const char *value);
static char *default_env_path(void);
static int open_jwks(struct config *cfg, char *err, size_t errlen);

struct file_ctx {
	struct config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

int
config_load(struct config *cfg, char *err, size_t errlen)
{
	const char *path;
	char *dflt = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->jwt_expires_in = CONFIG_DEFAULT_EXPIRES_IN;
	for (size_t i = 0; config_keys[i] != NULL; i++) {
		const char *v = getenv(config_keys[i]);

		if (v != NULL && config_set(cfg, config_keys[i], v, err, errlen) != 0)
			return -1;
	}
	path = getenv("TASKAPI_ENV_FILE");
	if (path != NULL && path[0] != '\0')
		rc = load_file(cfg, path, 1, err, errlen);
	else {
		dflt = default_env_path();
		rc = dflt != NULL ? load_file(cfg, dflt, 0, err, errlen) : 0;
		free(dflt);
	}
	if (rc != 0)
		return -1;
	return config_check(cfg, err, errlen);
}

int
config_check(struct config *cfg, char *err, size_t errlen)
{
	int jwks = cfg->jwt_jwks_url != NULL || cfg->jwt_jwks_file != NULL;

	/* With a JWKS and no secret, the issuer's tokens are the only ones. */
	if (cfg->jwt_secret == NULL && !jwks) {
		snprintf(err, errlen, "JWT_SECRET is not set: refusing to serve "
		    "(set it, or JWT_JWKS_URL for an external issuer's tokens)");
		return -1;
	}
	if (cfg->jwt_secret == NULL && cfg->jwt_secret_previous != NULL) {
		snprintf(err, errlen, "JWT_SECRET_PREVIOUS is set without "
		    "JWT_SECRET");
		return -1;
	}
	if (cfg->jwt_secret != NULL &&
	    strlen(cfg->jwt_secret) < CONFIG_SECRET_MIN) {
		snprintf(err, errlen, "JWT_SECRET must be at least %d bytes",
		    CONFIG_SECRET_MIN);
		return -1;
	}
	if (cfg->jwt_secret_previous != NULL &&
	    strlen(cfg->jwt_secret_previous) < CONFIG_SECRET_MIN) {
		snprintf(err, errlen, "JWT_SECRET_PREVIOUS must be at least %d bytes",
		    CONFIG_SECRET_MIN);
		return -1;
	}
	if (cfg->database_url == NULL &&
	    set_string(&cfg->database_url, CONFIG_DEFAULT_DATABASE_URL) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (jwks && cfg->jwks == NULL && open_jwks(cfg, err, errlen) != 0)
		return -1;
	return 0;
}

/*
 * API.md: a JWKS needs the issuer and audience its tokens must carry, so
 * neither another app's tokens nor Better Auth's session-cache cookie
 * (aud "better-auth:session-cache") pass as ours.
 */
static int
open_jwks(struct config *cfg, char *err, size_t errlen)
{
	struct jwks_settings s;
	char why[512];

	memset(&s, 0, sizeof(s));
	if (cfg->jwt_jwks_url != NULL && cfg->jwt_jwks_file != NULL) {
		snprintf(err, errlen, "JWT_JWKS_URL and JWT_JWKS_FILE are both "
		    "set: choose one");
		return -1;
	}
	if (cfg->jwt_jwks_issuer == NULL || cfg->jwt_jwks_audience == NULL) {
		snprintf(err, errlen, "JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE "
		    "are required with a JWKS (the iss and aud its tokens carry)");
		return -1;
	}
	if (cfg->jwt_jwks_url != NULL &&
	    strncasecmp(cfg->jwt_jwks_url, "https://", 8) != 0 &&
	    strncasecmp(cfg->jwt_jwks_url, "http://", 7) != 0) {
		snprintf(err, errlen, "JWT_JWKS_URL must be an http:// or "
		    "https:// URL");
		return -1;
	}
	if (cfg->jwt_jwks_algorithms != NULL &&
	    jwks_parse_algorithms(cfg->jwt_jwks_algorithms, &s.algorithms, err,
	    errlen) != 0)
		return -1;
	s.url = cfg->jwt_jwks_url;
	s.file = cfg->jwt_jwks_file;
	s.cache_file = cfg->jwt_jwks_cache_file;
	s.cache_seconds = cfg->jwt_jwks_cache_seconds;
	s.retry_seconds = cfg->jwt_jwks_retry_seconds;
	if ((cfg->jwks = jwks_open(&s, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg->jwt_secret);
	free(cfg->jwt_secret_previous);
	free(cfg->jwt_issuer);
	free(cfg->jwt_audience);
	free(cfg->cors_allowed_origins);
	free(cfg->database_url);
	free(cfg->jwt_jwks_url);
	free(cfg->jwt_jwks_file);
	free(cfg->jwt_jwks_issuer);
	free(cfg->jwt_jwks_audience);
	free(cfg->jwt_jwks_algorithms);
	free(cfg->jwt_jwks_cache_file);
	jwks_close(cfg->jwks);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_set(struct config *cfg, const char *key, const char *value, char *err,
    size_t errlen)
{
	char **slot = NULL;

	if (strcmp(key, "JWT_EXPIRES_IN") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v <= 0 ||
		    v > 10L * 365 * 86400) {
			snprintf(err, errlen, "JWT_EXPIRES_IN must be a positive "
			    "number of seconds (at most ten years)");
			return -1;
		}
		cfg->jwt_expires_in = v;
		return 0;
	}
	/* off: no prepared statements, for a transaction pool (db.h). */
	if (strcmp(key, "DATABASE_PREPARE") == 0) {
		if (strcmp(value, "off") != 0 && strcmp(value, "on") != 0 &&
		    value[0] != '\0') {
			snprintf(err, errlen, "DATABASE_PREPARE must be on or off");
			return -1;
		}
		cfg->database_unnamed = strcmp(value, "off") == 0;
		return 0;
	}
	if (strcmp(key, "JWT_JWKS_CACHE_SECONDS") == 0 ||
	    strcmp(key, "JWT_JWKS_RETRY_SECONDS") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v <= 0 ||
		    v > CONFIG_JWKS_SECONDS_MAX) {
			snprintf(err, errlen, "%s must be a number of seconds "
			    "from 1 to %ld", key, CONFIG_JWKS_SECONDS_MAX);
			return -1;
		}
		if (strcmp(key, "JWT_JWKS_CACHE_SECONDS") == 0)
			cfg->jwt_jwks_cache_seconds = v;
		else
			cfg->jwt_jwks_retry_seconds = v;
		return 0;
	}
	if (strcmp(key, "JWT_SECRET") == 0)
		slot = &cfg->jwt_secret;
	else if (strcmp(key, "JWT_SECRET_PREVIOUS") == 0)
		slot = &cfg->jwt_secret_previous;
	else if (strcmp(key, "JWT_ISSUER") == 0)
		slot = &cfg->jwt_issuer;
	else if (strcmp(key, "JWT_AUDIENCE") == 0)
		slot = &cfg->jwt_audience;
	else if (strcmp(key, "CORS_ALLOWED_ORIGINS") == 0)
		slot = &cfg->cors_allowed_origins;
	else if (strcmp(key, "DATABASE_URL") == 0)
		slot = &cfg->database_url;
	else if (strcmp(key, "JWT_JWKS_URL") == 0)
		slot = &cfg->jwt_jwks_url;
	else if (strcmp(key, "JWT_JWKS_FILE") == 0)
		slot = &cfg->jwt_jwks_file;
	else if (strcmp(key, "JWT_JWKS_ISSUER") == 0)
		slot = &cfg->jwt_jwks_issuer;
	else if (strcmp(key, "JWT_JWKS_AUDIENCE") == 0)
		slot = &cfg->jwt_jwks_audience;
	else if (strcmp(key, "JWT_JWKS_ALGORITHMS") == 0)
		slot = &cfg->jwt_jwks_algorithms;
	else if (strcmp(key, "JWT_JWKS_CACHE_FILE") == 0)
		slot = &cfg->jwt_jwks_cache_file;
	if (slot == NULL)
		return 0;
	/* An empty value means unset, as for a shell variable set to "". */
	if (value[0] == '\0') {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	if (set_string(slot, value) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

int
config_parse_env(const char *text, size_t len, config_pair_fn fn, void *ctx)
{
	char key[128], value[4096];
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *s = text + pos, *eol, *p, *v, *vend;
		size_t slen, klen, vlen;

		line++;
		eol = memchr(s, '\n', len - pos);
		slen = eol != NULL ? (size_t)(eol - s) : len - pos;
		pos += slen + (eol != NULL);
		if (slen > 0 && s[slen - 1] == '\r')
			slen--;
		if (memchr(s, '\0', slen) != NULL)
			return line;
		p = s;
		while (p < s + slen && (*p == ' ' || *p == '\t'))
			p++;
		if (p == s + slen || *p == '#')
			continue;
		if ((size_t)(s + slen - p) > 7 && strncmp(p, "export", 6) == 0 &&
		    (p[6] == ' ' || p[6] == '\t')) {
			p += 7;
			while (p < s + slen && (*p == ' ' || *p == '\t'))
				p++;
		}
		v = p;
		while (v < s + slen && (*v == '_' || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9')))
			v++;
		klen = (size_t)(v - p);
		if (klen == 0 || klen >= sizeof(key) || (*p >= '0' && *p <= '9'))
			return line;
		memcpy(key, p, klen);
		key[klen] = '\0';
		while (v < s + slen && (*v == ' ' || *v == '\t'))
			v++;
		if (v == s + slen || *v != '=')
			return line;
		v++;
		vend = s + slen;
		while (v < vend && (*v == ' ' || *v == '\t'))
			v++;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (v < vend && (*v == '"' || *v == '\'')) {
			if (vend - v < 2 || vend[-1] != *v)
				return line;
			v++;
			vend--;
		}
		vlen = (size_t)(vend - v);
		if (vlen >= sizeof(value))
			return line;
		memcpy(value, v, vlen);
		value[vlen] = '\0';
		if (fn(ctx, key, value) != 0)
			return 0;
	}
	return 0;
}

static int
file_pair(void *ctx, const char *key, const char *value)
{
	struct file_ctx *fc = ctx;

	/* The environment wins: the file only fills what it left unset. */
	if (getenv(key) != NULL)
		return 0;
	if (config_set(fc->cfg, key, value, fc->err, fc->errlen) != 0) {
		fc->failed = 1;
		return 1;
	}
	return 0;
}

static int
load_file(struct config *cfg, const char *path, int required, char *err,
    size_t errlen)
{
	struct file_ctx fc = { cfg, err, errlen, 0 };
	char *text;
	size_t len;
	FILE *f;
	int line;

	if ((f = fopen(path, "r")) == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read env file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	fclose(f);
	if (len > CONFIG_FILE_MAX) {
		free(text);
		snprintf(err, errlen, "env file %s is larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		return -1;
	}
	line = config_parse_env(text, len, file_pair, &fc);
	free(text);
	if (fc.failed)
		return -1;
	if (line != 0) {
		snprintf(err, errlen, "env file %s: line %d is not KEY=VALUE",
		    path, line);
		return -1;
	}
	return 0;
}

/* "taskapi.env" in the folder of the running program, or NULL. */
static char *
default_env_path(void)
{
	static const char name[] = "taskapi.env";
	char exe[PATH_MAX];
	ssize_t n;
	char *slash, *path;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	slash[1] = '\0';
	if ((path = malloc(strlen(exe) + sizeof(name))) == NULL)
		return NULL;
	strcpy(path, exe);
	strcat(path, name);
	return path;
}

int
config_origin_allowed(const struct config *cfg, const char *origin)
{
	const char *p = cfg->cors_allowed_origins, *item;
	size_t olen, n;

	if (p == NULL || origin == NULL || origin[0] == '\0')
		return 0;
	olen = strlen(origin);
	while (text_list_next(&p, &item, &n))
		if (n == olen && memcmp(item, origin, olen) == 0)
			return 1;
	return 0;
}
