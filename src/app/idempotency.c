/*
 * idempotency.c: what the programs check of an Idempotency-Key before the
 * database sees it (docs/API.md "Idempotency keys").
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/app.h"
#include "app/idempotency.h"

bool
idempotency_key_valid(const char *key)
{
	size_t len = strlen(key);

	/* nginx hands an over-1-KiB key on as "oversized\tkey": a tab. */
	if (len == 0 || len > IDEMPOTENCY_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
			return false;
	return true;
}

int
idempotency_digest(const char *method, const char *path, const char *body,
    size_t body_len, char out[IDEMPOTENCY_DIGEST_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
	int ok;

	/* Neither a method nor a path holds a line feed: no two requests
	 * give the same input. */
	ok = md_ctx != NULL &&
	    EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md_ctx, method, strlen(method)) == 1 &&
	    EVP_DigestUpdate(md_ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(md_ctx, path, strlen(path)) == 1 &&
	    EVP_DigestUpdate(md_ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(md_ctx, body, body_len) == 1 &&
	    EVP_DigestFinal_ex(md_ctx, md, &md_len) == 1 &&
	    md_len * 2 == IDEMPOTENCY_DIGEST_HEX;
	EVP_MD_CTX_free(md_ctx);
	if (!ok)
		return -1;
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
idempotency_prepare(struct ctx *c, const char *path,
    char digest[IDEMPOTENCY_DIGEST_HEX + 1])
{
	const char *key = c->req->idempotency_key;

	/*
	 * nginx passes an empty header on as none (fastcgi.conf's
	 * if_not_empty); Apache's empty one is taken alike, so both agree.
	 */
	if (key == NULL || key[0] == '\0')
		return 0;
	if (!idempotency_key_valid(key)) {
		response_error(c->res, 422, "Idempotency-Key must be 1 to 255 "
		    "printable ASCII characters");
		return -1;
	}
	if (idempotency_digest(c->req->method, path, c->req->body,
	    c->req->body_len, digest) != 0) {
		ctx_internal(c, "idempotency digest", "SHA-256 failed");
		return -1;
	}
	return 1;
}
