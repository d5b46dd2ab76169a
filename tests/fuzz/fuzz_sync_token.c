/*
 * fuzz_sync_token: the changes feed's token reader (domain/sync_token.h
 * sync_token_decode), on any text a client may send as `since`, and on
 * any record bytes behind a well-formed base64url. What it accepts must
 * write back to the same text, and give the same record again; the id it
 * hands the statement is a UUID's text.
 */
#include "fuzz.h"
#include "domain/sync_token.h"

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

/* Whatever text decodes must round-trip and give a sound id. */
static void
check_text(const char *text)
{
	struct sync_token t, again;
	char back[SYNC_TOKEN_TEXT], id[37];
	unsigned char idb[16];

	if (sync_token_decode(text, &t) != 0)
		return;
	sync_token_encode(&t, back);
	FUZZ_CHECK(strcmp(back, text) == 0);
	FUZZ_CHECK(sync_token_decode(back, &again) == 0);
	FUZZ_CHECK(memcmp(&t, &again, sizeof(t)) == 0);
	sync_token_id_text(t.id, id);
	FUZZ_CHECK(strlen(id) == 36);
	FUZZ_CHECK(sync_token_id_read(id, idb) == 0);
	FUZZ_CHECK(memcmp(idb, t.id, 16) == 0);
	/* Any time and subject are judged without overflow (UBSan). */
	(void)sync_token_usable(&t, "fuzz", 1800000000, 2592000);
}

/* Unpadded base64url, as the feed writes its tokens. */
static void
b64(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
}
