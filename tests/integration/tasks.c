/*
 * Integration: the task routes (docs/API.md "Task routes", with
 * docs/API.md "Precise rules"), over real HTTP. Every test makes its own
 * subjects, so tests run in parallel.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"

#define EMOJI "\xF0\x9F\x98\x80"	/* U+1F600: 4 bytes, 1 code point */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define OR_EMPTY(s) ((s) != NULL ? (s) : "")

/* ---- helpers ---------------------------------------------------------- */

/* A fresh subject and its token (free()). */
static char *
new_subject(char subject[37])
{
	test_uuid(subject);
	return token_for(subject);
}


/*
 * o is a task object of docs/API.md "Task object", exactly its seven
 * fields, owned by subject.
 */
static void
check_task_obj(struct json_object *o, const char *subject, const char *body)
{
	struct json_object *v;

	cr_assert(o != NULL && json_object_is_type(o, json_type_object), "not an object: %s", body);
	cr_assert_eq(json_object_object_length(o), 7, "a task has exactly 7 fields: %s", body);
	cr_assert(is_uuid(obj_str(o, "id")), "id is not a uuid: %s", body);
	cr_assert_str_eq(OR_EMPTY(obj_str(o, "user_id")), subject, "user_id: %s", body);
	cr_assert_not_null(obj_str(o, "title"), "title: %s", body);
	cr_assert(json_object_object_get_ex(o, "description", &v) &&
	    (v == NULL || json_object_is_type(v, json_type_string)), "description: %s", body);
	cr_assert(json_object_object_get_ex(o, "is_completed", &v) &&
	    json_object_is_type(v, json_type_boolean), "is_completed: %s", body);
	cr_assert(is_timestamp(obj_str(o, "created_at")), "created_at: %s", body);
	cr_assert(is_timestamp(obj_str(o, "updated_at")), "updated_at: %s", body);
}

static void
check_json_type(const struct http_res *r, const char *what)
{
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Content-Type")), "application/json",
	    "%s: Content-Type of %s", what, r->body);
}

/* An error answer: status, JSON Content-Type, a detail string (exact when want is set). */
static void
expect_error(const struct http_res *r, long status, const char *want, const char *what)
{
	const char *d = json_str(r, "detail");

	cr_assert_eq(r->status, status, "%s: expected %ld, got %ld: %s", what, status, r->status, r->body);
	check_json_type(r, what);
	cr_assert(d != NULL && *d != '\0', "%s: no detail string: %s", what, r->body);
	if (want != NULL)
		cr_assert_str_eq(d, want, "%s: detail of %s", what, r->body);
}

/* One request that must be refused with status and detail want (NULL: any). */
static void
refused(const char *method, const char *path, const char *token, const char *body,
    long status, const char *want)
{
	struct http_res *r = http_json(method, path, token, body);
	char what[256];

	snprintf(what, sizeof(what), "%s %s %.120s", method, path, OR_EMPTY(body));
	expect_error(r, status, want, what);
	http_free(r);
}

/* One request that must answer status with a task of subject; free the result. */
static struct http_res *
task_req(const char *method, const char *path, const char *token, const char *body,
    long status, const char *subject)
{
	struct http_res *r = http_json(method, path, token, body);

	cr_assert_eq(r->status, status, "%s %s %.120s: expected %ld, got %ld: %s", method,
	    path, OR_EMPTY(body), status, r->status, r->body);
	check_json_type(r, path);
	check_task_obj(r->json, subject, r->body);
	return r;
}

static struct http_res *
create_ok(const char *token, const char *subject, const char *body)
{
	return task_req("POST", "/api/tasks", token, body, 201, subject);
}

static struct http_res *
fetch(const char *token, const char *subject, const char *id)
{
	return task_req("GET", task_path(id, ""), token, NULL, 200, subject);
}

/* POST with raw bytes and a Content-Type header line (NULL: none at all). */
static struct http_res *
post_raw(const char *token, const char *ctype, const char *body, size_t len)
{
	char auth[2048];
	const char *h[3] = { ctype != NULL ? ctype : "Content-Type:", NULL, NULL };

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[1] = auth;
	}
	return http_req("POST", "/api/tasks", h, body, len);
}

/* GET /api/tasks<query>: 200, len items of subject, X-Total-Count total. */
static struct http_res *
listed(const char *token, const char *query, const char *subject, size_t len, long total)
{
	char path[512];
	struct http_res *r;
	const char *t;

	snprintf(path, sizeof(path), "/api/tasks%s", query);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "GET %s: got %ld: %s", path, r->status, r->body);
	check_json_type(r, path);
	cr_assert(r->json != NULL && json_object_is_type(r->json, json_type_array),
	    "GET %s: not an array: %s", path, r->body);
	cr_assert_eq(json_object_array_length(r->json), len, "GET %s: length of %s", path, r->body);
	t = http_header(r, "X-Total-Count");
	cr_assert_not_null(t, "GET %s: no X-Total-Count", path);
	cr_assert_eq(strtol(t, NULL, 10), total, "GET %s: X-Total-Count %s, want %ld", path, t, total);
	for (size_t i = 0; i < len; i++)
		check_task_obj(json_object_array_get_idx(r->json, i), subject, r->body);
	return r;
}

static const char *
item_id(const struct http_res *r, size_t i)
{
	return obj_str(json_object_array_get_idx(r->json, i), "id");
}

/* Creates n tasks in order, a little apart; ids[i] filled. */
static void
make_tasks(const char *token, int n, char ids[][37])
{
	for (int i = 0; i < n; i++) {
		create_task(token, "task", ids[i]);
		usleep(2000);
	}
}

