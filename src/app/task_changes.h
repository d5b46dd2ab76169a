/*
 * task_changes.h: the changes feed, GET /api/tasks/changes
 * (docs/API.md "Changes feed").
 */
#ifndef TASKAPI_TASK_CHANGES_H
#define TASKAPI_TASK_CHANGES_H

struct ctx;

/*
 * Answers GET /api/tasks/changes: 200 with the changes after since and
 * the next token, 410 for a token that may have missed one, 422 for a bad
 * since or limit.
 */
void task_changes_answer(struct ctx *c);

#endif
