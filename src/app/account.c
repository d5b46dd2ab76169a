/*
 * account.c: the password checks password change and account deletion
 * share: the body's password member, the account's stored hash, and the
 * 403 of a wrong password, counted as a failed login.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "app/account.h"
#include "app/app.h"
#include "app/login_guard.h"
#include "auth/password.h"
#include "db/columns.h"
#include "json/json.h"

static const char *account_value(const PGresult *res, int col);

/*
 * docs/API.md "Request bodies": a missing, null or non-string member is
 * 422 naming it; "Strings and characters": so is one holding U+0000. Any
 * other string is checked against the account, whatever its length: one
 * the password rules refuse is no account's password, and says so with
 * the same 403.
 */
int
account_body_password(struct ctx *c, struct json_object *body,
    const char *name, int required, const char **password)
{
	char detail[96];
	size_t len;

	*password = NULL;
	switch (json_member_text(body, name, 0, (size_t)-1, password, &len)) {
	case JSON_TEXT_OK:
		return 0;
	case JSON_TEXT_MISSING:
		if (!required)
			return 0;
		/* FALLTHROUGH */
	case JSON_TEXT_NULL:
	case JSON_TEXT_NOT_STRING:
		snprintf(detail, sizeof(detail), "%s must be a string", name);
		break;
	default:
		snprintf(detail, sizeof(detail),
		    "%s must not contain U+0000 or lone surrogates", name);
		break;
	}
	*password = NULL;
	response_error(c->res, 422, detail);
	return -1;
}

int
account_read(struct ctx *c, struct account *a)
{
	const char *params[1] = { c->claims.subject };

	a->res = NULL;
	a->email = a->email_key = a->hash = NULL;
	if ((a->res = ctx_rows(c, STMT_ACCOUNT_GET, 1, params,
	    "account")) == NULL)
		return -1;
	if (PQntuples(a->res) != 1)
		return 0;
	a->email = account_value(a->res, ACCOUNT_COL_EMAIL);
	a->email_key = account_value(a->res, ACCOUNT_COL_EMAIL_KEY);
	a->hash = account_value(a->res, ACCOUNT_COL_PASSWORD_HASH);
	return 0;
}

/* A column of the account's row, NULL for SQL NULL. */
static const char *
account_value(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

void
account_free(struct account *a)
{
	PQclear(a->res);
	a->res = NULL;
	a->email = a->email_key = a->hash = NULL;
}

/*
 * docs/API.md "Failed logins": an account with a password is its email's
 * count, as login's, so a stolen token cannot guess it faster than login
 * could. One without has no password to guess, and its email (an
 * external issuer's, for show) binds nothing here: it counts for no one.
 */
int
account_password_check(struct ctx *c, const struct account *a,
    const char *password)
{
	struct login_guard guard;
	int ok;

	if (a->hash == NULL || a->email_key == NULL) {
		response_error(c->res, 403, ACCOUNT_WRONG_PASSWORD);
		return 0;
	}
	if (!login_guard_enter(c, &guard, a->email_key))
		return 0;
	ok = password_verify(a->hash, password) == 1;
	if (!login_guard_settle(c, &guard, ok))
		return 0;
	if (!ok)
		response_error(c->res, 403, ACCOUNT_WRONG_PASSWORD);
	return ok;
}
