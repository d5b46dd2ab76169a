/*
 * Integration: Idempotency-Key on POST /api/tasks, PATCH .../complete and
 * DELETE /api/tasks/{id} (docs/API.md "Idempotency keys"), over real HTTP;
 * the rows kept are checked in the database as its owner (tests/run's
 * TASKAPI_TEST_DB). Every test makes its own subjects and keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/owner.h"

#define OR_EMPTY(s) ((s) != NULL ? (s) : "")
/* Requests at once with one key. */
#define IDEM_RACERS 10
#define IDEM_BUSY "A request with this Idempotency-Key is in progress"
#define IDEM_REUSED "Idempotency-Key reused with a different request"
#define IDEM_BAD "Idempotency-Key must be 1 to 255 printable ASCII characters"

/* ---- helpers ----------------------------------------------------------- */

/* A fresh "Idempotency-Key: ..." header, unique across the run. */
static void
idem_key(char *out, size_t len)
{
	char uuid[37];

	test_uuid(uuid);
	snprintf(out, len, "Idempotency-Key: k-%s", uuid);
}

/* A fresh subject (no users row yet) and its token (free()). */
static char *
idem_subject(char subject[37])
{
	test_uuid(subject);
	return token_for(subject);
}

/* The owner's count for subject: sql with $1 = subject. */
static long
idem_count(const char *sql, const char *subject)
{
	char *v = owner_value(sql, subject);
	long n = atol(v);

	free(v);
	return n;
}

#define IDEM_TASKS "SELECT count(*) FROM tasks WHERE user_id = $1"
#define IDEM_KEYS "SELECT count(*) FROM idempotency_keys WHERE user_id = $1"

/* r is a replay of first: same status, body, ETag, Location; the flag. */
static void
expect_replay(struct http_res *r, const struct http_res *first)
{
	char etag[64], location[256];

	snprintf(etag, sizeof(etag), "%s", OR_EMPTY(http_header(first, "ETag")));
	snprintf(location, sizeof(location), "%s",
	    OR_EMPTY(http_header(first, "Location")));
	cr_assert_eq(r->status, first->status, "replay: %ld %s", r->status,
	    r->body);
	cr_assert_str_eq(r->body, first->body, "the replay's body");
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Idempotent-Replayed")), "true");
	cr_assert_str_eq(OR_EMPTY(http_header(r, "ETag")), etag);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Location")), location);
	http_free(r);
}

/* ---- create ------------------------------------------------------------ */

/*
 * A request whose key another transaction holds: 409, nothing written.
 * The test holds the key's lock (sql/007_idempotency.sql) as the owner, in
 * a transaction left open, as a first request still running would.
 */
Test(idempotency, a_repeat_while_the_first_runs_is_409)
{
	char subject[37], key[128], lock[512];
	char *token = idem_subject(subject);
	PGconn *conn;
	PGresult *res;
	struct http_res *r;

	idem_key(key, sizeof(key));
	conn = owner_connect();
	/* The key as sent, after "Idempotency-Key: ". */
	snprintf(lock, sizeof(lock), "%s\n%s", subject, key + 17);
	res = PQexec(conn, "BEGIN");
	PQclear(res);
	res = PQexecParams(conn, "SELECT pg_advisory_xact_lock(7274722, "
	    "hashtext($1))", 1, NULL, (const char *const[]){ lock }, NULL, NULL,
	    0);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(res));
	PQclear(res);
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"held\"}", key,
	    NULL);
	cr_assert_eq(r->status, 409, "%ld %s", r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(detail(r)), IDEM_BUSY);
	http_free(r);
	res = PQexec(conn, "COMMIT");
	PQclear(res);
	PQfinish(conn);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 0);
	/* The lock released, the same request goes through. */
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"held\"}", key,
	    NULL);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	free(token);
}

Test(idempotency, a_repeated_create_is_replayed_and_creates_one_task)
{
	char subject[37], key[128];
	char *token = idem_subject(subject);
	const char *body = "{\"title\":\"once\"}";
	struct http_res *first;

	idem_key(key, sizeof(key));
	/* The subject has no users row yet: made on first need, with a key. */
	first = http_bearer("POST", "/api/tasks", token, body, key, NULL);
	cr_assert_eq(first->status, 201, "%ld %s", first->status, first->body);
	cr_assert_null(http_header(first, "Idempotent-Replayed"));
	cr_assert_str_eq(OR_EMPTY(http_header(first, "ETag")), "\"1\"");
	cr_assert_not_null(http_header(first, "Location"));
	expect_replay(http_bearer("POST", "/api/tasks", token, body, key, NULL),
	    first);
	expect_replay(http_bearer("POST", "/api/tasks", token, body, key, NULL),
	    first);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 1);
	cr_assert_eq(idem_count(IDEM_KEYS, subject), 1);
	http_free(first);
	free(token);
}

