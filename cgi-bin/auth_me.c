/*
 * auth_me: GET /api/auth/me (docs/API.md "Current user"), DELETE
 * /api/auth/me (docs/API.md "Account deletion").
 */
#include <json-c/json.h>

#include "app/account.h"
#include "app/app.h"
#include "app/user_answer.h"

static void me(struct ctx *c);
static void forget(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", me },
	{ "DELETE", forget },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_me", handlers);
}

static void
me(struct ctx *c)
{
	const char *params[1] = { c->claims.subject };
	PGresult *res;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((res = ctx_rows(c, STMT_USER_BY_ID, 1, params,
		    "user by id")) == NULL)
			return;
		if (PQntuples(res) == 1) {
			response_json_begin(c->res, 200);
			user_answer_object(c->res, res, 0);
			response_json_end(c->res);
			PQclear(res);
			return;
		}
		PQclear(res);
		/*
		 * docs/API.md "Users on first need": an external issuer's
		 * user is created on first need.
		 */
		if (attempt == 0 && user_answer_ensure_row(c) != 0)
			return;
	}
	ctx_internal(c, "user ensure", "row still missing");
}

/*
 * docs/API.md "Account deletion": an account with a password here sends
 * it, and one without (an external issuer's user) sends none. No body at
 * all reads as no password; a body is checked as any body is. Then every
 * row of the user goes, in one transaction (sql/015_account.sql
 * account_delete), while the stored hash is still the one checked.
 */
static void
forget(struct ctx *c)
{
	struct json_object *body = NULL;
	struct account a = { 0 };
	const char *password = NULL, *params[2];
	PGresult *res;

	if (c->req->body_len > 0 || c->req->body_state != BODY_OK) {
		if ((body = ctx_body(c)) == NULL)
			return;
		if (account_body_password(c, body, "password", 0, &password) != 0)
			goto out;
	}
	if (account_read(c, &a) != 0)
		goto out;
	if (a.hash != NULL && password == NULL) {
		response_error(c->res, 422, "password must be a string");
		goto out;
	}
	/* A password sent for an account without one matches nothing. */
	if (password != NULL && !account_password_check(c, &a, password))
		goto out;
	params[0] = c->claims.subject;
	params[1] = a.hash;
	if ((res = ctx_rows(c, STMT_ACCOUNT_DELETE, 2, params,
	    "account delete")) == NULL)
		goto out;
	if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
		response_empty(c->res, 204);
	else
		response_error(c->res, 403, ACCOUNT_WRONG_PASSWORD);
	PQclear(res);
out:
	account_free(&a);
	json_object_put(body);
}
