/*
 * task.c: the task rules shared by the collection, one task, and the
 * complete toggle: body fields under API.md's limits, the row as JSON, and
 * 403 versus 404 after a scoped statement found nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "body.h"
#include "task.h"

int
task_input_read(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail)
{
	struct json_object *v;
	const char *s;
	size_t len, count;

	memset(in, 0, sizeof(*in));

	/* API.md: title 1 to 255 characters after trimming; required on
	 * create and PUT. */
	switch (body_string(body, "title", 0, (size_t)-1, &s, &len)) {
	case STR_MISSING:
		if (mode != TASK_PATCH) {
			*detail = "title is required";
			return -1;
		}
		break;
	case STR_OK:
		ascii_trim(&s, &len);
		(void)utf8_check(s, len, &count);
		if (count < 1 || count > TASK_TITLE_MAX) {
			*detail = "title must be 1 to 255 characters";
			return -1;
		}
		if ((in->title = strndup(s, len)) == NULL) {
			*detail = "title could not be read";
			return -1;
		}
		in->has_title = true;
		break;
	case STR_BAD_TEXT:
		*detail = "title must not contain U+0000 or lone surrogates";
		return -1;
	default:
		*detail = "title must be a string";
		return -1;
	}

	/* API.md: description is a string or null, at most 10,000 characters. */
	switch (body_string(body, "description", 0, TASK_DESCRIPTION_MAX, &s,
	    &len)) {
	case STR_MISSING:
		in->has_description = mode == TASK_REPLACE;	/* PUT: becomes null */
		break;
	case STR_NULL:
		in->has_description = true;
		break;
	case STR_OK:
		in->has_description = true;
		in->description = s;
		break;
	case STR_BAD_TEXT:
		*detail = "description must not contain U+0000 or lone surrogates";
		goto fail;
	case STR_TOO_LONG:
		*detail = "description must be at most 10000 characters";
		goto fail;
	default:
		*detail = "description must be a string or null";
		goto fail;
	}

	/* API.md: is_completed must be a JSON boolean; PUT defaults it. */
	if (json_object_object_get_ex(body, "is_completed", &v)) {
		if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
			*detail = "is_completed must be a boolean";
			goto fail;
		}
		in->has_completed = true;
		in->completed = json_object_get_boolean(v);
	} else if (mode == TASK_REPLACE) {
		in->has_completed = true;
		in->completed = false;
	}
	return 0;
fail:
	task_input_free(in);
	return -1;
}

void
task_input_free(struct task_input *in)
{
	free(in->title);
	in->title = NULL;
}

bool
task_id_valid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		char ch = s[i];

		if (shape[i] == '-') {
			if (ch != '-')
				return false;
		} else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

/* The row's columns as JSON: 20 rows of a list cost a few microseconds. */
void
task_write(struct response *out, const PGresult *res, int row)
{
	response_json_lit(out, "{\"id\":");
	response_json_strz(out, PQgetvalue(res, row, 0));
	response_json_lit(out, ",\"user_id\":");
	response_json_strz(out, PQgetvalue(res, row, 1));
	response_json_lit(out, ",\"title\":");
	response_json_str(out, PQgetvalue(res, row, 2), (size_t)PQgetlength(res, row, 2));
	response_json_lit(out, ",\"description\":");
	if (PQgetisnull(res, row, 3))
		response_json_lit(out, "null");
	else
		response_json_str(out, PQgetvalue(res, row, 3),
		    (size_t)PQgetlength(res, row, 3));
	if (PQgetvalue(res, row, 4)[0] == 't')
		response_json_lit(out, ",\"is_completed\":true,\"created_at\":");
	else
		response_json_lit(out, ",\"is_completed\":false,\"created_at\":");
	response_json_strz(out, PQgetvalue(res, row, 5));
	response_json_lit(out, ",\"updated_at\":");
	response_json_strz(out, PQgetvalue(res, row, 6));
	response_json_lit(out, "}");
}

void
task_answer_missing(struct ctx *c)
{
	const char *params[2] = { c->req->task_id, c->claims.subject };
	PGresult *res;

	res = ctx_rows(c, STMT_TASK_HELD_BY_OTHER, 2, params, "task_held_by_other");
	if (res == NULL)
		return;
	if (PQntuples(res) != 1)
		ctx_internal(c, "task_held_by_other", "no row");
	/* API.md: another subject's task is 403, and is left untouched. */
	else if (PQgetvalue(res, 0, 0)[0] == 't')
		response_error(c->res, 403, "Not authorized to access this task");
	else
		response_error(c->res, 404, "Task not found");
	PQclear(res);
}

bool
task_id_checked(struct ctx *c)
{
	/* API.md: no task with that id, a malformed id included: 404. */
	if (task_id_valid(c->req->task_id))
		return true;
	response_error(c->res, 404, "Task not found");
	return false;
}

void
task_answer_row(struct ctx *c, enum db_stmt stmt, int nparams,
    const char *const *params, const char *what)
{
	PGresult *res = ctx_rows(c, stmt, nparams, params, what);

	if (res == NULL)
		return;
	if (PQntuples(res) == 1) {
		response_json_begin(c->res, 200);
		task_write(c->res, res, 0);
		response_json_end(c->res);
	} else
		task_answer_missing(c);
	PQclear(res);
}
