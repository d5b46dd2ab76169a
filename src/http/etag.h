/*
 * etag.h: the If-Match and If-None-Match request headers (RFC 9110 13.1),
 * read as lists of entity tags; docs/API.md "ETags and preconditions".
 * Nothing here knows what a tag means: the routes make and compare their
 * own (a task's version, the list's digest).
 */
#ifndef TASKAPI_ETAG_H
#define TASKAPI_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/* Longest entity tag the routes make, quotes and W/ included. */
#define ETAG_MAX 96

/*
 * Whether header is "*" (white space around it allowed): If-Match: *
 * matches any existing task, If-None-Match: * any answer.
 */
bool etag_is_any(const char *header);

/*
 * The next entity tag of a list header. *p starts at the header and moves
 * past each tag and its comma; empty list elements (", ,") are skipped, as
 * RFC 9110 5.6.1 asks. Returns 1 with the tag's opaque part (between the
 * quotes) in *opaque and *len, and *weak set for a W/ tag, 0 at the end of the
 * list, or -1 when what follows is not an entity tag (then the list is
 * malformed: If-Match matches nothing, If-None-Match nothing either).
 */
int etag_next(const char **p, const char **opaque, size_t *len, bool *weak);

/*
 * If-None-Match's weak comparison (RFC 9110 13.1.2): whether header, when
 * present, names etag (a whole tag with its quotes, such as "\"7\"") or
 * is "*". NULL or a malformed header never matches.
 */
bool etag_none_match(const char *header, const char *etag);

/*
 * If-Match's strong comparison (RFC 9110 13.1.1): whether header names
 * etag, a strong tag with its quotes; a weak tag in the header never
 * matches. "*" is the caller's (it needs the resource to exist).
 */
bool etag_match(const char *header, const char *etag);

#endif
