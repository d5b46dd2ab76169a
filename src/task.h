/*
 * task.h: what the three task programs share: reading a task from a body,
 * turning a row into the API's task object, and telling 404 from 403.
 */
#ifndef TASKAPI_TASK_H
#define TASKAPI_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "db.h"

struct json_object;
struct ctx;
struct response;

/* API.md: the task object's limits. */
#define TASK_TITLE_MAX 255
#define TASK_DESCRIPTION_MAX 10000
/* API.md: list paging. */
#define TASK_LIMIT_DEFAULT 100
#define TASK_LIMIT_MAX 1000
#define TASK_OFFSET_MAX 2147483647L

enum task_mode { TASK_CREATE, TASK_REPLACE, TASK_PATCH };

struct task_input {
	bool has_title;
	char *title;			/* trimmed copy, owned */
	bool has_description;
	const char *description;	/* NULL for JSON null; points into the body */
	bool has_completed;
	bool completed;
};

/*
 * Reads a task body under API.md's rules for mode: on CREATE and REPLACE the
 * title is required, and REPLACE turns an omitted description into null and
 * an omitted is_completed into false. Returns 0, or -1 with a message naming
 * the field in *detail (answer 422).
 */
int task_input_read(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail);
void task_input_free(struct task_input *in);

/* Whether s is a UUID in 8-4-4-4-12 hex form (anything else is 404). */
bool task_id_valid(const char *s);

/*
 * Appends the task object of row (columns in db.c's TASK_COLUMNS order) to
 * out's JSON body.
 */
void task_write(struct response *out, const PGresult *res, int row);

/*
 * After a statement scoped to the subject found no row: answers 403 when the
 * task exists for another subject, else 404.
 */
void task_answer_missing(struct ctx *c);

/* Answers 404 unless the request's {id} is a UUID; returns whether it is. */
bool task_id_checked(struct ctx *c);

/*
 * Runs a statement scoped to the subject that returns the task, and answers
 * 200 with the row, 403/404 when it found none, or 503/500 when it failed.
 */
void task_answer_row(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what);

#endif
