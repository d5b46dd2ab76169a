/*
 * Integration: what the programs do when the primary moves (docs/API.md
 * "Outages", "Reads on a standby"), on the run's real PostgreSQL:
 *
 * - fault/: a commit whose wait for a synchronous standby is cancelled
 *   (PostgreSQL then commits locally with a WARNING) is answered 503,
 *   never 201, and the retry with the same Idempotency-Key writes once.
 *   These change the cluster's settings for a moment, so they belong to
 *   the fault suite, which tests/run runs alone.
 * - failover_conn/: an instance whose DATABASE_URL names a dead host
 *   first and the real server second serves every request; one with
 *   DATABASE_READ_URL reads there, and falls back to the primary for a
 *   GET that must write.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/instance.h"

/* Bounded waits: a setting's reload, a backend reaching its wait. */
#define SETTLE_S		10.0
#define POLL_NS			20000000L

/* A create sent from its own thread, and what it got. */
struct pending {
	const char *token;
	const char *key;	/* "Idempotency-Key: ..." */
	struct http_res *res;
	pthread_t thread;
};

static PGconn *superuser(void);
static char *one_value(PGconn *db, const char *sql);
static void run_sql(PGconn *db, const char *sql);
static void wait_for_value(PGconn *db, const char *sql, const char *want);
static void *send_create(void *arg);
static void sync_wait_begin(PGconn *db);
static void sync_wait_end(void);
static int waiting_backend(PGconn *db);
static long count_tasks(PGconn *db, const char *subject);

