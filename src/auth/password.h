/*
 * password.h: scrypt password hashes (libscrypt) for the accounts
 * registered here.
 */
#ifndef TASKAPI_PASSWORD_H
#define TASKAPI_PASSWORD_H

/*
 * scrypt parameters: OWASP's N=2^14, r=8, p=5 row, as strong as N=2^17, r=8,
 * p=1 but 16 MiB of memory a hash instead of 128 MiB, so several workers can
 * hash at once on a small host. The MCF string records them, so they can be
 * raised later without invalidating stored hashes.
 */
#define PASSWORD_SCRYPT_N 16384u
#define PASSWORD_SCRYPT_R 8
#define PASSWORD_SCRYPT_P 5
#define PASSWORD_HASH_BYTES 128	/* libscrypt's SCRYPT_MCF_LEN */

/*
 * Sets log2 of N for the hashes made from now on (PASSWORD_SCRYPT_LOG2_N,
 * CONFIG_SCRYPT_LOG2_N_MIN to _MAX; 14 is PASSWORD_SCRYPT_N). The fixed
 * hash of a NULL check then costs the same N: it is made at the first
 * such check, at that N.
 * Returns 0, or -1 for a value out of range (nothing changes).
 */
int password_cost_set(long log2_n);

/* Hashes password into out (MCF). Returns 0, or -1. */
int password_hash(const char *password, char out[PASSWORD_HASH_BYTES]);
/*
 * Checks password against a stored MCF hash. A NULL stored hash (no account,
 * or one without a password) is checked against a fixed hash of the same
 * cost, so the time spent does not tell which case it was.
 * Returns 1 on match, 0 on mismatch, -1 on a malformed hash.
 */
int password_verify(const char *stored, const char *password);
/* The fixed hash used for NULL at the default N; exposed so a test can
 * check its cost. */
extern const char password_dummy_hash[];

#endif
