/*
 * Integration: ETags and preconditions on one task, as
 * docs/API.md "ETags and preconditions" says, over real HTTP: a task's ETag, If-None-Match on
 * GET, If-Match on PUT, PATCH, complete and DELETE. REQUIRE_IF_MATCH=on
 * and SYNC_RETENTION_SECONDS are tried on the built programs run as plain
 * CGI with those settings (as tests/integration/cgi.c runs them), against
 * the run's PostgreSQL.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/owner.h"

#define OR_EMPTY(s) ((s) != NULL ? (s) : "")
#define COND_ENV_MAX 24
/* Rounds of two writers with one ETag. */
#define COND_RACE_ROUNDS 40

/* ---- requests --------------------------------------------------------- */

/* The answer's ETag, copied into etag (empty when absent). */
static void
etag_of(const struct http_res *r, char *etag, size_t len)
{
	snprintf(etag, len, "%s", OR_EMPTY(http_header(r, "ETag")));
}

/* A fresh subject's token (free()) and one task of it. */
static char *
cond_task(char id[37])
{
	char subject[37];
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "first", id);
	return token;
}

/* GETs the task: 200, and fills its ETag and title. */
static void
cond_get(const char *token, const char *id, char *etag, size_t len,
    char *title, size_t title_len)
{
	struct http_res *r = http_bearer("GET", task_path(id, ""), token, NULL, NULL,
	    NULL);

	cr_assert_eq(r->status, 200, "GET: %ld %s", r->status, r->body);
	etag_of(r, etag, len);
	snprintf(title, title_len, "%s", OR_EMPTY(json_str(r, "title")));
	http_free(r);
}

/* ---- ETag ------------------------------------------------------------- */

/* An answer carrying one task: status, and ETag exactly "<version>". */
static void
expect_etag(struct http_res *r, long status, const char *want,
    const char *what)
{
	cr_assert_eq(r->status, status, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "ETag")), want, "%s's ETag",
	    what);
	http_free(r);
}

Test(conditional, etag_on_every_task_answer_moves_on_every_edit)
{
	char subject[37], id[37];
	char *token;
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);
	r = http_json("POST", "/api/tasks", token, "{\"title\":\"a\"}");
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	snprintf(id, sizeof(id), "%s", OR_EMPTY(json_str(r, "id")));
	expect_etag(r, 201, "\"1\"", "POST");
	expect_etag(http_json("GET", task_path(id, ""), token, NULL), 200, "\"1\"",
	    "GET");
	expect_etag(http_json("PUT", task_path(id, ""), token, "{\"title\":\"b\"}"),
	    200, "\"2\"", "PUT");
	/* Two edits in a row, even within one microsecond, still differ. */
	expect_etag(http_json("PATCH", task_path(id, ""), token, "{}"), 200, "\"3\"",
	    "PATCH");
	expect_etag(http_json("PATCH", task_path(id, ""), token, "{}"), 200, "\"4\"",
	    "PATCH again");
	expect_etag(http_json("PATCH", task_path(id, "/complete"), token, NULL), 200,
	    "\"5\"", "complete");
	expect_etag(http_json("GET", task_path(id, ""), token, NULL), 200, "\"5\"",
	    "GET after");
	free(token);
}

/* ---- If-None-Match ---------------------------------------------------- */

/* A 304: no body, no Content-Type, no Content-Length but 0, the ETag. */
static void
expect_304(const char *token, const char *id, const char *header)
{
	struct http_res *r = http_bearer("GET", task_path(id, ""), token, NULL, header,
	    NULL);
	const char *len;

	cr_assert_eq(r->status, 304, "%s: %ld %s", header, r->status, r->body);
	cr_assert_eq(r->body_len, 0, "%s: a 304 with a body: %s", header,
	    r->body);
	cr_assert_null(http_header(r, "Content-Type"), "%s: Content-Type",
	    header);
	len = http_header(r, "Content-Length");
	cr_assert(len == NULL || strcmp(len, "0") == 0,
	    "%s: Content-Length: %s", header, len);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "ETag")), "\"2\"", "%s: ETag",
	    header);
	http_free(r);
}

