/*
 * task_changes.c: GET /api/tasks/changes (docs/API.md "Changes feed"): the
 * subject's tasks created or changed and ids deleted after the position
 * of since, oldest change first, and the token to read on from. One
 * statement reads them below its snapshot's xmin (db/columns.h), which is
 * why no change is ever passed (docs/API.md "Why the feed misses nothing").
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/task_answer.h"
#include "app/task_changes.h"
#include "db/columns.h"
#include "domain/sync_token.h"
#include "domain/task.h"
#include "text/text.h"

/* A since longer than a token is malformed; the buffer only needs one. */
#define CHANGES_SINCE_MAX (SYNC_TOKEN_TEXT + 1)

/* What one read asks: the position after which it reads, and how many. */
struct changes_query {
	struct sync_token pos;
	bool has_since;
	long limit;
};

/*
 * docs/API.md "Changes feed": since, when present, is one token of this
 * route. Returns 0, or -1 after answering.
 */
static int
changes_since(struct ctx *c, struct changes_query *q)
{
	char since[CHANGES_SINCE_MAX];
	int n = request_query_get(c->req->query, "since", since, sizeof(since));

	q->has_since = n != 0;
	if (n == 0 || (n == 1 && sync_token_decode(since, &q->pos) == 0))
		return 0;
	response_error(c->res, 422,
	    "since must be the next token of an earlier answer");
	return -1;
}

/*
 * The token, once the query is read: the same subject's, issued within
 * SYNC_RETENTION_SECONDS. Returns 0, or -1 after answering.
 */
static int
changes_since_usable(struct ctx *c, const struct changes_query *q)
{
	if (!q->has_since)
		return 0;
	switch (sync_token_usable(&q->pos, c->claims.subject, c->now,
	    c->cfg->sync_retention_seconds)) {
	case SYNC_TOKEN_OK:
		return 0;
	case SYNC_TOKEN_EXPIRED:
		response_error(c->res, 410, "Sync token expired; reload all tasks");
		return -1;
	default:
		response_error(c->res, 422, "since belongs to another user");
		return -1;
	}
}

/* docs/API.md "Query values": limit as the list's. 0, or -1 after answering. */
static int
changes_limit(struct ctx *c, long *out)
{
	char value[32];
	int n = request_query_get(c->req->query, "limit", value, sizeof(value));

	if (n == 0) {
		*out = TASK_LIMIT_DEFAULT;
		return 0;
	}
	if (n != 1 || text_parse_long(value, 1, TASK_LIMIT_MAX, out) !=
	    TEXT_NUMBER_OK) {
		response_error(c->res, 422, "limit must be one integer from 1 to 1000");
		return -1;
	}
	return 0;
}

/* An unsigned 64-bit number of PostgreSQL's text (xid8, a system id). */
static uint64_t
changes_u64(const PGresult *res, int row, int col)
{
	return strtoull(PQgetvalue(res, row, col), NULL, 10);
}

/*
 * The token's cluster and the pruning horizon, from the statement's first
 * row: a token of another cluster, or from before a pruned deletion, may
 * have missed a change, so it is 410. Returns 0, or -1 after answering.
 */
static int
changes_still_complete(struct ctx *c, const struct changes_query *q,
    const PGresult *res)
{
	if (!q->has_since)
		return 0;
	if (changes_u64(res, 0, TASK_CHANGES_COL_CLUSTER) != q->pos.cluster ||
	    (q->pos.xid != 0 && !PQgetisnull(res, 0, TASK_CHANGES_COL_PRUNED) &&
	    q->pos.xid <= changes_u64(res, 0, TASK_CHANGES_COL_PRUNED))) {
		response_error(c->res, 410, "Sync token expired; reload all tasks");
		return -1;
	}
	return 0;
}

/* Whether row is a change (the one row of an empty read is not). */
static bool
changes_is_item(const PGresult *res, int row)
{
	return !PQgetisnull(res, row, TASK_CHANGES_COL_KIND);
}

static bool
changes_is_task(const PGresult *res, int row)
{
	return PQgetvalue(res, row, TASK_CHANGES_COL_KIND)[0] == 't';
}

/*
 * The answer around the tasks' array: its head, each deleted id with its
 * quotes and comma, and the tail with the longest next and has_more.
 */
#define CHANGES_HEAD "{\"tasks\":["
#define CHANGES_GONE_BYTES (36 + 2 + 1)
#define CHANGES_TAIL "],\"deleted\":[],\"next\":\"\",\"has_more\":false}"
#define CHANGES_TAIL_BYTES (sizeof(CHANGES_TAIL) - 1 + SYNC_TOKEN_TEXT - 1)

