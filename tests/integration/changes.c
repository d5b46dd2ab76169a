/*
 * Integration: the changes feed (docs/API.md "Changes feed"), over real
 * HTTP, with real tokens, and PostgreSQL reached directly where a test
 * needs a transaction held open or tombstones aged.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "domain/sync_token.h"
#include "support/helpers.h"
#include "support/owner.h"

#define OR_EMPTY(s) ((s) != NULL ? (s) : "")
#define EXPIRED "Sync token expired; reload all tasks"
#define NEXT_MAX 128
/* The most tasks one subject of these tests holds. */
#define COPY_MAX 512

/* ---- reading the feed ------------------------------------------------- */

/* One answer of the feed, checked for its shape. */
struct page {
	struct http_res *r;
	struct json_object *tasks, *deleted;
	char next[NEXT_MAX];
	int has_more;
};

static const char *
feed_path(const char *since, long limit)
{
	static __thread char path[512];
	int n = snprintf(path, sizeof(path), "/api/tasks/changes");

	if (since != NULL)
		n += snprintf(path + n, sizeof(path) - n, "?since=%s", since);
	if (limit > 0)
		snprintf(path + n, sizeof(path) - n, "%slimit=%ld",
		    since != NULL ? "&" : "?", limit);
	return path;
}

/*
 * The answer's members, exactly four, and no id twice in it: a task
 * changed twice appears once, at its latest change, per
 * docs/API.md "Changes feed". Returns NULL when all is well, else what is
 * wrong.
 */
