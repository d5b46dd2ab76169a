/*
 * Integration: methods, OPTIONS and 405 (docs/API.md "Methods"), CORS
 * (docs/API.md "CORS"), the responses nginx makes itself,
 * and authentication before everything else on every protected route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <criterion/criterion.h>

#include "support/helpers.h"

#define ALLOWED "http://localhost:3000"
#define EXPOSE "Location, X-Total-Count, ETag, Link, Idempotent-Replayed, " \
	"Retry-After"
#define ALLOW_HEADERS "Authorization, Content-Type, If-Match, If-None-Match, " \
	"Idempotency-Key"

/* Room for every route of the contract in all_routes. */
#define ROUTES_MAX 16

struct route_allow {
	char path[128];
	const char *allow;
	const char *method;	/* one method the route serves */
};

/* Every route of the contract, the {id} ones with a random (absent) id. */
static size_t
all_routes(struct route_allow out[ROUTES_MAX])
{
	char id[37];

	test_uuid(id);
	out[0] = (struct route_allow){ "/api/health", "GET, OPTIONS", "GET" };
	out[1] = (struct route_allow){ "/api/auth/register", "POST, OPTIONS", "POST" };
	out[2] = (struct route_allow){ "/api/auth/login", "POST, OPTIONS", "POST" };
	out[3] = (struct route_allow){ "/api/auth/me", "GET, DELETE, OPTIONS", "GET" };
	out[4] = (struct route_allow){ "/api/tasks", "GET, POST, OPTIONS", "POST" };
	out[5] = (struct route_allow){ "", "GET, PUT, PATCH, DELETE, OPTIONS", "PUT" };
	out[6] = (struct route_allow){ "", "PATCH, OPTIONS", "PATCH" };
	snprintf(out[5].path, sizeof(out[5].path), "/api/tasks/%s", id);
	snprintf(out[6].path, sizeof(out[6].path), "/api/tasks/%s/complete", id);
	out[7] = (struct route_allow){ "/api/auth/logout", "POST, OPTIONS", "POST" };
	out[8] = (struct route_allow){ "/api/auth/sessions", "GET, OPTIONS", "GET" };
	out[9] = (struct route_allow){ "", "DELETE, OPTIONS", "DELETE" };
	snprintf(out[9].path, sizeof(out[9].path), "/api/auth/sessions/%s", id);
	out[10] = (struct route_allow){ "/api/auth/password", "PUT, OPTIONS", "PUT" };
	out[11] = (struct route_allow){ "/api/auth/refresh", "POST, OPTIONS", "POST" };
	return 12;
}

/* A request with an optional Origin, bearer token and one more header. */
static struct http_res *
req(const char *method, const char *path, const char *origin, const char *token,
    const char *extra)
{
	char o[256], a[4096];
	const char *h[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0;

	if (origin != NULL) {
		snprintf(o, sizeof(o), "Origin: %s", origin);
		h[n++] = o;
	}
	if (token != NULL) {
		snprintf(a, sizeof(a), "Authorization: Bearer %s", token);
		h[n++] = a;
	}
	h[n] = extra;
	return http_req(method, path, h, NULL, 0);
}

static void
header_is(const struct http_res *r, const char *name, const char *want, const char *what)
{
	const char *v = http_header(r, name);

	cr_assert(v != NULL, "%s: no %s header (status %ld, body %s)", what, name,
	    r->status, r->body);
	cr_assert_str_eq(v, want, "%s: %s is \"%s\"", what, name, v);
}

/* True when any Access-Control-* header is in the response. */
static int
has_access_control(const struct http_res *r)
{
	for (const char *p = r->headers; p != NULL; p = strchr(p, '\n')) {
		while (*p == '\r' || *p == '\n')
			p++;
		if (strncasecmp(p, "Access-Control-", 15) == 0)
			return 1;
	}
	return 0;
}

/* An error response: status, JSON Content-Type, {"detail": want}. */
static void
json_error(const struct http_res *r, long status, const char *want, const char *what)
{
	cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what, status,
	    r->status, r->body);
	header_is(r, "Content-Type", "application/json", what);
	cr_assert(json_str(r, "detail") != NULL, "%s: no detail in %s", what, r->body);
	if (want != NULL)
		cr_assert_str_eq(detail(r), want, "%s: %s", what, r->body);
}

