/*
 * Integration: sessions, over real HTTP through nginx and real PostgreSQL
 * (docs/API.md "Session tokens", docs/API.md "Refresh"). Register and login
 * start a session whose id the access token carries; every request checks
 * it is live, in every worker, writes included; refresh tokens rotate, a
 * token presented again soon after gets the same successor, and reuse
 * later ends the session. The database is read and its clocks moved as
 * the schema's owner (tests/run: TASKAPI_TEST_DB), as another client
 * would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/issuer.h"
#include "support/sessions.h"

#define PASSWORD "quartz-lantern-orbit-42"
#define ENDED "Session has ended"
#define INVALID_REFRESH "Invalid refresh token"
/* Both workers of each program answer among this many requests. */
#define EVERY_WORKER 6

/* A fresh account's first session (its register). */
static void
fresh_session(struct session_tokens *t, char email[128])
{
	test_email(email, 128);
	session_register(email, PASSWORD, t);
}

/* A 401 with detail want and WWW-Authenticate: Bearer; frees r. */
static void
expect_401(struct http_res *r, const char *want, const char *what)
{
	const char *w = http_header(r, "WWW-Authenticate");

	cr_assert_eq(r->status, 401, "%s: got %ld %s", what, r->status, r->body);
	cr_assert(w != NULL && strcmp(w, "Bearer") == 0, "%s: WWW-Authenticate %s",
	    what, w != NULL ? w : "(none)");
	cr_assert(detail(r) != NULL, "%s: %s", what, r->body);
	cr_assert_str_eq(detail(r), want, "%s: %s", what, r->body);
	http_free(r);
}

/* method path with token answers status (several times: every worker). */
static void
answers(const char *method, const char *path, const char *token,
    const char *body, long status)
{
	for (int i = 0; i < EVERY_WORKER; i++) {
		struct http_res *r = http_json(method, path, token, body);

		if (status == 401)
			expect_401(r, ENDED, path);
		else {
			cr_assert_eq(r->status, status, "%s %s: %ld %s", method, path,
			    r->status, r->body);
			http_free(r);
		}
	}
}

/* Ends a session as logout would (sql/012_sessions.sql session_end). */
static void
end_session(const struct session_tokens *t)
{
	cr_assert_eq(owner_sql_long("SELECT session_end($1, $2::uuid, 'local')",
	    t->user, t->sid), 1);
}

/* ---- Session tokens ---- */

Test(sessions, register_and_login_start_a_session_the_token_names)
{
	struct session_tokens a, b;
	char email[128], *v;

	fresh_session(&a, email);
	session_login(email, PASSWORD, "sessions-test/1.0", &b);
	cr_assert(is_uuid(a.sid) && is_uuid(b.sid), "%s %s", a.sid, b.sid);
	cr_assert_str_neq(a.sid, b.sid);
	cr_assert_str_eq(a.user, b.user);
	cr_assert_str_neq(a.refresh, b.refresh);
	/* Two live sessions of the user, each with its refresh token. */
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "user_id = $1 AND ended_at IS NULL", a.user, NULL), 2);
	v = owner_sql("SELECT user_agent FROM sessions WHERE id = $1::uuid",
	    b.sid, NULL);
	cr_assert(v != NULL && strcmp(v, "sessions-test/1.0") == 0, "%s", v);
	free(v);
	/* docs/API.md "Session tokens": the defaults, 604800 and 2592000 s. */
	cr_assert_eq(owner_sql_long("SELECT round(extract(epoch FROM "
	    "idle_expires_at - created_at)) FROM sessions WHERE id = $1::uuid",
	    b.sid, NULL), 604800);
	cr_assert_eq(owner_sql_long("SELECT round(extract(epoch FROM "
	    "max_expires_at - created_at)) FROM sessions WHERE id = $1::uuid",
	    b.sid, NULL), 2592000);
	/* Stored as its SHA-256 only: no column holds the token's text. */
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM refresh_tokens WHERE "
	    "session_id = $1::uuid AND token_hash = sha256(convert_to($2, "
	    "'UTF8'))", b.sid, b.refresh), 1);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM refresh_tokens r "
	    "WHERE strpos(r::text, $1) > 0 OR strpos(encode(r.token_hash, "
	    "'escape'), $1) > 0", b.refresh, NULL), 0);
	answers("GET", "/api/auth/me", a.access, NULL, 200);
	answers("GET", "/api/auth/me", b.access, NULL, 200);
}

