/*
 * Integration: GET /api/health (docs/API.md "Health"), and the database
 * fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support/helpers.h"

Test(health, ok_when_the_database_is_up)
{
	struct http_res *r = http_req("GET", "/api/health", NULL, NULL, 0);

	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(json_str(r, "status"), "ok");
	cr_assert_str_eq(json_str(r, "database"), "ok");
	cr_assert_str_eq(http_header(r, "Content-Type"), "application/json");
	http_free(r);
}

Test(health, needs_no_token_and_refuses_other_methods)
{
	struct http_res *r = http_req("POST", "/api/health", NULL, "{}", (size_t)-1);

	cr_assert_eq(r->status, 405);
	cr_assert_str_eq(http_header(r, "Allow"), "GET, OPTIONS");
	cr_assert_str_eq(detail(r), "Method Not Allowed");
	http_free(r);
}

/* sql/migrate: applying the migrations again is harmless. */
Test(schema, migrating_twice_changes_nothing)
{
	char *token, subject[37], id[37], path[64], out[4096];
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "survives a second migration", id);
	cr_assert_eq(stack_output("migrate", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "up to date (0 applied now)") != NULL, "%s", out);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(json_str(r, "title"), "survives a second migration");
	http_free(r);
	free(token);
}

/*
 * Direct to PostgreSQL, nothing to wait for. Behind PgBouncer, asks until
 * health answers 200, each other answer a 503 with Retry-After, for at
 * most test_recovery_s().
 */
static void
wait_recovered(void)
{
	double limit = test_recovery_s(), t0 = test_monotonic_s();
	struct http_res *r;

	while (limit > 0) {
		r = http_req("GET", "/api/health", NULL, NULL, 0);
		if (r->status == 200) {
			http_free(r);
			return;
		}
		cr_assert_eq(r->status, 503, "health after the restart: %ld %s",
		    r->status, r->body);
		cr_assert_not_null(http_header(r, "Retry-After"));
		http_free(r);
		cr_assert_lt(test_monotonic_s() - t0, limit,
		    "health still 503 %.1f s after the restart", limit);
		usleep(50 * 1000);
	}
}

/*
 * docs/API.md "Outages": the database down is 503 with Retry-After, never
 * a hang or a 500; after it comes back, requests succeed without
 * restarting anything.
 */
Test(fault, database_down_then_back)
{
	char *token, subject[37], id[37];
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "before the outage", id);

	cr_assert_eq(stack_command("db-stop"), 0);
	/* Every worker of a route holds its own connection: ask enough times to
	 * meet each, and each answers 503 (its connection is dead). */
	for (int i = 0; i < 6; i++) {
		r = http_json("GET", "/api/tasks", token, NULL);
		cr_assert_eq(r->status, 503, "got %ld %s", r->status, r->body);
		cr_assert_not_null(http_header(r, "Retry-After"));
		cr_assert_str_eq(detail(r), "Database unavailable");
		http_free(r);
	}
	r = http_req("GET", "/api/health", NULL, NULL, 0);
	cr_assert_eq(r->status, 503);
	cr_assert_str_eq(json_str(r, "status"), "degraded");
	cr_assert_str_eq(json_str(r, "database"), "unavailable");
	cr_assert_not_null(http_header(r, "Retry-After"));
	http_free(r);

	cr_assert_eq(stack_command("db-start"), 0);
	/* Behind PgBouncer, until its next server login: 503 meanwhile. */
	wait_recovered();
	/* Each worker notices its dead connection before sending and connects
	 * again: no request fails once the database is back. */
	for (int i = 0; i < 6; i++) {
		r = http_json("GET", "/api/tasks", token, NULL);
		cr_assert_eq(r->status, 200, "request %d after the restart: %ld %s",
		    i, r->status, r->body);
		http_free(r);
		r = http_req("GET", "/api/health", NULL, NULL, 0);
		cr_assert_eq(r->status, 200, "health %d after the restart: %s", i, r->body);
		http_free(r);
	}
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert(strstr(r->body, id) != NULL, "the task committed before the outage is gone");
	http_free(r);
	free(token);
}
