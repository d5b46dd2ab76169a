/*
 * db.c: one libpq connection a process, its prepared statements (their
 * text is statements.c's), and the way back after the server restarts.
 * Every statement that touches a task names the subject in its WHERE
 * clause, and PostgreSQL's row-level security checks the same subject
 * again (sql/002_row_level_security.sql): ownership is never checked in C.
 */
#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db/conn.h"
#include "db/db.h"
#include "db/replica.h"

/* Room for a prepared statement's name ("s" and up to 14 digits). */
#define DB_STMT_NAME 16

/* The bits of struct db's prepared mask: one for every statement. */
#define DB_PREPARED_BITS (sizeof(((struct db *)0)->prepared) * CHAR_BIT)
_Static_assert(STMT_COUNT_ <= DB_PREPARED_BITS, "a bit per statement");

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
