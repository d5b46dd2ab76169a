/*
 * db.c: one libpq connection a process, its prepared statements, and the
 * way back after the server restarts. Every statement that touches a task
 * names the subject in its WHERE clause, and PostgreSQL's row-level
 * security checks the same subject again (sql/002_row_level_security.sql):
 * ownership is never checked in C.
 */
#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db/columns.h"
#include "db/conn.h"
#include "db/db.h"
#include "db/replica.h"

/* Room for a prepared statement's name ("s" and up to 14 digits). */
#define DB_STMT_NAME 16

/* The bits of struct db's prepared mask: one for every statement. */
#define DB_PREPARED_BITS (sizeof(((struct db *)0)->prepared) * CHAR_BIT)
_Static_assert(STMT_COUNT_ <= DB_PREPARED_BITS, "a bit per statement");

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
	/* $3 is the email's key: unique among accounts with a password. */
	[STMT_USER_INSERT] =
	    "INSERT INTO users (id, email, password_hash, email_key) "
	    "VALUES (gen_random_uuid()::text, $1, $2, $3) RETURNING " COLUMNS_USER,
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

/*
 * The statements on tasks and their counters. Row-level security shows
 * them no row while no subject is set (sql/002_row_level_security.sql), so
 * one run without the subject would quietly answer 404 to everything: only
 * an authenticated request may run them.
 */
static const bool stmt_scoped[STMT_COUNT_] = {
	[STMT_TASK_LIST] = true,
	[STMT_TASK_LIST_FILTERED] = true,
	[STMT_TASK_COUNT] = true,
	[STMT_TASK_INSERT] = true,
	[STMT_TASK_GET] = true,
	[STMT_TASK_REPLACE] = true,
	[STMT_TASK_PATCH] = true,
	[STMT_TASK_TOGGLE] = true,
	[STMT_TASK_DELETE] = true,
	[STMT_TASK_INSERT_KEYED] = true,
	[STMT_TASK_TOGGLE_KEYED] = true,
	[STMT_TASK_DELETE_KEYED] = true,
	[STMT_TASK_CHANGES] = true,
	[STMT_TASK_PAGE] = true,
	/* The account's own: sql/015_account.sql refuses any other subject. */
	[STMT_ACCOUNT_GET] = true,
	[STMT_ACCOUNT_PASSWORD] = true,
	[STMT_ACCOUNT_DELETE] = true,
	/*
	 * Behind the subject's setting, which checks the token's session.
	 * Not STMT_SESSION_END: a reset's confirm ends sessions with no token.
	 */
	[STMT_SESSION_LIST] = true,
	/* And STMT_TASK_SORTED to STMT_TASK_SORTED_LAST_ (db_exec). */
};

static void db_stmt_name(enum db_stmt stmt, char name[DB_STMT_NAME]);
static int db_prepare(struct db *db, enum db_stmt stmt, PGresult **failed);
static int db_send(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);
static PGresult *db_run(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);
static PGresult *db_exec_as(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);
static int db_gone(const struct db *db, const PGresult *res);

void
db_init(struct db *db, const char *conninfo, const char *app_name)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
	db->app_name = app_name;
}

void
db_close(struct db *db)
{
	conn_drop(db);
	if (db->read != NULL)
		conn_drop(db->read);
}

int
db_ping(struct db *db)
{
	PGresult *res = db_exec(db, STMT_PING, 0, NULL);
	int ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok;
}

/* A statement's prepared name on every connection: "s" and its number. */
static void
db_stmt_name(enum db_stmt stmt, char name[DB_STMT_NAME])
{
	snprintf(name, DB_STMT_NAME, "s%d", (int)stmt);
}

/*
 * Prepares stmt on this connection unless it already is. Returns 0 when
 * ready, -1 when the connection died (dropped), 1 when the server refused
 * the statement (*failed holds its result: a bug, or an unmigrated schema).
 */
