/*
 * owner.c: statements as the schema's owner, for the integration tests
 * that look at or move what the API keeps (owner.h).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "support/owner.h"

struct pg_conn *
owner_connect(void)
{
	const char *info = getenv("TASKAPI_TEST_DB");
	PGconn *conn;

	cr_assert_not_null(info, "TASKAPI_TEST_DB is not set: run tests/run");
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
	return conn;
}

char *
owner_params(const char *sql, int n, const char *const params[])
{
	PGconn *conn = owner_connect();
	PGresult *res;
	char *value = NULL;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		cr_assert_not_null(value = strdup(PQgetvalue(res, 0, 0)));
	PQclear(res);
	PQfinish(conn);
	return value;
}

char *
owner_value(const char *sql, const char *arg)
{
	return owner_params(sql, 1, &arg);
}

struct pg_conn *
owner_tombstones_lock(void)
{
	PGconn *conn = owner_connect();
	PGresult *res;

	/* A session's lock: TASKAPI_TEST_DB reaches PostgreSQL directly. */
	res = PQexec(conn, "SELECT pg_advisory_lock("
	    "hashtext('taskapi tests: tombstones pruned by hand'))");
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQresultErrorMessage(res));
	PQclear(res);
	return conn;
}