/* The stored User-Agent of a login that sent header ua. */
static char *
agent_kept(const char *email, const char *ua)
{
	struct session_tokens t;

	session_login(email, PASSWORD, ua, &t);
	return owner_sql("SELECT user_agent FROM sessions WHERE id = $1::uuid",
	    t.sid, NULL);
}

Test(sessions, the_user_agent_is_cut_to_255_characters_of_utf8)
{
	struct session_tokens t;
	char email[128], *ua, *v;

	fresh_session(&t, email);
	/* 300 two-byte characters: 255 of them are kept, 510 bytes. */
	ua = str_repeat("", "\xc3\xa9", 300, "");
	v = agent_kept(email, ua);
	cr_assert_not_null(v);
	cr_assert_eq(strlen(v), 510, "%zu", strlen(v));
	cr_assert_eq(strncmp(v, ua, 510), 0);
	free(v);
	free(ua);
	/* 254 ASCII then a 4-byte emoji: 255 characters, the emoji whole. */
	ua = str_repeat("", "a", 254, "\xf0\x9f\x98\x80xyz");
	v = agent_kept(email, ua);
	cr_assert_not_null(v);
	cr_assert_eq(strlen(v), 258, "%zu", strlen(v));
	cr_assert_eq(strncmp(v, ua, 258), 0);
	free(v);
	free(ua);
	/* Over 1 KiB: nginx passes the first 1 KiB, and 255 are kept. */
	ua = str_repeat("", "b", 5000, "");
	v = agent_kept(email, ua);
	cr_assert_not_null(v);
	cr_assert_eq(strlen(v), 255, "%zu", strlen(v));
	free(v);
	free(ua);
	/* Bytes that are not UTF-8 end it (the database holds text only). */
	v = agent_kept(email, "Mozilla/5.0 \xff\xfe rest");
	cr_assert(v != NULL && strcmp(v, "Mozilla/5.0 ") == 0, "%s", v);
	free(v);
	cr_assert_null(agent_kept(email, "\xff"));
}

Test(sessions, an_ended_sessions_token_is_refused_and_its_writes_change_nothing)
{
	struct session_tokens t;
	char email[128], id[37], body[128];
	const char *sql_count = "SELECT count(*) FROM tasks WHERE user_id = $1";
	const char *sql_state = "SELECT is_completed::text || ':' || title || "
	    "':' || version FROM tasks WHERE id = $1::uuid";
	char *before, *after;

	fresh_session(&t, email);
	create_task(t.access, "kept as it is", id);
	before = owner_sql(sql_state, id, NULL);
	end_session(&t);
	/* docs/API.md "Session tokens": the very next request, every worker. */
	answers("GET", "/api/auth/me", t.access, NULL, 401);
	answers("GET", "/api/tasks", t.access, NULL, 401);
	answers("GET", task_path(id, ""), t.access, NULL, 401);
	answers("POST", "/api/tasks", t.access, "{\"title\":\"not made\"}", 401);
	answers("PATCH", task_path(id, "/complete"), t.access, NULL, 401);
	snprintf(body, sizeof(body), "{\"title\":\"not renamed\"}");
	answers("PATCH", task_path(id, ""), t.access, body, 401);
	answers("PUT", task_path(id, ""), t.access, body, 401);
	answers("DELETE", task_path(id, ""), t.access, NULL, 401);
	answers("GET", "/api/tasks/changes", t.access, NULL, 401);
	/* Nothing changed: one task, as it was. */
	cr_assert_eq(owner_sql_long(sql_count, t.user, NULL), 1);
	after = owner_sql(sql_state, id, NULL);
	cr_assert(before != NULL && after != NULL && strcmp(before, after) == 0,
	    "%s / %s", before, after);
	free(before);
	free(after);
	/* A keyed create as well: no task, and no key kept. */
	for (int i = 0; i < EVERY_WORKER; i++)
		expect_401(http_bearer("POST", "/api/tasks", t.access,
		    "{\"title\":\"not made\"}", "Idempotency-Key: k-ended-1", NULL),
		    ENDED, "keyed create");
	cr_assert_eq(owner_sql_long(sql_count, t.user, NULL), 1);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM idempotency_keys "
	    "WHERE user_id = $1", t.user, NULL), 0);
}

