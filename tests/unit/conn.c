/*
 * Unit: the connection parameters (src/db/conn.c, docs/API.md "Outages"):
 * the bounded waits are what libpq gets unless the connection string says
 * otherwise, in either of its forms. libpq itself merges them, as it does
 * for the programs (PQconnectStartParams with expand_dbname), and
 * PQconninfo reads back what the connection would use: no server needed,
 * the hosts named here are never reached (a unix socket that does not
 * exist, or a port of 127.0.0.1 nothing listens on).
 */
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "db/conn.h"

/* The value libpq would use for key, connecting as the programs do. */
static char *
effective(const char *conninfo, const char *key)
{
	static char out[256];
	struct conn_params p;
	PQconninfoOption *opts;
	PGconn *conn;

	conn_params(&p, conninfo, "tasks");
	conn = PQconnectStartParams(p.keys, p.vals, 1);
	cr_assert_not_null(conn);
	opts = PQconninfo(conn);
	cr_assert_not_null(opts, "libpq kept no options: %s",
	    PQerrorMessage(conn));
	out[0] = '\0';
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL)
			snprintf(out, sizeof(out), "%s", o->val);
	PQconninfoFree(opts);
	PQfinish(conn);
	return out;
}

Test(conn, the_defaults_bound_every_wait)
{
	static const struct { const char *key, *want; } defaults[] = {
		{ "connect_timeout", "2" },
		{ "keepalives", "1" },
		{ "keepalives_idle", "4" },
		{ "keepalives_interval", "2" },
		{ "keepalives_count", "2" },
		{ "tcp_user_timeout", "8000" },
		{ "application_name", "tasks" },
	};
	const char *url = "host=/nonexistent/taskapi-sock dbname=taskapi";

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		cr_expect_str_eq(effective(url, defaults[i].key),
		    defaults[i].want, "%s", defaults[i].key);
	cr_expect_str_eq(effective(url, "dbname"), "taskapi");
}

Test(conn, the_url_overrides_each_default)
{
	const char *kv = "host=127.0.0.1,127.0.0.1 port=1,2 dbname=taskapi "
	    "connect_timeout=7 keepalives_idle=11 keepalives_interval=3 "
	    "keepalives_count=5 tcp_user_timeout=900 application_name=mine "
	    "target_session_attrs=read-write";
	const char *uri = "postgresql://127.0.0.1:1,127.0.0.1:2/taskapi"
	    "?connect_timeout=9&tcp_user_timeout=1200&keepalives=0"
	    "&target_session_attrs=read-write";

	cr_expect_str_eq(effective(kv, "connect_timeout"), "7");
	cr_expect_str_eq(effective(kv, "keepalives_idle"), "11");
	cr_expect_str_eq(effective(kv, "keepalives_interval"), "3");
	cr_expect_str_eq(effective(kv, "keepalives_count"), "5");
	cr_expect_str_eq(effective(kv, "tcp_user_timeout"), "900");
	cr_expect_str_eq(effective(kv, "application_name"), "mine");
	cr_expect_str_eq(effective(kv, "host"), "127.0.0.1,127.0.0.1");
	cr_expect_str_eq(effective(kv, "port"), "1,2");
	cr_expect_str_eq(effective(kv, "target_session_attrs"), "read-write");
	cr_expect_str_eq(effective(uri, "connect_timeout"), "9");
	cr_expect_str_eq(effective(uri, "tcp_user_timeout"), "1200");
	cr_expect_str_eq(effective(uri, "keepalives"), "0");
	/* What the URI leaves alone keeps its default. */
	cr_expect_str_eq(effective(uri, "keepalives_idle"), "4");
	cr_expect_str_eq(effective(uri, "port"), "1,2");
	cr_expect_str_eq(effective(uri, "dbname"), "taskapi");
}
