/* auth_refresh: POST /api/auth/refresh (docs/API.md "Refresh"). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "app/app.h"
#include "app/user_answer.h"
#include "auth/refresh.h"
#include "db/columns.h"
#include "json/json.h"

#define REFRESH_401 "Invalid refresh token"
#define REFRESH_422 "refresh_token must be a string"
#define REFRESH_422_TEXT \
	"refresh_token must not contain U+0000 or lone surrogates"

static void refresh(struct ctx *c);
static void rotate(struct ctx *c, const char *token);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "POST", refresh },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_refresh", handlers);
}

/*
 * docs/API.md "Refresh": missing, null or not a string is 422; anything
 * else that is not a live token of ours is 401, and one that is not even
 * of our tokens' form costs no database look-up.
 */
static void
refresh(struct ctx *c)
{
	struct json_object *body;
	const char *token;
	size_t len;

	if (!user_answer_accounts_here(c))
		return;
	if ((body = ctx_body(c)) == NULL)
		return;
	switch (json_member_text(body, "refresh_token", 0, (size_t)-1, &token,
	    &len)) {
	case JSON_TEXT_OK:
		if (refresh_token_shape_ok(token, len))
			rotate(c, token);
		else
			response_unauthorized(c->res, REFRESH_401);
		break;
	case JSON_TEXT_BAD_TEXT:
		response_error(c->res, 422, REFRESH_422_TEXT);
		break;
	default:
		response_error(c->res, 422, REFRESH_422);
		break;
	}
	json_object_put(body);
}

/*
 * One statement (sql/012_sessions.sql session_refresh) uses the token up
 * and makes its successor, or finds it used within the grace window, or
 * ends the session on a later reuse. The successor is derived from the
 * token, so a second presentation answers the same one.
 */
static void
rotate(struct ctx *c, const char *token)
{
	char next[REFRESH_TOKEN_BYTES], hash[REFRESH_HASH_TEXT_BYTES];
	char next_hash[REFRESH_HASH_TEXT_BYTES], idle[24], grace[24];
	const char *params[4] = { hash, next_hash, idle, grace };
	PGresult *res;

	if (refresh_token_next(c->cfg->jwt_secret, token, next) != 0 ||
	    refresh_token_hash(token, hash) != 0 ||
	    refresh_token_hash(next, next_hash) != 0) {
		ctx_internal(c, "refresh token", "OpenSSL");
		return;
	}
	snprintf(idle, sizeof(idle), "%ld", c->cfg->session_idle_seconds);
	snprintf(grace, sizeof(grace), "%d", REFRESH_GRACE_SECONDS);
	if ((res = ctx_rows(c, STMT_SESSION_REFRESH, 4, params,
	    "session refresh")) == NULL)
		return;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0,
	    SESSION_REFRESH_COL_OUTCOME), "ok") == 0)
		user_answer_token(c, 200, res, 0,
		    PQgetvalue(res, 0, SESSION_REFRESH_COL_SID), next);
	else
		response_unauthorized(c->res, REFRESH_401);
	PQclear(res);
}
