/*
 * user.h: what register, login and me share: the email and password rules,
 * the user object and the token response.
 */
#ifndef TASKAPI_USER_H
#define TASKAPI_USER_H

#include <stddef.h>
#include <libpq-fe.h>

struct ctx;
struct response;

/* API.md: email at most 254 characters; password 8 to 128. */
#define USER_EMAIL_MAX 254
#define USER_PASSWORD_MIN 8
#define USER_PASSWORD_MAX 128
#define USER_EMAIL_BYTES (USER_EMAIL_MAX * 4 + 1)

/*
 * Normalises an email as API.md says (trim ASCII whitespace, lower-case
 * ASCII) into out, and checks it: one "@" with non-empty parts, no spaces or
 * control characters, at most 254 characters. Returns 0, or -1.
 */
int user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES]);

/*
 * Appends the user object from columns id, email, created_at at col0.. of
 * row to out's JSON body.
 */
void user_write(struct response *out, const PGresult *res, int row, int col0);

/*
 * Answers 200/201 with {"user", "access_token", "token_type", "expires_in"}
 * for the user in row of res (columns id, email, created_at).
 */
void user_answer_token(struct ctx *c, int status, const PGresult *res, int row);

/*
 * API.md: without JWT_SECRET (only an external issuer's key set) accounts
 * live with that issuer, and register and login are switched off. Answers
 * 404 and returns 0 then; returns 1 when this API keeps accounts.
 */
#define USER_ACCOUNTS_ELSEWHERE "Registration and login are not available " \
	"here: accounts are managed by the external sign-in provider"
int user_accounts_here(struct ctx *c);

/* Makes sure the token's subject has a users row (an external issuer's user). */
int user_ensure(struct ctx *c);

#endif
