/*
 * Integration: the account's own routes, over real HTTP through nginx,
 * with real sessions and the database looked at as its owner:
 * docs/API.md "Password change" and docs/API.md "Account deletion".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/owner.h"

#define PASSWORD "quartz-lantern-orbit-42"
#define NEW_PASSWORD "marble-heron-saffron-97"
#define WRONG "Incorrect password"
#define ENDED "Session has ended"
#define ELSEWHERE "Sessions of this token are managed by its issuer"
#define CURRENT_422 "current_password must be a string"
#define NEW_422 "new_password must be a string of 8 to 128 characters"
#define DELETE_422 "password must be a string"
/* The failed logins counted for an email ($1), 0 when none. */
#define FAILURES "SELECT COALESCE(sum(failures), 0) FROM login_failures " \
	"WHERE email_key = $1"
/* Room for a refresh token: 43 characters of base64url, and more. */
#define REFRESH_BYTES 128

/* ---- helpers ---- */

/* Asserts r's status and, when want is not NULL, its detail; frees r. */
static void
expect(struct http_res *r, long status, const char *want, const char *what)
{
	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what,
	    status, r->status, r->body);
	if (want != NULL) {
		cr_assert_not_null(detail(r), "%s: %s", what, r->body);
		cr_assert_str_eq(detail(r), want, "%s: %s", what, r->body);
	}
	if (status == 204)
		cr_assert_eq(r->body_len, 0, "%s: a 204 has no body", what);
	http_free(r);
}

/*
 * POST /api/auth/login: its access token (free()), or NULL on a 401 (or
 * the 429 of failed logins, when the test takes 429s as answers); its
 * refresh token in refresh when that is not NULL.
 */
static char *
login(const char *email, const char *password, char refresh[REFRESH_BYTES])
{
	char body[512];
	struct http_res *r;
	char *token = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	r = http_json("POST", "/api/auth/login", NULL, body);
	cr_assert(r->status == 200 || r->status == 401 || (r->status == 429 &&
	    !http_retry_429), "login: %ld %s", r->status, r->body);
	if (r->status == 200) {
		cr_assert_not_null(token = strdup(json_str(r, "access_token")));
		cr_assert_not_null(json_str(r, "refresh_token"), "%s", r->body);
		if (refresh != NULL)
			snprintf(refresh, REFRESH_BYTES, "%s",
			    json_str(r, "refresh_token"));
	}
	http_free(r);
	return token;
}

/*
 * POST /api/auth/refresh with refresh: 200 (its new refresh token then
 * replaces it), or 401 Invalid refresh token.
 */
static void
refresh_is(char refresh[REFRESH_BYTES], long status, const char *what)
{
	char body[256];
	struct http_res *r;

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", refresh);
	r = http_json("POST", "/api/auth/refresh", NULL, body);
	if (status == 200 && r->status == 200)
		snprintf(refresh, REFRESH_BYTES, "%s",
		    json_str(r, "refresh_token"));
	expect(r, status, status == 401 ? "Invalid refresh token" : NULL, what);
}

/* Whether password logs email in (want 1) or not (want 0). */
static void
logs_in(const char *email, const char *password, int want)
{
	char *token = login(email, password, NULL);

	cr_assert_eq(token != NULL, want, "%s %s log in", email,
	    want ? "does not" : "does");
	free(token);
}

/* A fresh account with PASSWORD: its email and register's token. */
static char *
account_new(char *email, size_t len, char id[64])
{
	test_email(email, len);
	return register_user(email, PASSWORD, id);
}

/* GET /api/auth/me with token: 200, or 401 Session has ended. */
static void
me_is(const char *token, long status, const char *what)
{
	expect(http_json("GET", "/api/auth/me", token, NULL), status,
	    status == 401 ? ENDED : NULL, what);
}

/* PUT /api/auth/password with a raw body. */
static struct http_res *
change(const char *token, const char *body)
{
	return http_json("PUT", "/api/auth/password", token, body);
}

/* DELETE /api/auth/me with a raw body, or none when body is NULL. */
static struct http_res *
forget(const char *token, const char *body)
{
	return http_json("DELETE", "/api/auth/me", token, body);
}

