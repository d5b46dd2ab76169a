/*
 * Unit: request parsing, query strings, JSON bodies and their strings, the
 * task and email rules, and response serialisation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "http/body.h"
#include "http/request.h"
#include "http/response.h"
#include "domain/task.h"
#include "domain/user.h"
#include "text/text.h"
#include "json/json.h"

/* A fake FastCGI request: parameters and a body stream. */
struct fake {
	const char *const *params;	/* name, value, name, value, ..., NULL */
	const char *body;
	size_t len, pos;
	int chunk;			/* bytes per read, to test short reads */
};

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake *f = ctx;

	for (size_t i = 0; f->params[i] != NULL; i += 2)
		if (strcmp(f->params[i], name) == 0)
			return f->params[i + 1];
	return NULL;
}

static int
fake_read(void *ctx, char *buf, int n)
{
	struct fake *f = ctx;
	size_t left = f->len - f->pos;
	size_t take = (size_t)n < left ? (size_t)n : left;

	if (f->chunk > 0 && take > (size_t)f->chunk)
		take = (size_t)f->chunk;
	memcpy(buf, f->body + f->pos, take);
	f->pos += take;
	return (int)take;
}

static void
parse(struct request *r, const char *const *params, const char *body,
    size_t len)
{
	struct fake f = { params, body, len, 0, 7 };

	cr_assert_eq(request_parse(r, fake_param, fake_read, &f), 0);
}

Test(request, reads_parameters_and_body)
{
	const char *p[] = { "REQUEST_METHOD", "POST", "QUERY_STRING", "a=1",
	    "CONTENT_TYPE", "application/json", "CONTENT_LENGTH", "13",
	    "HTTP_AUTHORIZATION", "Bearer x", "TASK_ID", "abc", NULL };
	struct request r;

	parse(&r, p, "{\"title\":\"t\"}", 13);
	cr_assert_str_eq(r.method, "POST");
	cr_assert_str_eq(r.query, "a=1");
	cr_assert_str_eq(r.authorization, "Bearer x");
	cr_assert_str_eq(r.task_id, "abc");
	cr_assert_eq(r.body_state, BODY_OK);
	cr_assert_eq(r.body_len, 13);
	cr_assert_str_eq(r.body, "{\"title\":\"t\"}");
	request_free(&r);
}

Test(request, body_cap_and_content_length_checks)
{
	struct request r;
	size_t big = REQUEST_BODY_MAX + 1;
	char *body = malloc(big);
	char cl[32];

	memset(body, 'a', big);
	/* Exactly the cap is fine. */
	snprintf(cl, sizeof(cl), "%d", REQUEST_BODY_MAX);
	const char *p1[] = { "CONTENT_LENGTH", cl, NULL };
	parse(&r, p1, body, REQUEST_BODY_MAX);
	cr_assert_eq(r.body_state, BODY_OK);
	cr_assert_eq(r.body_len, REQUEST_BODY_MAX);
	request_free(&r);
	/* One byte more, announced: refused without reading. */
	snprintf(cl, sizeof(cl), "%zu", big);
	const char *p2[] = { "CONTENT_LENGTH", cl, NULL };
	parse(&r, p2, body, big);
	cr_assert_eq(r.body_state, BODY_TOO_LARGE);
	request_free(&r);
	/* One byte more, unannounced (no Content-Length): refused too. */
	const char *p3[] = { NULL };
	parse(&r, p3, body, big);
	cr_assert_eq(r.body_state, BODY_TOO_LARGE);
	request_free(&r);
	/* A lying Content-Length: shorter body than announced. */
	const char *p4[] = { "CONTENT_LENGTH", "100", NULL };
	parse(&r, p4, body, 10);
	cr_assert_eq(r.body_state, BODY_SHORT);
	request_free(&r);
	/* Not a number, negative, absurdly large. */
	const char *p5[] = { "CONTENT_LENGTH", "12a", NULL };
	parse(&r, p5, body, 3);
	cr_assert_eq(r.body_state, BODY_BAD_LENGTH);
	request_free(&r);
	const char *p6[] = { "CONTENT_LENGTH", "-1", NULL };
	parse(&r, p6, body, 3);
	cr_assert_eq(r.body_state, BODY_BAD_LENGTH);
	request_free(&r);
	const char *p7[] = { "CONTENT_LENGTH", "99999999999999999999999", NULL };
	parse(&r, p7, body, 3);
	cr_assert_eq(r.body_state, BODY_TOO_LARGE);
	request_free(&r);
	free(body);
}

