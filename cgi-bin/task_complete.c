/* task_complete: PATCH /api/tasks/{id}/complete (API.md, Task routes). */
#include "app.h"
#include "task.h"

static void toggle(struct ctx *c);

static const struct route_method methods[] = {
	{ "PATCH", AUTH_REQUIRED, toggle },
	{ NULL, AUTH_NONE, NULL },
};

static const struct route route = { "task_complete", "PATCH, OPTIONS", methods };

int
main(void)
{
	return app_main(&route);
}

/* API.md: one atomic statement; N concurrent toggles flip N times. */
static void
toggle(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };
	PGresult *res;

	if (!task_id_valid(c->req->task_id)) {
		response_error(c->res, 404, "Task not found");
		return;
	}
	if ((res = db_exec(c->db, STMT_TASK_TOGGLE, 2, params)) == NULL) {
		ctx_unavailable(c);
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		ctx_internal(c, "task toggle", PQresultErrorMessage(res));
	else if (PQntuples(res) == 1)
		response_json(c->res, 200, task_json(res, 0));
	else
		task_answer_missing(c);
	PQclear(res);
}