/* ---- POST /api/tasks -------------------------------------------------- */

Test(tasks_create, returns_the_task_with_defaults_and_location)
{
	char subject[37], loc[64];
	char *token = new_subject(subject);
	struct http_res *r = create_ok(token, subject, "{\"title\":\"Buy milk\"}"), *g;

	cr_assert_str_eq(json_str(r, "title"), "Buy milk");
	cr_assert(json_is_null(r, "description"), "description must be null: %s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "%s", r->body);
	snprintf(loc, sizeof(loc), "/api/tasks/%s", json_str(r, "id"));
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Location")), loc);
	g = task_req("GET", loc, token, NULL, 200, subject);
	cr_assert(json_object_equal(g->json, r->json), "GET %s: %s vs %s", loc, g->body, r->body);
	http_free(g);
	http_free(r);
	free(token);
}

/*
 * The milliseconds since 1970 in a version 7 UUID's first 48 bits, or -1
 * when id is no version 7 UUID of RFC 9562's variant.
 */
static long long
uuid_v7_millis(const char *id)
{
	char hex[13];

	if (id == NULL || !is_uuid(id) || id[14] != '7' || strchr("89ab", id[19]) == NULL)
		return -1;
	memcpy(hex, id, 8);
	memcpy(hex + 8, id + 9, 4);
	hex[12] = '\0';
	return strtoll(hex, NULL, 16);
}

/*
 * The server makes time-ordered ids (sql/017_time_ordered_task_ids.sql):
 * a new id lands on the last page of every index keyed by it, so a create
 * writes no whole random page to the WAL after a checkpoint. Each id is a
 * version 7 UUID holding the time of its making, and later creates have
 * greater ids.
 */
Test(tasks_create, ids_are_time_ordered)
{
	char subject[37], prev[37] = "";
	char *token = new_subject(subject);

	for (int i = 0; i < 3; i++) {
		long long before = (long long)time(NULL) * 1000;
		struct http_res *r = create_ok(token, subject, "{\"title\":\"ordered\"}");
		const char *id = json_str(r, "id");
		long long ms = uuid_v7_millis(id);

		cr_assert(ms >= 0, "not a version 7 UUID: %s", r->body);
		cr_assert(ms >= before - 1000 && ms <= before + 60000,
		    "%s holds %lld ms, the clock said %lld", id, ms, before);
		cr_assert(strcmp(id, prev) > 0, "%s came after %s", id, prev);
		snprintf(prev, sizeof(prev), "%s", id);
		http_free(r);
		usleep(3000);	/* the next id's millisecond is a later one */
	}
	free(token);
}

Test(tasks_create, takes_description_and_is_completed)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *r = create_ok(token, subject,
	    "{\"title\":\"t\",\"description\":\"  keep my spaces \\n\",\"is_completed\":true}");

	cr_assert_str_eq(json_str(r, "description"), "  keep my spaces \n");
	cr_assert_eq(json_flag(r, "is_completed"), 1, "%s", r->body);
	http_free(r);
	r = create_ok(token, subject, "{\"title\":\"t\",\"description\":null,\"is_completed\":false}");
	cr_assert(json_is_null(r, "description"), "%s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "%s", r->body);
	http_free(r);
	free(token);
}

Test(tasks_create, title_is_trimmed_of_ascii_whitespace_only)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *r = create_ok(token, subject,
	    "{\"title\":\" \\t\\r\\n\\f Buy  milk \\n\\t \"}");

	cr_assert_str_eq(json_str(r, "title"), "Buy  milk", "%s", r->body);
	http_free(r);
	/* U+00A0 is not ASCII whitespace: it stays. */
	r = create_ok(token, subject, "{\"title\":\"\\u00a0x\\u00a0\"}");
	cr_assert_str_eq(json_str(r, "title"), "\xC2\xA0x\xC2\xA0", "%s", r->body);
	http_free(r);
	free(token);
}

Test(tasks_create, ignores_server_fields_and_unknown_fields)
{
	char subject[37], other[37], body[512];
	char *token = new_subject(subject);
	const char *old = "2001-01-01T00:00:00.000000Z";
	struct http_res *r;

	test_uuid(other);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"id\":\"%s\",\"user_id\":\"%s\","
	    "\"created_at\":\"%s\",\"updated_at\":\"%s\",\"priority\":{\"level\":[1,2]},"
	    "\"tags\":null}", other, other, old, old);
	r = create_ok(token, subject, body);	/* checks user_id == subject */
	cr_assert_str_neq(json_str(r, "id"), other, "the client chose the id: %s", r->body);
	cr_assert_str_neq(json_str(r, "created_at"), old, "%s", r->body);
	cr_assert_str_neq(json_str(r, "updated_at"), old, "%s", r->body);
	http_free(r);
	refused("GET", task_path(other, ""), token, NULL, 404, "Task not found");
	free(token);
}

Test(tasks_create, title_length_in_code_points)
{
	char subject[37];
	char *token = new_subject(subject);
	char *ok = str_repeat("{\"title\":\"", "a", 255, "\"}");
	char *bad = str_repeat("{\"title\":\"", "a", 256, "\"}");
	char *eok = str_repeat("{\"title\":\"", EMOJI, 255, "\"}");
	char *ebad = str_repeat("{\"title\":\"", EMOJI, 256, "\"}");
	char *padded = str_repeat("{\"title\":\"   ", "b", 255, "   \"}");
	char *want = str_repeat("", EMOJI, 255, "");
	struct http_res *r;

	r = create_ok(token, subject, ok);
	cr_assert_eq(strlen(json_str(r, "title")), 255);
	http_free(r);
	r = create_ok(token, subject, eok);
	cr_assert_str_eq(json_str(r, "title"), want, "255 emoji came back changed");
	http_free(r);
	r = create_ok(token, subject, padded);
	cr_assert_eq(strlen(json_str(r, "title")), 255, "the length counts after trimming");
	http_free(r);
	refused("POST", "/api/tasks", token, bad, 422, "title must be 1 to 255 characters");
	refused("POST", "/api/tasks", token, ebad, 422, "title must be 1 to 255 characters");
	free(ok); free(bad); free(eok); free(ebad); free(padded); free(want);
	free(token);
}

