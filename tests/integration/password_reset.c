/*
 * Integration: password reset by mail (docs/API.md "Password reset"),
 * through nginx, PostgreSQL and a real SMTP server: tests/run starts
 * tests/support/smtp-sink.py, which writes each message it accepts to a
 * file of TASKAPI_TEST_SMTP_DIR ({"mail_from", "rcpt_tos", "data"}), and
 * acknowledges each one late (TASKAPI_TEST_SMTP_DELAY_S). The links read
 * here are the mails' own.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "mail/mail.h"
#include "support/helpers.h"
#include "support/instance.h"
#include "support/keys.h"
#include "support/sessions.h"

#define PASSWORD "quartz-lantern-orbit-42"
#define NEW_PASSWORD "velvet-harbor-comet-97"
#define ACCEPTED "If the account exists, an email is on its way"
#define INVALID "Invalid or expired reset token"
/* The run's PASSWORD_RESET_URL (tests/run), before its {token}. */
#define LINK "https://app.example.com/reset?token="
/* A mail comes within this long of the answer (valgrind is slow). */
#define MAIL_WAIT_S 20.0
/* How long "no mail" is waited for. */
#define NO_MAIL_WAIT_S 3.0

/* The mails to address so far: count, and the last one's data in data. */
static int
mails_to(const char *address, char **data)
{
	const char *dir = getenv("TASKAPI_TEST_SMTP_DIR");
	char path[4096], last[256] = "";
	struct dirent *e;
	DIR *d;
	int n = 0;

	cr_assert_not_null(dir, "TASKAPI_TEST_SMTP_DIR is not set: run the "
	    "suite with tests/run");
	cr_assert_not_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		struct json_object *mail, *rcpt, *v;

		if (strstr(e->d_name, ".json") == NULL || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cr_assert_not_null(mail = json_object_from_file(path), "%s", path);
		cr_assert(json_object_object_get_ex(mail, "rcpt_tos", &rcpt));
		for (size_t i = 0; i < json_object_array_length(rcpt); i++) {
			v = json_object_array_get_idx(rcpt, i);
			if (strcmp(json_object_get_string(v), address) != 0)
				continue;
			n++;
			/* Names start with the time: the greatest is the last. */
			if (strcmp(e->d_name, last) > 0 && data != NULL) {
				snprintf(last, sizeof(last), "%s", e->d_name);
				free(*data);
				cr_assert(json_object_object_get_ex(mail, "data", &v));
				cr_assert_not_null(*data = strdup(json_object_get_string(v)));
			}
		}
		json_object_put(mail);
	}
	closedir(d);
	return n;
}

/* Waits for the count-th mail to address; returns its data (free()). */
static char *
wait_mail(const char *address, int count)
{
	double until = test_monotonic_s() + MAIL_WAIT_S;
	char *data = NULL;
	int n;

	while ((n = mails_to(address, &data)) < count &&
	    test_monotonic_s() < until)
		usleep(50 * 1000);
	cr_assert_eq(n, count, "%d mails to %s, not %d", n, address, count);
	return data;
}

/* The token of a mail's link. */
static void
link_token(const char *data, char token[64])
{
	const char *p = strstr(data, LINK);
	size_t n;

	cr_assert_not_null(p, "no link in %s", data);
	p += strlen(LINK);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_");
	cr_assert_eq(n, 43, "a token of %zu characters in %s", n, data);
	memcpy(token, p, n);
	token[n] = '\0';
}

static struct http_res *
request_reset(const char *email)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	return http_json("POST", "/api/auth/password-reset", NULL, body);
}

/* A request that must be answered 202, the one answer of every account. */
static void
requested(const char *email)
{
	struct http_res *r = request_reset(email);

	cr_assert_eq(r->status, 202, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), ACCEPTED);
	http_free(r);
}

/* Requests a reset of email and returns the token its mail brings. */
static void
mailed_token(const char *email, char token[64])
{
	int before = mails_to(email, NULL);
	char *data;

	requested(email);
	data = wait_mail(email, before + 1);
	link_token(data, token);
	free(data);
}

