/*
 * auth_logout: POST /api/auth/logout?scope=local|others|global
 * (docs/API.md "Logout").
 */
#include <string.h>

#include "app/app.h"
#include "app/session_answer.h"

/* docs/API.md "Logout": any scope but these three is 422. */
#define LOGOUT_SCOPE_422 "scope must be one of local, others, global"

static void logout(struct ctx *c);
static int logout_scope(struct ctx *c, enum session_answer_scope *scope);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "POST", logout },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_logout", handlers);
}

/*
 * A token without a session is 403 whatever its scope says: no scope of
 * this route concerns it. Ending no session (the others, when there are
 * none) is still 204.
 */
static void
logout(struct ctx *c)
{
	enum session_answer_scope scope;

	if (!session_answer_here(c) || logout_scope(c, &scope) != 0)
		return;
	if (session_answer_end(c, c->claims.sid, scope) >= 0)
		response_empty(c->res, 204);
}

/*
 * docs/API.md "Logout", as "Query values" reads every value: local when
 * absent; an empty, repeated, malformed or unknown one is 422. Returns 0,
 * or -1 after answering.
 */
static int
logout_scope(struct ctx *c, enum session_answer_scope *scope)
{
	static const enum session_answer_scope scopes[] = {
		SESSION_ANSWER_LOCAL,
		SESSION_ANSWER_OTHERS,
		SESSION_ANSWER_GLOBAL,
	};
	char value[16];
	int n = request_query_get(c->req->query, "scope", value, sizeof(value));

	*scope = SESSION_ANSWER_LOCAL;
	if (n == 0)
		return 0;
	for (size_t i = 0; n == 1 && i < sizeof(scopes) / sizeof(*scopes); i++)
		if (strcmp(value, session_answer_scope_name(scopes[i])) == 0) {
			*scope = scopes[i];
			return 0;
		}
	response_error(c->res, 422, LOGOUT_SCOPE_422);
	return -1;
}
