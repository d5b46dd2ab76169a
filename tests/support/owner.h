/*
 * owner.h: the integration tests' look into the instance's database as the
 * schema's owner (tests/run: TASKAPI_TEST_DB), past row-level security,
 * to see or set what the API keeps, as another client of it would.
 */
#ifndef TASKAPI_TEST_OWNER_H
#define TASKAPI_TEST_OWNER_H

/*
 * Runs sql with $1 = arg (text) as the owner. Returns the first column of
 * its first row (free()), or NULL when there is no row or the value is SQL
 * NULL; a statement that fails fails the test.
 */
char *owner_value(const char *sql, const char *arg);
/* A connection as the owner (PQfinish() it); a failure fails the test. */
struct pg_conn *owner_connect(void);
/* The same with n parameters (text; a NULL one is SQL NULL). */
char *owner_params(const char *sql, int n, const char *const params[]);

/*
 * A connection as the owner that holds the tombstones' test lock until
 * PQfinish(). Every delete prunes the oldest tombstones of every user
 * past its retention, so a test that ages tombstones by hand, or deletes
 * with a retention shorter than the default, would prune another such
 * test's tombstones in the middle of it: those tests hold this lock, and
 * run one at a time. (A delete at the default retention prunes only
 * tombstones aged past 30 days, which only those tests make.)
 */
struct pg_conn *owner_tombstones_lock(void);

#endif
