/*
 * route.h: the routes of the API as cgi-bin/routes.txt lists them, compiled
 * in (scripts/routes writes the table as C, route_table): each route's
 * program name, path, methods with the authentication each needs, its
 * Allow header, and whether its GETs may read on a standby. A program
 * serves its route by name (app_main); http_error finds the route of a
 * path.
 */
#ifndef TASKAPI_ROUTE_H
#define TASKAPI_ROUTE_H

#include <stdbool.h>

/* docs/API.md "Authentication": what a method asks of the client. */
enum route_auth {
	ROUTE_AUTH_NONE,
	ROUTE_AUTH_REQUIRED,	/* a valid bearer token */
};

struct route_method {
	const char *method;
	enum route_auth auth;
};

struct route {
	const char *name;	/* the program: logs, socket, application_name */
	const char *path;	/* exact, or with {id}: one non-empty segment */
	const char *allow;	/* the Allow header: the methods, then OPTIONS */
	const struct route_method *methods;	/* ends with a NULL method */
	/* docs/API.md "Reads on a standby": its GETs may read there */
	bool standby_reads;
};

/* Every route, in the table's order; ends with a NULL name. */
extern const struct route route_table[];

/* The route named name (a program's own), or NULL. */
const struct route *route_by_name(const char *name);
/*
 * The route whose path is path (a URL's path, without its query), or NULL:
 * exact text, and {id} any non-empty run without "/", as nginx's and
 * Apache's rules capture it.
 */
const struct route *route_by_path(const char *path);
/* route's entry for method, or NULL when the route does not serve it. */
const struct route_method *route_find_method(const struct route *route,
    const char *method);

#endif
