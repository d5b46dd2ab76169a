/*
 * sync_token.h: the changes feed's token (docs/API.md "Changes feed"): an
 * opaque base64url text of a small versioned record, apart from HTTP and
 * the database. It holds the position (the change's transaction and the
 * task's id of the last item delivered), when it was issued, a digest of
 * its subject and the identity of the database cluster that made it.
 */
#ifndef TASKAPI_SYNC_TOKEN_H
#define TASKAPI_SYNC_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The record's version: a token of another version is malformed. */
#define SYNC_TOKEN_VERSION 1
/* How far ahead of our clock another host's token may be issued. */
#define SYNC_TOKEN_SKEW_S 60
/* The record's bytes: version, xid, id, issued, subject, cluster. */
#define SYNC_TOKEN_RECORD (1 + 8 + 16 + 8 + 8 + 8)
/* Its base64url text, unpadded, and the NUL. */
#define SYNC_TOKEN_TEXT ((SYNC_TOKEN_RECORD * 4 + 2) / 3 + 1)

struct sync_token {
	uint64_t xid;		/* change_xid of the last item delivered */
	unsigned char id[16];	/* and its task id: the position */
	int64_t issued;		/* when the read that made it ran */
	uint64_t subject;	/* sync_token_subject() of its subject */
	uint64_t cluster;	/* the cluster's system identifier */
};

enum sync_token_check {
	SYNC_TOKEN_OK = 0,
	SYNC_TOKEN_MALFORMED,	/* 422 */
	SYNC_TOKEN_OTHER_SUBJECT,	/* 422 */
	SYNC_TOKEN_EXPIRED,	/* 410 */
};

/* The first 8 bytes of SHA-256 of the subject, as a number. */
uint64_t sync_token_subject(const char *subject);

/* tok as its text, into out (SYNC_TOKEN_TEXT bytes). */
void sync_token_encode(const struct sync_token *tok,
    char out[SYNC_TOKEN_TEXT]);

/* Reads text into *tok: 0, or -1 when it is not a token of this version. */
int sync_token_decode(const char *text, struct sync_token *tok);

/*
 * Whether a decoded token may be used by subject at now: another subject's
 * is SYNC_TOKEN_OTHER_SUBJECT, one issued more than retention seconds
 * before now is SYNC_TOKEN_EXPIRED, and so is one issued more than
 * SYNC_TOKEN_SKEW_S after now.
 */
enum sync_token_check sync_token_usable(const struct sync_token *tok,
    const char *subject, time_t now, long retention);

/*
 * The id as lower-case 8-4-4-4-12 text (37 bytes with the NUL), and back:
 * 0, or -1 when text is not a UUID.
 */
void sync_token_id_text(const unsigned char id[16], char out[37]);
int sync_token_id_read(const char *text, unsigned char id[16]);

#endif
