/*
 * Integration: what one user may hold and take. The quota of
 * TASKS_PER_USER_MAX tasks: docs/API.md "Task creation". A page stops at
 * LIST_MAX_BYTES: docs/API.md "Task list". The instance runs with the
 * defaults (tests/run unsets every setting). A user is filled up to the
 * quota by the schema's owner in one INSERT, as a client with time would
 * through the API; every create, list and delete checked goes through
 * nginx and the programs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "db/db.h"
#include "support/helpers.h"
#include "support/owner.h"

/* The defaults of TASKS_PER_USER_MAX and LIST_MAX_BYTES (settings.def). */
#define LIMITS_QUOTA 100000L
#define LIMITS_LIST_BYTES 1048576

/* Runs sql with $1 = subject, $2 = n as the owner; must succeed. */
static void
owner_run(const char *sql, const char *subject, long n)
{
	PGconn *conn = owner_connect();
	char n_s[24];
	const char *params[2] = { subject, n_s };
	PGresult *res;

	snprintf(n_s, sizeof(n_s), "%ld", n);
	res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);
}

/* A new subject whose users row exists and who has exactly n tasks. */
static char *
subject_with_tasks(char subject[37], long n)
{
	char *token;
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);
	/* Through the API: it makes the subject's users row. */
	r = http_json("POST", "/api/tasks", token, "{\"title\":\"first\"}");
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	owner_run("INSERT INTO tasks (user_id, title) SELECT $1, 'filler ' || i "
	    "FROM generate_series(2, $2::bigint) i", subject, n);
	return token;
}

/* X-Total-Count of the subject's list, as the API says it. */
static long
total_count(const char *token)
{
	struct http_res *r = http_json("GET", "/api/tasks?limit=1", token, NULL);
	const char *h;
	long n;

	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_not_null(h = http_header(r, "X-Total-Count"));
	n = strtol(h, NULL, 10);
	http_free(r);
	return n;
}

static void
assert_create_status(const char *token, long want)
{
	struct http_res *r = http_json("POST", "/api/tasks", token,
	    "{\"title\":\"one more\"}");

	cr_assert_eq(r->status, want, "create: %ld %s", r->status, r->body);
	if (want == 409)
		cr_assert_str_eq(detail(r), "Task limit reached");
	http_free(r);
}

Test(limits, a_create_past_the_quota_is_409_and_creates_nothing,
    .timeout = 120)
{
	char subject[37];
	char *token = subject_with_tasks(subject, LIMITS_QUOTA - 1);

	/* The last free place is taken, then none is left. */
	assert_create_status(token, 201);
	cr_assert_eq(total_count(token), LIMITS_QUOTA);
	assert_create_status(token, 409);
	assert_create_status(token, 409);
	cr_assert_eq(total_count(token), LIMITS_QUOTA);
	free(token);
}

struct limits_creator {
	const char *token;
	long status;
};

static void *
limits_create_thread(void *arg)
{
	struct limits_creator *cr = arg;
	struct http_res *r = http_json("POST", "/api/tasks", cr->token,
	    "{\"title\":\"racing\"}");

	cr->status = r->status;
	http_free(r);
	return NULL;
}

/*
 * Holds the subject's counter rows (all sixteen slots, made first with zero
 * counts) until limits_release: a create that inserted its task then waits
 * in the counting trigger before it commits. Two creates at once then
 * overlap for certain, as they do by chance under load, instead of one
 * finishing before the other starts.
 */
