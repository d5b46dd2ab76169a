/*
 * conn.c: struct db's connection: its parameters (conn.h), the way back
 * after a server restart or a failover, the role check, and what the
 * server says on the side (notices), one of which tells that a commit's
 * fate is unknown.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "db/conn.h"

/* db_check_role's query: the role, and whether the policy leaves it unbound. */
enum conn_role_col {
	CONN_ROLE_COL_NAME,
	CONN_ROLE_COL_UNBOUND,
	CONN_ROLE_COL_COUNT_
};

static int conn_alive(PGconn *conn);
static void conn_check_role(struct db *db);
static void conn_notice(void *arg, const PGresult *res);
static int conn_commit_unknown(const PGresult *res);

void
conn_params(struct conn_params *p, const char *conninfo, const char *app_name)
{
	static const char *const keys[] = { "connect_timeout",
	    "keepalives", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "tcp_user_timeout", "application_name",
	    "dbname", NULL };
	const char *const vals[] = { CONN_CONNECT_TIMEOUT, "1",
	    CONN_KEEPALIVES_IDLE, CONN_KEEPALIVES_INTERVAL,
	    CONN_KEEPALIVES_COUNT, CONN_TCP_USER_TIMEOUT, app_name, conninfo,
	    NULL };

	_Static_assert(sizeof(keys) / sizeof(keys[0]) == CONN_PARAMS_MAX + 1,
	    "one slot a key, and the NULL");
	memcpy(p->keys, keys, sizeof(keys));
	memcpy(p->vals, vals, sizeof(vals));
}

void
conn_drop(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->prepared = 0;
	db->commit_unknown = 0;
}

/*
 * A server that restarted has closed our connection, saying goodbye first
 * (57P01). Reading what is pending notices that before anything is sent,
 * so the request connects again instead of failing: a clean restart costs
 * no request a 503. One read may return only the goodbye, the next one the
 * end of the stream, hence two; each is a non-blocking recv of about a
 * microsecond on an idle connection.
 */
static int
conn_alive(PGconn *conn)
{
	for (int i = 0; i < 2; i++)
		if (PQstatus(conn) != CONNECTION_OK || PQconsumeInput(conn) != 1)
			return 0;
	return PQstatus(conn) == CONNECTION_OK;
}

/*
 * Connects with bounded waits (conn_params): a database that is down or
 * gone answers 503 promptly, never a hang. With several hosts, libpq
 * takes the first that answers as the connection string asks
 * (target_session_attrs), so after a failover the next request finds the
 * new primary.
 */
int
conn_open(struct db *db)
{
	struct conn_params p;

	if (db->conn != NULL && conn_alive(db->conn))
		return 0;
	conn_drop(db);
	conn_params(&p, db->conninfo, db->app_name);
	db->conn = PQconnectdbParams(p.keys, p.vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		fprintf(stderr, "taskapi[%s]: database connection failed: %s",
		    db->app_name, db->conn != NULL ?
		    PQerrorMessage(db->conn) : "out of memory\n");
		conn_drop(db);
		return -1;
	}
	PQsetNoticeReceiver(db->conn, conn_notice, db);
	if (!db->role_checked)
		conn_check_role(db);
	return 0;
}

/*
 * Says once, in the log, when the programs connect as a role that the
 * row-level security policy does not bind (the table's owner, a superuser,
 * BYPASSRLS): ownership then rests on the WHERE clauses alone. One query,
 * on the first connection of a process only.
 */
static void
conn_check_role(struct db *db)
{
	PGresult *res = PQexec(db->conn,
	    "SELECT r.rolname, r.rolsuper OR r.rolbypassrls OR c.relowner = r.oid "
	    "FROM pg_roles r, pg_class c "
	    "WHERE r.rolname = current_user AND c.oid = 'tasks'::regclass");

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		assert(PQnfields(res) == CONN_ROLE_COL_COUNT_);
		db->role_checked = 1;
		if (strcmp(PQgetvalue(res, 0, CONN_ROLE_COL_UNBOUND), "t") == 0)
			fprintf(stderr, "taskapi[%s]: warning: role %s is not bound "
			    "by row-level security (it owns tasks, is a superuser "
			    "or has BYPASSRLS); connect as the programs' role "
			    "(README: Database roles)\n", db->app_name,
			    PQgetvalue(res, 0, CONN_ROLE_COL_NAME));
	}
	PQclear(res);
}

/*
 * Server notices (a shutdown's goodbye, say) go to the log, named; one
 * that says a commit may be lost marks the statement's outcome unknown
 * (db_exec answers 503 for it).
 */
static void
conn_notice(void *arg, const PGresult *res)
{
	struct db *db = arg;

	if (conn_commit_unknown(res))
		db->commit_unknown = 1;
	fprintf(stderr, "taskapi[%s]: database says: %s", db->app_name,
	    PQresultErrorMessage(res));
}

/*
 * A commit that waited for a synchronous standby and was cancelled there
 * (pg_cancel_backend, a failover tool's cancel): PostgreSQL warns and the
 * COMMIT then succeeds, though the transaction may never reach the
 * standby that a failover would promote. syncrep.c's warning carries no
 * SQLSTATE of its own (01000, a plain WARNING), so it is known by its
 * words: the detail "has already committed locally" of both of its
 * warnings (cancel, and terminate, where the connection then ends), or
 * the message's "synchronous replication", in English: lc_messages of the
 * clusters is C (initdb --locale=C). The severity is matched unlocalised.
 */
static int
conn_commit_unknown(const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *det = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (sev == NULL || strcmp(sev, "WARNING") != 0)
		return 0;
	return (det != NULL && strstr(det, "committed locally") != NULL) ||
	    (msg != NULL && strstr(msg, "wait for synchronous replication") !=
	    NULL);
}