struct idem_racer {
	const char *token;
	const char *key;
	struct http_res *res;
};

static void *
idem_racer_run(void *arg)
{
	struct idem_racer *r = arg;

	r->res = http_bearer("POST", "/api/tasks", r->token,
	    "{\"title\":\"raced\"}", r->key, NULL);
	return NULL;
}

/* Each answer is the 201, replayed or first, or the 409 of a repeat. */
static void
idem_check_racers(struct idem_racer *racers, const char *subject)
{
	const char *first_body = NULL;
	int fresh = 0;

	for (int i = 0; i < IDEM_RACERS; i++) {
		struct http_res *r = racers[i].res;

		if (r->status == 409) {
			cr_assert_str_eq(OR_EMPTY(detail(r)), IDEM_BUSY);
			continue;
		}
		cr_assert_eq(r->status, 201, "racer %d: %ld %s", i, r->status,
		    r->body);
		if (http_header(r, "Idempotent-Replayed") == NULL)
			fresh++;
		if (first_body == NULL)
			first_body = r->body;
		cr_assert_str_eq(r->body, first_body, "racer %d's body", i);
	}
	cr_assert_eq(fresh, 1, "%d answers say they created the task", fresh);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 1);
	cr_assert_eq(idem_count(IDEM_KEYS, subject), 1);
}

Test(idempotency, ten_creates_at_once_with_one_key_make_one_task)
{
	char subject[37], key[128];
	char *token = idem_subject(subject);
	struct idem_racer racers[IDEM_RACERS];
	pthread_t th[IDEM_RACERS];
	struct http_res *r;

	/* The users row first, so the racers meet at the key, not at it. */
	r = http_json("GET", "/api/tasks", token, NULL);
	http_free(r);
	idem_key(key, sizeof(key));
	for (int i = 0; i < IDEM_RACERS; i++) {
		racers[i] = (struct idem_racer){ token, key, NULL };
		cr_assert_eq(pthread_create(&th[i], NULL, idem_racer_run,
		    &racers[i]), 0);
	}
	for (int i = 0; i < IDEM_RACERS; i++)
		pthread_join(th[i], NULL);
	idem_check_racers(racers, subject);
	for (int i = 0; i < IDEM_RACERS; i++)
		http_free(racers[i].res);
	free(token);
}

Test(idempotency, one_key_of_two_users_is_two_keys)
{
	char a[37], b[37], key[128], id_a[64];
	char *ta = idem_subject(a), *tb = idem_subject(b);
	struct http_res *ra, *rb;

	idem_key(key, sizeof(key));
	ra = http_bearer("POST", "/api/tasks", ta, "{\"title\":\"t\"}", key, NULL);
	rb = http_bearer("POST", "/api/tasks", tb, "{\"title\":\"t\"}", key, NULL);
	cr_assert_eq(ra->status, 201);
	cr_assert_eq(rb->status, 201, "%ld %s", rb->status, rb->body);
	cr_assert_null(http_header(rb, "Idempotent-Replayed"));
	snprintf(id_a, sizeof(id_a), "%s", OR_EMPTY(json_str(ra, "id")));
	cr_assert_str_neq(OR_EMPTY(json_str(rb, "id")), id_a);
	cr_assert_str_eq(OR_EMPTY(json_str(rb, "user_id")), b);
	http_free(ra);
	http_free(rb);
	free(ta);
	free(tb);
}

Test(idempotency, a_key_reused_for_another_request_is_422)
{
	char subject[37], key[128], id[37];
	char *token = idem_subject(subject);
	struct http_res *r;

	idem_key(key, sizeof(key));
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"a\"}", key, NULL);
	cr_assert_eq(r->status, 201);
	http_free(r);
	/* Another body, the same body spelt otherwise, another route. */
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"b\"}", key, NULL);
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(detail(r)), IDEM_REUSED);
	http_free(r);
	r = http_bearer("POST", "/api/tasks", token, "{\"title\": \"a\"}", key,
	    NULL);
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	http_free(r);
	create_task(token, "other", id);
	r = http_bearer("DELETE", task_path(id, ""), token, NULL, key, NULL);
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(detail(r)), IDEM_REUSED);
	http_free(r);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 2, "one task per create");
	free(token);
}

Test(idempotency, a_refused_create_is_not_kept)
{
	char subject[37], key[128];
	char *token = idem_subject(subject);
	struct http_res *r;

	idem_key(key, sizeof(key));
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"\"}", key, NULL);
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"x\"}", key, NULL);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	cr_assert_null(http_header(r, "Idempotent-Replayed"));
	http_free(r);
	free(token);
}

