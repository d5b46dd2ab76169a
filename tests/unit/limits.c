/*
 * Unit: the limits of what one user may hold and take, of
 * docs/API.md "Task creation" and docs/API.md "Task list": the two
 * settings' bounds and defaults, and the largest task object the list can meet, written by the
 * programs' own writer, against the figure the floor of LIST_MAX_BYTES
 * rests on.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "app/task_answer.h"
#include "config/config.h"
#include "db/columns.h"
#include "domain/task.h"
#include "http/response.h"

static int
set(struct config *cfg, const char *key, const char *value, char *err)
{
	err[0] = '\0';
	return config_set(cfg, key, value, err, 256);
}

Test(limits, the_quota_and_the_list_budget_take_their_bounds)
{
	struct config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "TASKS_PER_USER_MAX", "1", err), 0);
	cr_assert_eq(set(&cfg, "TASKS_PER_USER_MAX", "2147483647", err), 0);
	cr_assert_eq(set(&cfg, "TASKS_PER_USER_MAX", "0", err), -1);
	cr_assert_str_eq(err, "TASKS_PER_USER_MAX must be a number of tasks "
	    "from 1 to 2147483647");
	cr_assert_eq(set(&cfg, "TASKS_PER_USER_MAX", "2147483648", err), -1);
	/* The floor is the one the largest task was measured against. */
	cr_assert_eq(set(&cfg, "LIST_MAX_BYTES", "65536", err), 0);
	cr_assert_eq(cfg.list_max_bytes, TASK_LIST_BYTES_FLOOR);
	cr_assert_eq(set(&cfg, "LIST_MAX_BYTES", "65535", err), -1);
	cr_assert_str_eq(err, "LIST_MAX_BYTES must be a number of bytes from "
	    "65536 to 1073741824");
	cr_assert_eq(set(&cfg, "LIST_MAX_BYTES", "1073741824", err), 0);
	cr_assert_eq(set(&cfg, "LIST_MAX_BYTES", "1073741825", err), -1);
	config_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(set(&cfg, "JWT_SECRET", "0123456789abcdef0123456789abcdef",
	    err), 0);
	cr_assert_eq(config_check(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.tasks_per_user_max, 100000);
	cr_assert_eq(cfg.list_max_bytes, 1048576);
	config_free(&cfg);
}

/* A column of n bytes of U+0001, each written as the 6 bytes "\u0001". */
static void
limits_fill(PGresult *res, int col, char *buf, int n)
{
	memset(buf, 1, (size_t)n);
	cr_assert(PQsetvalue(res, 0, col, buf, n));
}

/*
 * The largest task: a subject, title and description of their most
 * characters, each of them U+0001, as a list row (db/columns.h).
 */
Test(limits, the_largest_task_object_is_the_figure_the_floor_rests_on)
{
	static char buf[TASK_DESCRIPTION_MAX];
	PGresAttDesc attrs[TASK_LIST_COL_COUNT_];
	const char *stamp = "2026-11-25T12:56:14.074205Z";
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	struct response out;

	cr_assert_not_null(res);
	memset(attrs, 0, sizeof(attrs));
	for (int i = 0; i < TASK_LIST_COL_COUNT_; i++)
		attrs[i].name = (char *)"c";
	cr_assert(PQsetResultAttrs(res, TASK_LIST_COL_COUNT_, attrs));
	cr_assert(PQsetvalue(res, 0, TASK_COL_ID,
	    (char *)"3f2b6c1e-8a4d-4f7b-9c2e-1d5a6b7c8d9e", 36));
	limits_fill(res, TASK_COL_USER_ID, buf, TASK_SUBJECT_MAX);
	limits_fill(res, TASK_COL_TITLE, buf, TASK_TITLE_MAX);
	limits_fill(res, TASK_COL_DESCRIPTION, buf, TASK_DESCRIPTION_MAX);
	cr_assert(PQsetvalue(res, 0, TASK_COL_IS_COMPLETED, (char *)"f", 1));
	cr_assert(PQsetvalue(res, 0, TASK_COL_CREATED_AT, (char *)stamp, 27));
	cr_assert(PQsetvalue(res, 0, TASK_COL_UPDATED_AT, (char *)stamp, 27));
	cr_assert(PQsetvalue(res, 0, TASK_LIST_COL_TOTAL, (char *)"1", 1));

	response_init(&out);
	response_json_begin(&out, 200);
	/* Alone in a list of the least budget: written, and it fits. */
	cr_assert_eq(task_answer_list(&out, res, TASK_LIMIT_MAX, TASK_LIST_BYTES_FLOOR), 1);
	response_json_end(&out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(out.body_len, TASK_JSON_MAX + 2, "%zu", out.body_len);
	/* docs/API.md "Task list" gives the figure. */
	cr_assert_eq(TASK_JSON_MAX, 63253);
	cr_assert_leq(out.body_len, TASK_LIST_BYTES_FLOOR);
	response_free(&out);
	PQclear(res);
}

/* Two of them under a budget of one: the first alone is written. */
Test(limits, a_list_stops_before_the_row_that_would_pass_the_budget)
{
	static char buf[TASK_DESCRIPTION_MAX];
	PGresAttDesc attrs[TASK_LIST_COL_COUNT_];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	struct response out;
	size_t one;

	memset(attrs, 0, sizeof(attrs));
	for (int i = 0; i < TASK_LIST_COL_COUNT_; i++)
		attrs[i].name = (char *)"c";
	cr_assert(PQsetResultAttrs(res, TASK_LIST_COL_COUNT_, attrs));
	for (int row = 0; row < 3; row++)
		for (int col = 0; col < TASK_LIST_COL_COUNT_; col++) {
			memset(buf, 1, 5000);
			cr_assert(PQsetvalue(res, row, col, buf,
			    col == TASK_COL_DESCRIPTION ? 5000 : 1));
		}
	response_init(&out);
	response_json_begin(&out, 200);
	cr_assert_eq(task_answer_list(&out, res, TASK_LIMIT_MAX, 1 << 30), 3);
	one = (out.body_len - 2 - 2) / 3;
	response_free(&out);

	/* Exactly two fit: "[", two rows, a comma, "]". */
	response_init(&out);
	response_json_begin(&out, 200);
	cr_assert_eq(task_answer_list(&out, res, TASK_LIMIT_MAX, 2 * one + 3), 2);
	response_json_end(&out);
	cr_assert_eq(out.body_len, 2 * one + 3);
	cr_assert_eq(out.body[out.body_len - 1], ']');
	response_free(&out);
	/* One byte less: the second no longer fits. */
	response_init(&out);
	response_json_begin(&out, 200);
	cr_assert_eq(task_answer_list(&out, res, TASK_LIMIT_MAX, 2 * one + 2), 1);
	response_json_end(&out);
	cr_assert_eq(out.body_len, one + 2);
	response_free(&out);
	PQclear(res);
}