static const char *
page_check(struct page *p)
{
	struct json_object *o = p->r->json, *v;
	size_t nt, nd;

	if (p->r->status != 200)
		return "not 200";
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) != 4)
		return "not an object of four members";
	if (!json_object_object_get_ex(o, "tasks", &p->tasks) ||
	    !json_object_is_type(p->tasks, json_type_array) ||
	    !json_object_object_get_ex(o, "deleted", &p->deleted) ||
	    !json_object_is_type(p->deleted, json_type_array))
		return "no tasks or deleted array";
	if (!json_object_object_get_ex(o, "has_more", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return "no has_more boolean";
	p->has_more = json_object_get_boolean(v);
	if (!json_object_object_get_ex(o, "next", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0 ||
	    json_object_get_string_len(v) >= NEXT_MAX)
		return "no next string";
	snprintf(p->next, sizeof(p->next), "%s", json_object_get_string(v));
	nt = json_object_array_length(p->tasks);
	nd = json_object_array_length(p->deleted);
	for (size_t i = 0; i < nt + nd; i++) {
		struct json_object *a = i < nt ?
		    json_object_array_get_idx(p->tasks, i) :
		    json_object_array_get_idx(p->deleted, i - nt);
		const char *ida = i < nt ? obj_str(a, "id") :
		    json_object_get_string(a);

		if (ida == NULL || !is_uuid(ida))
			return "an item without a uuid";
		for (size_t k = 0; k < i; k++) {
			struct json_object *b = k < nt ?
			    json_object_array_get_idx(p->tasks, k) :
			    json_object_array_get_idx(p->deleted, k - nt);
			const char *idb = k < nt ? obj_str(b, "id") :
			    json_object_get_string(b);

			if (strcmp(ida, idb) == 0)
				return "an id twice in one answer";
		}
	}
	return NULL;
}

/* GET the feed, which must answer 200 with its shape (main thread). */
static void
page_read(struct page *p, const char *token, const char *since, long limit)
{
	const char *why;

	p->r = http_json("GET", feed_path(since, limit), token, NULL);
	why = page_check(p);
	cr_assert_null(why, "GET %s: %s: %ld %s", feed_path(since, limit),
	    why, p->r->status, p->r->body);
}

static void
page_free(struct page *p)
{
	http_free(p->r);
	p->r = NULL;
}

static size_t
page_tasks(const struct page *p)
{
	return json_object_array_length(p->tasks);
}

static size_t
page_deleted(const struct page *p)
{
	return json_object_array_length(p->deleted);
}

static const char *
page_task_id(const struct page *p, size_t i)
{
	return obj_str(json_object_array_get_idx(p->tasks, i), "id");
}

static const char *
page_deleted_id(const struct page *p, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(p->deleted, i));
}

/* A request that must be refused with status and exactly detail want. */
static void
refused(const char *path, const char *token, long status, const char *want)
{
	struct http_res *r = http_json("GET", path, token, NULL);

	cr_assert_eq(r->status, status, "GET %s: expected %ld, got %ld: %s",
	    path, status, r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(json_str(r, "detail")), want, "GET %s: %s",
	    path, r->body);
	http_free(r);
}

static char *
new_subject(char subject[37])
{
	test_uuid(subject);
	return token_for(subject);
}

static void
request_ok(const char *method, const char *path, const char *token,
    const char *body, long status)
{
	struct http_res *r = http_json(method, path, token, body);

	cr_assert_eq(r->status, status, "%s %s: %ld %s", method, path,
	    r->status, r->body);
	http_free(r);
}

/* ---- the database, as the schema's owner --------------------------- */

/* Runs sql with up to two parameters; returns the first value (static). */
static const char *
owner_run(PGconn *db, const char *sql, const char *p1, const char *p2)
{
	static __thread char value[256];
	const char *params[2] = { p1, p2 };
	PGresult *res = PQexecParams(db, sql, p2 != NULL ? 2 : p1 != NULL,
	    NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s",
	    sql, PQerrorMessage(db));
	value[0] = '\0';
	if (st == PGRES_TUPLES_OK && PQntuples(res) > 0)
		snprintf(value, sizeof(value), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return value;
}

/*
 * Waits until the feed's line has passed every change of subject: the
 * oldest transaction still running anywhere (another test's, for one)
 * holds back every user's feed (docs/API.md "Changes feed"), so a test
 * that expects exact contents first waits for the line, at most 20 s.
 */
static void
settle(const char *subject)
{
	PGconn *db = owner_connect();
	double t0 = test_monotonic_s();

	while (strcmp(owner_run(db, "SELECT COALESCE((SELECT max(x) FROM ("
	    "SELECT max(change_xid) AS x FROM tasks WHERE user_id = $1 "
	    "UNION ALL SELECT max(change_xid) FROM task_tombstones "
	    "WHERE user_id = $1) m) < pg_snapshot_xmin(pg_current_snapshot()), "
	    "true)::text", subject, NULL), "true") != 0) {
		cr_assert_lt(test_monotonic_s() - t0, 20, "the line stays behind");
		usleep(20000);
	}
	PQfinish(db);
}

/* ---- what the feed delivers, in order ------------------------------ */

Test(changes, without_since_every_change_once_in_order)
{
	char subject[37], a[37], b[37], c[37];
	char *token = new_subject(subject);
	struct page p;

	create_task(token, "a", a);
	create_task(token, "b", b);
	create_task(token, "c", c);
	/* a edited, then b toggled, then c deleted: that order, each once. */
	request_ok("PATCH", task_path(a, ""), token, "{\"title\":\"a2\"}", 200);
	request_ok("PATCH", task_path(b, "/complete"), token, NULL, 200);
	request_ok("DELETE", task_path(c, ""), token, NULL, 204);
	settle(subject);
	page_read(&p, token, NULL, 0);
	cr_assert_eq(page_tasks(&p), 2, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 0), a, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 1), b, "%s", p.r->body);
	cr_assert_str_eq(OR_EMPTY(obj_str(json_object_array_get_idx(p.tasks, 0),
	    "title")), "a2");
	cr_assert(json_object_get_boolean(json_object_object_get(
	    json_object_array_get_idx(p.tasks, 1), "is_completed")));
	cr_assert_eq(page_deleted(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_deleted_id(&p, 0), c);
	cr_assert_not(p.has_more);
	/* Every task as GET /api/tasks/{id} shows it: the same seven fields. */
	for (size_t i = 0; i < page_tasks(&p); i++) {
		struct http_res *g = http_json("GET", task_path(page_task_id(&p, i),
		    ""), token, NULL);

		cr_assert(json_object_equal(g->json, json_object_array_get_idx(
		    p.tasks, i)), "%s vs %s", g->body, p.r->body);
		http_free(g);
	}
	page_free(&p);
	free(token);
}

Test(changes, since_gives_only_what_came_after)
{
	char subject[37], a[37], b[37], next[NEXT_MAX];
	char *token = new_subject(subject);
	struct page p;

	/* A user with nothing yet: an empty answer, and a token all the same. */
	page_read(&p, token, NULL, 0);
	cr_assert_eq(page_tasks(&p) + page_deleted(&p), 0, "%s", p.r->body);
	snprintf(next, sizeof(next), "%s", p.next);
	page_free(&p);
	create_task(token, "a", a);
	settle(subject);
	page_read(&p, token, next, 0);
	cr_assert_eq(page_tasks(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 0), a);
	snprintf(next, sizeof(next), "%s", p.next);
	page_free(&p);
	/* Nothing new: nothing, and a token that still reads on from there. */
	page_read(&p, token, next, 0);
	cr_assert_eq(page_tasks(&p) + page_deleted(&p), 0, "%s", p.r->body);
	cr_assert_not(p.has_more);
	snprintf(next, sizeof(next), "%s", p.next);
	page_free(&p);
	create_task(token, "b", b);
	request_ok("DELETE", task_path(a, ""), token, NULL, 204);
	settle(subject);
	page_read(&p, token, next, 0);
	cr_assert_eq(page_tasks(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 0), b);
	cr_assert_eq(page_deleted(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_deleted_id(&p, 0), a);
	page_free(&p);
	free(token);
}

Test(changes, pages_with_has_more_and_small_limits)
{
	char subject[37], ids[7][37], seen[7][37], since[NEXT_MAX] = "";
	char *token = new_subject(subject);
	size_t got = 0, sizes[4], pages = 0;
	struct page p;

	for (int i = 0; i < 7; i++)
		create_task(token, "paged", ids[i]);
	settle(subject);
	do {
		cr_assert_lt(pages, 4, "more pages than 7 tasks in threes need");
		page_read(&p, token, since[0] != '\0' ? since : NULL, 3);
		sizes[pages++] = page_tasks(&p);
		for (size_t i = 0; i < page_tasks(&p); i++) {
			cr_assert_lt(got, 7, "%s", p.r->body);
			snprintf(seen[got++], 37, "%s", page_task_id(&p, i));
		}
		cr_assert_eq(p.has_more, got < 7, "has_more after %zu: %s", got,
		    p.r->body);
		snprintf(since, sizeof(since), "%s", p.next);
		page_free(&p);
	} while (got < 7);
	cr_assert_eq(pages, 3);
	cr_assert(sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1);
	/* In the order they were made, none twice, none skipped. */
	for (int i = 0; i < 7; i++)
		cr_assert_str_eq(seen[i], ids[i], "position %d", i);
	/* Exactly limit left: all of them, and nothing more to come. */
	page_read(&p, token, NULL, 7);
	cr_assert_eq(page_tasks(&p), 7, "%s", p.r->body);
	cr_assert_not(p.has_more, "%s", p.r->body);
	page_free(&p);
	free(token);
}

/* A description of 10,000 characters: about 10 kB of JSON a task. */
static void
create_large(const char *token, char id[37])
{
	char *body = str_repeat("{\"title\":\"large\",\"description\":\"", "d",
	    10000, "\"}");
	struct http_res *r = http_json("POST", "/api/tasks", token, body);

	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	snprintf(id, 37, "%s", OR_EMPTY(json_str(r, "id")));
	http_free(r);
	free(body);
}

Test(changes, a_page_cut_by_list_max_bytes_goes_on_after_its_last_task,
    .timeout = 120)
{
	char subject[37], ids[110][37];
	char *token = new_subject(subject);
	struct page p;
	size_t first;

	/* 110 tasks of 10 kB are more than LIST_MAX_BYTES (1 MiB) holds. */
	for (int i = 0; i < 110; i++)
		create_large(token, ids[i]);
	settle(subject);
	page_read(&p, token, NULL, 1000);
	first = page_tasks(&p);
	cr_assert(first > 1 && first < 110, "%zu tasks in the first page", first);
	cr_assert(p.r->body_len <= 1048576, "%zu bytes", p.r->body_len);
	cr_assert(p.has_more, "a cut page has has_more");
	for (size_t i = 0; i < first; i++)
		cr_assert_str_eq(page_task_id(&p, i), ids[i]);
	{
		char since[NEXT_MAX];

		snprintf(since, sizeof(since), "%s", p.next);
		page_free(&p);
		page_read(&p, token, since, 1000);
	}
	cr_assert_eq(page_tasks(&p), 110 - first, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 0), ids[first]);
	cr_assert_not(p.has_more);
	page_free(&p);
	free(token);
}

/* ---- refusals ------------------------------------------------------- */

/* The answer's token with its issue time or cluster changed, as text. */
static void
forged(const char *next, int64_t issued_by, uint64_t cluster_xor,
    char out[SYNC_TOKEN_TEXT])
{
	struct sync_token t;

	cr_assert_eq(sync_token_decode(next, &t), 0, "%s", next);
	t.issued += issued_by;
	t.cluster ^= cluster_xor;
	sync_token_encode(&t, out);
}

Test(changes, bad_limit_and_since_are_422)
{
	static const char *const limits[] = { "0", "1001", "abc", "", "-1",
	    "10&limit=10", "1%00" };
	static const char lim[] = "limit must be one integer from 1 to 1000";
	static const char sin[] = "since must be the next token of an earlier answer";
	char subject[37], path[512];
	char *token = new_subject(subject);
	struct page p;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		snprintf(path, sizeof(path), "/api/tasks/changes?limit=%s", limits[i]);
		refused(path, token, 422, lim);
	}
	refused("/api/tasks/changes?since=", token, 422, sin);
	refused("/api/tasks/changes?since=abc", token, 422, sin);
	refused("/api/tasks/changes?since=%ZZ", token, 422, sin);
	page_read(&p, token, NULL, 0);
	/* A real token twice, cut short, one character longer, or changed. */
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%s&since=%s",
	    p.next, p.next);
	refused(path, token, 422, sin);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%.*s",
	    (int)strlen(p.next) - 1, p.next);
	refused(path, token, 422, sin);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%sA", p.next);
	refused(path, token, 422, sin);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=B%s", p.next + 1);
	refused(path, token, 422, sin);
	/* since is checked before limit, and limit before the token's age. */
	refused("/api/tasks/changes?since=abc&limit=0", token, 422, sin);
	{
		char old[SYNC_TOKEN_TEXT];

		forged(p.next, -2592000 - 120, 0, old);
		snprintf(path, sizeof(path), "/api/tasks/changes?since=%s&limit=0",
		    old);
		refused(path, token, 422, lim);
	}
	page_free(&p);
	free(token);
}

