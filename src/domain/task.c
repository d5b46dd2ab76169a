/*
 * task.c: the task rules shared by the collection, one task, and the
 * complete toggle: body fields under API.md's limits, the row as JSON, and
 * 403 versus 404 after a scoped statement found nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "domain/task.h"
#include "json/json.h"
#include "text/text.h"

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
	switch (json_member_text(body, "title", 0, (size_t)-1, &s, &len)) {
	case JSON_TEXT_MISSING:
		if (mode != TASK_PATCH) {
			*detail = "title is required";
			return -1;
		}
		break;
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
		break;
	case JSON_TEXT_BAD_TEXT:
		*detail = "title must not contain U+0000 or lone surrogates";
		return -1;
	default:
		*detail = "title must be a string";
		return -1;
	}

	/* API.md: description is a string or null, at most 10,000 characters. */
	switch (json_member_text(body, "description", 0, TASK_DESCRIPTION_MAX, &s,
	    &len)) {
	case JSON_TEXT_MISSING:
		in->has_description = mode == TASK_REPLACE;	/* PUT: becomes null */
		break;
	case JSON_TEXT_NULL:
		in->has_description = true;
		break;
	case JSON_TEXT_OK:
		in->has_description = true;
		in->description = s;
		break;
	case JSON_TEXT_BAD_TEXT:
		*detail = "description must not contain U+0000 or lone surrogates";
		goto fail;
	case JSON_TEXT_TOO_LONG:
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
