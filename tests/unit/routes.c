/*
 * Unit: the table of routes as the library compiles it in (a route by name
 * and by path, its methods and Allow header), the status words shared with
 * nginx, and the CORS headers of each kind of answer.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "app/route.h"
#include "config/config.h"
#include "http/cors.h"
#include "http/response.h"
#include "http/status.h"

#define ALLOWED "https://app.example.com"

/* docs/API.md "Precise rules": the paths nginx and Apache route, exactly. */
Test(routes, a_path_finds_its_route_as_nginx_routes_it)
{
	static const struct { const char *path, *route; } cases[] = {
		{ "/api/health", "health" },
		{ "/api/auth/register", "auth_register" },
		{ "/api/auth/login", "auth_login" },
		{ "/api/auth/me", "auth_me" },
		{ "/api/auth/logout", "auth_logout" },
		{ "/api/auth/sessions", "auth_sessions" },
		{ "/api/auth/sessions/abc", "auth_session" },
		{ "/api/auth/sessions/", NULL },
		{ "/api/auth/sessions/a/b", NULL },
		{ "/api/tasks", "tasks" },
		{ "/api/tasks/abc", "task_item" },
		{ "/api/tasks/not-a-uuid", "task_item" },
		{ "/api/tasks/abc/complete", "task_complete" },
		{ "/api/tasks/complete", "task_item" },
		{ "/api/tasks/", NULL },
		{ "/api/tasks//complete", NULL },
		{ "/api/tasks/a/b", NULL },
		{ "/api/tasks/a/complete/", NULL },
		{ "/api/tasks/a/completed", NULL },
		{ "/api/health/", NULL },
		{ "/api/HEALTH", NULL },
		{ "/api/healthz", NULL },
		/* A final newline (a decoded %0A) is no route. */
		{ "/api/health\n", NULL },
		{ "/api/tasks\n", NULL },
		{ "/api/tasks/abc/complete\n", NULL },
		{ "/api", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct route *r = route_by_path(cases[i].path);

		if (cases[i].route == NULL)
			cr_expect_null(r, "%s: %s", cases[i].path, r ? r->name : "");
		else {
			cr_assert_not_null(r, "%s: no route", cases[i].path);
			cr_expect_str_eq(r->name, cases[i].route, "%s", cases[i].path);
		}
	}
}

/*
 * docs/API.md "Reads on a standby": the GETs of the task list, one task and
 * the current user, and no others (not the changes feed, not the health
 * check), may read on DATABASE_READ_URL's standby.
 */
Test(routes, only_the_list_one_task_and_me_read_on_a_standby)
{
	static const char *const standby[] = {
		"/api/tasks", "/api/tasks/{id}", "/api/auth/me",
	};
	size_t marked = 0;

	for (const struct route *r = route_table; r->name != NULL; r++) {
		bool listed = false;

		for (size_t i = 0; i < sizeof(standby) / sizeof(standby[0]); i++)
			listed |= strcmp(r->path, standby[i]) == 0;
		cr_expect_eq(r->standby_reads, listed, "%s", r->path);
		marked += r->standby_reads;
	}
	cr_expect_eq(marked, sizeof(standby) / sizeof(standby[0]));
}

Test(routes, every_route_is_found_by_its_name_and_path)
{
	for (const struct route *r = route_table; r->name != NULL; r++) {
		cr_expect_eq(route_by_name(r->name), r, "%s", r->name);
		cr_assert_not_null(r->methods[0].method, "%s has no method", r->name);
	}
	cr_expect_null(route_by_name("http_error"));
	cr_expect_null(route_by_name(""));
	cr_expect_eq(route_by_path("/api/tasks/x"), route_by_name("task_item"));
}

/* docs/API.md "General": Allow lists the methods, then OPTIONS. */
Test(routes, allow_is_the_methods_in_order_then_options)
{
	static const struct { const char *name, *allow; } want[] = {
		{ "health", "GET, OPTIONS" },
		{ "auth_register", "POST, OPTIONS" },
		{ "auth_login", "POST, OPTIONS" },
		{ "auth_me", "GET, DELETE, OPTIONS" },
		{ "auth_password", "PUT, OPTIONS" },
		{ "auth_logout", "POST, OPTIONS" },
		{ "auth_sessions", "GET, OPTIONS" },
		{ "auth_session", "DELETE, OPTIONS" },
		{ "tasks", "GET, POST, OPTIONS" },
		{ "task_item", "GET, PUT, PATCH, DELETE, OPTIONS" },
		{ "task_complete", "PATCH, OPTIONS" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct route *r = route_by_name(want[i].name);

		cr_assert_not_null(r, "%s", want[i].name);
		cr_expect_str_eq(r->allow, want[i].allow, "%s", want[i].name);
	}
	for (const struct route *r = route_table; r->name != NULL; r++) {
		char built[128] = "";

		for (const struct route_method *m = r->methods; m->method != NULL; m++) {
			strcat(built, m->method);
			strcat(built, ", ");
		}
		strcat(built, "OPTIONS");
		cr_expect_str_eq(r->allow, built, "%s", r->name);
	}
}

/* docs/API.md "Authentication": which methods need a token. */
Test(routes, methods_carry_their_authentication)
{
	const struct route *tasks = route_by_name("tasks");
	const struct route *login = route_by_name("auth_login");
	const struct route *health = route_by_name("health");

	cr_assert_not_null(tasks);
	cr_assert_not_null(login);
	cr_assert_not_null(health);
	cr_expect_eq(route_find_method(tasks, "GET")->auth, ROUTE_AUTH_REQUIRED);
	cr_expect_eq(route_find_method(tasks, "POST")->auth, ROUTE_AUTH_REQUIRED);
	cr_expect_null(route_find_method(tasks, "DELETE"));
	cr_expect_null(route_find_method(tasks, "OPTIONS"));
	cr_expect_null(route_find_method(tasks, "get"));
	cr_expect_eq(route_find_method(login, "POST")->auth, ROUTE_AUTH_NONE);
	cr_expect_eq(route_find_method(health, "GET")->auth, ROUTE_AUTH_NONE);
	/*
	 * Only register, login, refresh (docs/API.md "Refresh": its body is
	 * the credential), health and password reset's two routes
	 * (docs/API.md "Password reset") are open; everything else needs one.
	 */
	for (const struct route *r = route_table; r->name != NULL; r++) {
		enum route_auth want = strcmp(r->name, "auth_register") == 0 ||
		    strcmp(r->name, "auth_login") == 0 ||
		    strcmp(r->name, "auth_refresh") == 0 ||
		    strcmp(r->name, "health") == 0 ||
		    strcmp(r->name, "auth_password_reset") == 0 ||
		    strcmp(r->name, "auth_password_reset_confirm") == 0 ?
		    ROUTE_AUTH_NONE : ROUTE_AUTH_REQUIRED;

		for (const struct route_method *m = r->methods; m->method != NULL; m++)
			cr_expect_eq(m->auth, want, "%s %s", m->method, r->name);
	}
}

/* nginx/errors.conf's words, which the programs and http_error share. */
Test(routes, statuses_have_nginxs_words)
{
	cr_expect_str_eq(status_detail(400), "Bad request");
	cr_expect_str_eq(status_detail(404), "Not Found");
	cr_expect_str_eq(status_detail(405), "Method Not Allowed");
	cr_expect_str_eq(status_detail(413), "Request body too large");
	cr_expect_str_eq(status_detail(414), "URI too long");
	cr_expect_str_eq(status_detail(429), "Too many requests");
	cr_expect_str_eq(status_detail(500), "Internal server error");
	cr_expect_str_eq(status_detail(503), "Service temporarily unavailable");
	/* Without words of its own, a status says its reason. */
	cr_expect_str_eq(status_detail(409), "Conflict");
	cr_expect_str_eq(status_reason(413), "Content Too Large");
	cr_expect_str_eq(status_reason(422), "Unprocessable Content");
	cr_expect_str_eq(status_reason(599), "Internal Server Error");
	cr_expect_eq(STATUS_RETRY_AFTER_SECONDS, 2);
}

/* docs/API.md "CORS": what each kind of answer carries, and for whom. */
Test(routes, cors_headers_by_kind_of_answer)
{
	struct config cfg;
	struct response res;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cors_allowed_origins = strdup(ALLOWED);
	cr_assert_not_null(cfg.cors_allowed_origins);

	response_init(&res);
	cors_preflight(&res, &cfg, ALLOWED, "GET, POST, OPTIONS");
	cr_expect_str_eq(res.headers,
	    "Access-Control-Allow-Origin: " ALLOWED "\r\n"
	    "Vary: Origin\r\n"
	    "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
	    "Access-Control-Allow-Headers: Authorization, Content-Type, "
	    "If-Match, If-None-Match, Idempotency-Key\r\n"
	    "Access-Control-Max-Age: 600\r\n");
	response_reset(&res);
	cors_answer(&res, &cfg, ALLOWED);
	cr_expect_str_eq(res.headers,
	    "Access-Control-Allow-Origin: " ALLOWED "\r\n"
	    "Vary: Origin\r\n"
	    "Access-Control-Expose-Headers: Location, X-Total-Count, ETag, "
	    "Link, Idempotent-Replayed, Retry-After\r\n");
	response_reset(&res);
	cors_error_page(&res, &cfg, ALLOWED);
	cr_expect_str_eq(res.headers,
	    "Access-Control-Allow-Origin: " ALLOWED "\r\n"
	    "Vary: Origin\r\n");

	/*
	 * Another origin or no origin: only Vary (docs/API.md "CORS": with a
	 * list, every answer depends on the Origin); no settings, or a list
	 * of separators only: nothing at all.
	 */
	response_reset(&res);
	cors_preflight(&res, &cfg, "https://evil.example", "GET, OPTIONS");
	cr_expect_str_eq(res.headers, "Vary: Origin\r\n");
	response_reset(&res);
	cors_answer(&res, &cfg, NULL);
	cr_expect_str_eq(res.headers, "Vary: Origin\r\n");
	response_reset(&res);
	cors_error_page(&res, &cfg, "http://APP.example.com");
	cr_expect_str_eq(res.headers, "Vary: Origin\r\n");
	response_reset(&res);
	cors_error_page(&res, NULL, ALLOWED);
	free(cfg.cors_allowed_origins);
	cfg.cors_allowed_origins = strdup(" , ,");
	cr_assert_not_null(cfg.cors_allowed_origins);
	cors_answer(&res, &cfg, ALLOWED);
	cr_expect_str_eq(res.headers, "");
	response_free(&res);
	config_free(&cfg);
}
