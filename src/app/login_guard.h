/*
 * login_guard.h: docs/API.md "Failed logins" for every route that checks a
 * password: whether the attempt must wait (429 `Too many failed logins`
 * with Retry-After, the password not checked), then counting its outcome.
 * The count is per email key, in sql/013_login_failures.sql.
 */
#ifndef TASKAPI_LOGIN_GUARD_H
#define TASKAPI_LOGIN_GUARD_H

#include <libpq-fe.h>

struct ctx;

#define LOGIN_GUARD_DETAIL "Too many failed logins"

/* One attempt: its key (borrowed) and whether it was counted in advance. */
struct login_guard {
	const char *key;
	int counted;
};

/*
 * Reads login_begin's verdict from row 0 of res, at column col (db/columns.h
 * enum login_guard_col: USER_LOGIN_COL_COUNT_ for STMT_USER_BY_EMAIL).
 * Returns 1 when the password may be checked (then login_guard_settle must
 * follow), or 0 after answering 429 with Retry-After.
 */
int login_guard_read(struct ctx *c, struct login_guard *g, const char *key,
    const PGresult *res, int col);

/*
 * The same in a statement of its own (STMT_LOGIN_BEGIN), for a route that
 * found the account otherwise (password change: the users row's
 * email_key). Returns 1 when the password may be checked, or 0 after
 * answering (429, or 503/500 when the database failed).
 */
int login_guard_enter(struct ctx *c, struct login_guard *g, const char *key);

/*
 * After the check: a wrong password is one failure more (a round trip on
 * the failure path only), a right one ends the count (a round trip only
 * when there was one: an account without failures pays nothing). Returns
 * 1, or 0 after answering 503/500: an outcome that cannot be counted is
 * not told either.
 */
int login_guard_settle(struct ctx *c, const struct login_guard *g, int ok);

#endif
