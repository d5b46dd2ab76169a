/*
 * Integration: the issuer's keys change and the issuer goes away, through
 * nginx and every worker process (each its own cache in memory, one cache
 * file between them). tests/run runs this suite alone, since it changes
 * what the issuer serves, and sets JWT_JWKS_RETRY_SECONDS to 2 so that a
 * rotation takes seconds here (the unit tests hold the default to 30).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support/helpers.h"
#include "support/hostile.h"
#include "support/issuer.h"
#include "support/jwks_server.h"
#include "support/keys.h"
#include "support/procs.h"

/* A flood of made-up kids: thousands a retry period, still far from
 * running a host out of local ports (see the flood test). */
#define FLOOD_PER_SECOND 1000

#define INVALID "Invalid authentication token"

struct key {
	EVP_PKEY *k;
	char kid[33];
	char *jwk;
};

/* A request's status and how long it took. */
struct timed {
	long status;
	double took;
};

/* Another server, on another port, that a redirect may point to. */
static pid_t elsewhere = -1;

static void issuer_file(const char *name, const char *text);

static void
teardown(void)
{
	/* Whatever happened, the next suite finds the issuer as it was. */
	issuer_signal(SIGCONT);
	issuer_signal(SIGUSR2);
	issuer_file("jwks.json.delay", NULL);
	issuer_file("jwks.json.location", NULL);
	issuer_restore();
	if (elsewhere > 0) {
		kill(elsewhere, SIGKILL);
		waitpid(elsewhere, NULL, 0);
		elsewhere = -1;
	}
}

TestSuite(jwks_rotation, .fini = teardown);

static long
retry_seconds(void)
{
	const char *s = getenv("JWT_JWKS_RETRY_SECONDS");

	cr_assert(s != NULL && atol(s) > 0, "JWT_JWKS_RETRY_SECONDS is not set: run make test");
	return atol(s);
}

/* Writes what the issuer's server answers (DIR/name), or removes it. */
static void
issuer_file(const char *name, const char *text)
{
	const char *d = getenv("TASKAPI_TEST_JWKS_DIR");
	char path[4096];

	cr_assert(d != NULL, "TASKAPI_TEST_JWKS_DIR is not set: run make test");
	snprintf(path, sizeof(path), "%s/%s", d, name);
	if (text == NULL)
		cr_assert(unlink(path) == 0 || errno == ENOENT, "unlink %s", path);
	else
		cr_assert_eq(key_write_file(path, text), 0, "cannot write %s", path);
}

/* Long enough that any process may fetch again. */
static void
wait_retry(void)
{
	sleep((unsigned)retry_seconds() + 1);
}

static void
key_make(struct key *k)
{
	k->k = key_new("Ed25519");
	key_random_id(k->kid);
	k->jwk = key_jwk(k->k, k->kid, "EdDSA");
}

static void
key_free(struct key *k)
{
	EVP_PKEY_free(k->k);
	free(k->jwk);
}

/* GET /api/auth/me with a fresh user's token signed by k: the status. */
static long
me_status(const struct key *k)
{
	char sub[33], *t;
	struct http_res *r;
	long status;

	key_random_id(sub);
	t = issuer_token(k->k, "EdDSA", k->kid, sub, NULL);
	r = http_json("GET", "/api/auth/me", t, NULL);
	status = r->status;
	if (status != 200)
		expect_401(r, INVALID, k->kid);
	http_free(r);
	free(t);
	return status;
}

/*
 * GET /api/auth/me with a fresh user's token of each of keys[0..n), all at
 * once, each from a process of its own: each status and time in out.
 */
static void
me_at_once(const struct key *const *keys, int n, struct timed *out)
{
	char *tokens[8], sub[33];
	pid_t pids[8];
	int fds[2];

	cr_assert_leq(n, 8);
	for (int i = 0; i < n; i++) {
		key_random_id(sub);
		tokens[i] = issuer_token(keys[i]->k, "EdDSA", keys[i]->kid, sub,
		    NULL);
	}
	cr_assert_eq(pipe(fds), 0);
	for (int i = 0; i < n; i++) {
		cr_assert_geq(pids[i] = fork(), 0);
		if (pids[i] == 0) {
			struct { int i; struct timed t; } rec = { i, { 0, 0 } };
			double t0 = test_monotonic_s();
			struct http_res *r;

			/* Should an assertion of http_json fail here, this
			 * process would go on as a test runner: end it. */
			alarm(60);
			r = http_json("GET", "/api/auth/me", tokens[i], NULL);

			rec.t.status = r->status;
			rec.t.took = test_monotonic_s() - t0;
			_exit(write(fds[1], &rec, sizeof(rec)) == sizeof(rec) ?
			    0 : 1);
		}
	}
	close(fds[1]);
	for (int k = 0; k < n; k++) {
		struct { int i; struct timed t; } rec;

		cr_assert_eq(read(fds[0], &rec, sizeof(rec)), sizeof(rec),
		    "a request's process ended without an answer");
		cr_assert(rec.i >= 0 && rec.i < n);
		out[rec.i] = rec.t;
	}
	close(fds[0]);
	for (int i = 0; i < n; i++) {
		waitpid(pids[i], NULL, 0);
		free(tokens[i]);
	}
}

