/*
 * Integration: hostile request bodies (docs/API.md "Request bodies") and
 * query strings (docs/API.md "Query values"), through nginx, on POST
 * /api/tasks, PUT and PATCH
 * /api/tasks/{id} and GET /api/tasks. Every answer is the contract's JSON
 * (never a 500, never internals), a refused write leaves the rows as they
 * were, and after each hostile request the instance still serves a normal
 * one. What libcurl will not send (a lying Content-Length, a chunked body,
 * a pipelined remainder, a 70 KB URI) goes over a raw TCP socket.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/hostile.h"
#include "support/raw.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define OR_EMPTY(s) ((s) != NULL ? (s) : "")
#define INVALID_JSON "Invalid JSON body"
#define NOT_OBJECT "Request body must be a JSON object"
#define TOO_LARGE "Request body too large"
#define NOT_BOOLEAN "is_completed must be a boolean"
#define LIMIT_422 "limit must be one integer from 1 to 1000"
#define OFFSET_422 "offset must be one integer from 0 to 2147483647"
#define COMPLETED_422 "completed must be true or false"
/* docs/API.md "Request bodies": a body over 64 KiB is 413. */
#define BODY_MAX (64 * 1024)
/* nginx's client_body_timeout (nginx/http.conf). */
#define BODY_TIMEOUT_S 5
/* How long a raw exchange may take before it counts as a hang. */
#define HANG_MS 25000

/* ---- helpers: HTTP through libcurl ---------------------------------- */

/* A fresh subject and its token (free()). */
static char *
new_subject(char subject[37])
{
	test_uuid(subject);
	return token_for(subject);
}

/* "/api/tasks/<id>", in one of two rotating buffers. */
static const char *
at(const char *id)
{
	static __thread char buf[2][128];
	static __thread int next;
	char *p = buf[next++ % 2];

	snprintf(p, sizeof(buf[0]), "/api/tasks/%s", id);
	return p;
}

/* A JSON request with exactly len bytes of body (NUL bytes included). */
static struct http_res *
send_json(const char *method, const char *path, const char *token,
    const char *body, size_t len)
{
	char auth[2048];
	const char *h[3] = { "Content-Type: application/json", NULL, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h[1] = auth;
	return http_req(method, path, h, body, len);
}


/* A printable label for a body that may hold any bytes. */
static const char *
label(const char *method, const char *body, size_t len)
{
	static __thread char out[160];
	size_t i, o;

	o = (size_t)snprintf(out, sizeof(out), "%s ", method);
	/* Room is kept for one more escape and the "..." of a cut label. */
	for (i = 0; i < len && o + 4 + 4 < sizeof(out); i++) {
		unsigned char ch = (unsigned char)body[i];

		if (ch >= 0x20 && ch < 0x7F)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02X", ch);
	}
	memcpy(out + o, i < len ? "..." : "", i < len ? 4 : 1);
	return out;
}

/* X-Total-Count of the subject's list. */
static long
task_count(const char *token)
{
	struct http_res *r = http_json("GET", "/api/tasks", token, NULL);
	const char *t;
	long n;

	cr_assert_eq(r->status, 200, "list: %ld %s", r->status, r->body);
	t = http_header(r, "X-Total-Count");
	cr_assert_not_null(t, "list: no X-Total-Count");
	n = strtol(t, NULL, 10);
	http_free(r);
	return n;
}

/* The task is as create_task made it: title, no description, not done. */
static void
task_untouched(const char *token, const char *id, const char *title,
    const char *what)
{
	struct http_res *r = http_json("GET", at(id), token, NULL);

	cr_assert_eq(r->status, 200, "after %s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(json_str(r, "title")), title,
	    "after %s: %s", what, r->body);
	cr_assert(json_is_null(r, "description"), "after %s: %s", what, r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "after %s: %s", what,
	    r->body);
	http_free(r);
}

/*
 * The same body, sent as POST /api/tasks, PUT and PATCH /api/tasks/{id} of
 * a task of the subject, is refused with status and detail want (NULL:
 * any detail). Nothing is created or changed, and the instance still
 * serves.
 */
static void
refused_everywhere(const char *token, const char *id, const char *title,
    const char *body, size_t len, long status, const char *want)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH" };
	long before = task_count(token);

	for (size_t i = 0; i < NELEM(methods); i++) {
		const char *path = i == 0 ? "/api/tasks" : at(id);
		struct http_res *r = send_json(methods[i], path, token, body, len);
		const char *what = label(methods[i], body, len);

		expect_refusal(r, status, want, what);
		http_free(r);
		still_serving(token, what);
	}
	cr_assert_eq(task_count(token), before, "a refused POST made a row: %s",
	    label("POST", body, len));
	task_untouched(token, id, title, label("PUT/PATCH", body, len));
}

/* The string member key of o has exactly the bytes want[0..len). */
static void
same_bytes(struct json_object *o, const char *key, const char *want,
    size_t len, const char *what)
{
	struct json_object *v;
	const char *got;
	size_t glen;

	cr_assert(o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string), "%s: no string %s", what,
	    key);
	got = json_object_get_string(v);
	glen = (size_t)json_object_get_string_len(v);
	cr_assert(glen == len && memcmp(got, want, len) == 0,
	    "%s: %s came back as %zu bytes \"%s\", sent %zu bytes \"%s\"", what,
	    key, glen, got, len, want);
}