/*
 * Writes the tasks among the first rows, in order, and returns how many
 * rows the answer holds: at most limit, and no more than LIST_MAX_BYTES
 * take, counting the deleted ids and the rest of the answer still to come
 * (docs/API.md "Changes feed"); the first row always.
 */
static int
changes_write_tasks(struct ctx *c, const PGresult *res, long limit)
{
	struct response *out = c->res;
	size_t start = out->body_len, mark, gone = 0;
	size_t max = (size_t)c->cfg->list_max_bytes;
	int row, rows = PQntuples(res), tasks = 0;

	for (row = 0; row < rows && row < limit && changes_is_item(res, row);
	    row++) {
		mark = out->body_len;
		if (!changes_is_task(res, row))
			gone += CHANGES_GONE_BYTES;
		else {
			if (tasks++ > 0)
				response_json_lit(out, ",");
			task_answer_write(out, res, row);
		}
		if (row > 0 && sizeof(CHANGES_HEAD) - 1 + out->body_len - start +
		    gone + CHANGES_TAIL_BYTES > max) {
			out->body_len = mark;
			break;
		}
	}
	return row;
}

/* The deleted ids among the first shown rows, in order. */
static void
changes_write_gone(struct ctx *c, const PGresult *res, int shown)
{
	int gone = 0;

	for (int row = 0; row < shown; row++) {
		if (changes_is_task(res, row))
			continue;
		if (gone++ > 0)
			response_json_lit(c->res, ",");
		response_json_strz(c->res, PQgetvalue(res, row, TASK_COL_ID));
	}
}

/*
 * next: the position of the last row shown, or the same position when
 * none was; issued now, for this subject and this cluster.
 */
static void
changes_write_next(struct ctx *c, const struct changes_query *q,
    const PGresult *res, int shown)
{
	struct sync_token next = q->pos;
	char text[SYNC_TOKEN_TEXT];

	if (shown > 0) {
		next.xid = changes_u64(res, shown - 1, TASK_CHANGES_COL_XID);
		(void)sync_token_id_read(PQgetvalue(res, shown - 1, TASK_COL_ID),
		    next.id);
	}
	next.issued = (int64_t)c->now;
	next.subject = sync_token_subject(c->claims.subject);
	next.cluster = changes_u64(res, 0, TASK_CHANGES_COL_CLUSTER);
	sync_token_encode(&next, text);
	response_json_lit(c->res, "],\"next\":");
	response_json_strz(c->res, text);
}

static void
changes_answer(struct ctx *c, const struct changes_query *q,
    const PGresult *res)
{
	int shown;
	bool more;

	response_json_begin(c->res, 200);
	response_json_lit(c->res, CHANGES_HEAD);
	shown = changes_write_tasks(c, res, q->limit);
	response_json_lit(c->res, "],\"deleted\":[");
	changes_write_gone(c, res, shown);
	changes_write_next(c, q, res, shown);
	/* The statement read limit + 1 before its cut by bytes. */
	more = shown > 0 &&
	    shown < strtol(PQgetvalue(res, 0, TASK_CHANGES_COL_FOUND), NULL, 10);
	if (more)
		response_json_lit(c->res, ",\"has_more\":true}");
	else
		response_json_lit(c->res, ",\"has_more\":false}");
	response_json_end(c->res);
}

void
task_changes_answer(struct ctx *c)
{
	struct changes_query q = { .has_since = false };
	char xid[24], id[37], limit[24], bytes[24];
	const char *params[5];
	PGresult *res;

	/* since, then limit, then the token's owner and age. */
	if (changes_since(c, &q) != 0 || changes_limit(c, &q.limit) != 0 ||
	    changes_since_usable(c, &q) != 0)
		return;
	snprintf(xid, sizeof(xid), "%" PRIu64, q.pos.xid);
	sync_token_id_text(q.pos.id, id);
	snprintf(limit, sizeof(limit), "%ld", q.limit + 1);
	snprintf(bytes, sizeof(bytes), "%ld", c->cfg->list_max_bytes);
	params[0] = c->claims.subject;
	params[1] = xid;
	params[2] = id;
	params[3] = limit;
	params[4] = bytes;
	if ((res = ctx_rows(c, STMT_TASK_CHANGES, 5, params, "task changes")) == NULL)
		return;
	/* One row at least: the horizon's and the cluster's (db/columns.h). */
	if (PQntuples(res) < 1)
		ctx_internal(c, "task changes", "no row");
	else if (changes_still_complete(c, &q, res) == 0)
		changes_answer(c, &q, res);
	PQclear(res);
}
