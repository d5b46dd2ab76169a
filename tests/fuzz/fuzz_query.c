/*
 * fuzz_query: the query-string reader (request_query_get), checked against a
 * second, deliberately plain implementation of request.h's contract, for
 * the keys and buffer sizes the programs use and for a fuzzed key.
 *
 * Input: a key, a newline, then the query string (still percent-encoded).
 * Without a newline the whole input is the query.
 */
#include "fuzz.h"
#include "http/request.h"

/* request_query_get decodes keys into a buffer of this size (request.c). */
#define KEY_BYTES 64

static void check_key(const char *query, const char *key, size_t outlen);
static int model_get(const char *query, const char *key, char *out,
    size_t outlen);
static int model_decode(const char *s, size_t len, char *out, size_t *n);
static int model_hex(char ch);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_cstring(data, size);
	char *nl = memchr(copy, '\n', size);
	const char *key = "limit", *query = copy;

	if (nl != NULL) {
		*nl = '\0';
		key = copy;
		query = nl + 1;
	}
	/* What cgi-bin/tasks.c asks for, with its buffer sizes. */
	check_key(query, "completed", 8);
	check_key(query, "limit", 32);
	check_key(query, "offset", 32);
	/* The fuzzed key, with buffers from none to ample. */
	check_key(query, key, 1);
	check_key(query, key, 2);
	check_key(query, key, 32);
	check_key(query, key, 1024);
	free(copy);
	return 0;
}

static void
check_key(const char *query, const char *key, size_t outlen)
{
	char *out = malloc(outlen), *want = malloc(outlen);
	int n, m;

	FUZZ_CHECK(out != NULL && want != NULL);
	memset(out, 'X', outlen);
	n = request_query_get(query, key, out, outlen);
	m = model_get(query, key, want, outlen);
	FUZZ_CHECK(n == m);
	if (n >= 1) {
		/* The first value, decoded and terminated inside out. */
		FUZZ_CHECK(memchr(out, '\0', outlen) != NULL);
		FUZZ_CHECK(strcmp(out, want) == 0);
	}
	free(out);
	free(want);
}

/*
 * request.h: the count of pairs whose decoded key is key, -1 when the first
 * one's value is malformed or does not fit. A key that cannot be decoded,
 * or is longer than request_query_get's key buffer, is some other key.
 */
static int
model_get(const char *query, const char *key, char *out, size_t outlen)
{
	size_t qlen = strlen(query), start = 0;
	char *name = malloc(qlen + 1);
	int count = 0;

	FUZZ_CHECK(name != NULL);
	while (start <= qlen) {
		size_t end = start, eq, klen, dlen;

		while (end < qlen && query[end] != '&')
			end++;
		for (eq = start; eq < end && query[eq] != '='; eq++)
			;
		if (end > start &&
		    model_decode(query + start, eq - start, name, &klen) == 0 &&
		    klen < KEY_BYTES && strcmp(name, key) == 0 && ++count == 1) {
			size_t v = eq < end ? eq + 1 : end;

			if (model_decode(query + v, end - v, name, &dlen) != 0 ||
			    dlen >= outlen) {
				free(name);
				return -1;
			}
			memcpy(out, name, dlen + 1);
		}
		start = end + 1;
	}
	free(name);
	return count;
}

/* Percent-decoding with "+" as a space; a decoded NUL is malformed. */
static int
model_decode(const char *s, size_t len, char *out, size_t *n)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '+')
			ch = ' ';
		else if (ch == '%') {
			if (i + 2 >= len)
				return -1;
			if (model_hex(s[i + 1]) < 0 || model_hex(s[i + 2]) < 0)
				return -1;
			ch = (char)(model_hex(s[i + 1]) * 16 + model_hex(s[i + 2]));
			if (ch == '\0')
				return -1;
			i += 2;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	*n = o;
	return 0;
}

static int
model_hex(char ch)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (ch >= 'A' && ch <= 'F')
		ch = (char)(ch - 'A' + 'a');
	if (ch == '\0' || (p = strchr(digits, ch)) == NULL)
		return -1;
	return (int)(p - digits);
}
