/* auth_me: GET /api/auth/me (API.md, Auth routes). */
#include "app/app.h"
#include "app/user_answer.h"

static void me(struct ctx *c);

static const struct route_method methods[] = {
	{ "GET", AUTH_REQUIRED, me },
	{ NULL, AUTH_NONE, NULL },
};

static const struct route route = { "auth_me", "GET, OPTIONS", methods };

int
main(void)
{
	return app_main(&route);
}

static void
me(struct ctx *c)
{
	const char *params[1] = { c->claims.subject };
	PGresult *res;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((res = ctx_rows(c, STMT_USER_BY_ID, 1, params,
		    "user by id")) == NULL)
			return;
		if (PQntuples(res) == 1) {
			response_json_begin(c->res, 200);
			user_answer_object(c->res, res, 0);
			response_json_end(c->res);
			PQclear(res);
			return;
		}
		PQclear(res);
		/* API.md: an external issuer's user is created on first need. */
		if (attempt == 0 && user_answer_ensure_row(c) != 0)
			return;
	}
	ctx_internal(c, "user ensure", "row still missing");
}
