/*
 * task_answer.c: how the task routes answer: a row as the task object,
 * 403 versus 404 after a scoped statement found nothing, and the one-row
 * answer PUT, PATCH and the toggle share.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "app/app.h"
#include "app/task_answer.h"
#include "db/columns.h"
#include "domain/task.h"
#include "http/etag.h"

static void task_answer_holder(struct ctx *c, int mine_status);
static void task_answer_kept(struct ctx *c, const PGresult *res, int status);

/* The row's columns as JSON: 20 rows of a list cost a few microseconds. */
void
task_answer_write(struct response *out, const PGresult *res, int row)
{
	/*
	 * Only our statements reach here: those that return the task object,
	 * the list's, which adds its count after it, and the keyed writes',
	 * which add what happened (db/columns.h).
	 */
	assert(PQnfields(res) == TASK_COL_COUNT_ ||
	    PQnfields(res) == TASK_LIST_COL_COUNT_ ||
	    PQnfields(res) == TASK_KEYED_COL_COUNT_ ||
	    PQnfields(res) == TASK_CHANGES_COL_COUNT_ ||
	    PQnfields(res) == TASK_PAGE_COL_COUNT_);
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
task_answer_list(struct response *out, const PGresult *res, int max_rows,
    size_t max_bytes)
{
	int rows = PQntuples(res) < max_rows ? PQntuples(res) : max_rows;
	int shown = 0;
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
	task_answer_holder(c, 412);
}

/*
 * One query tells whose the id is (sql/007_idempotency.sql task_holder):
 * docs/API.md "Ownership" first, another subject's task is 403 and
 * untouched; the subject's own is mine_status's answer.
 */
static void
task_answer_holder(struct ctx *c, int mine_status)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };
	PGresult *res;
	const char *who;

	/*
	 * Every route checks the id first (task_answer_id_checked): a
	 * malformed one here would be a 500 from the uuid cast, not a 404.
	 */
	assert(task_id_valid(c->req->task_id));
	res = ctx_rows(c, STMT_TASK_HOLDER, 2, params, "task_holder");
	if (res == NULL)
		return;
	who = PQntuples(res) == 1 ? PQgetvalue(res, 0, TASK_HOLDER_COL_WHO) : "";
	if (strcmp(who, "other") == 0)
		response_error(c->res, 403, "Not authorized to access this task");
	else if (strcmp(who, "none") == 0)
		response_error(c->res, 404, "Task not found");
	/* docs/API.md "ETags and preconditions": the task is unchanged. */
	else if (strcmp(who, "mine") == 0)
		response_error(c->res, mine_status, mine_status == 412 ?
		    "Precondition failed" : "If-Match required");
	else
		ctx_internal(c, "task_holder", "no row");
	PQclear(res);
}

void
task_answer_etag(struct response *out, const PGresult *res, int row)
{
	response_header(out, "ETag", "\"%s\"",
	    PQgetvalue(res, row, TASK_COL_VERSION));
}

bool
task_answer_if_match_given(struct ctx *c)
{
	/* An empty If-Match is none, as nginx passes it (precondition.h). */
	if (!c->cfg->require_if_match ||
	    (c->req->if_match != NULL && c->req->if_match[0] != '\0'))
		return true;
	/* docs/API.md "ETags and preconditions": after the 404 and 403. */
	task_answer_holder(c, 428);
	return false;
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
    const char *const *params, const char *what, bool conditional)
{
	PGresult *res = ctx_rows(c, stmt, nparams, params, what);
	char etag[ETAG_MAX];

	if (res == NULL)
		return;
	if (PQntuples(res) == 1) {
		task_answer_etag(c->res, res, 0);
		snprintf(etag, sizeof(etag), "\"%s\"",
		    PQgetvalue(res, 0, TASK_COL_VERSION));
		/* RFC 9110 15.4.5: a 304 has no body, but the ETag. */
		if (conditional && etag_none_match(c->req->if_none_match, etag))
			response_empty(c->res, 304);
		else {
			response_json_begin(c->res, 200);
			task_answer_write(c->res, res, 0);
			response_json_end(c->res);
		}
	} else
		task_answer_missing(c);
	PQclear(res);
}

void
task_answer_keyed(struct ctx *c, const PGresult *res)
{
	const char *outcome;
	int status;

	assert(PQnfields(res) == TASK_KEYED_COL_COUNT_);
	if (PQntuples(res) != 1) {
		ctx_internal(c, "keyed write", "no row");
		return;
	}
	outcome = PQgetvalue(res, 0, TASK_KEYED_COL_OUTCOME);
	if (strcmp(outcome, "busy") == 0)
		response_error(c->res, 409,
		    "A request with this Idempotency-Key is in progress");
	else if (strcmp(outcome, "reused") == 0)
		response_error(c->res, 422,
		    "Idempotency-Key reused with a different request");
	/* docs/API.md "Task creation": the quota is reached. */
	else if (strcmp(outcome, "full") == 0)
		response_error(c->res, 409, "Task limit reached");
	else if (strcmp(outcome, "missed") == 0)
		task_answer_missing(c);
	else {
		status = atoi(PQgetvalue(res, 0, TASK_KEYED_COL_STATUS));
		if (strcmp(outcome, "replay") == 0)
			response_header(c->res, "Idempotent-Replayed", "true");
		task_answer_kept(c, res, status);
	}
}

/* A keyed write's answer, new or replayed: the kept status and task. */
static void
task_answer_kept(struct ctx *c, const PGresult *res, int status)
{
	if (PQgetisnull(res, 0, TASK_COL_ID)) {
		response_empty(c->res, status);
		return;
	}
	task_answer_etag(c->res, res, 0);
	if (status == 201)
		response_header(c->res, "Location", "/api/tasks/%s",
		    PQgetvalue(res, 0, TASK_COL_ID));
	response_json_begin(c->res, status);
	task_answer_write(c->res, res, 0);
	response_json_end(c->res);
}