/*
 * {"title": title, "description": desc} as JSON text, UTF-8 unescaped; a
 * NULL member is left out. free().
 */
static char *
task_body(const char *title, const char *desc)
{
	struct json_object *o = json_object_new_object();
	char *s;

	cr_assert_not_null(o);
	if (title != NULL)
		json_object_object_add(o, "title", json_object_new_string(title));
	if (desc != NULL)
		json_object_object_add(o, "description",
		    json_object_new_string(desc));
	cr_assert_not_null(s = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(o);
	return s;
}

/*
 * Stores title and description through POST, reads them back through the
 * answer, GET of the task and the list, then writes them again through
 * PATCH: every time exactly the bytes sent.
 */
static void
round_trip(const char *token, const char *title, const char *desc)
{
	char *body = task_body(title, desc), id[37];
	struct http_res *r;
	size_t tl = strlen(title), dl = strlen(desc);
	int found = 0;

	r = send_json("POST", "/api/tasks", token, body, strlen(body));
	cr_assert_eq(r->status, 201, "POST %s: %ld %s", body, r->status, r->body);
	answer_is_clean(r, body);
	same_bytes(r->json, "title", title, tl, "POST answer");
	same_bytes(r->json, "description", desc, dl, "POST answer");
	snprintf(id, sizeof(id), "%s", OR_EMPTY(json_str(r, "id")));
	http_free(r);

	r = http_json("GET", at(id), token, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", id, r->status, r->body);
	same_bytes(r->json, "title", title, tl, "GET");
	same_bytes(r->json, "description", desc, dl, "GET");
	http_free(r);

	r = http_json("GET", "/api/tasks?limit=1000", token, NULL);
	cr_assert_eq(r->status, 200, "list: %ld %s", r->status, r->body);
	for (size_t i = 0; i < json_object_array_length(r->json); i++) {
		struct json_object *t = json_object_array_get_idx(r->json, i);

		if (strcmp(OR_EMPTY(obj_str(t, "id")), id) != 0)
			continue;
		same_bytes(t, "title", title, tl, "list");
		same_bytes(t, "description", desc, dl, "list");
		found = 1;
	}
	cr_assert(found, "the task %s is not in the list", id);
	http_free(r);

	/*
	 * PUT a plain title (the description becomes null), then PATCH both
	 * back: the PATCH must write the same bytes again.
	 */
	free(body);
	body = task_body("placeholder", NULL);
	r = send_json("PUT", at(id), token, body, strlen(body));
	cr_assert_eq(r->status, 200, "PUT %s: %ld %s", body, r->status, r->body);
	cr_assert(json_is_null(r, "description"), "PUT: %s", r->body);
	http_free(r);
	free(body);
	body = task_body(title, desc);
	r = send_json("PATCH", at(id), token, body, strlen(body));
	cr_assert_eq(r->status, 200, "PATCH %s: %ld %s", body, r->status, r->body);
	same_bytes(r->json, "title", title, tl, "PATCH answer");
	same_bytes(r->json, "description", desc, dl, "PATCH answer");
	http_free(r);
	free(body);
	r = http_json("GET", at(id), token, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", id, r->status, r->body);
	same_bytes(r->json, "title", title, tl, "GET after PATCH");
	same_bytes(r->json, "description", desc, dl, "GET after PATCH");
	http_free(r);
	still_serving(token, title);
}

/* ---- helpers: raw HTTP over TCP -------------------------------------- */

/* One whole exchange: connect, send, read until closed. */
static void
raw_exchange(const char *request, size_t len, struct raw_reply *out)
{
	int fd = raw_connect();

	/*
	 * A peer that already answered and closed (nginx refusing a body it
	 * will not read) may cut the sending short, which is not an error:
	 * its answer is what the test reads.
	 */
	(void)raw_send(fd, request, len);
	raw_read(fd, HANG_MS, out);
	close(fd);
	cr_assert(out->closed, "no answer and no close within %d ms: a hang "
	    "(got %zu bytes)", HANG_MS, out->len);
}

/*
 * A chunked body from p (RFC 9112, 7.1), no trailers: the decoded bytes
 * (free()) and their count in *len; *next is the byte after it.
 */
static char *
dechunk(const char *p, const char *end, size_t *len, const char **next)
{
	char *out = NULL;
	size_t size;

	*len = 0;
	for (;;) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		char *hexend;

		cr_assert_not_null(eol, "a cut chunk size line: %.100s", p);
		size = (size_t)strtoul(p, &hexend, 16);
		cr_assert(hexend > p && hexend <= eol, "a bad chunk size: %.100s", p);
		p = eol + 2;
		cr_assert((size_t)(end - p) >= size + 2, "a cut chunk");
		if (size == 0)
			break;
		cr_assert_not_null(out = realloc(out, *len + size + 1));
		memcpy(out + *len, p, size);
		*len += size;
		cr_assert(p[size] == '\r' && p[size + 1] == '\n', "a chunk without CRLF");
		p += size + 2;
	}
	cr_assert(p[0] == '\r' && p[1] == '\n', "trailers after the last chunk");
	*next = p + 2;
	if (out == NULL)
		cr_assert_not_null(out = malloc(1));
	out[*len] = '\0';
	return out;
}

/*
 * The next HTTP response in reply, from *pos on (Content-Length framed, as
 * nginx frames every answer of this API, or chunked, as Apache frames a
 * CGI program's); NULL when none is left. Returns an http_res for the
 * shared checks (http_free()).
 */
static struct http_res *
raw_next(const struct raw_reply *reply, size_t *pos)
{
	const char *p = reply->data + *pos, *end = reply->data + reply->len;
	const char *eoh, *cl, *te, *next;
	struct http_res *r;
	size_t hlen, blen = 0;

	if (p >= end)
		return NULL;
	eoh = strstr(p, "\r\n\r\n");
	cr_assert_not_null(eoh, "an incomplete answer: %.300s", p);
	cr_assert_not_null(r = calloc(1, sizeof(*r)));
	cr_assert(sscanf(p, "HTTP/1.1 %ld", &r->status) == 1,
	    "not an HTTP answer: %.300s", p);
	hlen = (size_t)(eoh - p) + 2;
	cr_assert_not_null(r->headers = strndup(p, hlen));
	te = http_header(r, "Transfer-Encoding");
	if (te != NULL && strcasecmp(te, "chunked") == 0) {
		cr_assert_null(http_header(r, "Content-Length"),
		    "chunked and a Content-Length: %.300s", p);
		r->body = dechunk(eoh + 4, end, &blen, &next);
	} else {
		cl = http_header(r, "Content-Length");
		cr_assert_not_null(cl, "an answer without Content-Length: %.300s", p);
		blen = (size_t)strtoul(cl, NULL, 10);
		cr_assert(eoh + 4 + blen <= end, "a cut answer: %.300s", p);
		cr_assert_not_null(r->body = strndup(eoh + 4, blen));
		next = eoh + 4 + blen;
	}
	r->body_len = blen;
	r->json = blen > 0 ? json_tokener_parse(r->body) : NULL;
	*pos = (size_t)(next - reply->data);
	return r;
}

/* The request head of a JSON POST /api/tasks; token NULL: no Authorization. */
static char *
post_head(const char *token, const char *framing)
{
	char *h;

	cr_assert(asprintf(&h, "POST /api/tasks HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n%s%s%s"
	    "Content-Type: application/json\r\n%s\r\n\r\n",
	    token != NULL ? "Authorization: Bearer " : "", OR_EMPTY(token),
	    token != NULL ? "\r\n" : "", framing) > 0);
	return h;
}

/* head and body concatenated into one buffer; *len its size. free(). */
static char *
join(const char *head, const char *body, size_t blen, size_t *len)
{
	size_t hl = strlen(head);
	char *s = malloc(hl + blen + 1);

	cr_assert_not_null(s);
	memcpy(s, head, hl);
	memcpy(s + hl, body, blen);
	s[hl + blen] = '\0';
	*len = hl + blen;
	return s;
}

/* body in chunked transfer coding, 4 KiB a chunk; *len its size. free(). */
static char *
chunked(const char *body, size_t blen, size_t *len)
{
	size_t cap = blen + blen / 16 + 64, o = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	for (size_t i = 0; i < blen; i += 4096) {
		size_t n = blen - i < 4096 ? blen - i : 4096;

		o += (size_t)snprintf(s + o, cap - o, "%zx\r\n", n);
		memcpy(s + o, body + i, n);
		o += n;
		memcpy(s + o, "\r\n", 2);
		o += 2;
	}
	memcpy(s + o, "0\r\n\r\n", 6);
	*len = o + 5;
	return s;
}

/* ---- malformed and mis-shaped JSON ----------------------------------- */

Test(hostile_input, malformed_json)
{
	static const char *const bodies[] = {
		"{", "}", "{\"title\":}", "{\"title\" \"x\"}", "{'title':'x'}",
		"{title:\"x\"}", "{\"title\":\"x\",}", "{\"title\":\"x\"} trailing",
		"{\"title\":\"x\"}{}", "{\"title\":\"unterminated}", "{\"title\":NaN}",
		"{\"title\":\"x\",\"n\":01}", "{\"title\":\"\\x41\"}",
		"{\"title\":\"x\"}/* comment */", "", "   ", "nul", "[1,]",
	};
	char subject[37], id[37];
	char *token = new_subject(subject);

	create_task(token, "original", id);
	for (size_t i = 0; i < NELEM(bodies); i++)
		refused_everywhere(token, id, "original", bodies[i],
		    strlen(bodies[i]), 400, INVALID_JSON);
	free(token);
}

Test(hostile_input, json_array_or_string)
{
	static const char *const bodies[] = {
		"[]", "[{\"title\":\"x\"}]", "\"title\"", "\"\"",
		"\"{\\\"title\\\":\\\"x\\\"}\"", "42", "true", "null",
	};
	char subject[37], id[37];
	char *token = new_subject(subject);

	/* docs/API.md "Request bodies": JSON that is not an object is 422. */
	create_task(token, "original", id);
	for (size_t i = 0; i < NELEM(bodies); i++)
		refused_everywhere(token, id, "original", bodies[i],
		    strlen(bodies[i]), 422, NOT_OBJECT);
	free(token);
}

Test(hostile_input, deeply_nested_100000_brackets)
{
	char subject[37], id[37];
	char *token = new_subject(subject);
	char *deep, *body;
	struct http_res *r;

	create_task(token, "original", id);
	/*
	 * 100,000 "[" are over 64 KiB: nginx refuses them by size first
	 * (docs/API.md "Request bodies": a body over 64 KiB is 413), before any
	 * parser.
	 */
	deep = str_repeat("", "[", 100000, "");
	refused_everywhere(token, id, "original", deep, 100000, 413, TOO_LARGE);
	free(deep);
	/* The deepest body that gets through: 64 KiB of "[" to the parser. */
	deep = str_repeat("", "[", BODY_MAX, "");
	refused_everywhere(token, id, "original", deep, BODY_MAX, 400,
	    INVALID_JSON);
	/* Well-formed, but nested 32,768 deep. */
	memset(deep + BODY_MAX / 2, ']', BODY_MAX / 2);
	refused_everywhere(token, id, "original", deep, BODY_MAX, 400,
	    INVALID_JSON);
	free(deep);
	deep = str_repeat("", "{\"a\":", BODY_MAX / 5, "");
	refused_everywhere(token, id, "original", deep, strlen(deep), 400,
	    INVALID_JSON);
	free(deep);

	/* The limit itself: 32 levels are read, 33 are not. */
	deep = str_repeat("{\"title\":\"deep\",\"x\":", "[", 31, "");
	body = str_repeat(deep, "]", 31, "}");
	r = send_json("POST", "/api/tasks", token, body, strlen(body));
	cr_assert_eq(r->status, 201, "32 levels: %ld %s", r->status, r->body);
	answer_is_clean(r, "32 levels");
	http_free(r);
	free(body);
	free(deep);
	deep = str_repeat("{\"title\":\"deep\",\"x\":", "[", 32, "");
	body = str_repeat(deep, "]", 32, "}");
	refused_everywhere(token, id, "original", body, strlen(body), 400,
	    INVALID_JSON);
	free(body);
	free(deep);
	free(token);
}

/* ---- bytes and strings ------------------------------------------------ */

Test(hostile_input, invalid_utf8)
{
	static const struct { const char *body; size_t len; } bodies[] = {
#define B(s) { s, sizeof(s) - 1 }
		B("{\"title\":\"\xFF\"}"),			/* never in UTF-8 */
		B("{\"title\":\"caf\xE9\"}"),			/* Latin-1 */
		B("{\"title\":\"\x80\"}"),			/* a lone continuation */
		B("{\"title\":\"\xC0\xAF\"}"),			/* overlong "/" */
		B("{\"title\":\"\xE0\x80\xAF\"}"),		/* overlong, 3 bytes */
		B("{\"title\":\"\xED\xA0\x80\"}"),		/* an encoded surrogate */
		B("{\"title\":\"\xE4\xB8\"}"),			/* cut short */
		B("{\"title\":\"\xF4\x90\x80\x80\"}"),		/* past U+10FFFF */
		B("{\"title\":\"\xF8\x88\x80\x80\x80\"}"),	/* 5 bytes */
		B("{\"ti\xFFtle\":\"x\"}"),			/* in a name */
		B("{\"title\":\"x\"}\xFF"),			/* outside any string */
		B("{\"title\":\"x\",\"description\":\"\xC3\"}"),	/* in another field */
#undef B
	};
	char subject[37], id[37];
	char *token = new_subject(subject);

	/*
	 * docs/API.md "Request bodies": bytes that are not UTF-8 are 400
	 * Invalid JSON body.
	 */
	create_task(token, "original", id);
	for (size_t i = 0; i < NELEM(bodies); i++)
		refused_everywhere(token, id, "original", bodies[i].body,
		    bodies[i].len, 400, INVALID_JSON);
	free(token);
}

Test(hostile_input, nul_escape_in_a_string)
{
	static const struct { const char *body, *detail; } cases[] = {
		{ "{\"title\":\"a\\u0000b\"}",
		    "title must not contain U+0000 or lone surrogates" },
		{ "{\"title\":\"\\u0000\"}",
		    "title must not contain U+0000 or lone surrogates" },
		{ "{\"title\":\"ok\\u0000\",\"description\":\"fine\"}",
		    "title must not contain U+0000 or lone surrogates" },
		{ "{\"title\":\"t\",\"description\":\"x\\u0000\"}",
		    "description must not contain U+0000 or lone surrogates" },
		/* A name is a string too: json-c would read "title" here. */
		{ "{\"title\\u0000\":\"x\"}", "Field names must not contain U+0000" },
		{ "{\"title\":\"real\",\"title\\u0000x\":\"shadow\"}",
		    "Field names must not contain U+0000" },
	};
	static const char raw_nul[] = "{\"title\":\"a\0b\"}";
	char subject[37], id[37];
	char *token = new_subject(subject);

	/*
	 * docs/API.md "Strings and characters": a string containing U+0000
	 * is 422, naming the field.
	 */
	create_task(token, "original", id);
	for (size_t i = 0; i < NELEM(cases); i++)
		refused_everywhere(token, id, "original", cases[i].body,
		    strlen(cases[i].body), 422, cases[i].detail);
	/* A raw NUL byte is a control character in a string: not JSON. */
	refused_everywhere(token, id, "original", raw_nul, sizeof(raw_nul) - 1,
	    400, INVALID_JSON);
	free(token);
}

Test(hostile_input, numbers_and_strings_where_a_boolean_belongs)
{
	static const char *const values[] = {
		"1", "0", "-1", "1.0", "0e0", "\"true\"", "\"false\"", "\"1\"", "\"\"",
		"null", "[]", "[true]", "{}",
	};
	static const struct { const char *body, *detail; } not_strings[] = {
		{ "{\"title\":true}", "title must be a string" },
		{ "{\"title\":42}", "title must be a string" },
		{ "{\"title\":\"t\",\"description\":false}",
		    "description must be a string or null" },
		{ "{\"title\":\"t\",\"description\":0}",
		    "description must be a string or null" },
	};
	char subject[37], id[37], body[128];
	char *token = new_subject(subject);

	/* docs/API.md "Task object": is_completed must be a JSON boolean. */
	create_task(token, "original", id);
	for (size_t i = 0; i < NELEM(values); i++) {
		snprintf(body, sizeof(body), "{\"title\":\"t\",\"is_completed\":%s}",
		    values[i]);
		refused_everywhere(token, id, "original", body, strlen(body), 422,
		    NOT_BOOLEAN);
	}
	/* And the other way round: a boolean or a number where a string belongs. */
	for (size_t i = 0; i < NELEM(not_strings); i++)
		refused_everywhere(token, id, "original", not_strings[i].body,
		    strlen(not_strings[i].body), 422, not_strings[i].detail);
	free(token);
}

/* ---- size --------------------------------------------------------------- */

/* {"title":"x","pad":"ppp…"} of exactly len bytes; free(). */
static char *
body_of(size_t len)
{
	static const char pre[] = "{\"title\":\"x\",\"pad\":\"", post[] = "\"}";

	return str_repeat(pre, "p", len - (sizeof(pre) - 1) - (sizeof(post) - 1), post);
}

Test(hostile_input, body_of_64_kib_plus_1_with_content_length)
{
	char subject[37], id[37];
	char *token = new_subject(subject);
	char *fits = body_of(BODY_MAX), *over = body_of(BODY_MAX + 1);
	struct http_res *r;

	cr_assert_eq(strlen(over), BODY_MAX + 1);
	create_task(token, "original", id);
	refused_everywhere(token, id, "original", over, BODY_MAX + 1, 413,
	    TOO_LARGE);
	/* The control: 64 KiB exactly is served. */
	r = send_json("POST", "/api/tasks", token, fits, BODY_MAX);
	cr_assert_eq(r->status, 201, "64 KiB: %ld %s", r->status, r->body);
	answer_is_clean(r, "64 KiB");
	http_free(r);
	free(over);
	free(fits);
	free(token);
}

/* POST /api/tasks with body in chunked coding; the answer (http_free()). */
static struct http_res *
post_chunked(const char *token, const char *body, size_t blen)
{
	char *head = post_head(token, "Transfer-Encoding: chunked\r\n"
	    "Connection: close");
	char *chunks, *req;
	size_t clen, len, pos = 0;
	struct raw_reply reply;
	struct http_res *r, *extra;

	chunks = chunked(body, blen, &clen);
	req = join(head, chunks, clen, &len);
	raw_exchange(req, len, &reply);
	r = raw_next(&reply, &pos);
	cr_assert_not_null(r, "no answer to a chunked body (%zu bytes)", blen);
	extra = raw_next(&reply, &pos);
	cr_assert_null(extra, "a second answer: %s", extra != NULL ?
	    extra->body : "");
	free(reply.data);
	free(req);
	free(chunks);
	free(head);
	return r;
}

Test(hostile_input, body_of_64_kib_plus_1_chunked)
{
	char subject[37];
	char *token = new_subject(subject);
	char *fits = body_of(BODY_MAX), *over = body_of(BODY_MAX + 1);
	struct http_res *r;

	/* No Content-Length at all: nginx counts the chunks against the cap. */
	r = post_chunked(token, over, BODY_MAX + 1);
	expect_refusal(r, 413, TOO_LARGE, "chunked, 64 KiB + 1");
	http_free(r);
	still_serving(token, "chunked, 64 KiB + 1");
	cr_assert_eq(task_count(token), 0);
	/* The control: 64 KiB in chunks is served, and read whole. */
	r = post_chunked(token, fits, BODY_MAX);
	cr_assert_eq(r->status, 201, "chunked, 64 KiB: %ld %s", r->status, r->body);
	answer_is_clean(r, "chunked, 64 KiB");
	cr_assert_str_eq(OR_EMPTY(json_str(r, "title")), "x");
	http_free(r);
	cr_assert_eq(task_count(token), 1);
	free(over);
	free(fits);
	free(token);
}

/* ---- a lying Content-Length -------------------------------------------- */

/*
 * Sends head + body on one connection and reads every answer until nginx
 * closes it. Returns the answers (http_free() each) in out, their count.
 */
static size_t
pipelined(const char *head, const char *body, struct http_res *out[4])
{
	struct raw_reply reply;
	size_t len, pos = 0, n = 0;
	char *req = join(head, body, strlen(body), &len);
	struct http_res *r;

	raw_exchange(req, len, &reply);
	while ((r = raw_next(&reply, &pos)) != NULL) {
		cr_assert(n < 4, "more answers than requests: %s", reply.data);
		out[n++] = r;
	}
	free(reply.data);
	free(req);
	return n;
}

Test(hostile_input, content_length_shorter_than_the_body)
{
	char subject[37], id[37];
	char *token = new_subject(subject);
	struct http_res *a[4];
	struct http_res *r;
	char *head;
	size_t n;

	/*
	 * nginx reads the 17 bytes the length promises; the rest is read as
	 * the next request on the connection, whose request line is garbage:
	 * a JSON 400 from nginx, and no program ever sees it as a body.
	 */
	head = post_head(token, "Content-Length: 17");
	n = pipelined(head, "{\"title\":\"short\"},\"description\":\"smuggled\"}", a);
	cr_assert_eq(n, 2, "want 2 answers, got %zu", n);
	cr_assert_eq(a[0]->status, 201, "first: %ld %s", a[0]->status, a[0]->body);
	answer_is_clean(a[0], "the 17 bytes");
	cr_assert_str_eq(OR_EMPTY(json_str(a[0], "title")), "short");
	cr_assert(json_is_null(a[0], "description"), "%s", a[0]->body);
	snprintf(id, sizeof(id), "%s", OR_EMPTY(json_str(a[0], "id")));
	expect_refusal(a[1], 400, "Bad request", "the rest, as a request");
	http_free(a[0]);
	http_free(a[1]);
	free(head);
	still_serving(token, "Content-Length shorter");
	r = http_json("GET", at(id), token, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(r, "description"), "smuggled: %s", r->body);
	http_free(r);
	cr_assert_eq(task_count(token), 1);

	/* Cut inside the JSON: what the program gets does not parse. */
	head = post_head(token, "Content-Length: 10");
	n = pipelined(head, "{\"title\":\"cut short\"}", a);
	cr_assert_eq(n, 2, "want 2 answers, got %zu", n);
	expect_refusal(a[0], 400, INVALID_JSON, "the first 10 bytes");
	expect_refusal(a[1], 400, "Bad request", "the rest, as a request");
	http_free(a[0]);
	http_free(a[1]);
	free(head);
	cr_assert_eq(task_count(token), 1);

	/*
	 * The rest is a whole request of its own, without the first one's
	 * token: it is answered as a request of its own, 401, and makes no
	 * row (no request smuggling through a short length).
	 */
	head = post_head(token, "Content-Length: 17");
	n = pipelined(head, "{\"title\":\"first\"}POST /api/tasks HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 20\r\nConnection: close\r\n\r\n"
	    "{\"title\":\"smuggled\"}", a);
	cr_assert_eq(n, 2, "want 2 answers, got %zu", n);
	cr_assert_eq(a[0]->status, 201, "first: %ld %s", a[0]->status, a[0]->body);
	cr_assert_str_eq(OR_EMPTY(json_str(a[0], "title")), "first");
	expect_401(a[1], "Not authenticated", "the pipelined request");
	http_free(a[0]);
	http_free(a[1]);
	free(head);
	cr_assert_eq(task_count(token), 2);
	still_serving(token, "pipelined request");
	free(token);
}

Test(hostile_input, content_length_longer_than_the_body)
{
	char subject[37];
	char *token = new_subject(subject);
	char *head = post_head(token, "Content-Length: 100");
	struct raw_reply reply;
	size_t len;
	char *req = join(head, "{\"title\":\"stalled\"}", 19, &len);
	int fd = raw_connect();

	/*
	 * 19 bytes of the 100 promised, then silence with the connection
	 * open. nginx holds the body until it is complete, so no program
	 * waits on it; after client_body_timeout (5 s) nginx gives up. It
	 * logs a 408 but sends nothing: ngx_http_finalize_request ends a
	 * request timed out this way without a response, and closes. What
	 * the client must see is that close, bounded, not a hang.
	 */
	(void)raw_send(fd, req, len);
	raw_read(fd, HANG_MS, &reply);
	close(fd);
	cr_assert(reply.closed, "still open after %.1f s: a hang", reply.seconds);
	cr_assert(reply.seconds > BODY_TIMEOUT_S / 2 &&
	    reply.seconds < BODY_TIMEOUT_S * 2,
	    "closed after %.1f s, not after client_body_timeout", reply.seconds);
	cr_assert_eq(reply.len, 0, "an answer to a stalled body: %s", reply.data);
	free(reply.data);
	cr_assert_eq(task_count(token), 0, "the partial body made a row");
	still_serving(token, "Content-Length longer");
	free(req);
	free(head);
	free(token);
}

/* ---- query strings ------------------------------------------------------ */

/* GET /api/tasks<query>: 200 with n items of the X-Total-Count total. */
static void
listed(const char *token, const char *query, size_t n, long total)
{
	char path[512];
	struct http_res *r;
	const char *t;

	snprintf(path, sizeof(path), "/api/tasks%s", query);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
	answer_is_clean(r, path);
	cr_assert(json_object_is_type(r->json, json_type_array), "GET %s: %s",
	    path, r->body);
	cr_assert_eq(json_object_array_length(r->json), n,
	    "GET %s: %zu items, want %zu", path,
	    json_object_array_length(r->json), n);
	t = http_header(r, "X-Total-Count");
	cr_assert(t != NULL && strtol(t, NULL, 10) == total,
	    "GET %s: X-Total-Count %s, want %ld", path, OR_EMPTY(t), total);
	http_free(r);
	still_serving(token, path);
}

static void
query_refused(const char *token, const char *query, const char *want)
{
	char path[512];
	struct http_res *r;

	snprintf(path, sizeof(path), "/api/tasks%s", query);
	r = http_json("GET", path, token, NULL);
	expect_refusal(r, 422, want, path);
	http_free(r);
	still_serving(token, path);
}

/* Three tasks for a fresh subject, the oldest one completed. */
static char *
three_tasks(char subject[37])
{
	char *token = new_subject(subject);
	char id[37];
	struct http_res *r;

	create_task(token, "one", id);
	r = http_json("PATCH", at(id), token, "{\"is_completed\":true}");
	cr_assert_eq(r->status, 200, "%s", r->body);
	http_free(r);
	create_task(token, "two", id);
	create_task(token, "three", id);
	return token;
}

Test(hostile_input, query_repeated_keys)
{
	char subject[37];
	char *token = three_tasks(subject);

	/*
	 * docs/API.md "Query values": a repeated value is 422, whatever the
	 * values: neither the first nor the last silently wins. Keys compare
	 * after decoding, and
	 * case-sensitively.
	 */
	query_refused(token, "?limit=1&limit=2", LIMIT_422);
	query_refused(token, "?limit=2&limit=2", LIMIT_422);
	query_refused(token, "?limit=1&offset=0&limit=1", LIMIT_422);
	query_refused(token, "?limit=1&%6Cimit=2", LIMIT_422);
	query_refused(token, "?offset=0&offset=1", OFFSET_422);
	query_refused(token, "?completed=true&completed=false", COMPLETED_422);
	query_refused(token, "?completed=true&completed=true", COMPLETED_422);
	query_refused(token, "?limit=1;limit=2", LIMIT_422);
	/* LIMIT is another, unknown, parameter: ignored. */
	listed(token, "?limit=2&LIMIT=1", 2, 3);
	free(token);
}

Test(hostile_input, query_empty_keys)
{
	char subject[37];
	char *token = three_tasks(subject);

	/* Parameters without a name are unknown ones: ignored. */
	listed(token, "?=1&&limit=2", 2, 3);
	listed(token, "?&&&", 3, 3);
	listed(token, "?=", 3, 3);
	listed(token, "?==&=x=y", 3, 3);
	listed(token, "?&limit=1&", 1, 3);
	listed(token, "?=1&&completed=true&=", 1, 1);
	/*
	 * ...but an empty value of a known one is 422
	 * (docs/API.md "Query values").
	 */
	query_refused(token, "?=1&&limit=", LIMIT_422);
	query_refused(token, "?=1&&offset=&", OFFSET_422);
	query_refused(token, "?completed=&=1", COMPLETED_422);
	free(token);
}

Test(hostile_input, query_percent_encoded_keys)
{
	char subject[37];
	char *token = three_tasks(subject);

	/* A key means what it decodes to: %6Cimit is limit. */
	listed(token, "?%6Cimit=1", 1, 3);
	listed(token, "?%6c%69%6d%69%74=2", 2, 3);
	listed(token, "?l%69mit=%31", 1, 3);
	listed(token, "?%63ompleted=%74rue", 1, 1);
	listed(token, "?%6Fffset=2", 1, 3);
	query_refused(token, "?%6Cimit=0", LIMIT_422);
	query_refused(token, "?%6Cimit=%", LIMIT_422);
	query_refused(token, "?%6Cimit=%zz", LIMIT_422);
	query_refused(token, "?%6Cimit=1%00", LIMIT_422);
	/*
	 * A key that does not decode (a bad escape, a NUL) or decodes to
	 * another name is an unknown parameter, ignored: request.c request_query_get.
	 */
	listed(token, "?%zzlimit=1", 3, 3);
	listed(token, "?lim%00it=1", 3, 3);
	listed(token, "?limit%3D1=2", 3, 3);
	listed(token, "?lim+it=1", 3, 3);
	listed(token, "?%20limit=1", 3, 3);
	free(token);
}

/* ---- stored and returned byte for byte ---------------------------------- */

Test(hostile_input, sql_metacharacters_stored_byte_for_byte)
{
	static const char *const strings[] = {
		"'; DROP TABLE tasks; --",
		"'); DROP TABLE users; --",
		"\\",
		"\\\\ and \\' and \\\"",
		"%",
		"_",
		"%_%' OR '1'='1",
		"100% of a_b\\_c LIKE '%'",
		"$1 $$ $tag$ E'\\x00' ::text",
		"\"double\" `back` /* comment */ -- dash",
		"x' UNION SELECT password_hash FROM users --",
		";",
	};
	char subject[37], desc[256];
	char *token = new_subject(subject);

	for (size_t i = 0; i < NELEM(strings); i++) {
		snprintf(desc, sizeof(desc), "%s\n%s", strings[i], strings[i]);
		round_trip(token, strings[i], desc);
	}
	/* Every row is there, and the tables with them. */
	cr_assert_eq(task_count(token), (long)NELEM(strings));
	still_serving(token, "SQL metacharacters");
	free(token);
}

Test(hostile_input, emoji_stored_byte_for_byte)
{
	static const char *const strings[] = {
		"\xF0\x9F\x98\x80",					/* U+1F600, 4 bytes */
		/* man, ZWJ, woman, ZWJ, girl, ZWJ, boy: one glyph, 7 code points */
		"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D"
		"\xF0\x9F\x91\xA7\xE2\x80\x8D\xF0\x9F\x91\xA6",
		/* rainbow flag: white flag, VS16, ZWJ, rainbow */
		"\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88",
		"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",			/* thumbs up, skin tone */
		"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",			/* regional indicators FR */
		"1\xEF\xB8\x8F\xE2\x83\xA3",				/* keycap 1 */
		"e\xCC\x81 \xE4\xB8\xAD\xE6\x96\x87 \xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A",
		"\xF4\x8F\xBF\xBF \xEF\xBF\xBF",			/* U+10FFFF, U+FFFF */
	};
	char subject[37], *title;
	char *token = new_subject(subject);
	struct http_res *r;
	/* The same emoji as a JSON surrogate-pair escape: stored as UTF-8. So
	 * is U+2D800 (CJK Extension F), which json-c 0.16 alone reads as
	 * U+FFFD. */
	static const char escaped[] =
	    "{\"title\":\"\\ud83d\\ude00\\u200d\\ud876\\udc00\",\"description\":\"\\uD83D\\uDC4D\"}";

	for (size_t i = 0; i < NELEM(strings); i++)
		round_trip(token, strings[i], strings[i]);
	r = send_json("POST", "/api/tasks", token, escaped, sizeof(escaped) - 1);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	same_bytes(r->json, "title", "\xF0\x9F\x98\x80\xE2\x80\x8D\xF0\xAD\xA0\x80", 11,
	    "escaped");
	same_bytes(r->json, "description", "\xF0\x9F\x91\x8D", 4, "escaped");
	http_free(r);
	/*
	 * 255 four-byte characters are a title of 255 characters
	 * (docs/API.md "Strings and characters").
	 */
	title = str_repeat("", "\xF0\x9F\x98\x80", 255, "");
	round_trip(token, title, "255 emoji");
	free(title);
	cr_assert_eq(task_count(token), (long)NELEM(strings) + 2);
	free(token);
}

/* ---- what cannot fit a FastCGI parameter record ------------------------- */

Test(hostile_input, uri_of_70_kb_and_a_header_of_100_kb)
{
	char subject[37];
	char *token = new_subject(subject);
	char *pad = str_repeat("", "a", 100 * 1024, ""), *req;
	struct raw_reply reply;
	struct http_res *r;
	size_t pos = 0;
	const char *h[3] = { NULL, NULL, NULL };
	char *junk, *origin, auth[2048];

	/* A 70 KB query string: 414, as JSON, from nginx. */
	cr_assert(asprintf(&req, "GET /api/tasks?limit=1&x=%.*s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Connection: close\r\n\r\n", 70 * 1024, pad, token) > 0);
	raw_exchange(req, strlen(req), &reply);
	r = raw_next(&reply, &pos);
	cr_assert_not_null(r);
	expect_refusal(r, 414, "URI too long", "a 70 KB query string");
	http_free(r);
	free(reply.data);
	free(req);
	/* And a 9 KB task id. */
	pos = 0;
	cr_assert(asprintf(&req, "GET /api/tasks/%.*s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Connection: close\r\n\r\n", 9 * 1024, pad, token) > 0);
	raw_exchange(req, strlen(req), &reply);
	r = raw_next(&reply, &pos);
	cr_assert_not_null(r);
	expect_refusal(r, 414, "URI too long", "a 9 KB task id");
	http_free(r);
	free(reply.data);
	free(req);

	/* 100 KB headers the programs do not read change nothing. */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	cr_assert(asprintf(&junk, "X-Junk: %s", pad) > 0);
	cr_assert(asprintf(&origin, "Origin: http://%s", pad) > 0);
	h[0] = auth;
	h[1] = junk;
	r = http_req("GET", "/api/tasks", h, NULL, 0);
	cr_assert_eq(r->status, 200, "a 100 KB X-Junk: %ld %s", r->status, r->body);
	answer_is_clean(r, "a 100 KB X-Junk");
	http_free(r);
	h[1] = origin;
	r = http_req("GET", "/api/tasks", h, NULL, 0);
	cr_assert_eq(r->status, 200, "a 100 KB Origin: %ld %s", r->status, r->body);
	answer_is_clean(r, "a 100 KB Origin");
	cr_assert_null(http_header(r, "Access-Control-Allow-Origin"));
	http_free(r);
	still_serving(token, "100 KB headers");
	free(origin);
	free(junk);
	free(pad);
	free(token);
}
