/*
 * list_statements.c: the list without q runs fixed statements prepared
 * once per connection (src/db/columns.h COLUMNS_TASK_SORTED), and q runs
 * sql/008_list_paging.sql task_page. Both must give the same page, count
 * and mark for the same list (docs/API.md "Sorting and search", "Cursor
 * paging", "ETags and preconditions"); run here side by side in one
 * snapshot, as the programs' role, on the test instance's database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "db/columns.h"
#include "db/db.h"
#include "support/helpers.h"

/* task_page's sort names, in enum cursor_sort's order. */
static const char *const list_sorts[6] = {
	"created_at", "-created_at", "updated_at", "-updated_at", "title",
	"-title",
};

static PGconn *
list_connect(const char *env)
{
	const char *info = getenv(env);
	PGconn *conn;

	cr_assert_not_null(info, "%s is not set: run make test", env);
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "connect: %s",
	    PQerrorMessage(conn));
	return conn;
}

static PGresult *
list_run(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	return res;
}

/* A subject made through the API, with tasks of every kind of history. */
static char *
list_subject(char subject[37])
{
	char *token, id[37];
	PGconn *owner = list_connect("TASKAPI_TEST_DB");
	const char *p[1];
	PGresult *res;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "made through the API", id);
	p[0] = subject;
	/* Equal titles and equal times, so ties go by id; two states; a
	 * long description for the byte cut; an edit and a deletion. */
	res = list_run(owner, "INSERT INTO tasks (user_id, title, description, "
	    "is_completed, created_at, updated_at) SELECT $1, "
	    "CASE WHEN i % 3 = 0 THEN 'same' ELSE 'task ' || i END, "
	    "CASE WHEN i % 4 = 0 THEN repeat('d', 30) END, i % 2 = 0, "
	    "now() - (i / 2) * interval '1 s', now() - (i % 5) * interval '1 s' "
	    "FROM generate_series(1, 12) i", 1, p);
	PQclear(res);
	PQclear(list_run(owner, "UPDATE tasks SET title = 'edited' WHERE id = "
	    "(SELECT min(id::text)::uuid FROM tasks WHERE user_id = $1)", 1, p));
	PQclear(list_run(owner, "DELETE FROM tasks WHERE id = (SELECT "
	    "max(id::text)::uuid FROM tasks WHERE user_id = $1)", 1, p));
	PQfinish(owner);
	return token;
}

/* Every cell the same, SQL NULL included. */
static void
list_assert_same(const PGresult *a, const PGresult *b, const char *what)
{
	cr_assert_eq(PQntuples(a), PQntuples(b), "%s: %d rows, task_page %d",
	    what, PQntuples(a), PQntuples(b));
	cr_assert_eq(PQnfields(a), TASK_PAGE_COL_COUNT_, "%s", what);
	cr_assert_eq(PQnfields(b), TASK_PAGE_COL_COUNT_, "%s", what);
	for (int i = 0; i < PQntuples(a); i++)
		for (int f = 0; f < PQnfields(a); f++) {
			cr_assert_eq(PQgetisnull(a, i, f), PQgetisnull(b, i, f),
			    "%s: row %d column %d", what, i, f);
			cr_assert_str_eq(PQgetvalue(a, i, f), PQgetvalue(b, i, f),
			    "%s: row %d column %d", what, i, f);
		}
}

/*
 * One list both ways: the fixed statement for sort, completed and the
 * cursor's row (key, id: NULL for an offset), then task_page.
 */
static PGresult *
list_both(PGconn *conn, const char *subject, int sort, const char *completed,
    const char *offset, const char *bytes, const char *key, const char *id)
{
	const char *s[7] = { subject, completed, "3", offset, bytes, key, id };
	const char *t[9] = { subject, completed, NULL, list_sorts[sort], "3",
		offset, bytes, key, id };
	char what[96];
	PGresult *a, *b;

	snprintf(what, sizeof(what), "sort %s, completed %s, offset %s, "
	    "bytes %s, after %s", list_sorts[sort], completed ? completed :
	    "any", offset, bytes, key ? key : "none");
	a = list_run(conn, db_stmt_text(DB_STMT_SORTED(sort, completed != NULL,
	    key != NULL)), key != NULL ? 7 : 5, s);
	b = list_run(conn, db_stmt_text(STMT_TASK_PAGE), 9, t);
	list_assert_same(a, b, what);
	PQclear(b);
	return a;
}

