/*
 * columns.h: the columns of every statement's result, named, beside the SQL
 * that lists them in the same order (src/db/statements.c builds its
 * statements from these lists). Readers of a result name a column, never a position, so a
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

/*
 * STMT_TASK_PAGE (sql/008_list_paging.sql task_page): a task's columns,
 * then on every row the count of matches, the user's change mark and the
 * rows the page read before the byte cut. A page with no task is one row
 * whose task columns are SQL NULL.
 */
enum task_page_col {
	TASK_PAGE_COL_TOTAL = TASK_COL_COUNT_,	/* X-Total-Count */
	TASK_PAGE_COL_MARK,		/* the newest change of the user's tasks */
	TASK_PAGE_COL_READ,		/* more follow when the page shows fewer */
	TASK_PAGE_COL_COUNT_
};
#define COLUMNS_TASK_PAGE_OUT COLUMNS_TASK ", total, mark, rows_read"

/*
 * The user's change mark, exactly as sql/008_list_paging.sql task_page
 * makes it (read its comment): the newest change_xid of the subject's ($1)
 * tasks and tombstones below the line (the xmin of this statement's
 * snapshot), then the (id, version) of the tasks and the ids of the
 * tombstones at or above it. Every comparison is leakproof, so under
 * row-level security each part still reads its index on (user_id,
 * change_xid, id).
 */
#define COLUMNS_TASK_MARK "concat_ws(':', greatest(" \
	"(SELECT t.change_xid FROM tasks t WHERE t.user_id = $1 " \
	"AND t.change_xid < x.line ORDER BY t.change_xid DESC LIMIT 1), " \
	"(SELECT d.change_xid FROM task_tombstones d WHERE d.user_id = $1 " \
	"AND d.change_xid < x.line ORDER BY d.change_xid DESC LIMIT 1)), " \
	"(SELECT md5(string_agg(t.id::text || '.' || t.version, ',' " \
	"ORDER BY t.id)) FROM tasks t WHERE t.user_id = $1 " \
	"AND t.change_xid >= x.line), " \
	"(SELECT md5(string_agg(d.id::text, ',' ORDER BY d.id)) " \
	"FROM task_tombstones d WHERE d.user_id = $1 " \
	"AND d.change_xid >= x.line)) " \
	"FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS line) x"

/*
 * The list without q, one fixed text per sort, filter and paging, prepared
 * once per connection (task_page plans its text on every call: about 3.5
 * times PostgreSQL's time for a page of 20). The same rows as task_page,
 * in TASK_PAGE_COL_* order: the subject's ($1) tasks that match where, in
 * the order of col (with coll) and id, in direction dir (ASC or DESC),
 * $3 + 1 of them from $4 on; only those whose stored text before them
 * comes to less than $5 bytes (LIST_MAX_BYTES); the count from the
 * counters ($2: completed, or NULL), the mark; one row of NULL task
 * columns when the page is empty.
 */
#define COLUMNS_TASK_SORTED(col, coll, dir, where) \
	"WITH w AS (SELECT t.* FROM tasks t WHERE t.user_id = $1" where " " \
	"ORDER BY t." col coll " " #dir ", t.id " #dir " " \
	"LIMIT $3::bigint + 1 OFFSET $4::bigint), " \
	"p AS (SELECT w.*, count(*) OVER () AS rows_read, " \
	"COALESCE(sum(octet_length(w.title) + COALESCE(octet_length(" \
	"w.description), 0)) OVER (ORDER BY w." col coll " " #dir ", w.id " \
	#dir " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) " \
	"AS bytes_before FROM w), " \
	"k AS (SELECT " COLUMNS_TASK_TOTAL " AS total, (SELECT " \
	COLUMNS_TASK_MARK ") AS mark) " \
	"SELECT " COLUMNS_TASK ", total, mark, COALESCE(rows_read, 0) " \
	"FROM k LEFT JOIN p ON p.bytes_before < $5 " \
	"ORDER BY p." col coll " " #dir ", p.id " #dir
/*
 * Sort number sort's four statements, for src/db/statements.c's table
 * from base on (DB_STMT_SORTED): all tasks or one state ($2), from an offset ($4)
 * or after a cursor's row ($6, $7), read on in the sort's direction.
 */
#define COLUMNS_SORTED(base, sort, col, coll, type, dir) \
	[(base) + 4 * (sort)] = COLUMNS_TASK_SORTED(col, coll, dir, ""), \
	[(base) + 4 * (sort) + 1] = COLUMNS_TASK_SORTED(col, coll, dir, \
	    COLUMNS_SORTED_AFTER(col, coll, type, dir)), \
	[(base) + 4 * (sort) + 2] = COLUMNS_TASK_SORTED(col, coll, dir, \
	    COLUMNS_SORTED_COMPLETED), \
	[(base) + 4 * (sort) + 3] = COLUMNS_TASK_SORTED(col, coll, dir, \
	    COLUMNS_SORTED_COMPLETED COLUMNS_SORTED_AFTER(col, coll, type, dir))
