/*
 * task_list.c: GET /api/tasks (docs/API.md "Task list", "Sorting and
 * search", "Cursor paging", "ETags and preconditions"). The query values
 * are checked in the order "Query values" gives; one statement returns
 * the page, the count and the user's change mark from one snapshot: with
 * q, sql/008_list_paging.sql task_page; without, the sort's fixed
 * statement (db/columns.h COLUMNS_TASK_SORTED), prepared once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "app/app.h"
#include "app/task_answer.h"
#include "app/task_list.h"
#include "db/columns.h"
#include "domain/cursor.h"
#include "domain/task.h"
#include "http/etag.h"
#include "text/text.h"

/* docs/API.md "Sorting and search": q's longest, in characters. */
#define TASK_LIST_Q_MAX 200
/* Room for q's bytes: 200 characters of at most 4 bytes, and more. */
#define TASK_LIST_Q_BYTES 1024
/* The Link's URI: its parameters, q at 3 bytes a byte, the cursor. */
#define TASK_LIST_LINK_MAX (128 + 3 * TASK_LIST_Q_BYTES + CURSOR_TEXT_MAX)

/* The list's query values, read and checked. */
struct task_list_query {
	int has_completed;
	char completed[8];		/* "true" or "false" */
	int has_limit;
	long limit, offset;
	int has_sort;
	enum cursor_sort sort;
	int has_q;
	char q[TASK_LIST_Q_BYTES];
	int has_cursor;
	struct cursor after;		/* the cursor's row, when has_cursor */
	struct cursor here;		/* this list: sort, filters, subject */
};

static int task_list_read(struct ctx *c, struct task_list_query *lq);
static int task_list_number(struct ctx *c, const char *key, long dflt,
    long min, long max, long *out, int *given);
static int task_list_read_sort(struct ctx *c, struct task_list_query *lq);
static int task_list_read_q(struct ctx *c, struct task_list_query *lq);
static int task_list_read_cursor(struct ctx *c, struct task_list_query *lq);
static PGresult *task_list_sorted(struct ctx *c,
    const struct task_list_query *lq);
static PGresult *task_list_page(struct ctx *c, const struct task_list_query *lq);
static int task_list_link(struct ctx *c, struct task_list_query *lq,
    const PGresult *res, int last, char *link, size_t len);
static void task_list_etag(const PGresult *res, const char *link,
    const struct response *out, char etag[ETAG_MAX]);
static void task_list_finish(struct ctx *c, const PGresult *res,
    const char *link);

/*
 * docs/API.md "Query values": limit and offset are decimal integers in
 * range; an empty, repeated or malformed value is 422. Returns 0, or -1
 * after answering.
 */
static int
task_list_number(struct ctx *c, const char *key, long dflt, long min,
    long max, long *out, int *given)
{
	char value[32], detail[96];
	int n = request_query_get(c->req->query, key, value, sizeof(value));

	*given = n != 0;
	if (n == 0) {
		*out = dflt;
		return 0;
	}
	if (n != 1 || text_parse_long(value, min, max, out) != TEXT_NUMBER_OK) {
		snprintf(detail, sizeof(detail),
		    "%s must be one integer from %ld to %ld", key, min, max);
		response_error(c->res, 422, detail);
		return -1;
	}
	return 0;
}

/* docs/API.md "Sorting and search": one of six orders, by name. */
static int
task_list_read_sort(struct ctx *c, struct task_list_query *lq)
{
	char value[16];
	int n = request_query_get(c->req->query, "sort", value, sizeof(value));
	int sort = n == 1 ? cursor_sort_parse(value) : -1;

	lq->has_sort = n != 0;
	lq->sort = CURSOR_SORT_CREATED_DESC;
	if (n == 0)
		return 0;
	if (sort < 0) {
		response_error(c->res, 422, "sort must be one of created_at, "
		    "-created_at, updated_at, -updated_at, title, -title");
		return -1;
	}
	lq->sort = (enum cursor_sort)sort;
	return 0;
}

