/*
 * Integration: the list's sort orders and search,
 * docs/API.md "Sorting and search"; cursor paging with Link,
 * docs/API.md "Cursor paging"; the list's ETag and 304,
 * docs/API.md "ETags and preconditions". Through the
 * real web server, programs and PostgreSQL; rows in bulk are written as
 * the schema's owner (tests/run: TASKAPI_TEST_DB), as another client would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"

/* The rounds of writes another client makes during one walk, at most. */
#define LP_FREE_ROUNDS 200

/* The most ids a walk collects. */
#define LP_IDS_MAX 12000

struct lp_ids {
	size_t n;
	char (*id)[37];
};

/* Runs sql as the schema's owner with text parameters; returns its rows. */
static PGresult *
lp_owner(const char *sql, int n, const char *const *params)
{
	const char *info = getenv("TASKAPI_TEST_DB");
	PGconn *conn;
	PGresult *res;

	cr_assert_not_null(info, "TASKAPI_TEST_DB is not set: make test");
	conn = PQconnectdb(info);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	PQfinish(conn);
	return res;
}

/* A subject with a users row (made by its first task, then deleted). */
static char *
lp_subject(char subject[37])
{
	char *token, id[37];
	struct http_res *r;
	char path[64];

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "first", id);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("DELETE", path, token, NULL);
	cr_assert_eq(r->status, 204);
	http_free(r);
	return token;
}

