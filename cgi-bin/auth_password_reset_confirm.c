/*
 * auth_password_reset_confirm: POST /api/auth/password-reset/confirm
 * (docs/API.md "Password reset"): a mailed token sets a new password.
 */
#include <json-c/json.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/password.h"
#include "auth/reset.h"
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
 * up first, the new password checked, and only a password that passes is
 * hashed and set, in the statement that uses the token up and ends every
 * session of the account. A refused password leaves the token usable.
 */
static void
confirm_reset(struct ctx *c)
{
	struct json_object *body;
	char hash[RESET_HASH_TEXT_BYTES], pw[PASSWORD_HASH_BYTES];
	const char *token, *password, *params[2];
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
 * docs/API.md "Password reset", "Password rules": both fields strings,
 * neither holding U+0000 or a lone surrogate, and the new password of 8
 * to 128 characters. Returns 0, or -1 after answering 422.
 */
static int
read_body(struct ctx *c, struct json_object *body, const char **token,
    size_t *token_len, const char **password)
{
	enum json_text tr, pr;
	size_t plen;

	tr = json_member_text(body, "token", 0, (size_t)-1, token, token_len);
	pr = json_member_text(body, "new_password", USER_PASSWORD_MIN,
	    USER_PASSWORD_MAX, password, &plen);
	if (tr == JSON_TEXT_MISSING || tr == JSON_TEXT_NULL ||
	    tr == JSON_TEXT_NOT_STRING || pr == JSON_TEXT_MISSING ||
	    pr == JSON_TEXT_NULL || pr == JSON_TEXT_NOT_STRING)
		response_error(c->res, 422,
		    "token and new_password are required strings");
	else if (tr == JSON_TEXT_BAD_TEXT || pr == JSON_TEXT_BAD_TEXT)
		response_error(c->res, 422, tr == JSON_TEXT_BAD_TEXT ?
		    "token must not contain U+0000 or lone surrogates" :
		    "new_password must not contain U+0000 or lone surrogates");
	else if (pr != JSON_TEXT_OK)
		response_error(c->res, 422,
		    "new_password must be a string of 8 to 128 characters");
	else
		return 0;
	return -1;
}
