/*
 * jwks.h: an external issuer's public keys (a JSON Web Key Set, RFC 7517)
 * and the signature check of its tokens (JWS, RFC 7515, 7518 and 8037), on
 * OpenSSL's EVP. The set comes from JWT_JWKS_URL, fetched with libcurl and
 * cached in memory per process and in one cache file that every process of
 * the host shares, or from a local JWT_JWKS_FILE. The parser alone, for
 * the tests, is in jwks_set.h.
 */
#ifndef TASKAPI_JWKS_H
#define TASKAPI_JWKS_H

#include <stddef.h>
#include <time.h>

/* A fetch of the set gives up after this long: it runs inside a request. */
#define JWKS_FETCH_TIMEOUT_MS 5000
/* A real set is a few kB (Better Auth's, with 30 days of rotated keys, ~10). */
#define JWKS_FETCH_MAX (256 * 1024)
/* Keys of a set past this many are ignored. */
#define JWKS_KEYS_MAX 64
/* A kid longer than this is refused (Better Auth's are 32 characters). */
#define JWKS_KID_MAX 256
/* The refresh rules: the set is fetched again when this old... */
#define JWKS_DEFAULT_CACHE_SECONDS 600
/* ...or for an unknown kid, but never twice within this many seconds. */
#define JWKS_DEFAULT_RETRY_SECONDS 30
/* RSA keys below NIST's 112-bit level are refused; above 8192 bits a
 * verification costs too much to let an issuer's set impose it. */
#define JWKS_RSA_BITS_MIN 2048
#define JWKS_RSA_BITS_MAX 8192

/* The JWS algorithms verified (RFC 7518 3.1, RFC 8037 3.1). */
enum jwks_alg {
	JWKS_EDDSA,
	JWKS_ES256,
	JWKS_ES384,
	JWKS_ES512,
	JWKS_RS256,
	JWKS_RS384,
	JWKS_RS512,
	JWKS_PS256,
	JWKS_PS384,
	JWKS_PS512,
	JWKS_ALG_COUNT
};

/* The algorithm of a JWS "alg" name (exact case), or -1. */
int jwks_alg_from_name(const char *name);
const char *jwks_alg_name(int alg);
/*
 * A comma-separated list of algorithm names (JWT_JWKS_ALGORITHMS) as a bit
 * mask (1u << alg). Returns 0, or -1 naming the first unknown one in err.
 */
int jwks_parse_algorithms(const char *list, unsigned *mask, char *err,
    size_t errlen);

struct jwks_settings {
	const char *url;	/* JWT_JWKS_URL, or NULL */
	const char *file;	/* JWT_JWKS_FILE, or NULL */
	const char *cache_file;	/* JWT_JWKS_CACHE_FILE; NULL: the default */
	int allow_http;		/* JWT_JWKS_ALLOW_HTTP: http:// to any host */
	unsigned algorithms;	/* allowed; 0: whatever the keys name */
	long cache_seconds;
	long retry_seconds;
};

struct jwks;

/*
 * Opens a key source. A URL is fetched when a token first needs it; a file
 * is read now, and a file that cannot be used is an error, as is a URL
 * that is neither https:// nor, unless allow_http, http:// to a loopback
 * host. Returns NULL with a message in err.
 */
struct jwks *jwks_open(const struct jwks_settings *s, char *err,
    size_t errlen);
void jwks_close(struct jwks *j);

enum jwks_verdict {
	JWKS_OK = 0,
	JWKS_NO_KEY,		/* no key with the kid, even after a refresh */
	JWKS_WRONG_KEY,		/* the kid's key is for another algorithm, or
				 * the algorithm is not allowed */
	JWKS_BAD_SIGNATURE,
	JWKS_UNAVAILABLE,	/* no set has ever been had from JWT_JWKS_URL,
				 * and fetching it failed: the token cannot be
				 * judged yet (503, not 401) */
};

/*
 * Checks sig over input (the token's "header.payload") with the key named
 * kid, for algorithm alg, at time now; refreshes the set first when the
 * refresh rules call for it. Costs one signature check on the hot path.
 */
enum jwks_verdict jwks_verify(struct jwks *j, const char *alg,
    const char *kid, const unsigned char *input, size_t input_len,
    const unsigned char *sig, size_t sig_len, time_t now);

/*
 * After JWKS_UNAVAILABLE: seconds until the set may be fetched again (at
 * least 1), for a Retry-After.
 */
long jwks_retry_after(const struct jwks *j, time_t now);

#endif
