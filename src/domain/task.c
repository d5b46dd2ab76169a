/*
 * task.c: the task rules shared by the collection, one task, and the
 * complete toggle: body fields under the contract's limits, and the shape
 * of a task id. How a task is answered is app/task_answer.c's job.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "domain/task.h"
#include "json/json.h"
#include "text/text.h"

/* docs/API.md "Task list": a page of the largest task fits the floor. */
_Static_assert(TASK_JSON_MAX + 2 <= TASK_LIST_BYTES_FLOOR,
    "the largest task object, in brackets, fits the least LIST_MAX_BYTES");

static int read_title(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail);
static int read_description(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail);
static int read_completed(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail);

int
task_input_read(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail)
{
	memset(in, 0, sizeof(*in));
	if (read_title(body, mode, in, detail) != 0 ||
	    read_description(body, mode, in, detail) != 0 ||
	    read_completed(body, mode, in, detail) != 0) {
		task_input_free(in);
		return -1;
	}
	return 0;
}

/* docs/API.md "Task object": title 1 to 255 characters after trimming;
 * required on create and PUT. */
static int
read_title(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail)
{
	const char *s;
	size_t len, count;

	switch (json_member_text(body, "title", 0, (size_t)-1, &s, &len)) {
	case JSON_TEXT_MISSING:
		if (mode == TASK_PATCH)
			return 0;
		*detail = "title is required";
		return -1;
	case JSON_TEXT_OK:
		text_trim_ascii(&s, &len);
		(void)text_utf8_check(s, len, &count);
		if (count < 1 || count > TASK_TITLE_MAX) {
			*detail = "title must be 1 to 255 characters";
			return -1;
		}
		if ((in->title = strndup(s, len)) == NULL) {
			*detail = "title could not be read";
			return -1;
		}
		in->has_title = true;
		return 0;
	case JSON_TEXT_BAD_TEXT:
		*detail = "title must not contain U+0000 or lone surrogates";
		return -1;
	default:
		*detail = "title must be a string";
		return -1;
	}
}

/* docs/API.md "Task object": description is a string or null, at most
 * 10,000 characters. */
static int
read_description(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail)
{
	const char *s;
	size_t len;

	switch (json_member_text(body, "description", 0, TASK_DESCRIPTION_MAX, &s,
	    &len)) {
	case JSON_TEXT_MISSING:
		in->has_description = mode == TASK_REPLACE;	/* PUT: becomes null */
		return 0;
	case JSON_TEXT_NULL:
		in->has_description = true;
		return 0;
	case JSON_TEXT_OK:
		in->has_description = true;
		in->description = s;
		return 0;
	case JSON_TEXT_BAD_TEXT:
		*detail = "description must not contain U+0000 or lone surrogates";
		return -1;
	case JSON_TEXT_TOO_LONG:
		*detail = "description must be at most 10000 characters";
		return -1;
	default:
		*detail = "description must be a string or null";
		return -1;
	}
}

/* docs/API.md "Task object": is_completed must be a JSON boolean; PUT
 * defaults it. */
static int
read_completed(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail)
{
	struct json_object *v;

	if (json_object_object_get_ex(body, "is_completed", &v)) {
		if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
			*detail = "is_completed must be a boolean";
			return -1;
		}
		in->has_completed = true;
		in->completed = json_object_get_boolean(v);
	} else if (mode == TASK_REPLACE) {
		in->has_completed = true;
		in->completed = false;
	}
	return 0;
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
