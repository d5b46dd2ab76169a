/*
 * Integration: docs/API.md "Failed logins" through nginx: after 5 failures
 * an attempt waits 2^(n-5) s after the last (at most 900), earlier ones are
 * 429 `Too many failed logins` with Retry-After and no password check, a
 * success resets, and an unknown email is counted and answered alike.
 * Waits are not slept through: the last failure is moved back in the
 * database as its owner, as time would move it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "support/helpers.h"
#include "support/owner.h"

#define DETAIL_429 "Too many failed logins"
#define LOGIN_401 "Invalid email or password"
#define RIGHT "quartz-lantern-orbit-42"
#define WRONG "quartz-lantern-orbit-43"

/* As time would: the key's last failure (and its wait) seconds earlier. */
static void
move_back(const char *email, int seconds)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "UPDATE login_failures SET last_failed_at = "
	    "last_failed_at - interval '%d seconds' WHERE email_key = $1", seconds);
	free(owner_value(sql, email));
}

/* The key's count as the table holds it, "none" without a row. */
static char *
failures_of(const char *email)
{
	char *n = owner_value("SELECT failures::text FROM login_failures "
	    "WHERE email_key = $1", email);

	return n != NULL ? n : strdup("none");
}

/*
 * POST /api/auth/login from a fresh client address (the rate limit of
 * docs/API.md "Rate limit" is per address and not under test: the count is
 * per email, from wherever the attempts come). The 429s are the API's.
 */
static struct http_res *
attempt(const char *email, const char *password)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	http_retry_429 = 0;
	http_new_client();
	return http_json("POST", "/api/auth/login", NULL, body);
}

/* An attempt answered 401 (the password was checked, and wrong). */
static void
expect_401(const char *email, const char *password, const char *what)
{
	struct http_res *r = attempt(email, password);

	cr_assert_eq(r->status, 401, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(detail(r), LOGIN_401, "%s", what);
	http_free(r);
}

/* An attempt answered 429 with Retry-After retry (whole seconds). */
static void
expect_429(const char *email, const char *password, const char *retry,
    const char *what)
{
	struct http_res *r = attempt(email, password);
	const char *after = http_header(r, "Retry-After");

	cr_assert_eq(r->status, 429, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(detail(r), DETAIL_429, "%s", what);
	cr_assert(after != NULL, "%s: no Retry-After", what);
	cr_assert_str_eq(after, retry, "%s: Retry-After", what);
	http_free(r);
}

/* The right password logs in: 200 with the account's email. */
static void
expect_200(const char *email, const char *what)
{
	struct http_res *r = attempt(email, RIGHT);

	cr_assert_eq(r->status, 200, "%s: %ld %s", what, r->status, r->body);
	cr_assert(json_str(r, "access_token") != NULL, "%s: %s", what, r->body);
	http_free(r);
}

/* n wrong passwords, each checked: 401. */
static void
fail_times(const char *email, int n)
{
	char what[64];

	for (int i = 1; i <= n; i++) {
		snprintf(what, sizeof(what), "failure %d", i);
		expect_401(email, WRONG, what);
	}
}

/* A fresh account registered with RIGHT. */
static void
account(char email[128])
{
	char id[64];

	test_email(email, 128);
	free(register_user(email, RIGHT, id));
}

Test(failed_logins, five_failures_then_waits_of_1_and_2_seconds)
{
	char email[128];
	char *n;

	account(email);
	fail_times(email, 5);
	/* The 6th at once: 1 s after the 5th failure. Even the right password
	 * is not checked, and does not log in. */
	expect_429(email, RIGHT, "1", "6th attempt at once, right password");
	expect_429(email, WRONG, "1", "6th attempt at once, wrong password");
	n = failures_of(email);
	cr_assert_str_eq(n, "5", "a 429 is no failure");
	free(n);
	/* A second later it is checked: the 6th failure, then a 2 s wait. */
	move_back(email, 1);
	expect_401(email, WRONG, "6th attempt after 1 s");
	expect_429(email, RIGHT, "2", "7th attempt at once");
	move_back(email, 2);
	expect_401(email, WRONG, "7th attempt after 2 s");
	expect_429(email, WRONG, "4", "8th attempt at once");
	n = failures_of(email);
	cr_assert_str_eq(n, "7");
	free(n);
	/* Waited out, the right password logs in and the count is gone. */
	move_back(email, 4);
	expect_200(email, "after the wait");
	n = failures_of(email);
	cr_assert_str_eq(n, "none", "a success resets the count");
	free(n);
}

Test(failed_logins, the_wait_doubles_up_to_900_seconds)
{
	static const struct { const char *failures, *retry; } rows[] = {
		{ "8", "8" }, { "14", "512" }, { "15", "900" }, { "40", "900" },
		{ "2000000000", "900" },
	};
	char email[128], sql[200];

	account(email);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO login_failures VALUES "
		    "($1, %s, now()) ON CONFLICT (email_key) DO UPDATE SET "
		    "failures = EXCLUDED.failures, last_failed_at = now()",
		    rows[i].failures);
		free(owner_value(sql, email));
		expect_429(email, RIGHT, rows[i].retry, rows[i].failures);
	}
	/* Rounded up: 899.5 s left is 900. */
	free(owner_value("UPDATE login_failures SET last_failed_at = now() - "
	    "interval '0.5 seconds' WHERE email_key = $1", email));
	expect_429(email, RIGHT, "900", "899.5 s left");
}

Test(failed_logins, a_success_resets_the_count)
{
	char email[128];

	account(email);
	fail_times(email, 4);
	expect_200(email, "after four failures");
	/* Five more failures in a row are checked again, the sixth waits. */
	fail_times(email, 5);
	expect_429(email, RIGHT, "1", "after five failures since the success");
}

