/*
 * sessions.c: the session tests' requests and the owner's statements
 * (sessions.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <jwt.h>
#include <libpq-fe.h>

#include "support/helpers.h"
#include "support/owner.h"
#include "support/sessions.h"

static struct http_res *
post_account(const char *route, const char *email, const char *password,
    const char *user_agent)
{
	char body[512], ua[4096];
	const char *hdrs[3] = { "Content-Type: application/json", NULL, NULL };

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	if (user_agent != NULL) {
		snprintf(ua, sizeof(ua), "User-Agent: %s", user_agent);
		hdrs[1] = ua;
	}
	return http_req("POST", route, hdrs, body, (size_t)-1);
}

void
session_register(const char *email, const char *password,
    struct session_tokens *t)
{
	struct http_res *r = post_account("/api/auth/register", email, password,
	    NULL);

	cr_assert_eq(r->status, 201, "register: %ld %s", r->status, r->body);
	session_tokens_read(r, t);
	http_free(r);
}

void
session_login(const char *email, const char *password, const char *user_agent,
    struct session_tokens *t)
{
	struct http_res *r = post_account("/api/auth/login", email, password,
	    user_agent);

	cr_assert_eq(r->status, 200, "login: %ld %s", r->status, r->body);
	session_tokens_read(r, t);
	http_free(r);
}

struct http_res *
session_refresh_body(const char *json_body)
{
	return http_json("POST", "/api/auth/refresh", NULL, json_body);
}

struct http_res *
session_refresh(const char *refresh, struct session_tokens *next)
{
	char body[256];
	struct http_res *r;

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", refresh);
	r = session_refresh_body(body);
	if (r->status == 200 && next != NULL)
		session_tokens_read(r, next);
	return r;
}

void
session_tokens_read(const struct http_res *r, struct session_tokens *t)
{
	struct json_object *user;
	const char *access = json_str(r, "access_token");
	const char *refresh = json_str(r, "refresh_token");

	cr_assert(access != NULL && strlen(access) < sizeof(t->access),
	    "%s", r->body);
	cr_assert(refresh != NULL && strlen(refresh) < sizeof(t->refresh),
	    "%s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "user", &user) &&
	    obj_str(user, "id") != NULL, "%s", r->body);
	snprintf(t->user, sizeof(t->user), "%s", obj_str(user, "id"));
	snprintf(t->access, sizeof(t->access), "%s", access);
	snprintf(t->refresh, sizeof(t->refresh), "%s", refresh);
	session_sid_of(t->access, t->sid);
	session_token_given(t->refresh);
}

/*
 * Every refresh token the suite is given goes to a file of the run, one a
 * line, for the log scan (tests/integration/logs.c): none may reach a log.
 */
void
session_token_given(const char *refresh)
{
	const char *run = getenv("TASKAPI_TEST_RUN_DIR");
	char path[4096];
	FILE *f;

	cr_assert_not_null(run, "TASKAPI_TEST_RUN_DIR is not set: make test");
	snprintf(path, sizeof(path), "%s/refresh-tokens", run);
	cr_assert_not_null(f = fopen(path, "a"), "%s", path);
	fprintf(f, "%s\n", refresh);
	fclose(f);
}

void
session_sid_of(const char *access, char sid[37])
{
	jwt_t *jwt = NULL;
	const char *v;

	cr_assert_eq(jwt_decode(&jwt, access, (const unsigned char *)test_secret(),
	    (int)strlen(test_secret())), 0, "not signed with JWT_SECRET: %s",
	    access);
	v = jwt_get_grant(jwt, "sid");
	snprintf(sid, 37, "%s", v != NULL ? v : "");
	jwt_free(jwt);
}

char *
owner_sql(const char *sql, const char *p1, const char *p2)
{
	const char *params[2] = { p1, p2 };

	return owner_params(sql, p2 != NULL ? 2 : p1 != NULL, params);
}

long
owner_sql_long(const char *sql, const char *p1, const char *p2)
{
	char *v = owner_sql(sql, p1, p2);
	long n;

	cr_assert_not_null(v, "%s: no value", sql);
	n = strtol(v, NULL, 10);
	free(v);
	return n;
}
