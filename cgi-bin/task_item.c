/*
 * task_item: GET, PUT, PATCH and DELETE /api/tasks/{id}
 * (docs/API.md "One task").
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "app/app.h"
#include "app/idempotency.h"
#include "app/precondition.h"
#include "app/task_answer.h"
#include "db/columns.h"
#include "domain/task.h"

static void get_task(struct ctx *c);
static void replace_task(struct ctx *c);
static void patch_task(struct ctx *c);
static void delete_task(struct ctx *c);
static void update_task(struct ctx *c, enum task_mode mode);
static void update_run(struct ctx *c, enum task_mode mode,
    const struct task_input *in);
static void delete_run(struct ctx *c, const char *versions);
static void delete_keyed(struct ctx *c, const char *versions,
    const char *digest);

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
		task_answer_row(c, STMT_TASK_GET, 2, params, "task get", true);
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
 * the body's error; the precondition (428, 412) comes after the row.
 */
static void
update_task(struct ctx *c, enum task_mode mode)
{
	struct json_object *body;
	struct task_input in;
	const char *detail;

	if ((body = ctx_body(c)) == NULL)
		return;
	if (task_input_read(body, mode, &in, &detail) != 0) {
		response_error(c->res, 422, detail);
		json_object_put(body);
		return;
	}
	if (task_answer_id_checked(c) && task_answer_if_match_given(c))
		update_run(c, mode, &in);
	task_input_free(&in);
	json_object_put(body);
}

/* The write itself, with If-Match's versions as its last parameter. */
static void
update_run(struct ctx *c, enum task_mode mode, const struct task_input *in)
{
	const char *params[7];
	char *versions;

	if (precondition_versions(c->req->if_match, &versions) != 0) {
		ctx_internal(c, "task update", "out of memory");
		return;
	}
	params[0] = c->req->task_id;
	params[1] = c->claims.subject;
	params[2] = in->title;
	if (mode == TASK_REPLACE) {
		params[3] = in->description;
		params[4] = in->completed ? "true" : "false";
		params[5] = versions;
		task_answer_row(c, STMT_TASK_REPLACE, 6, params, "task replace",
		    false);
	} else {
		params[3] = in->has_description ? "true" : "false";
		params[4] = in->description;
		params[5] = in->has_completed ? (in->completed ? "true" :
		    "false") : NULL;
		params[6] = versions;
		task_answer_row(c, STMT_TASK_PATCH, 7, params, "task patch",
		    false);
	}
	free(versions);
}

/*
 * docs/API.md "Idempotency keys": a bad key is refused before the row is
 * looked at; a keyed DELETE replays its 204 instead of a 404.
 */
static void
delete_task(struct ctx *c)
{
	char path[64], digest[IDEMPOTENCY_DIGEST_HEX + 1], *versions;
	int keyed;

	snprintf(path, sizeof(path), "/api/tasks/%s", c->req->task_id != NULL ?
	    c->req->task_id : "");
	if ((keyed = idempotency_prepare(c, path, digest)) < 0 ||
	    !task_answer_id_checked(c) || !task_answer_if_match_given(c))
		return;
	if (precondition_versions(c->req->if_match, &versions) != 0) {
		ctx_internal(c, "task delete", "out of memory");
		return;
	}
	if (keyed)
		delete_keyed(c, versions, digest);
	else
		delete_run(c, versions);
	free(versions);
}

static void
delete_run(struct ctx *c, const char *versions)
{
	char retention[24];
	const char *params[4] = { c->req->task_id, c->claims.subject, versions,
	    retention };
	PGresult *res;

	/* The changes feed's retention, for the tombstones' pruning. */
	snprintf(retention, sizeof(retention), "%ld",
	    c->cfg->sync_retention_seconds);
	if ((res = ctx_rows(c, STMT_TASK_DELETE, 4, params, "task delete")) ==
	    NULL)
		return;
	if (PQntuples(res) == 1)
		response_empty(c->res, 204);
	else
		task_answer_missing(c);
	PQclear(res);
}

static void
delete_keyed(struct ctx *c, const char *versions, const char *digest)
{
	char retention[24];
	const char *params[6] = { c->req->task_id, c->claims.subject, versions,
	    retention, c->req->idempotency_key, digest };
	PGresult *res;

	snprintf(retention, sizeof(retention), "%ld",
	    c->cfg->sync_retention_seconds);
	if ((res = ctx_rows(c, STMT_TASK_DELETE_KEYED, 6, params,
	    "task delete keyed")) == NULL)
		return;
	task_answer_keyed(c, res);
	PQclear(res);
}
