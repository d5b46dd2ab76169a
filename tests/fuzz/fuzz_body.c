/*
 * fuzz_body: the JSON body validators on a fuzzed body: strict UTF-8
 * (text_utf8_check, against a table-driven model), the strict JSON scanner
 * (json_syntax_check), the whole body rule as a route runs it
 * (body_parse_object: our scanner and json-c must agree), then what the
 * routes read from the object: task fields (task_input_read, json_member_text),
 * emails (user_email_normalize) and a new password's strength
 * (strength_refusal). The object json-c built is compared,
 * member by member, with a second reading of the body's text.
 *
 * Input: the request body, as sent.
 */
#include <json-c/json.h>

#include "auth/strength.h"
#include "http/body.h"
#include "fuzz.h"
#include "http/request.h"
#include "domain/task.h"
#include "domain/user.h"
#include "text/text.h"
#include "json/json.h"

static int model_utf8(const unsigned char *s, size_t len, size_t *count);
static int first_is_brace(const char *s, size_t len);
static void check_members(const char *s, size_t len, struct json_object *obj);
static size_t model_string(const char *s, size_t len, size_t *pos, char *out);
static unsigned model_hex4(const char *s);
static void model_skip(const char *s, size_t len, size_t *pos);
static void model_ws(const char *s, size_t len, size_t *pos);
static void check_task(struct json_object *obj);
static void check_user(struct json_object *obj);
static void check_email(const char *in, size_t len);
static void check_text(const char *s, size_t len, size_t max);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_cstring(data, size);
	struct request r;
	struct json_object *obj = NULL;
	const char *detail = NULL;
	char field[48];
	size_t count = 0, want = 0;
	int utf8_ok, js, status, expect;

	utf8_ok = text_utf8_check(body, size, &count) == 0;
	FUZZ_CHECK(utf8_ok == (model_utf8(data, size, &want) == 0));
	FUZZ_CHECK(!utf8_ok || count == want);

	js = json_syntax_check(body, size, JSON_DEPTH_MAX, field,
	    sizeof(field));
	FUZZ_CHECK(js >= JSON_OK && js <= JSON_LONE_SURROGATE);
	FUZZ_CHECK(memchr(field, '\0', sizeof(field)) != NULL);
	/* A key is named in the 422 detail only when it is a plain name. */
	for (const char *p = field; *p != '\0'; p++)
		FUZZ_CHECK(js == JSON_LONE_SURROGATE && (*p == '_' ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')));

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.query = "";
	r.content_type = "application/json";
	r.body = body;
	r.body_len = size;
	r.body_state = BODY_OK;
	status = body_parse_object(&r, &obj, &detail);
	if (size == 0 || !utf8_ok || js == JSON_INVALID || js == JSON_TOO_DEEP)
		expect = 400;
	else if (js == JSON_LONE_SURROGATE || js == JSON_NUL_NAME ||
	    !first_is_brace(body, size))
		expect = 422;
	else
		expect = 0;	/* valid JSON, an object: json-c must build it */
	FUZZ_CHECK(status == expect);
	FUZZ_CHECK((status == 0) == (obj != NULL));
	FUZZ_CHECK(status == 0 || (detail != NULL && detail[0] != '\0'));
	if (obj != NULL) {
		FUZZ_CHECK(json_object_is_type(obj, json_type_object));
		check_members(body, size, obj);
		check_task(obj);
		check_user(obj);
		json_object_put(obj);
	}
	/* The email rule straight on the bytes, as a token's email meets it. */
	check_email(body, size);
	free(body);
	return 0;
}

/*
 * Unicode's table of well-formed byte sequences (3.9, table 3-7): for each
 * lead byte, the range of the second byte; later bytes are 80..BF.
 */
static int
model_utf8(const unsigned char *s, size_t len, size_t *count)
{
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t need;
		unsigned char lo = 0x80, hi = 0xBF;

		if (b <= 0x7F)
			need = 0;
		else if (b >= 0xC2 && b <= 0xDF)
			need = 1;
		else if (b == 0xE0) {
			need = 2;
			lo = 0xA0;
		} else if (b == 0xED) {
			need = 2;
			hi = 0x9F;
		} else if (b >= 0xE1 && b <= 0xEF)
			need = 2;
		else if (b == 0xF0) {
			need = 3;
			lo = 0x90;
		} else if (b == 0xF4) {
			need = 3;
			hi = 0x8F;
		} else if (b >= 0xF1 && b <= 0xF3)
			need = 3;
		else
			return -1;
		if (len - i - 1 < need)
			return -1;
		for (size_t k = 1; k <= need; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				return -1;
			lo = 0x80;
			hi = 0xBF;
		}
		i += need + 1;
		n++;
	}
	*count = n;
	return 0;
}

static int
first_is_brace(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i < len && s[i] == '{';
}

