/*
 * b64url.c: strict base64url without padding (RFC 7515 2), the encoding of
 * every token segment, signature and key parameter we read, and of the
 * refresh tokens we issue.
 */
#include <stdlib.h>

#include "json/b64url.h"

unsigned char *
b64url_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char *out;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (len % 4 == 1)
		return NULL;
	if ((out = malloc(len / 4 * 3 + 3)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		unsigned v;

		if (c >= 'A' && c <= 'Z')
			v = (unsigned)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			v = (unsigned)(c - 'a') + 26;
		else if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0') + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			goto bad;
		acc = (acc << 6 | v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* The spare bits of the last character must be zero: one encoding
	 * per byte string, so a signature cannot be re-spelled. */
	if ((acc & ((1u << bits) - 1)) != 0)
		goto bad;
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

void
b64url_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = digits[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = digits[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}
