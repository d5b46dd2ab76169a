/*
 * reset.c: password reset tokens: made from the system's random bytes,
 * hashed with SHA-256 for the database, checked for their form before
 * any lookup; and the text of the mail that carries one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/reset.h"
#include "config/config.h"
#include "json/b64url.h"

_Static_assert(B64URL_ENCODED(RESET_TOKEN_BYTES) == RESET_TOKEN_LEN + 1,
    "32 bytes are 43 base64url characters");

static int reset_hash_text(const char *token, size_t len,
    char hash[RESET_HASH_TEXT_BYTES]);

int
reset_token_new(char token[RESET_TOKEN_LEN + 1],
    char hash[RESET_HASH_TEXT_BYTES])
{
	unsigned char r[RESET_TOKEN_BYTES];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	b64url_encode(r, sizeof(r), token);
	OPENSSL_cleanse(r, sizeof(r));
	return reset_hash_text(token, RESET_TOKEN_LEN, hash);
}

int
reset_token_hash(const char *token, size_t len,
    char hash[RESET_HASH_TEXT_BYTES])
{
	if (len != RESET_TOKEN_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = token[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return -1;
	}
	return reset_hash_text(token, len, hash);
}

/* SHA-256 of the token's text, as PostgreSQL's bytea hex form. */
static int
reset_hash_text(const char *token, size_t len,
    char hash[RESET_HASH_TEXT_BYTES])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	hash[0] = '\\';
	hash[1] = 'x';
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hash + 2 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

char *
reset_mail_body(const char *link_template, const char *token)
{
	static const char head[] = "Someone asked to reset the password of "
	    "your account. To choose a new one, open this link within an "
	    "hour:\n\n";
	static const char tail[] = "\n\nThe link works once. If you did not "
	    "ask, ignore this mail: your password stays as it is.\n";
	size_t n = 0, tlen = strlen(CONFIG_RESET_TOKEN);
	const char *p;
	char *out, *o;

	for (p = link_template; (p = strstr(p, CONFIG_RESET_TOKEN)) != NULL;
	    p += tlen)
		n++;
	out = malloc(sizeof(head) + strlen(link_template) +
	    n * RESET_TOKEN_LEN + sizeof(tail));
	if (out == NULL)
		return NULL;
	o = stpcpy(out, head);
	for (p = link_template; *p != '\0';) {
		if (strncmp(p, CONFIG_RESET_TOKEN, tlen) == 0) {
			o = stpcpy(o, token);
			p += tlen;
		} else
			*o++ = *p++;
	}
	stpcpy(o, tail);
	return out;
}
