/*
 * Unit: If-Match and If-None-Match read as lists of entity tags
 * (docs/API.md "ETags and preconditions"; RFC 9110 13.1).
 */
#include <criterion/criterion.h>

#include "http/etag.h"

Test(etag, if_none_match_compares_weakly_and_takes_a_list)
{
	cr_expect(etag_none_match("\"7\"", "\"7\""));
	cr_expect(etag_none_match("W/\"7\"", "\"7\""));
	cr_expect(etag_none_match("\"1\", \"7\"", "\"7\""));
	cr_expect(etag_none_match(" \"1\" ,, W/\"7\" ", "\"7\""));
	cr_expect(etag_none_match("*", "\"7\""));
	cr_expect(etag_none_match(" * ", "\"7\""));
	cr_expect_not(etag_none_match("\"77\"", "\"7\""));
	cr_expect_not(etag_none_match("\"7", "\"7\""));
	cr_expect_not(etag_none_match("7", "\"7\""));
	cr_expect_not(etag_none_match("", "\"7\""));
	cr_expect_not(etag_none_match(NULL, "\"7\""));
}

Test(etag, if_match_compares_strongly)
{
	cr_expect(etag_match("\"7\"", "\"7\""));
	cr_expect(etag_match("\"3\", \"7\"", "\"7\""));
	cr_expect_not(etag_match("W/\"7\"", "\"7\""));
	cr_expect_not(etag_match("\"7\"", "W/\"7\""));
	cr_expect_not(etag_match("\"8\"", "\"7\""));
	/* "*" is the route's: it needs the resource to exist. */
	cr_expect_not(etag_match("*", "\"7\""));
	cr_expect(etag_is_any("*"));
	cr_expect_not(etag_is_any("*, \"7\""));
}

Test(etag, a_malformed_list_matches_nothing)
{
	/* A match before the list turns malformed does not count. */
	cr_expect_not(etag_match("\"7\", junk", "\"7\""));
	cr_expect_not(etag_none_match("\"7\" \"8\"", "\"7\""));
	cr_expect_not(etag_match("\"7\x01\"", "\"7\x01\""));
	cr_expect_not(etag_match("\"a\"b\"", "\"a\""));
}

Test(etag, next_walks_the_tags_in_order)
{
	const char *p = "W/\"a\", \"b c\"", *opaque;
	size_t len;
	bool weak;

	cr_assert_eq(etag_next(&p, &opaque, &len, &weak), 1);
	cr_expect(weak);
	cr_expect_eq(len, 1);
	cr_expect_eq(opaque[0], 'a');
	/* A space is no etagc: the second tag is malformed. */
	cr_expect_eq(etag_next(&p, &opaque, &len, &weak), -1);
	p = "\"x\"";
	cr_assert_eq(etag_next(&p, &opaque, &len, &weak), 1);
	cr_expect_not(weak);
	cr_expect_eq(etag_next(&p, &opaque, &len, &weak), 0);
}
