/*
 * Integration: the edges of nginx's configuration (nginx/): slow clients
 * against the connection limit per address (docs/API.md "Rate limit"),
 * request values too long for a FastCGI record and the statuses nginx
 * makes itself (docs/API.md "Limits of a request", "Web server answers"),
 * the page's headers on every answer (docs/API.md "The page"), the exact
 * match of CORS origins (docs/API.md "CORS") and of route paths, and the
 * headers every API answer carries (docs/API.md "General"). What libcurl
 * will not send (a Transfer-Encoding of its own, HTTP/2.0 in clear text,
 * a connection that stalls on purpose) goes over a raw TCP socket, from
 * the test's own client address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/raw.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* tests/run's CORS_ALLOWED_ORIGINS holds this one. */
#define ALLOWED "http://localhost:3000"
/* How long a raw answer may take before it counts as a hang. */
#define RAW_WAIT_MS 10000
/* The most slow connections the test opens, whatever the limit. */
#define SLOW_MAX 1000

/* ---- raw HTTP over TCP, from this test's client address --------------- */

/* One request on its own connection ("Connection: close"); the answer. */
static char *
raw_exchange(const char *request)
{
	int fd = raw_connect();
	struct raw_reply reply;

	cr_assert_eq(raw_send(fd, request, strlen(request)), 0,
	    "send: %s", strerror(errno));
	raw_read(fd, RAW_WAIT_MS, &reply);
	close(fd);
	return reply.data;
}

/* A raw answer's status code, or 0. */
static int
raw_status(const char *answer)
{
	int status = 0;

	if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

/* Whether a raw answer's head has the header line "Name: value" exactly. */
static int
raw_has(const char *answer, const char *line)
{
	const char *end = strstr(answer, "\r\n\r\n");
	size_t n = strlen(line);

	for (const char *p = strstr(answer, "\r\n"); p != NULL && p < end;
	    p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, line, n) == 0 && p[2 + n] == '\r')
			return 1;
	return 0;
}

/* A raw answer that must be the contract's JSON error. */
static void
raw_json_error(const char *answer, int status, const char *detail,
    const char *what)
{
	const char *body = strstr(answer, "\r\n\r\n");
	char want[256];

	cr_assert_eq(raw_status(answer), status, "%s: want %d, got: %.300s",
	    what, status, answer);
	cr_assert(raw_has(answer, "Content-Type: application/json"),
	    "%s: not JSON: %.500s", what, answer);
	cr_assert(raw_has(answer, "X-Content-Type-Options: nosniff"),
	    "%s: no nosniff: %.500s", what, answer);
	cr_assert(raw_has(answer, "Cache-Control: no-store"),
	    "%s: no no-store: %.500s", what, answer);
	snprintf(want, sizeof(want), "{\"detail\":\"%s\"}", detail);
	cr_assert(body != NULL && strcmp(body + 4, want) == 0,
	    "%s: body %s, want %s", what, body != NULL ? body + 4 : "(none)",
	    want);
}

/* ---- libcurl answers -------------------------------------------------- */

/* How many headers named name the answer has. */
static int
header_count(const struct http_res *r, const char *name)
{
	size_t n = strlen(name);
	int count = 0;

	for (const char *p = r->headers; p != NULL && *p != '\0';) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			count++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return count;
}

static void
header_is(const struct http_res *r, const char *name, const char *want,
    const char *what)
{
	const char *v = http_header(r, name);

	cr_assert(v != NULL, "%s: no %s (status %ld): %s", what, name,
	    r->status, r->headers);
	cr_assert_str_eq(v, want, "%s: %s is \"%s\"", what, name, v);
}

/*
 * docs/API.md "General": every API answer, a program's or nginx's, has
 * nosniff and exactly one Cache-Control, no-store.
 */
