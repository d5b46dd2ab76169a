/*
 * helpers.h: what the integration tests share: a real HTTP client (libcurl)
 * talking to the nginx that tests/run started, tokens signed with libjwt and
 * the same secret the programs use, and a few JSON accessors.
 */
#ifndef TASKAPI_TEST_HELPERS_H
#define TASKAPI_TEST_HELPERS_H

#include <stddef.h>
#include <time.h>

struct json_object;

struct http_res {
	long status;
	char *headers;		/* raw header block, "Name: value\r\n" lines */
	char *body;		/* NUL-terminated */
	size_t body_len;
	struct json_object *json;	/* parsed body, NULL if not JSON */
};

/*
 * One request to the API under test. path starts with "/" (query included);
 * headers is a NULL-terminated list of "Name: value" strings (may be NULL);
 * body may be NULL; body_len (size_t)-1 means strlen(body). A request that
 * fails at the transport level fails the test.
 */
struct http_res *http_req(const char *method, const char *path,
    const char *const *headers, const char *body, size_t body_len);
/*
 * Requests come from this process's own loopback address (127.x.y.z), so
 * each test is its own client for the per-address rate limit; a 429 is
 * retried after its Retry-After unless http_retry_429 is 0.
 */
const char *http_client_address(void);
/* Switches to another client address for the following requests. */
void http_new_client(void);
/* Sends this test's requests to another instance (base URL; NULL: the main one). */
void http_use_base(const char *url);
extern int http_retry_429;

/* The same with a bearer token (NULL: no Authorization) and JSON body. */
struct http_res *http_json(const char *method, const char *path,
    const char *token, const char *json_body);
void http_free(struct http_res *r);

/* A header's value (case-insensitive name), copied into a static buffer; NULL if absent. */
const char *http_header(const struct http_res *r, const char *name);

/* JSON accessors on the response body: NULL/-1 when absent or not that type. */
const char *json_str(const struct http_res *r, const char *key);
int json_flag(const struct http_res *r, const char *key);
int json_is_null(const struct http_res *r, const char *key);
/* The detail field of an error body. */
const char *detail(const struct http_res *r);

/* A member of a JSON object as a string; NULL when absent or not a string. */
const char *obj_str(struct json_object *o, const char *key);
/* A lower-case 8-4-4-4-12 UUID. */
int is_uuid(const char *s);
/* docs/API.md "General": timestamps are RFC 3339 in UTC, microseconds, a Z. */
int is_timestamp(const char *s);

/* The secret the programs use (from the environment tests/run sets). */
const char *test_secret(void);
/* A fresh random subject / email, unique across the run. */
void test_uuid(char out[37]);
void test_email(char *out, size_t len);

/*
 * Signs a token over the given JSON payload with key and algorithm name
 * ("HS256", "HS384", ...), as any issuer sharing the secret would.
 * Returns a string to free().
 */
char *token_sign(const char *payload_json, const char *key, const char *alg);
/* An HS256 token for subject, valid for an hour, with the test secret. */
char *token_for(const char *subject);

/* Registers a fresh user; returns its access token (free()) and fills id. */
char *register_user(const char *email, const char *password, char id[64]);

/* Creates a task for token with the given title; fills its id. */
void create_task(const char *token, const char *title, char id[37]);

/* base64url without padding, for hand-made tokens; returns a string to free(). */
char *b64url(const char *data, size_t len);

/* Runs a command of the test stack (scripts/stack db-stop, db-start). */
int stack_command(const char *what);
/* The same, with its output (stdout and stderr) in out. */
int stack_output(const char *what, char *out, size_t outlen);

/*
 * How long after PostgreSQL is back a request may still find it away, in
 * seconds: 0 when the programs connect to it directly. Behind PgBouncer
 * (tests/run --pgbouncer sets TASKAPI_TEST_RECOVERY_S), new logins are
 * refused until its next server login succeeds, at most server_login_retry
 * after the last failed one.
 */
double test_recovery_s(void);

/* CLOCK_MONOTONIC in seconds, for measuring how long something took. */
double test_monotonic_s(void);

/*
 * method path with a bearer token, the JSON body when not NULL (with its
 * Content-Type), and up to two more header lines h1, h2 (NULL for none).
 */
struct http_res *http_bearer(const char *method, const char *path,
    const char *token, const char *body, const char *h1, const char *h2);

/*
 * "/api/tasks/<id><suffix>", in one of four rotating buffers of the calling
 * thread, so a few may be used in one call.
 */
const char *task_path(const char *id, const char *suffix);

/* unit repeated n times, between prefix and suffix; returns a string to free(). */
char *str_repeat(const char *prefix, const char *unit, size_t n,
    const char *suffix);

#endif
