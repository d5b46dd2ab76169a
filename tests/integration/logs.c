/*
 * Integration: secrets and tokens never reach a log. tests/run runs this
 * suite alone, after every other test, so it reads the logs of a whole run:
 * nginx's access and error logs, every route program's log, PostgreSQL's
 * log and the stack's own output. None may hold the signing secrets, a
 * token (every JWT starts with "eyJ", the base64 of '{"'), a bearer
 * credential, a refresh token the suite was given or a password reset
 * token the run's mails carried, or the SHA-256 of one: both are stored
 * only as a hash (docs/API.md "Session tokens",
 * docs/API.md "Password reset"), and the hash is as good as the token to
 * whoever reads the database with it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/sha.h>

#include "support/helpers.h"
#include "support/keys.h"

/* Whether needle occurs in the first len bytes of hay (which may hold NULs). */
static int
contains(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static int is_b64url(char c);

/* A sorted set of words of one width, looked up with bsearch. */
struct words {
	char **v;
	size_t n, cap;
};
/* Refresh and reset tokens (43 characters) and their hashes in hex (64). */
static struct words tokens, hashes;

static int
word_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
words_add(struct words *w, const char *s)
{
	if (w->n == w->cap) {
		w->cap = w->cap != 0 ? 2 * w->cap : 256;
		cr_assert_not_null(w->v = realloc(w->v, w->cap * sizeof(*w->v)));
	}
	cr_assert_not_null(w->v[w->n++] = strdup(s));
}

/* A token and its SHA-256 in hex, to the sets. */
static void
words_add_token(const char *token)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	words_add(&tokens, token);
	SHA256((const unsigned char *)token, strlen(token), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	words_add(&hashes, hex);
}

/*
 * The reset tokens of one mail's text: 43 base64url characters after
 * marker.
 */
static void
reset_tokens_after(const char *text, const char *marker)
{
	size_t skip = strlen(marker), n;
	char token[44];
	const char *p;

	for (p = text; (p = strstr(p, marker)) != NULL; p += skip) {
		for (n = 0; n < 44 && is_b64url(p[skip + n]); n++)
			;
		if (n != 43)
			continue;
		memcpy(token, p + skip, 43);
		token[43] = '\0';
		words_add_token(token);
	}
}

/*
 * The token of each password reset link the run's SMTP server received
 * (TASKAPI_TEST_SMTP_DIR, tests/support/smtp-sink.py): after "token=" in
 * the suite's links, after "#reset=" in the browser's, which open the
 * page (docs/API.md "The page").
 */
static void
reset_tokens_read(void)
{
	const char *dir = getenv("TASKAPI_TEST_SMTP_DIR");
	char path[8192];
	struct dirent *e;
	DIR *d;

	cr_assert(dir != NULL, "TASKAPI_TEST_SMTP_DIR is not set: run make test");
	cr_assert((d = opendir(dir)) != NULL, "no mail folder %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len;
		char *text;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cr_assert_not_null(text = key_read_file_len(path, &len), "%s", path);
		reset_tokens_after(text, "token=");
		reset_tokens_after(text, "#reset=");
		free(text);
	}
	closedir(d);
}

/*
 * Reads the run's refresh tokens (those the suite was given, sessions.c)
 * and their hashes, with the hashes the database still held at the end
 * (tests/run wrote them), and the reset tokens of the run's mails. Every
 * line of each file is one word.
 */
static void
words_read(void)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	char path[4096], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/refresh-tokens", run);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			cr_assert_eq(strlen(line), 43, "%s: %s", path, line);
			words_add_token(line);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/refresh-hashes", run);
	cr_assert_not_null(f = fopen(path, "r"), "tests/run wrote no %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		cr_assert_eq(strlen(line), 64, "%s: %s", path, line);
		words_add(&hashes, line);
	}
	fclose(f);
	reset_tokens_read();
	/* qsort's array may not be NULL, even empty (UBSan says so). */
	if (tokens.n > 0)
		qsort(tokens.v, tokens.n, sizeof(*tokens.v), word_cmp);
	if (hashes.n > 0)
		qsort(hashes.v, hashes.n, sizeof(*hashes.v), word_cmp);
}