static void
api_headers(const struct http_res *r, const char *what)
{
	header_is(r, "X-Content-Type-Options", "nosniff", what);
	cr_assert_eq(header_count(r, "X-Content-Type-Options"), 1,
	    "%s: nosniff twice: %s", what, r->headers);
	header_is(r, "Cache-Control", "no-store", what);
	cr_assert_eq(header_count(r, "Cache-Control"), 1,
	    "%s: two Cache-Control: %s", what, r->headers);
}

static void
json_error(const struct http_res *r, long status, const char *want,
    const char *what)
{
	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what,
	    status, r->status, r->body);
	header_is(r, "Content-Type", "application/json", what);
	cr_assert(detail(r) != NULL && strcmp(detail(r), want) == 0,
	    "%s: body %s", what, r->body);
}

/* One request with up to two extra headers (NULL: none). */
static struct http_res *
req2(const char *method, const char *path, const char *h1, const char *h2)
{
	const char *h[3] = { h1, h1 != NULL ? h2 : NULL, NULL };

	return http_req(method, path, h, NULL, 0);
}

/* ---- 2. slow bodies against the connection limit ---------------------- */

/* The instance's CONN_LIMIT_PER_ADDRESS, from its rendered routes.conf. */
static int
conn_limit(void)
{
	const char *dir = getenv("TASKAPI_TEST_RUN_DIR");
	char path[1024], line[256];
	int limit = 0;
	FILE *f;

	cr_assert(dir != NULL, "TASKAPI_TEST_RUN_DIR is not set");
	snprintf(path, sizeof(path), "%s/routes.conf", dir);
	cr_assert_not_null(f = fopen(path, "r"), "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " limit_conn taskapi_conn %d;", &limit) == 1)
			break;
	fclose(f);
	cr_assert(limit > 0 && limit < SLOW_MAX,
	    "no limit_conn taskapi_conn in %s (CONN_LIMIT_PER_ADDRESS)", path);
	return limit;
}

/*
 * A client that sends a body one byte at a time: the headers of a POST
 * that promises 1000 bytes, and the first byte.
 */
static int
slow_client(const char *token)
{
	char head[1024];
	int fd = raw_connect();

	snprintf(head, sizeof(head), "POST /api/tasks HTTP/1.1\r\n"
	    "Host: localhost\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
	    token);
	cr_assert_eq(raw_send(fd, head, strlen(head)), 0,
	    "send: %s", strerror(errno));
	return fd;
}

/*
 * docs/API.md "Rate limit": one address holds at most the limit of
 * connections, however slowly they send; its next is a JSON 429 at once,
 * and another address is served at once all the while.
 */
Test(nginx_edges, slow_bodies_hold_at_most_the_limit_per_address,
    .timeout = 60)
{
	int limit = conn_limit(), fds[SLOW_MAX], got = 0;
	char subject[37], *token, *answer = NULL;
	struct http_res *r;
	double start;

	test_uuid(subject);
	token = token_for(subject);
	for (int i = 0; i < limit; i++)
		fds[i] = slow_client(token);
	/*
	 * nginx counts a connection once it has read its headers: ask until
	 * it has (bounded), each time with one more slow request.
	 */
	for (int tries = 0; tries < 20 && got != 429; tries++) {
		free(answer);
		usleep(100000);
		answer = raw_exchange("GET /api/health HTTP/1.1\r\n"
		    "Host: localhost\r\nConnection: close\r\n\r\n");
		got = raw_status(answer);
	}
	raw_json_error(answer, 429, "Too many requests",
	    "the address's connection past its limit");
	cr_assert(raw_has(answer, "Retry-After: 1"), "no Retry-After: %s", answer);
	free(answer);

	/* Another address: served at once, the slow ones still open. */
	http_new_client();
	start = test_monotonic_s();
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200, "another address: %ld %s", r->status, r->body);
	cr_assert(test_monotonic_s() - start < 2.0,
	    "another address waited %.1f s behind the slow clients",
	    test_monotonic_s() - start);
	http_free(r);
	for (int i = 0; i < limit; i++)
		close(fds[i]);
	free(token);
}

/* ---- 4. values too long for a FastCGI record -------------------------- */

