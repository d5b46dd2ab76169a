/*
 * cursor.h: the list's sort orders and its paging cursor, apart from HTTP
 * and the database: docs/API.md "Sorting and search" and "Cursor paging".
 *
 * A cursor is base64url of a small record: a version, the sort, the
 * completed filter, digests of q and of the subject, and the last row's
 * sort value and id. It is not signed: every statement is scoped to the
 * subject, so a forged cursor only positions a page among the caller's own
 * rows, as offset does; the digests catch a cursor sent to the wrong list.
 */
#ifndef TASKAPI_CURSOR_H
#define TASKAPI_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/* The orders of "Sorting and search", in the record's numbering. */
enum cursor_sort {
	CURSOR_SORT_CREATED,		/* created_at */
	CURSOR_SORT_CREATED_DESC,	/* -created_at, the default */
	CURSOR_SORT_UPDATED,		/* updated_at */
	CURSOR_SORT_UPDATED_DESC,	/* -updated_at */
	CURSOR_SORT_TITLE,		/* title */
	CURSOR_SORT_TITLE_DESC,		/* -title */
	CURSOR_SORT_COUNT_
};

/* The completed filter a cursor was made under. */
enum cursor_completed {
	CURSOR_COMPLETED_ANY,
	CURSOR_COMPLETED_FALSE,
	CURSOR_COMPLETED_TRUE
};

/* Bytes of each digest (the start of a SHA-256): enough for mistakes. */
#define CURSOR_DIGEST 8
/* A title's bytes: 255 characters of at most 4 bytes (domain/task.h). */
#define CURSOR_TITLE_MAX (255 * 4)
/* The longest cursor's text, its NUL included. */
#define CURSOR_TEXT_MAX 1500
/* A timestamp as the statements write it: "2026-11-25T12:56:14.074205Z". */
#define CURSOR_TIME_TEXT 28

struct cursor {
	enum cursor_sort sort;
	enum cursor_completed completed;
	int has_q;
	unsigned char q_digest[CURSOR_DIGEST];		/* zero without q */
	unsigned char subject_digest[CURSOR_DIGEST];
	unsigned char id[16];
	int64_t micros;		/* created_at or updated_at, from 1970 */
	size_t title_len;	/* title orders: the title's bytes */
	char title[CURSOR_TITLE_MAX + 1];
};

/* How cursor_decode and cursor_check refuse. */
enum cursor_result {
	CURSOR_OK,
	CURSOR_MALFORMED,	/* not a cursor this version makes */
	CURSOR_OTHER_LIST,	/* made for another sort, q or completed */
	CURSOR_OTHER_USER	/* made for another subject */
};

/* The order named s, or -1 when it names none. */
int cursor_sort_parse(const char *s);

/* The query value of sort ("-created_at"), as the statement takes it. */
const char *cursor_sort_name(enum cursor_sort sort);

/* Whether sort orders by title (else by a timestamp). */
int cursor_sort_by_title(enum cursor_sort sort);

/*
 * Sets the list part of c: sort, completed, q (NULL for none) and the
 * subject's digest. The row part is cursor_set_row's.
 */
void cursor_init(struct cursor *c, enum cursor_sort sort,
    enum cursor_completed completed, const char *q, const char *subject);

/*
 * Sets the row part of c from the last row shown: its sort value as the
 * statement wrote it (a timestamp, or the title) and its id (a UUID).
 * Returns 0, or -1 when they are not that.
 */
int cursor_set_row(struct cursor *c, const char *key, const char *id);

/* Writes c's text into out (CURSOR_TEXT_MAX bytes). */
void cursor_encode(const struct cursor *c, char out[CURSOR_TEXT_MAX]);

/* Reads text into c: CURSOR_OK or CURSOR_MALFORMED. */
enum cursor_result cursor_decode(const char *text, struct cursor *c);

/* Whether got, decoded, was made for the list want describes. */
enum cursor_result cursor_check(const struct cursor *got,
    const struct cursor *want);

/*
 * The statement's parameters for c's row: its sort value (a timestamp in
 * UTC, or the title) into key, and its id into id.
 */
void cursor_key_text(const struct cursor *c, char *key, size_t len);
void cursor_id_text(const struct cursor *c, char id[37]);

#endif