static long
confirm(const char *token, const char *password, char *why, size_t whylen)
{
	char body[512];
	struct http_res *r;
	long status;

	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"new_password\":\"%s\"}",
	    token, password);
	r = http_json("POST", "/api/auth/password-reset/confirm", NULL, body);
	status = r->status;
	if (why != NULL)
		snprintf(why, whylen, "%s", detail(r) != NULL ? detail(r) : "");
	if (status == 204)
		cr_assert_eq(r->body_len, 0);
	http_free(r);
	return status;
}

static long
login(const char *email, const char *password)
{
	char body[512];
	struct http_res *r;
	long status;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	r = http_json("POST", "/api/auth/login", NULL, body);
	status = r->status;
	http_free(r);
	return status;
}

/* A fresh account registered here; its email in email. */
static void
account(char *email, size_t len)
{
	char id[64];

	test_email(email, len);
	free(register_user(email, PASSWORD, id));
}

Test(password_reset, a_known_email_gets_one_mail_with_a_working_link,
    .timeout = 60)
{
	char email[128], token[64], why[128], *data;

	account(email, sizeof(email));
	requested(email);
	data = wait_mail(email, 1);
	/* docs/API.md "Password reset": the mail's headers and its link. */
	cr_expect(strstr(data, "From: Task API <noreply@taskapi.test>\r\n") != NULL,
	    "%s", data);
	cr_expect(strstr(data, "\r\nSubject: Reset your password\r\n") != NULL);
	cr_expect(strstr(data, "\r\nDate: ") != NULL);
	cr_expect(strstr(data, "\r\nMessage-ID: <") != NULL);
	cr_expect(strstr(data, "\r\nMIME-Version: 1.0\r\n") != NULL);
	cr_expect(strstr(data, "\r\nContent-Type: text/plain; charset=UTF-8\r\n") != NULL);
	cr_expect(strstr(data, PASSWORD) == NULL, "the mail holds the password");
	link_token(data, token);
	free(data);
	/* One mail only, a while later too. */
	usleep((useconds_t)(NO_MAIL_WAIT_S * 1e6));
	cr_assert_eq(mails_to(email, NULL), 1);
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 204, "%s", why);
	cr_assert_eq(login(email, PASSWORD), 401);
	cr_assert_eq(login(email, NEW_PASSWORD), 200);
}

/*
 * docs/API.md "Password reset": an unknown email and an account with no
 * password here (an external issuer's user, made by its token's email)
 * get the same 202 and no mail.
 */
Test(password_reset, unknown_and_external_emails_get_no_mail, .timeout = 60)
{
	char nobody[128], external[128], sub[37], payload[512], *token;
	struct http_res *r;
	long now = (long)time(NULL);

	test_email(nobody, sizeof(nobody));
	test_email(external, sizeof(external));
	test_uuid(sub);
	snprintf(payload, sizeof(payload),
	    "{\"sub\":\"%s\",\"email\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    sub, external, now, now + 3600);
	token = token_sign(payload, test_secret(), "HS256");
	r = http_json("GET", "/api/auth/me", token, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_assert_str_eq(json_str(r, "email"), external);
	http_free(r);
	free(token);
	requested(nobody);
	requested(external);
	usleep((useconds_t)(NO_MAIL_WAIT_S * 1e6));
	cr_assert_eq(mails_to(nobody, NULL), 0);
	cr_assert_eq(mails_to(external, NULL), 0);
}

Test(password_reset, a_token_works_once, .timeout = 60)
{
	char email[128], token[64], why[128];

	account(email, sizeof(email));
	mailed_token(email, token);
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 204, "%s", why);
	cr_assert_eq(confirm(token, "another-meadow-tulip-58", why,
	    sizeof(why)), 400);
	cr_assert_str_eq(why, INVALID);
	cr_assert_eq(login(email, NEW_PASSWORD), 200);
}

/* docs/API.md "Password reset": valid 3600 s; after that, 400. */
Test(password_reset, an_expired_token_is_refused, .timeout = 60)
{
	char email[128], token[64], why[128];

	account(email, sizeof(email));
	mailed_token(email, token);
	/* The row is found by the token's SHA-256, as it is stored. */
	cr_assert_eq(owner_sql_long("WITH m AS (UPDATE password_resets SET "
	    "expires_at = now() - interval '1 second', created_at = now() - "
	    "interval '3601 seconds' WHERE token_hash = sha256(convert_to($1, "
	    "'UTF8')) RETURNING 1) SELECT count(*) FROM m", token, NULL), 1);
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 400);
	cr_assert_str_eq(why, INVALID);
	cr_assert_eq(login(email, PASSWORD), 200);
}

