/*
 * jwks_internal.h: what the files of src/jwks/ share, included by them
 * alone: the algorithm table, a parsed key set, the state of a key source,
 * and the functions one file calls in another. Types start with jwks_ (the
 * module's); functions and tables with the name of the file that defines
 * them: keyset_ (keyset.c), jwk_ (jwk.c), verify_ (verify.c), fetch_
 * (fetch.c), cache_ (cache.c), folder_ (folder.c), and jwks_ (jwks.c).
 */
#ifndef TASKAPI_JWKS_INTERNAL_H
#define TASKAPI_JWKS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "jwks/jwks.h"
#include "jwks/jwks_set.h"

/* The reason a fetch failed: libcurl's message (at most CURL_ERROR_SIZE,
 * 256 bytes; fetch.c checks it) and a few words around it. */
#define JWKS_FETCH_WHY_MAX (256 + 64)

enum jwks_kty { JWKS_KTY_OKP, JWKS_KTY_EC, JWKS_KTY_RSA };

/* What a JWS algorithm needs of its key and of OpenSSL. */
struct jwks_alg_info {
	const char *name;
	enum jwks_kty kty;
	const char *crv;	/* EC: the JWK curve */
	const char *group;	/* EC: OpenSSL's name of it */
	size_t coord;		/* EC: bytes of a coordinate, and of r and s */
	const char *digest;	/* NULL for EdDSA, which hashes by itself */
	int pss;
};

/* Indexed by enum jwks_alg. */
extern const struct jwks_alg_info keyset_algs[JWKS_ALG_COUNT];

struct jwks_key {
	char *kid;
	enum jwks_alg alg;
	EVP_PKEY *pkey;
};

struct jwks_set {
	struct jwks_key keys[JWKS_KEYS_MAX];
	size_t n;
};

/* A file as last read: a change of any of these means read it again. */
struct jwks_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int valid;
};

struct jwks {
	char *url;
	char *file;
	char *cache_path;	/* NULL: no usable cache file, per-process rules */
	char *lock_path;
	unsigned algorithms;
	long cache_seconds;
	long retry_seconds;
	struct jwks_set *set;	/* NULL until a set is known */
	struct json_object *doc;	/* the set as fetched, for the cache file */
	time_t fetched_at;	/* when the set was fetched (0: never) */
	time_t checked_at;	/* the last fetch attempt, by any process */
	struct jwks_file_id seen;	/* the cache file or JWT_JWKS_FILE as
					 * last read */
	int curl_ready;
	int warned;		/* a bad cache file or JWT_JWKS_FILE: logged once */
};

/* What a set holds for a kid and an algorithm. */
enum jwks_lookup { JWKS_KEY_NONE, JWKS_KEY_OTHER_ALG, JWKS_KEY_FOUND };

/* keyset.c: the set and the checks of each key. */
struct json_object *keyset_parse_json(const char *text, size_t len);
int keyset_from_json(struct json_object *doc, unsigned allowed,
    struct jwks_set **out, char *note, size_t notelen);
enum jwks_lookup keyset_lookup(const struct jwks_set *set, const char *kid,
    int alg);
void keyset_note(char *note, size_t notelen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* jwk.c: one key's public numbers as a checked OpenSSL key. */
EVP_PKEY *jwk_public_key(struct json_object *o, const struct jwks_alg_info *a,
    const char *crv, char *note, size_t notelen);
/* An EdDSA point (a key, or a signature's R) of large order, canonical. */
int jwk_okp_point_ok(int type, const unsigned char *enc, size_t len);

/* verify.c: the signature check of one key. */
int verify_signature(const struct jwks_key *k, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen);

/* fetch.c: libcurl, and the capped GET of the set. */
int fetch_global_init(void);
void fetch_global_cleanup(void);
int fetch_url_allowed(const char *url, int allow_http, char *why,
    size_t whylen);
char *fetch_url(const char *url, long timeout_ms, size_t *len, char *why,
    size_t whylen);

/* folder.c: the default cache file of a URL (malloc()), or NULL, said
 * once in the log. */
char *folder_cache_path(const char *url);

/* cache.c: the files keys are read from, their trust checks, the lock. */
void cache_open(struct jwks *j, const char *cache_file);
int cache_sync_jwks_file(struct jwks *j, time_t now, char *err,
    size_t errlen);
void cache_sync(struct jwks *j);
void cache_write(struct jwks *j);
int cache_lock(struct jwks *j, long budget_ms);

/* jwks.c: the source's state and its log. */
void jwks_replace_set(struct jwks *j, struct jwks_set *set,
    struct json_object *doc, time_t fetched_at);
long jwks_elapsed_ms(const struct timespec *since);
void jwks_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
