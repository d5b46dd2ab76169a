/*
 * b64url.h: base64url decoding for token segments, signatures and the
 * numbers of a JSON Web Key; encoding for the refresh tokens issued here.
 */
#ifndef TASKAPI_B64URL_H
#define TASKAPI_B64URL_H

#include <stddef.h>

/*
 * Strict base64url without padding (RFC 7515 2): any other character, a
 * length of 4n+1 or non-zero spare bits is refused. Returns a NUL-terminated
 * buffer to free() with its length in *outlen, or NULL.
 */
unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen);

/*
 * Encodes len bytes of in as base64url without padding into out, which
 * holds B64URL_ENCODED(len) bytes (the NUL included).
 */
#define B64URL_ENCODED(len) (((len) * 4 + 2) / 3 + 1)
void b64url_encode(const unsigned char *in, size_t len, char *out);

#endif
