/*
 * Unit: the changes feed's token (docs/API.md "Changes feed"): its text
 * round-trips, anything else is malformed, and it is usable only by its
 * subject within the retention.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "domain/sync_token.h"

static struct sync_token
sample(const char *subject, int64_t issued)
{
	struct sync_token t = {
		.xid = 0x0102030405060708ULL,
		.issued = issued,
		.subject = sync_token_subject(subject),
		.cluster = 7434221119911ULL,
	};

	for (int i = 0; i < 16; i++)
		t.id[i] = (unsigned char)(0xf0 + i);
	return t;
}

Test(sync_token, round_trips_as_unpadded_base64url)
{
	struct sync_token t = sample("ada", 1800000000), back;
	char text[SYNC_TOKEN_TEXT];

	sync_token_encode(&t, text);
	cr_assert_eq(strlen(text), SYNC_TOKEN_TEXT - 1);
	cr_assert_eq(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"), strlen(text), "%s", text);
	cr_assert_eq(sync_token_decode(text, &back), 0);
	cr_assert_eq(back.xid, t.xid);
	cr_assert_eq(memcmp(back.id, t.id, 16), 0);
	cr_assert_eq(back.issued, t.issued);
	cr_assert_eq(back.subject, t.subject);
	cr_assert_eq(back.cluster, t.cluster);
}

Test(sync_token, refuses_anything_but_a_token_of_its_version)
{
	struct sync_token t = sample("ada", 1800000000), back;
	char text[SYNC_TOKEN_TEXT], bad[SYNC_TOKEN_TEXT + 4];

	sync_token_encode(&t, text);
	cr_expect_neq(sync_token_decode("", &back), 0);
	cr_expect_neq(sync_token_decode("AQ", &back), 0);
	/* One character more or less. */
	snprintf(bad, sizeof(bad), "%sA", text);
	cr_expect_neq(sync_token_decode(bad, &back), 0);
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(text) - 1, text);
	cr_expect_neq(sync_token_decode(bad, &back), 0);
	/* Padding, and a character out of the alphabet. */
	snprintf(bad, sizeof(bad), "%s", text);
	bad[10] = '=';
	cr_expect_neq(sync_token_decode(bad, &back), 0);
	bad[10] = '+';
	cr_expect_neq(sync_token_decode(bad, &back), 0);
	/* Version 2: the first byte 0x02, "Ag..." instead of "AQ...". */
	snprintf(bad, sizeof(bad), "%s", text);
	bad[0] = 'A';
	bad[1] = 'g';
	cr_expect_neq(sync_token_decode(bad, &back), 0);
	cr_expect_eq(sync_token_decode(text, &back), 0);
}

Test(sync_token, is_usable_by_its_subject_within_the_retention)
{
	struct sync_token t = sample("ada", 1800000000);

	cr_expect_eq(sync_token_usable(&t, "ada", 1800000000, 60), SYNC_TOKEN_OK);
	cr_expect_eq(sync_token_usable(&t, "ada", 1800000060, 60), SYNC_TOKEN_OK);
	cr_expect_eq(sync_token_usable(&t, "ada", 1800000061, 60),
	    SYNC_TOKEN_EXPIRED);
	cr_expect_eq(sync_token_usable(&t, "bob", 1800000000, 60),
	    SYNC_TOKEN_OTHER_SUBJECT);
	/* Another host's clock a little ahead is fine; far ahead is not. */
	cr_expect_eq(sync_token_usable(&t, "ada", 1800000000 - SYNC_TOKEN_SKEW_S,
	    60), SYNC_TOKEN_OK);
	cr_expect_eq(sync_token_usable(&t, "ada",
	    1800000000 - SYNC_TOKEN_SKEW_S - 1, 60), SYNC_TOKEN_EXPIRED);
	/* A forged time at either end does not overflow into "usable". */
	t.issued = INT64_MIN;
	cr_expect_eq(sync_token_usable(&t, "ada", 1800000000, 60),
	    SYNC_TOKEN_EXPIRED);
	t.issued = INT64_MAX;
	cr_expect_eq(sync_token_usable(&t, "ada", 1800000000, 60),
	    SYNC_TOKEN_EXPIRED);
}

Test(sync_token, ids_read_back_as_lower_case_text)
{
	unsigned char id[16], back[16];
	char text[37];

	cr_assert_eq(sync_token_id_read("0123ABCD-ef45-6789-aBcD-0123456789ef",
	    id), 0);
	sync_token_id_text(id, text);
	cr_assert_str_eq(text, "0123abcd-ef45-6789-abcd-0123456789ef");
	cr_assert_eq(sync_token_id_read(text, back), 0);
	cr_assert_eq(memcmp(id, back, 16), 0);
	cr_expect_neq(sync_token_id_read("0123abcd-ef45-6789-abcd-0123456789e", id), 0);
	cr_expect_neq(sync_token_id_read("0123abcd0ef45-6789-abcd-0123456789ef", id), 0);
	cr_expect_neq(sync_token_id_read("0123abcd-ef45-6789-abcd-0123456789eg", id), 0);
}
