/* auth_sessions: GET /api/auth/sessions (docs/API.md "Session list"). */
#include <libpq-fe.h>

#include "app/app.h"
#include "app/session_answer.h"
#include "db/columns.h"

static void list(struct ctx *c);
static void list_item(struct response *out, const PGresult *res, int row);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", list },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_sessions", handlers);
}

/*
 * One statement, behind the subject's setting: a token whose session has
 * ended is 401 there, so the list is never shown to it.
 */
static void
list(struct ctx *c)
{
	const char *params[2] = { c->claims.subject, c->claims.sid };
	PGresult *res;

	if (!session_answer_here(c))
		return;
	if ((res = ctx_rows(c, STMT_SESSION_LIST, 2, params, "session list")) ==
	    NULL)
		return;
	response_json_begin(c->res, 200);
	response_json_lit(c->res, "[");
	for (int row = 0; row < PQntuples(res); row++) {
		if (row > 0)
			response_json_lit(c->res, ",");
		list_item(c->res, res, row);
	}
	response_json_lit(c->res, "]");
	response_json_end(c->res);
	PQclear(res);
}

/* docs/API.md "Session list": exactly these six fields. */
static void
list_item(struct response *out, const PGresult *res, int row)
{
	response_json_lit(out, "{\"id\":");
	response_json_strz(out, PQgetvalue(res, row, SESSION_COL_ID));
	response_json_lit(out, ",\"created_at\":");
	response_json_strz(out, PQgetvalue(res, row, SESSION_COL_CREATED_AT));
	response_json_lit(out, ",\"last_used_at\":");
	response_json_strz(out, PQgetvalue(res, row, SESSION_COL_LAST_USED_AT));
	response_json_lit(out, ",\"expires_at\":");
	response_json_strz(out, PQgetvalue(res, row, SESSION_COL_EXPIRES_AT));
	response_json_lit(out, ",\"user_agent\":");
	response_json_strz(out, PQgetisnull(res, row, SESSION_COL_USER_AGENT) ?
	    NULL : PQgetvalue(res, row, SESSION_COL_USER_AGENT));
	response_json_lit(out, ",\"current\":");
	if (PQgetvalue(res, row, SESSION_COL_CURRENT)[0] == 't')
		response_json_lit(out, "true}");
	else
		response_json_lit(out, "false}");
}