/*
 * The members of a body that passed every check, read again from its text:
 * json-c must hold each key (the last of duplicates wins) with the same
 * string value, and nothing else. A key json-c cannot hold (one with
 * U+0000: its keys are C strings) must have been refused before.
 */
static void
check_members(const char *s, size_t len, struct json_object *obj)
{
	char *key = malloc(len + 1), *value = malloc(len + 1);
	char *other = malloc(len + 1);
	size_t pos = 0, distinct = 0;

	FUZZ_CHECK(key != NULL && value != NULL && other != NULL);
	model_ws(s, len, &pos);
	FUZZ_CHECK(pos < len && s[pos] == '{');
	pos++;
	model_ws(s, len, &pos);
	while (pos < len && s[pos] == '"') {
		struct json_object *v;
		size_t klen, vlen = 0, start, next;
		int last = 1;

		klen = model_string(s, len, &pos, key);
		FUZZ_CHECK(memchr(key, '\0', klen) == NULL);
		model_ws(s, len, &pos);
		FUZZ_CHECK(pos < len && s[pos] == ':');
		pos++;
		model_ws(s, len, &pos);
		start = pos;
		FUZZ_CHECK(json_object_object_get_ex(obj, key, &v));
		if (s[pos] == '"')
			vlen = model_string(s, len, &pos, value);
		else
			model_skip(s, len, &pos);
		model_ws(s, len, &pos);
		if (pos < len && s[pos] == ',') {
			pos++;
			model_ws(s, len, &pos);
		}
		/* Whether a later member of the same name is the one json-c kept. */
		for (next = pos; next < len && s[next] == '"';) {
			size_t olen = model_string(s, len, &next, other);

			if (olen == klen && memcmp(other, key, klen) == 0)
				last = 0;
			model_ws(s, len, &next);
			next++;		/* the colon */
			model_ws(s, len, &next);
			model_skip(s, len, &next);
			model_ws(s, len, &next);
			if (next < len && s[next] == ',') {
				next++;
				model_ws(s, len, &next);
			}
		}
		if (!last)
			continue;
		distinct++;
		if (s[start] == '"') {
			FUZZ_CHECK(json_object_is_type(v, json_type_string));
			FUZZ_CHECK((size_t)json_object_get_string_len(v) == vlen);
			FUZZ_CHECK(memcmp(json_object_get_string(v), value, vlen) == 0);
		} else if (s[start] == 'n')
			FUZZ_CHECK(v == NULL);
		else if (s[start] == 't' || s[start] == 'f')
			FUZZ_CHECK(json_object_is_type(v, json_type_boolean) &&
			    json_object_get_boolean(v) == (s[start] == 't'));
		else if (s[start] == '{')
			FUZZ_CHECK(json_object_is_type(v, json_type_object));
		else if (s[start] == '[')
			FUZZ_CHECK(json_object_is_type(v, json_type_array));
		else
			FUZZ_CHECK(json_object_is_type(v, json_type_int) ||
			    json_object_is_type(v, json_type_double));
	}
	FUZZ_CHECK(pos < len && s[pos] == '}');
	FUZZ_CHECK((size_t)json_object_object_length(obj) == distinct);
	free(key);
	free(value);
	free(other);
}

/*
 * Decodes the JSON string at s[*pos] (its opening quote) into out, which
 * has room for len bytes, and returns its length. The scanner has passed
 * the text, so every escape is whole and every surrogate paired.
 */
static size_t
model_string(const char *s, size_t len, size_t *pos, char *out)
{
	size_t i = *pos + 1, o = 0;

	while (i < len && s[i] != '"') {
		unsigned cp;

		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		FUZZ_CHECK(i + 1 < len);
		switch (s[i + 1]) {
		case 'b': out[o++] = '\b'; i += 2; continue;
		case 'f': out[o++] = '\f'; i += 2; continue;
		case 'n': out[o++] = '\n'; i += 2; continue;
		case 'r': out[o++] = '\r'; i += 2; continue;
		case 't': out[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default: out[o++] = s[i + 1]; i += 2; continue;
		}
		FUZZ_CHECK(i + 6 <= len);
		cp = model_hex4(s + i + 2);
		i += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			FUZZ_CHECK(i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u');
			cp = 0x10000 + ((cp - 0xD800) << 10) +
			    (model_hex4(s + i + 2) - 0xDC00);
			i += 6;
		}
		if (cp < 0x80)
			out[o++] = (char)cp;
		else if (cp < 0x800) {
			out[o++] = (char)(0xC0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xE0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | cp >> 18);
			out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	FUZZ_CHECK(i < len);
	*pos = i + 1;
	out[o] = '\0';
	return o;
}

static unsigned
model_hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = s[i];

		v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' :
		    ch <= 'F' ? ch - 'A' + 10 : ch - 'a' + 10);
	}
	return v;
}

