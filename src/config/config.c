/*
 * config.c: each setting parsed, defaulted and freed as settings.def says,
 * and the rules across settings. A program that cannot serve safely (no
 * secret, a short one) refuses to start, with a message that names the
 * setting. Where the values come from (the environment, an env file) is
 * load.c's.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "jwks/jwks.h"
#include "mail/mail.h"
#include "text/text.h"

/* settings.def's KIND column. */
enum setting_kind {
	SETTING_STRING,
	SETTING_SECRET,
	SETTING_INTEGER,
	SETTING_SWITCH
};

/* One row of settings.def; its member is at offset in struct config. */
struct setting {
	const char *name;
	enum setting_kind kind;
	size_t offset;
	const char *dflt;
	long min, max;
	const char *rule;
};

/*
 * struct config's members come from the same table (config.h), so each
 * offset holds the type its kind says: char * for a string or a secret,
 * long for an integer, int for a switch.
 */
static const struct setting settings[] = {
#define SETTING(name, kind, field, dflt, min, max, rule, meaning) \
	{ #name, SETTING_##kind, offsetof(struct config, field), dflt, min, \
	    max, rule },
#include "config/settings.def"
#undef SETTING
};

#define SETTINGS_COUNT (sizeof(settings) / sizeof(settings[0]))

/* What strtol, which read the numbers before, skipped in front of them. */
#define CONFIG_LEADING_SPACE " \t\n\v\f\r"

static const struct setting *setting_find(const char *key);
static void *setting_member(struct config *cfg, const struct setting *s);
static char **setting_text(struct config *cfg, const struct setting *s);
static int setting_unset(struct config *cfg, const struct setting *s);
static int set_text(struct config *cfg, const struct setting *s,
    const char *value, char *err, size_t errlen);
static int set_integer(struct config *cfg, const struct setting *s,
    const char *value, char *err, size_t errlen);
static int set_switch(struct config *cfg, const struct setting *s,
    const char *value, char *err, size_t errlen);
static int refuse(const struct setting *s, char *err, size_t errlen);
static int set_defaults(struct config *cfg, char *err, size_t errlen);
static int set_string(char **slot, const char *value);
static int open_jwks(struct config *cfg, char *err, size_t errlen);
static int check_mail(const struct config *cfg, char *err, size_t errlen);

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
	if (set_defaults(cfg, err, errlen) != 0 ||
	    check_mail(cfg, err, errlen) != 0)
		return -1;
	if (jwks && cfg->jwks == NULL && open_jwks(cfg, err, errlen) != 0)
		return -1;
	return 0;
}

/*
 * docs/API.md "External issuer settings": a JWKS needs the issuer and
 * audience its tokens must carry, so
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
	s.allow_http = cfg->jwt_jwks_allow_http;
	s.cache_seconds = cfg->jwt_jwks_cache_seconds;
	s.retry_seconds = cfg->jwt_jwks_retry_seconds;
	if ((cfg->jwks = jwks_open(&s, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/*
 * docs/API.md "Password reset": with SMTP_URL, a mail can be sent and
 * its link made, or the programs do not start. Without it the rest is
 * not looked at: password reset is off.
 */
