/*
 * Unit: the whole-number parser, the hex digit and the UTF-8 cut of
 * src/text.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "text/text.h"

/* What text_parse_long answers for s within min..max, and the value. */
static enum text_number
parse(const char *s, long min, long max, long *v)
{
	*v = -12345;
	return text_parse_long(s, min, max, v);
}

Test(text_number, digits_only)
{
	long v;

	cr_assert_eq(parse("0", 0, 10, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse("7", 0, 10, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, 7);
	cr_assert_eq(parse("1234567890", 0, LONG_MAX, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, 1234567890L);
	/* Leading zeros are the same number. */
	cr_assert_eq(parse("0010", 0, 10, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, 10);
	cr_assert_eq(parse("00000000000000000000000000000042", 0, 100, &v),
	    TEXT_NUMBER_OK);
	cr_assert_eq(v, 42);
}

Test(text_number, anything_else_is_malformed)
{
	/* Among them an Arabic-Indic one and a one half, in UTF-8. */
	const char *bad[] = { "", " ", "+1", "-1", "-0", " 1", "1 ", "\t1",
	    "1\n", "1.0", "1e3", "0x10", "1,000", "\xd9\xa1", "\xc2\xbd",
	    "10s", "s10", "99999999999999999999x", NULL };
	long v;

	for (int i = 0; bad[i] != NULL; i++) {
		cr_assert_eq(parse(bad[i], LONG_MIN, LONG_MAX, &v),
		    TEXT_NUMBER_MALFORMED, "'%s'", bad[i]);
		/* A failure leaves the value alone. */
		cr_assert_eq(v, -12345, "'%s'", bad[i]);
	}
}

Test(text_number, bounds_are_inclusive)
{
	long v;

	cr_assert_eq(parse("1", 1, 1000, &v), TEXT_NUMBER_OK);
	cr_assert_eq(parse("1000", 1, 1000, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, 1000);
	cr_assert_eq(parse("0", 1, 1000, &v), TEXT_NUMBER_RANGE);
	cr_assert_eq(parse("1001", 1, 1000, &v), TEXT_NUMBER_RANGE);
	cr_assert_eq(parse("0001001", 1, 1000, &v), TEXT_NUMBER_RANGE);
	cr_assert_eq(v, -12345);
}

Test(text_number, overflow_is_out_of_range)
{
	char s[32];
	long v;

	snprintf(s, sizeof(s), "%ld", LONG_MAX);
	cr_assert_eq(parse(s, 0, LONG_MAX, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, LONG_MAX);
	/* LONG_MAX + 1, and ten times LONG_MAX, wrap nowhere. */
	snprintf(s, sizeof(s), "%lu", (unsigned long)LONG_MAX + 1);
	cr_assert_eq(parse(s, 0, LONG_MAX, &v), TEXT_NUMBER_RANGE, "%s", s);
	snprintf(s, sizeof(s), "%ld0", LONG_MAX);
	cr_assert_eq(parse(s, 0, LONG_MAX, &v), TEXT_NUMBER_RANGE, "%s", s);
	cr_assert_eq(parse("99999999999999999999999999999999", 0, LONG_MAX, &v),
	    TEXT_NUMBER_RANGE);
	cr_assert_eq(v, -12345);
	/* Leading zeros do not count towards the overflow. */
	snprintf(s, sizeof(s), "0000%ld", LONG_MAX);
	cr_assert_eq(parse(s, 0, LONG_MAX, &v), TEXT_NUMBER_OK);
	cr_assert_eq(v, LONG_MAX);
}

Test(text_hex, every_byte)
{
	const char *digits = "0123456789abcdef", *upper = "0123456789ABCDEF";

	for (int ch = -1; ch < 256; ch++) {
		int want = -1;

		for (int d = 0; d < 16; d++)
			if (ch == digits[d] || ch == upper[d])
				want = d;
		cr_assert_eq(text_hex_digit(ch), want, "byte %d", ch);
	}
	/* A plain char above 0x7f may be negative: never a digit. */
	cr_assert_eq(text_hex_digit((char)0xe0), -1);
}

/* docs/API.md "Session list": a User-Agent is cut on a character's edge. */
Test(text_utf8, prefix_cuts_on_a_character_boundary)
{
	/* "é" is 2 bytes, "€" 3, "😀" 4. */
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";

	cr_assert_eq(text_utf8_prefix(s, strlen(s), 0), 0);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 1), 1);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 2), 3);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 3), 6);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 4), 10);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 5), 11);
	cr_assert_eq(text_utf8_prefix(s, strlen(s), 99), 11);
	/* A sequence cut short by len is not taken. */
	cr_assert_eq(text_utf8_prefix(s, 9, 99), 6);
	/* It stops before a byte that is not UTF-8. */
	cr_assert_eq(text_utf8_prefix("ab\xff" "cd", 5, 99), 2);
	cr_assert_eq(text_utf8_prefix("ab\xc0\xaf", 4, 99), 2);
	cr_assert_eq(text_utf8_prefix("\xed\xa0\x80", 3, 99), 0);
}