/*
 * docs/API.md "Limits of a request": a 66 KB Content-Type, a long method
 * or a padded Content-Length never make the FastCGI record too big (503):
 * each route answers what the contract says.
 */
Test(nginx_edges, long_request_values_are_answered_never_503)
{
	char subject[37], *token, *ctype, *auth, *method;
	struct http_res *r;
	char *answer, req[512];
	const char *h[3];

	test_uuid(subject);
	token = token_for(subject);
	auth = str_repeat("Authorization: Bearer ", token, 1, "");
	ctype = str_repeat("Content-Type: application/json; x=", "y", 66000, "");
	h[0] = ctype, h[1] = auth, h[2] = NULL;
	r = http_req("POST", "/api/tasks", h, "{\"title\":\"a\"}", (size_t)-1);
	json_error(r, 415, "Content-Type must be application/json",
	    "POST with a 66 KB Content-Type");
	http_free(r);
	h[1] = NULL;
	r = http_req("GET", "/api/health", h, NULL, 0);
	cr_assert_eq(r->status, 200, "health with a 66 KB Content-Type: %ld %s",
	    r->status, r->body);
	http_free(r);

	method = str_repeat("", "X", 66000, "");
	r = http_req(method, "/api/health", NULL, NULL, 0);
	json_error(r, 405, "Method Not Allowed", "a 66 KB method");
	header_is(r, "Allow", "GET, OPTIONS", "a 66 KB method");
	http_free(r);

	free(method);
	method = str_repeat("", "0", 66000, "5");
	snprintf(req, sizeof(req), "POST /api/tasks HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\nContent-Type: application/json\r\n"
	    "Content-Length: ");
	{
		char *full = str_repeat(req, method, 1, "\r\n\r\n{\"a\"}");

		answer = raw_exchange(full);
		free(full);
	}
	raw_json_error(answer, 400, "Bad request", "a Content-Length of 66 KB");
	free(answer);
	free(method);
	free(ctype);
	free(auth);
	free(token);
}

/* ---- 5. the statuses nginx makes itself ------------------------------- */

/*
 * docs/API.md "Web server answers": what nginx refuses itself is JSON,
 * those it refuses before it has a URI included.
 */
Test(nginx_edges, its_own_refusals_are_json)
{
	static const char *const codings[] = { "foo", "gzip, chunked",
		"identity", "chunked, chunked" };
	char request[512], *answer, *big;

	for (size_t i = 0; i < NELEM(codings); i++) {
		snprintf(request, sizeof(request), "POST /api/tasks HTTP/1.1\r\n"
		    "Host: localhost\r\nConnection: close\r\n"
		    "Transfer-Encoding: %s\r\n\r\n", codings[i]);
		answer = raw_exchange(request);
		raw_json_error(answer, 501, "Not implemented", codings[i]);
		free(answer);
	}
	answer = raw_exchange("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n");
	raw_json_error(answer, 505, "HTTP version not supported", "HTTP/2.0");
	free(answer);
	answer = raw_exchange("GET /api/health HTTP/3.1\r\nHost: localhost\r\n\r\n");
	raw_json_error(answer, 505, "HTTP version not supported", "HTTP/3.1");
	free(answer);
	answer = raw_exchange("G(T / HTTP/1.1\r\nHost: localhost\r\n\r\n");
	raw_json_error(answer, 400, "Bad request", "a method with a parenthesis");
	free(answer);
	answer = raw_exchange("GET /api/health HTTP/1.1\r\nHost: localhost\r\n"
	    "Host: twice\r\nConnection: close\r\n\r\n");
	raw_json_error(answer, 400, "Bad request", "two Host headers");
	free(answer);
	/* A header over the 128 KiB buffers: nginx's 494, answered 400. */
	big = str_repeat("GET /api/health HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\nX-Big: ", "z", 140000, "\r\n\r\n");
	answer = raw_exchange(big);
	raw_json_error(answer, 400, "Bad request", "a header of 140 KB");
	free(answer);
	free(big);
}

