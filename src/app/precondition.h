/*
 * precondition.h: If-Match as the task writes' statements take it
 * (docs/API.md "ETags and preconditions"). A task's ETag is the strong tag
 * "<version>"; the statement compares the row's version with the numbers
 * the header names, in the write itself (db/columns.h COLUMNS_IF_MATCH).
 */
#ifndef TASKAPI_PRECONDITION_H
#define TASKAPI_PRECONDITION_H

#include <stddef.h>

/* The longest version an ETag of ours names: a bigint has 19 digits. */
#define PRECONDITION_VERSION_DIGITS 18

/*
 * If-Match into the statement's bigint[] parameter. Returns 0 with *out
 * NULL when the header is absent, empty (nginx cannot pass an empty one
 * on, so Apache's is taken alike) or `*` (any existing task), else 0 with
 * *out a PostgreSQL array literal to free(): "{3,4}" for the strong tags
 * of our form ("digits", no leading zero), "{}" when none is (weak tags,
 * foreign tags and a malformed list never match: 412 when the task is
 * there). Returns -1 when memory ran out.
 */
int precondition_versions(const char *if_match, char **out);

#endif
