/* auth_session: DELETE /api/auth/sessions/{id} (docs/API.md "Session list"). */
#include "app/app.h"
#include "app/session_answer.h"
#include "domain/task.h"

#define SESSION_404 "Session not found"

static void end_one(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "DELETE", end_one },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("auth_session", handlers);
}

/*
 * docs/API.md "Session list": a malformed id is 404 at once (a session's
 * id is a UUID, as a task's is); an unknown one, one already ended and
 * another user's are 404 alike, since session_end ends only the subject's
 * live sessions. The token's own session may be ended too.
 */
static void
end_one(struct ctx *c)
{
	long ended;

	if (!session_answer_here(c))
		return;
	if (!task_id_valid(c->req->task_id)) {
		response_error(c->res, 404, SESSION_404);
		return;
	}
	if ((ended = session_answer_end(c, c->req->task_id,
	    SESSION_ANSWER_LOCAL)) < 0)
		return;
	if (ended > 0)
		response_empty(c->res, 204);
	else
		response_error(c->res, 404, SESSION_404);
}
