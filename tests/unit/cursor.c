/*
 * Unit: the list's cursor, made and read back, as in
 * docs/API.md "Cursor paging", and the sort names of
 * docs/API.md "Sorting and search".
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "app/task_list.h"
#include "domain/cursor.h"

static const char *const id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/* A cursor of sort, after a row with key and id, encoded into text. */
static void
cursor_made(enum cursor_sort sort, const char *q, const char *key,
    char text[CURSOR_TEXT_MAX])
{
	struct cursor c;

	cursor_init(&c, sort, CURSOR_COMPLETED_TRUE, q, "alice");
	cr_assert_eq(cursor_set_row(&c, key, id), 0);
	cursor_encode(&c, text);
}

Test(cursor, sort_names_are_exactly_the_six)
{
	cr_expect_eq(cursor_sort_parse("-created_at"), CURSOR_SORT_CREATED_DESC);
	cr_expect_eq(cursor_sort_parse("title"), CURSOR_SORT_TITLE);
	cr_expect_str_eq(cursor_sort_name(CURSOR_SORT_UPDATED_DESC), "-updated_at");
	cr_expect_eq(cursor_sort_parse(""), -1);
	cr_expect_eq(cursor_sort_parse("Title"), -1);
	cr_expect_eq(cursor_sort_parse("--title"), -1);
	cr_expect_eq(cursor_sort_parse("+title"), -1);
	cr_expect_eq(cursor_sort_parse("id"), -1);
}

Test(cursor, a_timestamp_round_trips_to_the_microsecond)
{
	char text[CURSOR_TEXT_MAX], key[64], back[37];
	struct cursor c, want;

	cursor_made(CURSOR_SORT_UPDATED, "milk", "2026-11-25T12:56:14.074205Z",
	    text);
	cr_assert_eq(cursor_decode(text, &c), CURSOR_OK);
	cursor_key_text(&c, key, sizeof(key));
	cr_expect_str_eq(key, "2026-11-25T12:56:14.074205Z");
	cursor_id_text(&c, back);
	cr_expect_str_eq(back, id);
	cursor_init(&want, CURSOR_SORT_UPDATED, CURSOR_COMPLETED_TRUE, "milk",
	    "alice");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OK);
	/* Before 1970 the second is floored, the microseconds stay. */
	cursor_made(CURSOR_SORT_CREATED, NULL, "1969-12-31T23:59:59.999999Z",
	    text);
	cr_assert_eq(cursor_decode(text, &c), CURSOR_OK);
	cursor_key_text(&c, key, sizeof(key));
	cr_expect_str_eq(key, "1969-12-31T23:59:59.999999Z");
}

Test(cursor, a_title_round_trips_byte_for_byte)
{
	char text[CURSOR_TEXT_MAX], key[CURSOR_TITLE_MAX + 1], title[1021];
	struct cursor c;

	/* The longest title: 255 characters of 4 bytes (U+1F600). */
	for (int i = 0; i < 255; i++)
		memcpy(title + 4 * i, "\xf0\x9f\x98\x80", 4);
	title[1020] = '\0';
	cursor_made(CURSOR_SORT_TITLE_DESC, "q", title, text);
	cr_expect_lt(strlen(text), (size_t)CURSOR_TEXT_MAX);
	cr_assert_eq(cursor_decode(text, &c), CURSOR_OK);
	cursor_key_text(&c, key, sizeof(key));
	cr_expect_str_eq(key, title);
}

Test(cursor, another_list_or_user_is_told_apart)
{
	char text[CURSOR_TEXT_MAX];
	struct cursor c, want;

	cursor_made(CURSOR_SORT_TITLE, "milk", "Milk", text);
	cr_assert_eq(cursor_decode(text, &c), CURSOR_OK);
	cursor_init(&want, CURSOR_SORT_TITLE_DESC, CURSOR_COMPLETED_TRUE, "milk",
	    "alice");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OTHER_LIST);
	cursor_init(&want, CURSOR_SORT_TITLE, CURSOR_COMPLETED_ANY, "milk",
	    "alice");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OTHER_LIST);
	cursor_init(&want, CURSOR_SORT_TITLE, CURSOR_COMPLETED_TRUE, "Milk",
	    "alice");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OTHER_LIST);
	cursor_init(&want, CURSOR_SORT_TITLE, CURSOR_COMPLETED_TRUE, NULL,
	    "alice");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OTHER_LIST);
	cursor_init(&want, CURSOR_SORT_TITLE, CURSOR_COMPLETED_TRUE, "milk",
	    "bob");
	cr_expect_eq(cursor_check(&c, &want), CURSOR_OTHER_USER);
}

Test(cursor, malformed_texts_are_refused)
{
	char text[CURSOR_TEXT_MAX], cut[CURSOR_TEXT_MAX];
	struct cursor c;
	size_t len;

	cr_expect_eq(cursor_decode("", &c), CURSOR_MALFORMED);
	cr_expect_eq(cursor_decode("AQ", &c), CURSOR_MALFORMED);
	cr_expect_eq(cursor_decode("not a cursor", &c), CURSOR_MALFORMED);
	cr_expect_eq(cursor_decode("AQQAAA==", &c), CURSOR_MALFORMED);
	cursor_made(CURSOR_SORT_CREATED, NULL, "2026-11-25T12:56:14.074205Z",
	    text);
	len = strlen(text);
	/* One character less, or one more, is another record. */
	memcpy(cut, text, len - 1);
	cut[len - 1] = '\0';
	cr_expect_eq(cursor_decode(cut, &c), CURSOR_MALFORMED);
	snprintf(cut, sizeof(cut), "%sAA", text);
	cr_expect_eq(cursor_decode(cut, &c), CURSOR_MALFORMED);
	/* Another version (the first byte). */
	memcpy(cut, text, len + 1);
	cut[0] = 'B';
	cr_expect_eq(cursor_decode(cut, &c), CURSOR_MALFORMED);
}

Test(cursor, a_title_of_bad_utf8_or_nul_is_refused)
{
	char text[CURSOR_TEXT_MAX];
	struct cursor c;

	cursor_made(CURSOR_SORT_TITLE, NULL, "abcd", text);
	cr_assert_eq(cursor_decode(text, &c), CURSOR_OK);
	/* The record is 42 bytes: its last 4 characters are "bcd". */
	cr_assert_str_eq(text + strlen(text) - 4, "YmNk");
	strcpy(text + strlen(text) - 4, "AGNk");		/* "a\0cd" */
	cr_expect_eq(cursor_decode(text, &c), CURSOR_MALFORMED);
	strcpy(text + strlen(text) - 4, "Yv9k");		/* "ab\xffd" */
	cr_expect_eq(cursor_decode(text, &c), CURSOR_MALFORMED);
	strcpy(text + strlen(text) - 4, "YmNk");
	cr_expect_eq(cursor_decode(text, &c), CURSOR_OK);
}

Test(cursor, query_values_are_percent_encoded)
{
	char out[64];
	size_t at = 0;

	cr_assert_eq(task_list_query_encode(out, sizeof(out), &at,
	    "a b&c=%+/\xc3\xa9-._~"), 0);
	cr_expect_str_eq(out, "a%20b%26c%3D%25%2B%2F%C3%A9-._~");
	at = 0;
	cr_expect_eq(task_list_query_encode(out, 4, &at, "ab"), -1);
}
