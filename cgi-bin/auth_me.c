/* auth_me: GET /api/auth/me (docs/API.md "Current user"). */
#include "app/app.h"
#include "app/user_answer.h"

static void me(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", me },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_me", handlers);
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
		/*
		 * docs/API.md "Users on first need": an external issuer's
		 * user is created on first need.
		 */
		if (attempt == 0 && user_answer_ensure_row(c) != 0)
			return;
	}
	ctx_internal(c, "user ensure", "row still missing");
}
