/* task_complete: PATCH /api/tasks/{id}/complete (docs/API.md "One task"). */
#include "app/app.h"
#include "app/task_answer.h"

static void toggle(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "PATCH", toggle },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("task_complete", handlers);
}

/*
 * docs/API.md "Concurrent toggles": one atomic statement; N concurrent
 * toggles flip N times.
 */
static void
toggle(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };

	if (task_answer_id_checked(c))
		task_answer_row(c, STMT_TASK_TOGGLE, 2, params, "task toggle");
}