static PGconn *
limits_hold_counters(const char *subject)
{
	PGconn *conn = owner_connect();
	const char *params[1] = { subject };
	PGresult *res;

	res = PQexecParams(conn, "INSERT INTO task_counts "
	    "SELECT $1, s, 0, 0 FROM generate_series(0, 15) s "
	    "ON CONFLICT DO NOTHING", 1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s",
	    PQresultErrorMessage(res));
	PQclear(res);
	PQclear(PQexec(conn, "BEGIN"));
	res = PQexecParams(conn, "SELECT 1 FROM task_counts WHERE user_id = $1 "
	    "FOR UPDATE", 1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQntuples(res), 16, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return conn;
}

static void
limits_release(PGconn *conn)
{
	PQclear(PQexec(conn, "COMMIT"));
	PQfinish(conn);
}

Test(limits, two_creates_at_once_for_the_last_place_give_one_201_one_409,
    .timeout = 120)
{
	char subject[37];
	char *token = subject_with_tasks(subject, LIMITS_QUOTA - 1);

	/* Rounds: each time one place is free and two clients race for it. */
	for (int round = 0; round < 3; round++) {
		struct limits_creator cr[2] = { { token, 0 }, { token, 0 } };
		PGconn *held = limits_hold_counters(subject);
		pthread_t th[2];
		int created = 0, refused = 0;

		for (int i = 0; i < 2; i++)
			cr_assert_eq(pthread_create(&th[i], NULL,
			    limits_create_thread, &cr[i]), 0);
		/* Time for both to reach the database (a bounded wait: the
		 * result is the same if one has not). */
		usleep(1000 * 1000);
		limits_release(held);
		for (int i = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			created += cr[i].status == 201;
			refused += cr[i].status == 409;
		}
		cr_assert_eq(created, 1, "round %d: %ld and %ld", round,
		    cr[0].status, cr[1].status);
		cr_assert_eq(refused, 1, "round %d: %ld and %ld", round,
		    cr[0].status, cr[1].status);
		cr_assert_eq(total_count(token), LIMITS_QUOTA);
		/* One place free again: the newest task goes. */
		owner_run("DELETE FROM tasks WHERE id = (SELECT id FROM tasks "
		    "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		    "LIMIT $2::int)", subject, 1);
	}
	free(token);
}

/* The ids of the subject's newest n tasks, through the list. */
static void
newest_ids(const char *token, int n, char ids[][37])
{
	char path[64];
	struct http_res *r;

	snprintf(path, sizeof(path), "/api/tasks?limit=%d", n);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(json_object_array_length(r->json), (size_t)n);
	for (int i = 0; i < n; i++)
		snprintf(ids[i], 37, "%s",
		    obj_str(json_object_array_get_idx(r->json, (size_t)i), "id"));
	http_free(r);
}

Test(limits, a_user_over_a_lowered_quota_reads_edits_and_deletes,
    .timeout = 120)
{
	char subject[37], ids[6][37], path[96];
	/* As if the quota had been lowered under what the user has. */
	char *token = subject_with_tasks(subject, LIMITS_QUOTA + 5);
	struct http_res *r;

	assert_create_status(token, 409);
	cr_assert_eq(total_count(token), LIMITS_QUOTA + 5);
	newest_ids(token, 6, ids);
	snprintf(path, sizeof(path), "/api/tasks/%.36s", ids[0]);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_json("PATCH", path, token, "{\"title\":\"still mine\"}");
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	/* Deletes bring the count under the quota, and creates pass again. */
	for (int i = 0; i < 6; i++) {
		assert_create_status(token, 409);
		snprintf(path, sizeof(path), "/api/tasks/%.36s", ids[i]);
		r = http_json("DELETE", path, token, NULL);
		cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
		http_free(r);
	}
	cr_assert_eq(total_count(token), LIMITS_QUOTA - 1);
	assert_create_status(token, 201);
	assert_create_status(token, 409);
	free(token);
}

/*
 * A description of 10,000 U+0001: 10,000 bytes stored, 60,000 in an
 * answer. The request body spells each as the same 6-byte escape.
 */
static void
create_escaped_task(const char *token, int i)
{
	char prefix[64];
	char *body;
	struct http_res *r;

	snprintf(prefix, sizeof(prefix),
	    "{\"title\":\"big %02d\",\"description\":\"", i);
	body = str_repeat(prefix, "\\u0001", 10000, "\"}");
	r = http_json("POST", "/api/tasks", token, body);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	free(body);
}

/* The ids of a page, appended to ids from *n on; returns the page's size. */
static size_t
page_ids(const char *token, long offset, long limit, char ids[][37], size_t *n,
    size_t *body_len)
{
	char path[64];
	struct http_res *r;
	size_t len;

	snprintf(path, sizeof(path), "/api/tasks?limit=%ld&offset=%ld", limit,
	    offset);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "%ld", r->status);
	cr_assert_str_eq(http_header(r, "X-Total-Count"), "20");
	cr_assert_not_null(r->json, "the page is one JSON array");
	len = json_object_array_length(r->json);
	for (size_t i = 0; i < len; i++)
		snprintf(ids[(*n)++], 37, "%s",
		    obj_str(json_object_array_get_idx(r->json, i), "id"));
	*body_len = r->body_len;
	http_free(r);
	return len;
}

