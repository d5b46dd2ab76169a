/*
 * sync_token.c: the changes feed's token (docs/API.md "Changes feed"). It
 * is not signed: it names a position in the subject's own changes, which
 * row-level security keeps to that subject whatever the token says, so a
 * forged one can only cost its bearer a reload. The subject's digest only
 * turns a token sent with another user's credentials into a clear 422.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "domain/sync_token.h"
#include "json/b64url.h"

static const char sync_token_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
sync_token_put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
sync_token_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
sync_token_subject(const char *subject)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	/* Only a failure to find SHA-256 at all could fail: then all is 0. */
	if (EVP_Digest(subject, strlen(subject), md, &len, EVP_sha256(),
	    NULL) != 1 || len < 8)
		return 0;
	return sync_token_get64(md);
}

/* RFC 4648 5, without padding: the token's text in a query string as is. */
static void
sync_token_b64(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = sync_token_alphabet[v >> 18 & 63];
		out[o++] = sync_token_alphabet[v >> 12 & 63];
		out[o++] = sync_token_alphabet[v >> 6 & 63];
		out[o++] = sync_token_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = sync_token_alphabet[v >> 18 & 63];
		out[o++] = sync_token_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = sync_token_alphabet[v >> 18 & 63];
		out[o++] = sync_token_alphabet[v >> 12 & 63];
		out[o++] = sync_token_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

void
sync_token_encode(const struct sync_token *tok, char out[SYNC_TOKEN_TEXT])
{
	unsigned char rec[SYNC_TOKEN_RECORD];

	rec[0] = SYNC_TOKEN_VERSION;
	sync_token_put64(rec + 1, tok->xid);
	memcpy(rec + 9, tok->id, 16);
	sync_token_put64(rec + 25, (uint64_t)tok->issued);
	sync_token_put64(rec + 33, tok->subject);
	sync_token_put64(rec + 41, tok->cluster);
	sync_token_b64(rec, sizeof(rec), out);
}

int
sync_token_decode(const char *text, struct sync_token *tok)
{
	unsigned char *rec;
	size_t n = strlen(text), len = 0;

	/* Checked first: a long text is never decoded at all. */
	if (n != SYNC_TOKEN_TEXT - 1 ||
	    (rec = b64url_decode(text, n, &len)) == NULL)
		return -1;
	if (len != SYNC_TOKEN_RECORD || rec[0] != SYNC_TOKEN_VERSION) {
		free(rec);
		return -1;
	}
	tok->xid = sync_token_get64(rec + 1);
	memcpy(tok->id, rec + 9, 16);
	tok->issued = (int64_t)sync_token_get64(rec + 25);
	tok->subject = sync_token_get64(rec + 33);
	tok->cluster = sync_token_get64(rec + 41);
	free(rec);
	return 0;
}

enum sync_token_check
sync_token_usable(const struct sync_token *tok, const char *subject,
    time_t now, long retention)
{
	if (tok->subject != sync_token_subject(subject))
		return SYNC_TOKEN_OTHER_SUBJECT;
	/*
	 * Deletions older than retention may be pruned: the token may have
	 * missed one (docs/API.md "Changes feed"). Compared without a
	 * subtraction that could overflow on a forged time. One from the
	 * future is expired too, beyond the clock skew of two hosts.
	 */
	if (tok->issued > (int64_t)now + SYNC_TOKEN_SKEW_S ||
	    tok->issued < (int64_t)now - retention)
		return SYNC_TOKEN_EXPIRED;
	return SYNC_TOKEN_OK;
}

void
sync_token_id_text(const unsigned char id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 15];
	}
	out[o] = '\0';
}

static int
sync_token_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
sync_token_id_read(const char *text, unsigned char id[16])
{
	int hi, lo, k = 0;

	if (strlen(text) != 36)
		return -1;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -1;
			continue;
		}
		if ((hi = sync_token_nibble(text[i])) < 0 ||
		    (lo = sync_token_nibble(text[++i])) < 0)
			return -1;
		id[k++] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