/* The CORS headers of an ordinary (non-preflight) answer to ALLOWED. */
static void
cors_ordinary(const struct http_res *r, int from_program, const char *what)
{
	header_is(r, "Access-Control-Allow-Origin", ALLOWED, what);
	header_is(r, "Vary", "Origin", what);
	if (from_program)
		header_is(r, "Access-Control-Expose-Headers", EXPOSE, what);
	cr_assert_null(http_header(r, "Access-Control-Allow-Credentials"), "%s", what);
	cr_assert_null(http_header(r, "Access-Control-Max-Age"), "%s: not a preflight", what);
}

/* ---- methods ---- */

Test(methods, options_on_every_route_is_204_with_allow_and_no_auth)
{
	struct route_allow routes[ROUTES_MAX];
	size_t n = all_routes(routes);

	for (size_t i = 0; i < n; i++) {
		struct http_res *r = req("OPTIONS", routes[i].path, NULL, NULL, NULL);

		cr_assert_eq(r->status, 204, "OPTIONS %s: %ld %s", routes[i].path,
		    r->status, r->body);
		header_is(r, "Allow", routes[i].allow, routes[i].path);
		cr_assert_eq(r->body_len, 0, "OPTIONS %s has a body: %s", routes[i].path, r->body);
		cr_assert_null(http_header(r, "WWW-Authenticate"), "%s", routes[i].path);
		cr_assert(!has_access_control(r), "CORS headers without an Origin: %s", r->headers);
		http_free(r);
		/* A bad token does not matter either. */
		r = req("OPTIONS", routes[i].path, NULL, "not.a.token", NULL);
		cr_assert_eq(r->status, 204, "OPTIONS %s with a bad token: %ld %s",
		    routes[i].path, r->status, r->body);
		http_free(r);
	}
}

