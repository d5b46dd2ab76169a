/*
 * session_answer.h: what the session routes share (docs/API.md "Sessions"):
 * the 403 of a token that has no session here, the scopes a session ends
 * by, and ending them through sql/012_sessions.sql session_end.
 */
#ifndef TASKAPI_SESSION_ANSWER_H
#define TASKAPI_SESSION_ANSWER_H

struct ctx;

/* docs/API.md "Session tokens": the 403 of a token without sid. */
#define SESSION_ANSWER_ELSEWHERE "Sessions of this token are managed by " \
	"its issuer"

/*
 * docs/API.md "Logout": which of the user's sessions end; the names are
 * the query's values and session_end's p_scope.
 */
enum session_answer_scope {
	SESSION_ANSWER_LOCAL,		/* the token's own session */
	SESSION_ANSWER_OTHERS,		/* the user's other sessions */
	SESSION_ANSWER_GLOBAL,		/* all of the user's sessions */
};

/*
 * Whether the request's token belongs to a session here (it carries a
 * sid). Returns 1, or answers 403 SESSION_ANSWER_ELSEWHERE and returns 0.
 * Only for protected routes, after authentication.
 */
int session_answer_here(struct ctx *c);

/* The scope's name ("local", "others", "global"). */
const char *session_answer_scope_name(enum session_answer_scope scope);

/*
 * Ends the sessions of the token's subject that scope says, sid being the
 * session that "local" ends and "others" keeps. Returns how many ended,
 * or -1 after answering (503, 500, or 401 when the token's own session
 * had already ended: nothing changed then).
 */
long session_answer_end(struct ctx *c, const char *sid,
    enum session_answer_scope scope);

#endif
