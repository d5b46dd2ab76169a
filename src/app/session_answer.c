/*
 * session_answer.c: what the session routes share: the 403 of a token
 * without a session here, and ending sessions by scope, all through
 * sql/012_sessions.sql session_end, which every way a session ends uses.
 */
#include <assert.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "app/app.h"
#include "app/session_answer.h"
#include "db/columns.h"

int
session_answer_here(struct ctx *c)
{
	/*
	 * docs/API.md "Session tokens": a token without sid (another issuer
	 * that shares the secret, or the key set's) has no session here.
	 */
	if (c->claims.sid[0] != '\0')
		return 1;
	response_error(c->res, 403, SESSION_ANSWER_ELSEWHERE);
	return 0;
}

const char *
session_answer_scope_name(enum session_answer_scope scope)
{
	static const char *const names[] = {
		[SESSION_ANSWER_LOCAL] = "local",
		[SESSION_ANSWER_OTHERS] = "others",
		[SESSION_ANSWER_GLOBAL] = "global",
	};

	assert(scope >= 0 && scope < (int)(sizeof(names) / sizeof(names[0])));
	return names[scope];
}

/*
 * One statement behind the subject's setting, which refuses a token whose
 * session has ended (401 Session has ended) before session_end runs, in
 * the same transaction: an ended session ends nothing more.
 */
long
session_answer_end(struct ctx *c, const char *sid,
    enum session_answer_scope scope)
{
	const char *params[3] = { c->claims.subject, sid,
	    session_answer_scope_name(scope) };
	PGresult *res;
	long n;

	assert(sid != NULL && sid[0] != '\0');
	if ((res = ctx_rows(c, STMT_SESSION_END, 3, params, "session end")) ==
	    NULL)
		return -1;
	n = PQntuples(res) == 1 ?
	    atol(PQgetvalue(res, 0, SESSION_END_COL_ENDED)) : 0;
	PQclear(res);
	return n;
}
