/*
 * idempotency_cost.c: what a keyed create costs PostgreSQL, by what it
 * runs rather than by a clock (docs/API.md "Idempotency keys"). A SQL
 * function that is not inlined plans its statement anew on every call
 * (with SECURITY DEFINER or SET it never is): one such call cost a keyed
 * create about 110 us, most of what the key added. PostgreSQL counts the
 * function calls of the current transaction when track_functions is
 * "all" (a superuser's setting, hence the cluster's superuser here, as
 * tests/run's cluster has it); an inlined function is not a call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "support/helpers.h"

/* The functions called so far in this transaction, of one language. */
#define COST_CALLED \
	"SELECT COALESCE(string_agg(p.proname, ', ' ORDER BY p.proname), '') " \
	"FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang " \
	"WHERE l.lanname = $1 AND pg_stat_get_xact_function_calls(p.oid) > 0"

/* Runs sql with $1 on conn; the first value (free()), or NULL. */
static char *
cost_exec(PGconn *conn, const char *sql, const char *arg)
{
	PGresult *res = PQexecParams(conn, sql, arg != NULL ? 1 : 0, NULL,
	    &arg, NULL, NULL, 0);
	char *value = NULL;

	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		cr_assert_not_null(value = strdup(PQgetvalue(res, 0, 0)));
	PQclear(res);
	return value;
}

/* A connection as the cluster's superuser (tests/run's initdb -U). */
static PGconn *
cost_connect(void)
{
	const char *info = getenv("TASKAPI_TEST_DB");
	char buf[1024];
	PGconn *conn;

	cr_assert_not_null(info, "TASKAPI_TEST_DB is not set: make test");
	/* The last of a repeated keyword wins. */
	snprintf(buf, sizeof(buf), "%s user=postgres", info);
	conn = PQconnectdb(buf);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
	return conn;
}

Test(idempotency_cost, a_keyed_create_calls_no_function_planned_anew)
{
	char subject[37], auth[4096], *v;
	const char *hdrs[4];
	char *token;
	struct http_res *r;
	PGconn *conn;

	/* The user's row, made by a keyed create through the API. */
	test_uuid(subject);
	token = token_for(subject);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: application/json";
	hdrs[2] = "Idempotency-Key: k-first";
	hdrs[3] = NULL;
	r = http_req("POST", "/api/tasks", hdrs, "{\"title\":\"a\"}", 13);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	http_free(r);
	conn = cost_connect();
	free(cost_exec(conn, "SET track_functions = 'all'", NULL));
	free(cost_exec(conn, "BEGIN", NULL));
	/* As the programs run it: their role, the subject set. */
	free(cost_exec(conn, "SET LOCAL ROLE taskapi_app", NULL));
	free(cost_exec(conn, "SELECT set_config('taskapi.subject', $1, true)",
	    subject));
	v = cost_exec(conn, "SELECT k.outcome FROM task_insert_keyed($1, 'a', "
	    "NULL, false, 1000, 'k-cost', repeat('0', 64)) k", subject);
	cr_assert_str_eq(v, "done");
	free(v);
	/* The count works: the create itself is a PL/pgSQL call. */
	v = cost_exec(conn, COST_CALLED, "plpgsql");
	cr_assert_not_null(strstr(v, "task_insert_keyed"), "called: %s", v);
	free(v);
	v = cost_exec(conn, COST_CALLED, "sql");
	cr_assert_str_eq(v, "", "SQL functions planned on every call: %s", v);
	free(v);
	/*
	 * Nor the two steps it spells out: each nested call set and restored
	 * its own search_path and passed its row through a tuple store.
	 */
	v = cost_exec(conn, "SELECT count(*) FROM pg_proc WHERE proname IN "
	    "('idempotency_begin', 'task_insert') AND "
	    "pg_stat_get_xact_function_calls(oid) > 0", NULL);
	cr_assert_str_eq(v, "0", "nested calls: %s", v);
	free(v);
	free(cost_exec(conn, "ROLLBACK", NULL));
	PQfinish(conn);
	free(token);
}