Test(limits, a_page_stops_at_the_byte_budget_and_the_next_goes_on,
    .timeout = 120)
{
	char subject[37], ids[40][37], one[20][37];
	char *token;
	size_t n = 0, m = 0, first, rest, body, each, len;

	test_uuid(subject);
	token = token_for(subject);
	for (int i = 0; i < 20; i++)
		create_escaped_task(token, i);
	/* 20 tasks of about 60 KB: 1.2 MB, so the page is cut short... */
	first = page_ids(token, 0, 20, ids, &n, &body);
	cr_assert_lt(first, 20, "%zu tasks in %zu bytes", first, body);
	cr_assert_geq(first, 1);
	cr_assert_leq(body, LIMITS_LIST_BYTES);
	/* ...as late as it can be: the next task (as long as each of
	 * these, and a comma) would not have fitted. */
	each = (body - 2 - (first - 1)) / first;
	cr_assert_gt(body + 1 + each, LIMITS_LIST_BYTES, "%zu + %zu", body, each);
	/* The next page starts right after the last task shown. */
	rest = page_ids(token, (long)first, 20, ids, &n, &body);
	cr_assert_eq(first + rest, 20, "%zu then %zu", first, rest);
	/* The same order as one task a page. */
	for (long i = 0; i < 20; i++) {
		cr_assert_eq(page_ids(token, i, 1, one, &m, &len), 1);
		cr_assert_str_eq(ids[i], one[i], "task %ld", i);
	}
	free(token);
}

/*
 * PostgreSQL itself sends about one budget of rows, not the whole page:
 * the list statement as the programs prepare it (db_stmt_text), run as
 * their role with the subject set, asked for 1,000 rows of 40,000-byte
 * descriptions (U+1F600, 4 bytes, 10,000 characters) with a 65,536-byte
 * budget.
 */
Test(limits, the_database_sends_only_the_rows_the_budget_can_take,
    .timeout = 120)
{
	const char *info = getenv("TASKAPI_TEST_APP_DB");
	const char *params[5];
	char subject[37];
	char *token = subject_with_tasks(subject, 1);
	PGconn *conn;
	PGresult *res;
	long sent = 0;

	owner_run("INSERT INTO tasks (user_id, title, description) "
	    "SELECT $1, 'wide ' || i, repeat(U&'\\+01F600', 10000) "
	    "FROM generate_series(1, $2::int) i", subject, 50);
	cr_assert_not_null(info);
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK);
	params[0] = subject;
	res = PQexec(conn, "BEGIN");
	PQclear(res);
	res = PQexecParams(conn, "SELECT set_config('taskapi.subject', $1, true)",
	    1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	params[1] = NULL;
	params[2] = "1000";
	params[3] = "0";
	params[4] = "65536";
	res = PQexecParams(conn, db_stmt_text(STMT_TASK_LIST), 5, NULL, params,
	    NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(res));
	for (int i = 0; i < PQntuples(res); i++)
		for (int f = 0; f < PQnfields(res); f++)
			sent += PQgetlength(res, i, f);
	/* Newest first: about 0 and 40,000 bytes come before the first two
	 * wide rows, 80,000 before the third: two rows of the 51. */
	cr_assert_eq(PQntuples(res), 2, "%d rows, %ld bytes", PQntuples(res),
	    sent);
	cr_assert_lt(sent, 65536 + 40000 + 1000, "%ld bytes", sent);
	PQclear(res);
	PQfinish(conn);
	free(token);
}
