/*
 * body.c: JSON request bodies on json-c, with the checks json-c leaves to
 * us: strict UTF-8 on the raw bytes (400) and, inside strings, no U+0000
 * and no lone surrogates (422), lengths counted in code points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "body.h"
#include "request.h"

int
body_is_json_type(const char *ct)
{
	static const char media[] = "application/json";
	const char *p;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, media, sizeof(media) - 1) != 0)
		return 0;
	p = ct + sizeof(media) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	/* Parameters: only a UTF-8 charset may be named. */
	while (*p == ';') {
		const char *name, *val;
		size_t nlen, vlen;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		nlen = (size_t)(p - name);
		while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		if (*p != '=') {
			if (nlen != 0)
				return 0;
			continue;
		}
		val = ++p;
		while (*p != '\0' && *p != ';')
			p++;
		vlen = (size_t)(p - val);
		while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			vlen--;
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val++;
			vlen -= 2;
		}
		if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    !((vlen == 5 && strncasecmp(val, "utf-8", 5) == 0) ||
		    (vlen == 4 && strncasecmp(val, "utf8", 4) == 0)))
			return 0;
	}
	return *p == '\0';
}

int
utf8_check(const char *s, size_t len, size_t *count)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	size_t n = 0;

	while (p < end) {
		unsigned c = *p;
		size_t need;
		unsigned cp, min;

		if (c < 0x80) {
			p++;
			n++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else
			return -1;
		if ((size_t)(end - p) <= need)
			return -1;
		for (size_t i = 1; i <= need; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		p += need + 1;
		n++;
	}
	if (count != NULL)
		*count = n;
	return 0;
}

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
		char ch = sc->p[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0' :
		    ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
		    ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

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

/*
 * json-c 0.16 decodes an escaped surrogate pair wrongly when the code point
 * it stands for has its low 16 bits in D800-DFFF (U+1D800-U+1DFFF,
 * U+2D800-U+2DFFF, a part of CJK Extension F, and so on in every plane): it
 * tests the decoded code point for a surrogate without bounding it to 16
 * bits, and stores U+FFFD. So before json-c reads valid JSON, such pairs are
 * written as the four UTF-8 bytes they stand for. *len gets the new length.
 * Returns a copy to free, or NULL when there is nothing to rewrite (the
 * usual case, no copy) or no memory (*failed set).
 */
static int pair_at(const char *s, size_t room, unsigned *cp);

char *
json_mend_pairs(const char *s, size_t *len, int *failed)
{
	char *out = NULL, *o = NULL;
	int in_string = 0;
	unsigned cp;

	*failed = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;
		int found = 0;

		in_string = 0;
		while (i < *len) {
			size_t step = 1;

			if (s[i] == '"')
				in_string = !in_string;
			else if (in_string && s[i] == '\\') {
				step = i + 1 < *len && s[i + 1] == 'u' ? 6 : 2;
				if (pair_at(s + i, *len - i, &cp) &&
				    (cp & 0xF800) == 0xD800) {
					found = 1;
					if (o != NULL) {
						*o++ = (char)(0xF0 | cp >> 18);
						*o++ = (char)(0x80 | (cp >> 12 & 0x3F));
						*o++ = (char)(0x80 | (cp >> 6 & 0x3F));
						*o++ = (char)(0x80 | (cp & 0x3F));
					}
					i += 12;
					continue;
				}
			}
			if (step > *len - i)
				step = *len - i;
			if (o != NULL) {
				memcpy(o, s + i, step);
				o += step;
			}
			i += step;
		}
		if (pass == 0) {
			if (!found)
				return NULL;
			/* Each rewritten pair shrinks from 12 bytes to 4. */
			if ((out = o = malloc(*len + 1)) == NULL) {
				*failed = 1;
				return NULL;
			}
		}
	}
	*len = (size_t)(o - out);
	*o = '\0';
	return out;
}

/* Whether s starts with a \uD8xx\uDCxx escape pair; *cp is its code point. */
static int
pair_at(const char *s, size_t room, unsigned *cp)
{
	unsigned v[2] = { 0, 0 };

	if (room < 12)
		return 0;
	for (int k = 0; k < 2; k++) {
		const char *e = s + 6 * k;

		if (e[0] != '\\' || e[1] != 'u')
			return 0;
		for (int i = 2; i < 6; i++) {
			char ch = e[i];
			int d = ch >= '0' && ch <= '9' ? ch - '0' :
			    ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			    ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

			if (d < 0)
				return 0;
			v[k] = v[k] * 16 + (unsigned)d;
		}
	}
	if (v[0] < 0xD800 || v[0] > 0xDBFF || v[1] < 0xDC00 || v[1] > 0xDFFF)
		return 0;
	*cp = 0x10000 + ((v[0] - 0xD800) << 10) + (v[1] - 0xDC00);
	return 1;
}

struct json_object *
json_build(const char *s, size_t len, int depth_max)
{
	struct json_tokener *tok;
	struct json_object *o;
	char *mended;
	int failed;

	mended = json_mend_pairs(s, &len, &failed);
	if (failed || (tok = json_tokener_new_ex(depth_max + 1)) == NULL) {
		free(mended);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, mended != NULL ? mended : s, (int)len);
	if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(mended);
	return o;
}

const char *
json_member_string(struct json_object *o, const char *name)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

int
body_parse_object(const struct request *req, struct json_object **out,
    const char **detail)
{
	static char message[96];
	struct json_object *obj;
	char field[48];
	const char *p;

	*out = NULL;
	switch (req->body_state) {
	case BODY_OK:
		break;
	case BODY_TOO_LARGE:
		*detail = "Request body too large";
		return 413;
	case BODY_BAD_LENGTH:
	case BODY_SHORT:
		*detail = "Invalid JSON body";
		return 400;
	}
	if (!body_is_json_type(req->content_type)) {
		*detail = "Content-Type must be application/json";
		return 415;
	}
	*detail = "Invalid JSON body";
	if (req->body_len == 0 || utf8_check(req->body, req->body_len, NULL) != 0)
		return 400;
	switch (json_syntax_check(req->body, req->body_len, BODY_JSON_DEPTH_MAX,
	    field, sizeof(field))) {
	case JSON_OK:
		break;
	case JSON_TOO_DEEP:
		/* API.md has one 400 for bodies: JSON nested deeper than we
		 * parse is JSON that does not parse (and 100,000 "[" is not
		 * even well-formed). */
		return 400;
	case JSON_NUL_NAME:
		/* API.md: a string containing U+0000 is 422; a name is one. */
		*detail = "Field names must not contain U+0000";
		return 422;
	case JSON_LONE_SURROGATE:
		/* API.md: 422 names the field. One process serves one request at
		 * a time, so a static buffer is enough. */
		if (field[0] != '\0') {
			snprintf(message, sizeof(message),
			    "%s must not contain lone surrogates", field);
			*detail = message;
		} else
			*detail = "Strings must not contain lone surrogates";
		return 422;
	default:
		return 400;
	}
	for (p = req->body; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p != '{') {
		*detail = "Request body must be a JSON object";
		return 422;
	}
	/* The syntax is checked: json-c only builds the object. */
	obj = json_build(req->body, req->body_len, BODY_JSON_DEPTH_MAX);
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return 400;
	}
	*out = obj;
	return 0;
}

enum str_result
body_string(struct json_object *obj, const char *key, size_t min, size_t max,
    const char **s, size_t *len)
{
	struct json_object *v;
	size_t count;

	if (!json_object_object_get_ex(obj, key, &v))
		return STR_MISSING;
	if (v == NULL)
		return STR_NULL;
	if (!json_object_is_type(v, json_type_string))
		return STR_NOT_STRING;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(*s, '\0', *len) != NULL || utf8_check(*s, *len, &count) != 0)
		return STR_BAD_TEXT;
	if (count < min)
		return STR_TOO_SHORT;
	if (count > max)
		return STR_TOO_LONG;
	return STR_OK;
}

static int
is_ascii_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f' || ch == '\v';
}

void
ascii_trim(const char **s, size_t *len)
{
	while (*len > 0 && is_ascii_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ascii_space((*s)[*len - 1]))
		(*len)--;
}
