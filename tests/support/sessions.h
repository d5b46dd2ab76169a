/*
 * sessions.h: what the session tests share (docs/API.md "Sessions"): a
 * login or register that keeps both tokens and the session's id, a
 * refresh, and statements run as the schema's owner, to look at a
 * session's rows or move its clock as another client would.
 */
#ifndef TASKAPI_TEST_SESSIONS_H
#define TASKAPI_TEST_SESSIONS_H

#include <stddef.h>

struct http_res;

/* A session's tokens, as register, login and refresh answer them. */
struct session_tokens {
	char user[64];
	char access[4096];
	char refresh[64];
	char sid[37];		/* the access token's sid claim */
};

/* POST /api/auth/register: 201, both tokens kept in t. */
void session_register(const char *email, const char *password,
    struct session_tokens *t);
/* POST /api/auth/login with a User-Agent (NULL: curl's own): 200. */
void session_login(const char *email, const char *password,
    const char *user_agent, struct session_tokens *t);
/* POST /api/auth/refresh with a raw JSON body; the answer, to http_free. */
struct http_res *session_refresh_body(const char *json_body);
/* The same for the token; on a 200, fills next (may be NULL). */
struct http_res *session_refresh(const char *refresh,
    struct session_tokens *next);
/* Fills t from a 200 or 201 answer of register, login or refresh. */
void session_tokens_read(const struct http_res *r, struct session_tokens *t);
/* Records a refresh token the suite was given, for the log scan. */
void session_token_given(const char *refresh);
/* The sid claim of an access token, "" when it has none. */
void session_sid_of(const char *access, char sid[37]);

/*
 * Runs sql as the schema's owner (tests/run: TASKAPI_TEST_DB) with up to
 * two text parameters (NULL: not passed). Returns the first row's first
 * column (free()), or NULL when there is no row.
 */
char *owner_sql(const char *sql, const char *p1, const char *p2);
/* The same for a whole number: the first column as a long. */
long owner_sql_long(const char *sql, const char *p1, const char *p2);

#endif
