/*
 * precondition.c: If-Match's tags into the versions a write may find
 * (docs/API.md "ETags and preconditions").
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app/precondition.h"
#include "http/etag.h"

static bool precondition_ours(const char *opaque, size_t len);

/*
 * Whether a tag's opaque part is one a task's ETag can be: a version in
 * decimal, as PostgreSQL prints a bigint. Strong comparison is exact, so
 * "07" is not "7", and a number too long for a bigint is no version.
 */
static bool
precondition_ours(const char *opaque, size_t len)
{
	if (len == 0 || len > PRECONDITION_VERSION_DIGITS ||
	    (opaque[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++)
		if (opaque[i] < '0' || opaque[i] > '9')
			return false;
	return true;
}

int
precondition_versions(const char *if_match, char **out)
{
	const char *p = if_match, *opaque;
	size_t len, used = 1;
	bool weak;
	char *list;
	int rc;

	*out = NULL;
	if (if_match == NULL || if_match[0] == '\0' || etag_is_any(if_match))
		return 0;
	/* Each tag of ours shrinks: its quotes become at most one comma. */
	if ((list = malloc(strlen(if_match) + 3)) == NULL)
		return -1;
	list[0] = '{';
	while ((rc = etag_next(&p, &opaque, &len, &weak)) == 1)
		if (!weak && precondition_ours(opaque, len)) {
			if (used > 1)
				list[used++] = ',';
			memcpy(list + used, opaque, len);
			used += len;
		}
	/*
	 * A malformed list stops the loop where it goes wrong; RFC 9110 gives
	 * it no meaning, so it matches nothing at all, not its first tags.
	 */
	if (rc < 0)
		used = 1;
	list[used++] = '}';
	list[used] = '\0';
	*out = list;
	return 0;
}
