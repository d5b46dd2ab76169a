/*
 * Integration: abuse. The per-address rate limit of register and login
 * (nginx limit_req, docs/API.md "Rate limit": 429 with Retry-After), and
 * login timing that does not tell an unknown email from a wrong password.
 * The scan of the
 * whole run's logs for secrets and tokens is in tests/integration/logs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support/helpers.h"


/* The limit tests/run configured (RATE_LIMIT_AUTH, RATE_LIMIT_AUTH_BURST). */
static void
configured_limit(double *per_second, int *burst)
{
	const char *rate = getenv("RATE_LIMIT_AUTH");
	const char *b = getenv("RATE_LIMIT_AUTH_BURST");
	char unit = 0;
	int n = 0;

	cr_assert(rate != NULL && b != NULL, "tests/run sets the rate limit");
	cr_assert_eq(sscanf(rate, "%dr/%c", &n, &unit), 2, "rate %s", rate);
	*per_second = unit == 's' ? n : n / 60.0;
	*burst = atoi(b);
}

/* A login that no account matches, cheap for the server: 401 or 429. */
static struct http_res *
cheap_auth(const char *path)
{
	return http_json("POST", path, NULL,
	    "{\"email\":\"nobody\",\"password\":1}");
}

static void
expect_429(struct http_res *r, const char *what)
{
	const char *after;

	cr_expect_eq(r->status, 429, "%s: %ld %s", what, r->status, r->body);
	cr_expect_str_eq(detail(r), "Too many requests", "%s", what);
	cr_expect_str_eq(http_header(r, "Content-Type"), "application/json",
	    "%s", what);
	after = http_header(r, "Retry-After");
	cr_assert_not_null(after, "%s: no Retry-After", what);
	cr_expect_gt(atoi(after), 0, "%s: Retry-After %s", what, after);
}

/*
 * docs/API.md "Rate limit": register and login, per client address, 429
 * with Retry-After.
 */
Test(rate_limit, a_burst_passes_then_429_until_retry_after)
{
	double rate, t0, elapsed;
	int burst, passed = 0, limited = 0, first_limited = -1, n;
	struct http_res *r;

	configured_limit(&rate, &burst);
	http_retry_429 = 0;
	http_new_client();
	n = burst + 15;
	t0 = test_monotonic_s();
	for (int i = 0; i < n; i++) {
		/* Register and login draw on the same bucket. */
		r = cheap_auth(i % 2 ? "/api/auth/register" : "/api/auth/login");
		if (r->status == 429) {
			if (first_limited < 0)
				first_limited = i;
			expect_429(r, "over the limit");
			limited++;
		} else {
			cr_expect(r->status == 401 || r->status == 422,
			    "request %d: %ld %s", i, r->status, r->body);
			passed++;
		}
		http_free(r);
	}
	elapsed = test_monotonic_s() - t0;
	/* nodelay: the first request and the burst pass at once; after that
	 * only what the rate refilled meanwhile. */
	cr_expect_geq(first_limited, burst + 1, "limited after %d", first_limited);
	cr_expect_leq(passed, burst + 1 + (int)(elapsed * rate) + 1,
	    "%d passed in %.2f s", passed, elapsed);
	cr_expect_gt(limited, 0, "no 429 after %d requests", n);

	/* A preflight costs nothing and is not limited. */
	r = http_req("OPTIONS", "/api/auth/login", NULL, NULL, 0);
	cr_expect_eq(r->status, 204, "preflight: %ld", r->status);
	http_free(r);
	/* Other routes are not limited. */
	r = http_req("GET", "/api/health", NULL, NULL, 0);
	cr_expect_eq(r->status, 200);
	http_free(r);

	/* Another client address has its own bucket. */
	{
		char first[32];

		snprintf(first, sizeof(first), "%s", http_client_address());
		http_new_client();
		cr_assert_str_neq(first, http_client_address());
		r = cheap_auth("/api/auth/login");
		cr_expect_eq(r->status, 422, "other client: %ld %s", r->status,
		    r->body);
		http_free(r);
	}
}

/* Retry-After is a promise: waiting that long is enough for one request. */
Test(rate_limit, waiting_retry_after_is_enough)
{
	double rate;
	int burst, i;
	struct http_res *r = NULL;
	char after[16];

	configured_limit(&rate, &burst);
	http_retry_429 = 0;
	http_new_client();
	for (i = 0; i < burst + 30; i++) {
		r = cheap_auth("/api/auth/login");
		if (r->status == 429)
			break;
		http_free(r);
		r = NULL;
	}
	cr_assert_not_null(r, "no 429 after %d requests", i);
	expect_429(r, "limit reached");
	snprintf(after, sizeof(after), "%s", http_header(r, "Retry-After"));
	http_free(r);
	sleep((unsigned)atoi(after));
	r = cheap_auth("/api/auth/login");
	cr_expect_eq(r->status, 422, "after Retry-After %s s: %ld %s", after,
	    r->status, r->body);
	http_free(r);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
timed_login(const char *email, const char *password)
{
	char body[256];
	struct http_res *r;
	double t0, t;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	/* Each try from its own address: the rate limit is not under test. */
	http_new_client();
	t0 = test_monotonic_s();
	r = http_json("POST", "/api/auth/login", NULL, body);
	t = test_monotonic_s() - t0;
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "Invalid email or password");
	http_free(r);
	return t;
}

/*
 * A login for an unknown email costs the same scrypt work as a wrong
 * password (src/auth/token.c: the built-in hash of the same cost), so response
 * times do not reveal which emails have accounts. Tries alternate and the
 * medians are compared, as a ratio: without the built-in hash an unknown
 * email answers in about 1% of the time.
 */
#define TIMING_TRIES 12
Test(timing, unknown_email_costs_what_a_wrong_password_costs, .timeout = 120)
{
	double wrong[TIMING_TRIES], unknown[TIMING_TRIES], ratio;
	char email[128], nobody[128], id[64];

	/*
	 * An account and an unknown email of their own for each try: a sixth
	 * failure of one email would wait (docs/API.md "Failed logins"), and
	 * both would then answer 429 without the check this test times.
	 */
	for (int i = 0; i < TIMING_TRIES; i++) {
		test_email(email, sizeof(email));
		test_email(nobody, sizeof(nobody));
		http_new_client();
		free(register_user(email, "the right lantern orbit 42", id));
		wrong[i] = timed_login(email, "a wrong password");
		unknown[i] = timed_login(nobody, "a wrong password");
	}
	qsort(wrong, TIMING_TRIES, sizeof(double), cmp_double);
	qsort(unknown, TIMING_TRIES, sizeof(double), cmp_double);
	ratio = unknown[TIMING_TRIES / 2] / wrong[TIMING_TRIES / 2];
	fprintf(stderr, "timing: median wrong password %.4f s, unknown email "
	    "%.4f s, ratio %.2f\n", wrong[TIMING_TRIES / 2],
	    unknown[TIMING_TRIES / 2], ratio);
	cr_expect(ratio > 0.5 && ratio < 2.0, "unknown/wrong = %.2f", ratio);
}
