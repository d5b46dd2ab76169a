/*
 * task_list.h: GET /api/tasks, the list: its query values, sort orders,
 * search, cursor paging with Link, X-Total-Count and the list's ETag
 * (docs/API.md "Task list", "Sorting and search", "Cursor paging").
 */
#ifndef TASKAPI_TASK_LIST_H
#define TASKAPI_TASK_LIST_H

#include <stddef.h>

struct ctx;

/* Answers GET /api/tasks: 200 with a page, 304, or 422 for bad values. */
void task_list_answer(struct ctx *c);

/*
 * Appends s, percent-encoded for a query value (every byte but RFC 3986's
 * unreserved ones), to out[0..len) at *at; NUL-terminated. Returns 0, or -1
 * when it does not fit.
 */
int task_list_query_encode(char *out, size_t len, size_t *at, const char *s);

#endif
