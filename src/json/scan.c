/*
 * scan.c: the strict RFC 8259 syntax check every JSON text we read passes
 * before json-c builds it (bodies, token segments, key sets).
 */
#include <stddef.h>
#include <string.h>

#include "json/json.h"
#include "text/text.h"

/*
 * A strict RFC 8259 syntax check, run before json-c builds the object:
 * json-c, even in strict mode, accepts single-quoted keys, NaN, Infinity,
 * "1." and raw control characters, turns a lone surrogate escape into
 * U+FFFD, which would hide it, and cuts a member name at an escaped U+0000,
 * so "title\u0000x" would be read as "title". Recursive descent, at most
 * depth_max deep.
 */
struct scan {
	const char *p, *end;
	int depth, depth_max;
	int lone_surrogate;
	int string_nul;		/* the string just scanned escapes U+0000 */
	int nul_name;		/* a member name escapes U+0000 */
	int too_deep;
	const char *key, *key_end;	/* the top-level member being scanned */
	const char *lone_key, *lone_key_end;	/* where the first lone surrogate was */
};

static void
scan_lone(struct scan *sc)
{
	if (!sc->lone_surrogate) {
		sc->lone_key = sc->key;
		sc->lone_key_end = sc->key_end;
	}
	sc->lone_surrogate = 1;
}

static int scan_value(struct scan *sc);

static void
scan_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
	    *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int
scan_hex4(struct scan *sc, unsigned *out)
{
	unsigned v = 0;

	if (sc->end - sc->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = text_hex_digit((unsigned char)sc->p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	sc->p += 4;
	*out = v;
	return 0;
}

static int
scan_string(struct scan *sc)
{
	unsigned cp, lo;

	sc->p++;	/* the opening quote */
	sc->string_nul = 0;
	while (sc->p < sc->end) {
		unsigned char ch = (unsigned char)*sc->p++;

		if (ch == '"')
			return 0;
		if (ch < 0x20)
			return -1;
		if (ch != '\\')
			continue;
		if (sc->p >= sc->end)
			return -1;
		ch = (unsigned char)*sc->p++;
		if (strchr("\"\\/bfnrt", ch) != NULL && ch != '\0')
			continue;
		if (ch != 'u' || scan_hex4(sc, &cp) != 0)
			return -1;
		if (cp == 0)
			sc->string_nul = 1;
		else if (cp >= 0xDC00 && cp <= 0xDFFF)
			scan_lone(sc);
		else if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (sc->end - sc->p >= 6 && sc->p[0] == '\\' &&
			    sc->p[1] == 'u') {
				sc->p += 2;
				if (scan_hex4(sc, &lo) != 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF) {
					scan_lone(sc);
					sc->p -= 6;	/* rescan it as its own escape */
				}
			} else
				scan_lone(sc);
		}
	}
	return -1;
}

static int
scan_number(struct scan *sc)
{
	const char *start;

	if (sc->p < sc->end && *sc->p == '-')
		sc->p++;
	if (sc->p >= sc->end)
		return -1;
	if (*sc->p == '0')
		sc->p++;
	else if (*sc->p >= '1' && *sc->p <= '9')
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
	else
		return -1;
	if (sc->p < sc->end && *sc->p == '.') {
		start = ++sc->p;
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
		if (sc->p == start)
			return -1;
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		start = sc->p;
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
		if (sc->p == start)
			return -1;
	}
	return 0;
}

static int
scan_literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return -1;
	sc->p += n;
	return 0;
}

/* An object or array: open, members separated by commas, close. */
static int
scan_container(struct scan *sc, char close)
{
	if (++sc->depth > sc->depth_max) {
		sc->too_deep = 1;
		return -1;
	}
	sc->p++;
	scan_ws(sc);
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		sc->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			const char *key = sc->p + 1;

			if (sc->p >= sc->end || *sc->p != '"')
				return -1;
			if (sc->depth == 1)
				sc->key = sc->key_end = NULL;
			if (scan_string(sc) != 0)
				return -1;
			if (sc->string_nul)
				sc->nul_name = 1;
			if (sc->depth == 1) {
				sc->key = key;
				sc->key_end = sc->p - 1;
			}
			scan_ws(sc);
			if (sc->p >= sc->end || *sc->p++ != ':')
				return -1;
		}
		if (scan_value(sc) != 0)
			return -1;
		scan_ws(sc);
		if (sc->p >= sc->end)
			return -1;
		if (*sc->p == close) {
			sc->p++;
			sc->depth--;
			return 0;
		}
		if (*sc->p++ != ',')
			return -1;
		scan_ws(sc);
	}
}

static int
scan_value(struct scan *sc)
{
	scan_ws(sc);
	if (sc->p >= sc->end)
		return -1;
	switch (*sc->p) {
	case '{': return scan_container(sc, '}');
	case '[': return scan_container(sc, ']');
	case '"': return scan_string(sc);
	case 't': return scan_literal(sc, "true");
	case 'f': return scan_literal(sc, "false");
	case 'n': return scan_literal(sc, "null");
	default: return scan_number(sc);
	}
}

int
json_syntax_check(const char *s, size_t len, int depth_max, char *field,
    size_t fieldlen)
{
	struct scan sc;
	size_t n;

	memset(&sc, 0, sizeof(sc));
	sc.p = s;
	sc.end = s + len;
	sc.depth_max = depth_max;

	if (field != NULL && fieldlen > 0)
		field[0] = '\0';
	if (scan_value(&sc) != 0)
		return sc.too_deep ? JSON_TOO_DEEP : JSON_INVALID;
	scan_ws(&sc);
	if (sc.p != sc.end)
		return JSON_INVALID;
	if (sc.nul_name)
		return JSON_NUL_NAME;
	if (!sc.lone_surrogate)
		return JSON_OK;
	/* Name the member only when its key is plain: a key is client text. */
	n = sc.lone_key != NULL ? (size_t)(sc.lone_key_end - sc.lone_key) : 0;
	if (field != NULL && n > 0 && n < fieldlen) {
		for (size_t i = 0; i < n; i++) {
			char ch = sc.lone_key[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '_'))
				return JSON_LONE_SURROGATE;
		}
		memcpy(field, sc.lone_key, n);
		field[n] = '\0';
	}
	return JSON_LONE_SURROGATE;
}