/* A request with a bad key: 422 with the key's detail, nothing made. */
static void
expect_bad_key(const char *token, const char *method, const char *path,
    const char *body, const char *key_header)
{
	struct http_res *r = http_bearer(method, path, token, body, key_header,
	    NULL);

	cr_assert_eq(r->status, 422, "%s %s: %ld %s", method, path, r->status,
	    r->body);
	cr_assert_str_eq(OR_EMPTY(detail(r)), IDEM_BAD);
	http_free(r);
}

Test(idempotency, a_bad_key_is_422)
{
	char subject[37], id[37], missing[37], *long_key, *huge_key;
	char *token = idem_subject(subject);
	struct http_res *r;

	create_task(token, "kept", id);
	test_uuid(missing);
	long_key = str_repeat("Idempotency-Key: ", "k", 256, "");
	huge_key = str_repeat("Idempotency-Key: ", "k", 2000, "");
	expect_bad_key(token, "POST", "/api/tasks", "{\"title\":\"x\"}", long_key);
	/* Over 1 KiB: nginx passes it on as one with a tab. */
	expect_bad_key(token, "POST", "/api/tasks", "{\"title\":\"x\"}", huge_key);
	expect_bad_key(token, "POST", "/api/tasks", "{\"title\":\"x\"}",
	    "Idempotency-Key: caf\xc3\xa9");
	expect_bad_key(token, "POST", "/api/tasks", "{\"title\":\"x\"}",
	    "Idempotency-Key: a\tb");
	expect_bad_key(token, "DELETE", task_path(id, ""), NULL, long_key);
	expect_bad_key(token, "PATCH", task_path(id, "/complete"), NULL, long_key);
	/* With the body's checks: before the row's 404, after the body's. */
	expect_bad_key(token, "DELETE", task_path(missing, ""), NULL, long_key);
	expect_bad_key(token, "DELETE", "/api/tasks/not-a-uuid", NULL, long_key);
	r = http_bearer("POST", "/api/tasks", token, "{}", long_key, NULL);
	cr_assert_eq(r->status, 422);
	cr_assert_str_eq(OR_EMPTY(detail(r)), "title is required");
	http_free(r);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 1, "a bad key made a task");
	/* 255 characters of any printable ASCII are a key. */
	free(long_key);
	long_key = str_repeat("Idempotency-Key: ", "~", 255, "");
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"x\"}", long_key,
	    NULL);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	free(long_key);
	free(huge_key);
	free(token);
}

/* ---- toggle and delete ------------------------------------------------- */

Test(idempotency, a_repeated_toggle_toggles_once)
{
	char subject[37], key[128], id[37];
	char *token = idem_subject(subject);
	struct http_res *first, *r;

	create_task(token, "toggled", id);
	idem_key(key, sizeof(key));
	first = http_bearer("PATCH", task_path(id, "/complete"), token, NULL, key, NULL);
	cr_assert_eq(first->status, 200, "%ld %s", first->status, first->body);
	cr_assert_eq(json_flag(first, "is_completed"), 1);
	cr_assert_str_eq(OR_EMPTY(http_header(first, "ETag")), "\"2\"");
	expect_replay(http_bearer("PATCH", task_path(id, "/complete"), token, NULL, key,
	    NULL), first);
	r = http_json("GET", task_path(id, ""), token, NULL);
	cr_assert_eq(json_flag(r, "is_completed"), 1, "toggled twice");
	cr_assert_str_eq(OR_EMPTY(http_header(r, "ETag")), "\"2\"");
	http_free(r);
	http_free(first);
	free(token);
}

Test(idempotency, a_repeated_delete_is_204_again)
{
	char subject[37], key[128], id[37];
	char *token = idem_subject(subject);
	struct http_res *first, *r;

	create_task(token, "deleted", id);
	idem_key(key, sizeof(key));
	first = http_bearer("DELETE", task_path(id, ""), token, NULL, key, NULL);
	cr_assert_eq(first->status, 204, "%ld %s", first->status, first->body);
	cr_assert_null(http_header(first, "Idempotent-Replayed"));
	r = http_bearer("DELETE", task_path(id, ""), token, NULL, key, NULL);
	cr_assert_eq(r->status, 204, "the repeat: %ld %s", r->status, r->body);
	cr_assert_eq(r->body_len, 0);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Idempotent-Replayed")), "true");
	http_free(r);
	/* Without the key, the task is gone. */
	r = http_json("DELETE", task_path(id, ""), token, NULL);
	cr_assert_eq(r->status, 404);
	http_free(r);
	http_free(first);
	free(token);
}