Test(changes, another_users_token_is_422)
{
	char ada[37], bob[37], next[NEXT_MAX], path[512];
	char *ta = new_subject(ada), *tb = new_subject(bob);
	struct page p;

	page_read(&p, ta, NULL, 0);
	snprintf(next, sizeof(next), "%s", p.next);
	page_free(&p);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%s", next);
	refused(path, tb, 422, "since belongs to another user");
	page_read(&p, ta, next, 0);
	page_free(&p);
	free(ta);
	free(tb);
}

Test(changes, a_token_older_than_the_retention_or_of_another_cluster_is_410)
{
	char subject[37], a[37], path[512], tok[SYNC_TOKEN_TEXT];
	char *token = new_subject(subject);
	struct page p;

	create_task(token, "a", a);
	settle(subject);
	page_read(&p, token, NULL, 0);
	/* SYNC_RETENTION_SECONDS is 2592000 (30 days) by default. */
	forged(p.next, -2592000 - 120, 0, tok);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%s", tok);
	refused(path, token, 410, EXPIRED);
	/* A day old is still good, and its answer's next is fresh. */
	forged(p.next, -86400, 0, tok);
	page_free(&p);
	page_read(&p, token, tok, 0);
	cr_assert_eq(page_tasks(&p) + page_deleted(&p), 0, "%s", p.r->body);
	{
		struct sync_token t;

		cr_assert_eq(sync_token_decode(p.next, &t), 0);
		cr_assert_geq(t.issued, (int64_t)time(NULL) - 60);
	}
	/* A token of another cluster (a restored dump, a new primary). */
	forged(p.next, 0, 1, tok);
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%s", tok);
	refused(path, token, 410, EXPIRED);
	page_free(&p);
	free(token);
}

