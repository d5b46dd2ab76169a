/*
 * task_item: GET, PUT, PATCH and DELETE /api/tasks/{id}
 * (docs/API.md "One task").
 */
#include <json-c/json.h>

#include "app/app.h"
#include "app/task_answer.h"
#include "domain/task.h"

static void get_task(struct ctx *c);
static void replace_task(struct ctx *c);
static void patch_task(struct ctx *c);
static void delete_task(struct ctx *c);
static void update_task(struct ctx *c, enum task_mode mode);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", get_task },
	{ "PUT", replace_task },
	{ "PATCH", patch_task },
	{ "DELETE", delete_task },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("task_item", handlers);
}

static void
get_task(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };

	if (task_answer_id_checked(c))
		task_answer_row(c, STMT_TASK_GET, 2, params, "task get");
}

static void
replace_task(struct ctx *c)
{
	update_task(c, TASK_REPLACE);
}

static void
patch_task(struct ctx *c)
{
	update_task(c, TASK_PATCH);
}

/*
 * docs/API.md "Order of checks": the body is checked (413, 415, 400, 422)
 * before the row (404, 403), so a malformed id with a bad body is still
 * the body's error.
 */
static void
update_task(struct ctx *c, enum task_mode mode)
{
	struct json_object *body;
	struct task_input in;
	const char *detail, *params[6];

	if ((body = ctx_body(c)) == NULL)
		return;
	if (task_input_read(body, mode, &in, &detail) != 0) {
		response_error(c->res, 422, detail);
		json_object_put(body);
		return;
	}
	if (!task_answer_id_checked(c))
		goto out;
	params[0] = c->req->task_id;
	params[1] = c->claims.subject;
	params[2] = in.title;
	if (mode == TASK_REPLACE) {
		params[3] = in.description;
		params[4] = in.completed ? "true" : "false";
		task_answer_row(c, STMT_TASK_REPLACE, 5, params, "task replace");
	} else {
		params[3] = in.has_description ? "true" : "false";
		params[4] = in.description;
		params[5] = in.has_completed ? (in.completed ? "true" : "false") :
		    NULL;
		task_answer_row(c, STMT_TASK_PATCH, 6, params, "task patch");
	}
out:
	task_input_free(&in);
	json_object_put(body);
}

static void
delete_task(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };
	PGresult *res;

	if (!task_answer_id_checked(c))
		return;
	if ((res = db_exec(c->db, STMT_TASK_DELETE, 2, params)) == NULL) {
		ctx_unavailable(c);
		return;
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ctx_internal(c, "task delete", PQresultErrorMessage(res));
	else if (PQcmdTuples(res)[0] == '1')
		response_empty(c->res, 204);
	else
		task_answer_missing(c);
	PQclear(res);
}