Test(sessions, idle_and_max_expiry_end_a_session)
{
	struct session_tokens a, b, c;
	char email[128];

	fresh_session(&a, email);
	session_login(email, PASSWORD, NULL, &b);
	session_login(email, PASSWORD, NULL, &c);
	answers("GET", "/api/tasks", a.access, NULL, 200);
	owner_sql("UPDATE sessions SET idle_expires_at = now() - interval '1 s' "
	    "WHERE id = $1::uuid", a.sid, NULL);
	answers("GET", "/api/tasks", a.access, NULL, 401);
	owner_sql("UPDATE sessions SET max_expires_at = now() - interval '1 s' "
	    "WHERE id = $1::uuid", b.sid, NULL);
	answers("GET", "/api/tasks", b.access, NULL, 401);
	/* The third is untouched. */
	answers("GET", "/api/tasks", c.access, NULL, 200);
}

/* An HS256 token signed with the secret over a formatted payload. */
static char *
signed_token(const char *sub, const char *sid_json)
{
	char payload[512];
	long now = (long)time(NULL);

	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%ld,"
	    "\"exp\":%ld%s%s}", sub, now, now + 600, sid_json != NULL ?
	    ",\"sid\":" : "", sid_json != NULL ? sid_json : "");
	return token_sign(payload, test_secret(), "HS256");
}

Test(sessions, tokens_without_a_sid_are_served_as_before)
{
	struct session_tokens t;
	char email[128], id[37], *bare;

	fresh_session(&t, email);
	/* docs/API.md "Session tokens": signed by an issuer sharing the secret. */
	bare = signed_token(t.user, NULL);
	create_task(bare, "made without a session", id);
	answers("GET", "/api/auth/me", bare, NULL, 200);
	/* Ending every session of the user leaves it working. */
	cr_assert_eq(owner_sql_long("SELECT session_end($1, NULL, 'global')",
	    t.user, NULL), 1);
	answers("GET", "/api/auth/me", t.access, NULL, 401);
	answers("GET", task_path(id, ""), bare, NULL, 200);
	for (int i = 0; i < EVERY_WORKER; i++) {
		char made[37];

		struct http_res *r;

		create_task(bare, "made after the sessions ended", made);
		r = http_json("DELETE", task_path(made, ""), bare, NULL);
		cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
		http_free(r);
	}
	free(bare);
}

Test(sessions, a_sid_must_be_a_live_session_of_the_tokens_subject)
{
	struct session_tokens a, b;
	char email[128], sid[64], *t;

	fresh_session(&a, email);
	fresh_session(&b, email);
	/* B's subject with A's live session: not B's session. */
	snprintf(sid, sizeof(sid), "\"%s\"", a.sid);
	t = signed_token(b.user, sid);
	answers("GET", "/api/auth/me", t, NULL, 401);
	free(t);
	/* A session that never was. */
	t = signed_token(a.user, "\"00000000-0000-4000-8000-000000000000\"");
	answers("GET", "/api/auth/me", t, NULL, 401);
	free(t);
	/* The same session in upper case is the same session. */
	for (char *p = sid; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	t = signed_token(a.user, sid);
	answers("GET", "/api/auth/me", t, NULL, 200);
	free(t);
	/* Not a UUID, or not a string: not a token of ours at all. */
	t = signed_token(a.user, "\"session-1\"");
	for (int i = 0; i < 2; i++)
		expect_401(http_json("GET", "/api/auth/me", t, NULL),
		    "Invalid authentication token", "sid session-1");
	free(t);
	t = signed_token(a.user, "42");
	expect_401(http_json("GET", "/api/auth/me", t, NULL),
	    "Invalid authentication token", "sid 42");
	free(t);
}

/* The external issuer's token for sub, with a sid claim of its own. */
static char *
issuer_token_with_sid(const char *sub, const char *sid)
{
	char kid[33], *payload, *with, *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);

	payload = issuer_payload(sub, NULL, ISSUER_URL, (long)time(NULL) + 600);
	payload[strlen(payload) - 1] = '\0';
	cr_assert(asprintf(&with, "%s,\"sid\":\"%s\"}", payload, sid) > 0);
	t = issuer_sign(k, "EdDSA", kid, with);
	free(with);
	free(payload);
	EVP_PKEY_free(k);
	return t;
}