/* The database keeps the token's SHA-256: the mailed token's row is found by it. */
Test(password_reset, the_token_is_stored_as_its_hash, .timeout = 60)
{
	char email[128], token[64];

	account(email, sizeof(email));
	mailed_token(email, token);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM password_resets r "
	    "JOIN users u ON u.id = r.user_id WHERE u.email = $2 AND "
	    "r.token_hash = sha256(convert_to($1, 'UTF8'))", token, email), 1);
}

/*
 * docs/API.md "Password reset": the confirm ends every session of the
 * account: both earlier sessions' access tokens are refused at once, their
 * sessions (which their refresh tokens renew) are over, and the new
 * password starts a new one.
 */
Test(password_reset, the_confirm_ends_every_session, .timeout = 60)
{
	struct session_tokens a, b, c;
	char email[128], token[64], why[128];
	struct http_res *r;

	test_email(email, sizeof(email));
	session_register(email, PASSWORD, &a);
	session_login(email, PASSWORD, NULL, &b);
	r = http_json("GET", "/api/auth/me", b.access, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
	mailed_token(email, token);
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 204, "%s", why);
	r = http_json("GET", "/api/auth/me", a.access, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "Session has ended");
	http_free(r);
	r = http_json("GET", "/api/auth/me", b.access, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "Session has ended");
	http_free(r);
	/* docs/API.md "Refresh": an ended session's refresh token is refused. */
	r = session_refresh(a.refresh, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "Invalid refresh token");
	http_free(r);
	r = session_refresh(b.refresh, NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "Invalid refresh token");
	http_free(r);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "user_id = $1 AND ended_at IS NULL", a.user, NULL), 0);
	cr_assert_eq(owner_sql_long("SELECT count(*) FROM sessions WHERE "
	    "user_id = $1 AND ended_at IS NOT NULL", a.user, NULL), 2);
	session_login(email, NEW_PASSWORD, NULL, &c);
	r = http_json("GET", "/api/auth/me", c.access, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	http_free(r);
}

/*
 * A refused new password leaves the token usable; a token that is not
 * one of ours is the same 400 as an unknown one; bodies are checked.
 */