/*
 * Makes two keys: known is published and taken by a request, then fresh
 * is published beside it, before any process has looked again.
 */
static void
known_then_fresh(struct key *known, struct key *fresh)
{
	const char *both[2];

	key_make(known);
	key_make(fresh);
	both[0] = known->jwk;
	issuer_publish(both, 1);
	wait_retry();
	cr_assert_eq(me_status(known), 200);
	both[1] = fresh->jwk;
	issuer_publish(both, 2);
}

Test(jwks_rotation, a_new_kid_is_taken_and_the_old_one_until_removed)
{
	struct key old, next, bogus;
	const char *one[1], *two[2];

	key_make(&old);
	key_make(&next);
	key_make(&bogus);
	one[0] = old.jwk;
	issuer_publish(one, 1);
	wait_retry();
	cr_assert_eq(me_status(&old), 200, "a published key");
	/* Rotation: a new kid appears beside the old one. */
	two[0] = old.jwk;
	two[1] = next.jwk;
	issuer_publish(two, 2);
	wait_retry();
	cr_assert_eq(me_status(&next), 200, "the new kid");
	/* Every worker: all of them must take both now. */
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(me_status(&next), 200, "the new kid, again");
		cr_assert_eq(me_status(&old), 200, "the old kid in its grace period");
	}
	/* The grace period ends: the old key leaves the set. */
	one[0] = next.jwk;
	issuer_publish(one, 1);
	wait_retry();
	/* An unknown kid makes a process look again; then the old is gone. */
	cr_assert_eq(me_status(&bogus), 401);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(me_status(&old), 401, "a removed key, try %d", i);
		cr_assert_eq(me_status(&next), 200);
	}
	key_free(&old);
	key_free(&next);
	key_free(&bogus);
}

Test(jwks_rotation, a_flood_of_made_up_kids_does_not_hammer_the_issuer)
{
	struct key bogus;
	double t0;
	int before, fetched, requests = 0;
	double took;

	key_make(&bogus);
	wait_retry();
	before = issuer_fetches();
	t0 = test_monotonic_s();
	/* For a few retry periods: a new made-up kid every time, through
	 * every worker, at most FLOOD_PER_SECOND. Each request is a new
	 * connection from this test's one address, and unpaced a fast machine
	 * ran 28,870 in 6 s, near the 28,232 local ports a host has for one
	 * address while the closed ones wait out TIME_WAIT. */
	while ((took = test_monotonic_s() - t0) < 3.0 * (double)retry_seconds()) {
		char kid[33];

		if (requests > took * FLOOD_PER_SECOND) {
			usleep(1000);
			continue;
		}
		key_random_id(kid);
		memcpy(bogus.kid, kid, sizeof(kid));
		cr_assert_eq(me_status(&bogus), 401);
		requests++;
	}
	took = (test_monotonic_s() - t0);
	fetched = issuer_fetches() - before;
	fprintf(stderr, "jwks flood: %d requests in %.1f s, %d fetches\n",
	    requests, took, fetched);
	/* All processes together: one per retry period, plus the first. */
	cr_assert_geq(fetched, 1);
	cr_assert_leq(fetched, (int)(took / (double)retry_seconds()) + 1,
	    "%d fetches in %.1f s", fetched, took);
	key_free(&bogus);
}

Test(jwks_rotation, the_issuer_gone_cached_keys_work_a_new_kid_is_401_at_once)
{
	struct key known, fresh;
	double t0;
	char kid[33];
	EVP_PKEY *stable = issuer_key("ed25519", kid);
	struct key st = { stable, "", NULL };

	memcpy(st.kid, kid, sizeof(kid));
	/* The issuer publishes a new key, then goes away before we look. */
	known_then_fresh(&known, &fresh);
	issuer_signal(SIGUSR1);
	wait_retry();
	t0 = test_monotonic_s();
	cr_assert_eq(me_status(&fresh), 401, "a kid nobody could fetch");
	cr_assert_lt((test_monotonic_s() - t0), 3.0, "a refused connection is quick");
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(me_status(&known), 200, "a cached key, the issuer down");
		cr_assert_eq(me_status(&st), 200, "a stable key, the issuer down");
	}
	/* Back: the new kid is taken once a process may look again. */
	issuer_signal(SIGUSR2);
	wait_retry();
	cr_assert_eq(me_status(&fresh), 200, "the new kid after the issuer came back");
	key_free(&known);
	key_free(&fresh);
	EVP_PKEY_free(stable);
}