Test(list_statements, each_sort_filter_and_cursor_answers_as_task_page,
    .timeout = 120)
{
	static const int key_col[6] = {
		TASK_COL_CREATED_AT, TASK_COL_CREATED_AT, TASK_COL_UPDATED_AT,
		TASK_COL_UPDATED_AT, TASK_COL_TITLE, TASK_COL_TITLE,
	};
	static const char *const states[3] = { NULL, "true", "false" };
	char subject[37];
	char *token = list_subject(subject);
	PGconn *conn = list_connect("TASKAPI_TEST_APP_DB");
	const char *p[1] = { subject };
	PGresult *first, *next;

	/* One snapshot for both, so the mark's line is the same. */
	PQclear(list_run(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, p));
	PQclear(list_run(conn, "SELECT set_config('taskapi.subject', $1, true)",
	    1, p));
	for (int sort = 0; sort < 6; sort++)
		for (int st = 0; st < 3; st++) {
			/* An empty page, and a page the byte budget cuts. */
			PQclear(list_both(conn, subject, sort, states[st], "50",
			    "1048576", NULL, NULL));
			PQclear(list_both(conn, subject, sort, states[st], "1",
			    "40", NULL, NULL));
			first = list_both(conn, subject, sort, states[st], "0",
			    "1048576", NULL, NULL);
			cr_assert_eq(PQntuples(first), 4, "limit + 1 rows");
			next = list_both(conn, subject, sort, states[st], "0",
			    "1048576", PQgetvalue(first, 2, key_col[sort]),
			    PQgetvalue(first, 2, TASK_COL_ID));
			cr_assert_gt(PQntuples(next), 0);
			PQclear(next);
			PQclear(first);
		}
	PQclear(list_run(conn, "COMMIT", 0, p));
	PQfinish(conn);
	free(token);
}

/*
 * Sent after STMT_SET_SUBJECT_GENERIC, as the programs send it, a list
 * statement prepared once is planned once: the plan is kept (generic),
 * not made anew on every call (custom), which cost more than the page.
 */
Test(list_statements, a_prepared_list_is_planned_once, .timeout = 60)
{
	char subject[37];
	char *token = list_subject(subject);
	PGconn *conn = list_connect("TASKAPI_TEST_APP_DB");
	const char *enter[3] = { subject, "", NULL };
	const char *s[5] = { subject, NULL, "20", "0", "1048576" };
	PGresult *res;

	/* One transaction: a transaction pool keeps it on one server. */
	PQclear(list_run(conn, "BEGIN", 0, enter));
	res = PQprepare(conn, "list_statements", db_stmt_text(
	    DB_STMT_SORTED(1, 0, 0)), 0, NULL);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s",
	    PQresultErrorMessage(res));
	PQclear(res);
	for (int i = 0; i < 8; i++) {
		PQclear(list_run(conn, db_stmt_text(STMT_SET_SUBJECT_GENERIC), 3,
		    enter));
		res = PQexecPrepared(conn, "list_statements", 5, s, NULL, NULL, 0);
		cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
		    PQresultErrorMessage(res));
		cr_assert_eq(PQntuples(res), 12, "the 12 tasks left");
		PQclear(res);
	}
	res = list_run(conn, "SELECT generic_plans, custom_plans FROM "
	    "pg_prepared_statements WHERE name = 'list_statements'", 0, enter);
	cr_assert_eq(PQntuples(res), 1);
	cr_assert_str_eq(PQgetvalue(res, 0, 1), "0", "custom plans: %s, "
	    "generic: %s", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "8");
	PQclear(res);
	PQclear(list_run(conn, "DEALLOCATE list_statements", 0, enter));
	PQclear(list_run(conn, "COMMIT", 0, enter));
	PQfinish(conn);
	free(token);
}
