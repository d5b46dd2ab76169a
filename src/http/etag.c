/*
 * etag.c: lists of entity tags, as If-Match and If-None-Match carry them.
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E /
 * obs-text (RFC 9110 8.8.3); list elements are separated by commas with
 * optional white space.
 */
#include <string.h>

#include "http/etag.h"

static const char *skip_ows(const char *s);
static bool compare(const char *header, const char *etag, bool strong);

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool
etag_is_any(const char *header)
{
	const char *s;

	if (header == NULL)
		return false;
	s = skip_ows(header);
	if (*s != '*')
		return false;
	return *skip_ows(s + 1) == '\0';
}

int
etag_next(const char **p, const char **opaque, size_t *len, bool *weak)
{
	const char *s = *p, *start;

	/* Empty elements and the separators before a tag. */
	for (;;) {
		s = skip_ows(s);
		if (*s != ',')
			break;
		s++;
	}
	if (*s == '\0') {
		*p = s;
		return 0;
	}
	*weak = false;
	if (s[0] == 'W' && s[1] == '/') {
		*weak = true;
		s += 2;
	}
	if (*s != '"')
		return -1;
	start = ++s;
	/* etagc: visible ASCII but the quote, or obs-text (bytes >= 0x80). */
	while (*s != '"') {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\0' || ch < 0x21 || ch == 0x7f)
			return -1;
		s++;
	}
	*opaque = start;
	*len = (size_t)(s - start);
	s = skip_ows(s + 1);
	if (*s != ',' && *s != '\0')
		return -1;
	*p = s;
	return 1;
}

/* etag is a whole tag: an optional W/, then the quoted opaque part. */
static bool
compare(const char *header, const char *etag, bool strong)
{
	const char *p = header, *want, *opaque;
	size_t want_len, len;
	bool want_weak = false, weak, found = false;
	int rc;

	if (header == NULL || etag == NULL)
		return false;
	if (etag[0] == 'W' && etag[1] == '/') {
		want_weak = true;
		etag += 2;
	}
	want_len = strlen(etag);
	if (want_len < 2 || etag[0] != '"' || etag[want_len - 1] != '"')
		return false;
	want = etag + 1;
	want_len -= 2;
	if (strong && want_weak)
		return false;
	/* The whole list is read: a malformed one matches nothing. */
	while ((rc = etag_next(&p, &opaque, &len, &weak)) == 1)
		if (!(strong && weak) && len == want_len &&
		    memcmp(opaque, want, len) == 0)
			found = true;
	return rc == 0 && found;
}

bool
etag_none_match(const char *header, const char *etag)
{
	if (etag_is_any(header))
		return true;
	return compare(header, etag, false);
}

bool
etag_match(const char *header, const char *etag)
{
	return compare(header, etag, true);
}