Test(jwks_rotation, a_hanging_issuer_delays_one_request_by_at_most_5_seconds)
{
	struct key known, fresh;
	double t0;
	double took;

	known_then_fresh(&known, &fresh);
	/* Stopped: connections are accepted by the kernel, never answered. */
	issuer_signal(SIGSTOP);
	wait_retry();
	t0 = test_monotonic_s();
	cr_assert_eq(me_status(&fresh), 401);
	took = (test_monotonic_s() - t0);
	fprintf(stderr, "jwks hang: the request that fetched took %.2f s\n", took);
	/* The fetch's bound, plus a request's own time (valgrind is slow). */
	cr_assert_lt(took, 10.0, "a hanging issuer held a request %.2f s", took);
	/* Within the retry period, the next ones do not wait on it again,
	 * whichever worker they reach, and cached keys work. */
	t0 = test_monotonic_s();
	cr_assert_eq(me_status(&fresh), 401);
	cr_assert_eq(me_status(&known), 200);
	cr_assert_eq(me_status(&fresh), 401);
	took = (test_monotonic_s() - t0);
	cr_assert_lt(took, (double)retry_seconds(), "3 requests took %.2f s", took);
	issuer_signal(SIGCONT);
	wait_retry();
	cr_assert_eq(me_status(&fresh), 200, "the new kid once the issuer answers");
	key_free(&known);
	key_free(&fresh);
}

/*
 * A worker that has never had the set (it started while the issuer was
 * down, and there is no cache file to read) cannot judge the issuer's
 * tokens: 503 with a Retry-After, as for the database, and not a 401 that
 * would make the front end log its user out for our outage. Once the
 * issuer answers, the same token works. On the JWKS-only instance, whose
 * /api/auth/me workers are started again cold.
 */
Test(jwks_rotation, a_worker_that_never_had_the_keys_answers_503_until_the_issuer_is_back)
{
	const char *dir = getenv("TASKAPI_TEST_JWKS_ONLY_DIR"),
	    *url = getenv("TASKAPI_TEST_JWKS_ONLY_URL"), *after;
	char kid[33], sub[33], cache[1024], *t;
	EVP_PKEY *k = issuer_key("ed25519", kid);
	struct http_res *r;
	double t0, took;

	cr_assert(dir != NULL && url != NULL, "TASKAPI_TEST_JWKS_ONLY_DIR or _URL is not set: run make test");
	http_use_base(url);
	key_random_id(sub);
	t = issuer_token(k, "EdDSA", kid, sub, NULL);
	r = http_json("GET", "/api/auth/me", t, NULL);
	cr_assert_eq(r->status, 200, "before: %ld %s", r->status, r->body);
	http_free(r);

	issuer_signal(SIGUSR1);
	snprintf(cache, sizeof(cache), "%s/cache/jwks-cache.json", dir);
	cr_assert(unlink(cache) == 0 || errno == ENOENT, "unlink %s", cache);
	route_restart(dir, "auth_me", 60.0);
	for (int i = 0; i < 3; i++) {
		t0 = test_monotonic_s();
		r = http_json("GET", "/api/auth/me", t, NULL);
		cr_assert_eq(r->status, 503, "try %d: %ld %s", i, r->status, r->body);
		cr_assert_str_eq(detail(r), "Token issuer unavailable");
		cr_assert_str_eq(http_header(r, "Content-Type"), "application/json");
		cr_assert_null(http_header(r, "WWW-Authenticate"), "not a 401");
		cr_assert_not_null(after = http_header(r, "Retry-After"));
		cr_assert(atol(after) >= 1 && atol(after) <= retry_seconds(),
		    "Retry-After: %s", after);
		took = test_monotonic_s() - t0;
		fprintf(stderr, "jwks cold: try %d answered 503 in %.2f s\n", i, took);
		/* A refused connection is quick; the first try also waits
		 * for the new worker to start (valgrind is slow). */
		cr_assert_lt(took, i == 0 ? 10.0 : 3.0, "try %d took %.2f s", i, took);
		http_free(r);
	}
	/* Our own faults are not the issuer's: a token of no key set at all
	 * is still judged by what it is. */
	r = http_json("GET", "/api/auth/me", "not.a.token", NULL);
	expect_401(r, INVALID, "a malformed token");
	http_free(r);

	issuer_signal(SIGUSR2);
	wait_retry();
	r = http_json("GET", "/api/auth/me", t, NULL);
	cr_assert_eq(r->status, 200, "the issuer back: %ld %s", r->status, r->body);
	http_free(r);
	free(t);
	EVP_PKEY_free(k);
}

