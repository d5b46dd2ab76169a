/*
 * cursor.c: the list's sort orders and its paging cursor; see cursor.h and
 * docs/API.md "Cursor paging".
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

#include "domain/cursor.h"
#include "json/b64url.h"
#include "text/text.h"

/* The record's version: a change of layout makes old cursors malformed. */
#define CURSOR_VERSION 1
/* Bytes before the sort value: version, sort, completed, has_q, digests, id. */
#define CURSOR_HEAD (4 + 2 * CURSOR_DIGEST + 16)
/* The longest record: a title order with the longest title. */
#define CURSOR_RECORD_MAX (CURSOR_HEAD + 2 + CURSOR_TITLE_MAX)
/*
 * The timestamps a cursor may hold: years 1 to 9999, what the statements
 * write with four digits; 0001-01-01 and 9999-12-31T23:59:59.999999.
 */
#define CURSOR_MICROS_MIN (-62135596800LL * 1000000)
#define CURSOR_MICROS_MAX (253402300800LL * 1000000 - 1)

static const char *const cursor_sort_names[CURSOR_SORT_COUNT_] = {
	[CURSOR_SORT_CREATED] = "created_at",
	[CURSOR_SORT_CREATED_DESC] = "-created_at",
	[CURSOR_SORT_UPDATED] = "updated_at",
	[CURSOR_SORT_UPDATED_DESC] = "-updated_at",
	[CURSOR_SORT_TITLE] = "title",
	[CURSOR_SORT_TITLE_DESC] = "-title",
};

static void cursor_digest(const char *s, unsigned char out[CURSOR_DIGEST]);
static int cursor_time_parse(const char *s, int64_t *micros);
static size_t cursor_record(const struct cursor *c, unsigned char *out);
static int cursor_read_value(struct cursor *c, const unsigned char *v,
    size_t n);
static void cursor_b64(const unsigned char *in, size_t n, char *out);

int
cursor_sort_parse(const char *s)
{
	for (int i = 0; i < CURSOR_SORT_COUNT_; i++)
		if (strcmp(s, cursor_sort_names[i]) == 0)
			return i;
	return -1;
}

const char *
cursor_sort_name(enum cursor_sort sort)
{
	return cursor_sort_names[sort];
}

int
cursor_sort_by_title(enum cursor_sort sort)
{
	return sort == CURSOR_SORT_TITLE || sort == CURSOR_SORT_TITLE_DESC;
}

/* The start of s's SHA-256. */
static void
cursor_digest(const char *s, unsigned char out[CURSOR_DIGEST])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1 ||
	    len < CURSOR_DIGEST)
		abort();	/* SHA-256 of a string cannot fail but by OOM */
	memcpy(out, md, CURSOR_DIGEST);
}

void
cursor_init(struct cursor *c, enum cursor_sort sort,
    enum cursor_completed completed, const char *q, const char *subject)
{
	memset(c, 0, sizeof(*c));
	c->sort = sort;
	c->completed = completed;
	c->has_q = q != NULL;
	if (q != NULL)
		cursor_digest(q, c->q_digest);
	cursor_digest(subject, c->subject_digest);
}

/*
 * A timestamp as the statements write it ("2026-11-25T12:56:14.074205Z",
 * microseconds, UTC) in microseconds from 1970. Returns 0 or -1.
 */
static int
cursor_time_parse(const char *s, int64_t *micros)
{
	struct tm tm = { 0 };
	int us = 0, used = 0;

	if (strlen(s) != CURSOR_TIME_TEXT - 1 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &used) != 7 ||
	    used != CURSOR_TIME_TEXT - 1)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*micros = (int64_t)timegm(&tm) * 1000000 + us;
	return 0;
}

int
cursor_set_row(struct cursor *c, const char *key, const char *id)
{
	size_t len = strlen(key);

	if (strlen(id) != 36)
		return -1;
	for (int i = 0, j = 0; i < 16; i++, j += 2) {
		if (j == 8 || j == 13 || j == 18 || j == 23) {
			if (id[j] != '-')
				return -1;
			j++;
		}
		if (text_hex_digit(id[j]) < 0 || text_hex_digit(id[j + 1]) < 0)
			return -1;
		c->id[i] = (unsigned char)(text_hex_digit(id[j]) << 4 |
		    text_hex_digit(id[j + 1]));
	}
	if (!cursor_sort_by_title(c->sort))
		return cursor_time_parse(key, &c->micros);
	if (len == 0 || len > CURSOR_TITLE_MAX)
		return -1;
	memcpy(c->title, key, len + 1);
	c->title_len = len;
	return 0;
}

/* c's record into out (CURSOR_RECORD_MAX bytes); returns its length. */
static size_t
cursor_record(const struct cursor *c, unsigned char *out)
{
	size_t n = 0;
	uint64_t v = (uint64_t)c->micros;

	out[n++] = CURSOR_VERSION;
	out[n++] = (unsigned char)c->sort;
	out[n++] = (unsigned char)c->completed;
	out[n++] = (unsigned char)(c->has_q != 0);
	memcpy(out + n, c->q_digest, CURSOR_DIGEST);
	n += CURSOR_DIGEST;
	memcpy(out + n, c->subject_digest, CURSOR_DIGEST);
	n += CURSOR_DIGEST;
	memcpy(out + n, c->id, 16);
	n += 16;
	if (cursor_sort_by_title(c->sort)) {
		out[n++] = (unsigned char)(c->title_len >> 8);
		out[n++] = (unsigned char)c->title_len;
		memcpy(out + n, c->title, c->title_len);
		return n + c->title_len;
	}
	for (int shift = 56; shift >= 0; shift -= 8)
		out[n++] = (unsigned char)(v >> shift);
	return n;
}