/* The owner's count of sql's rows, $1 = arg. */
static long
owner_count(const char *sql, const char *arg)
{
	char *v = owner_value(sql, arg);
	long n;

	cr_assert_not_null(v, "%s: no value", sql);
	n = atol(v);
	free(v);
	return n;
}

/*
 * Every table of the schema with a user_id column, and how many rows of
 * user each holds, "table=n" joined by ",", only those with rows; NULL
 * when none. New tables keyed by the user are looked at too.
 */
#define USER_ROWS \
	"SELECT string_agg(c.table_name || '=' || n.n, ',' " \
	"ORDER BY c.table_name) FROM information_schema.columns c " \
	"JOIN information_schema.tables t USING (table_schema, table_name) " \
	"CROSS JOIN LATERAL (SELECT (xpath('/row/n/text()', query_to_xml(" \
	"format('SELECT count(*) AS n FROM %I WHERE user_id = %L', " \
	"c.table_name, $1::text), false, true, '')))[1]::text::bigint AS n) n " \
	"WHERE c.table_schema = 'public' AND c.column_name = 'user_id' " \
	"AND t.table_type = 'BASE TABLE' AND n.n > 0"
/* The tables of USER_ROWS, to show that the check looks at enough. */
#define USER_TABLES \
	"SELECT count(*) FROM information_schema.columns c " \
	"JOIN information_schema.tables t USING (table_schema, table_name) " \
	"WHERE c.table_schema = 'public' AND c.column_name = 'user_id' " \
	"AND t.table_type = 'BASE TABLE' AND $1::text = $1"
#define SESSION_IDS \
	"SELECT string_agg(id::text, ',') FROM sessions WHERE user_id = $1"
#define REFRESH_ROWS \
	"SELECT count(*) FROM refresh_tokens WHERE session_id = ANY " \
	"(string_to_array($1, ',')::uuid[])"

/* ---- password change ---- */

/* The live password reset tokens of a user ($1). */
#define RESETS "SELECT count(*) FROM password_resets WHERE user_id = $1 " \
	"AND expires_at > now()"

/*
 * POST /api/auth/password-reset for email (docs/API.md "Password reset"),
 * then waits until the token of the account (user id) is kept.
 */
static void
reset_requested(const char *email, const char *id)
{
	char body[256];
	double until = test_monotonic_s() + 20;

	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	expect(http_json("POST", "/api/auth/password-reset", NULL, body), 202,
	    "If the account exists, an email is on its way", "reset");
	while (owner_count(RESETS, id) == 0) {
		cr_assert_lt(test_monotonic_s(), until, "no reset token kept");
		usleep(100000);
	}
}

/*
 * docs/API.md "Password change": 204, the other sessions end and the
 * current one stays; the new password logs in, the old one does not.
 */