/* GET path with token and, when not NULL, If-None-Match. */
static struct http_res *
lp_get(const char *token, const char *path, const char *inm)
{
	char auth[4096], cond[256];
	const char *headers[3] = { auth, NULL, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (inm != NULL) {
		snprintf(cond, sizeof(cond), "If-None-Match: %s", inm);
		headers[1] = cond;
	}
	return http_req("GET", path, headers, NULL, 0);
}

/*
 * The path of a Link: rel="next" into out, or NULL when there is none;
 * read from the raw headers, as the longest Link is near 4 KB.
 */
static const char *
lp_next(const struct http_res *r, char *out, size_t len)
{
	const char *link = strcasestr(r->headers, "\nLink: ");
	const char *end;

	if (link == NULL)
		return NULL;
	link += 7;
	cr_assert(link[0] == '<', "Link: %.80s", link);
	end = strchr(link, '>');
	cr_assert_not_null(end, "Link: %.80s", link);
	cr_assert_eq(strncmp(end, ">; rel=\"next\"", 13), 0, "%.40s", end);
	cr_assert(end[13] == '\r' || end[13] == '\n', "%.40s", end);
	cr_assert_lt((size_t)(end - link - 1), len);
	memcpy(out, link + 1, (size_t)(end - link - 1));
	out[end - link - 1] = '\0';
	return out;
}

/* Appends the ids of a 200 list answer to ids; returns how many. */
static size_t
lp_collect(const struct http_res *r, struct lp_ids *ids)
{
	size_t n;

	cr_assert_eq(r->status, 200, "%ld: %s", r->status, r->body);
	cr_assert(json_object_is_type(r->json, json_type_array));
	n = json_object_array_length(r->json);
	for (size_t i = 0; i < n; i++) {
		cr_assert_lt(ids->n, (size_t)LP_IDS_MAX);
		snprintf(ids->id[ids->n++], 37, "%s",
		    obj_str(json_object_array_get_idx(r->json, i), "id"));
	}
	return n;
}

/* Follows Link from path to the last page; between runs after each page. */
static void
lp_walk(const char *token, const char *path, struct lp_ids *ids,
    void (*between)(void *), void *arg)
{
	static char next[16384];
	struct http_res *r = lp_get(token, path, NULL);

	for (;;) {
		lp_collect(r, ids);
		if (lp_next(r, next, sizeof(next)) == NULL)
			break;
		http_free(r);
		if (between != NULL)
			between(arg);
		r = lp_get(token, next, NULL);
	}
	http_free(r);
}

static void
lp_ids_init(struct lp_ids *ids)
{
	ids->n = 0;
	cr_assert_not_null(ids->id = calloc(LP_IDS_MAX, 37));
}

/* ---- sort orders ------------------------------------------------------ */

/*
 * Nine tasks with ties on every key: ids share a random prefix and differ
 * in their last digit, so their order is known here.
 */
static const struct {
	int digit;
	const char *title, *created, *updated;
} lp_rows[] = {
	{ 3, "b", "2026-01-01 00:00:00.000002Z", "2026-03-01 00:00:00.000001Z" },
	{ 7, "B", "2026-01-01 00:00:00.000001Z", "2026-03-01 00:00:00.000001Z" },
	{ 1, "b", "2026-01-01 00:00:00.000002Z", "2026-03-01 00:00:00.000003Z" },
	{ 9, "\xc3\xa9", "2026-01-01 00:00:00.000003Z", "2026-03-01 00:00:00.000002Z" },
	{ 5, "a", "2026-01-01 00:00:00.000001Z", "2026-03-01 00:00:00.000002Z" },
	{ 2, "B", "2026-01-01 00:00:00.000002Z", "2026-03-01 00:00:00.000001Z" },
	{ 8, "a", "2026-01-01 00:00:00.000003Z", "2026-03-01 00:00:00.000003Z" },
	{ 4, "\xc3\xa9", "2026-01-01 00:00:00.000001Z", "2026-03-01 00:00:00.000003Z" },
	{ 6, "b", "2026-01-01 00:00:00.000003Z", "2026-03-01 00:00:00.000002Z" },
};
#define LP_ROWS (sizeof(lp_rows) / sizeof(lp_rows[0]))

/*
 * The expected digits, in order, of each sort (keys compared by byte, as
 * titles sort by code point; ties by id in the same direction).
 */
static const struct {
	const char *sort;
	const char *digits;
} lp_orders[] = {
	{ "created_at", "457123689" },
	{ "-created_at", "986321754" },
	{ "updated_at", "237569148" },
	{ "-updated_at", "841965732" },
	{ "title", "27581364" "9" },
	{ "-title", "9" "46318572" },
};

/* Inserts lp_rows for subject; prefix gets the ids' shared start. */
static void
lp_insert_rows(const char *subject, char prefix[25])
{
	char uuid[37], id[37];
	const char *params[5];

	test_uuid(uuid);
	memcpy(prefix, uuid, 24);
	prefix[24] = '\0';
	for (size_t i = 0; i < LP_ROWS; i++) {
		snprintf(id, sizeof(id), "%s00000000000%d", prefix, lp_rows[i].digit);
		params[0] = id;
		params[1] = subject;
		params[2] = lp_rows[i].title;
		params[3] = lp_rows[i].created;
		params[4] = lp_rows[i].updated;
		PQclear(lp_owner("INSERT INTO tasks (id, user_id, title, created_at,"
		    " updated_at) VALUES ($1, $2, $3, $4, $5)", 5, params));
	}
}

/* The ids' last digits, in the order listed. */
static void
lp_digits(const struct lp_ids *ids, char *out)
{
	for (size_t i = 0; i < ids->n; i++)
		out[i] = ids->id[i][35];
	out[ids->n] = '\0';
}

Test(list_paging, every_sort_orders_with_ties_by_id_in_the_same_direction)
{
	char subject[37], prefix[25], path[128], got[LP_ROWS + 1];
	char *token = lp_subject(subject);
	struct lp_ids ids;

	lp_ids_init(&ids);
	lp_insert_rows(subject, prefix);
	for (size_t i = 0; i < sizeof(lp_orders) / sizeof(lp_orders[0]); i++) {
		/* One page, and pages of one task through the cursor. */
		for (int limit = 1000; limit >= 1; limit = limit == 1000 ? 2 : limit - 1) {
			ids.n = 0;
			snprintf(path, sizeof(path), "/api/tasks?sort=%s&limit=%d",
			    lp_orders[i].sort, limit);
			lp_walk(token, path, &ids, NULL, NULL);
			lp_digits(&ids, got);
			cr_expect_str_eq(got, lp_orders[i].digits, "%s", path);
		}
	}
	free(ids.id);
	free(token);
}

Test(list_paging, a_bad_sort_is_422_naming_the_values)
{
	static const char *const bad[] = {
		"?sort=", "?sort=asc", "?sort=Title", "?sort=title&sort=title",
		"?sort=%2Btitle", "?sort=--title", "?sort=id", "?sort=title%00",
	};
	char subject[37], path[64];
	char *token = lp_subject(subject);
	struct http_res *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/tasks%s", bad[i]);
		r = lp_get(token, path, NULL);
		cr_expect_eq(r->status, 422, "%s: %ld", path, r->status);
		cr_expect_str_eq(detail(r), "sort must be one of created_at, "
		    "-created_at, updated_at, -updated_at, title, -title");
		http_free(r);
	}
	free(token);
}

