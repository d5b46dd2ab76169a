/*
 * user.h: the account rules, apart from HTTP and the database: how an
 * email is normalised, checked and compared, and the password's length.
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
 * The comparison key may be longer than the address: NFKC and full case
 * folding expand some characters (U+FB03 is "ffi"). A key that does not
 * fit is refused with the address, never cut.
 */
#define USER_EMAIL_KEY_BYTES 4096

/*
 * Normalises an email as docs/API.md "Email addresses" says into out (the
 * form stored and shown): trimmed of ASCII white space, the local part in
 * NFC with ASCII letters lower-cased, the domain as IDNA2008 gives it back
 * (lower-case, Unicode labels), and checks it. Returns 0, or -1.
 */
int user_email_normalize(const char *in, size_t len, char out[USER_EMAIL_BYTES]);

/*
 * The comparison key of an address user_email_normalize accepted: the
 * local part in NFKC with full case folding, "@", the domain. Two
 * addresses are the same account when their keys are equal. Returns 0, or
 * -1 (an address user_email_normalize accepted never fails).
 */
int user_email_key(const char *email, char key[USER_EMAIL_KEY_BYTES]);

#endif
