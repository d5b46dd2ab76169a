/*
 * auth_password_reset_confirm: POST /api/auth/password-reset/confirm, a
 * mailed token sets a new password (docs/API.md "Password reset").
 */
#include <json-c/json.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/password.h"
#include "auth/reset.h"
#include "auth/strength.h"
#include "domain/user.h"
#include "json/json.h"

/* docs/API.md "Password reset": one answer for every token we cannot use. */
#define RESET_INVALID "Invalid or expired reset token"

static void confirm_reset(struct ctx *c);
static int read_body(struct ctx *c, struct json_object *body,
    const char **token, size_t *token_len, const char **password);

static const struct app_handler handlers[] = {
	{ "POST", confirm_reset },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_password_reset_confirm", handlers);
}

/*
 * The body's checks (422), then the token (400): its account is looked
 * up first, the new password checked against its email's local part
 * (docs/API.md "Password rules"), and only a password that passes is
 * hashed and set, in the statement that uses the token up and ends every
 * session of the account. A refused password leaves the token usable.
 */
static void
confirm_reset(struct ctx *c)
{
	struct json_object *body;
	char hash[RESET_HASH_TEXT_BYTES], pw[PASSWORD_HASH_BYTES];
	const char *token, *password, *params[2], *refusal;
	size_t token_len;
	PGresult *res = NULL;

	if (!user_answer_reset_here(c) || (body = ctx_body(c)) == NULL)
		return;
	if (read_body(c, body, &token, &token_len, &password) != 0)
		goto out;
	if (reset_token_hash(token, token_len, hash) != 0) {
		response_error(c->res, 400, RESET_INVALID);
		goto out;
	}
	params[0] = hash;
	if ((res = ctx_rows(c, STMT_RESET_EMAIL, 1, params,
	    "reset token")) == NULL)
		goto out;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		response_error(c->res, 400, RESET_INVALID);
		goto out;
	}
	if ((refusal = strength_refusal("new_password", password,
	    PQgetvalue(res, 0, 0))) != NULL) {
		response_error(c->res, 422, refusal);
		goto out;
	}
	if (password_hash(password, pw) != 0) {
		ctx_internal(c, "password_hash", "libscrypt");
		goto out;
	}
	PQclear(res);
	params[1] = pw;
	if ((res = ctx_rows(c, STMT_RESET_CONFIRM, 2, params,
	    "reset confirm")) == NULL)
		goto out;
	if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
		response_empty(c->res, 204);
	else
		response_error(c->res, 400, RESET_INVALID);
out:
	PQclear(res);
	json_object_put(body);
}

/*
 * docs/API.md "Password reset", "Password rules": the token a string, the
 * new password one of 8 to 128 characters (its strength needs the
 * account's email, so it waits for the token), neither holding U+0000 or
 * a lone surrogate. Returns 0, or -1 after answering 422.
 */
static int
read_body(struct ctx *c, struct json_object *body, const char **token,
    size_t *token_len, const char **password)
{
	enum json_text tr, pr;
	const char *refusal;
	size_t plen;

	tr = json_member_text(body, "token", 0, (size_t)-1, token, token_len);
	pr = json_member_text(body, "new_password", 0, (size_t)-1, password,
	    &plen);
	if (tr == JSON_TEXT_BAD_TEXT || pr == JSON_TEXT_BAD_TEXT)
		response_error(c->res, 422, tr == JSON_TEXT_BAD_TEXT ?
		    "token must not contain U+0000 or lone surrogates" :
		    "new_password must not contain U+0000 or lone surrogates");
	else if (tr != JSON_TEXT_OK)
		response_error(c->res, 422, "token must be a string");
	else if ((refusal = strength_refusal("new_password",
	    pr == JSON_TEXT_OK ? *password : NULL, NULL)) != NULL)
		response_error(c->res, 422, refusal);
	else
		return 0;
	return -1;
}