/* ---- search ----------------------------------------------------------- */

/* The titles q finds, sorted by title, joined with "|". */
static void
lp_search(const char *token, const char *q, char *out, size_t len)
{
	char path[1024];
	struct http_res *r;
	size_t n;

	snprintf(path, sizeof(path), "/api/tasks?sort=title&q=%s", q);
	r = lp_get(token, path, NULL);
	cr_assert_eq(r->status, 200, "%s: %ld %s", q, r->status, r->body);
	out[0] = '\0';
	n = json_object_array_length(r->json);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    i > 0 ? "|" : "", obj_str(json_object_array_get_idx(r->json, i),
		    "title"));
	/* X-Total-Count is the count of the matches. */
	cr_expect_eq(atol(http_header(r, "X-Total-Count")), (long)n, "%s", q);
	http_free(r);
}

Test(list_paging, q_matches_literally_and_without_regard_to_case)
{
	static const char *const titles[] = {
		"100% sure", "100 percent", "a_b", "axb", "back\\\\slash",
		"backslash", "\xf0\x9f\x8e\x89 party", "party", "\xc3\x89" "cole",
		"\xc3\xa9" "cole", "\xc3\x89" "COLE", "e\xcc\x81", "CAF\xc3\x89",
		"plain",
	};
	char subject[37], id[37], body[256], got[512];
	char *token = lp_subject(subject);
	struct http_res *r;

	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		create_task(token, titles[i], id);
	snprintf(body, sizeof(body), "{\"title\": \"t\", \"description\": "
	    "\"a Needle in it\"}");
	r = http_json("POST", "/api/tasks", token, body);
	cr_assert_eq(r->status, 201);
	http_free(r);
	lp_search(token, "%25", got, sizeof(got));
	cr_expect_str_eq(got, "100% sure");
	lp_search(token, "_", got, sizeof(got));
	cr_expect_str_eq(got, "a_b");
	lp_search(token, "%5C", got, sizeof(got));
	cr_expect_str_eq(got, "back\\slash");
	lp_search(token, "%F0%9F%8E%89", got, sizeof(got));
	cr_expect_str_eq(got, "\xf0\x9f\x8e\x89 party");
	/* É and é are one letter; CAFÉ holds it too; e + U+0301 does not. */
	lp_search(token, "%C3%A9", got, sizeof(got));
	cr_expect_str_eq(got, "CAF\xc3\x89|\xc3\x89" "COLE|\xc3\x89" "cole|"
	    "\xc3\xa9" "cole");
	lp_search(token, "%C3%89COLE", got, sizeof(got));
	cr_expect_str_eq(got, "\xc3\x89" "COLE|\xc3\x89" "cole|\xc3\xa9" "cole");
	/* A lone combining mark finds the one title that holds it. */
	lp_search(token, "%CC%81", got, sizeof(got));
	cr_expect_str_eq(got, "e\xcc\x81");
	lp_search(token, "PaRtY", got, sizeof(got));
	cr_expect_str_eq(got, "party|\xf0\x9f\x8e\x89 party");
	lp_search(token, "needle", got, sizeof(got));
	cr_expect_str_eq(got, "t");
	lp_search(token, "nothing+like+it", got, sizeof(got));
	cr_expect_str_eq(got, "");
	free(token);
}