/*
 * docs/API.md "Changes feed": a tombstone is kept for SYNC_RETENTION_SECONDS,
 * which every delete hands to the pruning (task_delete's last parameter;
 * sql/018_tombstone_prune_plan.sql reads it inside the pruning query). One
 * aged 29 days outlives the route's delete at the default 30 days, and goes
 * with a delete given 28. The tests that age tombstones or prune them by a
 * short retention run one at a time (owner_tombstones_lock), so none
 * prunes this one meanwhile.
 */
Test(changes, a_delete_prunes_by_the_retention_it_is_given)
{
	char subject[37], a[37], b[37], c[37];
	char *token = new_subject(subject);
	PGconn *db = owner_tombstones_lock();
	const char *count = "SELECT count(*) FROM task_tombstones "
	    "WHERE user_id = $1 AND id = $2";

	create_task(token, "a", a);
	create_task(token, "b", b);
	create_task(token, "c", c);
	request_ok("DELETE", task_path(a, ""), token, NULL, 204);
	owner_run(db, "UPDATE task_tombstones SET deleted_at = now() - "
	    "interval '29 days' WHERE user_id = $1 AND id = $2", subject, a);
	request_ok("DELETE", task_path(b, ""), token, NULL, 204);
	cr_assert_str_eq(owner_run(db, count, subject, a), "1",
	    "a delete at the default 30 days pruned a 29-day-old tombstone");
	cr_assert_str_eq(owner_run(db, "SELECT count(*) FROM task_delete("
	    "$1::uuid, $2, NULL, 2419200)", c, subject), "1");
	cr_assert_str_eq(owner_run(db, count, subject, a), "0",
	    "a delete given 28 days kept a 29-day-old tombstone");
	cr_assert_str_eq(owner_run(db, count, subject, b), "1");
	cr_assert_str_eq(owner_run(db, count, subject, c), "1");
	PQfinish(db);
	free(token);
}

