/*
 * reset.h: the tokens of password reset (docs/API.md "Password reset")
 * and the mail that carries one. A token is 32 random bytes in base64url
 * (43 characters, URL-safe as it is); the database keeps only its SHA-256.
 */
#ifndef TASKAPI_RESET_H
#define TASKAPI_RESET_H

#include <stddef.h>

/* 256 bits from the system's generator: no guessing, no collision. */
#define RESET_TOKEN_BYTES 32
#define RESET_TOKEN_LEN 43
/* "\x" and the SHA-256 in hex: a bytea parameter as PostgreSQL reads it. */
#define RESET_HASH_TEXT_BYTES (2 + 64 + 1)
/* docs/API.md "Password reset": the mail's subject. */
#define RESET_MAIL_SUBJECT "Reset your password"

/*
 * A fresh token (NUL-terminated) and its hash as a bytea parameter.
 * Returns 0, or -1 when the system gave no random bytes.
 */
int reset_token_new(char token[RESET_TOKEN_LEN + 1],
    char hash[RESET_HASH_TEXT_BYTES]);

/*
 * The hash of a token a client sent, as reset_token_new gives it. Returns
 * 0, or -1 when it cannot be one of ours (not 43 base64url characters):
 * no token of ours has that hash, so the caller answers as for an unknown
 * one without asking the database.
 */
int reset_token_hash(const char *token, size_t len,
    char hash[RESET_HASH_TEXT_BYTES]);

/*
 * The mail's text for token: link_template (PASSWORD_RESET_URL) with each
 * {token} replaced by it, and a few lines around it. Nothing else secret
 * is in it. Returns a string to free(), or NULL (out of memory).
 */
char *reset_mail_body(const char *link_template, const char *token);

#endif