static int
check_mail(const struct config *cfg, char *err, size_t errlen)
{
	char address[256];
	const char *u = cfg->password_reset_url;

	if (cfg->smtp_url == NULL)
		return 0;
	if (mail_url_check(cfg->smtp_url, err, errlen) != 0)
		return -1;
	if (cfg->smtp_from == NULL ||
	    mail_address(cfg->smtp_from, address, sizeof(address)) != 0) {
		snprintf(err, errlen, "SMTP_FROM must be an address (addr@host or "
		    "Name <addr@host>) when SMTP_URL is set");
		return -1;
	}
	if (u == NULL || strstr(u, CONFIG_RESET_TOKEN) == NULL ||
	    strpbrk(u, " \t\r\n") != NULL) {
		snprintf(err, errlen, "PASSWORD_RESET_URL must be a link holding "
		    CONFIG_RESET_TOKEN ", without spaces, when SMTP_URL is set");
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		char **slot = setting_text(cfg, &settings[i]);

		if (slot != NULL)
			free(*slot);
	}
	jwks_close(cfg->jwks);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_set(struct config *cfg, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct setting *s = setting_find(key);

	if (s == NULL)
		return 0;
	switch (s->kind) {
	case SETTING_INTEGER:
		return set_integer(cfg, s, value, err, errlen);
	case SETTING_SWITCH:
		return set_switch(cfg, s, value, err, errlen);
	case SETTING_STRING:
	case SETTING_SECRET:
		break;
	}
	return set_text(cfg, s, value, err, errlen);
}

/* A linear search: a few dozen names at most, once per key at start-up. */
static const struct setting *
setting_find(const char *key)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (strcmp(settings[i].name, key) == 0)
			return &settings[i];
	return NULL;
}

/* The setting's member of cfg, of the type its kind says (config.h). */
static void *
setting_member(struct config *cfg, const struct setting *s)
{
	return (char *)cfg + s->offset;
}

/* The member of a string setting, or NULL for the other kinds. */
static char **
setting_text(struct config *cfg, const struct setting *s)
{
	if (s->kind != SETTING_STRING && s->kind != SETTING_SECRET)
		return NULL;
	return setting_member(cfg, s);
}

/*
 * Whether the setting has no value yet: a NULL string, or an integer of 0,
 * which no INTEGER's bounds let in. A switch always has one (0 is its
 * default).
 */
static int
setting_unset(struct config *cfg, const struct setting *s)
{
	switch (s->kind) {
	case SETTING_INTEGER:
		return *(long *)setting_member(cfg, s) == 0;
	case SETTING_SWITCH:
		return 0;
	case SETTING_STRING:
	case SETTING_SECRET:
		break;
	}
	return *setting_text(cfg, s) == NULL;
}

static int
set_text(struct config *cfg, const struct setting *s, const char *value,
    char *err, size_t errlen)
{
	char **slot = setting_text(cfg, s);

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

/*
 * Decimal digits within the setting's bounds. strtol, which read these
 * before, also took leading white space and a plus sign, and an env file
 * or a systemd unit may hold " 600" or "+600": both are still taken. A
 * minus sign was refused by every lower bound, and still is.
 */
static int
set_integer(struct config *cfg, const struct setting *s, const char *value,
    char *err, size_t errlen)
{
	const char *p = value + strspn(value, CONFIG_LEADING_SPACE);
	long *member = setting_member(cfg, s);

	if (*p == '+')
		p++;
	if (text_parse_long(p, s->min, s->max, member) != TEXT_NUMBER_OK)
		return refuse(s, err, errlen);
	return 0;
}

/* on or off, or empty for the default; the member is 1 when not the default. */
static int
set_switch(struct config *cfg, const struct setting *s, const char *value,
    char *err, size_t errlen)
{
	int *member = setting_member(cfg, s);

	if (strcmp(value, "off") != 0 && strcmp(value, "on") != 0 &&
	    value[0] != '\0')
		return refuse(s, err, errlen);
	*member = value[0] != '\0' && strcmp(value, s->dflt) != 0;
	return 0;
}

static int
refuse(const struct setting *s, char *err, size_t errlen)
{
	/* settings.def gives every INTEGER and SWITCH its rule. */
	assert(s->rule != NULL);
	snprintf(err, errlen, "%s must be %s", s->name, s->rule);
	return -1;
}

/*
 * settings.def's defaults, for what neither the environment nor the file
 * set; they pass the same rules as a value read from either.
 */
static int
set_defaults(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		const struct setting *s = &settings[i];

		if (s->dflt != NULL && setting_unset(cfg, s) &&
		    config_set(cfg, s->name, s->dflt, err, errlen) != 0)
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