/*
 * docs/API.md "Changes feed": a deletion whose tombstone was pruned turns
 * every token from before it into 410, however young. The tombstones are
 * aged by hand, and the next delete prunes them (sql/006_task_versions.sql),
 * under the tombstones' test lock (owner_tombstones_lock).
 */
Test(changes, a_token_from_before_a_pruned_deletion_is_410)
{
	char subject[37], a[37], b[37], c[37], before[NEXT_MAX], path[512];
	char *token = new_subject(subject);
	PGconn *db = owner_tombstones_lock();
	struct page p;

	create_task(token, "a", a);
	create_task(token, "b", b);
	create_task(token, "c", c);
	settle(subject);
	page_read(&p, token, NULL, 0);
	snprintf(before, sizeof(before), "%s", p.next);
	page_free(&p);
	request_ok("DELETE", task_path(a, ""), token, NULL, 204);
	owner_run(db, "UPDATE task_tombstones SET deleted_at = "
	    "'2000-01-01T00:00:00Z' WHERE user_id = $1 AND id = $2", subject, a);
	/* b's delete prunes a's tombstone, the oldest there is. */
	request_ok("DELETE", task_path(b, ""), token, NULL, 204);
	cr_assert_str_eq(owner_run(db, "SELECT count(*) FROM task_tombstones "
	    "WHERE user_id = $1 AND id = $2", subject, a), "0");
	cr_assert_str_neq(owner_run(db, "SELECT pruned_xid::text FROM "
	    "sync_horizons WHERE user_id = $1", subject, NULL), "");
	snprintf(path, sizeof(path), "/api/tasks/changes?since=%s", before);
	refused(path, token, 410, EXPIRED);
	/* Read from the start again: everything there is, and b deleted. */
	settle(subject);
	page_read(&p, token, NULL, 0);
	cr_assert_eq(page_tasks(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_task_id(&p, 0), c);
	cr_assert_eq(page_deleted(&p), 1, "%s", p.r->body);
	cr_assert_str_eq(page_deleted_id(&p, 0), b);
	snprintf(before, sizeof(before), "%s", p.next);
	page_free(&p);
	/* A token from after the horizon reads on. */
	page_read(&p, token, before, 0);
	page_free(&p);
	PQfinish(db);
	free(token);
}

/* ---- a transaction that commits late -------------------------------- */

/* Reads from *since until has_more is false; the ids of tasks, in order. */
static size_t
read_to_end(const char *token, char since[NEXT_MAX], char ids[][37],
    size_t max)
{
	size_t n = 0;
	struct page p;

	do {
		page_read(&p, token, since[0] != '\0' ? since : NULL, 2);
		for (size_t i = 0; i < page_tasks(&p); i++) {
			cr_assert_lt(n, max);
			snprintf(ids[n++], 37, "%s", page_task_id(&p, i));
		}
		snprintf(since, NEXT_MAX, "%s", p.next);
		page_free(&p);
	} while (p.has_more);
	return n;
}

static int
listed(char ids[][37], size_t n, const char *id)
{
	int times = 0;

	for (size_t i = 0; i < n; i++)
		times += strcmp(ids[i], id) == 0;
	return times;
}

/*
 * The hard case of docs/API.md "Changes feed": a transaction takes its
 * xid, later ones commit first, and the reader reads to the end before it
 * commits. Ordering by xid alone, the reader would pass its xid with the
 * later ones and never see its change.
 */
Test(changes, a_change_committed_late_is_not_skipped, .timeout = 60)
{
	char subject[37], x[37], later[3][37], since[NEXT_MAX] = "", ids[16][37];
	char *token = new_subject(subject);
	PGconn *db = owner_connect();
	uint64_t held;
	struct sync_token pos;
	size_t n;
	double t0;

	create_task(token, "x", x);
	settle(subject);
	read_to_end(token, since, ids, 16);
	owner_run(db, "BEGIN", NULL, NULL);
	held = strtoull(owner_run(db, "UPDATE tasks SET title = 'held' "
	    "WHERE id = $1 RETURNING change_xid::text", x, NULL), NULL, 10);
	cr_assert_neq(held, 0);
	for (int i = 0; i < 3; i++)
		create_task(token, "later", later[i]);
	n = read_to_end(token, since, ids, 16);
	cr_assert_eq(listed(ids, n, x), 0, "an uncommitted change was read");
	/* The reader has not gone past the open transaction. */
	cr_assert_eq(sync_token_decode(since, &pos), 0);
	cr_assert_lt(pos.xid, held, "next is at xid %" PRIu64 ", past the open "
	    "%" PRIu64, pos.xid, held);
	owner_run(db, "COMMIT", NULL, NULL);
	/* Now it comes, with the later ones, each once (other tests' short
	 * transactions may hold the line back a moment). */
	t0 = test_monotonic_s();
	n = 0;
	while (listed(ids, n, x) == 0 && test_monotonic_s() - t0 < 20) {
		size_t more = read_to_end(token, since, ids + n, 16 - n);

		if (more == 0)
			usleep(50000);
		n += more;
	}
	cr_assert_eq(listed(ids, n, x), 1, "the late change never came");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(listed(ids, n, later[i]), 1, "later %d", i);
	{
		struct http_res *g = http_json("GET", task_path(x, ""), token, NULL);

		cr_assert_str_eq(OR_EMPTY(json_str(g, "title")), "held");
		http_free(g);
	}
	PQfinish(db);
	free(token);
}

/*
 * docs/API.md "Why the feed misses nothing": a dump restored into another
 * cluster. A row whose change_xid is far ahead of this cluster's counter,
 * as a restored one is, stays out of the feed until sql/migrate's
 * task_changes_rebase() moves it to a transaction of this cluster.
 */
Test(changes, a_restored_change_comes_after_the_rebase, .timeout = 60)
{
	char subject[37], a[37], since[NEXT_MAX] = "", ids[16][37], restored[37];
	char *token = new_subject(subject);
	PGconn *db = owner_connect();
	size_t n;
	double t0;

	create_task(token, "a", a);
	settle(subject);
	read_to_end(token, since, ids, 16);
	snprintf(restored, sizeof(restored), "%s", owner_run(db,
	    "INSERT INTO tasks (id, user_id, title, change_xid) VALUES "
	    "(gen_random_uuid(), $1, 'restored', ((pg_current_xact_id()::text)"
	    "::bigint + 1000000000)::text::xid8) RETURNING id::text", subject,
	    NULL));
	n = read_to_end(token, since, ids, 16);
	cr_assert_eq(listed(ids, n, restored), 0, "ahead of the line, read");
	cr_assert_neq(strtol(owner_run(db, "SELECT task_changes_rebase()", NULL,
	    NULL), NULL, 10), 0);
	t0 = test_monotonic_s();
	n = 0;
	while (listed(ids, n, restored) == 0 && test_monotonic_s() - t0 < 20) {
		size_t more = read_to_end(token, since, ids + n, 16 - n);

		if (more == 0)
			usleep(50000);
		n += more;
	}
	cr_assert_eq(listed(ids, n, restored), 1, "the restored task never came");
	PQfinish(db);
	free(token);
}

/* ---- a copy kept by the feed under concurrent writers --------------- */

#define WRITERS 4
#define WRITER_OPS 25
#define WRITER_LIVE 6

struct writer {
	const char *token;
	unsigned seed;
	int index;
	char live[WRITER_LIVE][37];
	int nlive;
	char failure[256];
};

/* One request of a writer: its status, or -1 with the failure noted. */
static int
writer_request(struct writer *w, const char *method, const char *path,
    const char *body, long want, char id_out[37])
{
	struct http_res *r = http_json(method, path, w->token, body);
	int ok = r->status == want;

	if (!ok && w->failure[0] == '\0')
		snprintf(w->failure, sizeof(w->failure), "%s %s: %ld %.100s",
		    method, path, r->status, r->body);
	if (ok && id_out != NULL)
		snprintf(id_out, 37, "%s", OR_EMPTY(json_str(r, "id")));
	http_free(r);
	return ok ? 0 : -1;
}

static void
writer_step(struct writer *w, int op)
{
	char body[96];
	int k = w->nlive > 0 ? (int)(rand_r(&w->seed) % (unsigned)w->nlive) : 0;
	int choice = w->nlive == 0 ? 0 :
	    w->nlive == WRITER_LIVE ? 1 + (int)(rand_r(&w->seed) % 3) :
	    (int)(rand_r(&w->seed) % 4);

	snprintf(body, sizeof(body), "{\"title\":\"w%d op%d\"}", w->index, op);
	if (choice == 0 && writer_request(w, "POST", "/api/tasks", body, 201,
	    w->live[w->nlive]) == 0)
		w->nlive++;
	else if (choice == 1)
		(void)writer_request(w, "PATCH", task_path(w->live[k], ""), body,
		    200, NULL);
	else if (choice == 2)
		(void)writer_request(w, "PATCH", task_path(w->live[k], "/complete"),
		    NULL, 200, NULL);
	else if (choice == 3 && writer_request(w, "DELETE",
	    task_path(w->live[k], ""), NULL, 204, NULL) == 0)
		memcpy(w->live[k], w->live[--w->nlive], 37);
}

static void *
writer_thread(void *arg)
{
	struct writer *w = arg;

	for (int op = 0; op < WRITER_OPS && w->failure[0] == '\0'; op++)
		writer_step(w, op);
	return NULL;
}

/* The reader's copy: task objects by id, as the feed delivered them. */
struct copy {
	const char *token;
	char since[NEXT_MAX];
	char ids[COPY_MAX][37];
	struct json_object *tasks[COPY_MAX];
	int n;
	volatile int writers_done;
	unsigned seed;
	char failure[256];
};

static int
copy_find(const struct copy *c, const char *id)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->ids[i], id) == 0)
			return i;
	return -1;
}

