/*
 * Integration: creates of one user commit side by side
 * (sql/011_concurrent_creates.sql). A create held open in the database (a
 * direct connection's task_insert, not yet committed, as a create waiting
 * for its WAL flush is) must not hold back another create of the same user
 * through nginx and the programs, far from the quota; within reach of the
 * quota it must, so that docs/API.md "Task creation" stays exact.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/owner.h"

/* TASKS_PER_USER_MAX's default (settings.def); tests/run sets no other. */
#define CONCURRENT_QUOTA 100000L
/* The counter slots a create's trigger picks from: backend pid % 16. */
#define CONCURRENT_SLOTS 16

/* Runs sql with $1 = subject, $2 = n; must succeed; the rows it returns. */
static int
concurrent_run(PGconn *conn, const char *sql, const char *subject, long n)
{
	char n_s[24];
	const char *params[2] = { subject, n_s };
	PGresult *res;
	int rows;

	snprintf(n_s, sizeof(n_s), "%ld", n);
	res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	rows = PQntuples(res);
	PQclear(res);
	return rows;
}

/* Whether conn's backend shares a counter slot with a tasks worker's. */
static int
concurrent_slot_shared(PGconn *conn)
{
	PGresult *res = PQexec(conn, "SELECT 1 FROM pg_stat_activity "
	    "WHERE application_name = 'tasks' AND pid % 16 = pg_backend_pid() % 16");
	int shared;

	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(res));
	shared = PQntuples(res) > 0;
	PQclear(res);
	return shared;
}

/*
 * The owner's connection for the held create, in a counter slot no tasks
 * worker's backend is in: two creates of one user in the same slot wait
 * for each other's commit on that counter row, by design (a slot is a
 * backend's, and a user's creates spread over 16 of them).
 */
static PGconn *
concurrent_holder(const char *token)
{
	struct http_res *r;

	/* Every tasks worker has its connection once it has served. */
	for (int i = 0; i < 20; i++) {
		r = http_json("GET", "/api/tasks?limit=1", token, NULL);
		cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
		http_free(r);
	}
	for (int tries = 0; tries < 4 * CONCURRENT_SLOTS; tries++) {
		PGconn *conn = owner_connect();

		if (!concurrent_slot_shared(conn))
			return conn;
		PQfinish(conn);
	}
	cr_assert_fail("every counter slot is a tasks worker's");
	return NULL;
}

struct concurrent_create {
	const char *token;
	long status;
	atomic_int done;
};

static void *
concurrent_create_thread(void *arg)
{
	struct concurrent_create *c = arg;
	struct http_res *r = http_json("POST", "/api/tasks", c->token,
	    "{\"title\":\"beside a create in flight\"}");

	c->status = r->status;
	http_free(r);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Whether c finishes within seconds (a bounded wait: liveness, not speed). */
static int
concurrent_finishes_within(struct concurrent_create *c, int seconds)
{
	for (int i = 0; i < seconds * 20 && !atomic_load(&c->done); i++)
		usleep(50 * 1000);
	return atomic_load(&c->done);
}

static long
concurrent_total(const char *token)
{
	struct http_res *r = http_json("GET", "/api/tasks?limit=1", token, NULL);
	long n;

	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	n = atol(http_header(r, "X-Total-Count"));
	http_free(r);
	return n;
}

/* A new subject with its users row and n tasks (the first through the API). */
static char *
concurrent_subject(char subject[37], long n)
{
	char *token;
	struct http_res *r;
	PGconn *conn;

	test_uuid(subject);
	token = token_for(subject);
	r = http_json("POST", "/api/tasks", token, "{\"title\":\"first\"}");
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	if (n > 1) {
		conn = owner_connect();
		concurrent_run(conn, "INSERT INTO tasks (user_id, title) "
		    "SELECT $1, 'filler ' || i FROM generate_series(2, $2::bigint) i",
		    subject, n);
		PQfinish(conn);
	}
	return token;
}

/*
 * Holds a create of subject open (inserted, not committed) on its own
 * connection, runs one create through the API beside it, and tells
 * whether that one was answered while the first was still open. The held
 * create commits then, and the API's is joined.
 */
static int
concurrent_beside_held(const char *subject, const char *token, long *status)
{
	PGconn *held = concurrent_holder(token);
	struct concurrent_create c = { .token = token };
	pthread_t th;
	int answered;

	PQclear(PQexec(held, "BEGIN"));
	cr_assert_eq(concurrent_run(held, "SELECT id FROM task_insert($1, "
	    "'held open', NULL, false, $2::bigint)", subject, CONCURRENT_QUOTA),
	    1, "the held create made no task");
	cr_assert_eq(pthread_create(&th, NULL, concurrent_create_thread, &c), 0);
	answered = concurrent_finishes_within(&c, 5);
	PQclear(PQexec(held, "COMMIT"));
	PQfinish(held);
	pthread_join(th, NULL);
	*status = c.status;
	return answered;
}

Test(concurrent_creates, a_create_does_not_wait_for_another_of_its_user_to_commit,
    .timeout = 90)
{
	char subject[37];
	char *token = concurrent_subject(subject, 1);
	long status;
	int answered = concurrent_beside_held(subject, token, &status);

	cr_assert(answered, "the create waited for the held one's commit");
	cr_assert_eq(status, 201);
	/* The first, the held one and the API's: the count is exact. */
	cr_assert_eq(concurrent_total(token), 3);
	free(token);
}

Test(concurrent_creates, near_the_quota_a_create_waits_and_counts_the_one_in_flight,
    .timeout = 120)
{
	char subject[37];
	/* One place free: the held create takes it. */
	char *token = concurrent_subject(subject, CONCURRENT_QUOTA - 1);
	long status;
	int answered = concurrent_beside_held(subject, token, &status);

	cr_assert(!answered, "a create near the quota did not wait for the one in flight");
	cr_assert_eq(status, 409, "the last place was given twice");
	cr_assert_eq(concurrent_total(token), CONCURRENT_QUOTA);
	free(token);
}
