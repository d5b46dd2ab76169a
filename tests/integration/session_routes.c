/*
 * Integration: the routes that list and end sessions, over real HTTP
 * through nginx (docs/API.md "Logout", docs/API.md "Session list", and the
 * 403 of docs/API.md "Session tokens"). Each test registers its own user
 * and logs in as often as it needs, with real tokens of the real login;
 * the database is looked at as its owner only to see or move what the
 * contract says of a session's times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/issuer.h"
#include "support/sessions.h"

#define PASSWORD "quartz-lantern-orbit-42"
#define ENDED "Session has ended"
#define ELSEWHERE "Sessions of this token are managed by its issuer"
#define NOT_FOUND "Session not found"
#define SCOPE_422 "scope must be one of local, others, global"
/* docs/API.md "Logout": the tests' sessions of one user. */
#define LOGINS 5

/* A registered user: its email, and its register's session. */
struct account {
	char email[128];
	struct session_tokens first;
};

static void
sr_register(struct account *a)
{
	test_email(a->email, sizeof(a->email));
	session_register(a->email, PASSWORD, &a->first);
}

static void
sr_login_all(const struct account *a, struct session_tokens t[LOGINS])
{
	for (int i = 0; i < LOGINS; i++)
		session_login(a->email, PASSWORD, NULL, &t[i]);
}

/* An error answer: status, JSON detail want; frees r. */
static void
sr_error(struct http_res *r, long status, const char *want, const char *what)
{
	const char *ct = http_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what,
	    status, r->status, r->body);
	cr_assert(ct != NULL && strcmp(ct, "application/json") == 0, "%s: %s",
	    what, ct != NULL ? ct : "no Content-Type");
	cr_assert_str_eq(detail(r), want, "%s: %s", what, r->body);
	if (status == 401) {
		const char *w = http_header(r, "WWW-Authenticate");

		cr_assert(w != NULL && strcmp(w, "Bearer") == 0, "%s: %s", what,
		    r->headers);
	}
	http_free(r);
}

/* A 204 with no body; frees r. */
static void
sr_204(struct http_res *r, const char *what)
{
	cr_assert_eq(r->status, 204, "%s: %ld %s", what, r->status, r->body);
	cr_assert_eq(r->body_len, 0, "%s: %s", what, r->body);
	http_free(r);
}

/* Whether token still works (GET /api/auth/me): 1, or 0 on its 401. */
static int
sr_works(const char *token)
{
	struct http_res *r = http_json("GET", "/api/auth/me", token, NULL);

	if (r->status == 200) {
		http_free(r);
		return 1;
	}
	sr_error(r, 401, ENDED, "a token of an ended session");
	return 0;
}

/* Each of tokens works exactly when alive[i] says so. */
static void
sr_alive(const struct session_tokens t[LOGINS], const int alive[LOGINS],
    const char *what)
{
	for (int i = 0; i < LOGINS; i++)
		cr_assert_eq(sr_works(t[i].access), alive[i], "%s: token %d %s",
		    what, i, alive[i] ? "ended" : "still works");
}

static struct http_res *
sr_logout(const char *token, const char *query)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/auth/logout%s", query);
	return http_bearer("POST", path, token, NULL, NULL, NULL);
}

static struct http_res *
sr_delete(const char *token, const char *id)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/auth/sessions/%s", id);
	return http_bearer("DELETE", path, token, NULL, NULL, NULL);
}

/* GET /api/auth/sessions: 200 and a JSON array; free with http_free. */
static struct http_res *
sr_list(const char *token)
{
	struct http_res *r = http_json("GET", "/api/auth/sessions", token,
	    NULL);
	const char *ct = http_header(r, "Content-Type");

	cr_assert_eq(r->status, 200, "list: %ld %s", r->status, r->body);
	cr_assert(ct != NULL && strcmp(ct, "application/json") == 0, "%s",
	    r->headers);
	cr_assert(r->json != NULL && json_object_is_type(r->json,
	    json_type_array), "list: %s", r->body);
	return r;
}

