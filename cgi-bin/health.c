/* health: GET /api/health (API.md, Service routes), no authentication. */
#include <json-c/json.h>

#include "app.h"

static void health(struct ctx *c);

static const struct route_method methods[] = {
	{ "GET", AUTH_NONE, health },
	{ NULL, AUTH_NONE, NULL },
};

static const struct route route = { "health", "GET, OPTIONS", methods };

int
main(void)
{
	return app_main(&route);
}

/* API.md: the one 503 whose body is not {"detail": ...}. */
static void
health(struct ctx *c)
{
	struct json_object *o = json_object_new_object();
	int up = db_ping(c->db);

	if (o != NULL) {
		json_object_object_add(o, "status",
		    json_object_new_string(up ? "ok" : "degraded"));
		json_object_object_add(o, "database",
		    json_object_new_string(up ? "ok" : "unavailable"));
	}
	if (!up)
		response_header(c->res, "Retry-After", "%d",
		    APP_RETRY_AFTER_SECONDS);
	response_json(c->res, up ? 200 : 503, o);
}