Test(sessions, the_external_issuers_sid_is_its_own)
{
	struct session_tokens a;
	char email[128], sub[37], *t;

	/* docs/API.md "Session tokens": not ours, so ignored, whatever it is. */
	fresh_session(&a, email);
	end_session(&a);
	test_uuid(sub);
	t = issuer_token_with_sid(sub, "better-auth-session-7");
	answers("GET", "/api/auth/me", t, NULL, 200);
	free(t);
	/* Even one naming an ended session of ours. */
	test_uuid(sub);
	t = issuer_token_with_sid(sub, a.sid);
	answers("GET", "/api/auth/me", t, NULL, 200);
	answers("GET", "/api/tasks", t, NULL, 200);
	free(t);
}

/* ---- Pruning (README "Sessions": during login) ---- */

Test(sessions, a_login_prunes_at_most_100_sessions_over_for_a_day)
{
	struct session_tokens t, u;
	char email[128];
	const char *old = "SELECT count(*) FROM sessions WHERE user_id = $1 "
	    "AND created_at < now() - interval '3 days'";

	fresh_session(&t, email);
	/* 150 sessions over 2 days ago (ended, idle, past their maximum), and
	 * one ended 23 hours ago. */
	owner_sql("INSERT INTO sessions (user_id, created_at, idle_expires_at, "
	    "max_expires_at, ended_at) SELECT $1, now() - interval '4 days', "
	    "now() + CASE WHEN g % 3 = 1 THEN interval '-2 days' ELSE "
	    "interval '1 day' END, now() + CASE WHEN g % 3 = 2 THEN "
	    "interval '-2 days' ELSE interval '1 day' END, CASE WHEN g % 3 = 0 "
	    "THEN now() - interval '2 days' END FROM generate_series(1, 150) g",
	    t.user, NULL);
	owner_sql("INSERT INTO sessions (user_id, created_at, idle_expires_at, "
	    "max_expires_at, ended_at) VALUES ($1, now() - interval '4 days', "
	    "now() + interval '1 day', now() + interval '1 day', "
	    "now() - interval '23 hours')", t.user, NULL);
	cr_assert_eq(owner_sql_long(old, t.user, NULL), 151);
	session_login(email, PASSWORD, NULL, &u);
	/* At most 100 a login (other tests' logins may prune some too). */
	cr_assert_leq(owner_sql_long(old, t.user, NULL), 51);
	session_login(email, PASSWORD, NULL, &u);
	cr_assert_eq(owner_sql_long(old, t.user, NULL), 1);
	/* The live ones are all there. */
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "user_id = $1 AND ended_at IS NULL AND created_at > now() - "
	    "interval '1 hour'", t.user, NULL), 3);
	answers("GET", "/api/auth/me", t.access, NULL, 200);
}

/* ---- Refresh ---- */

/* The refresh answer's shape: login's body, the user's, the same session. */
static void
check_refreshed(const struct session_tokens *was,
    const struct session_tokens *now)
{
	cr_assert_str_eq(now->user, was->user);
	cr_assert_str_eq(now->sid, was->sid);
	cr_assert_str_neq(now->refresh, was->refresh);
	cr_assert_eq(strlen(now->refresh), 43, "%s", now->refresh);
}

