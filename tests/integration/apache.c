/*
 * apache.c: what only the Apache runs check (tests/run --apache, and
 * APACHE_SITE=vhost for apache/vhost.conf), over raw TCP where Apache's
 * request parser is the subject:
 *   apache_routes   a route's rule matches its path exactly, a final
 *                   newline (%0A) included: the test Apache's "$" matches
 *                   before one (RegexDefaultOptions none)
 *   apache_site     the errors Apache makes before the .htaccess is read
 *                   stay its own on a shared host (README, "Shared
 *                   hosting"): the .htaccess run
 *   apache_vhost    the virtual host answers them in the API's JSON
 *   apache_slow     a trickled body: the program's own bound, 408
 *   apache_workers  trickling clients against every worker of Apache: the
 *                   virtual host's RequestReadTimeout frees them (run
 *                   alone, as it holds every worker for seconds)
 * The nginx runs leave these suites out (tests/run).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/raw.h"

/* tests/e2e/apache/server writes CGI_BODY_TIMEOUT=2 in the env file. */
#define APACHE_BODY_TIMEOUT_S 2.0
/* How long a raw exchange may take before it counts as a hang. */
#define APACHE_HANG_MS 10000

/* One request on its own connection; the whole answer (free()). */
static char *
apache_exchange(const char *request)
{
	int fd = raw_connect();
	struct raw_reply reply;

	cr_assert_eq(raw_send(fd, request, strlen(request)), 0);
	raw_read(fd, APACHE_HANG_MS, &reply);
	close(fd);
	cr_assert(reply.closed, "no answer and no close within %d ms to %.60s",
	    APACHE_HANG_MS, request);
	return reply.data;
}

/* The status of an answer's first line; 0 when there is none. */
static long
apache_status(const char *reply)
{
	if (strncmp(reply, "HTTP/1.1 ", 9) != 0)
		return 0;
	return strtol(reply + 9, NULL, 10);
}

/* Whether the answer's head says Content-Type: application/json. */
static int
apache_is_json(const char *reply)
{
	const char *eoh = strstr(reply, "\r\n\r\n");
	const char *ct = strcasestr(reply, "\r\nContent-Type: application/json");

	return eoh != NULL && ct != NULL && ct < eoh;
}

/*
 * The requests Apache refuses before it reads any .htaccess: what it
 * answers itself, and what the virtual host makes of it (http_error:
 * 417 is one more request Apache cannot take, 400).
 */
static const struct apache_case {
	const char *what, *request;
	long own;		/* Apache's own status */
	long vhost;		/* the virtual host's */
	int vhost_json;		/* 0: the virtual host cannot either */
	const char *detail;	/* the JSON answer's, in words */
} apache_cases[] = {
	{ "an encoded slash", "GET /api/tasks/a%2Fb HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 404, 404, 1, "Not Found" },
	{ "an encoded NUL", "GET /api/tasks/a%00b HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 404, 404, 1, "Not Found" },
	{ "a bad escape", "GET /api/tasks/a%zzb HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", 400, 400, 1, "Bad request" },
	{ "no Host", "GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n",
	    400, 400, 1, "Bad request" },
	{ "Expect: 200-ok", "GET /api/health HTTP/1.1\r\nHost: x\r\n"
	    "Expect: 200-ok\r\nConnection: close\r\n\r\n", 417, 400, 1,
	    "Bad request" },
	{ "a bad Content-Length", "POST /api/tasks HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: abc\r\nConnection: close\r\n\r\n", 400, 400, 0,
	    NULL },
	{ "two Content-Lengths", "POST /api/tasks HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n"
	    "\r\n{}", 400, 400, 0, NULL },
	{ "Transfer-Encoding: gzip", "POST /api/tasks HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}", 400, 400,
	    0, NULL },
};

#define APACHE_NCASES (sizeof(apache_cases) / sizeof(apache_cases[0]))

/* The JSON error body of an answer is exactly {"detail": want}. */
static void
apache_detail_is(const char *reply, const char *want, const char *what)
{
	const char *body = strstr(reply, "\r\n\r\n");
	char expected[128];

	cr_assert_not_null(body, "%s: no body", what);
	snprintf(expected, sizeof(expected), "{\"detail\":\"%s\"}", want);
	/* Apache frames a CGI answer chunked or by length: look inside. */
	cr_assert_not_null(strstr(body, expected), "%s: the body is not %s: %s",
	    what, expected, body);
}

/* ---- apache_routes: a rule's pattern ends where the path ends ---- */

/*
 * docs/API.md "Methods": a path that is no route is 404. The test Apache
 * lets "$" match before a final newline; a rule ending in "$" would run
 * the program for "complete\n" and toggle the task.
 */
Test(apache_routes, a_final_newline_is_no_route)
{
	static const char *const paths[] = { "/api/health%0A",
	    "/api/tasks%0A", "/api/auth/me%0A" };
	char subject[37], id[37], path[128], header[2048];
	const char *auth[] = { header, NULL };
	struct http_res *r;
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "newline", id);
	snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
	snprintf(path, sizeof(path), "/api/tasks/%s/complete%%0A", id);
	r = http_req("PATCH", path, auth, NULL, 0);
	cr_expect_eq(r->status, 404, "PATCH %s: %ld", path, r->status);
	http_free(r);
	snprintf(path, sizeof(path), "/api/tasks/%s", id);
	r = http_json("GET", path, token, NULL);
	cr_assert_eq(r->status, 200);
	cr_expect_eq(json_flag(r, "is_completed"), 0,
	    "the task was toggled through complete%%0A");
	http_free(r);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = http_req("GET", paths[i], auth, NULL, 0);
		cr_expect_eq(r->status, 404, "GET %s: %ld", paths[i], r->status);
		cr_expect_str_eq(detail(r) ? detail(r) : "", "Not Found",
		    "GET %s", paths[i]);
		http_free(r);
	}
	free(token);
}