Test(tasks_create, description_length_in_code_points)
{
	char subject[37];
	char *token = new_subject(subject);
	char *ok = str_repeat("{\"title\":\"t\",\"description\":\"", "d", 10000, "\"}");
	char *bad = str_repeat("{\"title\":\"t\",\"description\":\"", "d", 10001, "\"}");
	char *eok = str_repeat("{\"title\":\"t\",\"description\":\"", EMOJI, 10000, "\"}");
	char *ebad = str_repeat("{\"title\":\"t\",\"description\":\"", EMOJI, 10001, "\"}");
	char *want = str_repeat("", EMOJI, 10000, "");
	struct http_res *r;

	r = create_ok(token, subject, ok);
	cr_assert_eq(strlen(json_str(r, "description")), 10000);
	http_free(r);
	r = create_ok(token, subject, eok);
	cr_assert_str_eq(json_str(r, "description"), want, "10000 emoji came back changed");
	http_free(r);
	refused("POST", "/api/tasks", token, bad, 422, "description must be at most 10000 characters");
	refused("POST", "/api/tasks", token, ebad, 422, "description must be at most 10000 characters");
	free(ok); free(bad); free(eok); free(ebad); free(want);
	free(token);
}

Test(tasks_create, refuses_bad_fields)
{
	static const char *const cases[][2] = {
		{ "{}", "title is required" },
		{ "{\"description\":\"d\"}", "title is required" },
		{ "{\"title\":\"\"}", "title must be 1 to 255 characters" },
		{ "{\"title\":\"  \\t\\n \"}", "title must be 1 to 255 characters" },
		{ "{\"title\":null}", "title must be a string" },
		{ "{\"title\":42}", "title must be a string" },
		{ "{\"title\":[\"x\"]}", "title must be a string" },
		{ "{\"title\":\"t\",\"description\":5}", "description must be a string or null" },
		{ "{\"title\":\"t\",\"description\":false}", "description must be a string or null" },
		{ "{\"title\":\"t\",\"is_completed\":1}", "is_completed must be a boolean" },
		{ "{\"title\":\"t\",\"is_completed\":\"true\"}", "is_completed must be a boolean" },
		{ "{\"title\":\"t\",\"is_completed\":null}", "is_completed must be a boolean" },
	};
	char subject[37];
	char *token = new_subject(subject);

	for (size_t i = 0; i < NELEM(cases); i++)
		refused("POST", "/api/tasks", token, cases[i][0], 422, cases[i][1]);
	http_free(listed(token, "", subject, 0, 0));	/* none made a row */
	free(token);
}

Test(tasks_create, stores_sql_metacharacters_and_unicode_exactly)
{
	char subject[37];
	char *token = new_subject(subject);
	const char *title = "Robert'); DROP TABLE tasks; -- \"q\" \\ $1 %s ' OR '1'='1";
	const char *desc = "line1\nline2\t" EMOJI " e\xCC\x81 \xE4\xB8\xAD\xE6\x96\x87 </script> " EMOJI;
	struct http_res *r = create_ok(token, subject,
	    "{\"title\":\"Robert'); DROP TABLE tasks; -- \\\"q\\\" \\\\ $1 %s ' OR '1'='1\","
	    "\"description\":\"line1\\nline2\\t" EMOJI " e\\u0301 \xE4\xB8\xAD\xE6\x96\x87 <\\/script> \\ud83d\\ude00\"}");
	struct http_res *g;

	cr_assert_str_eq(json_str(r, "title"), title, "%s", r->body);
	cr_assert_str_eq(json_str(r, "description"), desc, "%s", r->body);
	g = fetch(token, subject, json_str(r, "id"));
	cr_assert_str_eq(json_str(g, "title"), title, "%s", g->body);
	cr_assert_str_eq(json_str(g, "description"), desc, "%s", g->body);
	http_free(g);
	http_free(listed(token, "", subject, 1, 1));
	http_free(r);
	free(token);
}

Test(tasks_create, refuses_nul_and_lone_surrogates)
{
	static const char *const bodies[] = {
		"{\"title\":\"a\\u0000b\"}", "{\"title\":\"\\ud800\"}",
		"{\"title\":\"x\\udc00y\"}", "{\"title\":\"\\ud83dx\"}",
		"{\"title\":\"t\",\"description\":\"a\\u0000\"}",
		"{\"title\":\"t\",\"description\":\"\\ud800\"}",
		"{\"title\\u0000x\":\"t\"}",
	};
	char subject[37];
	char *token = new_subject(subject);

	for (size_t i = 0; i < NELEM(bodies); i++)
		refused("POST", "/api/tasks", token, bodies[i], 422, NULL);
	http_free(listed(token, "", subject, 0, 0));
	free(token);
}