Test(sessions, refresh_rotates_within_the_session)
{
	struct session_tokens t, n, m;
	struct http_res *r;
	char email[128], *v;
	struct json_object *o;

	fresh_session(&t, email);
	/* Moved back, to see refresh move them. */
	owner_sql("UPDATE sessions SET last_used_at = now() - interval '1 hour', "
	    "idle_expires_at = now() + interval '1 hour' WHERE id = $1::uuid",
	    t.sid, NULL);
	r = session_refresh(t.refresh, &n);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	/* docs/API.md "Refresh": the same body as login. */
	cr_assert_eq(json_object_object_length(r->json), 5, "%s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "user", &o) &&
	    obj_str(o, "email") != NULL, "%s", r->body);
	cr_assert_str_eq(obj_str(o, "email"), email);
	cr_assert(json_object_object_get_ex(r->json, "expires_in", &o) &&
	    json_object_get_int64(o) == 900, "%s", r->body);
	cr_assert_str_eq(json_str(r, "token_type"), "bearer");
	http_free(r);
	check_refreshed(&t, &n);
	answers("GET", "/api/auth/me", n.access, NULL, 200);
	/* The session's idle expiry and last use moved to now. */
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "id = $1::uuid AND last_used_at > now() - interval '60 s' AND "
	    "idle_expires_at > now() + interval '604700 s'", t.sid, NULL), 1);
	/* The presented token is used up; its successor is stored hashed. */
	v = owner_sql("SELECT (used_at IS NOT NULL AND next_hash = sha256("
	    "convert_to($2, 'UTF8')))::text FROM refresh_tokens WHERE "
	    "token_hash = sha256(convert_to($1, 'UTF8'))", t.refresh, n.refresh);
	cr_assert(v != NULL && strcmp(v, "true") == 0, "%s", v);
	free(v);
	/* And again, along the chain. */
	r = session_refresh(n.refresh, &m);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	check_refreshed(&n, &m);
	answers("GET", "/api/auth/me", m.access, NULL, 200);
	/* Every access token of a live session works until it expires. */
	answers("GET", "/api/auth/me", t.access, NULL, 200);
}

Test(sessions, a_used_token_within_10_seconds_gets_the_same_successor)
{
	struct session_tokens t, n, again, next;
	struct http_res *r;
	char email[128];

	fresh_session(&t, email);
	r = session_refresh(t.refresh, &n);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	/* docs/API.md "Refresh": a lost answer, or a second tab. */
	for (int i = 0; i < 3; i++) {
		r = session_refresh(t.refresh, &again);
		cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
		http_free(r);
		check_refreshed(&t, &again);
		cr_assert_str_eq(again.refresh, n.refresh);
		answers("GET", "/api/auth/me", again.access, NULL, 200);
	}
	/* The successor works once; the chain goes on from it. */
	r = session_refresh(n.refresh, &next);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	check_refreshed(&n, &next);
}

struct racer {
	const char *refresh;
	long status;
	struct session_tokens got;
};

static void *
race(void *arg)
{
	struct racer *rc = arg;
	struct http_res *r = session_refresh(rc->refresh, &rc->got);

	rc->status = r->status;
	http_free(r);
	return NULL;
}