/* base64url without padding (RFC 4648 5) of in[0..n) into out, with NUL. */
static void
cursor_b64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0, o = 0;
	uint32_t w;

	for (; i + 3 <= n; i += 3) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[w >> 18 & 63];
		out[o++] = abc[w >> 12 & 63];
		out[o++] = abc[w >> 6 & 63];
		out[o++] = abc[w & 63];
	}
	if (n - i == 1) {
		w = (uint32_t)in[i] << 16;
		out[o++] = abc[w >> 18 & 63];
		out[o++] = abc[w >> 12 & 63];
	} else if (n - i == 2) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = abc[w >> 18 & 63];
		out[o++] = abc[w >> 12 & 63];
		out[o++] = abc[w >> 6 & 63];
	}
	out[o] = '\0';
}

void
cursor_encode(const struct cursor *c, char out[CURSOR_TEXT_MAX])
{
	unsigned char rec[CURSOR_RECORD_MAX];

	_Static_assert((CURSOR_RECORD_MAX + 2) / 3 * 4 < CURSOR_TEXT_MAX,
	    "the longest record's text fits");
	cursor_b64(rec, cursor_record(c, rec), out);
}

/*
 * The sort value that ends a record (v[0..n)): 8 bytes of microseconds, or
 * a title's length and bytes (valid UTF-8 without U+0000, as stored).
 */
static int
cursor_read_value(struct cursor *c, const unsigned char *v, size_t n)
{
	uint64_t u = 0;

	if (!cursor_sort_by_title(c->sort)) {
		if (n != 8)
			return -1;
		for (int i = 0; i < 8; i++)
			u = u << 8 | v[i];
		c->micros = (int64_t)u;
		return c->micros >= CURSOR_MICROS_MIN &&
		    c->micros <= CURSOR_MICROS_MAX ? 0 : -1;
	}
	if (n < 2 || (c->title_len = (size_t)v[0] << 8 | v[1]) != n - 2 ||
	    c->title_len == 0 || c->title_len > CURSOR_TITLE_MAX ||
	    memchr(v + 2, '\0', c->title_len) != NULL ||
	    text_utf8_check((const char *)v + 2, c->title_len, NULL) != 0)
		return -1;
	memcpy(c->title, v + 2, c->title_len);
	c->title[c->title_len] = '\0';
	return 0;
}

enum cursor_result
cursor_decode(const char *text, struct cursor *c)
{
	size_t len = strlen(text), n = 0;
	unsigned char *rec;
	int ok;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len >= CURSOR_TEXT_MAX ||
	    (rec = b64url_decode(text, len, &n)) == NULL)
		return CURSOR_MALFORMED;
	ok = n > CURSOR_HEAD && rec[0] == CURSOR_VERSION &&
	    rec[1] < CURSOR_SORT_COUNT_ && rec[2] <= CURSOR_COMPLETED_TRUE &&
	    rec[3] <= 1;
	if (ok) {
		c->sort = (enum cursor_sort)rec[1];
		c->completed = (enum cursor_completed)rec[2];
		c->has_q = rec[3];
		memcpy(c->q_digest, rec + 4, CURSOR_DIGEST);
		memcpy(c->subject_digest, rec + 4 + CURSOR_DIGEST, CURSOR_DIGEST);
		memcpy(c->id, rec + 4 + 2 * CURSOR_DIGEST, 16);
		ok = cursor_read_value(c, rec + CURSOR_HEAD, n - CURSOR_HEAD) == 0;
	}
	free(rec);
	return ok ? CURSOR_OK : CURSOR_MALFORMED;
}

enum cursor_result
cursor_check(const struct cursor *got, const struct cursor *want)
{
	if (memcmp(got->subject_digest, want->subject_digest, CURSOR_DIGEST) != 0)
		return CURSOR_OTHER_USER;
	if (got->sort != want->sort || got->completed != want->completed ||
	    got->has_q != want->has_q ||
	    memcmp(got->q_digest, want->q_digest, CURSOR_DIGEST) != 0)
		return CURSOR_OTHER_LIST;
	return CURSOR_OK;
}

void
cursor_key_text(const struct cursor *c, char *key, size_t len)
{
	int64_t secs, us;
	time_t t;
	struct tm tm;

	if (cursor_sort_by_title(c->sort)) {
		snprintf(key, len, "%s", c->title);
		return;
	}
	/* Floor division: a time before 1970 has a negative second. */
	secs = c->micros / 1000000;
	us = c->micros % 1000000;
	if (us < 0) {
		secs--;
		us += 1000000;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	snprintf(key, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)us);
}

void
cursor_id_text(const struct cursor *c, char id[37])
{
	const unsigned char *b = c->id;

	snprintf(id, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