Test(methods, unserved_methods_are_405_with_the_same_allow)
{
	char subject[37], item[128], complete[128];
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	snprintf(item, sizeof(item), "/api/tasks/%s", subject);
	snprintf(complete, sizeof(complete), "/api/tasks/%s/complete", subject);
	const struct { const char *method, *path, *allow; } cases[] = {
		{ "DELETE", "/api/tasks", "GET, POST, OPTIONS" },
		{ "PUT", "/api/tasks", "GET, POST, OPTIONS" },
		{ "PATCH", "/api/tasks", "GET, POST, OPTIONS" },
		{ "GET", "/api/auth/login", "POST, OPTIONS" },
		{ "GET", "/api/auth/register", "POST, OPTIONS" },
		{ "DELETE", "/api/auth/register", "POST, OPTIONS" },
		{ "POST", "/api/auth/me", "GET, DELETE, OPTIONS" },
		{ "GET", "/api/auth/password", "PUT, OPTIONS" },
		{ "POST", "/api/auth/password", "PUT, OPTIONS" },
		{ "GET", "/api/auth/refresh", "POST, OPTIONS" },
		{ "PUT", "/api/auth/refresh", "POST, OPTIONS" },
		{ "DELETE", "/api/health", "GET, OPTIONS" },
		{ "POST", item, "GET, PUT, PATCH, DELETE, OPTIONS" },
		{ "PUT", complete, "PATCH, OPTIONS" },
		{ "GET", complete, "PATCH, OPTIONS" },
		{ "POST", complete, "PATCH, OPTIONS" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[256];
		struct http_res *r;

		snprintf(what, sizeof(what), "%s %s", cases[i].method, cases[i].path);
		r = req(cases[i].method, cases[i].path, NULL, token, NULL);
		json_error(r, 405, "Method Not Allowed", what);
		header_is(r, "Allow", cases[i].allow, what);
		http_free(r);
	}
	free(token);
}

/* ---- cors ---- */

Test(cors, preflight_from_an_allowed_origin)
{
	struct route_allow routes[ROUTES_MAX];
	size_t n = all_routes(routes);
	const char *origins[] = { ALLOWED, "https://app.example.com" };

	for (size_t i = 0; i < n; i++)
		for (size_t o = 0; o < 2; o++) {
			char method[128];
			struct http_res *r;

			snprintf(method, sizeof(method), "Access-Control-Request-Method: %s",
			    routes[i].method);
			r = req("OPTIONS", routes[i].path, origins[o], NULL, method);
			cr_assert_eq(r->status, 204, "preflight %s: %ld %s", routes[i].path,
			    r->status, r->body);
			header_is(r, "Allow", routes[i].allow, routes[i].path);
			header_is(r, "Access-Control-Allow-Origin", origins[o], routes[i].path);
			header_is(r, "Vary", "Origin", routes[i].path);
			header_is(r, "Access-Control-Allow-Methods", routes[i].allow, routes[i].path);
			header_is(r, "Access-Control-Allow-Headers", ALLOW_HEADERS,
			    routes[i].path);
			header_is(r, "Access-Control-Max-Age", "600", routes[i].path);
			cr_assert_null(http_header(r, "Access-Control-Allow-Credentials"));
			cr_assert_eq(r->body_len, 0, "%s", r->body);
			http_free(r);
		}
}

Test(cors, ordinary_responses_and_errors_to_an_allowed_origin)
{
	char subject[37], path[128], authz[2048];
	char *token;
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);

	r = req("GET", "/api/health", ALLOWED, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cors_ordinary(r, 1, "health 200");
	http_free(r);

	r = http_req("POST", "/api/tasks", (const char *[]){ "Origin: " ALLOWED,
	    "Content-Type: application/json", NULL }, "{}", (size_t)-1);
	json_error(r, 401, "Not authenticated", "create without a token");
	cors_ordinary(r, 1, "401");
	http_free(r);

	snprintf(authz, sizeof(authz), "Authorization: Bearer %s", token);
	r = http_req("POST", "/api/tasks", (const char *[]){ "Origin: " ALLOWED, authz,
	    "Content-Type: application/json", NULL }, "{\"title\":\"cors\"}", (size_t)-1);
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert_not_null(http_header(r, "Location"), "201 without Location");
	cors_ordinary(r, 1, "create 201");
	http_free(r);

	r = req("GET", "/api/tasks", ALLOWED, token, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	header_is(r, "X-Total-Count", "1", "list");
	cors_ordinary(r, 1, "list 200");
	http_free(r);

	snprintf(path, sizeof(path), "/api/tasks/%s", subject);
	r = req("GET", path, ALLOWED, token, NULL);
	json_error(r, 404, "Task not found", "absent task");
	cors_ordinary(r, 1, "program 404");
	http_free(r);

	r = req("DELETE", "/api/tasks", ALLOWED, token, NULL);
	json_error(r, 405, "Method Not Allowed", "program 405");
	cors_ordinary(r, 1, "program 405");
	http_free(r);

	r = req("GET", "/api/nope", ALLOWED, NULL, NULL);
	json_error(r, 404, "Not Found", "unknown route");
	cors_ordinary(r, 0, "nginx 404");
	http_free(r);

	free(token);
}

Test(cors, other_origins_get_no_cors_headers_but_are_served)
{
	static const char *const origins[] = { "http://evil.example",
		"http://localhost:3000.evil.example", "http://localhost",
		"https://localhost:3000", "http://app.example.com", "*", "null" };
	char subject[37];
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		const char *o = origins[i];
		struct http_res *r;

		r = req("OPTIONS", "/api/tasks", o, NULL,
		    "Access-Control-Request-Method: POST");
		cr_assert_eq(r->status, 204, "%s: preflight %ld", o, r->status);
		header_is(r, "Allow", "GET, POST, OPTIONS", o);
		cr_assert(!has_access_control(r), "%s: preflight headers %s", o, r->headers);
		http_free(r);

		r = req("GET", "/api/health", o, NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: health %ld %s", o, r->status, r->body);
		cr_assert(!has_access_control(r), "%s: health headers %s", o, r->headers);
		http_free(r);

		r = req("GET", "/api/tasks", o, token, NULL);
		cr_assert_eq(r->status, 200, "%s: list %ld %s", o, r->status, r->body);
		cr_assert(!has_access_control(r), "%s: list headers %s", o, r->headers);
		http_free(r);

		r = req("GET", "/api/auth/me", o, NULL, NULL);
		json_error(r, 401, "Not authenticated", o);
		cr_assert(!has_access_control(r), "%s: 401 headers %s", o, r->headers);
		http_free(r);

		r = req("GET", "/api/nope", o, NULL, NULL);
		json_error(r, 404, "Not Found", o);
		cr_assert(!has_access_control(r), "%s: nginx 404 headers %s", o, r->headers);
		http_free(r);
	}
	free(token);
}

/* ---- nginx ---- */

Test(nginx, unknown_routes_are_json_404)
{
	static const struct { const char *method, *path; } cases[] = {
		{ "GET", "/api/nope" }, { "GET", "/www/index.html" }, { "GET", "/api" },
		{ "GET", "/api/" }, { "GET", "/api/auth" }, { "GET", "/api/tasks/a/b" },
		{ "GET", "/api/tasks/" }, { "GET", "/api/health/" },
		{ "GET", "/api/tasks/a/complete/b" }, { "POST", "/api/nope" },
		{ "DELETE", "/api/nope" }, { "OPTIONS", "/api/nope" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[128];
		struct http_res *r = req(cases[i].method, cases[i].path, NULL, NULL, NULL);

		snprintf(what, sizeof(what), "%s %s", cases[i].method, cases[i].path);
		json_error(r, 404, "Not Found", what);
		http_free(r);
	}
}

/*
 * The page to try the API (www/, nginx/page.conf.in): "/" and its four
 * files, as the right types, under a strict Content-Security-Policy and
 * revalidated on every use. Other methods are the JSON 405, and the
 * API's own answers carry none of the page's headers.
 */
Test(nginx, the_page_at_root_is_html_under_a_strict_policy)
{
	static const struct { const char *path, *type, *has; } files[] = {
		{ "/", "text/html; charset=utf-8", "<script src=\"/app.js\" type=\"module\">" },
		{ "/app.js", "text/javascript; charset=utf-8", "'use strict';" },
		{ "/account.js", "text/javascript; charset=utf-8", "export function setupAccount" },
		{ "/app.css", "text/css; charset=utf-8", "[hidden]" },
		{ "/favicon.svg", "image/svg+xml", "<svg" },
	};
	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
	struct http_res *r;
	const char *csp;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		r = req("GET", files[i].path, NULL, NULL, NULL);
		cr_assert_eq(r->status, 200, "GET %s: %ld", files[i].path, r->status);
		header_is(r, "Content-Type", files[i].type, files[i].path);
		cr_assert(strstr(r->body, files[i].has) != NULL, "GET %s: %.200s",
		    files[i].path, r->body);
		csp = http_header(r, "Content-Security-Policy");
		cr_assert(csp != NULL, "GET %s: no CSP", files[i].path);
		cr_assert(strstr(csp, "default-src 'none'") != NULL &&
		    strstr(csp, "script-src 'self';") != NULL &&
		    strstr(csp, "connect-src 'self';") != NULL &&
		    strstr(csp, "frame-ancestors 'none'") != NULL &&
		    strstr(csp, "unsafe") == NULL, "GET %s: CSP %s", files[i].path, csp);
		header_is(r, "X-Content-Type-Options", "nosniff", files[i].path);
		header_is(r, "Cache-Control", "no-cache", files[i].path);
		cr_assert(http_header(r, "ETag") != NULL, "GET %s: no ETag", files[i].path);
		http_free(r);
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		r = req(methods[i], "/", NULL, NULL, NULL);
		json_error(r, 405, "Method Not Allowed", methods[i]);
		header_is(r, "Allow", "GET, HEAD", methods[i]);
		http_free(r);
	}
	r = req("GET", "/api/health", NULL, NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_null(http_header(r, "Content-Security-Policy"), "%s", r->headers);
	http_free(r);
}

/*
 * nginx picks a Content-Type from the path's extension (html, gif, jpg are
 * built in) unless told otherwise: its own answers must stay JSON anyway.
 */
Test(nginx, its_own_answers_are_json_whatever_the_path_extension)
{
	static const struct { const char *method, *path; long status; } cases[] = {
		{ "GET", "/index.html", 404 }, { "GET", "/favicon.gif", 404 },
		{ "GET", "/api/nope.jpg", 404 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[128];
		struct http_res *r = req(cases[i].method, cases[i].path, NULL, NULL, NULL);

		snprintf(what, sizeof(what), "%s %s", cases[i].method, cases[i].path);
		json_error(r, cases[i].status, NULL, what);
		http_free(r);
	}
}

Test(nginx, a_body_over_64_kib_is_json_413)
{
	size_t len = 70 * 1024;
	char *body = malloc(len + 1);
	const char *h[2] = { "Content-Type: application/json", NULL };
	struct http_res *r;

	cr_assert_not_null(body);
	memset(body, ' ', len);
	body[0] = '{';
	body[len - 1] = '}';
	body[len] = '\0';
	r = http_req("POST", "/api/auth/register", h, body, len);
	json_error(r, 413, "Request body too large", "70 KiB");
	http_free(r);
	free(body);
}

/* ---- trace: the web server answers TRACE itself ---- */

/*
 * TRACE never echoes the request back (that would show a page's script
 * the Authorization header): on every route it is a JSON 405 with the
 * route's Allow, with CORS headers for an allowed origin, whatever the
 * path's extension. nginx refuses it before any location; Apache before
 * any .htaccess is read, so on a shared host its TraceEnable decides
 * (tests/run --apache says why this is left out there).
 */
Test(trace, is_a_json_405_with_the_routes_allow)
{
	char subject[37], item[128];
	char *token;

	test_uuid(subject);
	token = token_for(subject);
	snprintf(item, sizeof(item), "/api/tasks/%s", subject);
	const struct { const char *path, *allow; } cases[] = {
		{ "/api/tasks", "GET, POST, OPTIONS" },
		{ item, "GET, PUT, PATCH, DELETE, OPTIONS" },
		{ "/api/tasks/x.html", "GET, PUT, PATCH, DELETE, OPTIONS" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[256];
		struct http_res *r;

		snprintf(what, sizeof(what), "TRACE %s", cases[i].path);
		r = req("TRACE", cases[i].path, ALLOWED, token, NULL);
		json_error(r, 405, "Method Not Allowed", what);
		header_is(r, "Allow", cases[i].allow, what);
		cors_ordinary(r, 0, what);
		http_free(r);
	}
	free(token);
}

/* ---- protected: authentication comes before everything else ---- */

static void
expect_401(struct http_res *r, const char *want, const char *what)
{
	json_error(r, 401, want, what);
	header_is(r, "WWW-Authenticate", "Bearer", what);
	http_free(r);
}

Test(protected, every_route_answers_401_before_looking_at_the_request)
{
	char subject[37], id[37], paths[4][128], expired_authz[2048], payload[256];
	char *token, *expired;
	struct http_res *r;

	test_uuid(subject);
	token = token_for(subject);
	create_task(token, "untouchable", id);
	snprintf(paths[0], sizeof(paths[0]), "/api/tasks/%s", id);
	snprintf(paths[1], sizeof(paths[1]), "/api/tasks/%s/complete", id);
	snprintf(paths[2], sizeof(paths[2]), "/api/tasks/not-a-uuid");
	snprintf(paths[3], sizeof(paths[3]), "/api/tasks?limit=abc&completed=maybe");
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    subject, (long)time(NULL) - 7200, (long)time(NULL) - 3600);
	expired = token_sign(payload, test_secret(), "HS256");
	snprintf(expired_authz, sizeof(expired_authz), "Authorization: Bearer %s", expired);

	const struct { const char *method, *path, *body; } reqs[] = {
		{ "GET", "/api/tasks", NULL },
		{ "GET", paths[3], NULL },
		{ "POST", "/api/tasks", "{\"title\":\"sneaked in\"}" },
		{ "POST", "/api/tasks", "{not json" },
		{ "GET", paths[0], NULL },
		{ "GET", paths[2], NULL },
		{ "PUT", paths[0], "{\"title\":\"replaced\"}" },
		{ "PUT", paths[0], "[" },
		{ "PATCH", paths[0], "{\"is_completed\":true}" },
		{ "PATCH", paths[0], "{\"title\":" },
		{ "DELETE", paths[0], NULL },
		{ "PATCH", paths[1], NULL },
		{ "PATCH", paths[1], "{oops" },
		{ "GET", "/api/auth/me", NULL },
		{ "POST", "/api/auth/logout?scope=nowhere", NULL },
		{ "GET", "/api/auth/sessions", NULL },
		{ "DELETE", "/api/auth/sessions/not-a-uuid", NULL },
	};
	const struct { const char *header, *detail; } auths[] = {
		{ NULL, "Not authenticated" },
		{ "Authorization: Token abc", "Not authenticated" },
		{ "Authorization: Bearer abc.def.ghi", "Invalid authentication token" },
		{ expired_authz, "Token has expired" },
	};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		for (size_t j = 0; j < sizeof(auths) / sizeof(auths[0]); j++)
			for (int typed = 0; typed < (reqs[i].body != NULL ? 2 : 1); typed++) {
				const char *h[3] = { auths[j].header, NULL, NULL };
				char what[256];

				/* The body sent with and without a JSON Content-Type. */
				h[auths[j].header != NULL] = typed ?
				    "Content-Type: application/json" : NULL;
				snprintf(what, sizeof(what), "%s %s, auth %zu, body %s",
				    reqs[i].method, reqs[i].path, j,
				    reqs[i].body != NULL ? reqs[i].body : "(none)");
				expect_401(http_req(reqs[i].method, reqs[i].path, h,
				    reqs[i].body, (size_t)-1), auths[j].detail, what);
			}

	/* Nothing was created, changed or deleted. */
	r = http_json("GET", paths[0], token, NULL);
	cr_assert_eq(r->status, 200, "the task is gone: %ld %s", r->status, r->body);
	cr_assert(json_str(r, "title") != NULL, "%s", r->body);
	cr_assert_str_eq(json_str(r, "title"), "untouchable", "%s", r->body);
	cr_assert_eq(json_flag(r, "is_completed"), 0, "%s", r->body);
	http_free(r);
	r = http_json("GET", "/api/tasks", token, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	header_is(r, "X-Total-Count", "1", "list after the refused requests");
	http_free(r);
	free(expired);
	free(token);
}