Test(sessions, two_refreshes_at_once_both_get_the_same_new_token)
{
	struct session_tokens t;
	char email[128];

	for (int round = 0; round < 5; round++) {
		struct racer rc[2];
		pthread_t th[2];

		fresh_session(&t, email);
		for (int i = 0; i < 2; i++) {
			memset(&rc[i], 0, sizeof(rc[i]));
			rc[i].refresh = t.refresh;
			cr_assert_eq(pthread_create(&th[i], NULL, race, &rc[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		cr_assert(rc[0].status == 200 && rc[1].status == 200,
		    "round %d: %ld and %ld", round, rc[0].status, rc[1].status);
		cr_assert_str_eq(rc[0].got.refresh, rc[1].got.refresh);
		cr_assert_str_eq(rc[0].got.sid, t.sid);
		answers("GET", "/api/auth/me", rc[1].got.access, NULL, 200);
		/* One successor stored, not two. */
		cr_assert_eq(owner_sql_long("SELECT count(*) FROM refresh_tokens "
		    "WHERE session_id = $1::uuid", t.sid, NULL), 2);
	}
}

Test(sessions, reuse_after_the_window_ends_the_session_everywhere)
{
	struct session_tokens t, n, other;
	struct http_res *r;
	char email[128];

	fresh_session(&t, email);
	session_login(email, PASSWORD, NULL, &other);
	r = session_refresh(t.refresh, &n);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	answers("GET", "/api/tasks", n.access, NULL, 200);
	/* 11 s later, without waiting them. */
	owner_sql("UPDATE refresh_tokens SET used_at = used_at - interval "
	    "'11 s' WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
	    t.refresh, NULL);
	expect_401(session_refresh(t.refresh, NULL), INVALID_REFRESH, "reuse");
	/* docs/API.md "Refresh": the whole session ends, at once, for every
	 * worker: both access tokens, and the successor. */
	answers("GET", "/api/tasks", n.access, NULL, 401);
	answers("GET", "/api/tasks", t.access, NULL, 401);
	answers("POST", "/api/tasks", n.access, "{\"title\":\"not made\"}", 401);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM tasks WHERE "
	    "user_id = $1", t.user, NULL), 0);
	for (int i = 0; i < EVERY_WORKER; i++) {
		expect_401(session_refresh(n.refresh, NULL), INVALID_REFRESH,
		    "successor of a reused token");
		expect_401(session_refresh(t.refresh, NULL), INVALID_REFRESH,
		    "reused token");
	}
	/* The user's other session is not touched. */
	answers("GET", "/api/tasks", other.access, NULL, 200);
}

Test(sessions, unknown_malformed_ended_and_expired_tokens_are_401)
{
	struct session_tokens t, u, n;
	struct http_res *r;
	char email[128], body[256];
	static const char *const bad[] = {
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* unknown */
		"short", "",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\u00e9",
		"' OR 1=1 --",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", bad[i]);
		expect_401(session_refresh_body(body), INVALID_REFRESH, bad[i]);
	}
	/* Ended (as logout ends it), and expired (idle, then maximum). */
	fresh_session(&t, email);
	end_session(&t);
	expect_401(session_refresh(t.refresh, NULL), INVALID_REFRESH, "ended");
	session_login(email, PASSWORD, NULL, &t);
	session_login(email, PASSWORD, NULL, &u);
	owner_sql("UPDATE sessions SET idle_expires_at = now() - interval '1 s' "
	    "WHERE id = $1::uuid", t.sid, NULL);
	owner_sql("UPDATE sessions SET max_expires_at = now() - interval '1 s' "
	    "WHERE id = $1::uuid", u.sid, NULL);
	expect_401(session_refresh(t.refresh, NULL), INVALID_REFRESH, "idle");
	expect_401(session_refresh(u.refresh, NULL), INVALID_REFRESH, "max");
	/* A refresh never moves the maximum. */
	session_login(email, PASSWORD, NULL, &t);
	owner_sql("UPDATE sessions SET max_expires_at = now() + interval '1 h' "
	    "WHERE id = $1::uuid", t.sid, NULL);
	r = session_refresh(t.refresh, &n);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "id = $1::uuid AND max_expires_at < now() + interval '2 h'",
	    t.sid, NULL), 1);
}

Test(sessions, a_missing_or_non_string_refresh_token_is_422)
{
	static const char *const bodies[] = {
		"{}", "{\"refresh_token\":null}", "{\"refresh_token\":42}",
		"{\"refresh_token\":[\"x\"]}", "{\"refresh_token\":{}}",
		"{\"refresh_token\":true}", "{\"token\":\"x\"}",
	};
	struct http_res *r;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		r = session_refresh_body(bodies[i]);
		cr_assert_eq(r->status, 422, "%s: %ld %s", bodies[i], r->status,
		    r->body);
		cr_assert_str_eq(detail(r), "refresh_token must be a string");
		http_free(r);
	}
	/* docs/API.md "Strings and characters": U+0000 names the field. */
	r = session_refresh_body("{\"refresh_token\":\"a\\u0000b\"}");
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r),
	    "refresh_token must not contain U+0000 or lone surrogates");
	http_free(r);
	/* Not JSON, or not an object: as on every body. */
	r = session_refresh_body("refresh_token=x");
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	http_free(r);
	r = session_refresh_body("[]");
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	http_free(r);
}

