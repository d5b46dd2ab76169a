/*
 * task_answer.c: how the task routes answer: a row as the task object,
 * 403 versus 404 after a scoped statement found nothing, and the one-row
 * answer PUT, PATCH and the toggle share.
 */
#include <assert.h>

#include <libpq-fe.h>

#include "app/app.h"
#include "app/task_answer.h"
#include "db/columns.h"
#include "domain/task.h"

/* The row's columns as JSON: 20 rows of a list cost a few microseconds. */
void
task_answer_write(struct response *out, const PGresult *res, int row)
{
	/*
	 * Only our statements reach here: those that return the task object,
	 * and the list's, which adds its count after it (db/columns.h).
	 */
	assert(PQnfields(res) == TASK_COL_COUNT_ ||
	    PQnfields(res) == TASK_LIST_COL_COUNT_);
	assert(row >= 0 && row < PQntuples(res));
	response_json_lit(out, "{\"id\":");
	response_json_strz(out, PQgetvalue(res, row, TASK_COL_ID));
	response_json_lit(out, ",\"user_id\":");
	response_json_strz(out, PQgetvalue(res, row, TASK_COL_USER_ID));
	response_json_lit(out, ",\"title\":");
	response_json_str(out, PQgetvalue(res, row, TASK_COL_TITLE),
	    (size_t)PQgetlength(res, row, TASK_COL_TITLE));
	response_json_lit(out, ",\"description\":");
	if (PQgetisnull(res, row, TASK_COL_DESCRIPTION))
		response_json_lit(out, "null");
	else
		response_json_str(out, PQgetvalue(res, row, TASK_COL_DESCRIPTION),
		    (size_t)PQgetlength(res, row, TASK_COL_DESCRIPTION));
	if (PQgetvalue(res, row, TASK_COL_IS_COMPLETED)[0] == 't')
		response_json_lit(out, ",\"is_completed\":true,\"created_at\":");
	else
		response_json_lit(out, ",\"is_completed\":false,\"created_at\":");
	response_json_strz(out, PQgetvalue(res, row, TASK_COL_CREATED_AT));
	response_json_lit(out, ",\"updated_at\":");
	response_json_strz(out, PQgetvalue(res, row, TASK_COL_UPDATED_AT));
	response_json_lit(out, "}");
}

int
task_answer_list(struct response *out, const PGresult *res, size_t max_bytes)
{
	int rows = PQntuples(res), shown = 0;
	size_t start = out->body_len, mark;

	response_json_lit(out, "[");
	for (; shown < rows; shown++) {
		mark = out->body_len;
		if (shown > 0)
			response_json_lit(out, ",");
		task_answer_write(out, res, shown);
		/*
		 * Written, then measured: the writer's escaping is the one
		 * exact measure of a task. One over the budget is taken back
		 * (at most one task's bytes written for nothing), unless it is
		 * the first: the floor of LIST_MAX_BYTES holds any one task
		 * (domain/task.h), so even the first one fits.
		 */
		if (shown > 0 && out->body_len - start + 1 > max_bytes) {
			out->body_len = mark;
			break;
		}
	}
	response_json_lit(out, "]");
	return shown;
}

void
task_answer_missing(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };
	PGresult *res;

	/*
	 * Every route checks the id first (task_answer_id_checked): a
	 * malformed one here would be a 500 from the uuid cast, not a 404.
	 */
	assert(task_id_valid(c->req->task_id));
	res = ctx_rows(c, STMT_TASK_HELD_BY_OTHER, 2, params, "task_held_by_other");
	if (res == NULL)
		return;
	if (PQntuples(res) != 1)
		ctx_internal(c, "task_held_by_other", "no row");
	/* docs/API.md "Ownership": another subject's task is 403, untouched. */
	else if (PQgetvalue(res, 0, TASK_HELD_COL_BY_OTHER)[0] == 't')
		response_error(c->res, 403, "Not authorized to access this task");
	else
		response_error(c->res, 404, "Task not found");
	PQclear(res);
}

bool
task_answer_id_checked(struct ctx *c)
{
	/* docs/API.md "Ownership": no such task (a malformed id too): 404. */
	if (task_id_valid(c->req->task_id))
		return true;
	response_error(c->res, 404, "Task not found");
	return false;
}

void
task_answer_row(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what)
{
	PGresult *res = ctx_rows(c, stmt, nparams, params, what);

	if (res == NULL)
		return;
	if (PQntuples(res) == 1) {
		response_json_begin(c->res, 200);
		task_answer_write(c->res, res, 0);
		response_json_end(c->res);
	} else
		task_answer_missing(c);
	PQclear(res);
}
