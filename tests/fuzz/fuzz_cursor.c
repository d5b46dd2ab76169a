/*
 * fuzz_cursor: the list's cursor reader (domain/cursor.h cursor_decode),
 * on any text a client may send as `cursor`, and on any record bytes
 * behind a well-formed base64url. What it accepts must write back to the
 * same text, and hand the statement a sort value it can take: a timestamp
 * of 27 characters, or a title of valid UTF-8 without U+0000.
 */
#include "fuzz.h"
#include "domain/cursor.h"
#include "text/text.h"

static void check_text(const char *text);
static void b64(const uint8_t *in, size_t n, char *out);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	char *coded = malloc(size / 3 * 4 + 8);

	FUZZ_CHECK(coded != NULL);
	check_text(text);
	/* The bytes as a record: past the base64url, into the layout. */
	b64(data, size, coded);
	check_text(coded);
	free(coded);
	free(text);
	return 0;
}

/* Whatever text decodes must round-trip and give sound parameters. */
static void
check_text(const char *text)
{
	struct cursor c, again, want;
	char back[CURSOR_TEXT_MAX], key[CURSOR_TITLE_MAX + 1], id[37];

	if (cursor_decode(text, &c) != CURSOR_OK)
		return;
	FUZZ_CHECK(c.sort < CURSOR_SORT_COUNT_);
	cursor_encode(&c, back);
	FUZZ_CHECK(strcmp(back, text) == 0);
	FUZZ_CHECK(cursor_decode(back, &again) == CURSOR_OK);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	cursor_key_text(&c, key, sizeof(key));
	if (cursor_sort_by_title(c.sort))
		FUZZ_CHECK(strlen(key) == c.title_len &&
		    text_utf8_check(key, strlen(key), NULL) == 0);
	else
		FUZZ_CHECK(strlen(key) == CURSOR_TIME_TEXT - 1);
	cursor_id_text(&c, id);
	FUZZ_CHECK(strlen(id) == 36);
	/* The row part set back from the parameters is the same cursor. */
	cursor_init(&want, c.sort, c.completed, NULL, "fuzz");
	FUZZ_CHECK(cursor_set_row(&want, key, id) == 0);
	FUZZ_CHECK(memcmp(want.id, c.id, sizeof(c.id)) == 0);
	FUZZ_CHECK(want.micros == c.micros && want.title_len == c.title_len);
	(void)cursor_check(&c, &want);
}

/* base64url without padding, as cursors are written. */
static void
b64(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			w |= in[i + 2];
		out[o++] = abc[w >> 18 & 63];
		out[o++] = abc[w >> 12 & 63];
		if (i + 1 < n)
			out[o++] = abc[w >> 6 & 63];
		if (i + 2 < n)
			out[o++] = abc[w & 63];
	}
	out[o] = '\0';
}
