/*
 * Integration: faults under load (docs/API.md "Outages": the database down
 * is 503 with Retry-After, never a hang; requests after it comes back succeed
 * without restarting anything). PostgreSQL stopped with requests in
 * flight, a worker killed mid-load, and ten thousand creates across a
 * database restart with nothing acknowledged lost.
 *
 * Client threads use their own libcurl handles and only record what they
 * saw: Criterion's assertions belong to the test's main thread, which
 * judges the records once every thread has been joined.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/procs.h"

/*
 * A request that takes this long is a hang: it fails the test instead of
 * holding the suite. No request here should come near it, since a program
 * gives up on PostgreSQL after 2 s a host; nginx itself would wait 30 s for a
 * program that hangs, which this catches first.
 */
#define CLIENT_TIMEOUT_S	20L
/* Criterion's own bound on each test, in case a thread itself hangs. */
#define TEST_TIMEOUT_S		240.
/*
 * After a failure the outage and kill tests' clients pause this long
 * before their next request: short, so they keep asking while the fault
 * lasts, yet not a busy loop. The creators wait what Retry-After says, as
 * a well-behaved client would, up to RETRY_AFTER_CAP_S.
 */
#define FAIL_PAUSE_MS		20
#define RETRY_AFTER_CAP_S	5

/* Test 1: clients, and how long each phase of the outage lasts. */
#define OUTAGE_CLIENTS		8
#define OUTAGE_BEFORE_MS	1500
#define OUTAGE_DOWN_MS		2000
#define OUTAGE_AFTER_MS		3000
/* Requests that must start after the restart, so "all of them succeed"
 * says something. A slow path (plain CGI on a busy machine) may need
 * longer than OUTAGE_AFTER_MS for them: the test waits on for them, up to
 * OUTAGE_AFTER_MAX_MS in all. */
#define OUTAGE_AFTER_MIN	40
#define OUTAGE_AFTER_MAX_MS	20000

/* Test 2: clients, load before the kill and after the replacement. */
#define KILL_CLIENTS		6
#define KILL_BEFORE_MS		1000
#define KILL_AFTER_MS		1500
/* How long to wait for the worker to kill to be inside a request. */
#define KILL_BUSY_WAIT_MS	2000
/* The supervisor's replacement must show within this long. */
#define KILL_REPLACE_MS		10000
#define KILL_AFTER_MIN		40
/* multiwatch -f WORKERS in tests/run. */
#define ROUTE_WORKERS		2
#define MAX_WORKERS		16

/* Test 3: clients and creates; the restart comes when half are done. */
#define CREATE_CLIENTS		32
#define CREATE_TOTAL		10000

#define TITLE_MAX		128
#define DETAIL_MAX		64

/* What one request saw. */
struct call {
	double t0, t1;		/* CLOCK_MONOTONIC, start and end */
	int curl_rc;		/* CURLE_OK, or the transport error */
	long status;
	int retry_after;	/* Retry-After in seconds; -1 if absent */
	int is_json;		/* the body parsed as a JSON object */
	char detail[DETAIL_MAX];	/* the error body's detail, if any */
	char id[37];		/* a 201's or 200's task id */
	char title[TITLE_MAX];	/* the title a task body carried */
};

/* One client: a subject, its token and a kept-alive connection. */
struct client {
	int index;
	char subject[37];
	char auth[2048];
	CURL *curl;
	struct curl_slist *headers;
	char *body;
	size_t body_len, body_cap;
	int retry_after;	/* of the response being read */
	atomic_int *stop;
	/* Every call, in order (tests 1 and 2). */
	struct call *calls;
	size_t ncalls, cap;
	const char *path;	/* test 2: the task to read */
};

static void pause_ms(long ms);
static void client_init(struct client *cl, int index, atomic_int *stop);
static void client_free(struct client *cl);
static void client_call(struct client *cl, const char *method,
    const char *path, const char *json, struct call *out);