/*
 * docs/API.md "Sorting and search": 1 to 200 characters of UTF-8; a
 * decoded NUL, a value too long for the buffer, a repeat: the same 422.
 */
static int
task_list_read_q(struct ctx *c, struct task_list_query *lq)
{
	int n = request_query_get(c->req->query, "q", lq->q, sizeof(lq->q));
	size_t chars = 0;

	lq->has_q = n != 0;
	if (n == 0)
		return 0;
	if (n != 1 || lq->q[0] == '\0' ||
	    text_utf8_check(lq->q, strlen(lq->q), &chars) != 0 ||
	    chars > TASK_LIST_Q_MAX) {
		response_error(c->res, 422,
		    "q must be 1 to 200 characters of UTF-8, without U+0000");
		return -1;
	}
	return 0;
}

/*
 * docs/API.md "Cursor paging": a cursor this list made, for this sort,
 * filter and user, and never with offset.
 */
static int
task_list_read_cursor(struct ctx *c, struct task_list_query *lq)
{
	char text[CURSOR_TEXT_MAX];
	char probe[1];
	int n = request_query_get(c->req->query, "cursor", text, sizeof(text));
	enum cursor_result r;

	lq->has_cursor = n != 0;
	if (n == 0)
		return 0;
	if (request_query_get(c->req->query, "offset", probe, 1) != 0) {
		response_error(c->res, 422, "cursor and offset cannot be used "
		    "together");
		return -1;
	}
	r = n == 1 ? cursor_decode(text, &lq->after) : CURSOR_MALFORMED;
	if (r == CURSOR_OK)
		r = cursor_check(&lq->after, &lq->here);
	if (r == CURSOR_OK)
		return 0;
	response_error(c->res, 422, r == CURSOR_OTHER_USER ?
	    "cursor was made for another user" : r == CURSOR_OTHER_LIST ?
	    "cursor was made for another sort, q or completed" :
	    "cursor is malformed");
	return -1;
}

/* All the query values, in order; 0, or -1 after answering 422. */
static int
task_list_read(struct ctx *c, struct task_list_query *lq)
{
	int n, offset_given;

	memset(lq, 0, sizeof(*lq));
	n = request_query_get(c->req->query, "completed", lq->completed,
	    sizeof(lq->completed));
	if (n < 0 || n > 1 || (n == 1 && strcmp(lq->completed, "true") != 0 &&
	    strcmp(lq->completed, "false") != 0)) {
		response_error(c->res, 422, "completed must be true or false");
		return -1;
	}
	lq->has_completed = n == 1;
	if (task_list_number(c, "limit", TASK_LIMIT_DEFAULT, 1, TASK_LIMIT_MAX,
	    &lq->limit, &lq->has_limit) != 0 ||
	    task_list_number(c, "offset", 0, 0, TASK_OFFSET_MAX, &lq->offset,
	    &offset_given) != 0 ||
	    task_list_read_sort(c, lq) != 0 || task_list_read_q(c, lq) != 0)
		return -1;
	cursor_init(&lq->here, lq->sort, !lq->has_completed ?
	    CURSOR_COMPLETED_ANY : lq->completed[0] == 't' ?
	    CURSOR_COMPLETED_TRUE : CURSOR_COMPLETED_FALSE,
	    lq->has_q ? lq->q : NULL, c->claims.subject);
	return task_list_read_cursor(c, lq);
}

/*
 * Without q, the sort's fixed statement, prepared once per connection
 * (DB_STMT_SORTED): the same rows as task_page, which plans its text on
 * every call. NULL after answering.
 */