Test(failed_logins, an_unknown_email_is_counted_and_answered_alike)
{
	char known[128], unknown[128];
	struct http_res *a, *b;
	char *n;

	account(known);
	test_email(unknown, sizeof(unknown));
	fail_times(unknown, 5);
	n = failures_of(unknown);
	cr_assert_str_eq(n, "5", "an unknown email's failures are counted");
	free(n);
	/*
	 * The known one's five failures as the first test makes them, and
	 * both last failed just now (the unknown one's 1 s may have passed).
	 */
	free(owner_value("INSERT INTO login_failures VALUES ($1, 5, now())", known));
	free(owner_value("UPDATE login_failures SET last_failed_at = now() "
	    "WHERE email_key = $1", unknown));
	a = attempt(known, RIGHT);
	b = attempt(unknown, RIGHT);
	cr_assert_eq(a->status, 429, "%s", a->body);
	cr_assert_eq(b->status, 429, "%s", b->body);
	cr_assert_str_eq(a->body, b->body, "the two 429s differ");
	cr_assert_str_eq(http_header(a, "Retry-After"), "1");
	cr_assert_str_eq(http_header(b, "Retry-After"), "1");
	http_free(a);
	http_free(b);
	/* An address no account can have is not counted: a 6th is checked. */
	for (int i = 0; i < 6; i++)
		expect_401("not-an-email", WRONG, "not an email");
}

/*
 * The throttled answer checks no password, so it is quick, and takes no
 * less time for an unknown email than for a known one (the same single
 * statement for both). Tries come in pairs, one right after the other and
 * in alternating order, so the machine's load meets both alike; the
 * median of the pairs' ratios is compared.
 */
#define TRIES 21

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
timed(const char *email, long want)
{
	double t0 = test_monotonic_s(), t;
	struct http_res *r = attempt(email, WRONG);

	t = test_monotonic_s() - t0;
	cr_assert_eq(r->status, want, "%s: %ld %s", email, r->status, r->body);
	http_free(r);
	return t;
}

Test(failed_logins, a_throttled_answer_takes_the_same_time_known_or_not,
    .timeout = 120)
{
	double ratios[TRIES], known_t[TRIES], checked[3], k, u;
	char known[128], unknown[128], other[128];

	account(known);
	test_email(unknown, sizeof(unknown));
	/* What a checked password costs: three of another email's failures. */
	test_email(other, sizeof(other));
	for (int i = 0; i < 3; i++)
		checked[i] = timed(other, 401);
	/* Failures at the 900 s cap: no try below reaches the wait's end. */
	free(owner_value("INSERT INTO login_failures VALUES ($1, 40, now())", known));
	free(owner_value("INSERT INTO login_failures VALUES ($1, 40, now())", unknown));
	for (int i = 0; i < TRIES; i++) {
		if (i % 2 == 0) {
			k = timed(known, 429);
			u = timed(unknown, 429);
		} else {
			u = timed(unknown, 429);
			k = timed(known, 429);
		}
		ratios[i] = u / k;
		known_t[i] = k;
	}
	qsort(ratios, TRIES, sizeof(double), cmp_double);
	qsort(known_t, TRIES, sizeof(double), cmp_double);
	qsort(checked, 3, sizeof(double), cmp_double);
	fprintf(stderr, "failed_logins: throttled known %.4f s (median), "
	    "unknown/known %.2f (median of pairs); a checked password %.4f s\n",
	    known_t[TRIES / 2], ratios[TRIES / 2], checked[1]);
	cr_expect(ratios[TRIES / 2] > 0.5, "unknown/known = %.2f",
	    ratios[TRIES / 2]);
	/* No scrypt check: well under one checked password. */
	cr_expect(known_t[TRIES / 2] < checked[1] / 2,
	    "throttled %.4f s, checked %.4f s", known_t[TRIES / 2], checked[1]);
}

/*
 * Attempts at once get no more checks than one at a time: each is counted
 * before its check, under the count's row lock, so one attempt of a burst
 * is checked and the others wait. 14 failures behind them, the last one
 * 1,000 s ago: the first attempt is let through (its wait of 2^9 s is
 * over) and makes the wait 900 s, so the others are refused however
 * slowly they arrive (under valgrind a checked password holds a worker
 * for seconds, longer than the 1 s wait that 5 failures would give).
 */
#define BURST 6

struct burst_try {
	const char *email;
	long status;
};

static void *
burst_thread(void *arg)
{
	struct burst_try *t = arg;
	struct http_res *r = attempt(t->email, WRONG);

	t->status = r->status;
	http_free(r);
	return NULL;
}

Test(failed_logins, a_burst_of_attempts_is_checked_once)
{
	pthread_t th[BURST];
	struct burst_try tries[BURST];
	char email[128];
	int checked = 0, waited = 0;

	account(email);
	free(owner_value("INSERT INTO login_failures VALUES ($1, 14, "
	    "now() - interval '1000 seconds')", email));
	for (int i = 0; i < BURST; i++) {
		tries[i] = (struct burst_try){ email, 0 };
		cr_assert_eq(pthread_create(&th[i], NULL, burst_thread, &tries[i]), 0);
	}
	for (int i = 0; i < BURST; i++) {
		pthread_join(th[i], NULL);
		checked += tries[i].status == 401;
		waited += tries[i].status == 429;
	}
	cr_assert_eq(checked, 1, "%d of %d checked", checked, BURST);
	cr_assert_eq(waited, BURST - 1, "%d of %d waited", waited, BURST);
}