static struct call *client_next(struct client *cl);
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud);
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud);
static int is_unavailable(const struct call *c, const char *want_detail);
static void describe(const struct call *c, char *out, size_t len);
static long retry_pause_ms(const struct call *c);
static void *outage_client(void *arg);
static void *reader_client(void *arg);
static void *creator_client(void *arg);
static int worker_state(pid_t pid);
static void create_title(char *out, size_t len, const char *run, int client,
    int seq);

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		continue;
}

/* Runs on the main thread: token_for and the checks here may assert. */
static void
client_init(struct client *cl, int index, atomic_int *stop)
{
	char *token;

	memset(cl, 0, sizeof(*cl));
	cl->index = index;
	cl->stop = stop;
	test_uuid(cl->subject);
	token = token_for(cl->subject);
	snprintf(cl->auth, sizeof(cl->auth), "Authorization: Bearer %s", token);
	free(token);
	cl->curl = curl_easy_init();
	cr_assert_not_null(cl->curl);
	cl->headers = curl_slist_append(NULL, cl->auth);
	cl->headers = curl_slist_append(cl->headers,
	    "Content-Type: application/json");
	/* curl would add "Expect: 100-continue" to large bodies. */
	cl->headers = curl_slist_append(cl->headers, "Expect:");
	cr_assert_not_null(cl->headers);
}

static void
client_free(struct client *cl)
{
	curl_slist_free_all(cl->headers);
	curl_easy_cleanup(cl->curl);
	free(cl->body);
	free(cl->calls);
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct client *cl = ud;
	size_t n = size * nmemb;

	if (cl->body_len + n + 1 > cl->body_cap) {
		size_t cap = (cl->body_len + n + 1) * 2;
		char *p = realloc(cl->body, cap);

		if (p == NULL)
			return 0;	/* curl reports a write error */
		cl->body = p;
		cl->body_cap = cap;
	}
	memcpy(cl->body + cl->body_len, ptr, n);
	cl->body_len += n;
	cl->body[cl->body_len] = '\0';
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	static const char name[] = "Retry-After:";
	struct client *cl = ud;
	size_t n = size * nmemb, i = sizeof(name) - 1;

	if (n > i && strncasecmp(ptr, name, i) == 0) {
		while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
			i++;
		/* RFC 9110 10.2.3: a number of seconds (or a date, which the
		 * API does not send and which counts as absent here). */
		if (i < n && ptr[i] >= '0' && ptr[i] <= '9') {
			cl->retry_after = 0;
			while (i < n && ptr[i] >= '0' && ptr[i] <= '9' &&
			    cl->retry_after < 1000000)
				cl->retry_after = cl->retry_after * 10 +
				    (ptr[i++] - '0');
		}
	}
	return n;
}

/*
 * One request, recorded in out. Safe on any thread: it asserts nothing.
 * The connection to nginx is kept between calls, as a real client's is.
 */