Test(list_paging, a_bad_q_is_422)
{
	char subject[37], path[4096];
	char *token = lp_subject(subject);
	char *long_q = str_repeat("/api/tasks?q=", "x", 201, "");
	char *emoji_q = str_repeat("/api/tasks?q=", "%F0%9F%8E%89", 200, "");
	const char *bad[] = {
		"/api/tasks?q=", "/api/tasks?q=a&q=a", "/api/tasks?q=%FF",
		"/api/tasks?q=a%00b", "/api/tasks?q=%C3", "/api/tasks?q=%ED%A0%80",
		long_q,
	};
	struct http_res *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = lp_get(token, bad[i], NULL);
		cr_expect_eq(r->status, 422, "%.60s: %ld", bad[i], r->status);
		cr_expect_str_eq(detail(r),
		    "q must be 1 to 200 characters of UTF-8, without U+0000");
		http_free(r);
	}
	/* 200 characters of 4 bytes each are fine. */
	snprintf(path, sizeof(path), "%s", emoji_q);
	r = lp_get(token, path, NULL);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	free(long_q);
	free(emoji_q);
	free(token);
}

/* ---- cursor paging ---------------------------------------------------- */

/* The other client: its deletions, and whether it is to stop. */
#define LP_DELETED_MAX 8000
struct lp_writer {
	const char *subject;
	int round;			/* writes made between two pages */
	int rounds;			/* writes made by the thread */
	int stop;
	pthread_mutex_t lock;
	char (*deleted)[37];
	int n_deleted;
};

/*
 * Inserts 3 tasks (some sort before the cursor, some after) and deletes
 * 2 tasks of the walk's rows, as another client of the same user would.
 * Returns 0, or -1 when a statement failed.
 */
static int
lp_write_once(PGconn *conn, struct lp_writer *w, int round_n)
{
	char round[16];
	const char *params[2] = { w->subject, round };
	PGresult *res;
	int ok;

	snprintf(round, sizeof(round), "%d", round_n);
	res = PQexecParams(conn, "INSERT INTO tasks (user_id, title) SELECT $1, "
	    "'new ' || $2 || ' ' || g FROM generate_series(1, 3) g", 2, NULL,
	    params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	res = PQexecParams(conn, "DELETE FROM tasks WHERE id IN (SELECT id FROM "
	    "tasks WHERE user_id = $1 AND title LIKE 'old %' ORDER BY "
	    "md5(id::text || $2) LIMIT 2) RETURNING id::text", 2, NULL, params,
	    NULL, NULL, 0);
	ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; ok && i < PQntuples(res); i++)
		if (w->n_deleted < LP_DELETED_MAX)
			snprintf(w->deleted[w->n_deleted++], 37, "%s",
			    PQgetvalue(res, i, 0));
		else
			ok = 0;
	pthread_mutex_unlock(&w->lock);
	PQclear(res);
	return ok ? 0 : -1;
}

/* Between two pages: one round of writes, so every page meets some. */
static void
lp_write_between(void *arg)
{
	struct lp_writer *w = arg;
	PGconn *conn = PQconnectdb(getenv("TASKAPI_TEST_DB"));

	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
	cr_assert_eq(lp_write_once(conn, w, 100000 + w->round++), 0);
	PQfinish(conn);
}

/* Meanwhile, without pause: another client writing while pages are read. */
static void *
lp_write_on(void *arg)
{
	struct lp_writer *w = arg;
	PGconn *conn = PQconnectdb(getenv("TASKAPI_TEST_DB"));
	int stop = 0;

	/*
	 * At most LP_FREE_ROUNDS rounds a walk: under valgrind the walk is
	 * slow and this client is not, and unbounded it would delete most of
	 * the tasks the walk is there to check.
	 */
	while (PQstatus(conn) == CONNECTION_OK && !stop &&
	    w->rounds < LP_FREE_ROUNDS &&
	    lp_write_once(conn, w, w->rounds) == 0) {
		pthread_mutex_lock(&w->lock);
		w->rounds++;
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		usleep(3000);
	}
	PQfinish(conn);
	return NULL;
}

static int
lp_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Every task there before the walk and not deleted during it is listed
 * exactly once.
 */
