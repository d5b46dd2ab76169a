/*
 * user.h: the account rules, apart from HTTP and the database: how an
 * email is normalised and checked, and the password's length.
 */
#ifndef TASKAPI_USER_H
#define TASKAPI_USER_H

#include <stddef.h>

/* docs/API.md "Register": email at most 254 characters; password 8 to 128. */
#define USER_EMAIL_MAX 254
#define USER_PASSWORD_MIN 8
#define USER_PASSWORD_MAX 128
/* UTF-8 needs at most 4 bytes a code point. */
#define USER_EMAIL_BYTES (USER_EMAIL_MAX * 4 + 1)

/*
 * Normalises an email as docs/API.md "Register" says (trim ASCII white
 * space, lower-case ASCII) into out, and checks it: one "@" with non-empty
 * parts, no spaces or
 * control characters, at most 254 characters. Returns 0, or -1.
 */
int user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES]);

#endif
