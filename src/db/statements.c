/*
 * statements.c: the text of every statement a program runs (db.h's enum
 * db_stmt), in one table; db.c prepares and runs them. The columns each
 * returns are named in db/columns.h.
 */
#include <assert.h>

#include "db/columns.h"
#include "db/db.h"

/*
 * Each statement's text; the columns a statement returns are listed in
 * db/columns.h, in the order its readers name them.
 */
static const char *const stmt_sql[STMT_COUNT_] = {
	[STMT_PING] = "SELECT 1",
	/*
	 * Transaction-local: it ends with the statement it is sent with. It
	 * also records the subject's issuer ($2), or fails with
	 * SQLSTATE_SUBJECT_OTHER_ISSUER (sql/005_subject_issuers.sql), and
	 * checks that the token's session ($3, NULL: none) is live, or fails
	 * with SQLSTATE_SESSION_ENDED (sql/012_sessions.sql).
	 */
	[STMT_SET_SUBJECT] = "SELECT subject_enter($1, $2, $3)",
	/*
	 * $3 is the email's key: unique among accounts with a password. The
	 * account and its first session ($4 to $7, as session_start takes
	 * them after the id) are one statement, so one transaction: a
	 * failure between them leaves no account behind (the session function
	 * sees the row the insert made, being VOLATILE).
	 */
	[STMT_USER_INSERT] =
	    "WITH u AS (INSERT INTO users (id, email, password_hash, email_key) "
	    "VALUES (gen_random_uuid()::text, $1, $2, $3) "
	    "RETURNING id, email, created_at) "
	    "SELECT " COLUMNS_USER ", session_start(id, $4, $5, $6, $7)::text "
	    "FROM u",
	/*
	 * An external issuer's row, with no password, is nobody's login. The
	 * key's failed logins are read in the same statement, as
	 * docs/API.md "Failed logins" says: one row, the user's columns NULL
	 * when unknown.
	 */
	[STMT_USER_BY_EMAIL] =
	    "SELECT " COLUMNS_USER_LOGIN ", " COLUMNS_LOGIN_GUARD
	    " FROM login_begin($1) g LEFT JOIN users "
	    "ON email_key = $1 AND password_hash IS NOT NULL",
	[STMT_LOGIN_BEGIN] = "SELECT " COLUMNS_LOGIN_GUARD " FROM login_begin($1) g",
	/* $2: whether login_begin counted the attempt. */
	[STMT_LOGIN_FAILED] = "SELECT login_failed($1, $2)",
	[STMT_LOGIN_SUCCEEDED] = "SELECT login_succeeded($1)",
	[STMT_USER_BY_ID] = "SELECT " COLUMNS_USER " FROM users WHERE id = $1",
	[STMT_USER_ENSURE] = "SELECT ensure_user($1, $2)",
	/*
	 * One page, read in the order of tasks_user_created_idx (or, with a
	 * completed filter, tasks_user_done_created_idx): O(offset + limit).
	 * The last column is X-Total-Count, from the counters a trigger keeps
	 * in the same transaction as every change (sql/003_task_counts.sql):
	 * at most four rows, whatever the number of tasks. $2 is NULL in the
	 * unfiltered statement, and says which count to give.
	 */
	[STMT_TASK_LIST] = COLUMNS_TASK_PAGE("t.user_id = $1"),
	[STMT_TASK_LIST_FILTERED] =
	    COLUMNS_TASK_PAGE("t.user_id = $1 AND t.is_completed = $2"),
	[STMT_TASK_COUNT] = "SELECT " COLUMNS_TASK_COUNT,
	/*
	 * docs/API.md "Task creation": no row when the subject has $5
	 * (TASKS_PER_USER_MAX) tasks or more; the check and the insert are
	 * one transaction under the subject's lock (sql/004_task_quota.sql).
	 */
	[STMT_TASK_INSERT] =
	    "SELECT " COLUMNS_TASK " FROM task_insert($1, $2, $3, $4, $5)",
	[STMT_TASK_GET] =
	    "SELECT " COLUMNS_TASK " FROM tasks WHERE id = $1 AND user_id = $2",
	/*
	 * docs/API.md "ETags and preconditions": the last parameter is
	 * If-Match's versions (NULL: any), checked in the write itself.
	 */
	[STMT_TASK_REPLACE] =
	    "UPDATE tasks SET title = $3, description = $4, is_completed = $5, "
	    "updated_at = now() WHERE id = $1 AND user_id = $2 "
	    "AND " COLUMNS_IF_MATCH("$6") " RETURNING " COLUMNS_TASK,
	/* $4 says whether $5 (which may be NULL) replaces the description. */
	[STMT_TASK_PATCH] =
	    "UPDATE tasks SET title = COALESCE($3, title), "
	    "description = CASE WHEN $4::boolean THEN $5 ELSE description END, "
	    "is_completed = COALESCE($6::boolean, is_completed), "
	    "updated_at = now() WHERE id = $1 AND user_id = $2 "
	    "AND " COLUMNS_IF_MATCH("$7") " RETURNING " COLUMNS_TASK,
	/*
	 * docs/API.md "Concurrent toggles": one atomic statement, so N
	 * concurrent toggles flip N times.
	 */
	[STMT_TASK_TOGGLE] =
	    "UPDATE tasks SET is_completed = NOT is_completed, updated_at = now() "
	    "WHERE id = $1 AND user_id = $2 AND " COLUMNS_IF_MATCH("$3") " "
	    "RETURNING " COLUMNS_TASK,
	/*
	 * $4 is SYNC_RETENTION_SECONDS, which the tombstone trigger prunes by
	 * (sql/007_idempotency.sql); a row when the task was deleted.
	 */
	[STMT_TASK_DELETE] = "SELECT task_delete($1, $2, $3, $4)",
	/*
	 * Only after a scoped statement missed: tells 403 from 404. The
	 * parentheses tell clang that two literals joined are meant.
	 */
	[STMT_TASK_HELD_BY_OTHER] = ("SELECT " COLUMNS_TASK_HELD),
	/* After a write missed: 412, 403 or 404 in one query. */
	[STMT_TASK_HOLDER] = ("SELECT " COLUMNS_TASK_HOLDER),
	/*
	 * docs/API.md "Idempotency keys": the key's check, the write and the
	 * kept answer in one statement (sql/007_idempotency.sql); the last
	 * two parameters are the key and the request's digest.
	 */
	[STMT_TASK_INSERT_KEYED] = "SELECT " COLUMNS_TASK_KEYED
	    " FROM task_insert_keyed($1, $2, $3, $4, $5, $6, $7) k",
	[STMT_TASK_TOGGLE_KEYED] = "SELECT " COLUMNS_TASK_KEYED
	    " FROM task_toggle_keyed($1, $2, $3, $4, $5) k",
	[STMT_TASK_DELETE_KEYED] = "SELECT " COLUMNS_TASK_KEYED
	    " FROM task_delete_keyed($1, $2, $3, $4, $5, $6) k",
	/*
	 * docs/API.md "Changes feed": the subject's changes after a position
	 * and below the line of the statement's snapshot (db/columns.h).
	 */
	[STMT_TASK_CHANGES] = COLUMNS_TASK_CHANGES_READ,
	/*
	 * The list in every sort, filter and paging: sql/008_list_paging.sql
	 * builds the page's statement from fixed pieces and runs it.
	 */
	[STMT_TASK_PAGE] = "SELECT " COLUMNS_TASK_PAGE_OUT
	    " FROM task_page($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	/* The list without q (DB_STMT_SORTED), in enum cursor_sort's order. */
	COLUMNS_SORTED(STMT_TASK_SORTED, 0, "created_at", "", "timestamptz", ASC),
	COLUMNS_SORTED(STMT_TASK_SORTED, 1, "created_at", "", "timestamptz", DESC),
	COLUMNS_SORTED(STMT_TASK_SORTED, 2, "updated_at", "", "timestamptz", ASC),
	COLUMNS_SORTED(STMT_TASK_SORTED, 3, "updated_at", "", "timestamptz", DESC),
	COLUMNS_SORTED(STMT_TASK_SORTED, 4, "title", COLUMNS_SORTED_C, "text", ASC),
	COLUMNS_SORTED(STMT_TASK_SORTED, 5, "title", COLUMNS_SORTED_C, "text", DESC),
	[STMT_SET_SUBJECT_GENERIC] = "SELECT " COLUMNS_SUBJECT_GENERIC,
	/*
	 * docs/API.md "Reads on a standby": with a read connection, a commit
	 * waits until the synchronous standby has applied it, for this
	 * transaction only (a pool's server connection keeps nothing).
	 */
	[STMT_REMOTE_APPLY] =
	    "SELECT set_config('synchronous_commit', 'remote_apply', true)",
	/*
	 * docs/API.md "Session tokens": $1 user, $2 the refresh token's hash,
	 * $3 User-Agent, $4 SESSION_IDLE_SECONDS, $5 SESSION_MAX_SECONDS;
	 * prunes long-ended sessions first (sql/012_sessions.sql).
	 */
	[STMT_SESSION_START] = "SELECT session_start($1, $2, $3, $4, $5)::text",
	/*
	 * docs/API.md "Refresh": $1 the token's hash, $2 its successor's, $3
	 * SESSION_IDLE_SECONDS, $4 the grace seconds; one row.
	 */
	[STMT_SESSION_REFRESH] = "SELECT " COLUMNS_SESSION_REFRESH
	    " FROM session_refresh($1, $2, $3, $4) r",
	/*
	 * docs/API.md "Password change", "Account deletion": the account's
	 * password hash, then its writes, which run as the owner and only on
	 * the subject the transaction entered (sql/015_account.sql).
	 */
	[STMT_ACCOUNT_GET] = "SELECT " COLUMNS_ACCOUNT " FROM users WHERE id = $1",
	[STMT_ACCOUNT_PASSWORD] =
	    "SELECT account_password_change($1, $2::uuid, $3, $4)",
	[STMT_ACCOUNT_DELETE] = "SELECT account_delete($1, $2)",
	/*
	 * sql/012_sessions.sql: $3 is the scope, "local", "others" or
	 * "global"; the subject's ($1) sessions only, around $2.
	 */
	[STMT_SESSION_END] = "SELECT session_end($1, $2::uuid, $3)",
	/*
	 * docs/API.md "Session list": the live ones, newest first, as the
	 * subject's setting's check counts them live.
	 */
	[STMT_SESSION_LIST] = "SELECT " COLUMNS_SESSION " FROM sessions "
	    "WHERE user_id = $1 AND ended_at IS NULL "
	    "AND now() < idle_expires_at AND now() < max_expires_at "
	    "ORDER BY created_at DESC, id DESC",
	/*
	 * docs/API.md "Password reset" (sql/014_password_resets.sql): $1 the
	 * email's key and $2 the new token's SHA-256 (bytea, "\\x" and hex):
	 * the address to mail, or NULL, in a transaction whose commit does
	 * not wait for its WAL flush, whichever way it went (the SQL says
	 * why). Then $1 a token's SHA-256: its account's address, or NULL;
	 * and with $2 the new password's hash: whether it was used up and
	 * the password set.
	 */
	[STMT_RESET_REQUEST] = "SELECT password_reset_request($1, $2), "
	    "set_config('synchronous_commit', 'off', true)",
	[STMT_RESET_EMAIL] = "SELECT password_reset_email($1)",
	[STMT_RESET_CONFIRM] = "SELECT password_reset_confirm($1, $2)",
};

const char *
db_stmt_text(enum db_stmt stmt)
{
	assert(stmt >= 0 && stmt < STMT_COUNT_);
	/* Every statement of the enum has its text in the table. */
	assert(stmt_sql[stmt] != NULL);
	return stmt_sql[stmt];
}
