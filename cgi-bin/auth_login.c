/* auth_login: POST /api/auth/login (docs/API.md "Login"). */
#include <json-c/json.h>

#include "app/app.h"
#include "app/login_guard.h"
#include "app/user_answer.h"
#include "auth/password.h"
#include "db/columns.h"
#include "domain/user.h"
#include "json/json.h"

static void login(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "POST", login },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_login", handlers);
}

/*
 * docs/API.md "Login": an unknown email and a wrong password answer the
 * same 401 in about the same time: every path below spends exactly one
 * scrypt check, and both count a failure (docs/API.md "Failed logins").
 * A throttled attempt spends none, known or not: its answer is the one
 * statement's, the same for both.
 */
static void
login(struct ctx *c)
{
	struct json_object *body;
	struct login_guard guard;
	char email[USER_EMAIL_BYTES], key[USER_EMAIL_KEY_BYTES];
	const char *raw, *password, *params[1];
	const char *stored = NULL;
	size_t elen, plen;
	PGresult *res = NULL;
	enum json_text er, pr;
	int ok;

	if (!user_answer_accounts_here(c))
		return;
	if ((body = ctx_body(c)) == NULL)
		return;
	er = json_member_text(body, "email", 0, (size_t)-1, &raw, &elen);
	pr = json_member_text(body, "password", 0, (size_t)-1, &password, &plen);
	if (er == JSON_TEXT_MISSING || er == JSON_TEXT_NULL || er == JSON_TEXT_NOT_STRING ||
	    pr == JSON_TEXT_MISSING || pr == JSON_TEXT_NULL || pr == JSON_TEXT_NOT_STRING) {
		response_error(c->res, 422,
		    "email and password are required strings");
		goto out;
	}
	/*
	 * docs/API.md "Precise rules": a string holding U+0000 is 422 naming
	 * the field, on this body as on every other; it is no account's
	 * email or password, and saying so costs no user's privacy.
	 */
	if (er == JSON_TEXT_BAD_TEXT || pr == JSON_TEXT_BAD_TEXT) {
		response_error(c->res, 422, er == JSON_TEXT_BAD_TEXT ?
		    "email must not contain U+0000 or lone surrogates" :
		    "password must not contain U+0000 or lone surrogates");
		goto out;
	}
	guard.key = NULL;
	if (er == JSON_TEXT_OK && pr == JSON_TEXT_OK &&
	    user_email_normalize(raw, elen, email) == 0 &&
	    user_email_key(email, key) == 0) {
		/* docs/API.md "Email addresses": found by its key. */
		params[0] = key;
		if ((res = ctx_rows(c, STMT_USER_BY_EMAIL, 1, params,
		    "user by email")) == NULL ||
		    !login_guard_read(c, &guard, key, res, USER_LOGIN_COL_COUNT_))
			goto out;
		if (!PQgetisnull(res, 0, USER_LOGIN_COL_PASSWORD_HASH))
			stored = PQgetvalue(res, 0, USER_LOGIN_COL_PASSWORD_HASH);
	}
	ok = password_verify(stored, pr == JSON_TEXT_OK ? password : "") == 1;
	/* An address no account can have (not an email) is not counted. */
	if (guard.key != NULL && !login_guard_settle(c, &guard, ok))
		goto out;
	if (ok)
		user_answer_session(c, 200, res, 0);
	else
		response_unauthorized(c->res, "Invalid email or password");
out:
	PQclear(res);
	json_object_put(body);
}
