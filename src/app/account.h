/*
 * account.h: what password change and account deletion share
 * (docs/API.md "Password change", "Account deletion"): the password a
 * body sends, the account's stored one, read behind the request's subject
 * (so an ended session reads nothing), and the 403 of a wrong one.
 */
#ifndef TASKAPI_ACCOUNT_H
#define TASKAPI_ACCOUNT_H

#include <libpq-fe.h>

struct ctx;
struct json_object;

/* docs/API.md "Password change", "Account deletion": a wrong password. */
#define ACCOUNT_WRONG_PASSWORD "Incorrect password"

/* The subject's account, as STMT_ACCOUNT_GET reads it. */
struct account {
	PGresult *res;		/* owns the strings below; NULL when none */
	const char *email;	/* the stored address, or NULL */
	const char *email_key;	/* its comparison key, or NULL */
	const char *hash;	/* the scrypt hash, or NULL: no password here */
};

/*
 * Reads body's member name as a password: any string without U+0000.
 * Returns 0 with *password pointing into body, or NULL when the member is
 * absent and required is 0; otherwise answers 422 naming the member and
 * returns -1.
 */
int account_body_password(struct ctx *c, struct json_object *body,
    const char *name, int required, const char **password);

/*
 * Reads the request's subject's account into a (every member NULL when
 * the subject has no user row). Returns 0, or -1 after answering (503,
 * 500, or the 401 of the subject's setting).
 */
int account_read(struct ctx *c, struct account *a);
void account_free(struct account *a);

/*
 * Checks password against a's, as a login attempt of its email
 * (app/login_guard.h). Returns 1 when it matches; otherwise answers and
 * returns 0: 429 while the email is throttled (the password unchecked),
 * 403 ACCOUNT_WRONG_PASSWORD when it does not match or a has none, or
 * 503/500. Costs one scrypt check (about 50 ms) and up to two round
 * trips.
 */
int account_password_check(struct ctx *c, const struct account *a,
    const char *password);

#endif
