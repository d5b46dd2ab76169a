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

#endif
