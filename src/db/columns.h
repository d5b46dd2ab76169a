/*
 * columns.h: the columns of every statement's result, named, beside the SQL
 * that lists them in the same order (src/db/db.c builds its statements from
 * these lists). Readers of a result name a column, never a position, so a
 * new column is one line in an enum and one in its list here.
 */
#ifndef TASKAPI_COLUMNS_H
#define TASKAPI_COLUMNS_H

/*
 * A timestamp in RFC 3339, in UTC with microseconds and a Z, as
 * docs/API.md "Task routes" shows.
 */
#define COLUMNS_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/*
 * The task object: STMT_TASK_INSERT, STMT_TASK_GET, STMT_TASK_REPLACE,
 * STMT_TASK_PATCH and STMT_TASK_TOGGLE return exactly these, and the two
 * list statements return them first.
 */
enum task_col {
	TASK_COL_ID,
	TASK_COL_USER_ID,
	TASK_COL_TITLE,
	TASK_COL_DESCRIPTION,		/* may be SQL NULL */
	TASK_COL_IS_COMPLETED,		/* "t" or "f" */
	TASK_COL_CREATED_AT,
	TASK_COL_UPDATED_AT,
	/*
	 * One more at every change (sql/006_task_versions.sql): the ETag,
	 * never part of the task object.
	 */
	TASK_COL_VERSION,
	TASK_COL_COUNT_
};
#define COLUMNS_TASK \
	"id::text, " \
	"user_id, " \
	"title, " \
	"description, " \
	"is_completed, " \
	COLUMNS_UTC("created_at") ", " \
	COLUMNS_UTC("updated_at") ", " \
	"version"

/*
 * The subject's task count ($1), of completed ones when $2 says so, from
 * the counters sql/003_task_counts.sql keeps: at most four rows, whatever
 * the number of tasks.
 */
#define COLUMNS_TASK_TOTAL "(SELECT COALESCE(sum(CASE WHEN $2::boolean IS NULL " \
	"THEN total WHEN $2 THEN done ELSE total - done END), 0) " \
	"FROM task_counts WHERE user_id = $1)"

/* STMT_TASK_LIST and STMT_TASK_LIST_FILTERED: a task, then the count. */
enum task_list_col {
	TASK_LIST_COL_TOTAL = TASK_COL_COUNT_,	/* X-Total-Count */
	TASK_LIST_COL_COUNT_
};
#define COLUMNS_TASK_LIST COLUMNS_TASK ", " COLUMNS_TASK_TOTAL

/*
 * A list statement, of the subject's tasks that match where: the page
 * ($3 rows from $4 on, newest first), then only the rows whose stored
 * title and description before them come to less than $5 bytes
 * (LIST_MAX_BYTES). A task's JSON is never shorter than its stored text,
 * so the rows the program's exact cut keeps (docs/API.md "Task list") are
 * all among them, and PostgreSQL sends about LIST_MAX_BYTES however large
 * the page's rows: 1,000 tasks of 10,000 characters were 10 MB before.
 * The first row always passes. The window adds up the page's rows alone,
 * in their order; the tasks' columns keep their names for COLUMNS_TASK.
 */
#define COLUMNS_TASK_PAGE(where) \
	"SELECT " COLUMNS_TASK_LIST " FROM (" \
	"SELECT p.*, COALESCE(sum(octet_length(p.title) + " \
	"COALESCE(octet_length(p.description), 0)) OVER (" \
	"ORDER BY p.created_at DESC, p.id DESC " \
	"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before " \
	"FROM (SELECT * FROM tasks t WHERE " where " " \
	"ORDER BY t.created_at DESC, t.id DESC LIMIT $3 OFFSET $4) p) t " \
	"WHERE t.bytes_before < $5 ORDER BY t.created_at DESC, t.id DESC"

/* STMT_TASK_COUNT: the count alone, one row. */
enum task_count_col {
	TASK_COUNT_COL_TOTAL,
	TASK_COUNT_COL_COUNT_
};
#define COLUMNS_TASK_COUNT COLUMNS_TASK_TOTAL

/* STMT_TASK_HELD_BY_OTHER: one row, "t" when another subject holds the id. */
enum task_held_col {
	TASK_HELD_COL_BY_OTHER,
	TASK_HELD_COL_COUNT_
};
#define COLUMNS_TASK_HELD "task_held_by_other($1, $2)"

/* The user object: STMT_USER_INSERT and STMT_USER_BY_ID return these. */
enum user_col {
	USER_COL_ID,
	USER_COL_EMAIL,			/* SQL NULL for an issuer's user without one */
	USER_COL_CREATED_AT,
	USER_COL_COUNT_
};
#define COLUMNS_USER \
	"id, " \
	"email, " \
	COLUMNS_UTC("created_at")

/* STMT_USER_BY_EMAIL: the user, then what login checks the password with. */
enum user_login_col {
	USER_LOGIN_COL_PASSWORD_HASH = USER_COL_COUNT_,	/* may be SQL NULL */
	USER_LOGIN_COL_COUNT_
};
#define COLUMNS_USER_LOGIN COLUMNS_USER ", password_hash"

#endif