/* ---- apache_site: what a shared host's Apache answers itself ---- */

/*
 * README, "Shared hosting": these are refused before any .htaccess is
 * read, so the API's ErrorDocuments cannot apply; the host's Apache
 * answers them, with its own status. Should one become JSON, the README's
 * list is to change.
 */
Test(apache_site, errors_before_the_htaccess_are_apaches_own)
{
	for (size_t i = 0; i < APACHE_NCASES; i++) {
		const struct apache_case *c = &apache_cases[i];
		char *reply = apache_exchange(c->request);

		cr_expect_eq(apache_status(reply), c->own, "%s: %.40s", c->what,
		    reply);
		cr_expect(!apache_is_json(reply), "%s: now JSON", c->what);
		free(reply);
	}
}

/* ---- apache_vhost: the virtual host answers them in JSON ---- */

/*
 * docs/API.md "Shared hosting (Apache)": apache/vhost.conf's server-level
 * ErrorDocuments and AllowEncodedSlashes make these the API's JSON; the
 * malformed framings Apache refuses before even those apply stay its own.
 */
Test(apache_vhost, errors_before_the_folder_are_json)
{
	for (size_t i = 0; i < APACHE_NCASES; i++) {
		const struct apache_case *c = &apache_cases[i];
		char *reply = apache_exchange(c->request);

		cr_expect_eq(apache_status(reply), c->vhost, "%s: %.40s",
		    c->what, reply);
		if (c->vhost_json) {
			cr_expect(apache_is_json(reply), "%s: not JSON: %.300s",
			    c->what, reply);
			apache_detail_is(reply, c->detail, c->what);
		} else
			cr_expect(!apache_is_json(reply), "%s: now JSON",
			    c->what);
		free(reply);
	}
}

/* ---- apache_slow: a trickled body ---- */

/* Sends head, then body a byte every interval until seconds have passed. */
static size_t
apache_trickle(int fd, const char *body, double interval, double seconds)
{
	double start = test_monotonic_s();
	size_t sent = 0, len = strlen(body);

	while (sent < len - 1 && test_monotonic_s() - start < seconds) {
		cr_assert_eq(raw_send(fd, body + sent, 1), 0,
		    "Apache closed after %zu bytes", sent);
		sent++;
		usleep((useconds_t)(interval * 1e6));
	}
	return sent;
}

