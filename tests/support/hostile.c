/*
 * hostile.c: the checks shared by integration/hostile_tokens.c and
 * integration/hostile_input.c. A hostile request must get the contract's
 * answer, and that answer must never leak what is behind it.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "support/helpers.h"
#include "support/hostile.h"

/*
 * Words that appear in PostgreSQL, libpq, libjwt, json-c or nginx error
 * text, or in a file path, and in no detail of the contract.
 */
static const char *const internals[] = {
	"ERROR", "SQL", "sql", "postgres", "Postgres", "libpq", "relation ",
	"violates", "syntax", "json-c", "json_", "jwt_", "<html", "nginx",
	"/tmp/", "/usr/", "/var/", "/etc/", ".c:", "Traceback", "errno",
};

void
answer_is_clean(const struct http_res *r, const char *what)
{
	const char *ct = http_header(r, "Content-Type");
	const char *d;

	cr_assert(r->status < 500, "%s: a server error %ld: %s", what,
	    r->status, r->body);
	if (r->body_len == 0 && r->status == 204)
		return;
	cr_assert(ct != NULL && strcmp(ct, "application/json") == 0,
	    "%s: Content-Type %s (status %ld)", what, ct != NULL ? ct : "(none)",
	    r->status);
	cr_assert_not_null(r->json, "%s: the body is not JSON: %.200s", what,
	    r->body);
	if (r->status < 400)
		return;
	d = json_str(r, "detail");
	cr_assert(d != NULL && d[0] != '\0', "%s: no detail in %.200s", what,
	    r->body);
	cr_assert_eq(json_object_object_length(r->json), 1,
	    "%s: an error body is {\"detail\"} alone: %.200s", what, r->body);
	for (size_t i = 0; i < sizeof(internals) / sizeof(internals[0]); i++)
		cr_assert(strstr(r->body, internals[i]) == NULL,
		    "%s: \"%s\" in the answer %.200s", what, internals[i], r->body);
}

void
expect_refusal(const struct http_res *r, long status, const char *want,
    const char *what)
{
	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %.300s", what,
	    status, r->status, r->body);
	answer_is_clean(r, what);
	if (want != NULL)
		cr_assert_str_eq(detail(r), want, "%s: detail of %.300s", what,
		    r->body);
}

void
expect_401(const struct http_res *r, const char *want, const char *what)
{
	const char *w;

	expect_refusal(r, 401, want, what);
	/* http_header's buffer is shared: read it after the other checks. */
	w = http_header(r, "WWW-Authenticate");
	cr_assert(w != NULL && strcmp(w, "Bearer") == 0,
	    "%s: WWW-Authenticate is %s", what, w != NULL ? w : "(none)");
}

void
still_serving(const char *token, const char *what)
{
	struct http_res *r = http_req("GET", "/api/health", NULL, NULL, 0);

	cr_assert_eq(r->status, 200, "after %s: health %ld %s", what, r->status,
	    r->body);
	cr_assert(json_str(r, "database") != NULL &&
	    strcmp(json_str(r, "database"), "ok") == 0,
	    "after %s: health %s", what, r->body);
	http_free(r);
	if (token == NULL)
		return;
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200, "after %s: list %ld %s", what, r->status,
	    r->body);
	cr_assert(r->json != NULL && json_object_is_type(r->json,
	    json_type_array), "after %s: list %s", what, r->body);
	http_free(r);
}
