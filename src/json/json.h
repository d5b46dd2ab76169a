/*
 * json.h: how every JSON text we read is checked and built (request bodies,
 * token segments, key sets): a strict RFC 8259 scanner first, then json-c,
 * then typed reads of members. Writing JSON is the response's job
 * (http/response.h).
 */
#ifndef TASKAPI_JSON_H
#define TASKAPI_JSON_H

#include <stddef.h>

struct json_object;

/*
 * Nesting beyond this is refused as invalid JSON (a body gets 400 "Invalid
 * JSON body", as for JSON that does not parse): our bodies and token
 * segments are flat.
 */
#define JSON_DEPTH_MAX 32

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
 * json-c's value for JSON text that json_syntax_check has passed with
 * depth_max, the surrogate pairs json-c misreads mended first: how every
 * JSON we read (bodies, token segments, key sets) is built. NULL if json-c
 * fails (no memory).
 */
struct json_object *json_build(const char *s, size_t len, int depth_max);

/* A member that is a string without U+0000 (json-c's C string would end
 * there), or NULL. */
const char *json_member_string(struct json_object *o, const char *name);

enum json_text {
	JSON_TEXT_OK = 0,
	JSON_TEXT_MISSING,	/* the key is absent */
	JSON_TEXT_NULL,		/* the value is JSON null */
	JSON_TEXT_NOT_STRING,
	JSON_TEXT_BAD_TEXT,	/* U+0000, a lone surrogate or bad UTF-8 */
	JSON_TEXT_TOO_SHORT,
	JSON_TEXT_TOO_LONG,
};

/*
 * Reads obj[key] as a string of min..max code points. On JSON_TEXT_OK, *s
 * and *len point into obj. Lengths are checked on the string as given.
 */
enum json_text json_member_text(struct json_object *obj, const char *key,
    size_t min, size_t max, const char **s, size_t *len);

#endif
