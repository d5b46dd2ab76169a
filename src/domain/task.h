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
