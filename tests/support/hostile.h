/*
 * hostile.h: what the hostile-token and hostile-input suites share: the
 * checks every answer to a hostile request must pass (JSON, no 500, no
 * internals, the exact error), and a probe that the instance still serves
 * normal requests afterwards.
 */
#ifndef TASKAPI_TEST_HOSTILE_H
#define TASKAPI_TEST_HOSTILE_H

struct http_res;

/*
 * Any answer: not a 5xx, Content-Type application/json when there is a
 * body, and for an error a non-empty JSON detail that names nothing of the
 * server's insides (SQL, file paths, library names, HTML pages).
 */
void answer_is_clean(const struct http_res *r, const char *what);

/* An error answer: the status, then detail exactly want (NULL: any). */
void expect_refusal(const struct http_res *r, long status, const char *want,
    const char *what);

/* A 401: as expect_refusal, plus exactly "WWW-Authenticate: Bearer". */
void expect_401(const struct http_res *r, const char *want, const char *what);

/*
 * The instance still answers normal requests: GET /api/health is 200 with
 * the database ok and, when token is set, GET /api/tasks is a 200 array.
 * A worker that crashed or hung on the request before fails here.
 */
void still_serving(const char *token, const char *what);

#endif
