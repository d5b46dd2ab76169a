/*
 * user_answer.h: the answers register, login and me share: the user object,
 * the token answer, and the switch for deployments whose accounts live with
 * an external issuer.
 */
#ifndef TASKAPI_USER_ANSWER_H
#define TASKAPI_USER_ANSWER_H

#include <libpq-fe.h>

#include "auth/refresh.h"

struct ctx;
struct response;

/*
 * Appends the user object of row to out's JSON body. res is the result of a
 * statement that returns the user's columns (db/columns.h: enum user_col),
 * alone or followed by login's password hash; row is one of its rows.
 */
void user_answer_object(struct response *out, const PGresult *res, int row);

/*
 * Answers 200/201 with {"user", "access_token", "token_type", "expires_in",
 * "refresh_token"} for the user in row of res (a result as for
 * user_answer_object): the access token of session sid, and refresh.
 */
void user_answer_token(struct ctx *c, int status, const PGresult *res, int row,
    const char *sid, const char *refresh);
/*
 * docs/API.md "Session tokens": starts a session of the user in row of
 * res, then answers as user_answer_token; or answers 503 or 500.
 */
void user_answer_session(struct ctx *c, int status, const PGresult *res,
    int row);
/* docs/API.md "Session list": the login's User-Agent, in characters. */
#define USER_ANSWER_AGENT_MAX 255
#define USER_ANSWER_AGENT_BYTES (USER_ANSWER_AGENT_MAX * 4 + 1)

/*
 * What a new session starts with (sql/012_sessions.sql session_start, after
 * the user's id): params, the hash of its first refresh token, the
 * User-Agent (or NULL) and the two lifetimes, as text; refresh, the token
 * itself, for the answer. Register sends them in its insert's statement,
 * login in its own.
 */
#define USER_ANSWER_START_PARAMS 4
struct user_answer_start {
	char refresh[REFRESH_TOKEN_BYTES];
	char hash[REFRESH_HASH_TEXT_BYTES];
	char agent[USER_ANSWER_AGENT_BYTES];
	char idle[24], max[24];
	const char *params[USER_ANSWER_START_PARAMS];
};
/* Fills s for a new session. Returns 0, or -1 after answering 500. */
int user_answer_start(struct ctx *c, struct user_answer_start *s);

/*
 * docs/API.md "Accounts kept elsewhere": without JWT_SECRET (only an
 * external issuer's key set) accounts live with that issuer, and register
 * and login are switched off. Answers
 * 404 and returns 0 then; returns 1 when this API keeps accounts.
 */
#define USER_ANSWER_ACCOUNTS_ELSEWHERE "Registration and login are not " \
	"available here: accounts are managed by the external sign-in provider"
int user_answer_accounts_here(struct ctx *c);

/*
 * docs/API.md "Password reset": as user_answer_accounts_here, then 404
 * without SMTP_URL. Returns 1 when password reset is served here.
 */
#define USER_ANSWER_RESET_OFF "Password reset is not configured"
int user_answer_reset_here(struct ctx *c);

/*
 * Makes sure the token's subject has a users row (an external issuer's
 * user). Returns 0, or -1 after answering 503 or 500.
 */
int user_answer_ensure_row(struct ctx *c);

#endif
