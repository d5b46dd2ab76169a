/*
 * Integration: ownership enforced by PostgreSQL too (sql/002_row_level_
 * security.sql). These tests connect as the programs' own role, exactly as
 * a route program does, and run statements that deliberately forget the
 * subject in their WHERE clause: the policy must keep every other user's
 * row out of reach. Rows are made through the API, as clients make them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "support/helpers.h"

/* The programs' connection (tests/run: the role taskapi_app). */
static PGconn *
app_connect(void)
{
	const char *info = getenv("TASKAPI_TEST_APP_DB");
	PGconn *conn;

	cr_assert(info != NULL, "TASKAPI_TEST_APP_DB is not set: run make test");
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "connect: %s",
	    PQerrorMessage(conn));
	return conn;
}

/* Runs sql with up to one parameter; returns the result (PQclear it). */
static PGresult *
run(PGconn *conn, const char *sql, const char *param)
{
	return PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL,
	    param != NULL ? &param : NULL, NULL, NULL, 0);
}

/* Runs sql, which must succeed: the count a SELECT count(*) gives, or the
 * rows an UPDATE or DELETE affected. */
static long
count_of(PGconn *conn, const char *sql, const char *param)
{
	PGresult *res = run(conn, sql, param);
	ExecStatusType st = PQresultStatus(res);
	long n;

	cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQresultErrorMessage(res));
	/* A SELECT count(*) answers one row; UPDATE and DELETE, a tag. */
	n = st == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0)) :
	    atol(PQcmdTuples(res));
	PQclear(res);
	return n;
}

static void
set_subject(PGconn *conn, const char *subject)
{
	PQclear(run(conn, "BEGIN", NULL));
	PQclear(run(conn, "SELECT set_config('taskapi.subject', $1, true)",
	    subject));
}

/* How many tasks the API lists for token (X-Total-Count). */
static long
api_total(const char *token)
{
	struct http_res *r = http_json("GET", "/api/tasks", token, NULL);
	long n;

	cr_assert_eq(r->status, 200, "list: %ld %s", r->status, r->body);
	n = atol(http_header(r, "X-Total-Count"));
	http_free(r);
	return n;
}

/* Two subjects with two and three tasks, made through the API. */
struct pair {
	char a[37], b[37];
	char *ta, *tb;
	char b_task[37];
};

static void
make_pair(struct pair *p)
{
	char id[37];

	test_uuid(p->a);
	test_uuid(p->b);
	p->ta = token_for(p->a);
	p->tb = token_for(p->b);
	create_task(p->ta, "a one", id);
	create_task(p->ta, "a two", id);
	create_task(p->tb, "b one", p->b_task);
	create_task(p->tb, "b two", id);
	create_task(p->tb, "b three", id);
}

static void
free_pair(struct pair *p)
{
	free(p->ta);
	free(p->tb);
}

Test(rls, the_programs_role_owns_nothing_and_bypasses_nothing)
{
	PGconn *conn = app_connect();
	PGresult *res;

	res = run(conn, "SELECT rolsuper, rolbypassrls, rolcreaterole, "
	    "rolcreatedb FROM pg_roles WHERE rolname = current_user", NULL);
	cr_assert_eq(PQntuples(res), 1);
	for (int i = 0; i < 4; i++)
		cr_expect_str_eq(PQgetvalue(res, 0, i), "f", "column %d", i);
	PQclear(res);
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM pg_class c "
	    "JOIN pg_roles r ON r.oid = c.relowner "
	    "WHERE r.rolname = current_user", NULL), 0);
	/* It cannot change the schema, so it cannot drop the policy. */
	res = run(conn, "ALTER TABLE tasks DISABLE ROW LEVEL SECURITY", NULL);
	cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	res = run(conn, "CREATE TABLE mine (x int)", NULL);
	cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	PQfinish(conn);
}

Test(rls, without_a_subject_no_task_is_visible)
{
	struct pair p;
	PGconn *conn;

	make_pair(&p);
	conn = app_connect();
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks "
	    "WHERE user_id IN ($1)", p.a), 0);
	cr_expect_eq(count_of(conn, "UPDATE tasks SET title = 'taken'", NULL), 0);
	cr_expect_eq(count_of(conn, "DELETE FROM tasks", NULL), 0);
	PQfinish(conn);
	cr_expect_eq(api_total(p.ta), 2);
	cr_expect_eq(api_total(p.tb), 3);
	free_pair(&p);
}

Test(rls, unscoped_select_update_delete_touch_only_the_subjects_rows)
{
	struct pair p;
	struct http_res *r;
	char path[64];
	PGconn *conn;

	make_pair(&p);
	conn = app_connect();
	set_subject(conn, p.a);
	/* Every statement below forgets "WHERE user_id = ...". */
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks", NULL), 2);
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks "
	    "WHERE user_id <> $1", p.a), 0);
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks WHERE id = $1",
	    p.b_task), 0);
	cr_expect_eq(count_of(conn, "UPDATE tasks SET title = 'taken'", NULL), 2);
	cr_expect_eq(count_of(conn, "UPDATE tasks SET title = 'taken' "
	    "WHERE id = $1", p.b_task), 0);
	cr_expect_eq(count_of(conn, "DELETE FROM tasks WHERE id = $1",
	    p.b_task), 0);
	cr_expect_eq(count_of(conn, "DELETE FROM tasks", NULL), 2);
	PQclear(run(conn, "COMMIT", NULL));
	PQfinish(conn);

	/* The other subject's rows are all there, untouched. */
	cr_expect_eq(api_total(p.ta), 0);
	cr_expect_eq(api_total(p.tb), 3);
	snprintf(path, sizeof(path), "/api/tasks/%s", p.b_task);
	r = http_json("GET", path, p.tb, NULL);
	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(json_str(r, "title"), "b one");
	http_free(r);
	free_pair(&p);
}

Test(rls, rows_cannot_be_written_for_another_subject)
{
	struct pair p;
	PGresult *res;
	PGconn *conn;

	make_pair(&p);
	conn = app_connect();
	set_subject(conn, p.a);
	/* Insert or move a row to another subject: the policy's check. */
	res = run(conn, "INSERT INTO tasks (user_id, title) VALUES ($1, 'planted')",
	    p.b);
	cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	cr_expect_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501",
	    "%s", PQresultErrorMessage(res));
	PQclear(res);
	PQclear(run(conn, "ROLLBACK", NULL));
	set_subject(conn, p.a);
	res = run(conn, "UPDATE tasks SET user_id = $1", p.b);
	cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	cr_expect_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
	PQclear(res);
	PQclear(run(conn, "ROLLBACK", NULL));
	PQfinish(conn);
	cr_expect_eq(api_total(p.ta), 2);
	cr_expect_eq(api_total(p.tb), 3);
	free_pair(&p);
}

Test(rls, the_subject_lasts_one_transaction_only)
{
	struct pair p;
	PGconn *conn;

	make_pair(&p);
	conn = app_connect();
	set_subject(conn, p.a);
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks", NULL), 2);
	PQclear(run(conn, "COMMIT", NULL));
	/* Next transaction on the same connection: the setting is gone. */
	cr_expect_eq(count_of(conn, "SELECT count(*) FROM tasks", NULL), 0);
	cr_expect_eq(count_of(conn, "DELETE FROM tasks", NULL), 0);
	PQfinish(conn);
	cr_expect_eq(api_total(p.ta), 2);
	free_pair(&p);
}