static void
nap(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/*
 * The run's cluster as postgres: TASKAPI_TEST_DB (the owner's, by its
 * unix socket, where tests/run's cluster trusts every local user) with
 * the superuser named instead.
 */
static PGconn *
superuser(void)
{
	const char *owner = getenv("TASKAPI_TEST_DB");
	char info[1024];
	PGconn *db;

	cr_assert_not_null(owner, "TASKAPI_TEST_DB is not set: run tests/run");
	snprintf(info, sizeof(info), "%s user=postgres", owner);
	db = PQconnectdb(info);
	cr_assert(PQstatus(db) == CONNECTION_OK, "%s", PQerrorMessage(db));
	return db;
}

/* The first column of the first row of sql, to free(); NULL for none. */
static char *
one_value(PGconn *db, const char *sql)
{
	PGresult *res = PQexec(db, sql);
	char *out = NULL;

	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

static void
run_sql(PGconn *db, const char *sql)
{
	PGresult *res = PQexec(db, sql);

	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	PQclear(res);
}

/* Polls sql on a new connection each time (a reload reaches new
 * backends at once) until it answers want, for at most SETTLE_S. */
static void
wait_for_value(PGconn *db, const char *sql, const char *want)
{
	double end = test_monotonic_s() + SETTLE_S;
	char *v = NULL;

	(void)db;
	while (test_monotonic_s() < end) {
		PGconn *fresh = superuser();

		free(v);
		v = one_value(fresh, sql);
		PQfinish(fresh);
		if (v != NULL && strcmp(v, want) == 0) {
			free(v);
			return;
		}
		nap();
	}
	cr_assert_fail("%s stayed %s, not %s", sql, v != NULL ? v : "NULL",
	    want);
}

/*
 * A synchronous standby that never comes: every commit of the programs'
 * role then waits (SyncRep) until cancelled. The run's cluster has
 * synchronous_commit off (tests/run's PG_FAST), so the role gets it on.
 * Its backends end, so that the programs' next connections, made anew,
 * have both; pgbouncer's server connections end the same way.
 */
static void
sync_wait_begin(PGconn *db)
{
	run_sql(db, "ALTER ROLE taskapi_app SET synchronous_commit = on");
	run_sql(db, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
	run_sql(db, "SELECT pg_reload_conf()");
	wait_for_value(db, "SHOW synchronous_standby_names", "nobody");
	run_sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE usename = 'taskapi_app'");
}

/* The test's .fini: the cluster as it was, whatever the test found. */
static void
sync_wait_end(void)
{
	PGconn *db = superuser();

	run_sql(db, "ALTER SYSTEM RESET synchronous_standby_names");
	run_sql(db, "SELECT pg_reload_conf()");
	run_sql(db, "ALTER ROLE taskapi_app RESET synchronous_commit");
	wait_for_value(db, "SHOW synchronous_standby_names", "");
	run_sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	    "WHERE usename = 'taskapi_app'");
	PQfinish(db);
}

static void *
send_create(void *arg)
{
	struct pending *p = arg;

	p->res = http_bearer("POST", "/api/tasks", p->token,
	    "{\"title\":\"committed locally\"}", p->key, NULL);
	return NULL;
}

/* The pid of the programs' backend waiting for the standby, or 0. */
static int
waiting_backend(PGconn *db)
{
	char *v = one_value(db, "SELECT pid FROM pg_stat_activity "
	    "WHERE usename = 'taskapi_app' AND wait_event = 'SyncRep'");
	int pid = v != NULL ? atoi(v) : 0;

	free(v);
	return pid;
}

static long
count_tasks(PGconn *db, const char *subject)
{
	const char *params[1] = { subject };
	PGresult *res = PQexecParams(db, "SELECT count(*) FROM tasks "
	    "WHERE user_id = $1", 1, NULL, params, NULL, NULL, 0);
	long n;

	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(res));
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/*
 * docs/API.md "Outages": the commit's wait for the standby cancelled
 * (as a failover tool does to the old primary's backends) leaves a
 * transaction committed here only: 503, and the retry with its key gets
 * the kept answer, one task in all.
 */
Test(fault, commit_cancelled_in_sync_wait_is_503, .fini = sync_wait_end,
    .timeout = 120.)
{
	char subject[37], key[80], uuid[37], sql[128];
	struct pending p = { .key = key };
	PGconn *db = superuser(), *owner;
	double end;
	int pid = 0;

	test_uuid(subject);
	test_uuid(uuid);
	snprintf(key, sizeof(key), "Idempotency-Key: sync-%s", uuid);
	p.token = token_for(subject);
	/* The user's row first: its commit is not the one to catch. */
	http_free(http_json("POST", "/api/tasks", p.token, "{\"title\":\"a\"}"));
	sync_wait_begin(db);
	cr_assert(pthread_create(&p.thread, NULL, send_create, &p) == 0);
	for (end = test_monotonic_s() + SETTLE_S; pid == 0 &&
	    test_monotonic_s() < end; nap())
		pid = waiting_backend(db);
	cr_assert(pid != 0, "no backend of the programs waited for the standby");
	snprintf(sql, sizeof(sql), "SELECT pg_cancel_backend(%d)", pid);
	run_sql(db, sql);
	pthread_join(p.thread, NULL);
	cr_expect_eq(p.res->status, 503, "the create answered %ld: %s",
	    p.res->status, p.res->body);
	cr_expect_str_eq(detail(p.res) != NULL ? detail(p.res) : "",
	    "Database unavailable");
	cr_expect_not_null(http_header(p.res, "Retry-After"));
	http_free(p.res);
	PQfinish(db);
	sync_wait_end();
	/* The client's retry: the kept answer, and one task. */
	p.res = http_bearer("POST", "/api/tasks", p.token,
	    "{\"title\":\"committed locally\"}", key, NULL);
	cr_expect_eq(p.res->status, 201, "the retry answered %ld: %s",
	    p.res->status, p.res->body);
	cr_expect_str_eq(http_header(p.res, "Idempotent-Replayed") != NULL ?
	    http_header(p.res, "Idempotent-Replayed") : "", "true");
	http_free(p.res);
	owner = PQconnectdb(getenv("TASKAPI_TEST_DB"));
	cr_assert(PQstatus(owner) == CONNECTION_OK);
	cr_expect_eq(count_tasks(owner, subject), 2, "the first task and one "
	    "from the keyed create");
	PQfinish(owner);
	free((char *)p.token);
}
