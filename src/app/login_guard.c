/*
 * login_guard.c: docs/API.md "Failed logins": the verdict login_begin
 * gives before a password is checked, the 429 it may answer, and the
 * outcome counted after (sql/013_login_failures.sql).
 */
#include "app/ctx.h"
#include "app/login_guard.h"
#include "db/columns.h"

int
login_guard_read(struct ctx *c, struct login_guard *g, const char *key,
    const PGresult *res, int col)
{
	g->key = key;
	g->counted = 0;
	if (PQntuples(res) != 1 || PQnfields(res) < col + LOGIN_GUARD_COL_COUNT_) {
		ctx_internal(c, "login_begin", "not one row with its verdict");
		return 0;
	}
	if (!PQgetisnull(res, 0, col + LOGIN_GUARD_COL_RETRY_AFTER)) {
		/* Whole seconds, rounded up by login_begin: at least 1. */
		response_header(c->res, "Retry-After", "%s",
		    PQgetvalue(res, 0, col + LOGIN_GUARD_COL_RETRY_AFTER));
		response_error(c->res, 429, LOGIN_GUARD_DETAIL);
		return 0;
	}
	g->counted = PQgetvalue(res, 0, col + LOGIN_GUARD_COL_COUNTED)[0] == 't';
	return 1;
}

int
login_guard_enter(struct ctx *c, struct login_guard *g, const char *key)
{
	const char *params[1] = { key };
	PGresult *res;
	int go;

	if ((res = ctx_rows(c, STMT_LOGIN_BEGIN, 1, params, "login begin")) == NULL)
		return 0;
	go = login_guard_read(c, g, key, res, 0);
	PQclear(res);
	return go;
}

int
login_guard_settle(struct ctx *c, const struct login_guard *g, int ok)
{
	const char *params[2] = { g->key, g->counted ? "t" : "f" };
	PGresult *res;

	if (ok && !g->counted)
		return 1;
	res = ok ? ctx_rows(c, STMT_LOGIN_SUCCEEDED, 1, params, "login succeeded") :
	    ctx_rows(c, STMT_LOGIN_FAILED, 2, params, "login failed");
	if (res == NULL)
		return 0;
	PQclear(res);
	return 1;
}