Test(tasks_create, external_issuer_subject_is_served)
{
	char *subject = str_repeat("better-auth|", "Z", 200, "");
	char *token = token_for(subject);
	struct http_res *r = create_ok(token, subject, "{\"title\":\"from elsewhere\"}");
	struct http_res *l = listed(token, "", subject, 1, 1), *g;

	cr_assert_str_eq(item_id(l, 0), json_str(r, "id"));
	g = fetch(token, subject, json_str(r, "id"));
	cr_assert_str_eq(json_str(g, "title"), "from elsewhere");
	http_free(g);
	http_free(l);
	http_free(r);
	free(token);
	free(subject);
}

/* ---- request bodies and the order of checks --------------------------- */

Test(tasks_body, invalid_utf8_and_malformed_json_are_400)
{
	static const char *const bodies[] = {
		"{\"title\":\"\xFF\"}",
		"{\"title\":\"\xC0\xAF\"}",		/* overlong */
		"{\"title\":\"\xED\xA0\x80\"}",		/* encoded surrogate */
		"{\"title\":\"\xE4\xB8\"}",		/* truncated */
		"{", "{\"title\":}", "{'title':'x'}", "{\"title\":\"x\",}",
		"{\"title\":\"x\"} trailing", "{\"title\":\"x\"}{}", "", "   ",
	};
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *r;

	for (size_t i = 0; i < NELEM(bodies); i++) {
		r = post_raw(token, "Content-Type: application/json", bodies[i], strlen(bodies[i]));
		expect_error(r, 400, "Invalid JSON body", bodies[i]);
		http_free(r);
	}
	http_free(listed(token, "", subject, 0, 0));
	free(token);
}

Test(tasks_body, json_that_is_not_an_object_is_422)
{
	static const char *const bodies[] = {
		"[]", "[{\"title\":\"x\"}]", "\"title\"", "42", "true", "null",
	};
	char subject[37];
	char *token = new_subject(subject);

	for (size_t i = 0; i < NELEM(bodies); i++)
		refused("POST", "/api/tasks", token, bodies[i], 422, "Request body must be a JSON object");
	free(token);
}

Test(tasks_body, content_type_must_be_json)
{
	static const char *const bad[] = {
		NULL, "Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
	};
	char subject[37];
	char *token = new_subject(subject);
	const char *body = "{\"title\":\"typed\"}";
	struct http_res *r;

	for (size_t i = 0; i < NELEM(bad); i++) {
		r = post_raw(token, bad[i], body, strlen(body));
		expect_error(r, 415, "Content-Type must be application/json", OR_EMPTY(bad[i]));
		http_free(r);
	}
	/* 415 comes before the body is parsed. */
	r = post_raw(token, "Content-Type: text/plain", "{", 1);
	expect_error(r, 415, "Content-Type must be application/json", "text/plain, bad JSON");
	http_free(r);
	r = post_raw(token, "Content-Type: application/json; charset=utf-8", body, strlen(body));
	cr_assert_eq(r->status, 201, "charset=utf-8: %ld %s", r->status, r->body);
	check_task_obj(r->json, subject, r->body);
	cr_assert_str_eq(json_str(r, "title"), "typed");
	http_free(r);
	http_free(listed(token, "", subject, 1, 1));	/* only that one */
	free(token);
}

Test(tasks_body, over_64_kib_is_413)
{
	char subject[37];
	char *token = new_subject(subject);
	/* {"title":"x","pad":"…"}: 22 bytes around the padding. */
	char *fits = str_repeat("{\"title\":\"x\",\"pad\":\"", "p", 65536 - 22, "\"}");
	char *over = str_repeat("{\"title\":\"x\",\"pad\":\"", "p", 65537 - 22, "\"}");

	cr_assert_eq(strlen(fits), 65536);
	cr_assert_eq(strlen(over), 65537);
	http_free(create_ok(token, subject, fits));
	refused("POST", "/api/tasks", token, over, 413, "Request body too large");
	refused("PUT", task_path("not-a-uuid", ""), token, over, 413, "Request body too large");
	http_free(listed(token, "", subject, 1, 1));	/* only the one that fits */
	free(over);
	free(fits);
	free(token);
}

Test(tasks_body, authentication_comes_first)
{
	char subject[37], id[37];
	char *token = new_subject(subject);
	struct http_res *r;

	create_task(token, "mine", id);
	r = post_raw(NULL, "Content-Type: text/plain", "{", 1);
	expect_error(r, 401, "Not authenticated", "POST no token, bad body");
	cr_assert_str_eq(OR_EMPTY(http_header(r, "WWW-Authenticate")), "Bearer");
	http_free(r);
	refused("POST", "/api/tasks", NULL, "{\"title\":\"x\"}", 401, "Not authenticated");
	refused("PUT", task_path(id, ""), NULL, "{\"title\":5}", 401, "Not authenticated");
	refused("PATCH", task_path("not-a-uuid", ""), NULL, "[]", 401, "Not authenticated");
	refused("DELETE", task_path(id, ""), NULL, NULL, 401, "Not authenticated");
	refused("PATCH", task_path(id, "/complete"), NULL, NULL, 401, "Not authenticated");
	refused("GET", "/api/tasks?limit=0", NULL, NULL, 401, "Not authenticated");
	r = fetch(token, subject, id);
	cr_assert_str_eq(json_str(r, "title"), "mine");
	cr_assert_eq(json_flag(r, "is_completed"), 0);
	http_free(r);
	http_free(listed(token, "", subject, 1, 1));
	free(token);
}