Test(query, finds_decodes_and_counts)
{
	char v[32];

	cr_assert_eq(request_query_get("", "limit", v, sizeof(v)), 0);
	cr_assert_eq(request_query_get("limit=5", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "5");
	cr_assert_eq(request_query_get("a=1&limit=7&b", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "7");
	cr_assert_eq(request_query_get("limit=1&limit=2", "limit", v, sizeof(v)), 2);
	cr_assert_eq(request_query_get("limit=", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "");
	cr_assert_eq(request_query_get("limit", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "");
	cr_assert_eq(request_query_get("%6Cimit=%33", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "3");
	cr_assert_eq(request_query_get("limits=3&xlimit=4", "limit", v, sizeof(v)), 0);
	cr_assert_eq(request_query_get("&&limit=9&&", "limit", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "9");
	cr_assert_eq(request_query_get("q=a+b", "q", v, sizeof(v)), 1);
	cr_assert_str_eq(v, "a b");
}

Test(query, malformed_values_are_errors)
{
	char v[8];

	cr_assert_eq(request_query_get("limit=%", "limit", v, sizeof(v)), -1);
	cr_assert_eq(request_query_get("limit=%4", "limit", v, sizeof(v)), -1);
	cr_assert_eq(request_query_get("limit=%zz", "limit", v, sizeof(v)), -1);
	cr_assert_eq(request_query_get("limit=%00", "limit", v, sizeof(v)), -1);
	cr_assert_eq(request_query_get("limit=123456789", "limit", v, sizeof(v)), -1);
}

Test(body, content_type)
{
	cr_assert(body_is_json_type("application/json"));
	cr_assert(body_is_json_type("Application/JSON"));
	cr_assert(body_is_json_type("application/json; charset=utf-8"));
	cr_assert(body_is_json_type("application/json;charset=UTF-8"));
	cr_assert(body_is_json_type("application/json; charset=\"utf-8\""));
	cr_assert_not(body_is_json_type(NULL));
	cr_assert_not(body_is_json_type(""));
	cr_assert_not(body_is_json_type("text/plain"));
	cr_assert_not(body_is_json_type("application/jsonp"));
	cr_assert_not(body_is_json_type("application/json-patch+json"));
	cr_assert_not(body_is_json_type("application/json; charset=latin1"));
}

Test(body, utf8)
{
	size_t n;

	cr_assert_eq(text_utf8_check("", 0, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(text_utf8_check("h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(text_utf8_check("\xc0\xaf", 2, NULL), -1);		/* overlong */
	cr_assert_eq(text_utf8_check("\xed\xa0\x80", 3, NULL), -1);	/* surrogate */
	cr_assert_eq(text_utf8_check("\xf4\x90\x80\x80", 4, NULL), -1);	/* > U+10FFFF */
	cr_assert_eq(text_utf8_check("\xc3", 1, NULL), -1);		/* truncated */
	cr_assert_eq(text_utf8_check("\xff", 1, NULL), -1);
	cr_assert_eq(text_utf8_check("\x80", 1, NULL), -1);
}

static int
parse_body(const char *ct, const char *body, struct json_object **out,
    const char **detail)
{
	struct request r;

	memset(&r, 0, sizeof(r));
	r.content_type = ct;
	r.body = (char *)body;
	r.body_len = strlen(body);
	return body_parse_object(&r, out, detail);
}

Test(body, statuses_in_the_contract_order)
{
	struct json_object *o;
	const char *d;
	struct request r;

	memset(&r, 0, sizeof(r));
	r.body = "";
	r.body_state = BODY_TOO_LARGE;
	cr_assert_eq(body_parse_object(&r, &o, &d), 413);
	cr_assert_eq(parse_body("text/plain", "{}", &o, &d), 415);
	cr_assert_eq(parse_body(NULL, "{}", &o, &d), 415);
	cr_assert_eq(parse_body("application/json", "", &o, &d), 400);
	cr_assert_str_eq(d, "Invalid JSON body");
	cr_assert_eq(parse_body("application/json", "{", &o, &d), 400);
	cr_assert_eq(parse_body("application/json", "{\"a\":1} x", &o, &d), 400);
	cr_assert_eq(parse_body("application/json", "{'a':1}", &o, &d), 400);
	cr_assert_eq(parse_body("application/json", "{\"a\":1,}", &o, &d), 400);
	cr_assert_eq(parse_body("application/json", "{\"a\":\"\xff\"}", &o, &d), 400);
	cr_assert_eq(parse_body("application/json", "[1,2]", &o, &d), 422);
	cr_assert_str_eq(d, "Request body must be a JSON object");
	cr_assert_eq(parse_body("application/json", "\"s\"", &o, &d), 422);
	cr_assert_eq(parse_body("application/json", "12", &o, &d), 422);
	cr_assert_eq(parse_body("application/json", "null", &o, &d), 422);
	cr_assert_eq(parse_body("application/json", " {\"a\":1} \n", &o, &d), 0);
	cr_assert(json_object_is_type(o, json_type_object));
	json_object_put(o);
}

Test(body, strict_json_only)
{
	struct json_object *o;
	const char *d;
	const char *bad[] = { "{'a':1}", "{\"a\":NaN}", "{\"a\":-Infinity}",
	    "{\"a\":1.}", "{\"a\":01}", "{\"a\":\"\t\"}", "{a:1}",
	    "{\"a\":[1,]}", "{\"a\":\"\\x41\"}", "{\"a\":+1}", "{\"a\":1}/*c*/",
	    "{\"a\":tRue}", "{\"a\" 1}", "{\"a\":1,}", "{,}", "{\"a\":\"x}",
	    "{\"a\":\"\\u12\"}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":.5}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_body("application/json", bad[i], &o, &d), 400,
		    "%s", bad[i]);
	const char *good[] = { "{\"a\":-0.5e+10,\"b\":[true,false,null,{}],\"c\":\"\\u00e9\\n\"}",
	    "{\"pair\":\"\\ud83d\\ude00\",\"s\":\"\\/\\\\\\\"\"}", "{}" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(parse_body("application/json", good[i], &o, &d), 0,
		    "%s", good[i]);
		json_object_put(o);
	}
}

Test(body, lone_surrogates_are_422)
{
	struct json_object *o;
	const char *d;
	const char *lone[] = { "{\"t\":\"\\ud800\"}", "{\"t\":\"\\udc00\"}",
	    "{\"t\":\"\\ud800x\"}", "{\"t\":\"\\ud800\\u0041\"}",
	    "{\"t\":\"\\ude00\\ud83d\"}", "{\"\\ud800\":1}" };

	for (size_t i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
		cr_assert_eq(parse_body("application/json", lone[i], &o, &d), 422,
		    "%s", lone[i]);
		cr_assert_str_eq(d, i < 5 ? "t must not contain lone surrogates" :
		    "Strings must not contain lone surrogates");
	}
}

Test(body, deep_nesting_is_refused_not_crashed)
{
	size_t n = 100000;
	char *deep = malloc(n + 1);
	struct json_object *o;
	const char *d;
	int st;

	memset(deep, '[', n);
	deep[n] = '\0';
	cr_assert_eq(json_syntax_check(deep, n, JSON_DEPTH_MAX, NULL, 0),
	    JSON_TOO_DEEP);
	st = parse_body("application/json", deep, &o, &d);
	/*
	 * docs/API.md "Request bodies": JSON that does not parse is 400
	 * "Invalid JSON body".
	 */
	cr_assert_eq(st, 400);
	cr_assert_str_eq(d, "Invalid JSON body");
	/* Well-formed but deeper than the limit: the same answer. */
	memset(deep + n / 2, ']', n / 2);
	cr_assert_eq(parse_body("application/json", deep, &o, &d), 400);
	cr_assert_str_eq(d, "Invalid JSON body");
	free(deep);
}

Test(body, nul_in_a_member_name_is_422)
{
	struct json_object *o;
	const char *d;
	/* json-c would cut each name at U+0000 and read "title" (found by
	 * tests/fuzz/fuzz_body and by the hostile input tests). */
	const char *named[] = { "{\"title\\u0000\":\"x\"}",
	    "{\"\\u0000\":1,\"title\":\"t\"}",
	    "{\"title\":\"t\",\"a\":[{\"b\\u0000\":1}]}",
	    "{\"title\\u0000x\":\"shadow\"}",
	    "{\"title\":\"real\",\"title\\u0000\":\"shadow\"}",
	    "{\"title\":\"t\",\"o\":{\"a\\u0000\":1}}" };
	const char *value = "{\"t\":\"\\u0000\"}";

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		cr_assert_eq(json_syntax_check(named[i], strlen(named[i]),
		    JSON_DEPTH_MAX, NULL, 0), JSON_NUL_NAME, "%s", named[i]);
		cr_assert_eq(parse_body("application/json", named[i], &o, &d), 422,
		    "%s", named[i]);
		cr_assert_str_eq(d, "Field names must not contain U+0000");
	}
	/* In a value it is the field's own rule (json_member_text), not the scanner's. */
	cr_assert_eq(json_syntax_check(value, strlen(value), JSON_DEPTH_MAX,
	    NULL, 0), JSON_OK);
}

Test(body, strings_nul_surrogates_and_lengths)
{
	struct json_object *o = json_tokener_parse(
	    "{\"nul\":\"a\\u0000b\",\"ok\":\"h\\u00e9\","
	    "\"num\":1,\"nil\":null,\"pair\":\"\\ud83d\\ude00\"}");
	const char *s;
	size_t len;

	cr_assert_not_null(o);
	cr_assert_eq(json_member_text(o, "nul", 0, 100, &s, &len), JSON_TEXT_BAD_TEXT);
	cr_assert_eq(json_member_text(o, "ok", 2, 2, &s, &len), JSON_TEXT_OK);
	cr_assert_eq(len, 3);
	cr_assert_eq(json_member_text(o, "ok", 3, 9, &s, &len), JSON_TEXT_TOO_SHORT);
	cr_assert_eq(json_member_text(o, "ok", 0, 1, &s, &len), JSON_TEXT_TOO_LONG);
	cr_assert_eq(json_member_text(o, "pair", 1, 1, &s, &len), JSON_TEXT_OK);
	cr_assert_eq(json_member_text(o, "num", 0, 9, &s, &len), JSON_TEXT_NOT_STRING);
	cr_assert_eq(json_member_text(o, "nil", 0, 9, &s, &len), JSON_TEXT_NULL);
	cr_assert_eq(json_member_text(o, "gone", 0, 9, &s, &len), JSON_TEXT_MISSING);
	json_object_put(o);
}

/*
 * json-c 0.16 reads an escaped surrogate pair whose code point has its low
 * 16 bits in D800-DFFF as U+FFFD (here U+2D800, in CJK Extension F, and
 * U+1DE00): the body parser writes those pairs as UTF-8 first, and leaves
 * every other escape, and text that only looks like one, alone.
 */
Test(body, surrogate_pairs_json_c_misreads_are_kept)
{
	static const char body[] = "{\"t\":\"a\\ud876\\udc00b\\ud837\\ude00\","
	    "\"e\":\"\\ud83d\\ude00\",\"lit\":\"\\\\ud876\\\\udc00\"}";
	struct request req;
	struct json_object *o = NULL, *v;
	const char *detail;

	memset(&req, 0, sizeof(req));
	req.content_type = "application/json";
	req.body = (char *)body;
	req.body_len = sizeof(body) - 1;
	req.body_state = BODY_OK;
	cr_assert_eq(body_parse_object(&req, &o, &detail), 0);
	cr_assert(json_object_object_get_ex(o, "t", &v));
	cr_assert_str_eq(json_object_get_string(v),
	    "a\xF0\xAD\xA0\x80" "b\xF0\x9D\xB8\x80");
	cr_assert(json_object_object_get_ex(o, "e", &v));
	cr_assert_str_eq(json_object_get_string(v), "\xF0\x9F\x98\x80");
	/* An escaped backslash then "ud876": text, not an escape. */
	cr_assert(json_object_object_get_ex(o, "lit", &v));
	cr_assert_str_eq(json_object_get_string(v), "\\ud876\\udc00");
	json_object_put(o);
}

static int
read_task(const char *json, enum task_mode mode, struct task_input *in,
    const char **d)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	cr_assert_not_null(o, "%s", json);
	rc = task_input_read(o, mode, in, d);
	/* description points into the body: compare before releasing it. */
	if (rc == 0 && in->description != NULL)
		in->description = strdup(in->description);
	json_object_put(o);
	return rc;
}

Test(task_input, create_rules)
{
	struct task_input in;
	const char *d;

	cr_assert_eq(read_task("{\"title\":\"  Buy milk \\t\\n\"}", TASK_CREATE, &in, &d), 0);
	cr_assert_str_eq(in.title, "Buy milk");
	cr_assert_not(in.has_completed);
	cr_assert_null(in.description);
	task_input_free(&in);
	cr_assert_eq(read_task("{}", TASK_CREATE, &in, &d), -1);
	cr_assert_str_eq(d, "title is required");
	cr_assert_eq(read_task("{\"title\":\"   \"}", TASK_CREATE, &in, &d), -1);
	cr_assert_str_eq(d, "title must be 1 to 255 characters");
	cr_assert_eq(read_task("{\"title\":null}", TASK_CREATE, &in, &d), -1);
	cr_assert_eq(read_task("{\"title\":5}", TASK_CREATE, &in, &d), -1);
	cr_assert_str_eq(d, "title must be a string");
	cr_assert_eq(read_task("{\"title\":\"t\",\"is_completed\":1}", TASK_CREATE, &in, &d), -1);
	cr_assert_str_eq(d, "is_completed must be a boolean");
	cr_assert_eq(read_task("{\"title\":\"t\",\"is_completed\":\"true\"}", TASK_CREATE, &in, &d), -1);
	cr_assert_eq(read_task("{\"title\":\"t\",\"is_completed\":null}", TASK_CREATE, &in, &d), -1);
	cr_assert_eq(read_task("{\"title\":\"t\",\"description\":7}", TASK_CREATE, &in, &d), -1);
	cr_assert_str_eq(d, "description must be a string or null");
	cr_assert_eq(read_task("{\"title\":\"t\\u0000\"}", TASK_CREATE, &in, &d), -1);
}

Test(task_input, lengths_count_code_points)
{
	struct task_input in;
	const char *d;
	char json[4096 + 64];
	char title[255 * 4 + 1] = "";

	for (int i = 0; i < 255; i++)
		strcat(title, "\xf0\x9f\x98\x80");
	snprintf(json, sizeof(json), "{\"title\":\"%s\"}", title);
	cr_assert_eq(read_task(json, TASK_CREATE, &in, &d), 0);
	task_input_free(&in);
	snprintf(json, sizeof(json), "{\"title\":\"%sx\"}", title);
	cr_assert_eq(read_task(json, TASK_CREATE, &in, &d), -1);
}

Test(task_input, put_defaults_and_patch_subsets)
{
	struct task_input in;
	const char *d;

	cr_assert_eq(read_task("{\"title\":\"t\"}", TASK_REPLACE, &in, &d), 0);
	cr_assert(in.has_description);
	cr_assert_null(in.description);
	cr_assert(in.has_completed);
	cr_assert_not(in.completed);
	task_input_free(&in);
	cr_assert_eq(read_task("{\"description\":\"d\"}", TASK_REPLACE, &in, &d), -1);

	cr_assert_eq(read_task("{}", TASK_PATCH, &in, &d), 0);
	cr_assert_not(in.has_title);
	cr_assert_not(in.has_description);
	cr_assert_not(in.has_completed);
	task_input_free(&in);
	cr_assert_eq(read_task("{\"description\":null,\"is_completed\":true}", TASK_PATCH, &in, &d), 0);
	cr_assert(in.has_description);
	cr_assert_null(in.description);
	cr_assert(in.has_completed && in.completed);
	task_input_free(&in);
	cr_assert_eq(read_task("{\"title\":null}", TASK_PATCH, &in, &d), -1);
	cr_assert_eq(read_task("{\"id\":\"x\",\"user_id\":\"y\",\"created_at\":1,\"other\":[]}",
	    TASK_PATCH, &in, &d), 0);
	task_input_free(&in);
}

Test(task_input, id_shape)
{
	cr_assert(task_id_valid("123e4567-e89b-12d3-a456-426614174000"));
	cr_assert(task_id_valid("123E4567-E89B-12D3-A456-426614174000"));
	cr_assert_not(task_id_valid(NULL));
	cr_assert_not(task_id_valid(""));
	cr_assert_not(task_id_valid("not-a-uuid"));
	cr_assert_not(task_id_valid("123e4567e89b12d3a456426614174000"));
	cr_assert_not(task_id_valid("123e4567-e89b-12d3-a456-42661417400g"));
	cr_assert_not(task_id_valid("123e4567-e89b-12d3-a456-4266141740000"));
	cr_assert_not(task_id_valid("{123e4567-e89b-12d3-a456-426614174000}"));
}

Test(email, normalisation_and_rules)
{
	char out[USER_EMAIL_BYTES];
	char longest[300];

	cr_assert_eq(user_email_normalize("  Ada@Example.COM\t", 18, out), 0);
	cr_assert_str_eq(out, "ada@example.com");
	cr_assert_eq(user_email_normalize("\xc3\x89mile@exemple.fr", 17, out), 0);
	cr_assert_str_eq(out, "\xc3\x89mile@exemple.fr");	/* non-ASCII kept */
	cr_assert_eq(user_email_normalize("", 0, out), -1);
	cr_assert_eq(user_email_normalize("plain", 5, out), -1);
	cr_assert_eq(user_email_normalize("@example.com", 12, out), -1);
	cr_assert_eq(user_email_normalize("ada@", 4, out), -1);
	cr_assert_eq(user_email_normalize("a@b@c", 5, out), -1);
	cr_assert_eq(user_email_normalize("a b@c.d", 7, out), -1);
	/* 254 characters is the most. */
	memset(longest, 'a', 254);
	memcpy(longest + 254 - 12, "@example.com", 12);
	cr_assert_eq(user_email_normalize(longest, 254, out), 0);
	memset(longest, 'a', 255);
	memcpy(longest + 255 - 12, "@example.com", 12);
	cr_assert_eq(user_email_normalize(longest, 255, out), -1);
}

static int
collect(void *ctx, const char *buf, size_t n)
{
	char **acc = ctx;
	size_t have = *acc != NULL ? strlen(*acc) : 0;

	*acc = realloc(*acc, have + n + 1);
	memcpy(*acc + have, buf, n);
	(*acc)[have + n] = '\0';
	return 0;
}

Test(response, cgi_serialisation)
{
	struct response res;
	char *out = NULL;

	response_init(&res);
	response_header(&res, "Location", "/api/tasks/%s", "abc");
	response_error(&res, 404, "Task not found");
	cr_assert_eq(response_write(&res, collect, &out), 0);
	/* docs/API.md "General": nosniff, and no-store unless said. */
	cr_assert_str_eq(out, "Status: 404 Not Found\r\nLocation: /api/tasks/abc\r\n"
	    "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
	    "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
	    "{\"detail\":\"Task not found\"}");
	free(out);
	out = NULL;
	response_reset(&res);
	response_empty(&res, 204);
	cr_assert_eq(response_write(&res, collect, &out), 0);
	cr_assert_str_eq(out, "Status: 204 No Content\r\n"
	    "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n");
	free(out);
	out = NULL;
	/* A Cache-Control of the answer's own is the only one, in any case. */
	response_reset(&res);
	response_header(&res, "cache-control", "no-cache");
	response_empty(&res, 204);
	cr_assert_eq(response_write(&res, collect, &out), 0);
	cr_assert_str_eq(out, "Status: 204 No Content\r\ncache-control: no-cache\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n");
	free(out);
	response_free(&res);
}

Test(response, header_values_cannot_inject_headers)
{
	struct response res;

	response_init(&res);
	response_header(&res, "Access-Control-Allow-Origin", "%s", "http://a\r\nSet-Cookie: x");
	cr_assert(res.headers_overflow);
	cr_assert_null(strstr(res.headers, "Set-Cookie"));
	response_free(&res);
}

Test(response, utf8_is_kept_and_slashes_unescaped)
{
	struct response res;

	response_init(&res);
	response_json_begin(&res, 200);
	response_json_lit(&res, "{\"t\":");
	response_json_strz(&res, "a/b \xf0\x9f\x98\x80 \"q\"");
	response_json_lit(&res, "}");
	response_json_end(&res);
	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(res.body, "{\"t\":\"a/b \xf0\x9f\x98\x80 \\\"q\\\"\"}");
	cr_assert_eq(res.body_len, strlen(res.body));
	response_free(&res);
}

/*
 * The writer escapes exactly as json-c serialises (plain, "/" unescaped):
 * every byte value but NUL, alone and between other text, then a string
 * long enough to grow the buffer several times. json-c parses each back to
 * the bytes written.
 */
Test(response, strings_match_json_c_byte_for_byte)
{
	char in[8];
	char *big;
	size_t big_len = 70000;

	for (int ch = 1; ch < 256; ch++) {
		struct response res;
		struct json_object *o, *back;

		snprintf(in, sizeof(in), "a%cb", ch);
		o = json_object_new_string(in);
		response_init(&res);
		response_json_begin(&res, 200);
		response_json_str(&res, in, strlen(in));
		response_json_end(&res);
		cr_assert_str_eq(res.body, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    "byte 0x%02x", ch);
		if (ch < 0x80) {
			back = json_tokener_parse(res.body);
			cr_assert_not_null(back, "byte 0x%02x", ch);
			cr_assert_str_eq(json_object_get_string(back), in);
			json_object_put(back);
		}
		json_object_put(o);
		response_free(&res);
	}

	cr_assert_not_null(big = malloc(big_len + 1));
	for (size_t i = 0; i < big_len; i++)
		big[i] = "ab\"\\\n\x01" "c/"[i % 8];
	big[big_len] = '\0';
	{
		struct response res;
		struct json_object *o = json_object_new_string(big);

		response_init(&res);
		response_json_begin(&res, 201);
		response_json_str(&res, big, big_len);
		response_json_end(&res);
		cr_assert_eq(res.status, 201);
		cr_assert_str_eq(res.body, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		response_free(&res);
	}
	free(big);
}
