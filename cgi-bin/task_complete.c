/* task_complete: PATCH /api/tasks/{id}/complete (API.md, Task routes). */
#include "app/app.h"
#include "app/task_answer.h"

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

	if (task_answer_id_checked(c))
		task_answer_row(c, STMT_TASK_TOGGLE, 2, params, "task toggle");
}