Test(tasks_body, body_is_checked_before_the_row)
{
	char subject[37], intruder[37], id[37], unknown[37];
	char *owner = new_subject(subject), *other = new_subject(intruder);

	create_task(owner, "owned", id);
	test_uuid(unknown);
	refused("PUT", task_path(unknown, ""), owner, "{\"title\":\"\"}", 422, "title must be 1 to 255 characters");
	refused("PATCH", task_path("123", ""), owner, "{", 400, "Invalid JSON body");
	refused("PATCH", task_path(id, ""), other, "{\"is_completed\":1}", 422, "is_completed must be a boolean");
	free(owner);
	free(other);
}

/* ---- GET /api/tasks --------------------------------------------------- */

Test(tasks_list, newest_first_with_total)
{
	char subject[37], ids[3][37];
	char *token = new_subject(subject);
	struct http_res *r;

	make_tasks(token, 3, ids);
	r = listed(token, "", subject, 3, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(item_id(r, i), ids[2 - i], "position %zu of %s", i, r->body);
	for (size_t i = 1; i < 3; i++) {
		struct json_object *a = json_object_array_get_idx(r->json, i - 1);
		struct json_object *b = json_object_array_get_idx(r->json, i);
		int c = strcmp(obj_str(a, "created_at"), obj_str(b, "created_at"));

		cr_assert(c > 0 || (c == 0 && strcmp(obj_str(a, "id"), obj_str(b, "id")) > 0),
		    "not ordered by created_at desc, id desc: %s", r->body);
	}
	http_free(r);
	r = listed(token, "", subject, 3, 3);
	cr_assert_str_eq(item_id(r, 0), ids[2], "the order is stable");
	http_free(r);
	free(token);
}

Test(tasks_list, empty_for_a_new_subject)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *r = listed(token, "", subject, 0, 0);

	cr_assert_str_eq(r->body, "[]");
	http_free(r);
	free(token);
}

Test(tasks_list, limit_defaults_to_100)
{
	char subject[37], id[37];
	char *token = new_subject(subject);

	for (int i = 0; i < 101; i++)
		create_task(token, "many", id);
	http_free(listed(token, "", subject, 100, 101));
	http_free(listed(token, "?limit=1000", subject, 101, 101));
	http_free(listed(token, "?offset=100", subject, 1, 101));
	free(token);
}

Test(tasks_list, pages_are_stable_and_disjoint)
{
	char subject[37], ids[3][37];
	char *token = new_subject(subject);
	struct http_res *all, *p1, *p2, *mid;

	make_tasks(token, 3, ids);
	all = listed(token, "?limit=3", subject, 3, 3);
	p1 = listed(token, "?limit=2&offset=0", subject, 2, 3);
	p2 = listed(token, "?offset=2&limit=2", subject, 1, 3);
	mid = listed(token, "?limit=1&offset=1", subject, 1, 3);
	cr_assert_str_eq(item_id(p1, 0), item_id(all, 0));
	cr_assert_str_eq(item_id(p1, 1), item_id(all, 1));
	cr_assert_str_eq(item_id(p2, 0), item_id(all, 2));
	cr_assert_str_eq(item_id(mid, 0), item_id(all, 1));
	cr_assert_str_neq(item_id(p2, 0), item_id(p1, 0));
	cr_assert_str_neq(item_id(p2, 0), item_id(p1, 1));
	http_free(mid);
	http_free(p2);
	http_free(p1);
	http_free(all);
	free(token);
}

Test(tasks_list, offset_past_the_end_keeps_the_count)
{
	char subject[37], ids[3][37];
	char *token = new_subject(subject);

	make_tasks(token, 3, ids);
	http_free(listed(token, "?offset=3", subject, 0, 3));
	http_free(listed(token, "?offset=50&limit=5", subject, 0, 3));
	http_free(listed(token, "?offset=2147483647", subject, 0, 3));
	http_free(listed(token, "?offset=10&completed=false", subject, 0, 3));
	http_free(listed(token, "?offset=10&completed=true", subject, 0, 0));
	free(token);
}

Test(tasks_list, completed_filter_and_its_count)
{
	char subject[37], ids[3][37];
	char *token = new_subject(subject);
	struct http_res *r;

	make_tasks(token, 3, ids);
	http_free(task_req("PATCH", task_path(ids[1], "/complete"), token, NULL, 200, subject));
	r = listed(token, "?completed=true", subject, 1, 1);
	cr_assert_str_eq(item_id(r, 0), ids[1]);
	cr_assert(json_object_get_boolean(json_object_object_get(
	    json_object_array_get_idx(r->json, 0), "is_completed")), "%s", r->body);
	http_free(r);
	r = listed(token, "?completed=false", subject, 2, 2);
	cr_assert_str_eq(item_id(r, 0), ids[2]);
	cr_assert_str_eq(item_id(r, 1), ids[0]);
	http_free(r);
	r = listed(token, "?completed=false&limit=1&offset=1", subject, 1, 2);
	cr_assert_str_eq(item_id(r, 0), ids[0]);
	http_free(r);
	http_free(listed(token, "", subject, 3, 3));
	free(token);
}

Test(tasks_list, bad_query_values_are_422)
{
	static const char *const limits[] = {
		"?limit=0", "?limit=1001", "?limit=-1", "?limit=abc", "?limit=", "?limit",
		"?limit=1&limit=2", "?limit=1.5", "?limit=10abc", "?limit=99999999999999999999",
		"?limit=%20",
	};
	static const char *const offsets[] = {
		"?offset=-1", "?offset=2147483648", "?offset=", "?offset=x",
		"?offset=0&offset=0", "?offset=1e3",
	};
	static const char *const completed[] = {
		"?completed=yes", "?completed=", "?completed=TRUE", "?completed=1",
		"?completed=true&completed=true", "?completed",
	};
	char subject[37], path[128];
	char *token = new_subject(subject);

	for (size_t i = 0; i < NELEM(limits); i++) {
		snprintf(path, sizeof(path), "/api/tasks%s", limits[i]);
		refused("GET", path, token, NULL, 422, "limit must be one integer from 1 to 1000");
	}
	for (size_t i = 0; i < NELEM(offsets); i++) {
		snprintf(path, sizeof(path), "/api/tasks%s", offsets[i]);
		refused("GET", path, token, NULL, 422, "offset must be one integer from 0 to 2147483647");
	}
	for (size_t i = 0; i < NELEM(completed); i++) {
		snprintf(path, sizeof(path), "/api/tasks%s", completed[i]);
		refused("GET", path, token, NULL, 422, "completed must be true or false");
	}
	free(token);
}

