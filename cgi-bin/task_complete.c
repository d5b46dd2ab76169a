/* task_complete: PATCH /api/tasks/{id}/complete (docs/API.md "One task"). */
#include <stdio.h>
#include <stdlib.h>

#include "app/app.h"
#include "app/idempotency.h"
#include "app/precondition.h"
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
 * toggles flip N times. docs/API.md "Idempotency keys": with a key, the
 * toggle and its kept answer are that one statement, so a repeat flips
 * nothing.
 */
static void
toggle(struct ctx *c)
{
	char path[80], digest[IDEMPOTENCY_DIGEST_HEX + 1], *versions;
	const char *params[5] = { c->req->task_id, c->claims.subject, NULL,
	    c->req->idempotency_key, digest };
	PGresult *res;
	int keyed;

	snprintf(path, sizeof(path), "/api/tasks/%s/complete",
	    c->req->task_id != NULL ? c->req->task_id : "");
	if ((keyed = idempotency_prepare(c, path, digest)) < 0 ||
	    !task_answer_id_checked(c) || !task_answer_if_match_given(c))
		return;
	if (precondition_versions(c->req->if_match, &versions) != 0) {
		ctx_internal(c, "task toggle", "out of memory");
		return;
	}
	params[2] = versions;
	if (!keyed)
		task_answer_row(c, STMT_TASK_TOGGLE, 3, params, "task toggle",
		    false);
	else if ((res = ctx_rows(c, STMT_TASK_TOGGLE_KEYED, 5, params,
	    "task toggle keyed")) != NULL) {
		task_answer_keyed(c, res);
		PQclear(res);
	}
	free(versions);
}
