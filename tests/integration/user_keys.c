/*
 * Integration: every key of a user's rows starts with the user
 * (sql/010_user_keys.sql, docs/scaling.md). sql/010 applied by sql/migrate
 * to a database that already holds users, tasks, counts, tombstones and
 * kept answers keeps every row; the instance's own schema has the keys;
 * and an id held by two users (which a sharded table cannot forbid) is
 * still each one's own task through nginx and the programs, and another's
 * 403 (docs/API.md "Ownership").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "support/helpers.h"

/* A connection string for a database of the instance's cluster. */
static void
keys_info(char *out, size_t len, const char *db, const char *user)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");

	cr_assert(run != NULL, "TASKAPI_TEST_RUN_DIR is not set: run make test");
	snprintf(out, len, "host=%s/pgsock port=5432 dbname=%s user=%s", run, db,
	    user);
}

static PGconn *
keys_connect(const char *db, const char *user)
{
	char info[512];
	PGconn *conn;

	keys_info(info, sizeof(info), db, user);
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
	return conn;
}

/* Runs sql with up to two parameters; its first value (static), or "". */
static const char *
keys_run(PGconn *db, const char *sql, const char *p1, const char *p2)
{
	static char value[4096];
	const char *params[2] = { p1, p2 };
	PGresult *res = PQexecParams(db, sql, p2 != NULL ? 2 : p1 != NULL,
	    NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s",
	    sql, PQerrorMessage(db));
	value[0] = '\0';
	if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		snprintf(value, sizeof(value), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return value;
}

/* The tree's sql/ folder: scripts/stack's sibling. */
static void
keys_sql_dir(char *out, size_t len)
{
	const char *stack = getenv("TASKAPI_TEST_STACK");

	cr_assert(stack != NULL, "TASKAPI_TEST_STACK is not set: run make test");
	snprintf(out, len, "%s", stack);
	cr_assert_not_null(strstr(out, "/scripts/stack"));
	snprintf(strstr(out, "/scripts/stack"), len - (size_t)(strstr(out,
	    "/scripts/stack") - out), "/sql");
}

/* Runs a shell command; its output in out, its exit status returned. */
static int
keys_shell(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/*
 * sql/migrate from a copy of sql/ holding the migrations up to last (a
 * migration's number, 9 or 10), applied to database db as its owner.
 */
static void
keys_migrate_to(const char *dir, const char *db, int last, char *out,
    size_t len)
{
	char sql[512], cmd[4096], info[512];

	keys_sql_dir(sql, sizeof(sql));
	keys_info(info, sizeof(info), db, "taskapi");
	snprintf(cmd, sizeof(cmd), "set -e; d='%s'; mkdir -p \"$d\"; "
	    "cp '%s/migrate' '%s/grants.sql' \"$d/\"; "
	    "for f in '%s'/[0-9]*.sql; do b=$(basename \"$f\"); "
	    "[ \"${b%%%%_*}\" -gt %d ] || cp \"$f\" \"$d/\"; done; "
	    "\"$d/migrate\" '%s' 2>&1", dir, sql, sql, sql, last, info);
	cr_assert_eq(keys_shell(cmd, out, len), 0, "%s", out);
}

/*
 * What the migration must keep, as one string: every task (its id, owner,
 * title, state, version and change_xid), the counts, the tombstones, the
 * horizons and the kept answers.
 */
#define KEYS_ROWS "SELECT concat_ws(' | ', " \
	"(SELECT string_agg(concat_ws(',', id, user_id, title, is_completed, " \
	"version, change_xid, created_at), ';' ORDER BY id) FROM tasks), " \
	"(SELECT string_agg(concat_ws(',', user_id, total, done), ';' " \
	"ORDER BY user_id) FROM (SELECT user_id, sum(total) AS total, " \
	"sum(done) AS done FROM task_counts GROUP BY user_id) c), " \
	"(SELECT string_agg(concat_ws(',', user_id, id, change_xid), ';' " \
	"ORDER BY id) FROM task_tombstones), " \
	"(SELECT string_agg(concat_ws(',', user_id, key, status, answer), ';' " \
	"ORDER BY key) FROM idempotency_keys), " \
	"(SELECT string_agg(concat_ws(',', subject, issuer), ';' " \
	"ORDER BY subject) FROM subject_issuers))"

/* The unique keys of the user's tables that leave user_id out. */
#define KEYS_WITHOUT_USER "SELECT string_agg(i.indexrelid::regclass::text, " \
	"' ' ORDER BY 1) FROM pg_index i JOIN pg_attribute a ON " \
	"a.attrelid = i.indrelid AND a.attname = 'user_id' WHERE i.indisunique " \
	"AND i.indrelid::regclass::text IN ('tasks', 'task_counts', " \
	"'task_tombstones', 'sync_horizons', 'idempotency_keys') " \
	"AND NOT a.attnum = ANY (i.indkey)"

/* Two users with tasks, a deletion, a kept answer: the rows of before. */
static void
keys_seed(PGconn *db)
{
	keys_run(db, "INSERT INTO users (id, email, password_hash, email_key) "
	    "VALUES ('ada', 'ada@example.com', '$s1$x', 'ada@example.com'), "
	    "('bob', NULL, NULL, NULL)", NULL, NULL);
	keys_run(db, "INSERT INTO tasks (user_id, title, is_completed) "
	    "SELECT u, 'task ' || i, i % 3 = 0 FROM unnest(ARRAY['ada', 'bob']) u, "
	    "generate_series(1, 7) i", NULL, NULL);
	keys_run(db, "UPDATE tasks SET title = 'edited' WHERE title = 'task 2'",
	    NULL, NULL);
	keys_run(db, "DELETE FROM tasks WHERE title = 'task 5'", NULL, NULL);
	keys_run(db, "INSERT INTO idempotency_keys (user_id, key, digest, status, "
	    "answer) VALUES ('ada', 'k1', 'd', 201, ARRAY['a', 'b'])", NULL, NULL);
}

Test(user_keys, migrating_a_database_with_rows_keeps_them)
{
	char db[64], dir[512], out[8192], before[4096], uid[37];
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	PGconn *su = keys_connect("postgres", "postgres"), *conn;

	test_uuid(uid);
	snprintf(db, sizeof(db), "keys_%.8s", uid);
	snprintf(dir, sizeof(dir), "%s/keys-%.8s", run, uid);
	keys_run(su, keys_run(su, "SELECT format('CREATE DATABASE %I OWNER "
	    "taskapi', $1::text)", db, NULL), NULL, NULL);
	keys_migrate_to(dir, db, 9, out, sizeof(out));
	conn = keys_connect(db, "taskapi");
	keys_seed(conn);
	cr_assert_str_eq(keys_run(conn, KEYS_WITHOUT_USER, NULL, NULL),
	    "tasks_pkey", "before 010, only tasks' key leaves the user out");
	snprintf(before, sizeof(before), "%s", keys_run(conn, KEYS_ROWS, NULL, NULL));
	cr_assert_not_null(strstr(before, "edited"));

	keys_migrate_to(dir, db, 10, out, sizeof(out));
	cr_assert_not_null(strstr(out, "applied 010_user_keys"), "%s", out);
	cr_assert_str_eq(keys_run(conn, KEYS_ROWS, NULL, NULL), before);
	cr_assert_str_eq(keys_run(conn, KEYS_WITHOUT_USER, NULL, NULL), "");
	cr_assert_str_eq(keys_run(conn, "SELECT pg_get_constraintdef(oid) FROM "
	    "pg_constraint WHERE conname = 'tasks_pkey'", NULL, NULL),
	    "PRIMARY KEY (user_id, id)");
	cr_assert_str_eq(keys_run(conn, "SELECT count(*) FROM tasks WHERE "
	    "user_id = 'ada'", NULL, NULL), "6");
	/* Applying it again finds nothing to do. */
	keys_migrate_to(dir, db, 10, out, sizeof(out));
	cr_assert_not_null(strstr(out, "(0 applied now)"), "%s", out);
	PQfinish(conn);
	keys_run(su, keys_run(su, "SELECT format('DROP DATABASE %I WITH (FORCE)', "
	    "$1::text)", db, NULL), NULL, NULL);
	PQfinish(su);
}

/* The instance's own schema: the key leads with the user, id is indexed. */
Test(user_keys, the_schema_keys_tasks_by_user)
{
	PGconn *conn = keys_connect("taskapi", "taskapi");

	cr_assert_str_eq(keys_run(conn, KEYS_WITHOUT_USER, NULL, NULL), "");
	cr_assert_str_eq(keys_run(conn, "SELECT pg_get_indexdef('tasks_id_idx'::"
	    "regclass)", NULL, NULL),
	    "CREATE INDEX tasks_id_idx ON public.tasks USING btree (id)");
	PQfinish(conn);
}

/*
 * One id, two users (put there by the owner, as a sharded table would let
 * happen): each reads and writes its own, a third is told 403, and a write
 * whose precondition fails is 412, not an error.
 */
Test(user_keys, an_id_held_by_two_users_is_each_ones_own)
{
	char a[37], b[37], c[37], id[37], other[37];
	char *ta, *tb, *tc;
	PGconn *conn = keys_connect("taskapi", "taskapi");
	struct http_res *r;

	test_uuid(a);
	test_uuid(b);
	test_uuid(c);
	ta = token_for(a);
	tb = token_for(b);
	tc = token_for(c);
	create_task(ta, "ada's", id);
	create_task(tb, "bob's first", other);
	keys_run(conn, "SELECT ensure_user($1, NULL)", b, NULL);
	keys_run(conn, "INSERT INTO tasks (id, user_id, title) VALUES ($1, $2, "
	    "'bob''s copy')", id, b);
	r = http_json("GET", task_path(id, ""), ta, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(json_str(r, "title"), "ada's");
	http_free(r);
	r = http_json("PATCH", task_path(id, ""), tb, "{\"title\":\"bob's own\"}");
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_bearer("PATCH", task_path(id, "/complete"), ta, NULL,
	    "If-Match: \"999\"", NULL);
	cr_assert_eq(r->status, 412, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_json("DELETE", task_path(id, ""), tc, NULL);
	cr_assert_eq(r->status, 403, "%ld %s", r->status, r->body);
	http_free(r);
	cr_assert_str_eq(keys_run(conn, "SELECT string_agg(title, ',' ORDER BY "
	    "title) FROM tasks WHERE id = $1", id, NULL), "ada's,bob's own");
	PQfinish(conn);
	free(ta);
	free(tb);
	free(tc);
}
