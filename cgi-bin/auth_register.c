/* auth_register: POST /api/auth/register (docs/API.md "Register"). */
#include <string.h>

#include <json-c/json.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/password.h"
#include "auth/strength.h"
#include "db/columns.h"
#include "domain/user.h"
#include "json/json.h"

static void register_user(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "POST", register_user },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_register", handlers);
}

static void
register_user(struct ctx *c)
{
	struct json_object *body;
	char email[USER_EMAIL_BYTES], hash[PASSWORD_HASH_BYTES];
	char key[USER_EMAIL_KEY_BYTES];
	const char *raw, *password, *refusal;
	const char *params[3 + USER_ANSWER_START_PARAMS];
	struct user_answer_start s;
	size_t len;
	PGresult *res;

	if (!user_answer_accounts_here(c))
		return;
	if ((body = ctx_body(c)) == NULL)
		return;
	if (json_member_text(body, "email", 1, (size_t)-1, &raw, &len) != JSON_TEXT_OK ||
	    user_email_normalize(raw, len, email) != 0 ||
	    user_email_key(email, key) != 0) {
		response_error(c->res, 422, "email must be a valid email address "
		    "of at most 254 characters");
		goto out;
	}
	/* docs/API.md "Password rules": the length, then the strength. */
	if (json_member_text(body, "password", 0, (size_t)-1, &password,
	    &len) != JSON_TEXT_OK)
		password = NULL;
	if ((refusal = strength_refusal("password", password, email)) != NULL) {
		response_error(c->res, 422, refusal);
		goto out;
	}
	if (password_hash(password, hash) != 0) {
		ctx_internal(c, "password_hash", "libscrypt");
		goto out;
	}
	params[0] = email;
	params[1] = hash;
	/* docs/API.md "Email addresses": unique by key among accounts here. */
	params[2] = key;
	/* docs/API.md "Session tokens": its first session, in the insert. */
	if (user_answer_start(c, &s) != 0)
		goto out;
	memcpy(params + 3, s.params, sizeof(s.params));
	if ((res = db_exec(c->db, STMT_USER_INSERT, 3 + USER_ANSWER_START_PARAMS,
	    params)) == NULL) {
		ctx_unavailable(c);
		goto out;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		user_answer_token(c, 201, res, 0,
		    PQgetvalue(res, 0, USER_REGISTER_COL_SID), s.refresh);
	else if (strcmp(db_sqlstate(res), SQLSTATE_UNIQUE_VIOLATION) == 0)
		response_error(c->res, 409, "Email already registered");
	else
		ctx_internal(c, "user insert", PQresultErrorMessage(res));
	PQclear(res);
out:
	json_object_put(body);
}
