/*
 * route.c: finding a route of the table (route_table, written from
 * cgi-bin/routes.txt) by its name or by a path, and one of its methods.
 * The table has seven routes of at most four methods: a scan costs less
 * than any index would.
 */
#include <stddef.h>
#include <string.h>

#include "app/route.h"

static int path_matches(const char *pattern, const char *path);

const struct route *
route_by_name(const char *name)
{
	for (const struct route *r = route_table; r->name != NULL; r++)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

const struct route *
route_by_path(const char *path)
{
	if (path == NULL)
		return NULL;
	for (const struct route *r = route_table; r->name != NULL; r++)
		if (path_matches(r->path, path))
			return r;
	return NULL;
}

const struct route_method *
route_find_method(const struct route *route, const char *method)
{
	for (const struct route_method *m = route->methods; m->method != NULL; m++)
		if (strcmp(m->method, method) == 0)
			return m;
	return NULL;
}

/*
 * Whether path is pattern's: the same text, where each {id} of pattern
 * stands for one non-empty path segment (nginx's [^/]+; scripts/routes
 * writes the same for nginx and Apache).
 */
static int
path_matches(const char *pattern, const char *path)
{
	static const char id[] = "{id}";
	size_t n;

	while (*pattern != '\0') {
		if (strncmp(pattern, id, sizeof(id) - 1) == 0) {
			if ((n = strcspn(path, "/")) == 0)
				return 0;
			path += n;
			pattern += sizeof(id) - 1;
		} else if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0';
}
