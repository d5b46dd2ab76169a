/*
 * replica.h: DATABASE_READ_URL's connection
 * (docs/API.md "Reads on a standby"). A GET that may read on a standby (app_handle says which) runs
 * its statements there first: a statement that must write (SQLSTATE
 * 25006 there, such as the first request of a new external subject, which
 * records its issuer), or a read connection that cannot be had, runs on
 * the primary instead, which reads are always safe to do. With it set,
 * every commit waits for the synchronous standby to apply it (STMT_
 * REMOTE_APPLY), so a read right after an acknowledged write sees it.
 */
#ifndef TASKAPI_REPLICA_H
#define TASKAPI_REPLICA_H

#include "db/db.h"

/*
 * After a read connection failed, the process reads on the primary for
 * this long before it tries again, so a standby that is down costs one
 * request a connection attempt, not every request.
 */
#define REPLICA_RETRY_S 5
/*
 * A read connection that found only a primary (prefer-standby takes one
 * when no standby answers) is made again after this long, to find the
 * standby once it is back.
 */
#define REPLICA_RECHECK_S 30
/* What a standby answers a read it cancels to go on replaying. */
#define REPLICA_SQLSTATE_CONFLICT "40001"

/*
 * Gives db (already db_init'ed, its unnamed set) the read connection
 * read, to conninfo, opened on first need; both then commit with
 * remote_apply. read must live as long as db; db_close closes both.
 */
void replica_attach(struct db *db, struct db *read, const char *conninfo);

/*
 * Runs stmt on db's read connection with db's subject. Returns its result
 * (the caller's, as db_exec's), or NULL when the statement must run on the
 * primary instead: the read connection cannot be had, or the statement
 * must write.
 */
PGresult *replica_exec(struct db *db, enum db_stmt stmt, int nparams,
    const char *const *params);

#endif