static void
client_call(struct client *cl, const char *method, const char *path,
    const char *json, struct call *out)
{
	const char *base = getenv("TASKAPI_TEST_URL");
	struct json_object *o = NULL, *v;
	char url[512];
	CURL *c = cl->curl;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", base != NULL ? base : "", path);
	cl->body_len = 0;
	cl->retry_after = -1;
	out->retry_after = -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, cl->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CLIENT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, cl);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, cl);
	if (json != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(json));
	} else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	/* HTTPGET resets the method; CUSTOMREQUEST names it again. */
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

	out->t0 = test_monotonic_s();
	out->curl_rc = (int)curl_easy_perform(c);
	out->t1 = test_monotonic_s();
	if (out->curl_rc != CURLE_OK)
		return;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->retry_after = cl->retry_after;
	if (cl->body_len > 0)
		o = json_tokener_parse(cl->body);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	out->is_json = 1;
	if (json_object_object_get_ex(o, "detail", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out->detail, sizeof(out->detail), "%s",
		    json_object_get_string(v));
	if (json_object_object_get_ex(o, "id", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out->id, sizeof(out->id), "%s",
		    json_object_get_string(v));
	if (json_object_object_get_ex(o, "title", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(out->title, sizeof(out->title), "%s",
		    json_object_get_string(v));
	json_object_put(o);
}

/* Room for one more call in the client's record; NULL when out of memory. */
static struct call *
client_next(struct client *cl)
{
	if (cl->ncalls == cl->cap) {
		size_t cap = cl->cap > 0 ? cl->cap * 2 : 1024;
		struct call *p = realloc(cl->calls, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		cl->calls = p;
		cl->cap = cap;
	}
	return &cl->calls[cl->ncalls++];
}

/*
 * A 503 as docs/API.md "Outages" promises it: Retry-After, and a JSON body
 * whose detail is want_detail (the programs' "Database unavailable", or
 * nginx's own answer for a program that is gone).
 */
static int
is_unavailable(const struct call *c, const char *want_detail)
{
	return c->curl_rc == CURLE_OK && c->status == 503 && c->retry_after >= 0 &&
	    c->is_json && strcmp(c->detail, want_detail) == 0;
}

static void
describe(const struct call *c, char *out, size_t len)
{
	if (c->curl_rc != CURLE_OK)
		snprintf(out, len, "transport error: %s",
		    curl_easy_strerror((CURLcode)c->curl_rc));
	else
		snprintf(out, len, "%ld%s%s detail \"%s\" after %.3f s",
		    c->status, c->retry_after >= 0 ? " Retry-After" : "",
		    c->is_json ? " JSON" : " not JSON", c->detail, c->t1 - c->t0);
}

/* What a client told Retry-After waits, within reason. */
static long
retry_pause_ms(const struct call *c)
{
	if (c->retry_after <= 0)
		return FAIL_PAUSE_MS;
	if (c->retry_after > RETRY_AFTER_CAP_S)
		return RETRY_AFTER_CAP_S * 1000L;
	return c->retry_after * 1000L;
}

/* ---- PostgreSQL stopped with requests in flight ------------------------ */

/*
 * From when on a call counts as after the restart (monotonic seconds, in
 * microseconds; 0 until the restart), and how many such calls ended.
 */
static atomic_llong outage_after_from_us;
static atomic_int outage_after_calls;

/* Lists and creates in turn until told to stop. */
static void *
outage_client(void *arg)
{
	struct client *cl = arg;
	char json[TITLE_MAX + 32];
	struct call *c;

	for (unsigned n = 0; !atomic_load(cl->stop); n++) {
		if ((c = client_next(cl)) == NULL)
			break;
		if (n % 2 == 0)
			client_call(cl, "GET", "/api/tasks?limit=5", NULL, c);
		else {
			snprintf(json, sizeof(json),
			    "{\"title\":\"in flight %d.%u\"}", cl->index, n);
			client_call(cl, "POST", "/api/tasks", json, c);
		}
		long long from = atomic_load(&outage_after_from_us);
		if (from > 0 && c->t0 * 1e6 >= (double)from)
			atomic_fetch_add(&outage_after_calls, 1);
		if (c->curl_rc != CURLE_OK || c->status >= 300)
			pause_ms(FAIL_PAUSE_MS);
	}
	return NULL;
}

Test(fault, database_stop_with_requests_in_flight, .timeout = TEST_TIMEOUT_S)
{
	struct client cl[OUTAGE_CLIENTS];
	pthread_t th[OUTAGE_CLIENTS];
	atomic_int stop = 0;
	double stop_begin, stopped, start_begin, started, ended;
	size_t total = 0, ok = 0, unavailable = 0, down_503 = 0, after = 0;
	size_t held = 0;
	char what[256];

	curl_global_init(CURL_GLOBAL_ALL);
	for (int i = 0; i < OUTAGE_CLIENTS; i++)
		client_init(&cl[i], i, &stop);
	for (int i = 0; i < OUTAGE_CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, outage_client, &cl[i]), 0);

	pause_ms(OUTAGE_BEFORE_MS);
	stop_begin = test_monotonic_s();
	cr_assert_eq(stack_command("db-stop"), 0, "db-stop failed");
	stopped = test_monotonic_s();
	pause_ms(OUTAGE_DOWN_MS);
	start_begin = test_monotonic_s();
	cr_assert_eq(stack_command("db-start"), 0, "db-start failed");
	started = test_monotonic_s();
	atomic_store(&outage_after_from_us,
	    (long long)((started + test_recovery_s()) * 1e6));
	pause_ms(OUTAGE_AFTER_MS);
	for (int waited = OUTAGE_AFTER_MS; waited < OUTAGE_AFTER_MAX_MS &&
	    atomic_load(&outage_after_calls) < OUTAGE_AFTER_MIN; waited += 250)
		pause_ms(250);
	ended = test_monotonic_s();
	atomic_store(&stop, 1);
	for (int i = 0; i < OUTAGE_CLIENTS; i++)
		pthread_join(th[i], NULL);

	for (int i = 0; i < OUTAGE_CLIENTS; i++) {
		for (size_t k = 0; k < cl[i].ncalls; k++) {
			const struct call *c = &cl[i].calls[k];
			int is_post = k % 2 == 1;

			describe(c, what, sizeof(what));
			total++;
			/* No hang, no dropped connection, no 500 or 502. */
			cr_assert_eq(c->curl_rc, CURLE_OK, "client %d call %zu: %s",
			    i, k, what);
			if (c->status == (is_post ? 201 : 200))
				ok++;
			else {
				cr_assert(is_unavailable(c, "Database unavailable"),
				    "client %d call %zu (%s): %s", i, k,
				    is_post ? "POST" : "GET", what);
				unavailable++;
			}
			/* PostgreSQL was surely down for the whole request. */
			if (c->status == 503 && c->t0 >= stopped &&
			    c->t1 <= start_begin)
				down_503++;
			/*
			 * Begun while it was down (or before), answered after
			 * its start began: a success can only have waited out
			 * the outage (behind PgBouncer, in its queue; it may
			 * log in again before pg_ctl returns).
			 */
			if (c->status == (is_post ? 201 : 200) &&
			    c->t0 < start_begin && c->t1 > start_begin)
				held++;
			/* Back without anyone restarting a program (behind
			 * PgBouncer, once it has logged in again). */
			if (c->t0 >= started + test_recovery_s()) {
				cr_assert(c->status == (is_post ? 201 : 200),
				    "client %d call %zu started %.3f s after "
				    "PostgreSQL was back: %s", i, k,
				    c->t0 - started, what);
				after++;
			}
		}
	}
	fprintf(stderr, "fault: database stop: %zu requests from %d clients, "
	    "%zu succeeded, %zu were 503 (%zu of them while PostgreSQL was "
	    "down), %zu held across the restart succeeded, %zu after "
	    "it was back all succeeded; stop took %.2f s, start %.2f s\n",
	    total, OUTAGE_CLIENTS, ok, unavailable, down_503, held, after,
	    stopped - stop_begin, started - start_begin);
	/*
	 * Behind PgBouncer a request may instead wait out a short outage in
	 * its queue (query_wait_timeout, longer than this outage) and succeed.
	 */
	if (test_recovery_s() > 0)
		cr_assert_gt(down_503 + held, 0, "no request saw the database "
		    "down (%zu held until it was back)", held);
	else
		cr_assert_gt(down_503, 0, "no request saw the database down");
	cr_assert_geq(after, OUTAGE_AFTER_MIN,
	    "only %zu requests after the restart, in the %.1f s the clients "
	    "ran after it", after, ended - started);
	for (int i = 0; i < OUTAGE_CLIENTS; i++)
		client_free(&cl[i]);
}

/* ---- a worker killed mid-load ------------------------------------------ */

/*
 * Whether a worker is inside a request (1) or waiting in accept() for the
 * next one (0), from the system call it is in; -1 when that cannot be
 * read (it takes the right to trace the process). Only a hint: the worker
 * may move on the moment after.
 */
static int
worker_state(pid_t pid)
{
	char path[64], buf[64];
	long nr;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	if (strncmp(buf, "running", 7) == 0)
		return 1;
	if (sscanf(buf, "%ld", &nr) != 1)
		return -1;
#ifdef SYS_accept
	if (nr == SYS_accept)
		return 0;
#endif
#ifdef SYS_accept4
	if (nr == SYS_accept4)
		return 0;
#endif
	return 1;
}

/* Reads one task over and over until told to stop. */
static void *
reader_client(void *arg)
{
	struct client *cl = arg;
	struct call *c;

	while (!atomic_load(cl->stop)) {
		if ((c = client_next(cl)) == NULL)
			break;
		client_call(cl, "GET", cl->path, NULL, c);
		if (c->curl_rc != CURLE_OK || c->status != 200)
			pause_ms(FAIL_PAUSE_MS);
	}
	return NULL;
}

Test(fault, killed_worker_is_replaced, .timeout = TEST_TIMEOUT_S)
{
	struct client cl[KILL_CLIENTS];
	pthread_t th[KILL_CLIENTS];
	char paths[KILL_CLIENTS][64], id[37], what[256];
	pid_t sup, before[MAX_WORKERS], now[MAX_WORKERS], victim, fresh = 0;
	atomic_int stop = 0;
	double killed, replaced = 0;
	size_t total = 0, failed = 0, after = 0;
	int n, busy;

	curl_global_init(CURL_GLOBAL_ALL);
	sup = route_supervisor(getenv("TASKAPI_TEST_RUN_DIR"), "task_item");
	n = route_workers(sup, before, MAX_WORKERS);
	cr_assert_eq(n, ROUTE_WORKERS, "task_item has %d workers under %ld",
	    n, (long)sup);
	for (int i = 0; i < n; i++)
		cr_assert(runs_program(before[i], "task_item"), "pid %ld",
		    (long)before[i]);
	victim = before[0];

	for (int i = 0; i < KILL_CLIENTS; i++) {
		char *token;

		client_init(&cl[i], i, &stop);
		/* The client's own task, made through the API. */
		token = token_for(cl[i].subject);
		create_task(token, "read while a worker dies", id);
		free(token);
		snprintf(paths[i], sizeof(paths[i]), "/api/tasks/%s", id);
		cl[i].path = paths[i];
	}
	for (int i = 0; i < KILL_CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader_client, &cl[i]), 0);

	pause_ms(KILL_BEFORE_MS);
	/* Killed inside a request if it can be seen, so the request that
	 * fails is seen failing as the contract says. */
	killed = test_monotonic_s();
	while ((busy = worker_state(victim)) == 0 &&
	    test_monotonic_s() - killed < KILL_BUSY_WAIT_MS / 1000.)
		continue;
	killed = test_monotonic_s();
	cr_assert_eq(kill(victim, SIGKILL), 0, "kill %ld", (long)victim);
	/* The supervisor notices the death and starts another copy. */
	while (test_monotonic_s() - killed < KILL_REPLACE_MS / 1000.) {
		n = route_workers(sup, now, MAX_WORKERS);
		if (n == ROUTE_WORKERS) {
			int gone = 1;

			fresh = 0;
			for (int i = 0; i < n; i++) {
				if (now[i] == victim)
					gone = 0;
				else if (now[i] != before[1])
					fresh = now[i];
			}
			if (gone && fresh != 0) {
				replaced = test_monotonic_s();
				break;
			}
		}
		pause_ms(20);
	}
	if (replaced > 0)
		pause_ms(KILL_AFTER_MS);
	atomic_store(&stop, 1);
	for (int i = 0; i < KILL_CLIENTS; i++)
		pthread_join(th[i], NULL);
	cr_assert_gt(replaced, 0, "no replacement for worker %ld within %d ms "
	    "(%d workers now)", (long)victim, KILL_REPLACE_MS, n);
	cr_assert_eq(kill(before[1], 0), 0, "the other worker %ld died too",
	    (long)before[1]);
	cr_assert(runs_program(fresh, "task_item"), "the replacement %ld "
	    "does not run task_item", (long)fresh);

	for (int i = 0; i < KILL_CLIENTS; i++) {
		for (size_t k = 0; k < cl[i].ncalls; k++) {
			const struct call *c = &cl[i].calls[k];

			describe(c, what, sizeof(what));
			total++;
			cr_assert_eq(c->curl_rc, CURLE_OK, "client %d call %zu: %s",
			    i, k, what);
			if (c->status != 200) {
				/* nginx's 502 for the worker that died,
				 * turned into its JSON 503. */
				cr_assert(is_unavailable(c,
				    "Service temporarily unavailable"),
				    "client %d call %zu: %s", i, k, what);
				cr_assert(c->t1 >= killed, "client %d call %zu "
				    "failed before the kill: %s", i, k, what);
				failed++;
			} else
				cr_assert_str_eq(cl[i].calls[k].id,
				    paths[i] + strlen("/api/tasks/"));
			if (c->t0 >= replaced) {
				cr_assert_eq(c->status, 200, "client %d call %zu "
				    "after the replacement: %s", i, k, what);
				after++;
			}
		}
	}
	fprintf(stderr, "fault: killed worker: %zu requests from %d clients, "
	    "%zu failed; worker %ld killed (%s), replaced by %ld after %.3f s; "
	    "%zu requests after that all succeeded\n", total, KILL_CLIENTS,
	    failed, (long)victim, busy == 1 ? "inside a request" : busy == 0 ?
	    "waiting in accept" : "state unknown", (long)fresh,
	    replaced - killed, after);
	/*
	 * A worker serves one connection at a time (libfcgi accepts, answers,
	 * then accepts again), and connections waiting on the route's socket
	 * belong to the socket, which the other worker keeps accepting from:
	 * the only request that can fail is the one the killed worker held.
	 */
	cr_assert_leq(failed, 1, "%zu requests failed", failed);
	cr_assert_geq(after, KILL_AFTER_MIN, "only %zu requests after the "
	    "replacement", after);
	for (int i = 0; i < KILL_CLIENTS; i++)
		client_free(&cl[i]);
}

/* ---- ten thousand creates across a restart ----------------------------- */

struct create_run {
	char run[9];			/* names this run in every title */
	atomic_int next;		/* the next sequence number to send */
	atomic_int done;		/* requests answered (or failed) */
	struct call calls[CREATE_TOTAL];	/* by sequence number */
	int client_of[CREATE_TOTAL];	/* which client sent it */
};

struct creator {
	struct client cl;
	struct create_run *run;
};

static void
create_title(char *out, size_t len, const char *run, int client, int seq)
{
	snprintf(out, len, "restart %s client %02d create %05d", run, client,
	    seq);
}

/* Creates tasks with fresh sequence numbers until all are taken. */
static void *
creator_client(void *arg)
{
	struct creator *cr = arg;
	struct create_run *run = cr->run;
	char title[TITLE_MAX], json[TITLE_MAX + 32];
	int seq;

	while ((seq = atomic_fetch_add(&run->next, 1)) < CREATE_TOTAL) {
		struct call *c = &run->calls[seq];

		create_title(title, sizeof(title), run->run, cr->cl.index, seq);
		snprintf(json, sizeof(json), "{\"title\":\"%s\"}", title);
		run->client_of[seq] = cr->cl.index;
		client_call(&cr->cl, "POST", "/api/tasks", json, c);
		atomic_fetch_add(&run->done, 1);
		if (c->curl_rc != CURLE_OK || c->status != 201)
			pause_ms(retry_pause_ms(c));
	}
	return NULL;
}

Test(fault, ten_thousand_creates_survive_a_restart, .timeout = TEST_TIMEOUT_S)
{
	static struct creator cr[CREATE_CLIENTS];
	pthread_t th[CREATE_CLIENTS];
	struct create_run *run;
	char uuid[37], subjects[CREATE_CLIENTS * 38 + 3], title[TITLE_MAX];
	char what[256];
	const char *params[1];
	unsigned char *seen, *found;
	double w0, stopped, w1, t_first, t_last;
	size_t acked = 0, unavailable = 0, before = 0, after = 0, unacked = 0;
	size_t held = 0;
	int rows, pos = 0;
	PGconn *db;
	PGresult *res;

	curl_global_init(CURL_GLOBAL_ALL);
	cr_assert_not_null(run = calloc(1, sizeof(*run)));
	cr_assert_not_null(seen = calloc(CREATE_TOTAL, 1));
	cr_assert_not_null(found = calloc(CREATE_TOTAL, 1));
	test_uuid(uuid);
	snprintf(run->run, sizeof(run->run), "%.8s", uuid);
	for (int i = 0; i < CREATE_CLIENTS; i++) {
		client_init(&cr[i].cl, i, NULL);
		cr[i].run = run;
	}

	t_first = test_monotonic_s();
	for (int i = 0; i < CREATE_CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, creator_client, &cr[i]), 0);
	while (atomic_load(&run->done) < CREATE_TOTAL / 2)
		pause_ms(5);
	/* The window: from before the stop is asked for until the server
	 * is accepting connections again. */
	w0 = test_monotonic_s();
	cr_assert_eq(stack_command("db-stop"), 0, "db-stop failed");
	stopped = test_monotonic_s();
	cr_assert_eq(stack_command("db-start"), 0, "db-start failed");
	w1 = test_monotonic_s();
	for (int i = 0; i < CREATE_CLIENTS; i++)
		pthread_join(th[i], NULL);
	t_last = test_monotonic_s();

	/* What the clients saw. */
	for (int s = 0; s < CREATE_TOTAL; s++) {
		const struct call *c = &run->calls[s];

		describe(c, what, sizeof(what));
		create_title(title, sizeof(title), run->run, run->client_of[s], s);
		if (c->t1 <= w0)
			before++;
		if (c->t0 >= w1)
			after++;
		if (c->curl_rc == CURLE_OK && c->status == 201) {
			cr_assert(is_uuid(c->id), "create %d: id %s", s, c->id);
			cr_assert_str_eq(c->title, title, "create %d", s);
			acked++;
			/* Begun before PostgreSQL was down, answered after:
			 * it waited out the restart (behind PgBouncer, in its
			 * queue). */
			if (c->t0 < stopped && c->t1 > stopped)
				held++;
			continue;
		}
		/* docs/API.md "Outages": the database away is 503 with
		 * Retry-After, never a hang or a 500; and only requests the
		 * restart touched fail. */
		cr_assert(is_unavailable(c, "Database unavailable"),
		    "create %d: %s", s, what);
		cr_assert(c->t0 < w1 + test_recovery_s() && c->t1 > w0,
		    "create %d failed outside "
		    "the restart (%.3f s to %.3f s after it began, which took "
		    "%.3f s): %s", s, c->t0 - w0, c->t1 - w0, w1 - w0, what);
		unavailable++;
	}

	/* What the database holds for these clients. */
	cr_assert_not_null(getenv("TASKAPI_TEST_DB"));
	db = PQconnectdb(getenv("TASKAPI_TEST_DB"));
	cr_assert_eq(PQstatus(db), CONNECTION_OK, "%s", PQerrorMessage(db));
	subjects[pos++] = '{';
	for (int i = 0; i < CREATE_CLIENTS; i++)
		pos += snprintf(subjects + pos, sizeof(subjects) - pos, "%s%s",
		    i > 0 ? "," : "", cr[i].cl.subject);
	snprintf(subjects + pos, sizeof(subjects) - pos, "}");
	params[0] = subjects;
	res = PQexecParams(db, "SELECT id::text, user_id, title FROM tasks "
	    "WHERE user_id = ANY ($1::text[])", 1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(db));
	rows = PQntuples(res);
	for (int r = 0; r < rows; r++) {
		const char *rid = PQgetvalue(res, r, 0);
		const char *owner = PQgetvalue(res, r, 1);
		const char *rtitle = PQgetvalue(res, r, 2);
		char want[TITLE_MAX], rrun[16];
		int client, s;
		const struct call *c;

		/* Nothing from nowhere: every row is one request's title,
		 * made by the client that sent it, for its subject. */
		cr_assert(sscanf(rtitle, "restart %15s client %d create %d",
		    rrun, &client, &s) == 3 && s >= 0 && s < CREATE_TOTAL &&
		    client >= 0 && client < CREATE_CLIENTS,
		    "row %s has a title no request sent: \"%s\"", rid, rtitle);
		create_title(want, sizeof(want), run->run, run->client_of[s], s);
		cr_assert_str_eq(rtitle, want, "row %s", rid);
		cr_assert_str_eq(owner, cr[client].cl.subject, "row %s (\"%s\")",
		    rid, rtitle);
		cr_assert_eq(seen[s], 0, "title \"%s\" is in two rows", rtitle);
		seen[s] = 1;
		c = &run->calls[s];
		describe(c, what, sizeof(what));
		if (c->curl_rc == CURLE_OK && c->status == 201) {
			cr_assert_str_eq(rid, c->id, "\"%s\" was acknowledged "
			    "as another row", rtitle);
			found[s] = 1;
			continue;
		}
		/* Stored but not acknowledged: only a request in flight
		 * when the server went away, which the client saw fail. */
		cr_assert(c->t0 < w1 && c->t1 > w0, "row \"%s\" was stored "
		    "for a request outside the restart: %s", rtitle, what);
		unacked++;
	}
	PQclear(res);
	PQfinish(db);

	/* Nothing acknowledged is lost. */
	for (int s = 0; s < CREATE_TOTAL; s++) {
		const struct call *c = &run->calls[s];

		if (c->curl_rc == CURLE_OK && c->status == 201)
			cr_assert(found[s], "create %d was acknowledged as %s "
			    "and is not in the database", s, c->id);
	}
	fprintf(stderr, "fault: %d creates from %d clients in %.1f s, "
	    "PostgreSQL restarted after %.1f s (stop and start took %.2f s): "
	    "%zu answered 201 (%zu held across it), %zu answered 503; %d rows "
	    "found, all %zu acknowledged among them, %zu unacknowledged rows "
	    "from requests in flight during the restart; %zu requests ended "
	    "before it, %zu started after it\n", CREATE_TOTAL, CREATE_CLIENTS,
	    t_last - t_first, w0 - t_first, w1 - w0, acked, held, unavailable,
	    rows, acked, unacked, before, after);
	cr_assert_eq((size_t)rows, acked + unacked);
	/* The restart fell in the middle of the load, and was felt. */
	cr_assert_gt(before, 0);
	cr_assert_gt(after, 0);
	/*
	 * Behind PgBouncer, creates may all wait out the restart in its queue
	 * and succeed (none then answers 503): they were held across it.
	 */
	if (test_recovery_s() > 0)
		cr_assert_gt(unavailable + held, 0, "no create saw the restart "
		    "(%zu held across it)", held);
	else
		cr_assert_gt(unavailable, 0, "no create saw the restart");
	for (int i = 0; i < CREATE_CLIENTS; i++)
		client_free(&cr[i].cl);
	free(found);
	free(seen);
	free(run);
}