Test(account, a_password_change_ends_the_other_sessions_only)
{
	char email[128], id[64], ra[REFRESH_BYTES], rb[REFRESH_BYTES];
	char rc[REFRESH_BYTES];
	char *first = account_new(email, sizeof(email), id);
	char *a = login(email, PASSWORD, ra), *b = login(email, PASSWORD, rb);
	char *c = login(email, PASSWORD, rc);
	char *d;

	cr_assert(a != NULL && b != NULL && c != NULL);
	reset_requested(email, id);
	expect(change(a, "{\"current_password\":\"" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 204, NULL, "change");
	cr_assert_eq(owner_count(RESETS, id), 0, "a reset token outlived it");
	me_is(a, 200, "the session that changed it");
	me_is(b, 401, "another session");
	me_is(c, 401, "a third session");
	me_is(first, 401, "register's session");
	refresh_is(rb, 401, "another session's refresh token");
	refresh_is(rc, 401, "a third session's refresh token");
	refresh_is(ra, 200, "the current session's refresh token");
	logs_in(email, PASSWORD, 0);
	cr_assert_not_null(d = login(email, NEW_PASSWORD, NULL),
	    "the new password does not log in");
	me_is(d, 200, "a session of the new password");
	free(first);
	free(a);
	free(b);
	free(c);
	free(d);
}

/* docs/API.md "Password change": a wrong current password changes nothing. */
Test(account, a_wrong_current_password_is_403)
{
	char email[128], id[64];
	char *a = account_new(email, sizeof(email), id);
	char *b = login(email, PASSWORD, NULL);

	expect(change(a, "{\"current_password\":\"not-" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 403, WRONG, "wrong");
	expect(change(a, "{\"current_password\":\"\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 403, WRONG, "empty");
	me_is(b, 200, "another session after a refused change");
	logs_in(email, NEW_PASSWORD, 0);
	logs_in(email, PASSWORD, 1);
	free(a);
	free(b);
}

/*
 * docs/API.md "Request bodies", "Password rules": each field's 422, the
 * body's checks before the current password is.
 */
Test(account, a_password_change_body_is_checked_field_by_field)
{
	static const struct {
		const char *body, *detail;
	} rows[] = {
		{ "{\"new_password\":\"" NEW_PASSWORD "\"}", CURRENT_422 },
		{ "{\"current_password\":null,\"new_password\":\"" NEW_PASSWORD
		  "\"}", CURRENT_422 },
		{ "{\"current_password\":42,\"new_password\":\"" NEW_PASSWORD
		  "\"}", CURRENT_422 },
		{ "{\"current_password\":\"a\\u0000b\",\"new_password\":\""
		  NEW_PASSWORD "\"}",
		  "current_password must not contain U+0000 or lone surrogates" },
		/* The body's checks come before the current password's. */
		{ "{\"current_password\":\"wrong\"}", NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\"}", NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\",\"new_password\":null}",
		  NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\",\"new_password\":7}",
		  NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\",\"new_password\":"
		  "\"short\"}", NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\",\"new_password\":"
		  "\"a\\u0000bcdefghijk\"}", NEW_422 },
		{ "{\"current_password\":\"" PASSWORD "\",\"new_password\":"
		  "\"password123\"}", "Password is too common" },
		{ "[]", "Request body must be a JSON object" },
	};
	char email[128], id[64], body[512];
	char *a = account_new(email, sizeof(email), id);
	char *long_password = str_repeat("", "x7Q!", 33, "");

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect(change(a, rows[i].body), 422, rows[i].detail, rows[i].body);
	expect(change(a, "{\"current_password\":"), 400, "Invalid JSON body",
	    "cut short");
	/* 129 characters: one over the rule. */
	snprintf(body, sizeof(body), "{\"current_password\":\"" PASSWORD
	    "\",\"new_password\":\"%.129s\"}", long_password);
	expect(change(a, body), 422, NEW_422, "129 characters");
	/* docs/API.md "Password rules": the email's local part. */
	snprintf(body, sizeof(body), "{\"current_password\":\"" PASSWORD
	    "\",\"new_password\":\"%.*s-zephyr-quill\"}",
	    (int)(strchr(email, '@') - email), email);
	expect(change(a, body), 422, "Password is too common", "local part");
	expect(http_bearer("PUT", "/api/auth/password", a, NULL, NULL, NULL),
	    415, "Content-Type must be application/json", "no body");
	/* Nothing changed: the old password still logs in. */
	logs_in(email, PASSWORD, 1);
	free(a);
	free(long_password);
}

/*
 * docs/API.md "Session tokens": a token without sid has no session here;
 * docs/API.md "Authentication failures": no token is 401.
 */
Test(account, a_token_without_a_session_cannot_change_a_password)
{
	char email[128], id[64];
	char *a = account_new(email, sizeof(email), id);
	char *t = token_for(id);

	expect(change(t, "{\"current_password\":\"" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 403, ELSEWHERE,
	    "a sid-less token of the account");
	expect(change(NULL, "{}"), 401, "Not authenticated", "no token");
	logs_in(email, PASSWORD, 1);
	free(t);
	free(a);
}

/* docs/API.md "Session tokens": an ended session changes nothing. */
Test(account, an_ended_session_cannot_change_the_password)
{
	char email[128], id[64];
	char *a = account_new(email, sizeof(email), id);
	char *b = login(email, PASSWORD, NULL);

	expect(change(a, "{\"current_password\":\"" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 204, NULL, "change");
	expect(change(b, "{\"current_password\":\"" NEW_PASSWORD "\","
	    "\"new_password\":\"" PASSWORD "\"}"), 401, ENDED, "ended");
	logs_in(email, PASSWORD, 0);
	free(b);
	free(a);
}

/*
 * docs/API.md "Password change", "Account deletion": a wrong password is
 * a failed login of the account's email (docs/API.md "Failed logins"):
 * after 5, 429 with Retry-After, the password unchecked, on every route
 * that takes it; a right one once the wait is over resets the count.
 */
Test(account, wrong_passwords_count_as_failed_logins)
{
	char email[128], id[64], body[512];
	char *a = account_new(email, sizeof(email), id);
	struct http_res *r;

	http_retry_429 = 0;
	for (int i = 0; i < 3; i++)
		expect(change(a, "{\"current_password\":\"wrong-" PASSWORD "\","
		    "\"new_password\":\"" NEW_PASSWORD "\"}"), 403, WRONG,
		    "a wrong current password");
	for (int i = 0; i < 2; i++)
		expect(forget(a, "{\"password\":\"wrong-" PASSWORD "\"}"), 403,
		    WRONG, "a wrong password to delete");
	/* An ASCII address is its own key (docs/API.md "Email addresses"). */
	cr_assert_eq(owner_count(FAILURES, email), 5);
	/*
	 * The wait after 5 is one second, which a slow host may spend
	 * between two requests: the count is raised to one whose wait is
	 * the longest, so the next attempts are surely within it.
	 */
	free(owner_value("UPDATE login_failures SET failures = 15 "
	    "WHERE email_key = $1", email));
	r = change(a, "{\"current_password\":\"" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}");
	cr_assert_not_null(http_header(r, "Retry-After"), "%s", r->headers);
	cr_assert_gt(atol(http_header(r, "Retry-After")), 800);
	expect(r, 429, "Too many failed logins", "the right one, too early");
	expect(forget(a, "{\"password\":\"" PASSWORD "\"}"), 429,
	    "Too many failed logins", "delete, too early");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, PASSWORD);
	expect(http_json("POST", "/api/auth/login", NULL, body), 429,
	    "Too many failed logins", "login shares the count");
	cr_assert_eq(owner_count(FAILURES, email), 15, "a 429 is no failure");
	/* The wait over, the right password passes and the count ends. */
	free(owner_value("UPDATE login_failures SET last_failed_at = now() - "
	    "interval '1000 seconds' WHERE email_key = $1", email));
	expect(change(a, "{\"current_password\":\"" PASSWORD "\","
	    "\"new_password\":\"" NEW_PASSWORD "\"}"), 204, NULL, "change");
	cr_assert_eq(owner_count(FAILURES, email), 0, "the count did not end");
	expect(forget(a, "{\"password\":\"" PASSWORD "\"}"), 403, WRONG,
	    "the old password, after the count ended");
	cr_assert_eq(owner_count(FAILURES, email), 1);
	logs_in(email, NEW_PASSWORD, 1);
	http_retry_429 = 1;
	free(a);
}

/*
 * docs/API.md "Account deletion": a password sent for an account without
 * one is 403 and counts for no one, even when its token's email is a
 * registered account's (docs/API.md "Users on first need": it binds
 * nothing).
 */
Test(account, a_password_for_an_account_without_one_counts_for_no_one)
{
	char email[128], id[64], subject[37], payload[512];
	char *a = account_new(email, sizeof(email), id), *t;

	test_uuid(subject);
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"email\":\"%s\","
	    "\"exp\":%ld}", subject, email, (long)time(NULL) + 3600);
	t = token_sign(payload, test_secret(), "HS256");
	http_retry_429 = 0;
	for (int i = 0; i < 6; i++)
		expect(forget(t, "{\"password\":\"" PASSWORD "\"}"), 403, WRONG,
		    "a password for a user without one");
	cr_assert_eq(owner_count(FAILURES, email), 0, "the email was counted");
	logs_in(email, PASSWORD, 1);
	http_retry_429 = 1;
	expect(forget(t, NULL), 204, NULL, "no body");
	me_is(a, 200, "the registered account with the same email");
	free(t);
	free(a);
}

/* ---- account deletion ---- */

/*
 * docs/API.md "Account deletion": every row of the user goes, in every
 * table keyed by the user, and every session's token is 401 after.
 */
Test(account, deletion_removes_every_row_of_the_user)
{
	char email[128], id[64], task[37], gone[37], body[256];
	char *a = account_new(email, sizeof(email), id);
	char rb[REFRESH_BYTES], rc[REFRESH_BYTES];
	char *b = login(email, PASSWORD, rb), *c = login(email, PASSWORD, rc);
	char *sessions, *other, *left;
	char other_email[128], other_id[64];
	struct http_res *r;
	PGconn *lock;

	other = account_new(other_email, sizeof(other_email), other_id);
	create_task(a, "kept until the account goes", task);
	create_task(b, "deleted before", gone);
	/*
	 * A tombstone, pruned into the feed's horizon by a later delete, under
	 * the tombstones' test lock (owner_tombstones_lock).
	 */
	expect(http_json("DELETE", task_path(gone, ""), c, NULL), 204, NULL,
	    "task delete");
	lock = owner_tombstones_lock();
	free(owner_value("UPDATE task_tombstones SET deleted_at = now() - "
	    "interval '40 days' WHERE user_id = $1", id));
	create_task(a, "deleted after", gone);
	expect(http_json("DELETE", task_path(gone, ""), a, NULL), 204, NULL,
	    "second task delete");
	/* An idempotency key's kept answer. */
	r = http_bearer("POST", "/api/tasks", a, "{\"title\":\"keyed\"}",
	    "Idempotency-Key: account-deletion", NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	http_free(r);
	create_task(other, "another user's", task);

	cr_assert_not_null(sessions = owner_value(SESSION_IDS, id));
	cr_assert_gt(owner_count(REFRESH_ROWS, sessions), 0);
	cr_assert_geq(owner_count(USER_TABLES, id), 6,
	    "tasks, task_counts, task_tombstones, sync_horizons, "
	    "idempotency_keys and sessions have user_id");
	{
		char *before = owner_value(USER_ROWS, id);

		cr_assert_not_null(before);
		for (const char *t = "idempotency_keys sessions sync_horizons "
		    "task_counts task_tombstones tasks"; *t != '\0';) {
			char name[32];
			size_t n = strcspn(t, " ");

			snprintf(name, sizeof(name), "%.*s=", (int)n, t);
			cr_assert_not_null(strstr(before, name),
			    "no %s row before: %s", name, before);
			t += n + (t[n] == ' ');
		}
		free(before);
	}
	PQfinish(lock);

	snprintf(body, sizeof(body), "{\"password\":\"%s\"}", PASSWORD);
	expect(forget(b, body), 204, NULL, "delete");

	left = owner_value(USER_ROWS, id);
	cr_assert_null(left, "rows left: %s", left);
	cr_assert_eq(owner_count("SELECT count(*) FROM users WHERE id = $1",
	    id), 0);
	cr_assert_eq(owner_count("SELECT count(*) FROM subject_issuers "
	    "WHERE subject = $1", id), 0);
	cr_assert_eq(owner_count(REFRESH_ROWS, sessions), 0);
	/* Every session's token, the one that deleted included. */
	me_is(a, 401, "register's session");
	me_is(b, 401, "the deleting session");
	me_is(c, 401, "a third session");
	refresh_is(rb, 401, "the deleting session's refresh token");
	refresh_is(rc, 401, "a third session's refresh token");
	expect(http_json("GET", "/api/tasks", a, NULL), 401, ENDED, "list");
	logs_in(email, PASSWORD, 0);
	/* Another user keeps everything. */
	cr_assert_eq(owner_count("SELECT count(*) FROM tasks WHERE user_id "
	    "= $1", other_id), 1);
	me_is(other, 200, "another user");
	free(sessions);
	free(a);
	free(b);
	free(c);
	free(other);
}

/* docs/API.md "Account deletion": the same email registers again. */
Test(account, the_same_email_registers_again)
{
	char email[128], id[64], again[64];
	char *a = account_new(email, sizeof(email), id);
	char *b;

	expect(forget(a, "{\"password\":\"" PASSWORD "\"}"), 204, NULL,
	    "delete");
	b = register_user(email, NEW_PASSWORD, again);
	cr_assert_str_neq(again, id, "a new account, a new id");
	me_is(b, 200, "the new account");
	logs_in(email, NEW_PASSWORD, 1);
	free(a);
	free(b);
}

/* docs/API.md "Account deletion": a wrong password deletes nothing. */
Test(account, a_wrong_password_deletes_nothing)
{
	char email[128], id[64], task[37];
	char *a = account_new(email, sizeof(email), id);

	create_task(a, "still here", task);
	expect(forget(a, "{\"password\":\"not-" PASSWORD "\"}"), 403, WRONG,
	    "wrong");
	expect(forget(a, "{\"password\":\"\"}"), 403, WRONG, "empty");
	me_is(a, 200, "after a refused delete");
	cr_assert_eq(owner_count("SELECT count(*) FROM tasks WHERE user_id = "
	    "$1", id), 1);
	free(a);
}

/*
 * docs/API.md "Account deletion": an account with a password must send
 * it: no body, or a body without it, is 422 naming it; a body is checked
 * as every body is (docs/API.md "Request bodies").
 */
Test(account, an_account_with_a_password_must_send_it)
{
	static const struct {
		const char *body;
		long status;
		const char *detail;
	} rows[] = {
		{ NULL, 422, DELETE_422 },
		{ "{}", 422, DELETE_422 },
		{ "{\"password\":null}", 422, DELETE_422 },
		{ "{\"password\":[\"" PASSWORD "\"]}", 422, DELETE_422 },
		{ "{\"password\":\"a\\u0000b\"}", 422,
		  "password must not contain U+0000 or lone surrogates" },
		{ "{\"password\":\"\\ud800\"}", 422,
		  "password must not contain lone surrogates" },
		{ "\"" PASSWORD "\"", 422, "Request body must be a JSON object" },
		{ "{\"password\":", 400, "Invalid JSON body" },
	};
	char email[128], id[64];
	char *a = account_new(email, sizeof(email), id);
	const char *plain[] = { "Content-Type: text/plain", NULL, NULL };
	char auth[4096];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect(forget(a, rows[i].body), rows[i].status, rows[i].detail,
		    rows[i].body != NULL ? rows[i].body : "no body");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a);
	plain[1] = auth;
	expect(http_req("DELETE", "/api/auth/me", plain,
	    "{\"password\":\"" PASSWORD "\"}", (size_t)-1), 415,
	    "Content-Type must be application/json", "text/plain");
	me_is(a, 200, "after the refusals");
	free(a);
}

/*
 * docs/API.md "Account deletion": an external issuer's user (here a
 * sid-less token signed with the secret, whose user was made on first
 * need, with no password) deletes with no body; a password sent for it
 * matches nothing.
 */
Test(account, a_user_without_a_password_deletes_without_a_body)
{
	char subject[37], task[37];
	char *t;

	test_uuid(subject);
	t = token_for(subject);
	create_task(t, "an external user's task", task);
	expect(forget(t, "{\"password\":\"" PASSWORD "\"}"), 403, WRONG,
	    "a password for an account without one");
	cr_assert_eq(owner_count("SELECT count(*) FROM tasks WHERE user_id = "
	    "$1", subject), 1);
	expect(forget(t, NULL), 204, NULL, "no body");
	cr_assert_null(owner_value(USER_ROWS, subject));
	cr_assert_eq(owner_count("SELECT count(*) FROM users WHERE id = $1",
	    subject), 0);
	cr_assert_eq(owner_count("SELECT count(*) FROM subject_issuers "
	    "WHERE subject = $1", subject), 0);
	/*
	 * docs/API.md "Users on first need": its issuer still vouches for
	 * it, so its next request starts an empty account.
	 */
	expect(http_json("GET", "/api/auth/me", t, NULL), 200, NULL, "me");
	cr_assert_eq(owner_count("SELECT count(*) FROM tasks WHERE user_id = "
	    "$1", subject), 0);
	/* An empty object sends no password either. */
	expect(forget(t, "{}"), 204, NULL, "an empty object");
	free(t);
}

/* docs/API.md "Authentication failures": deletion needs a token. */
Test(account, deletion_needs_a_token)
{
	expect(forget(NULL, NULL), 401, "Not authenticated", "no token");
}