Test(tasks_list, unknown_params_ignored_and_percent_encoding_decoded)
{
	char subject[37], ids[3][37];
	char *token = new_subject(subject);
	struct http_res *r;

	make_tasks(token, 3, ids);
	http_free(task_req("PATCH", task_path(ids[0], "/complete"), token, NULL, 200, subject));
	http_free(listed(token, "?order=asc&limitx=0&foo&user_id=someone&", subject, 3, 3));
	r = listed(token, "?%6Cimit=1", subject, 1, 3);
	cr_assert_str_eq(item_id(r, 0), ids[2]);
	http_free(r);
	r = listed(token, "?limit=%31&offset=%32", subject, 1, 3);
	cr_assert_str_eq(item_id(r, 0), ids[0]);
	http_free(r);
	r = listed(token, "?completed=%74rue", subject, 1, 1);
	cr_assert_str_eq(item_id(r, 0), ids[0]);
	http_free(r);
	refused("GET", "/api/tasks?%6Cimit=0", token, NULL, 422, "limit must be one integer from 1 to 1000");
	free(token);
}

Test(tasks_list, a_subject_sees_only_its_own_tasks)
{
	char a[37], b[37], ids[2][37], bid[37];
	char *ta = new_subject(a), *tb = new_subject(b);
	struct http_res *r;

	make_tasks(ta, 2, ids);
	create_task(tb, "b", bid);
	r = listed(ta, "?limit=1000", a, 2, 2);	/* every item's user_id is a */
	cr_assert_null(strstr(r->body, bid), "b's task is in a's list: %s", r->body);
	http_free(r);
	r = listed(tb, "?completed=false", b, 1, 1);
	cr_assert_str_eq(item_id(r, 0), bid);
	http_free(r);
	free(ta);
	free(tb);
}

/* ---- the {id} routes: 403 and 404 ------------------------------------- */

/*
 * Another subject's request on the owner's task is 403 and changes
 * nothing; an unknown or malformed id is 404.
 */
static void
check_scoping(const char *method, const char *suffix, const char *body)
{
	char owner_sub[37], other_sub[37], unknown[37];
	char *owner = new_subject(owner_sub), *other = new_subject(other_sub);
	struct http_res *c = create_ok(owner, owner_sub,
	    "{\"title\":\"private\",\"description\":\"secret\",\"is_completed\":false}");
	struct http_res *after;

	usleep(20000);
	refused(method, task_path(json_str(c, "id"), suffix), other, body, 403,
	    "Not authorized to access this task");
	after = fetch(owner, owner_sub, json_str(c, "id"));
	cr_assert(json_object_equal(c->json, after->json),
	    "%s by another subject changed the row: %s -> %s", method, c->body, after->body);
	http_free(listed(other, "", other_sub, 0, 0));
	test_uuid(unknown);
	refused(method, task_path(unknown, suffix), owner, body, 404, "Task not found");
	refused(method, task_path("not-a-uuid", suffix), owner, body, 404, "Task not found");
	refused(method, task_path("123", suffix), owner, body, 404, "Task not found");
	http_free(after);
	http_free(c);
	free(owner);
	free(other);
}

Test(task_get, scoping) { check_scoping("GET", "", NULL); }
Test(task_put, scoping) { check_scoping("PUT", "", "{\"title\":\"hijacked\",\"is_completed\":true}"); }
Test(task_patch, scoping) { check_scoping("PATCH", "", "{\"is_completed\":true,\"description\":null}"); }
Test(task_delete, scoping) { check_scoping("DELETE", "", NULL); }
Test(task_complete, scoping) { check_scoping("PATCH", "/complete", NULL); }

/* ---- GET, PUT, PATCH, DELETE /api/tasks/{id} -------------------------- */

Test(task_get, returns_the_task)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject,
	    "{\"title\":\"read me\",\"description\":\"d\",\"is_completed\":true}");
	struct http_res *g = fetch(token, subject, json_str(c, "id"));

	cr_assert(json_object_equal(c->json, g->json), "%s vs %s", c->body, g->body);
	http_free(g);
	http_free(c);
	free(token);
}