static void
lp_check_walk(struct lp_ids *seen, PGresult *before, struct lp_writer *w)
{
	size_t kept = 0;

	qsort(seen->id, seen->n, 37, lp_cmp);
	for (size_t i = 1; i < seen->n; i++)
		cr_assert_str_neq(seen->id[i - 1], seen->id[i], "listed twice");
	for (int i = 0; i < PQntuples(before); i++) {
		const char *id = PQgetvalue(before, i, 0);
		int gone = 0;

		for (int j = 0; j < w->n_deleted && !gone; j++)
			gone = strcmp(w->deleted[j], id) == 0;
		if (gone)
			continue;
		kept++;
		cr_assert_not_null(bsearch(id, seen->id, seen->n, 37, lp_cmp),
		    "task %s skipped", id);
	}
	cr_expect_geq(kept, (size_t)5000);
}

Test(list_paging, a_walk_through_10000_tasks_skips_and_repeats_none,
    .timeout = 240)
{
	static const char *const sorts[] = { "-created_at", "title", "updated_at" };
	static struct lp_writer w;
	char subject[37], path[128];
	char *token = lp_subject(subject);
	const char *params[1] = { subject };
	struct lp_ids seen;
	PGresult *before;
	pthread_t other;

	lp_ids_init(&seen);
	cr_assert_not_null(w.deleted = calloc(LP_DELETED_MAX, 37));
	pthread_mutex_init(&w.lock, NULL);
	/* Ties: 100 tasks share each created_at, and titles repeat. */
	PQclear(lp_owner("INSERT INTO tasks (user_id, title, created_at) "
	    "SELECT $1, 'old ' || (g % 1000), timestamptz '2026-01-01' + "
	    "(g / 100) * interval '1 second' FROM generate_series(1, 10000) g",
	    1, params));
	w.subject = subject;
	for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
		w.round = w.rounds = w.stop = w.n_deleted = 0;
		seen.n = 0;
		before = lp_owner("SELECT id::text FROM tasks WHERE user_id = $1",
		    1, params);
		snprintf(path, sizeof(path), "/api/tasks?limit=250&sort=%s",
		    sorts[s]);
		cr_assert_eq(pthread_create(&other, NULL, lp_write_on, &w), 0);
		lp_walk(token, path, &seen, lp_write_between, &w);
		pthread_mutex_lock(&w.lock);
		w.stop = 1;
		pthread_mutex_unlock(&w.lock);
		pthread_join(other, NULL);
		/* One page at least for each 250 tasks that stayed. */
		cr_expect_geq(w.round, (PQntuples(before) - w.n_deleted) / 250,
		    "%s: %d pages", sorts[s], w.round);
		cr_expect_gt(w.rounds, 0, "%s: the other client wrote", sorts[s]);
		lp_check_walk(&seen, before, &w);
		PQclear(before);
	}
	free(w.deleted);
	free(seen.id);
	free(token);
}

/* The cursor of the Link of path's answer. */
static void
lp_cursor_of(const char *token, const char *path, char *out, size_t len)
{
	char next[8192];
	struct http_res *r = lp_get(token, path, NULL);
	const char *c;

	cr_assert_not_null(lp_next(r, next, sizeof(next)), "%s: no Link", path);
	c = strstr(next, "&cursor=");
	cr_assert_not_null(c);
	snprintf(out, len, "%s", c + 8);
	http_free(r);
}

static void
lp_refused(const char *token, const char *path, const char *want)
{
	struct http_res *r = lp_get(token, path, NULL);

	cr_expect_eq(r->status, 422, "%s: %ld %s", path, r->status, r->body);
	cr_expect_str_eq(detail(r), want, "%s", path);
	http_free(r);
}

