/*
 * Integration: nothing but the routes is served. On shared hosting the
 * programs, their .htaccess, the bundled libraries and perhaps the env
 * file (with the signing secret) sit in the web root's api/ folder; every
 * one of them, asked for by name, is the API's JSON 404, as under nginx,
 * which serves no files at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "support/helpers.h"

Test(files, nothing_but_the_routes_is_served)
{
	static const char *const paths[] = {
		"/api/taskapi.env", "/api/.htaccess", "/.htaccess", "/taskapi.env",
		"/api/auth_login", "/api/task_item", "/api/task_complete",
		"/api/http_error", "/api/lib/libjwt.so.0", "/api/lib/",
		"/api/health/", "/api/tasks.o", "/api/cgi-bin/health",
		"/api/.htaccess?x=1", "/api/%2e%68taccess", "/api/TASKS",
	};
	const char *secret = test_secret();

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		static const char *const methods[] = { "GET", "POST", "OPTIONS" };

		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			struct http_res *r = http_req(methods[m], paths[i], NULL, NULL, 0);

			cr_assert_eq(r->status, 404, "%s %s: %ld %s", methods[m],
			    paths[i], r->status, r->body);
			cr_assert(http_header(r, "Content-Type") != NULL &&
			    strcmp(http_header(r, "Content-Type"), "application/json") == 0,
			    "%s %s: not JSON: %s", methods[m], paths[i], r->headers);
			cr_assert(detail(r) != NULL && strcmp(detail(r), "Not Found") == 0,
			    "%s %s: %s", methods[m], paths[i], r->body);
			cr_assert(strstr(r->body, secret) == NULL &&
			    strstr(r->body, "JWT_SECRET") == NULL,
			    "%s %s: a secret in %s", methods[m], paths[i], r->body);
			http_free(r);
		}
	}
}