/* Skips one valid value: brackets are counted outside strings. */
static void
model_skip(const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	int depth = 0;

	do {
		FUZZ_CHECK(i < len);
		if (s[i] == '"') {
			for (i++; s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
			i++;
		} else if (s[i] == '}' || s[i] == ']') {
			depth--;
			i++;
		} else if (depth > 0)
			i++;	/* white space, a separator, a scalar's byte */
		else
			while (i < len && s[i] != '\0' && strchr(",}] \t\r\n", s[i]) == NULL)
				i++;
	} while (depth > 0);
	*pos = i;
}

static void
model_ws(const char *s, size_t len, size_t *pos)
{
	while (*pos < len && (s[*pos] == ' ' || s[*pos] == '\t' ||
	    s[*pos] == '\n' || s[*pos] == '\r'))
		(*pos)++;
}

/* docs/API.md "Task object": the task fields, under each of the three modes. */
static void
check_task(struct json_object *obj)
{
	static const enum task_mode modes[] = { TASK_CREATE, TASK_REPLACE,
	    TASK_PATCH };
	struct task_input in;
	const char *detail;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		detail = NULL;
		if (task_input_read(obj, modes[i], &in, &detail) != 0) {
			FUZZ_CHECK(detail != NULL && detail[0] != '\0');
			FUZZ_CHECK(in.title == NULL);
			continue;
		}
		FUZZ_CHECK(in.has_title || modes[i] == TASK_PATCH);
		FUZZ_CHECK(in.has_title == (in.title != NULL));
		if (in.has_title) {
			size_t len = strlen(in.title);
			const char *t = in.title;
			size_t tlen = len;

			check_text(in.title, len, TASK_TITLE_MAX);
			FUZZ_CHECK(len > 0);
			/* Trimmed already: trimming again changes nothing. */
			text_trim_ascii(&t, &tlen);
			FUZZ_CHECK(t == in.title && tlen == len);
		}
		if (modes[i] == TASK_REPLACE)
			FUZZ_CHECK(in.has_description && in.has_completed);
		if (in.description != NULL) {
			FUZZ_CHECK(in.has_description);
			check_text(in.description, strlen(in.description),
			    TASK_DESCRIPTION_MAX);
		}
		task_input_free(&in);
	}
}

/* What register and login read: an email and a password. */
static void
check_user(struct json_object *obj)
{
	const char *s;
	size_t len;

	char email[USER_EMAIL_BYTES];
	const char *e = NULL, *refusal;

	if (json_member_text(obj, "email", 1, (size_t)-1, &s, &len) == JSON_TEXT_OK) {
		FUZZ_CHECK(strlen(s) == len);
		check_email(s, len);
		if (user_email_normalize(s, len, email) == 0)
			e = email;
	}
	if (json_member_text(obj, "password", USER_PASSWORD_MIN, USER_PASSWORD_MAX,
	    &s, &len) == JSON_TEXT_OK) {
		FUZZ_CHECK(strlen(s) == len);
		check_text(s, len, USER_PASSWORD_MAX);
	}
	/* docs/API.md "Password rules": any string, one of the two answers. */
	if (json_member_text(obj, "password", 0, (size_t)-1, &s, &len) != JSON_TEXT_OK)
		s = NULL;
	refusal = strength_refusal("password", s, e);
	FUZZ_CHECK(refusal == NULL ||
	    strcmp(refusal, "Password is too common") == 0 ||
	    strcmp(refusal, "password must be a string of 8 to 128 characters") == 0);
	FUZZ_CHECK(s != NULL || refusal != NULL);
}

/* A normalised email: valid, lower-case, one inner "@", and stable. */
static void
check_email(const char *in, size_t len)
{
	char out[USER_EMAIL_BYTES], again[USER_EMAIL_BYTES];
	size_t n, ats = 0;

	if (user_email_normalize(in, len, out) != 0)
		return;
	n = strlen(out);
	check_text(out, n, USER_EMAIL_MAX);
	FUZZ_CHECK(n > 0 && out[0] != '@' && out[n - 1] != '@');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)out[i];

		FUZZ_CHECK(ch > 0x20 && ch != 0x7f && !(ch >= 'A' && ch <= 'Z'));
		ats += ch == '@';
	}
	FUZZ_CHECK(ats == 1);
	FUZZ_CHECK(user_email_normalize(out, n, again) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
}

/* Valid UTF-8 without U+0000, at most max code points. */
static void
check_text(const char *s, size_t len, size_t max)
{
	size_t count;

	FUZZ_CHECK(memchr(s, '\0', len) == NULL);
	FUZZ_CHECK(text_utf8_check(s, len, &count) == 0);
	FUZZ_CHECK(count <= max);
}
