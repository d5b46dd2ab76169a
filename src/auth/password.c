/*
 * password.c: password hashes on libscrypt, and a check that costs the same
 * whether or not the account exists.
 */
#include <stdint.h>
#include <string.h>

#include <libscrypt.h>

#include "auth/password.h"
#include "config/config.h"

/*
 * A hash of a password no one knows, at the default parameters; checking
 * against it costs what checking a real account does. A unit test keeps its
 * parameters equal to PASSWORD_SCRYPT_*.
 */
const char password_dummy_hash[] =
    "$s1$0e0805$zqwgj3Dubly6cduaZE7frQ==$V+a3c5FSmwg3KtyqO4IPFr9GppJ9f9Up"
    "doI6N9DNNv333JecSNqXGEKtaiIXbILOzeFPHeae+tX8BzbOncHLgQ==";

/* N for new hashes (password_cost_set), and the fixed hash at that N when
 * it is not the default one (made at the first need). */
static unsigned long cost_n = PASSWORD_SCRYPT_N;
static char cost_dummy[PASSWORD_HASH_BYTES];

int
password_cost_set(long log2_n)
{
	if (log2_n < CONFIG_SCRYPT_LOG2_N_MIN ||
	    log2_n > CONFIG_SCRYPT_LOG2_N_MAX)
		return -1;
	if ((1UL << log2_n) != cost_n) {
		cost_n = 1UL << log2_n;
		cost_dummy[0] = '\0';
	}
	return 0;
}

/* The fixed hash at the current N: password_dummy_hash at the default. */
static const char *
dummy_hash(void)
{
	if (cost_n == PASSWORD_SCRYPT_N)
		return password_dummy_hash;
	if (cost_dummy[0] == '\0' && libscrypt_hash(cost_dummy,
	    "a password no one knows", (uint32_t)cost_n, PASSWORD_SCRYPT_R,
	    PASSWORD_SCRYPT_P) <= 0)
		cost_dummy[0] = '\0';
	/* Should the hash fail (no memory), the default one still checks. */
	return cost_dummy[0] != '\0' ? cost_dummy : password_dummy_hash;
}

int
password_hash(const char *password, char out[PASSWORD_HASH_BYTES])
{
	return libscrypt_hash(out, password, (uint32_t)cost_n,
	    PASSWORD_SCRYPT_R, PASSWORD_SCRYPT_P) > 0 ? 0 : -1;
}

int
password_verify(const char *stored, const char *password)
{
	char copy[PASSWORD_HASH_BYTES];
	const char *mcf = stored != NULL ? stored : dummy_hash();
	size_t len = strlen(mcf);
	int rc;

	if (len >= sizeof(copy) || strncmp(mcf, SCRYPT_MCF_ID "$", 4) != 0) {
		/* Malformed: still spend the same work before saying so. */
		mcf = dummy_hash();
		memcpy(copy, mcf, strlen(mcf) + 1);
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
