/*
 * replica.c: the read connection of replica.h. It is a struct db of its
 * own (its connection, its prepared statements), which borrows the
 * request's subject from the primary's for each statement.
 */
#include <string.h>
#include <time.h>

#include "db/replica.h"

static void replica_recheck(struct db *r, time_t now);

void
replica_attach(struct db *db, struct db *read, const char *conninfo)
{
	db_init(read, conninfo, db->app_name);
	read->unnamed = db->unnamed;
	/* The same role as the primary's: conn.c checks it there. */
	read->role_checked = 1;
	read->for_reads = 1;
	/* A read connection on the primary (no standby answered) may write. */
	read->remote_apply = 1;
	db->remote_apply = 1;
	db->read = read;
}

PGresult *
replica_exec(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params)
{
	struct db *r = db->read;
	time_t now = time(NULL);
	int had_conn = r->conn != NULL;
	PGresult *res;

	if (r->conn == NULL && now < r->read_retry_at)
		return NULL;
	r->subject = db->subject;
	r->issuer = db->issuer;
	r->sid = db->sid;
	r->subject_refused = 0;
	r->session_ended = 0;
	res = db_exec_here(r, stmt, nparams, params);
	r->subject = NULL;
	r->issuer = NULL;
	r->sid = NULL;
	if (res == NULL) {
		r->read_retry_at = now + REPLICA_RETRY_S;
		return NULL;
	}
	if (!had_conn)
		r->read_retry_at = now + REPLICA_RECHECK_S;
	replica_recheck(r, now);
	/*
	 * A write refused (25006), or a read the standby cancelled in a
	 * conflict with its recovery (40001): the primary answers instead.
	 */
	if (strcmp(db_sqlstate(res), SQLSTATE_READ_ONLY) == 0 ||
	    strcmp(db_sqlstate(res), REPLICA_SQLSTATE_CONFLICT) == 0) {
		PQclear(res);
		return NULL;
	}
	db->subject_refused = r->subject_refused;
	db->session_ended = r->session_ended;
	return res;
}

/*
 * A read connection on a primary (in_hot_standby off, which PostgreSQL 14
 * and later report without a round trip) is closed once it is
 * REPLICA_RECHECK_S old, so the next read looks for a standby again.
 */
static void
replica_recheck(struct db *r, time_t now)
{
	const char *hot = PQparameterStatus(r->conn, "in_hot_standby");

	if (hot != NULL && strcmp(hot, "off") == 0 && now >= r->read_retry_at)
		db_close(r);
}
