/*
 * conn.h: opening and closing struct db's libpq connection, and the
 * parameters it is opened with (docs/API.md "Outages"). DATABASE_URL may
 * name several hosts (host=a,b port=p,q target_session_attrs=read-write):
 * libpq tries them in turn, so the programs follow the primary through a
 * failover without a restart. The defaults bound every wait: libpq knows
 * no host that vanished (no reset, its packets dropped) until TCP gives up,
 * two hours by the kernel's defaults, and a request would wait as long.
 */
#ifndef TASKAPI_CONN_H
#define TASKAPI_CONN_H

#include "db/db.h"

/*
 * The defaults, each overridden by the same key in the connection string.
 * connect_timeout applies to each host in turn (libpq's minimum is 2):
 * with two hosts a failed attempt waits up to twice it. The TCP ones do
 * not apply to a unix socket, which has no such wait: a peer that is gone
 * closes it. An idle connection to a vanished host is known dead after
 * keepalives_idle + keepalives_interval * keepalives_count seconds
 * (4 + 2 * 2), and a request sent to one after tcp_user_timeout ms.
 */
#define CONN_CONNECT_TIMEOUT "2"
#define CONN_KEEPALIVES_IDLE "4"
#define CONN_KEEPALIVES_INTERVAL "2"
#define CONN_KEEPALIVES_COUNT "2"
#define CONN_TCP_USER_TIMEOUT "8000"

/* The keys conn_params fills, the connection string's included. */
#define CONN_PARAMS_MAX 8

/* What PQconnectdbParams takes: NULL-terminated keys and values. */
struct conn_params {
	const char *keys[CONN_PARAMS_MAX + 1];
	const char *vals[CONN_PARAMS_MAX + 1];
};

/*
 * The defaults and application_name, then conninfo as "dbname", which
 * libpq expands (expand_dbname) over them: whatever conninfo sets wins.
 * The strings are borrowed: conninfo and app_name must outlive p.
 */
void conn_params(struct conn_params *p, const char *conninfo,
    const char *app_name);

/*
 * Makes sure db has a live connection, connecting when it has none or
 * the server said goodbye. Returns 0, or -1 (logged) when no host of the
 * connection string could be had.
 */
int conn_open(struct db *db);

/* Closes db's connection, if any; the next conn_open connects anew. */
void conn_drop(struct db *db);

#endif