static void
copy_apply(struct copy *c, const struct page *p)
{
	for (size_t i = 0; i < page_tasks(p); i++) {
		struct json_object *t = json_object_array_get_idx(p->tasks, i);
		const char *id = page_task_id(p, i);
		int k = copy_find(c, id);

		if (k < 0 && c->n < COPY_MAX) {
			k = c->n++;
			snprintf(c->ids[k], 37, "%s", id);
		} else if (k >= 0)
			json_object_put(c->tasks[k]);
		if (k >= 0)
			c->tasks[k] = json_object_get(t);
	}
	for (size_t i = 0; i < page_deleted(p); i++) {
		int k = copy_find(c, page_deleted_id(p, i));

		if (k < 0)
			continue;
		json_object_put(c->tasks[k]);
		c->n--;
		memcpy(c->ids[k], c->ids[c->n], 37);
		c->tasks[k] = c->tasks[c->n];
	}
}

/* One read into the copy: its has_more, or -1 with the failure noted. */
static int
copy_read(struct copy *c)
{
	long limit = 1 + (long)(rand_r(&c->seed) % 20);
	struct page p = { .r = NULL };
	const char *why;

	p.r = http_json("GET", feed_path(c->since[0] != '\0' ? c->since : NULL,
	    limit), c->token, NULL);
	if ((why = page_check(&p)) != NULL) {
		snprintf(c->failure, sizeof(c->failure), "%s: %ld %.100s", why,
		    p.r->status, p.r->body);
		page_free(&p);
		return -1;
	}
	copy_apply(c, &p);
	snprintf(c->since, sizeof(c->since), "%s", p.next);
	page_free(&p);
	return p.has_more;
}