Test(idempotency, a_replay_comes_before_the_precondition)
{
	char subject[37], key[128], key2[128], id[37], gone[37];
	char *token = idem_subject(subject);
	struct http_res *first, *r;

	create_task(token, "conditional", id);
	idem_key(key, sizeof(key));
	first = http_bearer("PATCH", task_path(id, "/complete"), token, NULL, key,
	    "If-Match: \"1\"");
	cr_assert_eq(first->status, 200, "%ld %s", first->status, first->body);
	/* The task is at "2" now: the repeat still gets the kept answer. */
	expect_replay(http_bearer("PATCH", task_path(id, "/complete"), token, NULL, key,
	    "If-Match: \"1\""), first);
	http_free(first);
	/* A 412 is not kept: the same key then goes through. */
	idem_key(key2, sizeof(key2));
	r = http_bearer("DELETE", task_path(id, ""), token, NULL, key2, "If-Match: \"1\"");
	cr_assert_eq(r->status, 412, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_bearer("DELETE", task_path(id, ""), token, NULL, key2, "If-Match: \"2\"");
	cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
	cr_assert_null(http_header(r, "Idempotent-Replayed"));
	http_free(r);
	r = http_bearer("DELETE", task_path(id, ""), token, NULL, key2, "If-Match: \"2\"");
	cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Idempotent-Replayed")), "true");
	http_free(r);
	/* A 404 is not kept either. */
	test_uuid(gone);
	idem_key(key2, sizeof(key2));
	r = http_bearer("PATCH", task_path(gone, "/complete"), token, NULL, key2, NULL);
	cr_assert_eq(r->status, 404);
	http_free(r);
	cr_assert_eq(idem_count(IDEM_KEYS, subject), 2);
	free(token);
}

/* ---- 24 hours ----------------------------------------------------------- */

Test(idempotency, an_expired_key_is_replaced_and_pruned)
{
	char subject[37], key[128], other[37];
	char *token = idem_subject(subject), *left = NULL;
	struct http_res *r;
	int writes = 0;

	idem_key(key, sizeof(key));
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"a\"}", key, NULL);
	cr_assert_eq(r->status, 201);
	http_free(r);
	free(owner_value("UPDATE idempotency_keys SET created_at = now() - "
	    "interval '25 hours' WHERE user_id = $1", subject));
	/* Another request with the expired key: a new answer, kept anew. */
	r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"b\"}", key, NULL);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	cr_assert_null(http_header(r, "Idempotent-Replayed"));
	cr_assert_str_eq(OR_EMPTY(json_str(r, "title")), "b");
	http_free(r);
	cr_assert_eq(idem_count(IDEM_KEYS, subject), 1);
	/*
	 * Another user's expired key goes with keyed writes of anyone: the
	 * oldest 16 a write, so a few writes reach it.
	 */
	test_uuid(other);
	free(owner_value("INSERT INTO users (id) VALUES ($1)", other));
	free(owner_value("INSERT INTO idempotency_keys (user_id, key, digest, "
	    "status, created_at) VALUES ($1, 'old', 'x', 204, now() - "
	    "interval '2 days')", other));
	do {
		free(left);
		idem_key(key, sizeof(key));
		r = http_bearer("POST", "/api/tasks", token, "{\"title\":\"c\"}", key,
		    NULL);
		cr_assert_eq(r->status, 201);
		http_free(r);
		left = owner_value(IDEM_KEYS, other);
	} while (strcmp(left, "0") != 0 && ++writes < 8);
	cr_assert_str_eq(left, "0", "the expired key was not pruned");
	free(left);
	free(token);
}

/* ---- a database restart ------------------------------------------------- */

/* Behind PgBouncer, until its next server login: 503 meanwhile. */
static struct http_res *
idem_after_restart(const char *token, const char *body, const char *key)
{
	double limit = test_recovery_s(), t0 = test_monotonic_s();
	struct http_res *r;

	for (;;) {
		r = http_bearer("POST", "/api/tasks", token, body, key, NULL);
		if (r->status != 503 || test_monotonic_s() - t0 > limit)
			return r;
		http_free(r);
		usleep(50 * 1000);
	}
}

Test(fault, an_idempotent_replay_survives_a_database_restart)
{
	char subject[37], key[128];
	char *token = idem_subject(subject);
	const char *body = "{\"title\":\"durable\"}";
	struct http_res *first;

	idem_key(key, sizeof(key));
	first = http_bearer("POST", "/api/tasks", token, body, key, NULL);
	cr_assert_eq(first->status, 201, "%ld %s", first->status, first->body);
	cr_assert_eq(stack_command("db-stop"), 0);
	cr_assert_eq(stack_command("db-start"), 0);
	expect_replay(idem_after_restart(token, body, key), first);
	cr_assert_eq(idem_count(IDEM_TASKS, subject), 1);
	http_free(first);
	free(token);
}
