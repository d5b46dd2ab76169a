/*
 * Integration: what the programs do when the primary moves
 * (docs/API.md "Outages", docs/API.md "Reads on a standby"), on the run's
 * real PostgreSQL:
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
#include "support/issuer.h"

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
static void read_only_end(void);
static void end_app_backends(PGconn *db);

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
 * Ends the programs' backends and waits until each is gone (up to 5 s
 * each): a program's next request then finds its connection closed and
 * connects anew before it sends anything, rather than sending its
 * statement to a backend still on its way out (which answers 503).
 */
static void
end_app_backends(PGconn *db)
{
	run_sql(db, "SELECT pg_terminate_backend(pid, 5000) "
	    "FROM pg_stat_activity WHERE usename = 'taskapi_app'");
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
	end_app_backends(db);
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
	end_app_backends(db);
	PQfinish(db);
}

/* The test's .fini: the node writable again, whatever the test found. */
static void
read_only_end(void)
{
	PGconn *db = superuser();

	run_sql(db, "ALTER SYSTEM RESET default_transaction_read_only");
	run_sql(db, "SELECT pg_reload_conf()");
	wait_for_value(db, "SHOW default_transaction_read_only", "off");
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

/*
 * docs/API.md "Outages": the node the programs are connected to becomes
 * read-only, as a demoted primary does (a reload gives every backend
 * default_transaction_read_only): a write there is 503 with Retry-After,
 * never a 500, and once a writable node is back the first write succeeds
 * on the same workers.
 */
Test(fault, write_on_a_demoted_node_is_503, .fini = read_only_end,
    .timeout = 120.)
{
	char subject[37];
	struct http_res *r;
	PGconn *db = superuser();
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	http_free(http_json("POST", "/api/tasks", token, "{\"title\":\"a\"}"));
	run_sql(db, "ALTER SYSTEM SET default_transaction_read_only = on");
	run_sql(db, "SELECT pg_reload_conf()");
	wait_for_value(db, "SHOW default_transaction_read_only", "on");
	/* Each of the route's workers in turn, each on its old connection. */
	for (int i = 0; i < 4; i++) {
		r = http_json("POST", "/api/tasks", token, "{\"title\":\"b\"}");
		cr_expect_eq(r->status, 503, "a write on a read-only node "
		    "answered %ld: %s", r->status, r->body);
		cr_expect_str_eq(detail(r) != NULL ? detail(r) : "",
		    "Database unavailable");
		cr_expect_not_null(http_header(r, "Retry-After"));
		http_free(r);
	}
	read_only_end();
	r = http_json("POST", "/api/tasks", token, "{\"title\":\"c\"}");
	cr_expect_eq(r->status, 201, "after the node is writable: %ld: %s",
	    r->status, r->body);
	http_free(r);
	PQfinish(db);
	free(token);
}

/*
 * docs/API.md "Reads on a standby", on one server: the read connection is
 * the same server with every transaction read-only, so a statement that
 * must write fails there (25006) as it would on a standby, for real.
 */
#define READ_APP_NAME "taskapi_reads"

/* How many backends of the read connections, and how many of them last
 * ran a statement that reads tasks. */
static void
read_backends(long *all, long *tasks)
{
	PGconn *db = superuser();
	char *v;

	v = one_value(db, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = '" READ_APP_NAME "'");
	*all = v != NULL ? atol(v) : 0;
	free(v);
	v = one_value(db, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = '" READ_APP_NAME "' "
	    "AND query LIKE '%FROM tasks%'");
	*tasks = v != NULL ? atol(v) : 0;
	free(v);
	PQfinish(db);
}

static struct instance reads;

/*
 * An external issuer's subject never seen: its first GET of the current
 * user makes its row (docs/API.md "Users on first need") and records its
 * issuer, writes the read connection refuses, so the primary serves it;
 * the next GETs read on the read connection.
 */
static void
external_subject_reads(void)
{
	char kid[33], sub[37];
	EVP_PKEY *k = issuer_key("ed25519", kid);
	struct http_res *r;
	char *t;

	test_uuid(sub);
	t = issuer_token(k, "EdDSA", kid, sub, NULL);
	for (int i = 0; i < 3; i++) {
		r = http_json("GET", "/api/auth/me", t, NULL);
		cr_expect_eq(r->status, 200, "external me %d: %ld: %s", i,
		    r->status, r->body);
		cr_expect_str_eq(json_str(r, "id") ? json_str(r, "id") : "",
		    sub);
		http_free(r);
		r = http_json("GET", "/api/tasks", t, NULL);
		cr_expect_eq(r->status, 200, "external list %d: %ld: %s", i,
		    r->status, r->body);
		http_free(r);
	}
	free(t);
	EVP_PKEY_free(k);
}

static void
reads_stop(void)
{
	instance_stop(&reads);
	sync_wait_end();
}

static void
reads_start(void)
{
	const char *app = getenv("TASKAPI_TEST_APP_DB");
	char env[2048];

	cr_assert_not_null(app, "TASKAPI_TEST_APP_DB is not set: run tests/run");
	snprintf(env, sizeof(env), "DATABASE_URL='%s' DATABASE_READ_URL=\"%s "
	    "application_name=" READ_APP_NAME " options='-c "
	    "default_transaction_read_only=on'\"", app, app);
	instance_start(&reads, "reads", env);
	http_use_base(reads.url);
}

Test(fault, reads_go_to_the_read_connection_and_writes_wait_to_apply,
    .fini = reads_stop, .timeout = 120.)
{
	char subject[37], id[37], email[128], user_id[64];
	struct pending p = { .key = "X-Nothing: 1" };
	struct http_res *r;
	long all, tasks;
	PGconn *db;
	char *token, *me;
	double end;
	int pid = 0;

	reads_start();
	test_uuid(subject);
	p.token = token = token_for(subject);
	/* A new subject's first request records its issuer: a write, which
	 * the read connection refuses, so the primary serves it. */
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_expect_eq(r->status, 200, "first GET: %ld: %s", r->status, r->body);
	http_free(r);
	create_task(token, "read back", id);
	r = http_json("GET", task_path(id, ""), token, NULL);
	cr_expect_eq(r->status, 200, "%ld: %s", r->status, r->body);
	cr_expect_str_eq(json_str(r, "title") ? json_str(r, "title") : "",
	    "read back");
	http_free(r);
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(http_header(r, "X-Total-Count") ?
	    http_header(r, "X-Total-Count") : "", "1");
	http_free(r);
	test_email(email, sizeof(email));
	me = register_user(email, "correct horse battery", user_id);
	r = http_json("GET", "/api/auth/me", me, NULL);
	cr_expect_eq(r->status, 200, "me: %ld: %s", r->status, r->body);
	cr_expect_str_eq(json_str(r, "id") ? json_str(r, "id") : "", user_id);
	http_free(r);
	free(me);
	external_subject_reads();
	read_backends(&all, &tasks);
	cr_expect(all >= 1, "no read connection in pg_stat_activity");
	cr_expect(tasks >= 1, "no read connection read the tasks");
	/*
	 * The commit waits for the standby's apply: with a synchronous
	 * standby that never comes, the create waits (the run's cluster has
	 * synchronous_commit off: only the transaction's own setting waits).
	 */
	db = superuser();
	run_sql(db, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
	run_sql(db, "SELECT pg_reload_conf()");
	wait_for_value(db, "SHOW synchronous_standby_names", "nobody");
	cr_assert(pthread_create(&p.thread, NULL, send_create, &p) == 0);
	for (end = test_monotonic_s() + SETTLE_S; pid == 0 &&
	    test_monotonic_s() < end; nap())
		pid = waiting_backend(db);
	cr_expect(pid != 0, "the create did not wait for the standby's apply");
	if (pid != 0)
		run_sql(db, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
		    "WHERE wait_event = 'SyncRep'");
	else
		sync_wait_end();
	pthread_join(p.thread, NULL);
	cr_expect_eq(p.res->status, pid != 0 ? 503 : 201, "%ld: %s",
	    p.res->status, p.res->body);
	http_free(p.res);
	PQfinish(db);
	free(token);
}

/*
 * docs/API.md "Outages": DATABASE_URL names a host where nothing listens
 * first, then the run's server: libpq goes on to the next host, and every
 * request is served.
 */
static struct instance second;

static void
second_stop(void)
{
	instance_stop(&second);
}

Test(failover_conn, a_dead_host_first_then_the_server, .fini = second_stop,
    .timeout = 120.)
{
	const char *app = getenv("TASKAPI_TEST_APP_DB");
	char env[2048], subject[37], id[37];
	struct http_res *r;
	char *token;

	cr_assert_not_null(app, "TASKAPI_TEST_APP_DB is not set: run tests/run");
	/* TASKAPI_TEST_APP_DB is "host=SOCKDIR port=5432 ...": the dead host
	 * goes in front of it. */
	cr_assert(strncmp(app, "host=", 5) == 0);
	snprintf(env, sizeof(env), "DATABASE_URL='host=127.0.0.1,%.*s "
	    "port=%d,5432 %s target_session_attrs=read-write'",
	    (int)strcspn(app + 5, " "), app + 5, instance_free_port(),
	    strstr(app, "dbname="));
	instance_start(&second, "dead-host-first", env);
	http_use_base(second.url);
	test_uuid(subject);
	token = token_for(subject);
	for (int i = 0; i < 4; i++) {
		create_task(token, "through the second host", id);
		r = http_json("GET", task_path(id, ""), token, NULL);
		cr_expect_eq(r->status, 200, "%ld: %s", r->status, r->body);
		http_free(r);
	}
	r = http_req("GET", "/api/health", NULL, NULL, 0);
	cr_expect_eq(r->status, 200);
	http_free(r);
	free(token);
}