/* The list's item of session sid, or NULL. */
static struct json_object *
sr_item(const struct http_res *r, const char *sid)
{
	for (size_t i = 0; i < json_object_array_length(r->json); i++) {
		struct json_object *o = json_object_array_get_idx(r->json, i);

		const char *id = obj_str(o, "id");

		if (id != NULL && strcmp(id, sid) == 0)
			return o;
	}
	return NULL;
}

/* ---- logout (docs/API.md "Logout") ---- */

Test(session_routes, logout_local_ends_the_token_session_alone)
{
	struct session_tokens t[LOGINS];
	struct account a;

	sr_register(&a);
	sr_login_all(&a, t);
	sr_204(sr_logout(t[0].access, ""), "logout, local by default");
	sr_alive(t, (int[LOGINS]){ 0, 1, 1, 1, 1 }, "after local");
	sr_204(sr_logout(t[1].access, "?scope=local"), "logout?scope=local");
	sr_alive(t, (int[LOGINS]){ 0, 0, 1, 1, 1 }, "after local");
	cr_assert(sr_works(a.first.access), "register's session ended");
	/* docs/API.md "Session tokens": an ended session's token is 401. */
	sr_error(sr_logout(t[0].access, ""), 401, ENDED, "logout twice");
}

Test(session_routes, logout_others_keeps_the_token_session_alone)
{
	struct session_tokens t[LOGINS];
	struct account a;

	sr_register(&a);
	sr_login_all(&a, t);
	sr_204(sr_logout(t[2].access, "?scope=others"), "logout?scope=others");
	sr_alive(t, (int[LOGINS]){ 0, 0, 1, 0, 0 }, "after others");
	cr_assert(!sr_works(a.first.access), "register's session kept");
	/* Nothing left to end is still 204, and the session stays. */
	sr_204(sr_logout(t[2].access, "?scope=others"), "others, none left");
	sr_alive(t, (int[LOGINS]){ 0, 0, 1, 0, 0 }, "after others again");
}

Test(session_routes, logout_global_ends_every_session_of_the_user_alone)
{
	struct session_tokens t[LOGINS];
	struct account a, b;

	sr_register(&a);
	sr_register(&b);
	sr_login_all(&a, t);
	sr_204(sr_logout(t[3].access, "?scope=global"), "logout?scope=global");
	sr_alive(t, (int[LOGINS]){ 0, 0, 0, 0, 0 }, "after global");
	cr_assert(!sr_works(a.first.access), "register's session kept");
	cr_assert(sr_works(b.first.access), "another user's session ended");
}