static int
db_prepare(struct db *db, enum db_stmt stmt, PGresult **failed)
{
	char name[DB_STMT_NAME];
	PGresult *res;

	/* The mask has a bit for each statement (DB_PREPARED_BITS). */
	assert(stmt >= 0 && stmt < STMT_COUNT_);
	if (db->unnamed || (db->prepared & (1UL << stmt)))
		return 0;
	db_stmt_name(stmt, name);
	res = PQprepare(db->conn, name, db_stmt_text(stmt), 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (PQstatus(db->conn) != CONNECTION_OK || db_gone(db, res)) {
			PQclear(res);
			conn_drop(db);
			return -1;
		}
		fprintf(stderr, "taskapi[%s]: prepare %s failed: %s",
		    db->app_name, name, PQerrorMessage(db->conn));
		*failed = res;
		return 1;
	}
	PQclear(res);
	db->prepared |= 1UL << stmt;
	return 0;
}

/*
 * Sends stmt into the pipeline by its prepared name, or, unnamed, with its
 * text (DATABASE_PREPARE=off): behind a pool that hands each transaction
 * another server connection (PgBouncer's transaction mode), a name
 * prepared on one is unknown on the next, while an unnamed statement lives
 * only as long as the transaction it is sent in. It costs a parse and a
 * plan each time.
 */
static int
db_send(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	char name[DB_STMT_NAME];

	if (db->unnamed)
		return PQsendQueryParams(db->conn, db_stmt_text(stmt), nparams, NULL,
		    params, NULL, NULL, 0);
	db_stmt_name(stmt, name);
	return PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL,
	    0);
}

/* The same as db_send, alone and waiting for its result. */
static PGresult *
db_run(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	char name[DB_STMT_NAME];

	if (db->unnamed)
		return PQexecParams(db->conn, db_stmt_text(stmt), nparams, NULL,
		    params, NULL, NULL, 0);
	db_stmt_name(stmt, name);
	return PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
}

/*
 * Runs the subject setting and the statement in one pipeline: one write,
 * one round trip, and one implicit transaction (it ends at the sync), so
 * the transaction-local setting covers exactly this statement. With a read
 * connection (db->remote_apply), the commit's wait is set the same way,
 * first. Returns the statement's result, or a setting's failure; NULL if
 * the connection failed (the caller drops it).
 */
static PGresult *
db_exec_as(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	PGconn *conn = db->conn;
	PGresult *res, *out = NULL;
	const char *who[3] = { db->subject, db->issuer, db->sid };
	int synced = 0;

	/* NULL would be sent as the setting's value: no subject at all. */
	assert(db->subject == NULL || db->issuer != NULL);
	if (!PQenterPipelineMode(conn))
		return NULL;
	if ((db->remote_apply && !db_send(db, STMT_REMOTE_APPLY, 0, NULL)) ||
	    (db->subject != NULL && !db_send(db, DB_STMT_IS_SORTED(stmt) ?
	    STMT_SET_SUBJECT_GENERIC : STMT_SET_SUBJECT, 3, who)) ||
	    !db_send(db, stmt, nparams, params) || !PQpipelineSync(conn))
		return NULL;
	/*
	 * Results arrive in order: the settings', then the statement's (or
	 * PIPELINE_ABORTED when a setting failed), each followed by NULL,
	 * then the sync. Keep the first failure, else the statement's result.
	 */
	while (!synced) {
		if ((res = PQgetResult(conn)) == NULL) {
			if (PQstatus(conn) != CONNECTION_OK)
				break;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
			synced = 1;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC ||
		    PQresultStatus(res) == PGRES_PIPELINE_ABORTED ||
		    (out != NULL && PQresultStatus(out) == PGRES_FATAL_ERROR)) {
			PQclear(res);
			continue;
		}
		/* The settings' rows are of no interest: the last result that
		 * is not after a failure is the statement's. */
		PQclear(out);
		out = res;
		if (PQstatus(conn) != CONNECTION_OK)
			break;
	}
	if (!synced || !PQexitPipelineMode(conn)) {
		PQclear(out);
		return NULL;
	}
	return out;
}