Test(list_paging, a_cursor_of_another_list_or_user_or_forged_is_422)
{
	char subject[37], other[37], cur[4096], path[8192], id[37];
	char *token = lp_subject(subject);
	char *token2 = lp_subject(other);
	const char *mismatch = "cursor was made for another sort, q or completed";
	struct http_res *r;

	for (int i = 0; i < 3; i++)
		create_task(token, "milk", id);
	create_task(token2, "milk", id);
	create_task(token2, "milk", id);
	lp_cursor_of(token, "/api/tasks?limit=1&sort=title&q=milk&completed=false",
	    cur, sizeof(cur));
	/* It works where it was made. */
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&q=milk&completed=false&cursor=%s", cur);
	r = lp_get(token, path, NULL);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=-title&q=milk&completed=false&cursor=%s", cur);
	lp_refused(token, path, mismatch);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&q=MILK&completed=false&cursor=%s", cur);
	lp_refused(token, path, mismatch);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&completed=false&cursor=%s", cur);
	lp_refused(token, path, mismatch);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&q=milk&completed=true&cursor=%s", cur);
	lp_refused(token, path, mismatch);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&q=milk&cursor=%s", cur);
	lp_refused(token, path, mismatch);
	snprintf(path, sizeof(path),
	    "/api/tasks?limit=1&sort=title&q=milk&completed=false&cursor=%s", cur);
	lp_refused(token2, path, "cursor was made for another user");
	snprintf(path, sizeof(path), "/api/tasks?limit=1&sort=title&q=milk"
	    "&completed=false&offset=0&cursor=%s", cur);
	lp_refused(token, path, "cursor and offset cannot be used together");
	/* Malformed: cut short, a character changed, not base64url, empty. */
	cur[strlen(cur) - 1] = '\0';
	snprintf(path, sizeof(path), "/api/tasks?limit=1&sort=title&q=milk"
	    "&completed=false&cursor=%s", cur);
	lp_refused(token, path, "cursor is malformed");
	lp_refused(token, "/api/tasks?cursor=B" "QQAAAAAAAAAAAAAm5Ngd0SZXvgXpqYa"
	    "PTBG-aY8gmpTP0gkAAtDaGVycnkgMTAwJQ", "cursor is malformed");
	lp_refused(token, "/api/tasks?cursor=%21%21%21%21", "cursor is malformed");
	lp_refused(token, "/api/tasks?cursor=", "cursor is malformed");
	lp_refused(token, "/api/tasks?cursor=AAAA&cursor=AAAA", "cursor is malformed");
	free(token);
	free(token2);
}

Test(list_paging, link_keeps_the_list_s_parameters_and_ends_on_the_last_page)
{
	static const char want[] = "</api/tasks?limit=2&completed=false"
	    "&sort=-title&q=b%26c%3Dd%2B%C3%A9&cursor=";
	char subject[37], id[37], next[8192];
	char *token = lp_subject(subject);
	struct http_res *r;
	const char *link;

	for (int i = 0; i < 3; i++)
		create_task(token, "a b&c=d+\xc3\xa9", id);
	r = lp_get(token, "/api/tasks?limit=2&completed=false&sort=-title"
	    "&q=b%26c%3Dd%2B%C3%A9&foo=x&offset=0", NULL);
	cr_assert_eq(r->status, 200);
	cr_expect_eq(json_object_array_length(r->json), 2);
	link = http_header(r, "Link");
	cr_assert_not_null(link);
	cr_expect_eq(strncmp(link, want, strlen(want)), 0, "Link: %s", link);
	cr_expect_null(strstr(link, "offset"), "Link: %s", link);
	cr_expect_null(strstr(link, "foo"), "Link: %s", link);
	cr_assert_not_null(lp_next(r, next, sizeof(next)));
	http_free(r);
	/* The last page: one task, no Link. */
	r = lp_get(token, next, NULL);
	cr_assert_eq(r->status, 200, "%s: %ld %s", next, r->status, r->body);
	cr_expect_eq(json_object_array_length(r->json), 1);
	cr_expect_null(http_header(r, "Link"));
	cr_expect_str_eq(http_header(r, "X-Total-Count"), "3");
	http_free(r);
	/* Exactly limit tasks left: no Link either (no empty last page). */
	r = lp_get(token, "/api/tasks?limit=3", NULL);
	cr_expect_eq(json_object_array_length(r->json), 3);
	cr_expect_null(http_header(r, "Link"));
	http_free(r);
	/* Offset paging works as before, and its Link goes on by cursor. */
	r = lp_get(token, "/api/tasks?limit=1&offset=1", NULL);
	cr_expect_eq(json_object_array_length(r->json), 1);
	link = http_header(r, "Link");
	cr_assert_not_null(link);
	cr_expect_null(strstr(link, "offset"), "Link: %s", link);
	http_free(r);
	free(token);
}