Test(task_put, replaces_all_fields_and_moves_updated_at)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject,
	    "{\"title\":\"old\",\"description\":\"old d\",\"is_completed\":true}");
	const char *id = json_str(c, "id");
	struct http_res *r, *g;

	usleep(20000);
	r = task_req("PUT", task_path(id, ""), token, "{\"title\":\"  new  \"}", 200, subject);
	cr_assert_str_eq(json_str(r, "id"), id);
	cr_assert_str_eq(json_str(r, "title"), "new");
	cr_assert(json_is_null(r, "description"), "omitted description must be null: %s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "omitted is_completed must be false: %s", r->body);
	cr_assert_str_eq(json_str(r, "created_at"), json_str(c, "created_at"));
	cr_assert_gt(strcmp(json_str(r, "updated_at"), json_str(r, "created_at")), 0,
	    "updated_at did not move: %s", r->body);
	g = fetch(token, subject, id);
	cr_assert(json_object_equal(g->json, r->json), "%s vs %s", g->body, r->body);
	http_free(g);
	http_free(r);

	r = task_req("PUT", task_path(id, ""), token,
	    "{\"title\":\"full\",\"description\":\"all three\",\"is_completed\":true,"
	    "\"id\":\"00000000-0000-4000-8000-000000000000\",\"user_id\":\"x\","
	    "\"created_at\":\"2001-01-01T00:00:00.000000Z\"}", 200, subject);
	cr_assert_str_eq(json_str(r, "id"), id);
	cr_assert_str_eq(json_str(r, "title"), "full");
	cr_assert_str_eq(json_str(r, "description"), "all three");
	cr_assert_eq(json_flag(r, "is_completed"), 1);
	cr_assert_str_eq(json_str(r, "created_at"), json_str(c, "created_at"));
	http_free(r);
	http_free(c);
	free(token);
}

Test(task_put, refuses_a_bad_body_and_leaves_the_row)
{
	static const struct { const char *body; long status; const char *detail; } cases[] = {
		{ "{\"description\":\"no title\"}", 422, "title is required" },
		{ "{\"title\":\"   \"}", 422, "title must be 1 to 255 characters" },
		{ "{\"title\":\"t\",\"is_completed\":\"true\"}", 422, "is_completed must be a boolean" },
		{ "{\"title\":\"t\",\"description\":7}", 422, "description must be a string or null" },
		{ "[]", 422, "Request body must be a JSON object" },
		{ "{\"title\":", 400, "Invalid JSON body" },
	};
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject, "{\"title\":\"keep\",\"description\":\"d\"}");
	const char *id = json_str(c, "id");
	struct http_res *r;

	for (size_t i = 0; i < NELEM(cases); i++)
		refused("PUT", task_path(id, ""), token, cases[i].body, cases[i].status, cases[i].detail);
	r = fetch(token, subject, id);
	cr_assert(json_object_equal(r->json, c->json), "a refused PUT changed the row: %s", r->body);
	http_free(r);
	http_free(c);
	free(token);
}

Test(task_patch, changes_only_the_given_fields)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject,
	    "{\"title\":\"orig\",\"description\":\"orig d\",\"is_completed\":false}");
	const char *id = json_str(c, "id");
	struct http_res *r;

	usleep(20000);
	r = task_req("PATCH", task_path(id, ""), token, "{\"title\":\" renamed \"}", 200, subject);
	cr_assert_str_eq(json_str(r, "title"), "renamed");
	cr_assert_str_eq(json_str(r, "description"), "orig d");
	cr_assert_eq(json_flag(r, "is_completed"), 0);
	cr_assert_str_eq(json_str(r, "created_at"), json_str(c, "created_at"));
	cr_assert_gt(strcmp(json_str(r, "updated_at"), json_str(c, "updated_at")), 0, "%s", r->body);
	http_free(r);

	r = task_req("PATCH", task_path(id, ""), token, "{\"is_completed\":true}", 200, subject);
	cr_assert_str_eq(json_str(r, "title"), "renamed");
	cr_assert_str_eq(json_str(r, "description"), "orig d");
	cr_assert_eq(json_flag(r, "is_completed"), 1);
	http_free(r);

	r = task_req("PATCH", task_path(id, ""), token, "{\"description\":null}", 200, subject);
	cr_assert(json_is_null(r, "description"), "%s", r->body);
	cr_assert_str_eq(json_str(r, "title"), "renamed");
	cr_assert_eq(json_flag(r, "is_completed"), 1);
	http_free(r);

	r = task_req("PATCH", task_path(id, ""), token, "{}", 200, subject);
	cr_assert_str_eq(json_str(r, "title"), "renamed");
	cr_assert(json_is_null(r, "description"), "%s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 1);
	http_free(r);

	r = fetch(token, subject, id);
	cr_assert_str_eq(json_str(r, "title"), "renamed");
	cr_assert(json_is_null(r, "description"), "%s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 1);
	cr_assert_str_eq(json_str(r, "created_at"), json_str(c, "created_at"));
	http_free(r);
	http_free(c);
	free(token);
}

Test(task_patch, refuses_bad_values_and_leaves_the_row)
{
	static const char *const cases[][2] = {
		{ "{\"title\":\"\"}", "title must be 1 to 255 characters" },
		{ "{\"title\":7}", "title must be a string" },
		{ "{\"title\":null}", NULL },
		{ "{\"description\":[]}", "description must be a string or null" },
		{ "{\"is_completed\":null}", "is_completed must be a boolean" },
		{ "{\"is_completed\":0}", "is_completed must be a boolean" },
		{ "{\"title\":\"ok\",\"is_completed\":\"false\"}", "is_completed must be a boolean" },
		{ "\"x\"", "Request body must be a JSON object" },
	};
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject, "{\"title\":\"keep\",\"description\":\"d\"}");
	const char *id = json_str(c, "id");
	struct http_res *r;

	for (size_t i = 0; i < NELEM(cases); i++)
		refused("PATCH", task_path(id, ""), token, cases[i][0], 422, cases[i][1]);
	r = fetch(token, subject, id);
	cr_assert(json_object_equal(r->json, c->json), "a refused PATCH changed the row: %s", r->body);
	http_free(r);
	http_free(c);
	free(token);
}