Test(sessions, refresh_answers_post_only_and_needs_no_authorization)
{
	struct session_tokens t, n;
	struct http_res *r;
	char email[128];
	const char *allow;

	r = http_json("GET", "/api/auth/refresh", NULL, NULL);
	cr_assert_eq(r->status, 405, "%ld %s", r->status, r->body);
	allow = http_header(r, "Allow");
	cr_assert(allow != NULL && strcmp(allow, "POST, OPTIONS") == 0, "%s",
	    allow);
	http_free(r);
	/* A bad, or ended, access token beside it changes nothing. */
	fresh_session(&t, email);
	end_session(&t);
	session_login(email, PASSWORD, NULL, &t);
	r = http_bearer("POST", "/api/auth/refresh", "not-a-token", NULL, NULL,
	    NULL);
	http_free(r);
	{
		char body[128];

		snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}",
		    t.refresh);
		r = http_bearer("POST", "/api/auth/refresh", "not-a-token", body,
		    NULL, NULL);
	}
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	session_tokens_read(r, &n);
	http_free(r);
	check_refreshed(&t, &n);
}

/* nginx's limit: tests/run leaves rate_limit out of the Apache run. */
Test(rate_limit, refresh_shares_the_bucket_of_register_and_login)
{
	struct http_res *r;
	int limited = 0, i;

	http_retry_429 = 0;
	/* RATE_LIMIT_AUTH=20r/m, burst 20 (tests/run): the 22nd is over. */
	for (i = 0; i < 30 && !limited; i++) {
		r = session_refresh_body("{\"refresh_token\":\"x\"}");
		limited = r->status == 429;
		cr_assert(r->status == 401 || r->status == 429, "%ld %s",
		    r->status, r->body);
		http_free(r);
	}
	cr_assert(limited, "no 429 after %d refreshes", i);
	/* The same bucket as login's. */
	r = http_json("POST", "/api/auth/login", NULL,
	    "{\"email\":\"a@example.com\",\"password\":\"x\"}");
	cr_assert_eq(r->status, 429, "%ld %s", r->status, r->body);
	http_free(r);
	http_retry_429 = 1;
	http_new_client();
}

/*
 * docs/API.md "Register": the account and its first session are made
 * together or not at all. A session the database refuses (a trigger the
 * test adds as the owner, for one User-Agent only) leaves no account: the
 * answer is a 500 without internals, and the same email then registers.
 */
Test(sessions, register_makes_the_account_and_its_session_in_one_transaction)
{
	static const char *const ua[] = {
		"User-Agent: session-refused-by-the-test",
		"Content-Type: application/json", NULL
	};
	struct session_tokens t;
	struct http_res *r;
	char email[128], body[256];

	test_email(email, sizeof(email));
	owner_sql("CREATE OR REPLACE FUNCTION session_refused_by_the_test() "
	    "RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
	    "RAISE EXCEPTION 'refused by the test'; END $f$", NULL, NULL);
	owner_sql("CREATE TRIGGER sessions_refused_by_the_test BEFORE INSERT ON "
	    "sessions FOR EACH ROW WHEN (NEW.user_agent = "
	    "'session-refused-by-the-test') EXECUTE FUNCTION "
	    "session_refused_by_the_test()", NULL, NULL);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, PASSWORD);
	r = http_req("POST", "/api/auth/register", ua, body, (size_t)-1);
	owner_sql("DROP TRIGGER sessions_refused_by_the_test ON sessions",
	    NULL, NULL);
	owner_sql("DROP FUNCTION session_refused_by_the_test()", NULL, NULL);
	cr_assert_eq(r->status, 500, "register: %ld %s", r->status, r->body);
	cr_assert(detail(r) != NULL && strstr(r->body, "refused") == NULL &&
	    strstr(r->body, "session") == NULL, "%s", r->body);
	http_free(r);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM users WHERE email = $1",
	    email, NULL), 0, "an account was left without its session");
	session_register(email, PASSWORD, &t);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions s JOIN users u "
	    "ON u.id = s.user_id WHERE u.email = $1", email, NULL), 1);
}