Test(conditional, get_with_a_matching_if_none_match_is_304)
{
	char id[37];
	char *token = cond_task(id);
	struct http_res *r;

	r = http_json("PATCH", task_path(id, ""), token, "{}");
	cr_assert_eq(r->status, 200);
	http_free(r);
	expect_304(token, id, "If-None-Match: \"2\"");
	expect_304(token, id, "If-None-Match: W/\"2\"");
	expect_304(token, id, "If-None-Match: \"9\", W/\"2\"");
	expect_304(token, id, "If-None-Match: *");
	/* The old tag, another one or a malformed list: the task, 200. */
	r = http_bearer("GET", task_path(id, ""), token, NULL, "If-None-Match: \"1\"",
	    NULL);
	cr_assert_eq(r->status, 200, "%ld", r->status);
	cr_assert_str_eq(OR_EMPTY(json_str(r, "id")), id);
	cr_assert_str_eq(OR_EMPTY(http_header(r, "ETag")), "\"2\"");
	http_free(r);
	r = http_bearer("GET", task_path(id, ""), token, NULL, "If-None-Match: 2", NULL);
	cr_assert_eq(r->status, 200, "a malformed list: %ld", r->status);
	http_free(r);
	free(token);
}

Test(conditional, if_none_match_on_a_missing_or_foreign_task)
{
	char id[37], other[37];
	char *token = cond_task(id), *stranger = token_for("cond-stranger");
	struct http_res *r;

	test_uuid(other);
	r = http_bearer("GET", task_path(other, ""), token, NULL, "If-None-Match: *",
	    NULL);
	cr_assert_eq(r->status, 404, "%ld", r->status);
	http_free(r);
	r = http_bearer("GET", task_path(id, ""), stranger, NULL, "If-None-Match: \"1\"",
	    NULL);
	cr_assert_eq(r->status, 403, "%ld", r->status);
	http_free(r);
	free(token);
	free(stranger);
}

/* ---- If-Match ---------------------------------------------------------- */

/* A write with If-Match header that must be 412, the task unchanged. */
static void
expect_412(const char *token, const char *id, const char *method,
    const char *suffix, const char *body, const char *header)
{
	char before[64], after[64], title[64], title_after[64];
	struct http_res *r;

	cond_get(token, id, before, sizeof(before), title, sizeof(title));
	r = http_bearer(method, task_path(id, suffix), token, body, header, NULL);
	cr_assert_eq(r->status, 412, "%s %s with %s: %ld %s", method, suffix,
	    header, r->status, r->body);
	cr_assert_str_eq(OR_EMPTY(detail(r)), "Precondition failed");
	http_free(r);
	cond_get(token, id, after, sizeof(after), title_after,
	    sizeof(title_after));
	cr_assert_str_eq(after, before, "%s with %s changed the task", method,
	    header);
	cr_assert_str_eq(title_after, title);
}

Test(conditional, if_match_that_does_not_match_is_412_and_changes_nothing)
{
	static const char *const stale[] = { "If-Match: \"1\"",
	    "If-Match: W/\"2\"", "If-Match: \"3\", \"4\"", "If-Match: 2",
	    "If-Match: \"2\", junk", "If-Match: \"02\"", "If-Match: \"x\"",
	    NULL };
	char id[37];
	char *token = cond_task(id);
	struct http_res *r;

	r = http_json("PATCH", task_path(id, ""), token, "{}");
	cr_assert_eq(r->status, 200);
	http_free(r);
	for (size_t i = 0; stale[i] != NULL; i++) {
		expect_412(token, id, "PUT", "", "{\"title\":\"x\"}", stale[i]);
		expect_412(token, id, "PATCH", "", "{\"title\":\"x\"}", stale[i]);
		expect_412(token, id, "PATCH", "/complete", NULL, stale[i]);
		expect_412(token, id, "DELETE", "", NULL, stale[i]);
	}
	free(token);
}

/* A write with header that must go through: its status. */
static void
expect_written(const char *token, const char *id, const char *method,
    const char *suffix, const char *body, const char *header, long status)
{
	struct http_res *r = http_bearer(method, task_path(id, suffix), token, body,
	    header, NULL);

	cr_assert_eq(r->status, status, "%s %s with %s: %ld %s", method, suffix,
	    OR_EMPTY(header), r->status, r->body);
	http_free(r);
}