/*
 * docs/API.md "Shared hosting (Apache)": under plain CGI a body not all there
 * within CGI_BODY_TIMEOUT is 408 Request timeout, and nothing is done with
 * it. The client here is slow past the bound, then sends the rest: the
 * program gave up before, so the task is not created.
 */
Test(apache_slow, a_trickled_body_is_408_and_creates_nothing)
{
	static const char body[] = "{\"title\":\"too slow to be created\"}";
	char subject[37], head[2048];
	struct http_res *r;
	struct raw_reply reply;
	char *token;
	size_t sent;
	int fd;

	test_uuid(subject);
	token = token_for(subject);
	snprintf(head, sizeof(head), "POST /api/tasks HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", token,
	    strlen(body));
	fd = raw_connect();
	cr_assert_eq(raw_send(fd, head, strlen(head)), 0);
	sent = apache_trickle(fd, body, 0.25, APACHE_BODY_TIMEOUT_S + 1.5);
	cr_assert_eq(raw_send(fd, body + sent, strlen(body) - sent), 0);
	raw_read(fd, APACHE_HANG_MS, &reply);
	close(fd);
	cr_expect_eq(apache_status(reply.data), 408, "%.300s", reply.data);
	cr_expect(apache_is_json(reply.data), "%.300s", reply.data);
	apache_detail_is(reply.data, "Request timeout", "a trickled body");
	free(reply.data);
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200);
	cr_expect(r->json != NULL && json_object_array_length(r->json) == 0,
	    "the trickled task was created: %s", r->body);
	http_free(r);
	free(token);
}

/* ---- apache_workers: trickling clients and every worker ---- */

/* More clients than the test Apache's MaxRequestWorkers (64). */
#define APACHE_TRICKLERS 70
/* How long they trickle at most: the test's bound. */
#define APACHE_TRICKLE_S 40.0

struct apache_tricklers {
	int fds[APACHE_TRICKLERS];
	volatile int stop;
};

/* A byte to every trickler every 2 s, until told or the time is up. */
static void *
apache_trickle_all(void *arg)
{
	struct apache_tricklers *t = arg;
	double start = test_monotonic_s();

	while (!t->stop && test_monotonic_s() - start < APACHE_TRICKLE_S) {
		for (int i = 0; i < APACHE_TRICKLERS; i++)
			if (t->fds[i] >= 0 && raw_send(t->fds[i], " ", 1) != 0) {
				close(t->fds[i]);
				t->fds[i] = -1;
			}
		for (int i = 0; i < 20 && !t->stop; i++)
			usleep(100000);
	}
	return NULL;
}

/*
 * docs/API.md "Shared hosting (Apache)": 70 clients each promising a 60,000
 * byte body and sending a byte every 2 s would hold every one of Apache's
 * workers for as long as they like (Timeout bounds each read, not the
 * body). apache/vhost.conf's RequestReadTimeout closes them after 10 s, so
 * a normal client's GET /api/health is answered well within the 40 s they
 * would go on.
 */
Test(apache_workers, trickling_clients_do_not_take_every_worker,
    .timeout = 90)
{
	static const char head[] = "POST /api/tasks HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{";
	static const char health[] = "GET /api/health HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct apache_tricklers t = { .stop = 0 };
	struct raw_reply reply;
	pthread_t thread;
	double start;
	int fd;

	for (int i = 0; i < APACHE_TRICKLERS; i++) {
		t.fds[i] = raw_connect();
		cr_assert_eq(raw_send(t.fds[i], head, sizeof(head) - 1), 0);
	}
	cr_assert_eq(pthread_create(&thread, NULL, apache_trickle_all, &t), 0);
	sleep(1);
	start = test_monotonic_s();
	fd = raw_connect();
	cr_assert_eq(raw_send(fd, health, strlen(health)), 0);
	raw_read(fd, 20000, &reply);
	close(fd);
	t.stop = 1;
	pthread_join(thread, NULL);
	for (int i = 0; i < APACHE_TRICKLERS; i++)
		if (t.fds[i] >= 0)
			close(t.fds[i]);
	cr_expect_eq(apache_status(reply.data), 200,
	    "GET /api/health while 70 clients trickle: no answer in %.1f s "
	    "(%.60s)", test_monotonic_s() - start, reply.data);
	free(reply.data);
}