/* ---- 6. the page's headers on every answer ---------------------------- */

/* The page's own headers (nginx/page.conf.in). */
static void
page_headers(const struct http_res *r, const char *what)
{
	const char *csp = http_header(r, "Content-Security-Policy");

	cr_assert(csp != NULL && strstr(csp, "script-src 'self'") != NULL,
	    "%s: no page CSP: %s", what, r->headers);
	header_is(r, "X-Content-Type-Options", "nosniff", what);
	header_is(r, "Referrer-Policy", "no-referrer", what);
	header_is(r, "Cross-Origin-Opener-Policy", "same-origin", what);
	header_is(r, "Cross-Origin-Resource-Policy", "same-origin", what);
}

/*
 * docs/API.md "The page": a precondition that fails, a range, a 304 and
 * a method the files do not serve all keep the page's headers, and
 * nginx's errors are JSON there too.
 */
Test(nginx_edges, the_page_keeps_its_headers_on_every_answer)
{
	struct http_res *r;
	char inm[256];

	r = req2("GET", "/app.js", "If-Match: \"x\"", NULL);
	json_error(r, 412, "Precondition failed", "If-Match on /app.js");
	page_headers(r, "412");
	http_free(r);

	r = req2("GET", "/app.js", "Range: bytes=999999-", NULL);
	cr_assert_eq(r->status, 200, "a range past the end: %ld", r->status);
	page_headers(r, "a range past the end");
	http_free(r);

	r = req2("GET", "/app.js", NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_not_null(http_header(r, "ETag"));
	snprintf(inm, sizeof(inm), "If-None-Match: %s", http_header(r, "ETag"));
	http_free(r);
	r = req2("GET", "/app.js", inm, NULL);
	cr_assert_eq(r->status, 304, "If-None-Match: %ld", r->status);
	page_headers(r, "304");
	http_free(r);

	r = req2("DELETE", "/app.js", NULL, NULL);
	json_error(r, 405, "Method Not Allowed", "DELETE /app.js");
	header_is(r, "Allow", "GET, HEAD", "DELETE /app.js");
	page_headers(r, "405");
	http_free(r);
}

/* ---- 8. CORS: exact origins, Vary on every answer ---------------------- */

/*
 * docs/API.md "CORS": an origin is allowed byte for byte, by nginx as by
 * the programs; with a list, every answer varies with Origin.
 */
Test(nginx_edges, origins_are_matched_in_their_exact_case)
{
	static const char *const upper[] = { "Origin: http://LOCALHOST:3000",
		"Origin: HTTP://localhost:3000", "Origin: http://Localhost:3000" };
	static const char *const paths[] = { "/api/health", "/api/nope",
		"/api/tasks" };
	struct http_res *r;
	char what[128];

	for (size_t i = 0; i < NELEM(upper); i++)
		for (size_t j = 0; j < NELEM(paths); j++) {
			snprintf(what, sizeof(what), "%s on %s", upper[i], paths[j]);
			r = req2("GET", paths[j], upper[i], NULL);
			cr_assert_null(http_header(r, "Access-Control-Allow-Origin"),
			    "%s: allowed: %s", what, r->headers);
			header_is(r, "Vary", "Origin", what);
			http_free(r);
		}
	for (size_t j = 0; j < NELEM(paths); j++) {
		r = req2("GET", paths[j], NULL, NULL);
		header_is(r, "Vary", "Origin", paths[j]);
		http_free(r);
		r = req2("GET", paths[j], "Origin: " ALLOWED, NULL);
		header_is(r, "Access-Control-Allow-Origin", ALLOWED, paths[j]);
		header_is(r, "Vary", "Origin", paths[j]);
		cr_assert_eq(header_count(r, "Vary"), 1, "%s: %s", paths[j], r->headers);
		http_free(r);
	}
	r = req2("OPTIONS", "/api/tasks", "Origin: http://evil.example",
	    "Access-Control-Request-Method: POST");
	cr_assert_eq(r->status, 204);
	header_is(r, "Vary", "Origin", "a preflight from another origin");
	http_free(r);
}

/* ---- 11. a final newline is no route ---------------------------------- */

/*
 * A path that ends with a newline (%0A) is no route and no file of the
 * page: 404, and the task is untouched.
 */
Test(nginx_edges, a_final_newline_is_no_route)
{
	static const char *const paths[] = { "/%0A", "/app.js%0A",
		"/api/health%0A", "/api/tasks%0A" };
	char subject[37], id[37], path[128], *token;
	struct http_res *r;

	for (size_t i = 0; i < NELEM(paths); i++) {
		r = req2("GET", paths[i], NULL, NULL);
		json_error(r, 404, "Not Found", paths[i]);
		http_free(r);
	}
	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "newline", id);
	snprintf(path, sizeof(path), "/api/tasks/%s/complete%%0A", id);
	r = http_json("PATCH", path, token, NULL);
	json_error(r, 404, "Not Found", path);
	http_free(r);
	/* Here the id itself ends with the newline: the program's 404. */
	snprintf(path, sizeof(path), "/api/tasks/%s%%0A", id);
	r = http_json("DELETE", path, token, NULL);
	cr_assert_eq(r->status, 404, "%s: %ld %s", path, r->status, r->body);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200, "the task: %ld %s", r->status, r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "the task was toggled");
	http_free(r);
	free(token);
}

