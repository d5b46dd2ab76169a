/* health: GET /api/health (docs/API.md "Health"), no authentication. */
#include "app/app.h"
#include "http/status.h"

static void health(struct ctx *c);

/* A handler per method; cgi-bin/routes.txt lists them, and their auth. */
static const struct app_handler handlers[] = {
	{ "GET", health },
	{ NULL, NULL },
};

int
main(void)
{
	return app_main("health", handlers);
}

/* docs/API.md "Health": the one 503 whose body is not {"detail": ...}. */
static void
health(struct ctx *c)
{
	int up = db_ping(c->db);

	if (!up)
		response_header(c->res, "Retry-After", "%d",
		    STATUS_RETRY_AFTER_SECONDS);
	response_json_begin(c->res, up ? 200 : 503);
	if (up)
		response_json_lit(c->res, "{\"status\":\"ok\",\"database\":\"ok\"}");
	else
		response_json_lit(c->res,
		    "{\"status\":\"degraded\",\"database\":\"unavailable\"}");
	response_json_end(c->res);
}
