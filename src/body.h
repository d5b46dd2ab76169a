/*
 * body.h: JSON request bodies and the strings inside them, on json-c.
 * Implements API.md's body rules: 413, 415, 400 "Invalid JSON body", 422.
 */
#ifndef TASKAPI_BODY_H
#define TASKAPI_BODY_H

#include <stddef.h>

struct json_object;
struct request;

/*
 * Nesting beyond this is refused as invalid JSON (400 "Invalid JSON body",
 * as for JSON that does not parse): our bodies are flat.
 */
#define BODY_JSON_DEPTH_MAX 32

/*
 * Checks the request's body state and Content-Type, then parses the body as
 * one JSON object. Returns 0 with *out owned by the caller, or the HTTP
 * status (413, 415, 400, 422) with a constant message in *detail.
 */
int body_parse_object(const struct request *req, struct json_object **out,
    const char **detail);

enum json_check {
	JSON_OK = 0,
	JSON_INVALID,		/* not RFC 8259 JSON: 400 */
	JSON_TOO_DEEP,		/* nested past the limit: 400 */
	JSON_NUL_NAME,		/* valid, but a member name escapes U+0000: 422 */
	JSON_LONE_SURROGATE,	/* valid, but a string escapes a lone surrogate: 422 */
};

/*
 * Strict JSON syntax check of s[0..len), at most depth_max levels deep. On
 * JSON_LONE_SURROGATE, field (may be NULL) gets the top-level member's key
 * when it is a plain name, else "".
 */
int json_syntax_check(const char *s, size_t len, int depth_max, char *field,
    size_t fieldlen);

/*
 * For valid JSON s[0..*len): a copy in which the escaped surrogate pairs
 * json-c 0.16 would decode as U+FFFD are written as UTF-8 (*len updated), or
 * NULL when there are none (or no memory: *failed). Free the copy.
 */
char *json_mend_pairs(const char *s, size_t *len, int *failed);

/*
 * json-c's value for JSON text that json_syntax_check has passed with
 * depth_max, the surrogate pairs json-c misreads mended first: how every
 * JSON we read (bodies, token segments, key sets) is built. NULL if json-c
 * fails (no memory).
 */
struct json_object *json_build(const char *s, size_t len, int depth_max);
/* A member that is a string without U+0000 (json-c's C string would end
 * there), or NULL. */
const char *json_member_string(struct json_object *o, const char *name);
/* Whether a Content-Type header names application/json (charset utf-8 ok). */
int body_is_json_type(const char *content_type);

/*
 * Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. Returns
 * 0 and the code point count in *count (may be NULL), or -1.
 */
int utf8_check(const char *s, size_t len, size_t *count);

enum str_result {
	STR_OK = 0,
	STR_MISSING,		/* the key is absent */
	STR_NULL,		/* the value is JSON null */
	STR_NOT_STRING,
	STR_BAD_TEXT,		/* U+0000, a lone surrogate or bad UTF-8 */
	STR_TOO_SHORT,
	STR_TOO_LONG,
};

/*
 * Reads obj[key] as a string of min..max code points. On STR_OK, *s and
 * *len point into obj. Lengths are checked on the string as given.
 */
enum str_result body_string(struct json_object *obj, const char *key,
    size_t min, size_t max, const char **s, size_t *len);

/*
 * Narrows s[0..*len) past leading and trailing ASCII white space (space,
 * tab, LF, CR, FF, VT): API.md trims titles and emails this way.
 */
void ascii_trim(const char **s, size_t *len);

#endif