static int
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Whether text holds a word of set (all width characters long): every
 * window of that width inside a run of base64url characters (hex is one
 * too) is looked up. O(bytes log words): most runs are short words.
 */
static int
holds_a_word(const char *text, size_t len, const struct words *set,
    size_t width)
{
	char window[65];
	const char *key = window;
	size_t i = 0, j;

	while (i < len && set->n > 0) {
		for (j = i; j < len && is_b64url(text[j]); j++)
			;
		for (size_t k = i; k + width <= j; k++) {
			memcpy(window, text + k, width);
			window[width] = '\0';
			if (bsearch(&key, set->v, set->n, sizeof(*set->v),
			    word_cmp) != NULL)
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

static void
scan(const char *path, size_t *bytes, int *files)
{
	const char *secrets[] = { getenv("JWT_SECRET"),
	    getenv("JWT_SECRET_PREVIOUS") };
	size_t len;
	char *text = key_read_file_len(path, &len);

	cr_assert_not_null(text, "cannot read %s", path);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		cr_assert(secrets[i] != NULL && strlen(secrets[i]) >= 32);
		cr_expect(!contains(text, len, secrets[i]),
		    "%s holds a signing secret", path);
	}
	cr_expect(!contains(text, len, "eyJ"), "%s holds a token", path);
	cr_expect(!contains(text, len, "Bearer "), "%s holds a credential", path);
	cr_expect(!holds_a_word(text, len, &tokens, 43),
	    "%s holds a refresh or reset token", path);
	cr_expect(!holds_a_word(text, len, &hashes, 64),
	    "%s holds a refresh or reset token's hash", path);
	*bytes += len;
	(*files)++;
	free(text);
}

/* Every file of a log folder. */
static void
scan_dir(const char *dir, size_t *bytes, int *files)
{
	char path[8192];
	struct dirent *e;
	DIR *d;

	cr_assert((d = opendir(dir)) != NULL, "no log folder %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		scan(path, bytes, files);
	}
	closedir(d);
}

Test(logs, hold_no_secret_and_no_token)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	char dir[4096], path[8192];
	size_t bytes = 0, min_bytes;
	int files = 0, min_files;

	cr_assert(run != NULL, "TASKAPI_TEST_RUN_DIR is not set: run make test");
	words_read();
	/* The matcher finds what it looks for, inside other text. */
	if (tokens.n > 0) {
		snprintf(path, sizeof(path), "token=%s, hash \\x%s.", tokens.v[0],
		    hashes.v[hashes.n - 1]);
		cr_assert(holds_a_word(path, strlen(path), &tokens, 43));
		cr_assert(holds_a_word(path, strlen(path), &hashes, 64));
		path[12] ^= 1;
		cr_assert_not(holds_a_word(path, strlen(path), &tokens, 43));
	}
	snprintf(dir, sizeof(dir), "%s/log", run);
	scan_dir(dir, &bytes, &files);
	/* The second instance, behind the external issuer alone. */
	snprintf(dir, sizeof(dir), "%s/jwks-only/log", run);
	scan_dir(dir, &bytes, &files);
	snprintf(path, sizeof(path), "%s/stack.log", run);
	scan(path, &bytes, &files);
	fprintf(stderr, "logs: scanned %d files, %zu bytes, for %zu refresh "
	    "and reset tokens and %zu hashes\n", files, bytes, tokens.n,
	    hashes.n);
	/* The run happened: nginx logged the suite's requests, and every
	 * route program and PostgreSQL have a log (through Apache, the
	 * programs' stderr is in its error log: tests/run says how many). A
	 * shorter run (the browser's session) says how much it logs at least. */
	min_bytes = getenv("TASKAPI_TEST_LOG_MIN_BYTES") != NULL ?
	    strtoul(getenv("TASKAPI_TEST_LOG_MIN_BYTES"), NULL, 10) : 20000;
	min_files = getenv("TASKAPI_TEST_LOG_FILES") != NULL ?
	    atoi(getenv("TASKAPI_TEST_LOG_FILES")) : 10;
	cr_expect_geq(files, min_files, "only %d log files", files);
	cr_expect_gt(bytes, min_bytes, "only %zu bytes of logs", bytes);
}