Test(list_paging, a_page_cut_by_list_max_bytes_goes_on_by_link, .timeout = 120)
{
	char subject[37], path[8192];
	char *token = lp_subject(subject);
	char *desc = str_repeat("", "d", 10000, "");
	const char *params[2] = { subject, desc };
	struct lp_ids ids;
	struct http_res *r;
	size_t first;

	lp_ids_init(&ids);
	/* 110 tasks of 10,000 characters: more than 1 MiB (LIST_MAX_BYTES). */
	PQclear(lp_owner("INSERT INTO tasks (user_id, title, description) "
	    "SELECT $1, 'big ' || g, $2 FROM generate_series(1, 110) g", 2, params));
	r = lp_get(token, "/api/tasks?limit=1000&sort=title", NULL);
	first = lp_collect(r, &ids);
	cr_expect_lt(first, (size_t)110);
	cr_expect_leq(r->body_len, (size_t)1048576);
	cr_expect_str_eq(http_header(r, "X-Total-Count"), "110");
	cr_assert_not_null(lp_next(r, path, sizeof(path)), "a cut page has a Link");
	http_free(r);
	lp_walk(token, path, &ids, NULL, NULL);
	cr_expect_eq(ids.n, (size_t)110);
	qsort(ids.id, ids.n, 37, lp_cmp);
	for (size_t i = 1; i < ids.n; i++)
		cr_expect_str_neq(ids.id[i - 1], ids.id[i]);
	free(ids.id);
	free(desc);
	free(token);
}

/* ---- the list's ETag -------------------------------------------------- */

/* The list's ETag now, checked to be "l" and 64 hex digits, and its 304. */
/*
 * The list's ETag into out, and a 304 for it. The tag may move once with
 * nothing changed, when a transaction older than the user's last change
 * ends (docs/API.md "ETags and preconditions"; other tests' writes run
 * meanwhile): the first 304 is waited for, at most 5 s.
 */
static void
lp_etag(const char *token, const char *path, char out[80])
{
	struct http_res *r;
	const char *etag;
	long status = 0;

	for (int i = 0; i < 100 && status != 304; i++) {
		if (i > 0)
			usleep(50000);
		r = lp_get(token, path, NULL);
		etag = http_header(r, "ETag");
		cr_assert_eq(r->status, 200);
		cr_assert_not_null(etag);
		cr_assert_eq(strlen(etag), 67, "ETag: %s", etag);
		cr_assert_eq(strncmp(etag, "\"l", 2), 0, "ETag: %s", etag);
		snprintf(out, 80, "%s", etag);
		http_free(r);
		r = lp_get(token, path, out);
		status = r->status;
		if (status == 304) {
			cr_expect_eq(r->body_len, 0);
			cr_expect_str_eq(http_header(r, "ETag"), out);
		}
		http_free(r);
	}
	cr_assert_eq(status, 304, "no 304 for the list's own ETag");
}

/* 200 with the list, not 304, for If-None-Match: etag. */
static void
lp_changed(const char *token, const char *path, const char *etag,
    const char *what)
{
	struct http_res *r = lp_get(token, path, etag);

	cr_expect_eq(r->status, 200, "after %s: %ld", what, r->status);
	cr_expect_str_neq(http_header(r, "ETag"), etag, "after %s", what);
	http_free(r);
}