Test(password_reset, bad_bodies_and_tokens, .timeout = 60)
{
	char email[128], token[64], why[128], local[160];
	struct http_res *r;

	r = http_json("POST", "/api/auth/password-reset", NULL, "{}");
	cr_assert_eq(r->status, 422, "%ld %s", r->status, r->body);
	cr_assert_str_eq(detail(r), "email must be a valid email address of "
	    "at most 254 characters");
	http_free(r);
	r = http_json("POST", "/api/auth/password-reset", NULL,
	    "{\"email\":42}");
	cr_assert_eq(r->status, 422);
	http_free(r);
	/* Decided here: an address no account could have is 422, as on register. */
	r = request_reset("not an address");
	cr_assert_eq(r->status, 422);
	http_free(r);
	r = http_json("POST", "/api/auth/password-reset/confirm", NULL,
	    "{\"token\":\"x\"}");
	cr_assert_eq(r->status, 422);
	cr_assert_str_eq(detail(r), "new_password must be a string of 8 to 128 "
	    "characters");
	http_free(r);
	r = http_json("POST", "/api/auth/password-reset/confirm", NULL,
	    "{\"token\":null,\"new_password\":\"" NEW_PASSWORD "\"}");
	cr_assert_eq(r->status, 422);
	cr_assert_str_eq(detail(r), "token must be a string");
	http_free(r);
	r = http_json("POST", "/api/auth/password-reset/confirm", NULL,
	    "{\"token\":\"a\\u0000b\",\"new_password\":\"" NEW_PASSWORD "\"}");
	cr_assert_eq(r->status, 422);
	cr_assert_str_eq(detail(r), "token must not contain U+0000 or lone "
	    "surrogates");
	http_free(r);
	cr_assert_eq(confirm("not-a-token", NEW_PASSWORD, why, sizeof(why)), 400);
	cr_assert_str_eq(why, INVALID);
	cr_assert_eq(confirm("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    NEW_PASSWORD, why, sizeof(why)), 400);
	cr_assert_str_eq(why, INVALID);
	account(email, sizeof(email));
	mailed_token(email, token);
	cr_assert_eq(confirm(token, "short", why, sizeof(why)), 422);
	cr_assert_str_eq(why, "new_password must be a string of 8 to 128 characters");
	/* docs/API.md "Password rules", the reset's account's too. */
	cr_assert_eq(confirm(token, "password123", why, sizeof(why)), 422);
	cr_assert_str_eq(why, "Password is too common");
	snprintf(local, sizeof(local), "%.*s-velvet-harbor-97",
	    (int)(strchr(email, '@') - email), email);
	cr_assert_eq(confirm(token, local, why, sizeof(why)), 422);
	cr_assert_str_eq(why, "Password is too common");
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 204, "%s", why);
}

/*
 * A confirm forgets the account's failed logins (decided here, in
 * docs/API.md "Password reset"): a login locked out for minutes by someone
 * guessing works at once with the new password.
 */
Test(password_reset, the_confirm_ends_a_lockout, .timeout = 60)
{
	char email[128], token[64], why[128];

	account(email, sizeof(email));
	/* 12 failures just now: the next attempt must wait 2^7 s. */
	owner_sql_long("WITH f AS (INSERT INTO login_failures (email_key, "
	    "failures, last_failed_at) VALUES ($1, 12, now()) RETURNING 1) "
	    "SELECT count(*) FROM f", email, NULL);
	/* The 429 itself, not a retry after its Retry-After. */
	http_retry_429 = 0;
	cr_assert_eq(login(email, PASSWORD), 429);
	http_retry_429 = 1;
	mailed_token(email, token);
	cr_assert_eq(confirm(token, NEW_PASSWORD, why, sizeof(why)), 204, "%s", why);
	cr_assert_eq(login(email, NEW_PASSWORD), 200);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
timed_request(const char *email)
{
	double t0, t;

	/* Each try from its own address: the rate limit is not under test. */
	http_new_client();
	t0 = test_monotonic_s();
	requested(email);
	t = test_monotonic_s() - t0;
	return t;
}

/* How late the run's mail server acknowledges each mail (tests/run). */
static double
sink_delay_s(void)
{
	const char *v = getenv("TASKAPI_TEST_SMTP_DELAY_S");

	cr_assert_not_null(v, "TASKAPI_TEST_SMTP_DELAY_S is not set");
	return atof(v);
}

/*
 * docs/API.md "Password reset": "in about the same time". The run's mail
 * server acknowledges each mail late (sink_delay_s), so an answer that
 * waited for the mail would take that much more for a known email than
 * for an unknown one. The two requests of a try are compared as a ratio
 * (the login's timing test compares medians, of times 300 times longer),
 * and the ratio of the tries is checked as below. Between tries, the worker's mail is given time to go, so no
 * try queues behind another's mail.
 */
#define TIMING_TRIES 20
/* An account has at most 5 live tokens: a fresh one each 4 tries. */
#define TIMING_ACCOUNTS (TIMING_TRIES / 4)
Test(timing, a_reset_takes_as_long_for_an_unknown_email, .timeout = 120)
{
	double known[TIMING_TRIES], unknown[TIMING_TRIES], ratios[TIMING_TRIES];
	double ratio;
	char emails[TIMING_ACCOUNTS][128], nobody[128];

	/* Registered first: their scrypt work is over before the clock runs. */
	for (int i = 0; i < TIMING_ACCOUNTS; i++)
		account(emails[i], sizeof(emails[i]));
	test_email(nobody, sizeof(nobody));
	for (int i = 0; i < TIMING_TRIES; i++) {
		const char *email = emails[i / 4];

		/*
		 * The first request after the pause is the slower (a worker
		 * and PostgreSQL waking up): each goes first in turn.
		 */
		if (i % 2 == 0) {
			known[i] = timed_request(email);
			unknown[i] = timed_request(nobody);
		} else {
			unknown[i] = timed_request(nobody);
			known[i] = timed_request(email);
		}
		usleep((useconds_t)(2 * sink_delay_s() * 1e6));
	}
	/*
	 * Each try's two requests ran a millisecond apart, so the machine's
	 * load (other suites run beside this one) weighs on both alike: the
	 * ratio is taken a try at a time. The first of the two is the slower,
	 * so the median ratio of the tries where the known email went first
	 * and that of the others are multiplied, and the order's share
	 * cancels out in their geometric mean.
	 */
	for (int i = 0; i < TIMING_TRIES; i++)
		ratios[(i % 2) * (TIMING_TRIES / 2) + i / 2] = known[i] / unknown[i];
	qsort(known, TIMING_TRIES, sizeof(double), cmp_double);
	qsort(unknown, TIMING_TRIES, sizeof(double), cmp_double);
	qsort(ratios, TIMING_TRIES / 2, sizeof(double), cmp_double);
	qsort(ratios + TIMING_TRIES / 2, TIMING_TRIES / 2, sizeof(double),
	    cmp_double);
	ratio = sqrt(ratios[TIMING_TRIES / 4] *
	    ratios[TIMING_TRIES / 2 + TIMING_TRIES / 4]);
	fprintf(stderr, "timing: median reset known email %.4f s, unknown "
	    "email %.4f s, ratio %.2f\n", known[TIMING_TRIES / 2],
	    unknown[TIMING_TRIES / 2], ratio);
	cr_expect(ratio > 0.5 && ratio < 2.0, "known/unknown = %.2f", ratio);
	cr_expect(known[TIMING_TRIES / 2] < sink_delay_s(), "a known email's "
	    "answer waited for the mail: %.3f s", known[TIMING_TRIES / 2]);
}

/*
 * docs/API.md "Password reset": 5 live tokens an account at most (decided
 * here, against a stranger filling its mailbox): a sixth request is the
 * same 202, and sends nothing.
 */
Test(password_reset, at_most_five_live_tokens_an_account, .timeout = 90)
{
	char email[128];
	char *data;

	account(email, sizeof(email));
	for (int i = 0; i < 6; i++) {
		http_new_client();
		requested(email);
	}
	data = wait_mail(email, 5);
	free(data);
	usleep((useconds_t)(NO_MAIL_WAIT_S * 1e6));
	cr_assert_eq(mails_to(email, NULL), 5);
}

/*
 * The mail module itself against the run's server: a line that starts
 * with "." arrives whole (libcurl's dot-stuffing, undone by the server),
 * and an address with a line break is refused before any connection.
 */
Test(mail, dot_lines_arrive_whole_and_line_breaks_are_refused, .timeout = 60)
{
	struct mail_server server = { getenv("SMTP_URL"), "tests@taskapi.test", 10 };
	struct mail_message m = { "tests@taskapi.test", NULL, "Dots",
	    ".\n..two\n.three\nend\n" };
	char to[128], why[MAIL_WHY_MAX], *data;

	cr_assert_not_null(server.url);
	test_email(to, sizeof(to));
	m.to = to;
	cr_assert_eq(mail_send(&server, &m, why, sizeof(why)), 0, "%s", why);
	data = wait_mail(to, 1);
	cr_assert(strstr(data, "\r\n\r\n.\r\n..two\r\n.three\r\nend\r\n") != NULL,
	    "%s", data);
	free(data);
	m.to = "victim@example.com\r\nBcc: someone@example.com";
	cr_assert_eq(mail_send(&server, &m, why, sizeof(why)), -1);
}

/*
 * Runs the built program name as plain CGI (as cgi.c does, through the
 * shell), with the run's secret and database, the extra settings (shell
 * words) and a JSON body. Returns all it printed, stdout then stderr
 * (free()): the mail's failure is logged after the answer.
 */
static char *
cgi_post(const char *name, const char *settings, const char *body)
{
	const char *wrapper = getenv("WORKER_WRAPPER");
	char cmd[8192], chunk[4096], *out = NULL;
	size_t len = 0, n;
	FILE *p;

	cr_assert_not_null(getenv("BIN_DIR"), "BIN_DIR is not set: run tests/run");
	snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | env -i "
	    "GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 "
	    "REQUEST_METHOD=POST CONTENT_TYPE=application/json "
	    "CONTENT_LENGTH=%zu PATH=\"$PATH\" ASAN_OPTIONS=\"$ASAN_OPTIONS\" "
	    "UBSAN_OPTIONS=\"$UBSAN_OPTIONS\" JWT_SECRET=\"$JWT_SECRET\" "
	    "DATABASE_URL=\"$TASKAPI_TEST_APP_DB\" %s %s \"$BIN_DIR/%s\" 2>&1",
	    body, strlen(body), settings, wrapper != NULL ? wrapper : "", name);
	cr_assert_not_null(p = popen(cmd, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		cr_assert_not_null(out = realloc(out, len + n + 1));
		memcpy(out + len, chunk, n);
		len += n;
		out[len] = '\0';
	}
	cr_assert_eq(pclose(p), 0, "%s: %s", name, out != NULL ? out : "");
	cr_assert_not_null(out, "%s printed nothing", name);
	return out;
}

/* docs/API.md "Password reset": without SMTP_URL, 404 on both routes. */
Test(password_reset, without_smtp_url_both_routes_are_404, .timeout = 60)
{
	char *out;

	out = cgi_post("auth_password_reset", "", "{\"email\":\"a@b.example\"}");
	cr_assert(strncmp(out, "Status: 404", 11) == 0, "%s", out);
	cr_assert(strstr(out, "\"Password reset is not configured\"") != NULL,
	    "%s", out);
	free(out);
	out = cgi_post("auth_password_reset_confirm", "",
	    "{\"token\":\"x\",\"new_password\":\"" NEW_PASSWORD "\"}");
	cr_assert(strncmp(out, "Status: 404", 11) == 0, "%s", out);
	cr_assert(strstr(out, "\"Password reset is not configured\"") != NULL,
	    "%s", out);
	free(out);
}

/*
 * Plain CGI: a mail server that cannot be reached changes nothing of the
 * answer (202), and the program ends well (its log is /dev/null by then:
 * src/app/loop.c cgi_detach says why).
 */
Test(password_reset, an_unreachable_mail_server_changes_no_cgi_answer,
    .timeout = 60)
{
	char email[128], settings[512], body[256], *out;

	account(email, sizeof(email));
	snprintf(settings, sizeof(settings), "SMTP_URL=smtp://127.0.0.1:%d "
	    "SMTP_FROM=noreply@taskapi.test "
	    "PASSWORD_RESET_URL='https://app.example.com/r#{token}'",
	    instance_free_port());
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	out = cgi_post("auth_password_reset", settings, body);
	cr_assert(strncmp(out, "Status: 202", 11) == 0, "%s", out);
	cr_assert(strstr(out, ACCEPTED) != NULL, "%s", out);
	free(out);
}

/*
 * FastCGI: a mail server that cannot be reached changes nothing of the
 * answer, and the worker logs that the mail was not sent, naming neither
 * the address nor the token. A second instance of the API, whose SMTP_URL
 * names a port nothing listens on.
 */
Test(password_reset, an_unreachable_mail_server_is_logged_not_answered,
    .timeout = 180)
{
	struct instance in;
	char email[128], env[256], path[1024], *log = NULL;
	double until;
	size_t len = 0;

	snprintf(env, sizeof(env), "SMTP_URL='smtp://127.0.0.1:%d'",
	    instance_free_port());
	instance_start(&in, "mail-down", env);
	http_use_base(in.url);
	account(email, sizeof(email));
	requested(email);
	snprintf(path, sizeof(path), "%s/log/auth_password_reset.log", in.run_dir);
	until = test_monotonic_s() + MAIL_WAIT_S;
	do {
		free(log);
		log = key_read_file_len(path, &len);
		if (log != NULL && strstr(log, "a reset mail was not sent") != NULL)
			break;
		usleep(100 * 1000);
	} while (test_monotonic_s() < until);
	http_use_base(NULL);
	instance_stop(&in);
	cr_assert(log != NULL && strstr(log, "a reset mail was not sent") != NULL,
	    "%s: %s", path, log != NULL ? log : "(none)");
	cr_assert(strstr(log, email) == NULL, "the log names the address: %s", log);
	free(log);
}