static void *
reader_thread(void *arg)
{
	struct copy *c = arg;

	while (!c->writers_done && copy_read(c) >= 0)
		usleep(1000);
	return NULL;
}

/* Whether field of the copy's task t is the database's value v (NULL: null). */
static int
copy_field_is(struct json_object *t, const char *field, const char *v)
{
	struct json_object *f;

	if (!json_object_object_get_ex(t, field, &f))
		return 0;
	if (v == NULL)
		return f == NULL;
	if (json_object_is_type(f, json_type_boolean))
		return json_object_get_boolean(f) == (v[0] == 't');
	return f != NULL && strcmp(json_object_get_string(f), v) == 0;
}

/* Whether the copy holds exactly the subject's rows in the database. */
static int
copy_equals_server(const struct copy *c, PGconn *db, const char *subject,
    char *why, size_t len)
{
	static const char *const fields[] = { "id", "title", "description",
	    "is_completed", "updated_at" };
	const char *params[1] = { subject };
	PGresult *res = PQexecParams(db, "SELECT id::text, title, description, "
	    "is_completed::text, to_char(updated_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM tasks WHERE user_id = $1",
	    1, NULL, params, NULL, NULL, 0);
	int n, same;

	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(db));
	n = PQntuples(res);
	same = n == c->n;
	snprintf(why, len, "copy has %d tasks, the database %d", c->n, n);
	for (int row = 0; same && row < n; row++) {
		int k = copy_find(c, PQgetvalue(res, row, 0));

		same = k >= 0;
		for (int f = 0; same && f < 5; f++)
			same = copy_field_is(c->tasks[k], fields[f],
			    PQgetisnull(res, row, f) ? NULL : PQgetvalue(res, row, f));
		if (!same)
			snprintf(why, len, "task %s (\"%s\") differs", PQgetvalue(res,
			    row, 0), PQgetvalue(res, row, 1));
	}
	PQclear(res);
	return same;
}