Test(session_routes, logout_scope_other_than_the_three_is_422_and_ends_nothing)
{
	static const char *const bad[] = {
		"?scope=all", "?scope=", "?scope", "?scope=LOCAL",
		"?scope=%20local", "?scope=local&scope=local",
		"?scope=others&scope=global", "?scope=%zz", "?scope=local%00",
		"?scope=globalglobalglobalglobal", "?%73cope=everywhere",
	};
	struct account a;

	sr_register(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sr_error(sr_logout(a.first.access, bad[i]), 422, SCOPE_422,
		    bad[i]);
	cr_assert(sr_works(a.first.access), "a refused logout ended it");
	/* docs/API.md "Query values": unknown parameters are ignored. */
	sr_204(sr_logout(a.first.access, "?scopes=global&x=1"), "unknown ones");
	cr_assert(!sr_works(a.first.access), "logout with unknown parameters");
}

/* ---- the list (docs/API.md "Session list") ---- */

/* One item: exactly the contract's six fields, in their forms. */
static void
sr_check_item(struct json_object *o, const char *ua, int current,
    const char *body)
{
	struct json_object *v;

	cr_assert(o != NULL && json_object_object_length(o) == 6, "%s", body);
	cr_assert(is_uuid(obj_str(o, "id")), "%s", body);
	cr_assert(is_timestamp(obj_str(o, "created_at")), "%s", body);
	cr_assert(is_timestamp(obj_str(o, "last_used_at")), "%s", body);
	cr_assert(is_timestamp(obj_str(o, "expires_at")), "%s", body);
	/* The same form compares as text: created <= last used < expires. */
	cr_assert(strcmp(obj_str(o, "created_at"), obj_str(o, "last_used_at"))
	    <= 0 && strcmp(obj_str(o, "last_used_at"), obj_str(o,
	    "expires_at")) < 0, "%s", body);
	cr_assert(json_object_object_get_ex(o, "user_agent", &v), "%s", body);
	if (ua == NULL)
		cr_assert_null(v, "user_agent should be null: %s", body);
	else
		cr_assert(obj_str(o, "user_agent") != NULL &&
		    strcmp(obj_str(o, "user_agent"), ua) == 0, "%s", body);
	cr_assert(json_object_object_get_ex(o, "current", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v) == current, "current: %s", body);
}

Test(session_routes, list_is_the_live_sessions_newest_first)
{
	static const char *const ua[3] = {
		"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0", NULL,
		"curl/8.5.0 \"quoted\" \xC3\xA9",
	};
	struct session_tokens t[3];
	const char *sid[4];
	struct account a;
	struct http_res *r;
	char *expires;

	sr_register(&a);
	for (int i = 0; i < 3; i++) {
		session_login(a.email, PASSWORD, ua[i], &t[i]);
		sid[i] = t[i].sid;
	}
	sid[3] = a.first.sid;
	r = sr_list(t[1].access);
	cr_assert_eq(json_object_array_length(r->json), 4, "%s", r->body);
	for (int i = 0; i < 4; i++) {
		struct json_object *o = json_object_array_get_idx(r->json, i);

		/* Newest first: the logins backwards, then the register's. */
		cr_assert_str_eq(obj_str(o, "id"), sid[i < 3 ? 2 - i : 3], "%s",
		    r->body);
		sr_check_item(o, i < 3 ? ua[2 - i] : NULL, i == 1, r->body);
	}
	/* expires_at is the sooner of the two ends. */
	expires = owner_sql("SELECT to_char(least(idle_expires_at, "
	    "max_expires_at) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM sessions WHERE id = $1",
	    sid[0], NULL);
	cr_assert_str_eq(obj_str(sr_item(r, sid[0]), "expires_at"), expires);
	free(expires);
	http_free(r);
	/* Ended sessions leave the list. */
	sr_204(sr_delete(t[1].access, sid[0]), "delete one");
	sr_204(sr_logout(t[2].access, ""), "logout");
	r = sr_list(t[1].access);
	cr_assert_eq(json_object_array_length(r->json), 2, "%s", r->body);
	cr_assert(sr_item(r, sid[1]) != NULL && sr_item(r, sid[3]) != NULL,
	    "%s", r->body);
	http_free(r);
}

Test(session_routes, list_leaves_out_expired_sessions)
{
	struct session_tokens idle, max;
	struct account a;
	struct http_res *r;

	sr_register(&a);
	session_login(a.email, PASSWORD, NULL, &idle);
	session_login(a.email, PASSWORD, NULL, &max);
	free(owner_sql("UPDATE sessions SET idle_expires_at = now() - "
	    "interval '1 second' WHERE id = $1", idle.sid, NULL));
	free(owner_sql("UPDATE sessions SET max_expires_at = now() - "
	    "interval '1 second' WHERE id = $1", max.sid, NULL));
	r = sr_list(a.first.access);
	cr_assert_eq(json_object_array_length(r->json), 1, "%s", r->body);
	cr_assert_not_null(sr_item(r, a.first.sid), "%s", r->body);
	http_free(r);
	cr_assert(!sr_works(idle.access) && !sr_works(max.access),
	    "an expired session's token works");
}

/* docs/API.md "Session list": last_used_at moves at least once a minute. */
Test(session_routes, last_used_at_moves_when_over_a_minute_old_only)
{
	static const char *const stamp = "SELECT last_used_at::text FROM "
	    "sessions WHERE id = $1";
	struct account a;
	const char *sid;
	char *before, *after;
	struct http_res *r;

	sr_register(&a);
	sid = a.first.sid;
	free(owner_sql("UPDATE sessions SET last_used_at = now() - "
	    "interval '5 minutes' WHERE id = $1", sid, NULL));
	cr_assert(sr_works(a.first.access));
	after = owner_sql("SELECT last_used_at > now() - interval '10 seconds' "
	    "FROM sessions WHERE id = $1", sid, NULL);
	cr_assert_str_eq(after, "t", "5 minutes old and not moved");
	free(after);
	/* Under a minute old: requests leave it, even several. */
	before = owner_sql("UPDATE sessions SET last_used_at = now() - "
	    "interval '30 seconds' WHERE id = $1 RETURNING last_used_at::text",
	    sid, NULL);
	cr_assert(sr_works(a.first.access) && sr_works(a.first.access));
	after = owner_sql(stamp, sid, NULL);
	cr_assert_str_eq(after, before, "last_used_at moved within a minute");
	free(before);
	free(after);
	/* The list's own request moves it, and shows it moved. */
	free(owner_sql("UPDATE sessions SET last_used_at = now() - "
	    "interval '2 minutes' WHERE id = $1", sid, NULL));
	r = sr_list(a.first.access);
	after = owner_sql("SELECT to_char(last_used_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM sessions WHERE id = $1 "
	    "AND last_used_at > now() - interval '10 seconds'", sid, NULL);
	cr_assert_not_null(after, "the list's request did not move it");
	cr_assert_str_eq(obj_str(sr_item(r, sid), "last_used_at"), after, "%s",
	    r->body);
	free(after);
	http_free(r);
}

/* ---- ending one session ---- */

Test(session_routes, delete_one_ends_it_and_then_it_is_not_found)
{
	static const char *const malformed[] = {
		"not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g",
		"00000000-0000-0000-0000-0000000000000", "not%20a%20uuid",
	};
	struct session_tokens t[2];
	struct account a;
	char unknown[37];

	sr_register(&a);
	session_login(a.email, PASSWORD, NULL, &t[0]);
	session_login(a.email, PASSWORD, NULL, &t[1]);
	sr_204(sr_delete(t[0].access, t[1].sid), "delete another session");
	cr_assert(!sr_works(t[1].access) && sr_works(t[0].access));
	sr_error(sr_delete(t[0].access, t[1].sid), 404, NOT_FOUND,
	    "already ended");
	test_uuid(unknown);
	sr_error(sr_delete(t[0].access, unknown), 404, NOT_FOUND, "unknown");
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		sr_error(sr_delete(t[0].access, malformed[i]), 404, NOT_FOUND,
		    malformed[i]);
	/* The token's own session may be ended this way too. */
	sr_204(sr_delete(t[0].access, t[0].sid), "delete the current session");
	cr_assert(!sr_works(t[0].access), "the current session outlived it");
	cr_assert(sr_works(a.first.access), "the register's session ended");
}

Test(session_routes, another_user_sessions_are_neither_seen_nor_ended)
{
	struct account a, b;
	struct http_res *r;

	sr_register(&a);
	sr_register(&b);
	r = sr_list(a.first.access);
	cr_assert_eq(json_object_array_length(r->json), 1, "%s", r->body);
	cr_assert_null(sr_item(r, b.first.sid), "%s", r->body);
	http_free(r);
	sr_error(sr_delete(a.first.access, b.first.sid), 404, NOT_FOUND,
	    "another user's");
	cr_assert(sr_works(b.first.access), "another user's session ended");
	r = sr_list(b.first.access);
	cr_assert_not_null(sr_item(r, b.first.sid), "%s", r->body);
	http_free(r);
}

/* ---- who may use these routes ---- */

/* Every session route answers token 403 ELSEWHERE. */
static void
sr_all_403(const char *token, const char *what)
{
	char id[37];

	test_uuid(id);
	sr_error(sr_logout(token, ""), 403, ELSEWHERE, what);
	sr_error(sr_logout(token, "?scope=global"), 403, ELSEWHERE, what);
	sr_error(sr_logout(token, "?scope=nowhere"), 403, ELSEWHERE, what);
	sr_error(http_json("GET", "/api/auth/sessions", token, NULL), 403,
	    ELSEWHERE, what);
	sr_error(sr_delete(token, id), 403, ELSEWHERE, what);
	sr_error(sr_delete(token, "not-a-uuid"), 403, ELSEWHERE, what);
	/* It is served as before elsewhere. */
	cr_assert(sr_works(token), "%s", what);
}

Test(session_routes, a_token_without_a_session_here_is_403)
{
	char subject[37], kid[33];
	EVP_PKEY *k = issuer_key("ed25519", kid);
	char *t;

	/* Signed with the secret, by an issuer that shares it: no sid. */
	test_uuid(subject);
	t = token_for(subject);
	sr_all_403(t, "the secret's token without sid");
	free(t);
	/* The external issuer's. */
	test_uuid(subject);
	t = issuer_token(k, issuer_alg("ed25519"), kid, subject, NULL);
	sr_all_403(t, "the external issuer's token");
	free(t);
	EVP_PKEY_free(k);
}

Test(session_routes, other_methods_are_405_with_allow)
{
	static const struct { const char *method, *path, *allow; } cases[] = {
		{ "GET", "/api/auth/logout", "POST, OPTIONS" },
		{ "DELETE", "/api/auth/logout", "POST, OPTIONS" },
		{ "POST", "/api/auth/sessions", "GET, OPTIONS" },
		{ "DELETE", "/api/auth/sessions", "GET, OPTIONS" },
		{ "GET", "/api/auth/sessions/0c5b2f3e-8d8a-4c57-9f55-"
		    "6f1b1c2d3e4f", "DELETE, OPTIONS" },
		{ "POST", "/api/auth/sessions/x", "DELETE, OPTIONS" },
		{ "PATCH", "/api/auth/sessions/x", "DELETE, OPTIONS" },
	};
	struct account a;

	sr_register(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_res *r;
		const char *allow;

		/* With and without a token: the method comes first. */
		for (int with = 0; with < 2; with++) {
			const char *m = cases[i].method, *path = cases[i].path;

			r = with ? http_bearer(m, path, a.first.access, NULL,
			    NULL, NULL) : http_req(m, path, NULL, NULL, 0);
			allow = http_header(r, "Allow");
			cr_assert(allow != NULL &&
			    strcmp(allow, cases[i].allow) == 0, "%s %s: %s",
			    cases[i].method, cases[i].path, r->headers);
			sr_error(r, 405, "Method Not Allowed", cases[i].path);
		}
		r = http_req("OPTIONS", cases[i].path, NULL, NULL, 0);
		allow = http_header(r, "Allow");
		cr_assert(allow != NULL && strcmp(allow, cases[i].allow) == 0,
		    "OPTIONS %s: %s", cases[i].path, r->headers);
		sr_204(r, cases[i].path);
	}
	cr_assert(sr_works(a.first.access));
}

/*
 * docs/API.md "Session tokens": without a valid token, 401; with the token
 * of an ended session, 401 Session has ended and nothing else ends.
 */
Test(session_routes, missing_bad_and_ended_tokens_are_401_and_end_nothing)
{
	struct session_tokens t;
	struct account a;

	sr_register(&a);
	sr_error(http_req("POST", "/api/auth/logout", NULL, NULL, 0), 401,
	    "Not authenticated", "logout without a token");
	sr_error(http_req("GET", "/api/auth/sessions", NULL, NULL, 0), 401,
	    "Not authenticated", "list without a token");
	sr_error(sr_delete("not.a.token", a.first.sid), 401,
	    "Invalid authentication token", "delete with a bad token");
	session_login(a.email, PASSWORD, NULL, &t);
	sr_204(sr_logout(t.access, ""), "logout");
	sr_error(sr_logout(t.access, "?scope=global"), 401, ENDED,
	    "global, ended");
	sr_error(sr_delete(t.access, a.first.sid), 401, ENDED, "delete, ended");
	sr_error(http_json("GET", "/api/auth/sessions", t.access, NULL), 401,
	    ENDED, "list, ended");
	cr_assert(sr_works(a.first.access), "an ended session ended another");
}