Test(conditional, if_match_that_matches_writes)
{
	char id[37];
	char *token = cond_task(id);

	expect_written(token, id, "PUT", "", "{\"title\":\"b\"}",
	    "If-Match: \"1\"", 200);
	expect_written(token, id, "PATCH", "", "{\"title\":\"c\"}",
	    "If-Match: \"9\", \"2\"", 200);
	expect_written(token, id, "PATCH", "/complete", NULL,
	    "If-Match: W/\"1\", \"3\"", 200);
	expect_written(token, id, "PATCH", "", "{}", "If-Match: *", 200);
	expect_written(token, id, "PUT", "", "{\"title\":\"d\"}", NULL, 200);
	expect_written(token, id, "DELETE", "", NULL, "If-Match: \"6\"", 204);
	free(token);
}

Test(conditional, if_match_star_on_a_missing_task_is_404)
{
	char id[37], other[37];
	char *token = cond_task(id), *stranger = token_for("cond-stranger");

	test_uuid(other);
	expect_written(token, other, "PUT", "", "{\"title\":\"b\"}",
	    "If-Match: *", 404);
	expect_written(token, other, "DELETE", "", NULL, "If-Match: *", 404);
	/* The 404 and 403 come before the precondition. */
	expect_written(token, other, "PATCH", "", "{}", "If-Match: \"7\"", 404);
	expect_written(stranger, id, "PATCH", "/complete", NULL,
	    "If-Match: \"7\"", 403);
	expect_written(stranger, id, "DELETE", "", NULL, "If-Match: *", 403);
	expect_written(stranger, id, "PUT", "", "{\"title\":\"b\"}",
	    "If-Match: \"1\"", 403);
	free(token);
	free(stranger);
}

struct cond_writer {
	const char *token;
	const char *id;
	const char *etag;
	const char *title;
	long status;
};

static void *
cond_writer_run(void *arg)
{
	struct cond_writer *w = arg;
	char if_match[96], body[64];
	struct http_res *r;

	snprintf(if_match, sizeof(if_match), "If-Match: %s", w->etag);
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", w->title);
	r = http_bearer("PUT", task_path(w->id, ""), w->token, body, if_match, NULL);
	w->status = r->status;
	http_free(r);
	return NULL;
}

