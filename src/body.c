/*
 * body.c: JSON request bodies on json-c, with the checks json-c leaves to
 * us: strict UTF-8 on the raw bytes (400) and, inside strings, no U+0000
 * and no lone surrogates (422), lengths counted in code points.
 */
#include <ctype.h>
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

int
body_parse_object(const struct request *req, struct json_object **out,
    const char **detail)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t used;

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
	if ((tok = json_tokener_new_ex(BODY_JSON_DEPTH_MAX)) == NULL)
		return 400;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Only white space may follow the value. */
	while (obj != NULL && used < req->body_len) {
		char ch = req->body[used++];

		if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
			json_object_put(obj);
			return 400;
		}
	}
	if (obj == NULL) {
		/* A bare literal such as null parses to NULL too: check it. */
		const char *p = req->body;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncmp(p, "null", 4) == 0) {
			p += 4;
			while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				p++;
			if (*p == '\0') {
				*detail = "Request body must be a JSON object";
				return 422;
			}
		}
		return 400;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		*detail = "Request body must be a JSON object";
		return 422;
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

const char *
body_to_string(struct json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