/* Titles sort by code point (sql/008_list_paging.sql). */
#define COLUMNS_SORTED_C " COLLATE \"C\""
/*
 * STMT_SET_SUBJECT_GENERIC: the subject setting, and for the rest of the
 * transaction (the list statement sent with it) the prepared plan made
 * once. Left to choose, PostgreSQL plans these anew on every call: a
 * generic plan's cost, with LIMIT and the user's rows unknown, never looks
 * lower than a custom one's, and planning the page, the count and the mark
 * cost more than running them for a short page. The generic plan reads
 * the sort's index for any limit, as the custom one does.
 */
#define COLUMNS_SUBJECT_GENERIC "subject_enter($1, $2, $3), " \
	"set_config('plan_cache_mode', 'force_generic_plan', true)"
/* where's filters: completed ($2), and the cursor's row ($6, $7). */
#define COLUMNS_SORTED_COMPLETED " AND t.is_completed = $2"
#define COLUMNS_SORTED_AFTER(col, coll, type, dir) \
	" AND (t." col coll ", t.id) " COLUMNS_SORTED_OP_##dir \
	" ($6::" type coll ", $7::uuid)"
#define COLUMNS_SORTED_OP_ASC ">"
#define COLUMNS_SORTED_OP_DESC "<"

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

/*
 * docs/API.md "ETags and preconditions": the row's version is one of
 * If-Match's (a bigint[]), or the parameter is NULL (no If-Match, or `*`).
 */
#define COLUMNS_IF_MATCH(param) "(" param "::bigint[] IS NULL OR " \
	"version = ANY (" param "::bigint[]))"

/* STMT_TASK_HOLDER: one row, "mine", "other" or "none" (sql/007). */
enum task_holder_col {
	TASK_HOLDER_COL_WHO,
	TASK_HOLDER_COL_COUNT_
};
#define COLUMNS_TASK_HOLDER "task_holder($1, $2)"

/*
 * The keyed writes (sql/007_idempotency.sql): the task's columns as kept
 * (all NULL for a 204 or a refusal), then what happened and the status.
 */
enum task_keyed_col {
	TASK_KEYED_COL_OUTCOME = TASK_COL_COUNT_,
	TASK_KEYED_COL_STATUS,		/* SQL NULL unless done or replayed */
	TASK_KEYED_COL_COUNT_
};
#define COLUMNS_TASK_KEYED \
	"k.answer[1], k.answer[2], k.answer[3], k.answer[4], k.answer[5], " \
	"k.answer[6], k.answer[7], k.answer[8], k.outcome, k.status"

/*
 * STMT_TASK_CHANGES (docs/API.md "Changes feed"): the task's columns (NULL
 * but the id for a deletion), then what the feed needs: one row at least,
 * with kind NULL when nothing changed, so the horizon and the cluster
 * always come back.
 */
enum task_changes_col {
	TASK_CHANGES_COL_KIND = TASK_COL_COUNT_,	/* "t", "d", or NULL */
	TASK_CHANGES_COL_XID,		/* the change's transaction (xid8) */
	TASK_CHANGES_COL_FOUND,		/* rows before the cut by bytes */
	TASK_CHANGES_COL_PRUNED,	/* sync_horizons.pruned_xid, or NULL */
	TASK_CHANGES_COL_CLUSTER,	/* the cluster's system identifier */
	TASK_CHANGES_COL_COUNT_
};
#define COLUMNS_TASK_CHANGES COLUMNS_TASK ", kind, change_xid::text, " \
	"found, pruned::text, cluster::text"

/*
 * One side of the feed: the subject's ($1) rows of table after the
 * position ($2, $3), below the line, in (change_xid, id) order, at most
 * $4, read along the index on (user_id, change_xid, id).
 */
#define COLUMNS_CHANGES_SIDE(cols, table) \
	"(SELECT " cols " FROM " table " x WHERE x.user_id = $1 " \
	"AND (x.change_xid, x.id) > ($2::xid8, $3::uuid) " \
	"AND x.change_xid < h.line ORDER BY x.change_xid, x.id LIMIT $4)"
#define COLUMNS_CHANGES_TASK "'t'::text AS kind, x.change_xid, x.id, " \
	"x.user_id, x.title, x.description, x.is_completed, x.created_at, " \
	"x.updated_at, x.version, " \
	"octet_length(x.title) + COALESCE(octet_length(x.description), 0) " \
	"AS bytes"
#define COLUMNS_CHANGES_GONE "'d'::text, x.change_xid, x.id, x.user_id, " \
	"NULL::text, NULL::text, NULL::boolean, NULL::timestamptz, " \
	"NULL::timestamptz, NULL::bigint, 36"

/*
 * docs/API.md "Changes feed", in one statement and so one snapshot: the
 * line is the xmin of this statement's own snapshot (pg_current_snapshot
 * reads the active one), below which every transaction has ended. The
 * tasks and the tombstones after the position, merged in order, $4 of
 * them (limit + 1), then only those whose stored text before them comes
 * to less than $5 bytes (LIST_MAX_BYTES), as COLUMNS_TASK_PAGE does.
 */
