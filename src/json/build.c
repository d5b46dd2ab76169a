/*
 * build.c: json-c's value of JSON text the scanner has passed, with the
 * surrogate pairs json-c 0.16 misreads mended first, and the typed reads
 * of its members: strings without U+0000, lengths in code points.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json/json.h"
#include "text/text.h"

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
static char *mend_pairs(const char *s, size_t *len, int *failed);
static int pair_at(const char *s, size_t room, unsigned *cp);

static char *
mend_pairs(const char *s, size_t *len, int *failed)
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
			int d = text_hex_digit((unsigned char)e[i]);

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

	mended = mend_pairs(s, &len, &failed);
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

enum json_text
json_member_text(struct json_object *obj, const char *key, size_t min, size_t max,
    const char **s, size_t *len)
{
	struct json_object *v;
	size_t count;

	if (!json_object_object_get_ex(obj, key, &v))
		return JSON_TEXT_MISSING;
	if (v == NULL)
		return JSON_TEXT_NULL;
	if (!json_object_is_type(v, json_type_string))
		return JSON_TEXT_NOT_STRING;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(*s, '\0', *len) != NULL || text_utf8_check(*s, *len, &count) != 0)
		return JSON_TEXT_BAD_TEXT;
	if (count < min)
		return JSON_TEXT_TOO_SHORT;
	if (count > max)
		return JSON_TEXT_TOO_LONG;
	return JSON_TEXT_OK;
}
