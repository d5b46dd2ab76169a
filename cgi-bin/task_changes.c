/*
 * task_changes: GET /api/tasks/changes (docs/API.md "Changes feed"); the
 * feed itself is app/task_changes.c.
 */
#include "app/app.h"
#include "app/task_changes.h"

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", task_changes_answer },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("task_changes", handlers);
}