Test(task_delete, deletes_then_404)
{
	char subject[37], keep[37], gone[37];
	char *token = new_subject(subject);
	struct http_res *r;

	create_task(token, "keep", keep);
	create_task(token, "gone", gone);
	r = http_json("DELETE", task_path(gone, ""), token, NULL);
	cr_assert_eq(r->status, 204, "DELETE: %ld %s", r->status, r->body);
	cr_assert_eq(r->body_len, 0, "a 204 has no body: %s", r->body);
	http_free(r);
	refused("GET", task_path(gone, ""), token, NULL, 404, "Task not found");
	refused("DELETE", task_path(gone, ""), token, NULL, 404, "Task not found");
	refused("PATCH", task_path(gone, "/complete"), token, NULL, 404, "Task not found");
	refused("PUT", task_path(gone, ""), token, "{\"title\":\"back\"}", 404, "Task not found");
	r = listed(token, "", subject, 1, 1);
	cr_assert_str_eq(item_id(r, 0), keep);
	http_free(r);
	free(token);
}

/* ---- PATCH /api/tasks/{id}/complete ----------------------------------- */

Test(task_complete, toggles_twice_back)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *c = create_ok(token, subject, "{\"title\":\"flip\",\"description\":\"d\"}");
	const char *id = json_str(c, "id");
	struct http_res *r;

	usleep(20000);
	r = task_req("PATCH", task_path(id, "/complete"), token, NULL, 200, subject);
	cr_assert_eq(json_flag(r, "is_completed"), 1, "%s", r->body);
	cr_assert_str_eq(json_str(r, "title"), "flip");
	cr_assert_str_eq(json_str(r, "description"), "d");
	cr_assert_gt(strcmp(json_str(r, "updated_at"), json_str(c, "updated_at")), 0, "%s", r->body);
	http_free(r);
	r = task_req("PATCH", task_path(id, "/complete"), token, NULL, 200, subject);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "%s", r->body);
	http_free(r);
	r = fetch(token, subject, id);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "%s", r->body);
	http_free(r);
	http_free(c);
	free(token);
}

struct toggler {
	const char *token;
	const char *id;
	long status;
};

static void *
toggle_thread(void *arg)
{
	struct toggler *t = arg;
	struct http_res *r = http_json("PATCH", task_path(t->id, "/complete"), t->token, NULL);

	t->status = r->status;
	http_free(r);
	return NULL;
}

/* n concurrent toggles of id, each its own request; all must be 200. */
static void
toggle_batch(const char *token, const char *id, int n)
{
	struct toggler t[16];
	pthread_t th[16];

	cr_assert_leq(n, 16);
	for (int i = 0; i < n; i++) {
		t[i] = (struct toggler){ token, id, 0 };
		cr_assert_eq(pthread_create(&th[i], NULL, toggle_thread, &t[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		cr_assert_eq(t[i].status, 200, "toggle %d: %ld", i, t[i].status);
}

Test(task_complete, concurrent_toggles_all_count)
{
	char subject[37], id[37];
	char *token = new_subject(subject);
	struct http_res *r;

	create_task(token, "race", id);
	toggle_batch(token, id, 8);
	r = fetch(token, subject, id);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "8 toggles from false end false: %s", r->body);
	http_free(r);
	toggle_batch(token, id, 7);
	r = fetch(token, subject, id);
	cr_assert_eq(json_flag(r, "is_completed"), 1, "7 more toggles end true: %s", r->body);
	http_free(r);
	free(token);
}

/* ---- X-Total-Count under concurrent changes --------------------------- */

struct churner {
	const char *token;
	int failures;
};

/* Creates six tasks, completes three, deletes two (one of them completed). */
static void *
churn_thread(void *arg)
{
	struct churner *ch = arg;
	char ids[6][37];
	struct http_res *r;

	for (int i = 0; i < 6; i++) {
		r = http_json("POST", "/api/tasks", ch->token, "{\"title\":\"churn\"}");
		if (r->status != 201 || json_str(r, "id") == NULL) {
			ch->failures++;
			ids[i][0] = '\0';
		} else
			snprintf(ids[i], sizeof(ids[i]), "%s", json_str(r, "id"));
		http_free(r);
	}
	for (int i = 0; i < 3; i++) {
		r = http_json("PATCH", task_path(ids[i], "/complete"), ch->token, NULL);
		ch->failures += r->status != 200;
		http_free(r);
	}
	for (int i = 2; i < 4; i++) {
		r = http_json("DELETE", task_path(ids[i], ""), ch->token, NULL);
		ch->failures += r->status != 204;
		http_free(r);
	}
	return NULL;
}

/*
 * The counts behind X-Total-Count are kept by a trigger in the same
 * transaction as each change (sql/003_task_counts.sql), in slots that
 * concurrent sessions share: after 8 clients create, complete and delete
 * at once, every count is still exact.
 */
Test(tasks_list, total_stays_exact_under_concurrent_changes)
{
	struct churner ch[8];
	pthread_t th[8];
	char subject[37];
	char *token = new_subject(subject);

	for (int i = 0; i < 8; i++) {
		ch[i] = (struct churner){ token, 0 };
		cr_assert_eq(pthread_create(&th[i], NULL, churn_thread, &ch[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(ch[i].failures, 0, "client %d had %d failures", i,
		    ch[i].failures);
	}
	/* Each client leaves 4 tasks, 2 of them completed. */
	http_free(listed(token, "?limit=100", subject, 32, 32));
	http_free(listed(token, "?limit=100&completed=true", subject, 16, 16));
	http_free(listed(token, "?limit=100&completed=false", subject, 16, 16));
	/* A page past the end still counts what matches. */
	http_free(listed(token, "?offset=500&completed=true", subject, 0, 16));
	free(token);
}
