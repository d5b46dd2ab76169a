/*
 * password.c: password hashes on libscrypt, and a check that costs the same
 * whether or not the account exists.
 */
#include <string.h>

#include <libscrypt.h>

#include "auth/password.h"

/*
 * A hash of a password no one knows, at the current parameters; checking
 * against it costs what checking a real account does. A unit test keeps its
 * parameters equal to PASSWORD_SCRYPT_*.
 */
const char password_dummy_hash[] =
    "$s1$0e0805$zqwgj3Dubly6cduaZE7frQ==$V+a3c5FSmwg3KtyqO4IPFr9GppJ9f9Up"
    "doI6N9DNNv333JecSNqXGEKtaiIXbILOzeFPHeae+tX8BzbOncHLgQ==";

int
password_hash(const char *password, char out[PASSWORD_HASH_BYTES])
{
	return libscrypt_hash(out, password, PASSWORD_SCRYPT_N,
	    PASSWORD_SCRYPT_R, PASSWORD_SCRYPT_P) > 0 ? 0 : -1;
}

int
password_verify(const char *stored, const char *password)
{
	char copy[PASSWORD_HASH_BYTES];
	const char *mcf = stored != NULL ? stored : password_dummy_hash;
	size_t len = strlen(mcf);
	int rc;

	if (len >= sizeof(copy) || strncmp(mcf, SCRYPT_MCF_ID "$", 4) != 0) {
		/* Malformed: still spend the same work before saying so. */
		memcpy(copy, password_dummy_hash, sizeof(password_dummy_hash));
		(void)libscrypt_check(copy, password);
		return -1;
	}
	/* libscrypt_check splits its argument in place: give it a copy. */
	memcpy(copy, mcf, len + 1);
	rc = libscrypt_check(copy, password);
	if (stored == NULL)
		return 0;
	if (rc < 0)
		return -1;
	return rc > 0;
}
