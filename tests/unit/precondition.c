/*
 * Unit: If-Match into the versions a task write may find, as
 * docs/API.md "ETags and preconditions" says, and the Idempotency-Key's
 * check and digest, as docs/API.md "Idempotency keys" says.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "app/idempotency.h"
#include "app/precondition.h"

/* The array literal If-Match becomes; "NULL" for any existing task. */
static void
versions_are(const char *header, const char *want)
{
	char *got = (char *)"unset";

	cr_assert_eq(precondition_versions(header, &got), 0);
	cr_expect_str_eq(got != NULL ? got : "NULL", want, "If-Match: %s",
	    header != NULL ? header : "(none)");
	free(got);
}

Test(precondition, none_or_any_is_null)
{
	versions_are(NULL, "NULL");
	versions_are("*", "NULL");
	versions_are(" * ", "NULL");
	/* nginx cannot pass an empty header on: Apache's is taken alike. */
	versions_are("", "NULL");
}

Test(precondition, strong_tags_of_ours_become_versions)
{
	versions_are("\"3\"", "{3}");
	versions_are("\"3\", \"17\"", "{3,17}");
	versions_are(" \"1\" ,, \"2\" ", "{1,2}");
	versions_are("\"123456789012345678\"", "{123456789012345678}");
}

Test(precondition, weak_and_foreign_tags_match_nothing)
{
	versions_are("W/\"3\"", "{}");
	versions_are("W/\"3\", \"4\"", "{4}");
	versions_are("\"abc\"", "{}");
	versions_are("\"07\"", "{}");
	versions_are("\"-1\"", "{}");
	versions_are("\"\"", "{}");
	versions_are("\"1234567890123456789\"", "{}");
	versions_are("\"oversized\"", "{}");
}

Test(precondition, a_malformed_list_matches_nothing)
{
	versions_are("3", "{}");
	versions_are("\"3\", junk", "{}");
	versions_are("\"3", "{}");
	versions_are("*, \"3\"", "{}");
}

Test(idempotency, key_is_1_to_255_printable_ascii)
{
	char key[300];

	cr_expect(idempotency_key_valid("a"));
	cr_expect(idempotency_key_valid(" ~!\"{}"));
	memset(key, 'k', 255);
	key[255] = '\0';
	cr_expect(idempotency_key_valid(key));
	key[255] = 'k';
	key[256] = '\0';
	cr_expect_not(idempotency_key_valid(key));
	cr_expect_not(idempotency_key_valid(""));
	cr_expect_not(idempotency_key_valid("oversized\tkey"));
	cr_expect_not(idempotency_key_valid("a\x7f"));
	cr_expect_not(idempotency_key_valid("caf\xc3\xa9"));
}

Test(idempotency, digest_is_sha256_of_method_path_and_body)
{
	char a[IDEMPOTENCY_DIGEST_HEX + 1], b[IDEMPOTENCY_DIGEST_HEX + 1];

	/* printf 'POST\n/api/tasks\n{"title":"x"}' | sha256sum */
	cr_assert_eq(idempotency_digest("POST", "/api/tasks", "{\"title\":\"x\"}",
	    13, a), 0);
	cr_expect_str_eq(a, "2ba5876a33ee12914d49e031ecf6044f"
	    "cd2c44e0b66354fa5e88750cd8889f40");
	cr_assert_eq(idempotency_digest("POST", "/api/tasks", "{\"title\":\"y\"}",
	    13, b), 0);
	cr_expect_str_neq(a, b);
	cr_assert_eq(idempotency_digest("DELETE", "/api/tasks/1", "", 0, a), 0);
	cr_assert_eq(idempotency_digest("DELETE", "/api/tasks/2", "", 0, b), 0);
	cr_expect_str_neq(a, b);
}