/* ---- 12. nosniff and no-store on every API answer ---------------------- */

/*
 * docs/API.md "General": the programs' answers (200, 201, 204, 401, 404,
 * 405, 415) and nginx's own (404, 405, 413, 414) all carry nosniff and
 * Cache-Control: no-store.
 */
Test(nginx_edges, every_api_answer_is_nosniff_and_no_store)
{
	char subject[37], id[37], path[128], *token, *big, *answer;
	struct http_res *r;
	const char *json[] = { "Content-Type: application/json", NULL };

	test_uuid(subject);
	token = token_for(subject);
	r = req2("GET", "/api/health", NULL, NULL);
	api_headers(r, "health 200");
	http_free(r);
	r = req2("GET", "/api/tasks", NULL, NULL);
	json_error(r, 401, "Not authenticated", "401");
	api_headers(r, "401");
	http_free(r);
	r = req2("DELETE", "/api/health", NULL, NULL);
	json_error(r, 405, "Method Not Allowed", "the program's 405");
	api_headers(r, "the program's 405");
	http_free(r);
	r = req2("OPTIONS", "/api/tasks", NULL, NULL);
	cr_assert_eq(r->status, 204);
	api_headers(r, "OPTIONS 204");
	http_free(r);
	create_task(token, "headers", id);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("GET", path, token, NULL);
	api_headers(r, "a task 200");
	http_free(r);
	test_uuid(id);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("GET", path, token, NULL);
	json_error(r, 404, "Task not found", "the program's 404");
	api_headers(r, "the program's 404");
	http_free(r);
	r = req2("GET", "/api/nope", NULL, NULL);
	json_error(r, 404, "Not Found", "nginx's 404");
	api_headers(r, "nginx's 404");
	http_free(r);
	r = req2("TRACE", "/api/tasks", NULL, NULL);
	json_error(r, 405, "Method Not Allowed", "nginx's 405");
	api_headers(r, "nginx's 405");
	http_free(r);
	big = str_repeat("", "x", 70000, "");
	r = http_req("POST", "/api/tasks", json, big, (size_t)-1);
	json_error(r, 413, "Request body too large", "nginx's 413");
	api_headers(r, "nginx's 413");
	http_free(r);
	free(big);
	/* (Longer than the URL libcurl is given here: over a raw socket.) */
	big = str_repeat("GET /api/tasks?x=", "y", 9000,
	    " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	answer = raw_exchange(big);
	raw_json_error(answer, 414, "URI too long", "nginx's 414");
	free(answer);
	free(big);
	free(token);
}
