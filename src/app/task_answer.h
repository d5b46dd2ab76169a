/*
 * task_answer.h: the task routes' answers, shared by the collection, one
 * task and the complete toggle.
 */
#ifndef TASKAPI_TASK_ANSWER_H
#define TASKAPI_TASK_ANSWER_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "db/db.h"

struct ctx;
struct response;

/*
 * Appends the task object of row to out's JSON body. res is the result of
 * a statement that returns the task's columns (db/columns.h: enum task_col),
 * alone or followed by the list's count; row is one of its rows.
 */
void task_answer_write(struct response *out, const PGresult *res, int row);

/*
 * Appends the list's rows of res, at most max_rows (the statement reads
 * one more, to know whether more follow), to out's JSON body as one array,
 * in order, and stops before the first row that would take the body past
 * max_bytes (docs/API.md "Task list": LIST_MAX_BYTES); the first row is
 * always written. Returns how many rows it wrote: the page's next row is
 * the one after them.
 */
int task_answer_list(struct response *out, const PGresult *res, int max_rows,
    size_t max_bytes);

/*
 * After a statement scoped to the subject found no row: answers 403 when the
 * task exists for another subject, 412 `Precondition failed` when it is the
 * subject's own (its If-Match named another version), else 404.
 */
void task_answer_missing(struct ctx *c);

/*
 * docs/API.md "ETags and preconditions": adds `ETag: "<version>"` of res's
 * row (a statement that returns the task's columns).
 */
void task_answer_etag(struct response *out, const PGresult *res, int row);

/*
 * REQUIRE_IF_MATCH=on and a write without If-Match: answers 404 or 403 as
 * any write would, else 428 `If-Match required`, and returns false. Returns
 * true when the write may go on (it has If-Match, or the setting is off).
 */
bool task_answer_if_match_given(struct ctx *c);

/*
 * The answer of a keyed write (STMT_TASK_*_KEYED, db/columns.h): the kept
 * or new answer with its ETag and, for a 201, its Location, and
 * `Idempotent-Replayed: true` on a replay; or 409, 422, 403/404/412.
 */
void task_answer_keyed(struct ctx *c, const PGresult *res);

/* Answers 404 unless the request's {id} is a UUID; returns whether it is. */
bool task_answer_id_checked(struct ctx *c);

/*
 * Runs a statement scoped to the subject that returns the task, and answers
 * 200 with the row and its ETag, 403/404/412 when it found none, or 503/500
 * when it failed. conditional: If-None-Match is honoured (a GET), and a
 * match is 304 with the ETag and no body.
 */
void task_answer_row(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what, bool conditional);

#endif
