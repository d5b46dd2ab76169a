/*
 * user_answer.c: how register, login and me answer: the user object, the
 * session and token answer, 404 where accounts live with an external issuer, and the
 * first-need row of an external issuer's user.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/refresh.h"
#include "auth/token.h"
#include "db/columns.h"
#include "domain/user.h"
#include "text/text.h"

static const char *user_email(const PGresult *res, int row);
static const char *user_agent(const char *header,
    char out[USER_ANSWER_AGENT_BYTES]);

void
user_answer_object(struct response *out, const PGresult *res, int row)
{
	/*
	 * Only our statements reach here: those that return the user object,
	 * login's, which adds the password hash and login_begin's verdict
	 * after it, and refresh's, which adds the outcome and the session
	 * (db/columns.h).
	 */
	assert(PQnfields(res) == USER_COL_COUNT_ ||
	    PQnfields(res) == USER_REGISTER_COL_COUNT_ ||
	    PQnfields(res) == USER_LOGIN_COL_COUNT_ + LOGIN_GUARD_COL_COUNT_ ||
	    PQnfields(res) == SESSION_REFRESH_COL_COUNT_);
	assert(row >= 0 && row < PQntuples(res));
	response_json_lit(out, "{\"id\":");
	response_json_strz(out, PQgetvalue(res, row, USER_COL_ID));
	response_json_lit(out, ",\"email\":");
	response_json_strz(out, user_email(res, row));
	response_json_lit(out, ",\"created_at\":");
	response_json_strz(out, PQgetvalue(res, row, USER_COL_CREATED_AT));
	response_json_lit(out, "}");
}

/* An external issuer's user may have no email: NULL then. */
static const char *
user_email(const PGresult *res, int row)
{
	return PQgetisnull(res, row, USER_COL_EMAIL) ? NULL :
	    PQgetvalue(res, row, USER_COL_EMAIL);
}

/*
 * docs/API.md "Session tokens": register and login start a session, with
 * its first refresh token (sql/012_sessions.sql session_start, which also
 * prunes sessions long over), and answer both tokens.
 */
void
user_answer_session(struct ctx *c, int status, const PGresult *res, int row)
{
	struct user_answer_start s;
	const char *params[1 + USER_ANSWER_START_PARAMS];
	PGresult *started;

	if (user_answer_start(c, &s) != 0)
		return;
	params[0] = PQgetvalue(res, row, USER_COL_ID);
	memcpy(params + 1, s.params, sizeof(s.params));
	if ((started = ctx_rows(c, STMT_SESSION_START, 1 + USER_ANSWER_START_PARAMS,
	    params, "session start")) == NULL)
		return;
	user_answer_token(c, status, res, row, PQgetvalue(started, 0, 0),
	    s.refresh);
	PQclear(started);
}

int
user_answer_start(struct ctx *c, struct user_answer_start *s)
{
	if (refresh_token_new(s->refresh) != 0 ||
	    refresh_token_hash(s->refresh, s->hash) != 0) {
		ctx_internal(c, "refresh token", "OpenSSL");
		return -1;
	}
	snprintf(s->idle, sizeof(s->idle), "%ld", c->cfg->session_idle_seconds);
	snprintf(s->max, sizeof(s->max), "%ld", c->cfg->session_max_seconds);
	s->params[0] = s->hash;
	s->params[1] = user_agent(c->req->user_agent, s->agent);
	s->params[2] = s->idle;
	s->params[3] = s->max;
	return 0;
}

/*
 * docs/API.md "Session list": the User-Agent cut to 255 characters on a
 * character's boundary, and before any byte that is not UTF-8 (the
 * database takes text only); NULL when none is left.
 */
static const char *
user_agent(const char *header, char out[USER_ANSWER_AGENT_BYTES])
{
	size_t n;

	if (header == NULL)
		return NULL;
	n = text_utf8_prefix(header, strlen(header), USER_ANSWER_AGENT_MAX);
	if (n == 0)
		return NULL;
	memcpy(out, header, n);
	out[n] = '\0';
	return out;
}

void
user_answer_token(struct ctx *c, int status, const PGresult *res, int row,
    const char *sid, const char *refresh)
{
	char *token;
	char expires[32];

	token = token_issue(c->cfg, PQgetvalue(res, row, USER_COL_ID),
	    user_email(res, row), sid, c->now);
	if (token == NULL) {
		ctx_internal(c, "token_issue", "libjwt");
		return;
	}
	snprintf(expires, sizeof(expires), "%lld",
	    (long long)c->cfg->jwt_expires_in);
	response_json_begin(c->res, status);
	response_json_lit(c->res, "{\"user\":");
	user_answer_object(c->res, res, row);
	response_json_lit(c->res, ",\"access_token\":");
	response_json_strz(c->res, token);
	response_json_lit(c->res, ",\"token_type\":\"bearer\",\"expires_in\":");
	response_json_raw(c->res, expires, strlen(expires));
	response_json_lit(c->res, ",\"refresh_token\":");
	response_json_strz(c->res, refresh);
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

int
user_answer_reset_here(struct ctx *c)
{
	if (!user_answer_accounts_here(c))
		return 0;
	if (c->cfg->smtp_url != NULL)
		return 1;
	response_error(c->res, 404, USER_ANSWER_RESET_OFF);
	return 0;
}

/*
 * docs/API.md "Users on first need": an external issuer's subject gets a
 * users row on first need, with the token's email when it is valid, else
 * with none. The email is for show: another user may have it too, since
 * only accounts registered here are unique by it, and so it never blocks
 * a registration (docs/API.md "Email addresses").
 */
int
user_answer_ensure_row(struct ctx *c)
{
	char email[USER_EMAIL_BYTES];
	const char *params[2] = { c->claims.subject, NULL };
	PGresult *res;

	/* Only protected routes get here, after a token with a subject. */
	assert(c->claims.subject[0] != '\0');
	if (c->claims.email[0] != '\0' &&
	    user_email_normalize(c->claims.email, strlen(c->claims.email),
	    email) == 0)
		params[1] = email;
	if ((res = ctx_rows(c, STMT_USER_ENSURE, 2, params, "ensure_user")) == NULL)
		return -1;
	PQclear(res);
	return 0;
}