/* Prepares what db_exec_as sends with stmt; returns as db_prepare does. */
static int
db_prepare_all(struct db *db, enum db_stmt stmt, PGresult **failed)
{
	int rc;

	if ((rc = db_prepare(db, stmt, failed)) != 0)
		return rc;
	if (db->subject != NULL && (rc = db_prepare(db,
	    DB_STMT_IS_SORTED(stmt) ? STMT_SET_SUBJECT_GENERIC :
	    STMT_SET_SUBJECT, failed)) != 0)
		return rc;
	return db->remote_apply ? db_prepare(db, STMT_REMOTE_APPLY, failed) : 0;
}

PGresult *
db_exec(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	PGresult *res;

	assert(stmt >= 0 && stmt < STMT_COUNT_);
	/* app_handle sets the subject for every authenticated request. */
	assert(db->subject != NULL || (!stmt_scoped[stmt] &&
	    !DB_STMT_IS_SORTED(stmt)));
	/* docs/API.md "Reads on a standby": the read connection first. */
	if (db->read_here && db->read != NULL &&
	    (res = replica_exec(db, stmt, nparams, params)) != NULL)
		return res;
	return db_exec_here(db, stmt, nparams, params);
}

PGresult *
db_exec_here(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	PGresult *res = NULL;
	int rc;

	if (conn_open(db) != 0)
		return NULL;
	assert(db->conn != NULL);
	if ((rc = db_prepare_all(db, stmt, &res)) != 0)
		return rc < 0 ? NULL : res;
	if (db->subject != NULL || db->remote_apply)
		res = db_exec_as(db, stmt, nparams, params);
	else
		res = db_run(db, stmt, nparams, params);
	/*
	 * The server went away, or is going (db_gone), or a commit was
	 * cancelled while it waited for the standby (conn.c): this request
	 * gets 503, never a 2xx for a write a failover may lose, and the
	 * next one connects again (to the new primary) and prepares afresh.
	 */
	if (res == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    db_gone(db, res) || db->commit_unknown) {
		if (db->commit_unknown)
			fprintf(stderr, "taskapi[%s]: a commit's outcome is "
			    "unknown: answered 503\n", db->app_name);
		PQclear(res);
		conn_drop(db);
		return NULL;
	}
	if (strcmp(db_sqlstate(res), SQLSTATE_SUBJECT_OTHER_ISSUER) == 0)
		db->subject_refused = 1;
	if (strcmp(db_sqlstate(res), SQLSTATE_SESSION_ENDED) == 0)
		db->session_ended = 1;
	return res;
}

/*
 * Whether a failed result means the server is going or gone, and the
 * connection with it: 57P01 (admin shutdown), 57P02 (crash shutdown),
 * 57P03 (cannot connect now), class 08 (connection exception), and 25006
 * (read-only transaction: the node we are on is now a standby, after a
 * failover or a switchover). On the read connection 25006 is only a
 * statement that must run on the primary (db/replica.h).
 */
static int
db_gone(const struct db *db, const PGresult *res)
{
	const char *state;

	if (res == NULL || PQresultStatus(res) != PGRES_FATAL_ERROR)
		return 0;
	state = db_sqlstate(res);
	return strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || strncmp(state, "08", 2) == 0 ||
	    (strcmp(state, SQLSTATE_READ_ONLY) == 0 && !db->for_reads);
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s != NULL ? s : "";
}

const char *
db_stmt_text(enum db_stmt stmt)
{
	assert(stmt >= 0 && stmt < STMT_COUNT_);
	/* Every statement of the enum has its text in the table. */
	assert(stmt_sql[stmt] != NULL);
	return stmt_sql[stmt];
}
