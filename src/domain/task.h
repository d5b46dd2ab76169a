/*
 * task.h: the task rules, apart from HTTP and the database: a task body
 * read under the contract's limits, and the shape of a task id.
 */
#ifndef TASKAPI_TASK_H
#define TASKAPI_TASK_H

#include <stdbool.h>
#include <stddef.h>


struct json_object;

/* docs/API.md "Task object": the task object's limits. */
#define TASK_TITLE_MAX 255
#define TASK_DESCRIPTION_MAX 10000
/* docs/API.md "Task list": list paging. */
#define TASK_LIMIT_DEFAULT 100
#define TASK_LIMIT_MAX 1000
#define TASK_OFFSET_MAX 2147483647L

/*
 * docs/API.md "Task list": the most bytes one task object can take in an
 * answer. The JSON writer escapes a byte as at most 6 ("\u0001"), and a
 * character is at least 1 byte, so a string of n characters is at most
 * 6n bytes and its 2 quotes. The user id is a subject of at most 255
 * characters (docs/API.md "Subjects"), the id a UUID of 36, a timestamp
 * 27 ("2026-11-25T12:56:14.074205Z"). TASK_JSON_FIXED is the object's
 * text around them, with is_completed false, the longer of the two.
 */
#define TASK_JSON_STRING_MAX(chars) (6 * (chars) + 2)
#define TASK_SUBJECT_MAX 255
#define TASK_JSON_FIXED (sizeof("{\"id\":,\"user_id\":,\"title\":," \
	"\"description\":,\"is_completed\":false,\"created_at\":," \
	"\"updated_at\":}") - 1)
#define TASK_JSON_MAX (TASK_JSON_FIXED + (36 + 2) + \
	TASK_JSON_STRING_MAX(TASK_SUBJECT_MAX) + \
	TASK_JSON_STRING_MAX(TASK_TITLE_MAX) + \
	TASK_JSON_STRING_MAX(TASK_DESCRIPTION_MAX) + 2 * (27 + 2))
/*
 * The least LIST_MAX_BYTES (config/settings.def says the same number): a
 * page always holds one task, and the largest, in its brackets, fits.
 */
#define TASK_LIST_BYTES_FLOOR 65536

enum task_mode { TASK_CREATE, TASK_REPLACE, TASK_PATCH };

struct task_input {
	bool has_title;
	char *title;			/* trimmed copy, owned */
	bool has_description;
	const char *description;	/* NULL for JSON null; points into the body */
	bool has_completed;
	bool completed;
};

/*
 * Reads a task body under the rules of docs/API.md "Task object" for mode:
 * on CREATE and REPLACE the title is required, and REPLACE turns an
 * omitted description into null and
 * an omitted is_completed into false. Returns 0, or -1 with a message naming
 * the field in *detail (answer 422).
 */
int task_input_read(struct json_object *body, enum task_mode mode,
    struct task_input *in, const char **detail);
void task_input_free(struct task_input *in);

/* Whether s is a UUID in 8-4-4-4-12 hex form (anything else is 404). */
bool task_id_valid(const char *s);

#endif