/*
 * Rounds: TASKAPI_TEST_CHANGES_ROUNDS, else 20 (about 3 s), or 2 when the
 * workers run under valgrind, some 20 times slower.
 */
static int
changes_rounds(void)
{
	const char *s = getenv("TASKAPI_TEST_CHANGES_ROUNDS");

	if (s != NULL && atoi(s) > 0)
		return atoi(s);
	return getenv("WORKER_WRAPPER") != NULL ? 2 : 20;
}

static void
one_round(int round)
{
	char subject[37], why[512];
	struct writer w[WRITERS];
	struct copy *c = calloc(1, sizeof(*c));
	pthread_t wt[WRITERS], rt;
	char *token = new_subject(subject);
	PGconn *db = owner_connect();
	double t0;
	int has_more = 1;

	cr_assert_not_null(c);
	*c = (struct copy){ .token = token, .seed = (unsigned)round * 7919u };
	cr_assert_eq(pthread_create(&rt, NULL, reader_thread, c), 0);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .token = token, .index = i,
		    .seed = (unsigned)(round * WRITERS + i + 1) };
		cr_assert_eq(pthread_create(&wt[i], NULL, writer_thread, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(wt[i], NULL);
	c->writers_done = 1;
	pthread_join(rt, NULL);
	cr_assert_eq(c->failure[0], '\0', "round %d reader: %s", round, c->failure);
	for (int i = 0; i < WRITERS; i++)
		cr_assert_eq(w[i].failure[0], '\0', "round %d writer %d: %s", round,
		    i, w[i].failure);
	/* Every write has committed; the feed catches up (other tests'
	 * transactions may hold its line back a moment), and then the copy
	 * is the server's. */
	t0 = test_monotonic_s();
	while (has_more > 0 || !copy_equals_server(c, db, subject, why,
	    sizeof(why))) {
		cr_assert_lt(test_monotonic_s() - t0, 30, "round %d: %s", round, why);
		has_more = copy_read(c);
		cr_assert_geq(has_more, 0, "round %d: %s", round, c->failure);
		if (has_more == 0)
			usleep(20000);
	}
	for (int i = 0; i < c->n; i++)
		json_object_put(c->tasks[i]);
	PQfinish(db);
	free(c);
	free(token);
}

Test(changes, a_copy_replayed_under_four_writers_equals_the_server,
    .timeout = 300)
{
	int rounds = changes_rounds();

	for (int round = 0; round < rounds; round++)
		one_round(round);
}

/* ---- the route ------------------------------------------------------- */

/* Not task_item's "changes" id: the feed's program answers, nginx or Apache. */
Test(changes, the_route_is_its_own_program)
{
	char subject[37];
	char *token = new_subject(subject);
	struct http_res *r;

	r = http_json("PUT", "/api/tasks/changes", token, "{\"title\":\"x\"}");
	cr_assert_eq(r->status, 405, "%ld %s", r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "Allow")), "GET, OPTIONS");
	http_free(r);
	r = http_json("GET", "/api/tasks/changes", NULL, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	http_free(r);
	r = http_json("GET", "/api/tasks/changes/x", token, NULL);
	cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
	http_free(r);
	free(token);
}
