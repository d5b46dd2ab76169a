/* tasks: GET and POST /api/tasks (docs/API.md "Task routes"). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "app/app.h"
#include "app/idempotency.h"
#include "app/task_answer.h"
#include "app/task_list.h"
#include "app/user_answer.h"
#include "db/columns.h"
#include "domain/task.h"
#include "text/text.h"

static void list_tasks(struct ctx *c);
static void create_task(struct ctx *c);
static void create_answer(struct ctx *c, const PGresult *res, int keyed);

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

/* docs/API.md "Task list": app/task_list.c reads the query and answers. */
static void
list_tasks(struct ctx *c)
{
	task_list_answer(c);
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
