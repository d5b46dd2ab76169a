/* tasks: GET and POST /api/tasks (docs/API.md "Task routes"). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "app/app.h"
#include "app/idempotency.h"
#include "app/task_answer.h"
#include "app/user_answer.h"
#include "db/columns.h"
#include "domain/task.h"
#include "text/text.h"

static void list_tasks(struct ctx *c);
static int list_total(struct ctx *c, const PGresult *page, long offset,
    const char *const *params, char *total, size_t len);
static void create_task(struct ctx *c);
static void create_answer(struct ctx *c, const PGresult *res, int keyed);
static int query_number(struct ctx *c, const char *key, long dflt, long min,
    long max, long *out);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", list_tasks },
	{ "POST", create_task },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("tasks", handlers);
}

/*
 * docs/API.md "Query values": limit and offset are decimal integers in
 * range; an empty, repeated or malformed value is 422. Returns 0, or -1
 * after answering.
 */
static int
query_number(struct ctx *c, const char *key, long dflt, long min, long max,
    long *out)
{
	char value[32], detail[96];
	int n = request_query_get(c->req->query, key, value, sizeof(value));

	if (n == 0) {
		*out = dflt;
		return 0;
	}
	if (n != 1 || text_parse_long(value, min, max, out) != TEXT_NUMBER_OK) {
		snprintf(detail, sizeof(detail),
		    "%s must be one integer from %ld to %ld", key, min, max);
		response_error(c->res, 422, detail);
		return -1;
	}
	return 0;
}

/*
 * X-Total-Count into total: from the page's first row, or, for an empty
 * page, from the counters alone. Returns 0, or -1 after answering.
 */
static int
list_total(struct ctx *c, const PGresult *page, long offset,
    const char *const *params, char *total, size_t len)
{
	PGresult *res;

	/* The list statements end with the count (db/columns.h). */
	assert(PQnfields(page) == TASK_LIST_COL_COUNT_);
	if (PQntuples(page) > 0) {
		snprintf(total, len, "%s", PQgetvalue(page, 0, TASK_LIST_COL_TOTAL));
		return 0;
	}
	if (offset == 0) {
		snprintf(total, len, "0");
		return 0;
	}
	/* A page past the end still reports how many rows match. */
	if ((res = ctx_rows(c, STMT_TASK_COUNT, 2, params, "task count")) == NULL)
		return -1;
	/* A SELECT without FROM has exactly one row. */
	assert(PQntuples(res) == 1);
	snprintf(total, len, "%s", PQgetvalue(res, 0, TASK_COUNT_COL_TOTAL));
	PQclear(res);
	return 0;
}

static void
list_tasks(struct ctx *c)
{
	char completed[8], limit_s[16], offset_s[16], bytes_s[24], total[24];
	const char *params[5];
	long limit, offset;
	PGresult *res;
	int n;

	n = request_query_get(c->req->query, "completed", completed, sizeof(completed));
	if (n < 0 || n > 1 || (n == 1 && strcmp(completed, "true") != 0 &&
	    strcmp(completed, "false") != 0)) {
		response_error(c->res, 422, "completed must be true or false");
		return;
	}
	if (query_number(c, "limit", TASK_LIMIT_DEFAULT, 1, TASK_LIMIT_MAX,
	    &limit) != 0 ||
	    query_number(c, "offset", 0, 0, TASK_OFFSET_MAX, &offset) != 0)
		return;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	snprintf(offset_s, sizeof(offset_s), "%ld", offset);
	snprintf(bytes_s, sizeof(bytes_s), "%ld", c->cfg->list_max_bytes);
	params[0] = c->claims.subject;
	params[1] = n == 1 ? completed : NULL;
	params[2] = limit_s;
	params[3] = offset_s;
	/* The database's own cut by LIST_MAX_BYTES (db/columns.h). */
	params[4] = bytes_s;
	if ((res = ctx_rows(c, n == 1 ? STMT_TASK_LIST_FILTERED : STMT_TASK_LIST,
	    5, params, "task list")) == NULL)
		return;
	if (list_total(c, res, offset, params, total, sizeof(total)) != 0) {
		PQclear(res);
		return;
	}
	response_header(c->res, "X-Total-Count", "%s", total);
	response_json_begin(c->res, 200);
	/*
	 * docs/API.md "Task list": the page stops at LIST_MAX_BYTES, so it
	 * may hold fewer than limit rows; the next page starts right after
	 * the last row written, at offset + the rows written (where cursor
	 * paging's Link: rel="next" would point).
	 */
	(void)task_answer_list(c->res, res, (size_t)c->cfg->list_max_bytes);
	response_json_end(c->res);
	PQclear(res);
}

/* The insert's answer: 201 with the task, or 409 at the quota. */
static void
create_answer(struct ctx *c, const PGresult *res, int keyed)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		ctx_internal(c, "task insert", PQresultErrorMessage(res));
	else if (keyed)
		task_answer_keyed(c, res);
	else if (PQntuples(res) == 1) {
		response_header(c->res, "Location", "/api/tasks/%s",
		    PQgetvalue(res, 0, TASK_COL_ID));
		task_answer_etag(c->res, res, 0);
		response_json_begin(c->res, 201);
		task_answer_write(c->res, res, 0);
		response_json_end(c->res);
	} else
		/* docs/API.md "Task creation": no row, the quota is reached. */
		response_error(c->res, 409, "Task limit reached");
}

/*
 * docs/API.md "Task creation". With an Idempotency-Key, the key's check,
 * the insert and the kept answer are one statement, which the missing
 * users row retries whole: docs/API.md "Idempotency keys".
 */
static void
create_task(struct ctx *c)
{
	struct json_object *body;
	struct task_input in;
	const char *detail, *params[7];
	char quota[24], digest[IDEMPOTENCY_DIGEST_HEX + 1];
	PGresult *res = NULL;
	int keyed;

	if ((body = ctx_body(c)) == NULL)
		return;
	if (task_input_read(body, TASK_CREATE, &in, &detail) != 0) {
		response_error(c->res, 422, detail);
		json_object_put(body);
		return;
	}
	if ((keyed = idempotency_prepare(c, "/api/tasks", digest)) < 0)
		goto out;
	params[0] = c->claims.subject;
	params[1] = in.title;
	params[2] = in.description;
	params[3] = in.has_completed && in.completed ? "true" : "false";
	/* The quota reaches the database's check as a parameter. */
	snprintf(quota, sizeof(quota), "%ld", c->cfg->tasks_per_user_max);
	params[4] = quota;
	params[5] = c->req->idempotency_key;
	params[6] = digest;
	for (int attempt = 0; attempt < 2; attempt++) {
		res = db_exec(c->db, keyed ? STMT_TASK_INSERT_KEYED :
		    STMT_TASK_INSERT, keyed ? 7 : 5, params);
		if (res == NULL) {
			ctx_unavailable(c);
			goto out;
		}
		/* The subject's users row is made on first need only: most
		 * inserts find it there, and cost one round trip. */
		if (attempt == 0 && strcmp(db_sqlstate(res),
		    SQLSTATE_FOREIGN_KEY_VIOLATION) == 0) {
			PQclear(res);
			res = NULL;
			if (user_answer_ensure_row(c) != 0)
				goto out;
			continue;
		}
		break;
	}
	create_answer(c, res, keyed);
out:
	PQclear(res);
	task_input_free(&in);
	json_object_put(body);
}