static PGresult *
task_list_sorted(struct ctx *c, const struct task_list_query *lq)
{
	char key[CURSOR_TITLE_MAX + 1];
	char limit_s[24], offset_s[24], bytes_s[24], id[37];
	const char *params[7];

	snprintf(limit_s, sizeof(limit_s), "%ld", lq->limit);
	snprintf(offset_s, sizeof(offset_s), "%ld", lq->offset);
	snprintf(bytes_s, sizeof(bytes_s), "%ld", c->cfg->list_max_bytes);
	params[0] = c->claims.subject;
	params[1] = lq->has_completed ? lq->completed : NULL;
	params[2] = limit_s;
	params[3] = offset_s;
	params[4] = bytes_s;
	if (lq->has_cursor) {
		cursor_key_text(&lq->after, key, sizeof(key));
		cursor_id_text(&lq->after, id);
		params[5] = key;
		params[6] = id;
	}
	return ctx_rows(c, DB_STMT_SORTED((int)lq->sort, lq->has_completed,
	    lq->has_cursor), lq->has_cursor ? 7 : 5, params, "task page");
}

/* Runs task_page for lq (q given); NULL after answering. */
static PGresult *
task_list_page(struct ctx *c, const struct task_list_query *lq)
{
	char key[CURSOR_TITLE_MAX + 1];
	char limit_s[24], offset_s[24], bytes_s[24], id[37];
	const char *params[9];

	snprintf(limit_s, sizeof(limit_s), "%ld", lq->limit);
	snprintf(offset_s, sizeof(offset_s), "%ld", lq->offset);
	snprintf(bytes_s, sizeof(bytes_s), "%ld", c->cfg->list_max_bytes);
	params[0] = c->claims.subject;
	params[1] = lq->has_completed ? lq->completed : NULL;
	params[2] = lq->has_q ? lq->q : NULL;
	params[3] = cursor_sort_name(lq->sort);
	params[4] = limit_s;
	params[5] = offset_s;
	/* The database's own cut by LIST_MAX_BYTES (db/columns.h). */
	params[6] = bytes_s;
	params[7] = params[8] = NULL;
	if (lq->has_cursor) {
		cursor_key_text(&lq->after, key, sizeof(key));
		cursor_id_text(&lq->after, id);
		params[7] = key;
		params[8] = id;
	}
	return ctx_rows(c, STMT_TASK_PAGE, 9, params, "task page");
}

int
task_list_query_encode(char *out, size_t len, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (*at + 4 > len)
			return -1;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			out[(*at)++] = (char)ch;
			continue;
		}
		out[(*at)++] = '%';
		out[(*at)++] = hex[ch >> 4];
		out[(*at)++] = hex[ch & 15];
	}
	out[*at] = '\0';
	return 0;
}

/*
 * The next page's Link (RFC 8288): the list's own parameters but offset,
 * and a cursor after row last of res. Returns 0, or -1 after answering.
 */
static int
task_list_link(struct ctx *c, struct task_list_query *lq,
    const PGresult *res, int last, char *link, size_t len)
{
	static const int key_col[CURSOR_SORT_COUNT_] = {
		TASK_COL_CREATED_AT, TASK_COL_CREATED_AT, TASK_COL_UPDATED_AT,
		TASK_COL_UPDATED_AT, TASK_COL_TITLE, TASK_COL_TITLE,
	};
	char cursor[CURSOR_TEXT_MAX];
	size_t at;
	int n;

	if (cursor_set_row(&lq->here, PQgetvalue(res, last, key_col[lq->sort]),
	    PQgetvalue(res, last, TASK_COL_ID)) != 0) {
		ctx_internal(c, "task page", "a row no cursor can hold");
		return -1;
	}
	cursor_encode(&lq->here, cursor);
	n = snprintf(link, len, "</api/tasks?limit=%ld", lq->limit);
	if (lq->has_completed)
		n += snprintf(link + n, len - (size_t)n, "&completed=%s",
		    lq->completed);
	if (lq->has_sort)
		n += snprintf(link + n, len - (size_t)n, "&sort=%s",
		    cursor_sort_name(lq->sort));
	if (lq->has_q)
		n += snprintf(link + n, len - (size_t)n, "&q=");
	at = (size_t)n;
	/* The buffer holds the longest q and cursor (TASK_LIST_LINK_MAX). */
	if (lq->has_q && task_list_query_encode(link, len, &at, lq->q) != 0)
		return -1;
	snprintf(link + at, len - at, "&cursor=%s>; rel=\"next\"", cursor);
	return 0;
}

