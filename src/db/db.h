/*
 * db.h: the one PostgreSQL connection a route program keeps, on libpq.
 * Statements are prepared once per connection, on first use, so a program
 * prepares only what it runs. A dead connection is dropped and the request
 * is answered 503; the next request connects again. While a request has a
 * subject, every statement runs with that subject set for its transaction,
 * which is what the row-level security policy on tasks reads.
 */
#ifndef TASKAPI_DB_H
#define TASKAPI_DB_H

#include <libpq-fe.h>

/*
 * The statements, in src/db/statements.c's table; the columns each one
 * returns are named in db/columns.h.
 */
enum db_stmt {
	STMT_PING,
	STMT_SET_SUBJECT,
	STMT_USER_INSERT,
	STMT_USER_BY_EMAIL,
	/* docs/API.md "Failed logins" (sql/013_login_failures.sql). */
	STMT_LOGIN_BEGIN,
	STMT_LOGIN_FAILED,
	STMT_LOGIN_SUCCEEDED,
	STMT_USER_BY_ID,
	STMT_USER_ENSURE,
	STMT_TASK_LIST,
	STMT_TASK_LIST_FILTERED,
	STMT_TASK_COUNT,
	STMT_TASK_INSERT,
	STMT_TASK_GET,
	STMT_TASK_REPLACE,
	STMT_TASK_PATCH,
	STMT_TASK_TOGGLE,
	STMT_TASK_DELETE,
	STMT_TASK_HELD_BY_OTHER,
	/* docs/API.md "ETags and preconditions", "Idempotency keys". */
	STMT_TASK_HOLDER,
	STMT_TASK_INSERT_KEYED,
	STMT_TASK_TOGGLE_KEYED,
	STMT_TASK_DELETE_KEYED,
	/* docs/API.md "Changes feed". */
	STMT_TASK_CHANGES,
	/* docs/API.md "Sorting and search", "Cursor paging". */
	STMT_TASK_PAGE,
	/*
	 * The list without q (db/columns.h COLUMNS_TASK_SORTED): four a sort
	 * order, in enum cursor_sort's order, each as DB_STMT_SORTED says.
	 */
	STMT_TASK_SORTED,
	STMT_TASK_SORTED_LAST_ = STMT_TASK_SORTED + 23,
	/* The subject setting sent before them (db/columns.h). */
	STMT_SET_SUBJECT_GENERIC,
	/* Sent first, with DATABASE_READ_URL (docs/API.md "Reads on a standby"). */
	STMT_REMOTE_APPLY,
	/* docs/API.md "Session tokens", "Refresh" (sql/012_sessions.sql). */
	STMT_SESSION_START,
	STMT_SESSION_REFRESH,
	/* docs/API.md "Password change", "Account deletion". */
	STMT_ACCOUNT_GET,
	STMT_ACCOUNT_PASSWORD,
	STMT_ACCOUNT_DELETE,
	/* docs/API.md "Logout", "Session list". */
	STMT_SESSION_END,
	STMT_SESSION_LIST,
	/* docs/API.md "Password reset": the answer is the first column. */
	STMT_RESET_REQUEST,
	STMT_RESET_EMAIL,
	STMT_RESET_CONFIRM,
	STMT_COUNT_
};

struct db {
	PGconn *conn;
	const char *conninfo;
	const char *app_name;
	unsigned long prepared;		/* bit i: statement i is prepared */
	/*
	 * DATABASE_PREPARE=off: every statement is sent unnamed, with its
	 * text, so no state outlives a transaction (a transaction pool).
	 */
	int unnamed;
	int role_checked;		/* db_check_role has run */
	/*
	 * The authenticated subject of the request being served, or NULL.
	 * Set by app_handle after the token is verified, cleared after the
	 * handler: statements then see only that subject's tasks.
	 */
	const char *subject;
	/*
	 * Who verified the subject's token, set with it: "" for JWT_SECRET's
	 * tokens, else the key set issuer's iss. The first request of a
	 * subject records it; a later one of another issuer is refused, and
	 * subject_refused says so (docs/API.md "Subjects").
	 */
	const char *issuer;
	int subject_refused;
	/*
	 * The token's session (a UUID), set with the subject, or NULL for a
	 * token without one. Every statement checks that it is live; when it
	 * is not, the statement fails and session_ended says so
	 * (docs/API.md "Session tokens").
	 */
	const char *sid;
	int session_ended;
	/*
	 * Set by db/conn.c when the server warned that a commit was cancelled
	 * while it waited for a synchronous standby: it committed here, but a
	 * failover may lose it, so the request is answered 503.
	 */
	int commit_unknown;
	/*
	 * DATABASE_READ_URL (docs/API.md "Reads on a standby"), db/replica.h:
	 * the read connection, or NULL; read_here while the request's reads
	 * may go there (app_handle); for_reads on the read connection itself;
	 * remote_apply on both, so that commits wait for the standby's apply;
	 * read_retry_at, when to try a read connection that failed again.
	 */
	struct db *read;
	int read_here;
	int for_reads;
	int remote_apply;
	long read_retry_at;
};

/* SQLSTATEs we answer differently from a plain failure. */
#define SQLSTATE_UNIQUE_VIOLATION "23505"
#define SQLSTATE_FOREIGN_KEY_VIOLATION "23503"
/* A write on a standby (read_only_sql_transaction). */
#define SQLSTATE_READ_ONLY "25006"
/* sql/005_subject_issuers.sql: the subject was made by another issuer. */
#define SQLSTATE_SUBJECT_OTHER_ISSUER "TA401"
/* sql/012_sessions.sql: the token's session is not live. */
#define SQLSTATE_SESSION_ENDED "TA402"

void db_init(struct db *db, const char *conninfo, const char *app_name);
void db_close(struct db *db);

/*
 * Runs a prepared statement with text parameters (NULL is SQL NULL).
 * Returns a result the caller PQclear()s: PGRES_TUPLES_OK/COMMAND_OK, or a
 * PGRES_FATAL_ERROR whose SQLSTATE the caller may inspect. Returns NULL when
 * the database cannot be reached: the caller answers 503.
 */
PGresult *db_exec(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);
/* The same on db's own connection, never the read connection. */
PGresult *db_exec_here(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);

/*
 * The SQL text of stmt, exactly as it is prepared (the benchmark's SQL floor
 * runs the same strings).
 */
const char *db_stmt_text(enum db_stmt stmt);

/*
 * The list statement without q for sort (enum cursor_sort's number), of one
 * state when completed ($2) and after a cursor's row when after: it takes
 * $1 subject, $2 completed or NULL, $3 limit, $4 offset, $5 LIST_MAX_BYTES,
 * and when after, $6 the row's sort value as text and $7 its id.
 */
#define DB_STMT_SORTED(sort, completed, after) ((enum db_stmt) \
	(STMT_TASK_SORTED + 4 * (sort) + 2 * ((completed) != 0) + ((after) != 0)))
#define DB_STMT_IS_SORTED(stmt) \
	((stmt) >= STMT_TASK_SORTED && (stmt) <= STMT_TASK_SORTED_LAST_)

/* The SQLSTATE of a failed result, "" when none. */
const char *db_sqlstate(const PGresult *res);

/* Whether a connection is up (connecting if needed). */
int db_ping(struct db *db);

#endif
