/*
 * user.c: email and password rules, the user object and the token answer
 * shared by register, login and me, and the first-need creation of an
 * external issuer's user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "body.h"
#include "user.h"

int
user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES])
{
	size_t count, at = 0, ats = 0;

	ascii_trim(&in, &len);
	if (len == 0 || len >= USER_EMAIL_BYTES ||
	    utf8_check(in, len, &count) != 0 || count > USER_EMAIL_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch <= 0x20 || ch == 0x7f)
			return -1;
		if (ch == '@') {
			ats++;
			at = i;
		}
		out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	out[len] = '\0';
	if (ats != 1 || at == 0 || at == len - 1)
		return -1;
	return 0;
}

void
user_write(struct response *out, const PGresult *res, int row, int col0)
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
	user_write(c->res, res, row, 0);
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
user_accounts_here(struct ctx *c)
{
	if (c->cfg->jwt_secret != NULL)
		return 1;
	response_error(c->res, 404, USER_ACCOUNTS_ELSEWHERE);
	return 0;
}

/*
 * API.md: an external issuer's subject gets a users row on first need, with
 * the token's email when it is valid and not taken, else with none.
 */
int
user_ensure(struct ctx *c)
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