Test(list_paging, the_list_s_etag_is_304_until_any_task_changes)
{
	char subject[37], old[37], newest[37], body[128], at[64], e[80], e2[80];
	char *token = lp_subject(subject);
	const char *page = "/api/tasks?limit=1";
	struct http_res *r;

	create_task(token, "old", old);
	create_task(token, "newest", newest);
	lp_etag(token, page, e);
	/* Another list of the same tasks has its own tag. */
	lp_etag(token, "/api/tasks?limit=2", e2);
	cr_expect_str_neq(e, e2);
	/* Each change is to the task that the page does not show. */
	snprintf(at, sizeof(at), "/api/tasks/%s", old);
	snprintf(body, sizeof(body), "{\"title\": \"edited\"}");
	r = http_json("PATCH", at, token, body);
	cr_assert_eq(r->status, 200);
	http_free(r);
	lp_changed(token, page, e, "an edit");
	lp_etag(token, page, e);
	snprintf(at, sizeof(at), "/api/tasks/%s/complete", old);
	r = http_json("PATCH", at, token, NULL);
	cr_assert_eq(r->status, 200);
	http_free(r);
	lp_changed(token, page, e, "a toggle");
	lp_etag(token, "/api/tasks?limit=1&sort=created_at", e);
	create_task(token, "created", newest);
	lp_changed(token, "/api/tasks?limit=1&sort=created_at", e, "a create");
	lp_etag(token, page, e);
	snprintf(at, sizeof(at), "/api/tasks/%s", old);
	r = http_json("DELETE", at, token, NULL);
	cr_assert_eq(r->status, 204);
	http_free(r);
	lp_changed(token, page, e, "a delete");
	/* W/ and lists match as RFC 9110 says for If-None-Match; * too. */
	lp_etag(token, page, e);
	snprintf(body, sizeof(body), "\"x\", W/%s", e);
	r = lp_get(token, page, body);
	cr_expect_eq(r->status, 304);
	http_free(r);
	r = lp_get(token, page, "*");
	cr_expect_eq(r->status, 304);
	http_free(r);
	free(token);
}

/*
 * docs/API.md "ETags and preconditions": the list's ETag moves for an edit
 * that commits after a later-numbered one, of a task the page does not
 * show. The held edit runs as the schema's owner, as another client's.
 */
Test(list_paging, the_list_s_etag_moves_for_an_edit_committed_late)
{
	char subject[37], old[37], newest[37], at[64], e[80];
	char *token = lp_subject(subject);
	const char *page = "/api/tasks?limit=1", *params[1] = { old };
	PGconn *held = PQconnectdb(getenv("TASKAPI_TEST_DB"));
	PGresult *res;
	struct http_res *r;

	cr_assert_eq(PQstatus(held), CONNECTION_OK, "%s", PQerrorMessage(held));
	create_task(token, "old", old);
	create_task(token, "newest", newest);
	/* The held edit takes its transaction id first... */
	PQclear(PQexec(held, "BEGIN"));
	res = PQexecParams(held, "UPDATE tasks SET title = 'held' "
	    "WHERE id = $1::uuid", 1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s",
	    PQresultErrorMessage(res));
	PQclear(res);
	/* ...the shown task's edit takes a later one and commits first. */
	snprintf(at, sizeof(at), "/api/tasks/%s", newest);
	r = http_json("PATCH", at, token, "{\"is_completed\": false}");
	cr_assert_eq(r->status, 200);
	http_free(r);
	r = lp_get(token, page, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_not_null(http_header(r, "ETag"));
	snprintf(e, sizeof(e), "%s", http_header(r, "ETag"));
	http_free(r);
	PQclear(PQexec(held, "COMMIT"));
	PQfinish(held);
	/* The page's bytes are the same; its tag is not. */
	lp_changed(token, page, e, "an edit committed late");
	free(token);
}

Test(list_paging, the_longest_link_reaches_the_client)
{
	char subject[37], next[16384];
	char *token = lp_subject(subject);
	/* A 255-character title of 4-byte characters, found by 200 of them. */
	char *body;
	char *path = str_repeat("/api/tasks?limit=1&sort=-title&completed=false"
	    "&q=", "%F0%9F%98%80", 200, "");
	struct http_res *r;

	body = str_repeat("{\"title\": \"", "\xf0\x9f\x98\x80", 255, "\"}");
	for (int i = 0; i < 2; i++) {
		r = http_json("POST", "/api/tasks", token, body);
		cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
		http_free(r);
	}
	r = lp_get(token, path, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_not_null(lp_next(r, next, sizeof(next)));
	cr_expect_gt(strlen(next), (size_t)3700, "Link: %zu bytes", strlen(next));
	http_free(r);
	r = lp_get(token, next, NULL);
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_expect_eq(json_object_array_length(r->json), 1);
	cr_expect_null(http_header(r, "Link"));
	http_free(r);
	free(path);
	free(body);
	free(token);
}