#define COLUMNS_TASK_CHANGES_READ \
	"SELECT " COLUMNS_TASK_CHANGES " FROM (SELECT " \
	"(SELECT s.pruned_xid FROM sync_horizons s WHERE s.user_id = $1) " \
	"AS pruned, pg_snapshot_xmin(pg_current_snapshot()) AS line, " \
	"(SELECT system_identifier FROM pg_control_system()) AS cluster) h " \
	"LEFT JOIN LATERAL (SELECT * FROM (SELECT p.*, " \
	"count(*) OVER () AS found, COALESCE(sum(p.bytes) OVER (" \
	"ORDER BY p.change_xid, p.id " \
	"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before " \
	"FROM (" COLUMNS_CHANGES_SIDE(COLUMNS_CHANGES_TASK, "tasks") \
	" UNION ALL " COLUMNS_CHANGES_SIDE(COLUMNS_CHANGES_GONE, "task_tombstones") \
	" ORDER BY change_xid, id LIMIT $4) p) w WHERE w.bytes_before < $5) c " \
	"ON true ORDER BY c.change_xid, c.id"

/* The user object: STMT_USER_BY_ID returns these, STMT_USER_INSERT first. */
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

/*
 * STMT_USER_INSERT: the new user, then the id of its first session, started
 * in the same statement (docs/API.md "Register": an account is never left
 * without the session its answer would have named).
 */
enum user_register_col {
	USER_REGISTER_COL_SID = USER_COL_COUNT_,
	USER_REGISTER_COL_COUNT_
};

/*
 * STMT_USER_BY_EMAIL: the user, then what login checks the password with,
 * then login_begin's verdict (enum login_guard_col). One row, whose user
 * columns are SQL NULL when no account has the key.
 */
enum user_login_col {
	USER_LOGIN_COL_PASSWORD_HASH = USER_COL_COUNT_,	/* may be SQL NULL */
	USER_LOGIN_COL_COUNT_
};
#define COLUMNS_USER_LOGIN COLUMNS_USER ", password_hash"

/*
 * STMT_SESSION_REFRESH (sql/012_sessions.sql session_refresh): the user
 * object's columns (SQL NULL unless the outcome is "ok"), then the outcome
 * ("ok", "reused" or "invalid") and the session's id.
 */
enum session_refresh_col {
	SESSION_REFRESH_COL_OUTCOME = USER_COL_COUNT_,
	SESSION_REFRESH_COL_SID,
	SESSION_REFRESH_COL_COUNT_
};
#define COLUMNS_SESSION_REFRESH "r.user_id, r.email, r.created_at, " \
	"r.outcome, r.sid::text"

/*
 * STMT_ACCOUNT_GET (docs/API.md "Password change", "Account deletion"):
 * what the account's password is checked with.
 */
enum account_col {
	ACCOUNT_COL_EMAIL,		/* may be SQL NULL */
	ACCOUNT_COL_EMAIL_KEY,		/* SQL NULL without a password */
	ACCOUNT_COL_PASSWORD_HASH,	/* SQL NULL: no password here */
	ACCOUNT_COL_COUNT_
};
#define COLUMNS_ACCOUNT "email, email_key, password_hash"

/*
 * STMT_SESSION_LIST (docs/API.md "Session list"): a live session of the
 * subject ($1), and whether it is the token's own ($2).
 */
enum session_col {
	SESSION_COL_ID,
	SESSION_COL_CREATED_AT,
	SESSION_COL_LAST_USED_AT,
	SESSION_COL_EXPIRES_AT,		/* the sooner of its two ends */
	SESSION_COL_USER_AGENT,		/* may be SQL NULL */
	SESSION_COL_CURRENT,		/* "t" or "f" */
	SESSION_COL_COUNT_
};
#define COLUMNS_SESSION \
	"id::text, " \
	COLUMNS_UTC("created_at") ", " \
	COLUMNS_UTC("last_used_at") ", " \
	COLUMNS_UTC("least(idle_expires_at, max_expires_at)") ", " \
	"user_agent, " \
	"id = $2::uuid"

/* STMT_SESSION_END: one row, how many sessions sql/012 session_end ended. */
enum session_end_col {
	SESSION_END_COL_ENDED,
	SESSION_END_COL_COUNT_
};

/*
 * login_begin's verdict (sql/013_login_failures.sql), from the column the
 * statement's others end at: USER_LOGIN_COL_COUNT_ in STMT_USER_BY_EMAIL,
 * 0 in STMT_LOGIN_BEGIN.
 */
enum login_guard_col {
	LOGIN_GUARD_COL_RETRY_AFTER,	/* SQL NULL: the attempt may go on */
	LOGIN_GUARD_COL_COUNTED,	/* "t": counted in advance */
	LOGIN_GUARD_COL_COUNT_
};
#define COLUMNS_LOGIN_GUARD "g.retry_after, g.counted"

#endif