/*
 * docs/API.md "ETags and preconditions": "l" and the SHA-256 of the user's
 * change mark, X-Total-Count, the Link and the body, in hex. Any change of
 * the user's tasks moves the mark; equal tags mean equal answers.
 */
static void
task_list_etag(const PGresult *res, const char *link,
    const struct response *out, char etag[ETAG_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	const char *mark = PQgetvalue(res, 0, TASK_PAGE_COL_MARK);
	const char *total = PQgetvalue(res, 0, TASK_PAGE_COL_TOTAL);
	int ok;

	/* Each part with its NUL, so no two splits of one text collide. */
	ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h, mark, strlen(mark) + 1) == 1 &&
	    EVP_DigestUpdate(h, total, strlen(total) + 1) == 1 &&
	    EVP_DigestUpdate(h, link, strlen(link) + 1) == 1 &&
	    EVP_DigestUpdate(h, out->body, out->body_len) == 1 &&
	    EVP_DigestFinal_ex(h, md, &md_len) == 1 && md_len == 32;
	EVP_MD_CTX_free(h);
	etag[0] = '\0';
	if (!ok)
		return;
	snprintf(etag, ETAG_MAX, "\"l");
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(etag + 2 + 2 * i, ETAG_MAX - 2 - 2 * i, "%02x", md[i]);
	strcat(etag, "\"");
}

/* The headers, and 304 in place of the page when If-None-Match names it. */
static void
task_list_finish(struct ctx *c, const PGresult *res, const char *link)
{
	char etag[ETAG_MAX];

	response_json_end(c->res);
	if (c->res->status != 200)
		return;
	task_list_etag(res, link, c->res, etag);
	if (etag[0] != '\0' && etag_none_match(c->req->if_none_match, etag)) {
		/* RFC 9110 15.4.5: a 304 has no body, but the ETag. */
		response_empty(c->res, 304);
		response_header(c->res, "ETag", "%s", etag);
		return;
	}
	response_header(c->res, "X-Total-Count", "%s",
	    PQgetvalue(res, 0, TASK_PAGE_COL_TOTAL));
	if (link[0] != '\0')
		response_header(c->res, "Link", "%s", link);
	if (etag[0] != '\0')
		response_header(c->res, "ETag", "%s", etag);
}

void
task_list_answer(struct ctx *c)
{
	char link[TASK_LIST_LINK_MAX];
	struct task_list_query lq;
	PGresult *res;
	int shown = 0, empty;

	if (task_list_read(c, &lq) != 0)
		return;
	res = lq.has_q ? task_list_page(c, &lq) : task_list_sorted(c, &lq);
	if (res == NULL)
		return;
	if (PQntuples(res) < 1 || PQnfields(res) != TASK_PAGE_COL_COUNT_) {
		ctx_internal(c, "task page", "no row");
		PQclear(res);
		return;
	}
	empty = PQgetisnull(res, 0, TASK_COL_ID);
	response_json_begin(c->res, 200);
	if (empty)
		response_json_lit(c->res, "[]");
	else
		shown = task_answer_list(c->res, res, (int)lq.limit,
		    (size_t)c->cfg->list_max_bytes);
	link[0] = '\0';
	/*
	 * docs/API.md "Cursor paging": more rows follow when the statement
	 * read more than the page shows (limit + 1, or a page cut by
	 * LIST_MAX_BYTES); the next page starts after the last row shown.
	 */
	if (!empty && shown < atol(PQgetvalue(res, 0, TASK_PAGE_COL_READ)) &&
	    task_list_link(c, &lq, res, shown - 1, link, sizeof(link)) != 0) {
		if (c->res->status == 200)
			ctx_internal(c, "task page", "Link too long");
		PQclear(res);
		return;
	}
	task_list_finish(c, res, link);
	PQclear(res);
}