/*
 * docs/API.md "External issuers": never twice within the retry period,
 * counted from a fetch's start. An issuer that takes 1.5 s to answer
 * (most of the suite's 2 s period) is fetched once for six requests of an
 * unknown kid at once: the others see the fetch in flight and answer from
 * the keys they have, instead of fetching again once it ended.
 */
Test(jwks_rotation, a_slow_issuer_is_fetched_once_for_requests_at_once)
{
	struct key fresh;
	const struct key *six[6];
	const char *one[1];
	struct timed t[6];
	int before, fetched, took_it = 0;

	key_make(&fresh);
	one[0] = fresh.jwk;
	issuer_publish(one, 1);
	issuer_file("jwks.json.delay", "1500");
	wait_retry();
	before = issuer_fetches();
	for (int i = 0; i < 6; i++)
		six[i] = &fresh;
	me_at_once(six, 6, t);
	fetched = issuer_fetches() - before;
	for (int i = 0; i < 6; i++) {
		fprintf(stderr, "jwks slow: request %d: %ld in %.2f s\n", i,
		    t[i].status, t[i].took);
		cr_assert(t[i].status == 200 || t[i].status == 401,
		    "request %d: %ld", i, t[i].status);
		took_it += t[i].status == 200;
	}
	cr_assert_eq(fetched, 1, "%d fetches for 6 requests at once", fetched);
	cr_assert_geq(took_it, 1, "the request that fetched has the new key");
	issuer_file("jwks.json.delay", NULL);
	/* Every worker has it now, from the cache file, with no fetch. */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(me_status(&fresh), 200, "try %d", i);
	cr_assert_eq(issuer_fetches() - before, 1);
	key_free(&fresh);
}

/*
 * A hanging issuer holds the one request that fetches, and no other:
 * three requests of an unknown kid and one of a known kid at once, on two
 * workers; only one of them waits out the fetch's 5 s.
 */
Test(jwks_rotation, a_hanging_issuer_holds_one_request_not_every_one)
{
	struct key known, fresh;
	const struct key *four[4];
	struct timed t[4];
	int waited = 0;

	known_then_fresh(&known, &fresh);
	issuer_signal(SIGSTOP);
	wait_retry();
	four[0] = four[1] = four[2] = &fresh;
	four[3] = &known;
	me_at_once(four, 4, t);
	for (int i = 0; i < 4; i++) {
		fprintf(stderr, "jwks hang: request %d: %ld in %.2f s\n", i,
		    t[i].status, t[i].took);
		cr_assert_eq(t[i].status, i < 3 ? 401 : 200, "request %d", i);
		waited += t[i].took >= 4.0;
	}
	cr_assert_leq(waited, 1, "%d requests waited on the issuer", waited);
	cr_assert_lt(t[3].took, 4.0, "the known kid waited %.2f s", t[3].took);
	issuer_signal(SIGCONT);
	wait_retry();
	cr_assert_eq(me_status(&fresh), 200, "the new kid once the issuer answers");
	key_free(&known);
	key_free(&fresh);
}

/*
 * docs/API.md "External issuer settings": a redirect is followed within
 * the URL's origin only. One to a server on another port of the same host
 * is not: the keys it serves are never loaded. One to another path of the
 * same server still is.
 */
Test(jwks_rotation, a_redirect_to_another_port_is_not_followed)
{
	struct key fresh;
	char other[] = "/tmp/jwks-elsewhere.XXXXXX", path[4096], loc[256];
	char *set, *port;
	int other_port;

	key_make(&fresh);
	set = key_set((const char *const *)&fresh.jwk, 1);
	cr_assert_not_null(mkdtemp(other));
	snprintf(path, sizeof(path), "%s/jwks.json", other);
	cr_assert_eq(key_write_file(path, set), 0);
	elsewhere = jwks_server_fork(other, &other_port);
	cr_assert_gt(elsewhere, 0);
	snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/jwks.json", other_port);
	issuer_file("jwks.json.location", loc);
	wait_retry();
	cr_assert_eq(me_status(&fresh), 401, "a key served on another port");
	cr_assert_eq(jwks_server_requests(other), 0, "fetched from port %d",
	    other_port);
	/* The same origin, another path: followed. */
	snprintf(path, sizeof(path), "%s/port", getenv("TASKAPI_TEST_JWKS_DIR"));
	cr_assert_not_null(port = key_read_file(path));
	issuer_file("moved.json", set);
	snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/moved.json", atoi(port));
	issuer_file("jwks.json.location", loc);
	wait_retry();
	cr_assert_eq(me_status(&fresh), 200, "a key behind a same-origin redirect");
	issuer_file("jwks.json.location", NULL);
	issuer_file("moved.json", NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", other);
	cr_assert_eq(system(path), 0);
	free(port);
	free(set);
	key_free(&fresh);
}
