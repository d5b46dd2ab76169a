/*
 * fuzz_env: the env-file parser (config_parse_env) on fuzzed file text,
 * each pair it yields applied with config_set and the result checked with
 * config_check and config_origin_allowed, as config_load does at start-up.
 * A second, line-by-line reading of config.h's format must find the same
 * pairs and the same first bad line, and the pairs must round-trip: written
 * back as KEY="VALUE" lines, they parse to the same pairs.
 *
 * Input: the env file's text.
 */
#include "config/config.h"
#include "fuzz.h"

/* load.c's buffers: a key under 128 bytes, a value under 4096. */
#define KEY_BYTES 128
#define VALUE_BYTES 4096

struct pairs {
	struct config cfg;
	char *text;		/* the pairs written back as KEY="VALUE" lines */
	size_t len, cap;
	size_t count;
	size_t replayed;	/* pairs seen again when parsing text */
	size_t stop_after;	/* 0: never stop */
};

static int model_parse(const char *text, size_t len, struct pairs *m);
static int is_blank(char ch);
static int on_pair(void *ctx, const char *key, const char *value);
static int on_replay(void *ctx, const char *key, const char *value);
static void append(struct pairs *p, const char *s, size_t n);
static void check_pair(const char *key, const char *value);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pairs p, again, model;
	char err[256];
	size_t lines = 1;
	int line, want;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&p, 0, sizeof(p));
	p.cfg.jwt_expires_in = CONFIG_DEFAULT_EXPIRES_IN;
	line = config_parse_env((const char *)data, size, on_pair, &p);
	/* 0, or the number of a line that exists. */
	FUZZ_CHECK(line >= 0 && (size_t)line <= lines);
	memset(&model, 0, sizeof(model));
	want = model_parse((const char *)data, size, &model);
	FUZZ_CHECK(line == want);
	FUZZ_CHECK(p.count == model.count && p.len == model.len);
	FUZZ_CHECK(p.len == 0 || memcmp(p.text, model.text, p.len) == 0);
	free(model.text);
	/* Serving needs a secret, or an external issuer's keys (a JWKS). */
	if (config_check(&p.cfg, err, sizeof(err)) == 0)
		FUZZ_CHECK((p.cfg.jwt_secret != NULL || p.cfg.jwks != NULL) &&
		    p.cfg.database_url != NULL);
	else
		FUZZ_CHECK(err[0] != '\0');
	(void)config_origin_allowed(&p.cfg, "https://app.example.com");
	(void)config_origin_allowed(&p.cfg, "http://localhost:3000");
	config_free(&p.cfg);

	/* The well-formed pairs, quoted, read back one for one. */
	memset(&again, 0, sizeof(again));
	again.text = p.text;
	again.count = p.count;
	FUZZ_CHECK(config_parse_env(p.text, p.len, on_replay, &again) == 0);
	FUZZ_CHECK(again.replayed == p.count);

	/* A callback that says stop is obeyed at once. */
	if (p.count > 0) {
		memset(&again, 0, sizeof(again));
		again.stop_after = 1;
		FUZZ_CHECK(config_parse_env((const char *)data, size, on_pair,
		    &again) == 0);
		FUZZ_CHECK(again.count == 1);
		config_free(&again.cfg);
		free(again.text);
	}
	free(p.text);
	return 0;
}

/*
 * config.h's format, read again a line at a time by index: the pairs go
 * into m->text as on_pair writes them. Returns what config_parse_env must.
 */
static int
model_parse(const char *text, size_t len, struct pairs *m)
{
	size_t start = 0;
	int line = 0;

	while (start < len) {
		size_t a = start, b = start, k, name;

		line++;
		while (b < len && text[b] != '\n')
			b++;
		start = b + 1;
		if (b > a && text[b - 1] == '\r')
			b--;
		if (memchr(text + a, '\0', b - a) != NULL)
			return line;
		while (a < b && is_blank(text[a]))
			a++;
		if (a == b || text[a] == '#')
			continue;
		/* "export NAME=..." needs a name after the blank. */
		if (b - a >= 8 && memcmp(text + a, "export", 6) == 0 &&
		    is_blank(text[a + 6])) {
			a += 7;
			while (a < b && is_blank(text[a]))
				a++;
		}
		for (k = a; k < b && (text[k] == '_' ||
		    (text[k] >= 'A' && text[k] <= 'Z') ||
		    (text[k] >= 'a' && text[k] <= 'z') ||
		    (text[k] >= '0' && text[k] <= '9')); k++)
			;
		if (k == a || k - a >= KEY_BYTES ||
		    (text[a] >= '0' && text[a] <= '9'))
			return line;
		name = a;
		for (a = k; a < b && is_blank(text[a]); a++)
			;
		if (a == b || text[a] != '=')
			return line;
		for (a++; a < b && is_blank(text[a]); a++)
			;
		while (b > a && is_blank(text[b - 1]))
			b--;
		if (a < b && (text[a] == '"' || text[a] == '\'')) {
			if (b - a < 2 || text[b - 1] != text[a])
				return line;
			a++;
			b--;
		}
		if (b - a >= VALUE_BYTES)
			return line;
		append(m, text + name, k - name);
		append(m, "=\"", 2);
		append(m, text + a, b - a);
		append(m, "\"\n", 2);
		m->count++;
	}
	return 0;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
on_pair(void *ctx, const char *key, const char *value)
{
	struct pairs *p = ctx;
	char err[256];

	check_pair(key, value);
	p->count++;
	append(p, key, strlen(key));
	append(p, "=\"", 2);
	append(p, value, strlen(value));
	append(p, "\"\n", 2);
	/* A bad value is the program's to refuse; it must say why. */
	err[0] = '\0';
	if (config_set(&p->cfg, key, value, err, sizeof(err)) != 0)
		FUZZ_CHECK(err[0] != '\0');
	return p->stop_after != 0 && p->count >= p->stop_after;
}

/* The replayed pairs come back in order, equal to what was written. */
static int
on_replay(void *ctx, const char *key, const char *value)
{
	struct pairs *p = ctx;
	const char *line = p->text;
	size_t klen = strlen(key), vlen = strlen(value);

	FUZZ_CHECK(p->replayed < p->count);
	for (size_t i = 0; i < p->replayed; i++)
		line = strchr(line, '\n') + 1;
	FUZZ_CHECK(strncmp(line, key, klen) == 0 && line[klen] == '=');
	FUZZ_CHECK(line[klen + 1] == '"');
	FUZZ_CHECK(strncmp(line + klen + 2, value, vlen) == 0);
	FUZZ_CHECK(strncmp(line + klen + 2 + vlen, "\"\n", 2) == 0);
	p->replayed++;
	return 0;
}

static void
append(struct pairs *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		size_t cap = (p->len + n + 1) * 2;
		char *text = realloc(p->text, cap);

		FUZZ_CHECK(text != NULL);
		p->text = text;
		p->cap = cap;
	}
	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
}

/* config.h: KEY is a shell name; VALUE is one line, within the buffers. */
static void
check_pair(const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	FUZZ_CHECK(klen > 0 && klen < KEY_BYTES);
	FUZZ_CHECK(!(key[0] >= '0' && key[0] <= '9'));
	for (size_t i = 0; i < klen; i++)
		FUZZ_CHECK(key[i] == '_' || (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= '0' && key[i] <= '9'));
	FUZZ_CHECK(vlen < VALUE_BYTES);
	FUZZ_CHECK(strchr(value, '\n') == NULL);
}
