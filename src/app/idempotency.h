/*
 * idempotency.h: the Idempotency-Key of POST /api/tasks, PATCH
 * /api/tasks/{id}/complete and DELETE /api/tasks/{id}, as
 * docs/API.md "Idempotency keys" says: the key's check and the request's
 * digest. The database keeps the answers (sql/007_idempotency.sql).
 */
#ifndef TASKAPI_IDEMPOTENCY_H
#define TASKAPI_IDEMPOTENCY_H

#include <stdbool.h>
#include <stddef.h>

struct ctx;

#define IDEMPOTENCY_KEY_MAX 255
/* SHA-256 in lower-case hex. */
#define IDEMPOTENCY_DIGEST_HEX 64

/* Whether key is 1 to 255 bytes, each printable ASCII (0x20 to 0x7E). */
bool idempotency_key_valid(const char *key);

/*
 * The request's digest: SHA-256 of the method, the path (with the id as
 * sent) and the raw body, a line feed between them, in hex. Returns 0, or
 * -1 when OpenSSL failed.
 */
int idempotency_digest(const char *method, const char *path,
    const char *body, size_t body_len, char out[IDEMPOTENCY_DIGEST_HEX + 1]);

/*
 * The request's key, checked, and its digest for path: returns 1 with
 * digest filled when the request has a good key, 0 when it has none, or
 * -1 after answering (422 for a bad key, 500).
 */
int idempotency_prepare(struct ctx *c, const char *path,
    char digest[IDEMPOTENCY_DIGEST_HEX + 1]);

#endif