Test(conditional, two_puts_with_one_etag_give_one_200_and_one_412,
    .timeout = 120)
{
	char id[37], etag[64], title[64];
	char *token = cond_task(id);
	struct cond_writer w[2];
	pthread_t th[2];

	for (int round = 0; round < COND_RACE_ROUNDS; round++) {
		cond_get(token, id, etag, sizeof(etag), title, sizeof(title));
		w[0] = (struct cond_writer){ token, id, etag, "left", 0 };
		w[1] = (struct cond_writer){ token, id, etag, "right", 0 };
		for (int i = 0; i < 2; i++)
			cr_assert_eq(pthread_create(&th[i], NULL, cond_writer_run,
			    &w[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		cr_assert((w[0].status == 200 && w[1].status == 412) ||
		    (w[0].status == 412 && w[1].status == 200),
		    "round %d: %ld and %ld", round, w[0].status, w[1].status);
		cond_get(token, id, title, sizeof(title), title, sizeof(title));
		cr_assert_str_eq(title, w[0].status == 200 ? "left" : "right",
		    "round %d: the winner's title", round);
	}
	free(token);
}

/* ---- the programs with other settings, as plain CGI ------------------- */

struct cond_env {
	char *vars[COND_ENV_MAX];
	size_t n;
};

static void
cond_env_add(struct cond_env *e, const char *name, const char *value)
{
	cr_assert(e->n < COND_ENV_MAX - 1);
	cr_assert(asprintf(&e->vars[e->n], "%s=%s", name, value) > 0);
	e->vars[++e->n] = NULL;
}

static void
cond_env_free(struct cond_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->vars[i]);
	e->n = 0;
}

/*
 * A request's environment for a built program (tests/run exports BIN_DIR):
 * what Apache gives a CGI program, the programs' settings, the token and
 * the task's id.
 */
static void
cond_env_base(struct cond_env *e, const char *method, const char *token,
    const char *id)
{
	static const char *const passed[] = { "PATH", "ASAN_OPTIONS",
	    "UBSAN_OPTIONS", NULL };
	char auth[4096];

	e->n = 0;
	e->vars[0] = NULL;
	cond_env_add(e, "GATEWAY_INTERFACE", "CGI/1.1");
	cond_env_add(e, "SERVER_PROTOCOL", "HTTP/1.1");
	cond_env_add(e, "REQUEST_METHOD", method);
	for (size_t i = 0; passed[i] != NULL; i++)
		if (getenv(passed[i]) != NULL)
			cond_env_add(e, passed[i], getenv(passed[i]));
	cr_assert_not_null(getenv("TASKAPI_TEST_APP_DB"));
	cond_env_add(e, "JWT_SECRET", test_secret());
	cond_env_add(e, "DATABASE_URL", getenv("TASKAPI_TEST_APP_DB"));
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	cond_env_add(e, "HTTP_AUTHORIZATION", auth);
	cond_env_add(e, "TASK_ID", id);
}

/*
 * Runs the built program with e and body on stdin; its whole answer, a
 * string to free(). Bodies here are far under a pipe's buffer.
 */
static char *
cond_cgi(const char *program, struct cond_env *e, const char *body)
{
	char path[1024], len[24], *out = NULL, chunk[4096];
	int in[2], from[2], wstatus;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_not_null(getenv("BIN_DIR"), "BIN_DIR is not set: make test");
	snprintf(path, sizeof(path), "%s/%s", getenv("BIN_DIR"), program);
	if (body != NULL) {
		snprintf(len, sizeof(len), "%zu", strlen(body));
		cond_env_add(e, "CONTENT_TYPE", "application/json");
		cond_env_add(e, "CONTENT_LENGTH", len);
	}
	cr_assert(pipe(in) == 0 && pipe(from) == 0);
	cr_assert((pid = fork()) >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(from[1], 1);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(path, (char *[]){ path, NULL }, e->vars);
		_exit(127);
	}
	close(in[0]);
	close(from[1]);
	if (body != NULL)
		cr_assert_eq(write(in[1], body, strlen(body)),
		    (ssize_t)strlen(body));
	close(in[1]);
	while ((n = read(from[0], chunk, sizeof(chunk))) > 0) {
		cr_assert_not_null(out = realloc(out, used + (size_t)n + 1));
		memcpy(out + used, chunk, (size_t)n);
		used += (size_t)n;
		out[used] = '\0';
	}
	close(from[0]);
	cr_assert(waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus) == 0, "%s did not exit 0", program);
	cr_assert_not_null(out, "%s answered nothing", program);
	return out;
}

/* The answer's status from its "Status: N reason" line. */
static long
cond_status(const char *out)
{
	long status = 0;

	cr_assert(sscanf(out, "Status: %ld ", &status) == 1, "%s", out);
	return status;
}

/* One request to a program run with REQUIRE_IF_MATCH=on: its status. */
static long
cond_required(const char *program, const char *method, const char *token,
    const char *id, const char *if_match, const char *body)
{
	struct cond_env e;
	char *out;
	long status;

	cond_env_base(&e, method, token, id);
	cond_env_add(&e, "REQUIRE_IF_MATCH", "on");
	if (if_match != NULL)
		cond_env_add(&e, "HTTP_IF_MATCH", if_match);
	out = cond_cgi(program, &e, body);
	status = cond_status(out);
	if (status == 428)
		cr_assert(strstr(out, "{\"detail\":\"If-Match required\"}") !=
		    NULL, "%s", out);
	free(out);
	cond_env_free(&e);
	return status;
}

Test(conditional, require_if_match_is_428_after_404_and_403)
{
	char id[37], other[37];
	char *token = cond_task(id), *stranger = token_for("cond-stranger");
	const char *put = "{\"title\":\"b\"}";

	test_uuid(other);
	cr_assert_eq(cond_required("task_item", "PUT", token, id, NULL, put),
	    428);
	cr_assert_eq(cond_required("task_item", "PATCH", token, id, NULL, "{}"),
	    428);
	cr_assert_eq(cond_required("task_complete", "PATCH", token, id, NULL,
	    NULL), 428);
	cr_assert_eq(cond_required("task_item", "DELETE", token, id, NULL,
	    NULL), 428);
	/* A missing task is still 404, another subject's still 403. */
	cr_assert_eq(cond_required("task_item", "PUT", token, other, NULL, put),
	    404);
	cr_assert_eq(cond_required("task_item", "DELETE", token, other, NULL,
	    NULL), 404);
	cr_assert_eq(cond_required("task_complete", "PATCH", stranger, id,
	    NULL, NULL), 403);
	/* Reads need none; writes with one go through. */
	cr_assert_eq(cond_required("task_item", "GET", token, id, NULL, NULL),
	    200);
	cr_assert_eq(cond_required("task_item", "PUT", token, id, "\"1\"",
	    put), 200);
	cr_assert_eq(cond_required("task_item", "PATCH", token, id, "\"1\"",
	    "{}"), 412);
	cr_assert_eq(cond_required("task_complete", "PATCH", token, id, "*",
	    NULL), 200);
	cr_assert_eq(cond_required("task_item", "DELETE", token, id, "\"3\"",
	    NULL), 204);
	free(token);
	free(stranger);
}

Test(conditional, a_cgi_304_has_no_body_and_no_content_length)
{
	char id[37];
	char *token = cond_task(id), *out, *eoh;
	struct cond_env e;

	cond_env_base(&e, "GET", token, id);
	cond_env_add(&e, "HTTP_IF_NONE_MATCH", "W/\"1\"");
	out = cond_cgi("task_item", &e, NULL);
	cr_assert_eq(cond_status(out), 304, "%s", out);
	cr_assert_not_null(eoh = strstr(out, "\r\n\r\n"), "%s", out);
	cr_assert_str_eq(eoh + 4, "", "a 304 with a body: %s", out);
	cr_assert_not_null(strstr(out, "\r\nETag: \"1\"\r\n"), "%s", out);
	cr_assert_null(strstr(out, "\r\nContent-Length:"), "%s", out);
	cr_assert_null(strstr(out, "\r\nContent-Type:"), "%s", out);
	free(out);
	cond_env_free(&e);
	free(token);
}

/* ---- DELETE prunes tombstones by SYNC_RETENTION_SECONDS ---------------- */

/* Deletes a new task of token by the program with a 60 s retention. */
static void
cond_delete_short_retention(const char *token, char id[37])
{
	struct cond_env e;
	char *out;

	create_task(token, "to delete", id);
	cond_env_base(&e, "DELETE", token, id);
	cond_env_add(&e, "SYNC_RETENTION_SECONDS", "60");
	out = cond_cgi("task_item", &e, NULL);
	cr_assert_eq(cond_status(out), 204, "%s", out);
	free(out);
	cond_env_free(&e);
}

Test(conditional, delete_prunes_tombstones_by_sync_retention_seconds)
{
	char id[37], old[37], subject[37];
	char *token, *left = NULL;
	int deletes = 0;
	/* Its 60 s retention prunes other tests' tombstones aged by hand. */
	PGconn *lock = owner_tombstones_lock();

	test_uuid(subject);
	token = token_for(subject);
	/*
	 * A tombstone of ten days ago: kept under the default of 30 days,
	 * pruned under 60 s. The oldest go first, 16 a delete: a few deletes
	 * reach it even if older ones of other tests are ahead of it.
	 */
	test_uuid(old);
	free(owner_value("INSERT INTO task_tombstones (user_id, id, deleted_at) "
	    "VALUES ('cond-pruned', $1, now() - interval '10 days')", old));
	do {
		free(left);
		cond_delete_short_retention(token, id);
		left = owner_value("SELECT count(*) FROM task_tombstones "
		    "WHERE id = $1", old);
	} while (strcmp(left, "0") != 0 && ++deletes < 8);
	cr_assert_str_eq(left, "0", "the old tombstone was not pruned");
	free(left);
	left = owner_value("SELECT count(*) FROM task_tombstones WHERE id = $1",
	    id);
	cr_assert_str_eq(left, "1", "the delete's own tombstone");
	free(left);
	free(token);
	PQfinish(lock);
}
