/* health: GET /api/health (API.md, Service routes), no authentication. */
#include "app/app.h"

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
	int up = db_ping(c->db);

	if (!up)
		response_header(c->res, "Retry-After", "%d",
		    APP_RETRY_AFTER_SECONDS);
	response_json_begin(c->res, up ? 200 : 503);
	if (up)
		response_json_lit(c->res, "{\"status\":\"ok\",\"database\":\"ok\"}");
	else
		response_json_lit(c->res,
		    "{\"status\":\"degraded\",\"database\":\"unavailable\"}");
	response_json_end(c->res);
}
