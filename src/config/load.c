/*
 * load.c: where the settings come from. The environment first, then an
 * env file for hosts where the environment cannot be set: its format is
 * config_parse_env's, and it only fills in what the environment left
 * unset. Each value goes through config_set, the rules across settings
 * through config_check.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

/* settings.def's names: the variables looked up in the environment. */
static const char *const setting_names[] = {
#define SETTING(name, kind, field, dflt, min, max, rule, meaning) #name,
#include "config/settings.def"
#undef SETTING
};

#define SETTING_NAMES_COUNT (sizeof(setting_names) / sizeof(setting_names[0]))

/* An env file larger than this is not a configuration file. */
#define CONFIG_FILE_MAX (64 * 1024)
/*
 * The longest key and value of a line, NUL included. Keys are shell
 * names, well under; a value is one line of a small file.
 */
#define ENV_KEY_BYTES 128
#define ENV_VALUE_BYTES 4096

/* What one line of an env file holds. */
enum env_line {
	ENV_LINE_NOTHING,	/* blank, or a comment */
	ENV_LINE_PAIR,
	ENV_LINE_MALFORMED
};

static enum env_line env_line(const char *s, size_t slen, char *key,
    char *value);
static const char *skip_blanks(const char *p, const char *end);
static int is_name_byte(char ch);
static int load_file(struct config *cfg, const char *path, int required,
    char *err, size_t errlen);
static int file_pair(void *ctx, const char *key, const char *value);
static char *default_env_path(void);

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
	for (size_t i = 0; i < SETTING_NAMES_COUNT; i++) {
		const char *v = getenv(setting_names[i]);

		if (v != NULL && config_set(cfg, setting_names[i], v, err,
		    errlen) != 0)
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
config_parse_env(const char *text, size_t len, config_pair_fn fn, void *ctx)
{
	char key[ENV_KEY_BYTES], value[ENV_VALUE_BYTES];
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *s = text + pos, *eol;
		size_t slen;

		line++;
		eol = memchr(s, '\n', len - pos);
		slen = eol != NULL ? (size_t)(eol - s) : len - pos;
		pos += slen + (eol != NULL);
		if (slen > 0 && s[slen - 1] == '\r')
			slen--;
		switch (env_line(s, slen, key, value)) {
		case ENV_LINE_NOTHING:
			break;
		case ENV_LINE_PAIR:
			if (fn(ctx, key, value) != 0)
				return 0;
			break;
		case ENV_LINE_MALFORMED:
			return line;
		}
	}
	return 0;
}

/*
 * One line, its end of line gone, into key and value (buffers of
 * ENV_KEY_BYTES and ENV_VALUE_BYTES): [export ]KEY=VALUE with blanks
 * around each part, VALUE optionally in matching quotes. s need not be
 * NUL-terminated.
 */
static enum env_line
env_line(const char *s, size_t slen, char *key, char *value)
{
	const char *end = s + slen, *p, *v, *vend;
	size_t klen, vlen;

	if (memchr(s, '\0', slen) != NULL)
		return ENV_LINE_MALFORMED;
	p = skip_blanks(s, end);
	if (p == end || *p == '#')
		return ENV_LINE_NOTHING;
	/* Eight bytes at least: "export" and a blank, then a name. */
	if ((size_t)(end - p) > 7 && strncmp(p, "export", 6) == 0 &&
	    (p[6] == ' ' || p[6] == '\t'))
		p = skip_blanks(p + 7, end);
	for (v = p; v < end && is_name_byte(*v); v++)
		;
	klen = (size_t)(v - p);
	if (klen == 0 || klen >= ENV_KEY_BYTES || (*p >= '0' && *p <= '9'))
		return ENV_LINE_MALFORMED;
	memcpy(key, p, klen);
	key[klen] = '\0';
	v = skip_blanks(v, end);
	if (v == end || *v != '=')
		return ENV_LINE_MALFORMED;
	v = skip_blanks(v + 1, end);
	vend = end;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	if (v < vend && (*v == '"' || *v == '\'')) {
		if (vend - v < 2 || vend[-1] != *v)
			return ENV_LINE_MALFORMED;
		v++;
		vend--;
	}
	vlen = (size_t)(vend - v);
	if (vlen >= ENV_VALUE_BYTES)
		return ENV_LINE_MALFORMED;
	memcpy(value, v, vlen);
	value[vlen] = '\0';
	return ENV_LINE_PAIR;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A byte of a shell name: letters, digits, underscore (no digit first). */
static int
is_name_byte(char ch)
{
	return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9');
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

