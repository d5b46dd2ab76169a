/* auth_password: PUT /api/auth/password (docs/API.md "Password change"). */
#include <json-c/json.h>

#include "app/account.h"
#include "app/app.h"
#include "app/session_answer.h"
#include "auth/password.h"
#include "auth/strength.h"
#include "domain/user.h"
#include "json/json.h"

static void change(struct ctx *c);
static int new_password_form(struct ctx *c, struct json_object *body,
    const char **password);
static void replace(struct ctx *c, const struct account *a,
    const char *password);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "PUT", change },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_password", handlers);
}

/*
 * docs/API.md "Password change", in this order: a token without a session
 * here (403), the body (413, 415, 400, 422: current_password, then
 * new_password's length), the current password (403), the new one's
 * strength, which needs the account's email (422), then the change.
 */
static void
change(struct ctx *c)
{
	struct json_object *body;
	struct account a = { 0 };
	const char *current, *fresh, *refusal;

	if (!session_answer_here(c))
		return;
	if ((body = ctx_body(c)) == NULL)
		return;
	if (account_body_password(c, body, "current_password", 1, &current) != 0 ||
	    new_password_form(c, body, &fresh) != 0 || account_read(c, &a) != 0)
		goto out;
	if (!account_password_check(c, &a, current))
		goto out;
	if ((refusal = strength_refusal("new_password", fresh, a.email)) != NULL) {
		response_error(c->res, 422, refusal);
		goto out;
	}
	replace(c, &a, fresh);
out:
	account_free(&a);
	json_object_put(body);
}

/*
 * docs/API.md "Password rules": the length is the body's to check, before
 * anything is read; the strength waits for the account's email.
 */
static int
new_password_form(struct ctx *c, struct json_object *body,
    const char **password)
{
	size_t len;

	if (json_member_text(body, "new_password", USER_PASSWORD_MIN,
	    USER_PASSWORD_MAX, password, &len) == JSON_TEXT_OK)
		return 0;
	response_error(c->res, 422, strength_refusal("new_password", NULL, NULL));
	return -1;
}

/*
 * The new hash, and every other session of the user ended, in one
 * transaction (sql/015_account.sql account_password_change), only while
 * the stored hash is the one the current password matched.
 */
static void
replace(struct ctx *c, const struct account *a, const char *password)
{
	char hash[PASSWORD_HASH_BYTES];
	const char *params[4];
	PGresult *res;

	if (password_hash(password, hash) != 0) {
		ctx_internal(c, "password_hash", "libscrypt");
		return;
	}
	params[0] = c->claims.subject;
	params[1] = c->claims.sid;
	params[2] = a->hash;
	params[3] = hash;
	if ((res = ctx_rows(c, STMT_ACCOUNT_PASSWORD, 4, params,
	    "password change")) == NULL)
		return;
	/* Changed meanwhile by another request: not the password checked. */
	if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
		response_empty(c->res, 204);
	else
		response_error(c->res, 403, ACCOUNT_WRONG_PASSWORD);
	PQclear(res);
}
