/*
 * user_answer.c: how register, login and me answer: the user object, the
 * token answer, 404 where accounts live with an external issuer, and the
 * first-need row of an external issuer's user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/token.h"
#include "domain/user.h"

void
user_answer_object(struct response *out, const PGresult *res, int row, int col0)
{
	response_json_lit(out, "{\"id\":");
	response_json_strz(out, PQgetvalue(res, row, col0));
	response_json_lit(out, ",\"email\":");
	response_json_strz(out, PQgetisnull(res, row, col0 + 1) ? NULL :
	    PQgetvalue(res, row, col0 + 1));
	response_json_lit(out, ",\"created_at\":");
	response_json_strz(out, PQgetvalue(res, row, col0 + 2));
	response_json_lit(out, "}");
}

void
user_answer_token(struct ctx *c, int status, const PGresult *res, int row)
{
	char *token;
	char expires[32];

	token = token_issue(c->cfg, PQgetvalue(res, row, 0),
	    PQgetisnull(res, row, 1) ? NULL : PQgetvalue(res, row, 1), c->now);
	if (token == NULL) {
		ctx_internal(c, "token_issue", "libjwt");
		return;
	}
	snprintf(expires, sizeof(expires), "%lld",
	    (long long)c->cfg->jwt_expires_in);
	response_json_begin(c->res, status);
	response_json_lit(c->res, "{\"user\":");
	user_answer_object(c->res, res, row, 0);
	response_json_lit(c->res, ",\"access_token\":");
	response_json_strz(c->res, token);
	response_json_lit(c->res, ",\"token_type\":\"bearer\",\"expires_in\":");
	response_json_raw(c->res, expires, strlen(expires));
	response_json_lit(c->res, "}");
	response_json_end(c->res);
	free(token);
}

/*
 * 404, not 501: the route does not exist in this deployment, which is the
 * client's to know, not a server fault to retry or alert on.
 */
int
user_answer_accounts_here(struct ctx *c)
{
	if (c->cfg->jwt_secret != NULL)
		return 1;
	response_error(c->res, 404, USER_ANSWER_ACCOUNTS_ELSEWHERE);
	return 0;
}

/*
 * API.md: an external issuer's subject gets a users row on first need, with
 * the token's email when it is valid and not taken, else with none.
 */
int
user_answer_ensure_row(struct ctx *c)
{
	char email[USER_EMAIL_BYTES];
	const char *params[2] = { c->claims.subject, NULL };
	PGresult *res;

	if (c->claims.email[0] != '\0' &&
	    user_email_normalize(c->claims.email, strlen(c->claims.email),
	    email) == 0)
		params[1] = email;
	if ((res = ctx_rows(c, STMT_USER_ENSURE, 2, params, "ensure_user")) == NULL)
		return -1;
	PQclear(res);
	return 0;
}
