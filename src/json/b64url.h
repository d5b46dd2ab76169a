/*
 * b64url.h: base64url decoding for token segments, signatures and the
 * numbers of a JSON Web Key.
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

#endif
